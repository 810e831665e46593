// HmacVerifier end to end (MastraJwtAuth): tokens signed here, algorithm
// pinning, signature before claims, identity (catalogue rows H1, H2, S1, S6, C*).
#include <gtest/gtest.h>

#include <string>

#include "hmac_verifier.h"
#include "mastra_auth/verifier.h"
#include "token_helpers.h"

using mastra_auth::Algorithm;
using mastra_auth::bit_of;
using mastra_auth::ClaimPolicy;
using mastra_auth::HmacVerifier;
using mastra_auth::Identity;
using mastra_auth::Status;
using mastra_auth::test::b64;
using mastra_auth::test::kSecret32;
using mastra_auth::test::kSecret64;
using mastra_auth::test::sign_token;
using mastra_auth::test::signing_input;

namespace {

constexpr std::int64_t kNow = 1700000000;
const unsigned kHS256 = bit_of(Algorithm::HS256);
const unsigned kAllHmac = bit_of(Algorithm::HS256) | bit_of(Algorithm::HS384) |
                          bit_of(Algorithm::HS512);

const std::string kHeader256 = R"({"alg":"HS256","typ":"JWT"})";
const std::string kPayload = R"({"sub":"user-1","email":"u@example.com","exp":1700003600})";

Status verify(const HmacVerifier &verifier, const std::string &token, std::int64_t now = kNow) {
    Identity identity;
    return verifier.verify(token, now, identity);
}

// Replaces one character of the base64url signature part and returns the token.
std::string with_signature(const std::string &token, const std::string &signature_bytes) {
    return token.substr(0, token.rfind('.') + 1) + b64(signature_bytes);
}

std::string decoded_signature(const std::string &token) {
    std::string out;
    EXPECT_TRUE(mastra_auth::base64url_decode(token.substr(token.rfind('.') + 1), out));
    return out;
}

}  // namespace

TEST(HmacVerifier, ValidTokenFillsTheIdentity) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    const std::string token = sign_token(R"({"alg":"HS256","kid":"k1"})",
                                         R"({"sub":"user-1","email":"u@example.com",)"
                                         R"("iss":"https://issuer","exp":1700003600,"n":[1,2]})",
                                         kSecret32);
    Identity identity;
    ASSERT_EQ(verifier.verify(token, kNow, identity), Status::Ok);
    EXPECT_EQ(identity.alg, "HS256");
    EXPECT_EQ(identity.kid, "k1");
    EXPECT_EQ(identity.iss, "https://issuer");
    EXPECT_EQ(identity.user, "user-1");
    EXPECT_EQ(identity.email, "u@example.com");
    EXPECT_EQ(identity.claims()["n"], nlohmann::json({1, 2}));
    // Compact JSON of the claims (nlohmann orders object members by name).
    EXPECT_EQ(identity.claims_text(),
              R"({"email":"u@example.com","exp":1700003600,"iss":"https://issuer","n":[1,2],)"
              R"("sub":"user-1"})");
    EXPECT_EQ(nlohmann::json::parse(identity.claims_text()), identity.claims());
}

TEST(HmacVerifier, NonStringSubAndEmailAreMalformedOrLeftEmpty) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    Identity identity;
    // email is not a registered claim: a non-string one leaves the field empty.
    ASSERT_EQ(verifier.verify(sign_token(kHeader256, R"({"sub":"u","email":42})", kSecret32), kNow,
                              identity),
              Status::Ok);
    EXPECT_EQ(identity.user, "u");
    EXPECT_EQ(identity.email, "");
    // sub must be a string (catalogue C4).
    EXPECT_EQ(verify(verifier, sign_token(kHeader256, R"({"sub":42})", kSecret32)),
              Status::TokenMalformed);
}

TEST(HmacVerifier, Rfc7515AppendixA1VerifiesEndToEnd) {
    std::string key;
    ASSERT_TRUE(mastra_auth::base64url_decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        key));
    const std::string token =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    HmacVerifier verifier(key, kHS256, {});
    Identity identity;
    ASSERT_EQ(verifier.verify(token, 1300819379, identity), Status::Ok);
    EXPECT_EQ(identity.iss, "joe");
    EXPECT_EQ(identity.claims()["http://example.com/is_root"], true);
    EXPECT_EQ(verify(verifier, token, 1300819380), Status::TokenExpired);
}

