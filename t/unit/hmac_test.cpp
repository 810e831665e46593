// HMAC-SHA2 JWS signatures (RFC 7518 section 3.2): known answers, and the
// jwt_verify_lib discipline of refusing every bit flip and every truncation
// (catalogue sections 3, 4; rows S1, S5, S6).
#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/jwt.h"

using mastra_auth::Algorithm;
using mastra_auth::base64url_decode;
using mastra_auth::hmac_length;
using mastra_auth::hmac_sign;
using mastra_auth::hmac_verify;

namespace {

// RFC 7515 appendix A.1, character for character.
constexpr const char *kRfc7515A1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
// The "k" member of the JWK in appendix A.1.1.
constexpr const char *kRfc7515A1Key =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string decode(std::string_view b64) {
    std::string out;
    EXPECT_TRUE(base64url_decode(b64, out)) << b64;
    return out;
}

const Algorithm kAll[] = {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512};

}  // namespace

TEST(Hmac, Rfc7515AppendixA1KnownAnswer) {
    const std::string_view token = kRfc7515A1Token;
    const std::size_t last_dot = token.rfind('.');
    const std::string_view signing_input = token.substr(0, last_dot);
    const std::string signature = decode(token.substr(last_dot + 1));
    const std::string key = decode(kRfc7515A1Key);
    ASSERT_EQ(key.size(), 64u);
    ASSERT_EQ(signature.size(), 32u);

    // The header really is the one with CRLF and a space, so the MAC covers
    // the received bytes and not a re-serialisation of the JSON.
    EXPECT_EQ(decode(signing_input.substr(0, signing_input.find('.'))),
              "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
    EXPECT_EQ(decode(signing_input.substr(signing_input.find('.') + 1)),
              "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");

    EXPECT_EQ(hmac_sign(Algorithm::HS256, key, signing_input), signature);
    EXPECT_TRUE(hmac_verify(Algorithm::HS256, key, signing_input, signature));

    // The parser hands over exactly these bytes as the signing input.
    mastra_auth::Jwt jwt;
    ASSERT_EQ(mastra_auth::parse_jwt(token, jwt), mastra_auth::Status::Ok);
    EXPECT_EQ(jwt.signing_input, signing_input);
    EXPECT_EQ(jwt.signature, signature);
    EXPECT_TRUE(hmac_verify(Algorithm::HS256, key, jwt.signing_input, jwt.signature));

    // A MAC over the same JSON re-encoded without the whitespace differs (S5).
    const std::string reencoded = mastra_auth::base64url_encode(R"({"typ":"JWT","alg":"HS256"})") +
                                  std::string(signing_input.substr(signing_input.find('.')));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, reencoded, signature));
}

TEST(Hmac, Rfc4231TestCase2ForEachHash) {
    // RFC 4231 section 4.3: key "Jefe".
    const std::string key = "Jefe", data = "what do ya want for nothing?";
    const std::pair<Algorithm, const char *> vectors[] = {
        {Algorithm::HS256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {Algorithm::HS384,
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
         "8e2240ca5e69e2c78b3239ecfab21649"},
        {Algorithm::HS512,
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
         "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    };
    for (const auto &[alg, hex] : vectors) {
        const std::string mac = from_hex(hex);
        EXPECT_EQ(mac.size(), hmac_length(alg));
        EXPECT_EQ(hmac_sign(alg, key, data), mac);
        EXPECT_TRUE(hmac_verify(alg, key, data, mac));
    }
}

TEST(Hmac, EverySingleBitFlipIsRefused) {
    const std::string key = decode(kRfc7515A1Key);
    const std::string input = "header.payload";
    for (Algorithm alg : kAll) {
        const std::string mac = hmac_sign(alg, key, input);
        ASSERT_EQ(mac.size(), hmac_length(alg));
        ASSERT_TRUE(hmac_verify(alg, key, input, mac));
        for (std::size_t byte = 0; byte < mac.size(); byte++) {
            for (int bit = 0; bit < 8; bit++) {
                std::string flipped = mac;
                flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
                EXPECT_FALSE(hmac_verify(alg, key, input, flipped))
                    << "alg " << static_cast<int>(alg) << " byte " << byte << " bit " << bit;
            }
        }
    }
}

TEST(Hmac, EveryTruncationAndExtensionIsRefused) {
    const std::string key = decode(kRfc7515A1Key);
    const std::string input = "header.payload";
    for (Algorithm alg : kAll) {
        const std::string mac = hmac_sign(alg, key, input);
        for (std::size_t len = 0; len < mac.size(); len++) {
            // Both ends: a prefix (truncated tag) and a suffix.
            EXPECT_FALSE(hmac_verify(alg, key, input, mac.substr(0, len))) << len;
            EXPECT_FALSE(hmac_verify(alg, key, input, mac.substr(mac.size() - len))) << len;
        }
        EXPECT_FALSE(hmac_verify(alg, key, input, mac + '\0'));
        EXPECT_FALSE(hmac_verify(alg, key, input, mac + mac));
    }
}

TEST(Hmac, SignatureOfOneAlgorithmIsRefusedByAnother) {
    const std::string key = decode(kRfc7515A1Key);
    const std::string input = "header.payload";
    const std::string hs256 = hmac_sign(Algorithm::HS256, key, input);
    const std::string hs384 = hmac_sign(Algorithm::HS384, key, input);
    const std::string hs512 = hmac_sign(Algorithm::HS512, key, input);
    EXPECT_FALSE(hmac_verify(Algorithm::HS384, key, input, hs256));
    EXPECT_FALSE(hmac_verify(Algorithm::HS512, key, input, hs256));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, input, hs384));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, input, hs512));
    EXPECT_FALSE(hmac_verify(Algorithm::HS384, key, input, hs512));
    // Truncated to the length the other algorithm expects: still not its MAC.
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, input, hs512.substr(0, 32)));
    EXPECT_FALSE(hmac_verify(Algorithm::HS384, key, input, hs512.substr(0, 48)));
    // The RFC A.1 token, checked as HS384.
    const std::string_view token = kRfc7515A1Token;
    const std::string_view a1_input = token.substr(0, token.rfind('.'));
    EXPECT_FALSE(hmac_verify(Algorithm::HS384, key, a1_input, decode(token.substr(token.rfind('.') + 1))));
}

