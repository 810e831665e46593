// Better Auth's credentials without the network: signed session tokens, the
// cookie cache (strategies "compact", "jwt" and "jwe") and get-session answers; and the token
// that mastra_auth_forward_jwt mints.  Formats as read from better-auth
// 1.7.25 (better-call/dist/crypto.mjs, better-auth/dist/cookies/index.mjs).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <string>

#include "mastra_auth/base64url.h"
#include "mastra_auth/better_auth.h"
#include "mastra_auth/forward.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/jwe.h"
#include "hmac_verifier.h"
#include "mastra_auth/verifier.h"

using namespace mastra_auth;

namespace {

const std::string kSecret = "better-auth-secret-better-auth-secret-1234";
constexpr std::int64_t kNow = 1'800'000'000;   // 2027-01-15

std::string base64_standard(const std::string &bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string sign_token(const std::string &token, const std::string &secret = kSecret) {
    return token + "." + base64_standard(hmac_sign(Algorithm::HS256, secret, token));
}

// What setCookieCache writes: base64url(JSON.stringify({session, expiresAt,
// signature})), the signature over the session's JSON with expiresAt added.
std::string session_data(const std::string &inner, std::int64_t expires_ms,
                          const std::string &secret = kSecret) {
    std::string e = std::to_string(expires_ms);
    std::string signed_text = inner.substr(0, inner.size() - 1) + ",\"expiresAt\":" + e + "}";
    std::string s = base64url_encode(hmac_sign(Algorithm::HS256, secret, signed_text));
    return base64url_encode("{\"session\":" + inner + ",\"expiresAt\":" + e + ",\"signature\":\"" +
                            s + "\"}");
}

const std::string kInner =
    R"({"session":{"expiresAt":"2027-02-01T00:00:00.000Z","token":"tok123","userId":"u1","id":"s1"},)"
    R"("user":{"id":"u1","email":"a@example.com","emailVerified":true,"name":"A"},)"
    R"("updatedAt":1800000000000,"version":"1"})";

// The cookie cache read with Better Auth's default version, the reason
// of a refusal kept for the tests that look at it.
std::string_view last_why;

Status read_cache(const std::string &cookie, const std::string &secret, std::int64_t now,
                  const std::string &token, Identity &identity, std::int64_t &expires,
                  const std::string &version = "") {
    return better_auth_session_data(cookie, secret, version, now, token, identity, expires,
                                    last_why);
}

}  // namespace

TEST(BetterAuthSignedToken, AcceptsTheHmacOfTheToken) {
    std::string_view token;
    std::string signed_token = sign_token("tok123");
    ASSERT_TRUE(better_auth_signed_token(signed_token, kSecret, token));
    EXPECT_EQ(token, "tok123");
}

TEST(BetterAuthSignedToken, RefusesEveryDamage) {
    std::string_view token;
    std::string good = sign_token("tok123");
    EXPECT_FALSE(better_auth_signed_token(sign_token("tok123", kSecret + "x"), kSecret, token));
    EXPECT_FALSE(better_auth_signed_token(sign_token("tok124").replace(0, 6, "tok123"), kSecret, token));
    EXPECT_FALSE(better_auth_signed_token(good.substr(0, good.size() - 1), kSecret, token));  // 43
    EXPECT_FALSE(better_auth_signed_token("tok123", kSecret, token));                         // no "."
    EXPECT_FALSE(better_auth_signed_token(good.substr(good.find('.')), kSecret, token));      // no TOKEN
    EXPECT_FALSE(better_auth_signed_token(good, "", token));                                  // no secret
    for (std::size_t i = good.find('.') + 1; i + 1 < good.size(); i++) {
        std::string flipped = good;
        flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(better_auth_signed_token(flipped, kSecret, token)) << i;
    }
}

TEST(BetterAuthSessionData, AnswersForItsOwnSessionWithoutTheToken) {
    Identity identity;
    std::int64_t expires = 0;
    std::string cookie = session_data(kInner, (kNow + 300) * 1000);
    ASSERT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires), Status::Ok);
    EXPECT_EQ(identity.user, "u1");
    EXPECT_EQ(identity.email, "a@example.com");
    EXPECT_EQ(expires, kNow + 300);
    EXPECT_TRUE(identity.claims()["user"]["emailVerified"].get<bool>());
    // the session token is itself a credential: never in the identity
    EXPECT_FALSE(identity.claims()["session"].contains("token"));
    EXPECT_EQ(identity.claims_text().find("tok123"), std::string::npos);
}