TEST(HmacVerifier, AlgNoneInAnyCaseIsRefused) {
    HmacVerifier verifier(kSecret32, kAllHmac, {});
    for (const char *alg : {"none", "None", "NONE", "nOnE", "noNE"}) {
        const std::string header = std::string(R"({"alg":")") + alg + R"("})";
        const std::string input = signing_input(header, kPayload);
        // With a (real HS256) signature over the input, and with garbage.
        const std::string signed_token =
            input + "." + b64(mastra_auth::hmac_sign(Algorithm::HS256, kSecret32, input));
        Identity identity;
        EXPECT_EQ(verifier.verify(signed_token, kNow, identity), Status::AlgorithmNotAllowed) << alg;
        EXPECT_EQ(identity.alg, alg);   // named in the log line
        EXPECT_EQ(identity.user, "");   // nothing from an unverified payload
        EXPECT_FALSE(identity.has_claims());
        EXPECT_EQ(verify(verifier, input + "." + b64("x")), Status::AlgorithmNotAllowed) << alg;
        // Without a signature (RFC 7515 A.5 shape): not even a 3-part JWS for us.
        EXPECT_EQ(verify(verifier, input + "."), Status::TokenMalformed) << alg;
    }
}

TEST(HmacVerifier, AlgorithmOutsideTheAllowedSetIsRefused) {
    HmacVerifier hs256_only(kSecret64, kHS256, {});
    // Correctly signed HS384 and HS512 tokens, but only HS256 is allowed.
    EXPECT_EQ(verify(hs256_only,
                     sign_token(R"({"alg":"HS384"})", kPayload, kSecret64, Algorithm::HS384)),
              Status::AlgorithmNotAllowed);
    EXPECT_EQ(verify(hs256_only,
                     sign_token(R"({"alg":"HS512"})", kPayload, kSecret64, Algorithm::HS512)),
              Status::AlgorithmNotAllowed);

    HmacVerifier hs512_only(kSecret64, bit_of(Algorithm::HS512), {});
    EXPECT_EQ(verify(hs512_only, sign_token(kHeader256, kPayload, kSecret64)),
              Status::AlgorithmNotAllowed);
    EXPECT_EQ(verify(hs512_only,
                     sign_token(R"({"alg":"HS512"})", kPayload, kSecret64, Algorithm::HS512)),
              Status::Ok);

    HmacVerifier all(kSecret64, kAllHmac, {});
    for (Algorithm alg : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512}) {
        const char *name = alg == Algorithm::HS256 ? "HS256" : alg == Algorithm::HS384 ? "HS384" : "HS512";
        EXPECT_EQ(verify(all, sign_token(std::string(R"({"alg":")") + name + R"("})", kPayload,
                                         kSecret64, alg)),
                  Status::Ok)
            << name;
    }
}

TEST(HmacVerifier, UnknownAndAsymmetricAlgorithmsAreRefused) {
    HmacVerifier verifier(kSecret32, kAllHmac, {});
    for (const char *alg : {"RS256", "PS256", "ES256", "ES256K", "EdDSA", "Ed25519", "hs256",
                            "HS256 ", "HS", ""}) {
        // Signed with the secret as an HMAC key (the key-confusion attempt).
        const std::string token = sign_token(std::string(R"({"alg":")") + alg + R"("})", kPayload,
                                             kSecret32, Algorithm::HS256);
        EXPECT_EQ(verify(verifier, token), Status::AlgorithmNotAllowed) << alg;
    }
}

TEST(HmacVerifier, HeaderAlgIsBoundToTheMac) {
    // An HS256 MAC relabelled HS384 (catalogue S6), with both algorithms allowed.
    HmacVerifier verifier(kSecret64, kAllHmac, {});
    const std::string input = signing_input(R"({"alg":"HS384"})", kPayload);
    const std::string token = input + "." + b64(mastra_auth::hmac_sign(Algorithm::HS256, kSecret64, input));
    EXPECT_EQ(verify(verifier, token), Status::BadSignature);
}

TEST(HmacVerifier, EverySignatureBitFlipAndTruncationIsRefused) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    const std::string token = sign_token(kHeader256, kPayload, kSecret32);
    ASSERT_EQ(verify(verifier, token), Status::Ok);
    const std::string mac = decoded_signature(token);
    ASSERT_EQ(mac.size(), 32u);
    for (std::size_t i = 0; i < mac.size() * 8; i++) {
        std::string flipped = mac;
        flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
        EXPECT_EQ(verify(verifier, with_signature(token, flipped)), Status::BadSignature) << i;
    }
    for (std::size_t len = 1; len < mac.size(); len++)
        EXPECT_EQ(verify(verifier, with_signature(token, mac.substr(0, len))), Status::BadSignature)
            << len;
    EXPECT_EQ(verify(verifier, with_signature(token, mac + "x")), Status::BadSignature);
}

TEST(HmacVerifier, ChangedHeaderOrPayloadIsRefused) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    const std::string token = sign_token(kHeader256, kPayload, kSecret32);
    const std::string signature = token.substr(token.rfind('.'));
    EXPECT_EQ(verify(verifier, signing_input(kHeader256, R"({"sub":"admin","exp":1700003600})") +
                                   signature),
              Status::BadSignature);
    EXPECT_EQ(verify(verifier, signing_input(R"({"alg":"HS256"})", kPayload) + signature),
              Status::BadSignature);
    // Same JSON, re-encoded with whitespace: other bytes, other MAC.
    EXPECT_EQ(verify(verifier, signing_input(R"({"alg":"HS256", "typ":"JWT"})", kPayload) + signature),
              Status::BadSignature);
}

