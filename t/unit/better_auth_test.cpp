// Better Auth's credentials without the network: signed session tokens, the
// cookie cache (strategy "compact") and get-session answers; and the token
// that mastra_auth_forward_jwt mints.  Formats as read from better-auth
// 1.7.25 (better-call/dist/crypto.mjs, better-auth/dist/cookies/index.mjs).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <string>

#include "mastra_auth/base64url.h"
#include "mastra_auth/better_auth.h"
#include "mastra_auth/forward.h"
#include "mastra_auth/hmac.h"
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
    ASSERT_EQ(better_auth_session_data(cookie, kSecret, kNow, "tok123", identity, expires), Status::Ok);
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
    EXPECT_EQ(better_auth_session_data(good, kSecret, kNow, "other", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(better_auth_session_data(good, kSecret + "x", kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(better_auth_session_data(session_data(kInner, (kNow - 1) * 1000), kSecret, kNow,
                                       "tok123", identity, expires),
              Status::SessionInvalid);
    std::string admin = kInner;
    admin.replace(admin.find("\"name\":\"A\""), 10, "\"name\":\"B\"");
    std::string text;
    ASSERT_TRUE(base64url_decode(good, text));
    text.replace(text.find("\"name\":\"A\""), 10, "\"name\":\"B\"");
    EXPECT_EQ(better_auth_session_data(base64url_encode(text), kSecret, kNow, "tok123", identity,
                                       expires),
              Status::SessionInvalid);
    EXPECT_EQ(better_auth_session_data("", kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
    EXPECT_EQ(better_auth_session_data("not base64!", kSecret, kNow, "tok123", identity, expires),
              Status::SessionInvalid);
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