TEST(BetterAuthSessionData, RefusesTamperingExpiryAndAnotherSession) {
    Identity identity;
    std::int64_t expires = 0;
    std::string good = session_data(kInner, (kNow + 300) * 1000);
    EXPECT_EQ(read_cache(good, kSecret, kNow, "other", identity, expires),
              Status::TokenExpired);   // Better Auth's, another session's: not used
    EXPECT_EQ(read_cache(good, kSecret + "x", kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(session_data(kInner, (kNow - 1) * 1000), kSecret, kNow,
                                       "tok123", identity, expires),
              Status::TokenExpired);
    std::string admin = kInner;
    admin.replace(admin.find("\"name\":\"A\""), 10, "\"name\":\"B\"");
    std::string text;
    ASSERT_TRUE(base64url_decode(good, text));
    text.replace(text.find("\"name\":\"A\""), 10, "\"name\":\"B\"");
    EXPECT_EQ(read_cache(base64url_encode(text), kSecret, kNow, "tok123", identity,
                                       expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache("", kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache("not base64!", kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
}

namespace {

// Strategy "jwt": signJWT(sessionData, secret, maxAge), an HS256 JWS.
std::string jwt_cache(const std::string &payload, const std::string &secret = kSecret,
                      const std::string &header = R"({"alg":"HS256"})") {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(hmac_sign(Algorithm::HS256, secret, input));
}

std::string times(std::int64_t exp) {
    return ",\"iat\":" + std::to_string(kNow) + ",\"exp\":" + std::to_string(exp) + "}";
}

// kInner with JWT times (its closing brace replaced)
std::string with_times(const std::string &inner, std::int64_t exp) {
    return inner.substr(0, inner.size() - 1) + times(exp);
}

// Strategy "jwe", written as RFC 7516 and 7518 say, with the key Better
// Auth derives from the secret (HKDF-SHA256, salt "better-auth-session").
std::string derived_key(const std::string &secret = kSecret) {
    unsigned char key[64];
    EXPECT_TRUE(hkdf_sha256(secret, "better-auth-session", "BetterAuth.js Generated Encryption Key",
                            key, sizeof key));
    return std::string(reinterpret_cast<const char *>(key), sizeof key);
}

std::string jwe_cache(const std::string &payload, const std::string &key = derived_key(),
                      std::string header = "") {
    if (header.empty())
        header = R"({"alg":"dir","enc":"A256CBC-HS512","kid":")" + oct_jwk_thumbprint(key) + "\"}";
    std::string protected_b64 = base64url_encode(header);
    std::string iv(16, '\x42');
    std::string ciphertext(payload.size() + 16, '\0');
    int n = 0, last = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr,
                       reinterpret_cast<const unsigned char *>(key.data() + 32),
                       reinterpret_cast<const unsigned char *>(iv.data()));
    EVP_EncryptUpdate(c, reinterpret_cast<unsigned char *>(ciphertext.data()), &n,
                      reinterpret_cast<const unsigned char *>(payload.data()),
                      static_cast<int>(payload.size()));
    EVP_EncryptFinal_ex(c, reinterpret_cast<unsigned char *>(ciphertext.data()) + n, &last);
    EVP_CIPHER_CTX_free(c);
    ciphertext.resize(static_cast<std::size_t>(n + last));
    std::string al(8, '\0');
    std::uint64_t bits = protected_b64.size() * 8;
    for (int i = 7; i >= 0; i--, bits >>= 8) al[i] = static_cast<char>(bits & 0xff);
    std::string tag = hmac_sign(Algorithm::HS512, key.substr(0, 32),
                                protected_b64 + iv + ciphertext + al)
                          .substr(0, 32);
    return protected_b64 + ".." + base64url_encode(iv) + "." + base64url_encode(ciphertext) + "." +
           base64url_encode(tag);
}

}  // namespace

TEST(Hkdf, MatchesRfc5869TestCase1) {
    std::string ikm(22, '\x0b');
    std::string salt, info;
    for (int i = 0; i <= 0x0c; i++) salt.push_back(static_cast<char>(i));
    for (int i = 0xf0; i <= 0xf9; i++) info.push_back(static_cast<char>(i));
    unsigned char okm[42];
    ASSERT_TRUE(hkdf_sha256(ikm, salt, info, okm, sizeof okm));
    static const unsigned char expected[42] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
        0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
        0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65};
    EXPECT_EQ(std::string_view(reinterpret_cast<const char *>(okm), 42),
              std::string_view(reinterpret_cast<const char *>(expected), 42));
}

TEST(BetterAuthCookieCache, ReadsEachStrategy) {
    for (const std::string &cookie :
         {session_data(kInner, (kNow + 300) * 1000), jwt_cache(with_times(kInner, kNow + 300)),
          jwe_cache(with_times(kInner, kNow + 300))}) {
        Identity identity;
        std::int64_t expires = 0;
        ASSERT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires), Status::Ok)
            << last_why;
        EXPECT_EQ(identity.user, "u1");
        EXPECT_EQ(expires, kNow + 300);
        EXPECT_FALSE(identity.claims()["session"].contains("token"));
        // bound to its session, its secret, its time
        // Better Auth's own, not for now: passed over, get-session is asked
        EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok124", identity, expires),
                  Status::TokenExpired);
        EXPECT_EQ(last_why, "belongs to another session");
        EXPECT_EQ(read_cache(cookie, kSecret + "x", kNow, "tok123", identity, expires),
                  Status::SessionInvalid);
        EXPECT_EQ(read_cache(cookie, kSecret, kNow + 300, "tok123", identity, expires),
                  Status::TokenExpired);
        EXPECT_EQ(last_why, "has expired");
        // every byte counts
        for (std::size_t i = 0; i < cookie.size(); i++) {
            std::string flipped = cookie;
            flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
            EXPECT_EQ(read_cache(flipped, kSecret, kNow, "tok123", identity, expires),
                      Status::SessionInvalid)
                << i;
        }
    }
}