TEST(HmacVerifier, WrongKeyIsRefused) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    std::string other = kSecret32;
    other.back() ^= 1;
    EXPECT_EQ(verify(verifier, sign_token(kHeader256, kPayload, other)), Status::BadSignature);
}

TEST(HmacVerifier, EmptySecretNeverVerifies) {
    HmacVerifier verifier("", kHS256, {});
    // Whatever MAC is presented, even an all-zero one.
    const std::string input = signing_input(kHeader256, kPayload);
    EXPECT_EQ(verify(verifier, input + "." + b64(std::string(32, '\0'))), Status::BadSignature);
    EXPECT_EQ(verify(verifier, input + "." + b64(mastra_auth::hmac_sign(Algorithm::HS256, "", input))),
              Status::TokenMalformed);   // hmac_sign refuses an empty key: empty signature part
}

TEST(HmacVerifier, SignatureIsCheckedBeforeClaims) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    const std::string expired = R"({"sub":"u","exp":1600000000})";
    const std::string token = sign_token(kHeader256, expired, kSecret32);
    EXPECT_EQ(verify(verifier, token), Status::TokenExpired);
    std::string mac = decoded_signature(token);
    mac[0] ^= 1;
    Identity identity;
    EXPECT_EQ(verifier.verify(with_signature(token, mac), kNow, identity), Status::BadSignature);
    EXPECT_EQ(identity.user, "");
    EXPECT_FALSE(identity.has_claims());
    EXPECT_EQ(identity.claims_text(), "");
    // Also with claims of the wrong type: the signature speaks first.
    const std::string bad_types = R"({"sub":1,"exp":"soon","aud":[1]})";
    EXPECT_EQ(verify(verifier, sign_token(kHeader256, bad_types, kSecret32)), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, sign_token(kHeader256, bad_types, kSecret32 + "x")),
              Status::BadSignature);
}

TEST(HmacVerifier, ClaimPolicyIsApplied) {
    ClaimPolicy policy;
    policy.leeway = 60;
    policy.issuers = {"https://issuer/"};
    policy.audiences = {"api"};
    HmacVerifier verifier(kSecret32, kHS256, policy);
    auto token = [](const std::string &payload) { return sign_token(kHeader256, payload, kSecret32); };
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer/","aud":["x","api"],"exp":1699999970})")),
              Status::Ok);   // expired 30 s ago, within leeway
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer/","aud":"api","exp":1699999940})")),
              Status::TokenExpired);
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer/","aud":"api","nbf":1700000120})")),
              Status::TokenNotYetValid);
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer","aud":"api"})")),
              Status::IssuerMismatch);
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer/","aud":"API"})")),
              Status::AudienceMismatch);
    EXPECT_EQ(verify(verifier, token(R"({"iss":"https://issuer/"})")), Status::AudienceMismatch);
}

TEST(HmacVerifier, IdentityHoldsHeaderFieldsOnFailure) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    Identity identity;
    const std::string token = sign_token(R"({"alg":"HS256","kid":"key\"\n1"})",
                                         R"({"iss":"https://evil/\u0001","sub":"u"})", kSecret32 + "x");
    EXPECT_EQ(verifier.verify(token, kNow, identity), Status::BadSignature);
    EXPECT_EQ(identity.alg, "HS256");
    // Made safe for a log line: quote and control bytes replaced.
    EXPECT_EQ(identity.kid, "key??1");
    EXPECT_EQ(identity.iss, "https://evil/?");
    EXPECT_EQ(identity.user, "");
}

TEST(HmacVerifier, MalformedTokensAreRefused) {
    HmacVerifier verifier(kSecret32, kHS256, {});
    const std::string token = sign_token(kHeader256, kPayload, kSecret32);
    EXPECT_EQ(verify(verifier, ""), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, token + "."), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, token + "="), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, " " + token), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, sign_token(R"({"alg":"HS256","crit":[]})", kPayload, kSecret32)),
              Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, sign_token(R"({"alg":"HS256","alg":"HS256"})", kPayload, kSecret32)),
              Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, sign_token(kHeader256, R"({"sub":"a","sub":"b"})", kSecret32)),
              Status::TokenMalformed);
}