TEST(Hmac, OtherKeyOrInputIsRefused) {
    const std::string key = "a key of thirty-two bytes length";
    const std::string mac = hmac_sign(Algorithm::HS256, key, "input");
    ASSERT_TRUE(hmac_verify(Algorithm::HS256, key, "input", mac));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, "inpuT", mac));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, "input ", mac));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key, "", mac));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key + "x", "input", mac));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, key.substr(1), "input", mac));
}

TEST(Hmac, EmptyKeyIsRefused) {
    // HMAC-SHA256 with an empty key over "" and over "abc" (computed elsewhere):
    // the right MAC for an empty key must still be refused (CVE-2019-20933 kin).
    const std::string empty_key_mac_of_empty =
        from_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    const std::string empty_key_mac_of_abc =
        from_hex("fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, "", "", empty_key_mac_of_empty));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, "", "abc", empty_key_mac_of_abc));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, "", "abc", std::string(32, '\0')));
    EXPECT_FALSE(hmac_verify(Algorithm::HS256, "", "abc", ""));
    EXPECT_EQ(hmac_sign(Algorithm::HS256, "", "abc"), "");
}

TEST(Hmac, EmptySignatureIsRefused) {
    for (Algorithm alg : kAll) EXPECT_FALSE(hmac_verify(alg, "key", "input", ""));
}

TEST(Hmac, LengthsPerAlgorithm) {
    EXPECT_EQ(hmac_length(Algorithm::HS256), 32u);
    EXPECT_EQ(hmac_length(Algorithm::HS384), 48u);
    EXPECT_EQ(hmac_length(Algorithm::HS512), 64u);
}

TEST(Algorithm, NamesAreExactAndCaseSensitive) {
    const std::pair<const char *, Algorithm> known[] = {
        {"HS256", Algorithm::HS256}, {"HS384", Algorithm::HS384}, {"HS512", Algorithm::HS512},
        {"RS256", Algorithm::RS256}, {"RS384", Algorithm::RS384}, {"RS512", Algorithm::RS512},
        {"PS256", Algorithm::PS256}, {"PS384", Algorithm::PS384}, {"PS512", Algorithm::PS512},
        {"ES256", Algorithm::ES256}, {"ES384", Algorithm::ES384}, {"ES512", Algorithm::ES512},
        {"EdDSA", Algorithm::EdDSA}, {"Ed25519", Algorithm::EdDSA},   // RFC 9864
    };
    for (const auto &[name, expected] : known) {
        Algorithm alg = expected == Algorithm::HS256 ? Algorithm::HS512 : Algorithm::HS256;
        ASSERT_TRUE(mastra_auth::algorithm_from_name(name, alg)) << name;
        EXPECT_EQ(alg, expected) << name;
    }
    // "none" in every case, other spellings, and algorithms we do not implement.
    Algorithm alg;
    for (const char *name : {"none", "None", "NONE", "nOnE", "noNE", "hs256", "Hs256", "HS256 ",
                             " HS256", "HS", "HS1", "HS224", "rs256", "ES256K", "eddsa", "EDDSA",
                             "Ed448", "X25519", "ed25519", "RSA-OAEP", "dir", ""})
        EXPECT_FALSE(mastra_auth::algorithm_from_name(name, alg)) << name;
    EXPECT_FALSE(mastra_auth::algorithm_from_name(std::string_view("HS256\0", 6), alg));
}

TEST(Algorithm, HmacLengthIsZeroForOtherFamilies) {
    for (Algorithm alg : {Algorithm::RS256, Algorithm::PS384, Algorithm::ES512, Algorithm::EdDSA})
        EXPECT_EQ(hmac_length(alg), 0u);
    // And no MAC is made or accepted under them.
    EXPECT_EQ(hmac_sign(Algorithm::RS256, "key", "input"), "");
    EXPECT_FALSE(hmac_verify(Algorithm::RS256, "key", "input", ""));
    EXPECT_FALSE(hmac_verify(Algorithm::ES256, "key", "input",
                             hmac_sign(Algorithm::HS256, "key", "input")));
}