TEST(BetterAuthCookieCache, ChecksTheVersionAsBetterAuthDoes) {
    std::string v2 = kInner;
    v2.replace(v2.find("\"version\":\"1\""), 13, "\"version\":\"2\"");
    std::string none = kInner;
    none.replace(none.find(",\"version\":\"1\""), 14, "");
    std::string empty = kInner;
    empty.replace(empty.find("\"version\":\"1\""), 13, "\"version\":\"\"");
    std::string number = kInner;
    number.replace(number.find("\"version\":\"1\""), 13, "\"version\":2");
    Identity identity;
    std::int64_t expires = 0;
    for (const auto &inner : {kInner, none, empty}) {
        for (const auto &cookie : {session_data(inner, (kNow + 300) * 1000),
                                   jwt_cache(with_times(inner, kNow + 300)),
                                   jwe_cache(with_times(inner, kNow + 300))}) {
            // absent or empty is "1", Better Auth's default
            EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires), Status::Ok);
            EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires, "1"),
                      Status::Ok);
            EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires, "2"),
                      Status::TokenExpired);
            EXPECT_EQ(last_why, "is of another version");
        }
    }
    for (const auto &cookie : {session_data(v2, (kNow + 300) * 1000),
                               jwt_cache(with_times(v2, kNow + 300)),
                               jwe_cache(with_times(v2, kNow + 300))}) {
        EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires),
                  Status::TokenExpired);
        EXPECT_EQ(read_cache(cookie, kSecret, kNow, "tok123", identity, expires, "2"), Status::Ok);
    }
    // a version that is no string: no payload Better Auth reads, never used
    EXPECT_EQ(read_cache(session_data(number, (kNow + 300) * 1000), kSecret, kNow, "tok123",
                         identity, expires, "2"),
              Status::TokenExpired);
}

