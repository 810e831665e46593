// Project Wycheproof vectors (t/vectors/wycheproof, Apache-2.0 data) run
// through our own JWK parser and signature verification: every "invalid"
// vector refused, every "valid" one accepted.  "acceptable" vectors (legacy
// encodings) may go either way and are counted apart.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "mastra_auth/hmac.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/public_key.h"

using mastra_auth::Algorithm;
using nlohmann::json;

namespace {

std::string vector_path(const std::string &file) {
    return std::string(MASTRA_AUTH_WYCHEPROOF_DIR) + "/" + file;
}

json load(const std::string &file) {
    std::ifstream in(vector_path(file));
    std::stringstream text;
    text << in.rdbuf();
    // A missing vector file is a failure, never a skip.
    EXPECT_TRUE(in.good() || in.eof()) << "cannot read " << vector_path(file);
    return json::parse(text.str());
}

std::string unhex(const std::string &hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

struct Counts {
    int valid = 0, invalid = 0, acceptable = 0, groups_skipped = 0, jwk_groups = 0, pem_groups = 0;
};

Counts run_signature_file(const std::string &file, Algorithm alg) {
    Counts counts;
    json doc = load(file);
    for (const auto &group : doc.at("testGroups")) {
        // The key as a JWK when the group has one, else as PEM: both parsers
        // are exercised.
        mastra_auth::PublicKey key;
        std::string reason;
        bool parsed = false;
        if (group.contains("publicKeyJwk") || group.contains("keyJwk")) {
            const json &jwk = group.contains("publicKeyJwk") ? group.at("publicKeyJwk") : group.at("keyJwk");
            parsed = mastra_auth::parse_jwk(jwk, mastra_auth::KeySource::Local, key, reason);
            counts.jwk_groups++;
        } else {
            parsed = mastra_auth::parse_pem_public_key(group.at("publicKeyPem").get<std::string>(), key,
                                                       reason);
            counts.pem_groups++;
        }
        if (!parsed) {
            ADD_FAILURE() << file << ": key refused: " << reason;
            counts.groups_skipped++;
            continue;
        }
        // Every vector through the one-shot path and through the contexts
        // a KeySet prepares (PreparedVerify): both must answer alike.
        auto prepared = std::make_shared<mastra_auth::PreparedVerify>();
        for (const auto &test : group.at("tests")) {
            const std::string result = test.at("result");
            key.prepared.reset();
            const bool ok = mastra_auth::verify_signature(alg, key, unhex(test.at("msg")),
                                                          unhex(test.at("sig")));
            key.prepared = prepared;
            EXPECT_EQ(mastra_auth::verify_signature(alg, key, unhex(test.at("msg")), unhex(test.at("sig"))),
                      ok)
                << file << " tcId " << test.at("tcId") << ": prepared and one-shot differ";
            if (result == "valid") {
                EXPECT_TRUE(ok) << file << " tcId " << test.at("tcId") << ": " << test.at("comment");
                counts.valid++;
            } else if (result == "invalid") {
                EXPECT_FALSE(ok) << file << " tcId " << test.at("tcId") << ": " << test.at("comment");
                counts.invalid++;
            } else {
                counts.acceptable++;
            }
        }
    }
    std::printf("[wycheproof] %-45s valid %4d accepted, invalid %4d refused, acceptable %d "
                "(keys: %d JWK, %d PEM)\n",
                file.c_str(), counts.valid, counts.invalid, counts.acceptable, counts.jwk_groups,
                counts.pem_groups);
    return counts;
}

struct SignatureFile {
    const char *file;
    Algorithm alg;
};

class WycheproofSignatures : public ::testing::TestWithParam<SignatureFile> {};

TEST_P(WycheproofSignatures, EveryVectorHasItsExpectedOutcome) {
    Counts counts = run_signature_file(GetParam().file, GetParam().alg);
    EXPECT_EQ(counts.groups_skipped, 0);
    EXPECT_GT(counts.valid, 0);
    EXPECT_GT(counts.invalid, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofSignatures,
    ::testing::Values(
        SignatureFile{"rsa_signature_2048_sha256_test.json", Algorithm::RS256},
        SignatureFile{"rsa_signature_2048_sha384_test.json", Algorithm::RS384},
        SignatureFile{"rsa_signature_2048_sha512_test.json", Algorithm::RS512},
        SignatureFile{"rsa_signature_3072_sha256_test.json", Algorithm::RS256},
        SignatureFile{"rsa_signature_3072_sha384_test.json", Algorithm::RS384},
        SignatureFile{"rsa_signature_3072_sha512_test.json", Algorithm::RS512},
        SignatureFile{"rsa_signature_4096_sha256_test.json", Algorithm::RS256},
        SignatureFile{"rsa_signature_4096_sha384_test.json", Algorithm::RS384},
        SignatureFile{"rsa_signature_4096_sha512_test.json", Algorithm::RS512},
        SignatureFile{"rsa_signature_8192_sha256_test.json", Algorithm::RS256},
        SignatureFile{"rsa_signature_8192_sha384_test.json", Algorithm::RS384},
        SignatureFile{"rsa_signature_8192_sha512_test.json", Algorithm::RS512},
        SignatureFile{"rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::PS256},
        SignatureFile{"rsa_pss_3072_sha256_mgf1_32_test.json", Algorithm::PS256},
        SignatureFile{"rsa_pss_4096_sha256_mgf1_32_test.json", Algorithm::PS256},
        SignatureFile{"rsa_pss_2048_sha384_mgf1_48_test.json", Algorithm::PS384},
        SignatureFile{"rsa_pss_4096_sha384_mgf1_48_test.json", Algorithm::PS384},
        SignatureFile{"rsa_pss_4096_sha512_mgf1_64_test.json", Algorithm::PS512},
        SignatureFile{"ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::ES256},
        SignatureFile{"ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::ES384},
        SignatureFile{"ecdsa_secp521r1_sha512_p1363_test.json", Algorithm::ES512},
        SignatureFile{"ed25519_test.json", Algorithm::EdDSA}),
    [](const ::testing::TestParamInfo<SignatureFile> &info) {
        std::string name = info.param.file;
        name = name.substr(0, name.find("_test.json"));
        for (char &c : name)
            if (c == '-') c = '_';
        return name;
    });

struct HmacFile {
    const char *file;
    Algorithm alg;
    int full_tag_bits;
};

class WycheproofHmac : public ::testing::TestWithParam<HmacFile> {};

// A JWS carries the full MAC: Wycheproof's truncated-tag groups are valid
// MACs for their tag size, but a JWS verifier must refuse them all.
TEST_P(WycheproofHmac, FullTagsVerifyAndTruncatedTagsAreRefused) {
    json doc = load(GetParam().file);
    int accepted = 0, refused = 0;
    for (const auto &group : doc.at("testGroups")) {
        const bool full = group.at("tagSize").get<int>() == GetParam().full_tag_bits;
        for (const auto &test : group.at("tests")) {
            const bool expect = full && test.at("result") == "valid";
            const std::string key = unhex(test.at("key"));
            const bool ok = mastra_auth::hmac_verify(GetParam().alg, key, unhex(test.at("msg")),
                                                     unhex(test.at("tag")));
            EXPECT_EQ(ok, expect) << GetParam().file << " tcId " << test.at("tcId");
            (expect ? accepted : refused)++;
        }
    }
    std::printf("[wycheproof] %-45s valid %4d accepted, invalid or truncated %4d refused\n",
                GetParam().file, accepted, refused);
    EXPECT_GT(accepted, 0);
    EXPECT_GT(refused, 0);
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofHmac,
                         ::testing::Values(HmacFile{"hmac_sha256_test.json", Algorithm::HS256, 256},
                                           HmacFile{"hmac_sha384_test.json", Algorithm::HS384, 384},
                                           HmacFile{"hmac_sha512_test.json", Algorithm::HS512, 512}),
                         [](const ::testing::TestParamInfo<HmacFile> &info) {
                             std::string name = info.param.file;
                             return name.substr(0, name.find("_test.json"));
                         });

}  // namespace