TEST(BetterAuthCookieCache, RefusesWhatBetterAuthWouldRefuse) {
    Identity identity;
    std::int64_t expires = 0;
    // a session that has ended, or whose end cannot be read
    std::string ended = kInner;
    ended.replace(ended.find("2027-02-01"), 10, "2027-01-01");
    EXPECT_EQ(read_cache(session_data(ended, (kNow + 300) * 1000), kSecret, kNow, "tok123",
                         identity, expires),
              Status::TokenExpired);
    EXPECT_EQ(last_why, "holds a session that has ended");
    std::string unreadable = kInner;
    unreadable.replace(unreadable.find("2027-02-01T00:00:00.000Z"), 24, "soon");
    EXPECT_EQ(read_cache(jwt_cache(with_times(unreadable, kNow + 300)), kSecret, kNow, "tok123",
                         identity, expires),
              Status::TokenExpired);
    // no updatedAt: not a cookie cache payload
    std::string no_updated = kInner;
    no_updated.replace(no_updated.find("\"updatedAt\":1800000000000,"), 26, "");
    EXPECT_EQ(read_cache(jwt_cache(with_times(no_updated, kNow + 300)), kSecret, kNow, "tok123",
                         identity, expires),
              Status::TokenExpired);
    // a JWT: HS256 only, exp required, nbf honoured
    EXPECT_EQ(read_cache(jwt_cache(with_times(kInner, kNow + 300), kSecret,
                                   R"({"alg":"HS512"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwt_cache(with_times(kInner, kNow + 300), kSecret,
                                   R"({"alg":"EdDSA","kid":"k"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::TokenExpired);   // the jwt plugin's keys: get-session is asked
    EXPECT_EQ(read_cache(jwt_cache(with_times(kInner, kNow + 300), kSecret,
                                   R"({"alg":"HS256","kid":"k"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwt_cache(with_times(kInner, kNow + 300), kSecret,
                                   R"({"alg":"HS256","crit":["b64"],"b64":false})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwt_cache(kInner), kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    std::string later = kInner.substr(0, kInner.size() - 1) + ",\"nbf\":" +
                        std::to_string(kNow + 10) + times(kNow + 300).substr(0);
    EXPECT_EQ(read_cache(jwt_cache(later), kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    // a JWE: dir with A256CBC-HS512 only, under the derived key, its kid
    std::string payload = with_times(kInner, kNow + 300);
    EXPECT_EQ(read_cache(jwe_cache(payload, derived_key(kSecret + "x")), kSecret, kNow, "tok123",
                         identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwe_cache(payload, derived_key(),
                                   R"({"alg":"dir","enc":"A256CBC-HS512","kid":"other"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwe_cache(payload, derived_key(), R"({"alg":"dir","enc":"A256CBC-HS512"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::Ok);   // jose reads one without a kid too
    EXPECT_EQ(read_cache(jwe_cache(payload, derived_key(),
                                   R"({"alg":"dir","enc":"A256CBC-HS512","zip":"DEF"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(jwe_cache(payload, derived_key(), R"({"alg":"dir","enc":"A256GCM"})"),
                         kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    // nothing else, nothing too long
    EXPECT_EQ(read_cache("a.b.c.d", kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(read_cache(std::string(kMaxCookieCacheLength + 1, 'A'), kSecret, kNow, "tok123",
                         identity, expires),
              Status::TokenExpired);
    EXPECT_EQ(last_why, "is too long");   // not read: get-session is asked
}

TEST(BetterAuthSession, ReadsGetSessionAnswers) {
    Identity identity;
    std::int64_t expires = 0;
    std::string live =
        R"({"session":{"id":"s1","expiresAt":"2027-02-01T00:00:00.000Z","token":"tok123","userId":"u1"},)"
        R"("user":{"id":"u1","email":"a@example.com","emailVerified":false}})";
    ASSERT_EQ(better_auth_session(live, kNow, identity, expires), Status::Ok);
    EXPECT_EQ(identity.user, "u1");
    EXPECT_EQ(expires, 1'801'440'000);   // 2027-02-01T00:00:00Z
    EXPECT_EQ(identity.claims_text().find("tok123"), std::string::npos);

    Identity other;
    EXPECT_EQ(better_auth_session("null", kNow, other, expires), Status::SessionInvalid);
    EXPECT_EQ(better_auth_session("{}", kNow, other, expires), Status::SessionInvalid);
    // a user without an id is no user
    EXPECT_EQ(better_auth_session(
                  R"({"session":{"expiresAt":"2027-02-01T00:00:00.000Z"},"user":{"id":""}})", kNow,
                  other, expires),
              Status::SessionInvalid);
    EXPECT_EQ(better_auth_session(live, 1'801'440'000, other, expires), Status::SessionInvalid);
}

TEST(BetterAuthSession, TheKeptTextReadsBackAsTheSameIdentity) {
    Identity first;
    std::int64_t expires = 0;
    std::string live =
        R"({"session":{"id":"s1","expiresAt":"2027-02-01T00:00:00.000Z","token":"tok123","userId":"u1"},)"
        R"("user":{"id":"u1","email":"a\r@example.com","emailVerified":false}})";
    ASSERT_EQ(better_auth_session(live, kNow, first, expires), Status::Ok);

    Identity kept;
    ASSERT_EQ(better_auth_cached_session(first.user, first.email, first.claims_text(), kept), Status::Ok);
    EXPECT_EQ(kept.user, "u1");
    EXPECT_EQ(kept.email, "a%0D@example.com");   // header-safe, as the first
    EXPECT_EQ(kept.email, first.email);
    EXPECT_EQ(kept.claims(), first.claims());
    EXPECT_EQ(kept.claims_text(), first.claims_text());

    Identity bad;
    EXPECT_EQ(better_auth_cached_session("", "a@example.com", first.claims_text(), bad),
              Status::SessionInvalid);
}

TEST(BetterAuthSessionKey, BoundToTheServerTheSecretAndTheCredential) {
    const std::string url = "https://auth.example.com", secret(32, 's');
    unsigned char base[32], again[32], other_url[32], other_secret[32];
    ASSERT_TRUE(better_auth_session_key_base(url, secret, base));
    ASSERT_TRUE(better_auth_session_key_base(url, secret, again));
    ASSERT_TRUE(better_auth_session_key_base("https://auth2.example.com", secret, other_url));
    ASSERT_TRUE(better_auth_session_key_base(url, std::string(32, 't'), other_secret));
    auto bytes = [](const unsigned char *b) { return std::string(reinterpret_cast<const char *>(b), 32); };
    EXPECT_EQ(bytes(base), bytes(again));   // the same after a reload
    EXPECT_NE(bytes(base), bytes(other_url));
    EXPECT_NE(bytes(base), bytes(other_secret));
    // the URL and the secret do not run into each other
    unsigned char shifted[32];
    ASSERT_TRUE(better_auth_session_key_base(url + "s", std::string(31, 's'), shifted));
    EXPECT_NE(bytes(base), bytes(shifted));

    unsigned char key[32], key_again[32], key_other[32], key_other_base[32];
    ASSERT_TRUE(better_auth_session_key(base, "tok.sig", key));
    ASSERT_TRUE(better_auth_session_key(again, "tok.sig", key_again));
    ASSERT_TRUE(better_auth_session_key(base, "tok.sih", key_other));
    ASSERT_TRUE(better_auth_session_key(other_secret, "tok.sig", key_other_base));
    EXPECT_EQ(bytes(key), bytes(key_again));
    EXPECT_NE(bytes(key), bytes(key_other));
    EXPECT_NE(bytes(key), bytes(key_other_base));
    // never the plain hash of the credential, nor of the secret
    unsigned char plain[32];
    unsigned int len = 0;
    ASSERT_TRUE(sha2_hash(Algorithm::HS256, "tok.sig", {}, plain, len));
    EXPECT_NE(bytes(key), bytes(plain));
}

TEST(BetterAuthTimestamp, IsoStringsAndMilliseconds) {
    std::int64_t s = 0;
    EXPECT_TRUE(parse_timestamp(nlohmann::json("1970-01-01T00:00:10.000Z"), s));
    EXPECT_EQ(s, 10);
    EXPECT_TRUE(parse_timestamp(nlohmann::json(12345), s));
    EXPECT_EQ(s, 12);
    EXPECT_FALSE(parse_timestamp(nlohmann::json("2027-02-01 00:00:00"), s));
    EXPECT_FALSE(parse_timestamp(nlohmann::json("2027-02-01T00:00:00+01:00"), s));
    EXPECT_FALSE(parse_timestamp(nlohmann::json(true), s));
    EXPECT_FALSE(parse_timestamp(nlohmann::json(-5), s));
}

TEST(Forwarder, MintsAnHs256TokenThatMastraJwtAuthWouldAccept) {
    const std::string secret = "forward-secret-forward-secret-0123";
    Forwarder forwarder(secret, 60, {"role", "absent"});
    Identity identity;
    identity.set_claims(nlohmann::json::parse(
        R"({"sub":"u1","email":"a@example.com","role":"admin","iss":"https://idp/","exp":1})"));
    std::string token = forwarder.mint(identity, kNow);
    ASSERT_FALSE(token.empty());

    HmacVerifier verifier(secret, bit_of(Algorithm::HS256), ClaimPolicy{0, {kForwardIssuer}, {}});
    Identity seen;
    ASSERT_EQ(verifier.verify(token, kNow + 59, seen), Status::Ok);
    EXPECT_EQ(seen.user, "u1");
    EXPECT_EQ(seen.email, "a@example.com");
    EXPECT_EQ(seen.claims()["role"], "admin");
    EXPECT_FALSE(seen.claims().contains("absent"));
    EXPECT_EQ(seen.claims()["exp"], kNow + 60);

    Identity late;
    EXPECT_EQ(verifier.verify(token, kNow + 60, late), Status::TokenExpired);
    HmacVerifier other(secret + "x", bit_of(Algorithm::HS256), ClaimPolicy{});
    EXPECT_EQ(other.verify(token, kNow, late), Status::BadSignature);
}

TEST(Forwarder, MintsNothingWithoutVerifiedClaims) {
    Forwarder forwarder("forward-secret-forward-secret-0123", 60, {});
    EXPECT_TRUE(forwarder.mint(Identity{}, kNow).empty());
}

// A JWT of the jwt plugin shows its user under "user", as a session does.
TEST(BetterAuthJwt, UserShapeOfASession) {
    Identity identity;
    identity.set_claims_text(
        R"({"id":"u1","name":"Ada","email":"a@x","emailVerified":true,"image":null,)"
        R"("sub":"u1","iat":1,"exp":2,"iss":"https://app","aud":"https://app"})");
    better_auth_jwt_shape(identity);
    const auto &claims = identity.claims();
    ASSERT_TRUE(claims.contains("user"));
    EXPECT_EQ(claims["user"]["id"], "u1");
    EXPECT_EQ(claims["user"]["email"], "a@x");
    EXPECT_EQ(claims["user"]["emailVerified"], true);
    EXPECT_EQ(claims["user"]["name"], "Ada");
    EXPECT_FALSE(claims["user"].contains("exp"));
    EXPECT_FALSE(claims["user"].contains("iss"));
    // the top-level claims stay
    EXPECT_EQ(claims["emailVerified"], true);
    EXPECT_EQ(claims["sub"], "u1");
}

TEST(BetterAuthJwt, IdFromSubAndOwnUserKept) {
    Identity a;
    a.set_claims_text(R"({"sub":"u2","email":"b@x"})");
    better_auth_jwt_shape(a);
    EXPECT_EQ(a.claims()["user"]["id"], "u2");
    EXPECT_EQ(a.claims()["user"]["email"], "b@x");

    Identity b;
    b.set_claims_text(R"({"sub":"u3","user":{"role":"x"}})");
    better_auth_jwt_shape(b);
    EXPECT_EQ(b.claims()["user"], nlohmann::json({{"role", "x"}}));
}
