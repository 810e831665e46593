// verify_signature (RFC 7518 section 3, RFC 8037): known answers from the
// RFCs, then each of the 13 algorithms with keys generated here and
// signatures made by OpenSSL, then the catalogue's S1, S2, S4 and K3 rows.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "key_helpers.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/verifier.h"

using mastra_auth::Algorithm;
using mastra_auth::algorithm_name;
using mastra_auth::bit_of;
using mastra_auth::EvpPkeyPtr;
using mastra_auth::KeyFamily;
using mastra_auth::KeySource;
using mastra_auth::PublicKey;
using mastra_auth::verify_signature;
using namespace mastra_auth::test;

namespace {

PublicKey key_from_jwk(const Json &jwk, KeySource source = KeySource::Remote) {
    PublicKey key;
    std::string reason;
    EXPECT_TRUE(mastra_auth::parse_jwk(jwk, source, key, reason)) << reason << " " << jwk.dump();
    return key;
}

// 64 bytes: long enough for every HS algorithm.
const std::string kOctSecret = "An HMAC secret of sixty-four bytes, for HS256, HS384 and HS512!!";

// The verifying key for alg, parsed from a JWK exported from the cached private key.
PublicKey key_for(Algorithm alg) {
    if (family_of(alg) == KeyFamily::Oct)
        return key_from_jwk(Json{{"kty", "oct"}, {"k", b64u(kOctSecret)}}, KeySource::Local);
    return key_from_jwk(public_jwk(cached_key(key_kind_for(alg))));
}

std::string sign(Algorithm alg, std::string_view input) {
    if (family_of(alg) == KeyFamily::Oct) return jws_sign(alg, nullptr, input, kOctSecret);
    return jws_sign(alg, cached_key(key_kind_for(alg)), input);
}

const std::string kInput = b64u(R"({"alg":"X","kid":"k"})") + "." + b64u(R"({"sub":"user-1","exp":1700003600})");

EvpPkeyPtr pkey_from_builder(const char *type, OSSL_PARAM_BLD *bld, int selection) {
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY *key = nullptr;
    EXPECT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
    EXPECT_EQ(EVP_PKEY_fromdata(ctx.get(), &key, selection, params), 1);
    OSSL_PARAM_free(params);
    return EvpPkeyPtr(key);
}

void push_bn(OSSL_PARAM_BLD *bld, const char *name, const std::string &b64, std::vector<BnPtr> &keep) {
    const std::string bytes = unb64u(b64);
    keep.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char *>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
    ASSERT_EQ(OSSL_PARAM_BLD_push_BN(bld, name, keep.back().get()), 1);
}

// OpenSSL's pairwise check of a private key against its public half: the
// RFC's numbers, as typed in here, belong together.
bool pairwise_ok(EVP_PKEY *key) {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    return ctx && EVP_PKEY_pairwise_check(ctx.get()) == 1;
}

EvpPkeyPtr ec_private(const char *group, const Json &jwk) {
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    std::vector<BnPtr> keep;
    const std::string point = std::string(1, '\x04') + unb64u(jwk["x"].get<std::string>()) + unb64u(jwk["y"].get<std::string>());
    EXPECT_EQ(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0), 1);
    EXPECT_EQ(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()), 1);
    push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, jwk["d"].get<std::string>(), keep);
    EvpPkeyPtr key = pkey_from_builder("EC", bld, EVP_PKEY_KEYPAIR);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

std::string set_of(const Json &jwk) { return Json{{"keys", Json::array({jwk})}}.dump(); }

Json with_alg(Json jwk, const char *alg) {
    jwk["alg"] = alg;
    return jwk;
}

Json public_part(Json jwk) {
    for (const char *member : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(member);
    return jwk;
}

// ---- RFC 7515 appendix A and RFC 8037 appendix A, typed in from the RFCs --

// A.1-A.3 share this payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
const std::string kRfc7515Payload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

const Json kRfc7515A2Jwk = {
    {"kty", "RSA"},
    {"n", "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
          "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
          "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
    {"e", "AQAB"},
    {"d", "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0"
          "BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYT"
          "CBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"},
    {"p", "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPG"
          "BY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"},
    {"q", "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA"
          "-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"},
    {"dp", "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb"
           "34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"},
    {"dq", "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-ky"
           "NlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"},
    {"qi", "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLU"
           "W0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"},
};
const std::string kRfc7515A2Jws =
    "eyJhbGciOiJSUzI1NiJ9." + kRfc7515Payload +
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAc"
    "QjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsq"
    "tFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const Json kRfc7515A3Jwk = {
    {"kty", "EC"},
    {"crv", "P-256"},
    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
    {"d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"},
};
const std::string kRfc7515A3Jws = "eyJhbGciOiJFUzI1NiJ9." + kRfc7515Payload +
                                  ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

const Json kRfc7515A4Jwk = {
    {"kty", "EC"},
    {"crv", "P-521"},
    {"x", "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk"},
    {"y", "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"},
    {"d", "AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"},
};
// Header {"alg":"ES512"}, payload "Payload".
const std::string kRfc7515A4Jws =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA."
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKp"
    "RwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

const Json kRfc8037A1Jwk = {
    {"kty", "OKP"},
    {"crv", "Ed25519"},
    {"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},
    {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
};
// Header {"alg":"EdDSA"}, payload "Example of Ed25519 signing".
const std::string kRfc8037A4Jws =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

struct Split {
    std::string input, payload, signature;
};

Split split(const std::string &jws) {
    const std::size_t last = jws.rfind('.');
    const std::size_t first = jws.find('.');
    return Split{jws.substr(0, last), unb64u(jws.substr(first + 1, last - first - 1)), unb64u(jws.substr(last + 1))};
}

}  // namespace

TEST(KnownAnswers, Rfc7515A2Rs256) {
    const Split jws = split(kRfc7515A2Jws);
    EXPECT_EQ(jws.payload, "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
    ASSERT_EQ(jws.signature.size(), 256u);

    // Checked against OpenSSL first: the private key as typed in is
    // consistent, and PKCS#1 v1.5 being deterministic, it signs the input
    // into exactly the RFC's signature.
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    std::vector<BnPtr> keep;
    push_bn(bld, OSSL_PKEY_PARAM_RSA_N, kRfc7515A2Jwk["n"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_E, kRfc7515A2Jwk["e"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_D, kRfc7515A2Jwk["d"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, kRfc7515A2Jwk["p"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, kRfc7515A2Jwk["q"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, kRfc7515A2Jwk["dp"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, kRfc7515A2Jwk["dq"].get<std::string>(), keep);
    push_bn(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, kRfc7515A2Jwk["qi"].get<std::string>(), keep);
    EvpPkeyPtr priv = pkey_from_builder("RSA", bld, EVP_PKEY_KEYPAIR);
    OSSL_PARAM_BLD_free(bld);
    ASSERT_TRUE(priv);
    EXPECT_TRUE(pairwise_ok(priv.get()));
    EXPECT_EQ(evp_sign(priv.get(), Algorithm::RS256, jws.input), jws.signature);

    // Then the core, from the public JWK.
    PublicKey key = key_from_jwk(public_part(kRfc7515A2Jwk));
    EXPECT_TRUE(verify_signature(Algorithm::RS256, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::RS384, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::PS256, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, key, jws.input + " ", jws.signature));

    // And end to end, before and at the token's exp.
    mastra_auth::KeySet set;
    std::string error;
    ASSERT_TRUE(mastra_auth::KeySet::parse(set_of(public_part(kRfc7515A2Jwk)), KeySource::Remote, set, error));
    mastra_auth::JwsVerifier verifier(bit_of(Algorithm::RS256), {});
    mastra_auth::Identity identity;
    EXPECT_EQ(verifier.verify(kRfc7515A2Jws, 1300819379, {&set}, identity), mastra_auth::Status::Ok);
    EXPECT_EQ(identity.iss, "joe");
    EXPECT_EQ(verifier.verify(kRfc7515A2Jws, 1300819380, {&set}, identity), mastra_auth::Status::TokenExpired);
}

TEST(KnownAnswers, Rfc7515A3Es256) {
    const Split jws = split(kRfc7515A3Jws);
    ASSERT_EQ(jws.signature.size(), 64u);
    EvpPkeyPtr priv = ec_private("prime256v1", kRfc7515A3Jwk);
    ASSERT_TRUE(priv);
    EXPECT_TRUE(pairwise_ok(priv.get()));
    EXPECT_TRUE(evp_verify(priv.get(), EVP_sha256(), jws.input, jws_to_der(jws.signature)));

    PublicKey key = key_from_jwk(public_part(kRfc7515A3Jwk));
    EXPECT_TRUE(verify_signature(Algorithm::ES256, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::ES384, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, key, jws.input, jws_to_der(jws.signature)));
    // ECDSA is randomised: a fresh signature by the RFC's key verifies too.
    EXPECT_TRUE(verify_signature(Algorithm::ES256, key, jws.input, jws_sign(Algorithm::ES256, priv.get(), jws.input)));

    mastra_auth::KeySet set;
    std::string error;
    ASSERT_TRUE(mastra_auth::KeySet::parse(set_of(public_part(kRfc7515A3Jwk)), KeySource::Remote, set, error));
    mastra_auth::JwsVerifier verifier(bit_of(Algorithm::ES256), {});
    mastra_auth::Identity identity;
    EXPECT_EQ(verifier.verify(kRfc7515A3Jws, 1300819379, {&set}, identity), mastra_auth::Status::Ok);
    EXPECT_EQ(identity.claims()["http://example.com/is_root"], true);
}

TEST(KnownAnswers, Rfc7515A4Es512) {
    const Split jws = split(kRfc7515A4Jws);
    EXPECT_EQ(jws.payload, "Payload");
    ASSERT_EQ(jws.signature.size(), 132u);
    EvpPkeyPtr priv = ec_private("secp521r1", kRfc7515A4Jwk);
    ASSERT_TRUE(priv);
    EXPECT_TRUE(pairwise_ok(priv.get()));
    EXPECT_TRUE(evp_verify(priv.get(), EVP_sha512(), jws.input, jws_to_der(jws.signature)));

    PublicKey key = key_from_jwk(public_part(kRfc7515A4Jwk));
    EXPECT_TRUE(verify_signature(Algorithm::ES512, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::ES384, key, jws.input, jws.signature));
    // The same R and S without their leading zero bytes (65 + 65): refused.
    const std::string r = jws.signature.substr(0, 66), s = jws.signature.substr(66);
    ASSERT_EQ(r[0] & 0xfe, 0);
    ASSERT_EQ(s[0] & 0xfe, 0);
    if (r[0] == 0 && s[0] == 0) {
        EXPECT_FALSE(verify_signature(Algorithm::ES512, key, jws.input, r.substr(1) + s.substr(1)));
    }
}

TEST(KnownAnswers, Rfc8037A4Ed25519) {
    const Split jws = split(kRfc8037A4Jws);
    EXPECT_EQ(jws.payload, "Example of Ed25519 signing");
    const std::string d = unb64u(kRfc8037A1Jwk["d"].get<std::string>());
    EvpPkeyPtr priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                 reinterpret_cast<const unsigned char *>(d.data()), d.size()));
    ASSERT_TRUE(priv);
    // d derives the RFC's x, and Ed25519 being deterministic, signs the
    // input into exactly the RFC's signature.
    unsigned char x[32];
    std::size_t xlen = sizeof(x);
    ASSERT_EQ(EVP_PKEY_get_raw_public_key(priv.get(), x, &xlen), 1);
    EXPECT_EQ(b64u(std::string(reinterpret_cast<char *>(x), xlen)), kRfc8037A1Jwk["x"]);
    EXPECT_EQ(evp_sign(priv.get(), Algorithm::EdDSA, jws.input), jws.signature);

    PublicKey key = key_from_jwk(public_part(kRfc8037A1Jwk));
    EXPECT_TRUE(verify_signature(Algorithm::EdDSA, key, jws.input, jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::EdDSA, key, jws.input + ".", jws.signature));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, key, jws.input, jws.signature));
}

// ---- each algorithm with generated keys (catalogue S1) ------------------------

class EachAlgorithm : public ::testing::TestWithParam<Algorithm> {};

TEST_P(EachAlgorithm, OpenSslSignatureVerifies) {
    const Algorithm alg = GetParam();
    PublicKey key = key_for(alg);
    const std::string sig = sign(alg, kInput);
    EXPECT_TRUE(verify_signature(alg, key, kInput, sig));
    // Also from the PEM form of the same key.
    if (family_of(alg) != KeyFamily::Oct) {
        PublicKey pem;
        std::string reason;
        ASSERT_TRUE(mastra_auth::parse_pem_public_key(public_pem(cached_key(key_kind_for(alg))), pem, reason)) << reason;
        EXPECT_TRUE(verify_signature(alg, pem, kInput, sig));
    }
}

TEST_P(EachAlgorithm, EverySingleBitFlipIsRefused) {
    const Algorithm alg = GetParam();
    PublicKey key = key_for(alg);
    const std::string sig = sign(alg, kInput);
    ASSERT_TRUE(verify_signature(alg, key, kInput, sig));
    int refused = 0;
    for (std::size_t bit = 0; bit < sig.size() * 8; bit++) {
        std::string flipped = sig;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        const bool ok = verify_signature(alg, key, kInput, flipped);
        EXPECT_FALSE(ok) << algorithm_name(alg) << " bit " << bit;
        refused += ok ? 0 : 1;
    }
    EXPECT_EQ(refused, static_cast<int>(sig.size() * 8));
}

TEST_P(EachAlgorithm, EveryTruncationAndExtensionIsRefused) {
    const Algorithm alg = GetParam();
    PublicKey key = key_for(alg);
    const std::string sig = sign(alg, kInput);
    ASSERT_TRUE(verify_signature(alg, key, kInput, sig));
    for (std::size_t len = 0; len < sig.size(); len++) {
        EXPECT_FALSE(verify_signature(alg, key, kInput, sig.substr(0, len))) << algorithm_name(alg) << " len " << len;
        // The tail instead of the head, too (a dropped leading byte).
        EXPECT_FALSE(verify_signature(alg, key, kInput, sig.substr(sig.size() - len))) << algorithm_name(alg) << " tail " << len;
    }
    EXPECT_FALSE(verify_signature(alg, key, kInput, sig + std::string(1, '\0')));
    EXPECT_FALSE(verify_signature(alg, key, kInput, std::string(1, '\0') + sig));
    EXPECT_FALSE(verify_signature(alg, key, kInput, sig + sig));
}

TEST_P(EachAlgorithm, OtherInputKeyOrAlgorithmIsRefused) {
    const Algorithm alg = GetParam();
    PublicKey key = key_for(alg);
    const std::string sig = sign(alg, kInput);
    std::string other_input = kInput;
    other_input.back() = other_input.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_signature(alg, key, other_input, sig));
    EXPECT_FALSE(verify_signature(alg, key, "", sig));
    EXPECT_FALSE(verify_signature(alg, key, kInput, std::string(sig.size(), '\0')));
    // No key of another algorithm's kind verifies it, and the key verifies
    // nothing under another algorithm.
    for (Algorithm other : kAllAlgorithms) {
        if (other == alg) continue;
        EXPECT_FALSE(verify_signature(other, key, kInput, sig)) << algorithm_name(alg) << " as " << algorithm_name(other);
        if (std::string_view(key_kind_for(other)) != key_kind_for(alg)) {
            PublicKey other_key = key_for(other);
            EXPECT_FALSE(verify_signature(alg, other_key, kInput, sig))
                << algorithm_name(alg) << " with a key for " << algorithm_name(other);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(All, EachAlgorithm, ::testing::ValuesIn(kAllAlgorithms),
                         [](const ::testing::TestParamInfo<Algorithm> &info) {
                             return std::string(algorithm_name(info.param));
                         });

TEST(Signatures, EmptySignatureIsRefusedForEveryAlgorithm) {
    for (Algorithm alg : kAllAlgorithms) {
        PublicKey key = key_for(alg);
        EXPECT_FALSE(verify_signature(alg, key, kInput, "")) << algorithm_name(alg);
        EXPECT_FALSE(verify_signature(alg, key, "", "")) << algorithm_name(alg);
    }
}

// ---- ECDSA special values (catalogue S2, S3) ----------------------------------

namespace {

std::string order_of(const char *kind) {
    return bn_param(cached_key(kind), OSSL_PKEY_PARAM_EC_ORDER);
}

std::string pad(std::string bytes, std::size_t size) { return std::string(size - bytes.size(), '\0') + bytes; }

// n - s, size bytes.
std::string negate_mod(const std::string &s, const std::string &n) {
    BnPtr bn_s(BN_bin2bn(reinterpret_cast<const unsigned char *>(s.data()), static_cast<int>(s.size()), nullptr));
    BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char *>(n.data()), static_cast<int>(n.size()), nullptr));
    BnPtr out(BN_new());
    BN_sub(out.get(), bn_n.get(), bn_s.get());
    std::string bytes(s.size(), '\0');
    BN_bn2binpad(out.get(), reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(bytes.size()));
    return bytes;
}

}  // namespace

TEST(EcdsaSpecialValues, ZeroOrderAndMalformedSignaturesAreRefused) {
    struct Case {
        Algorithm alg;
        const char *kind;
        std::size_t size;
    } cases[] = {{Algorithm::ES256, "P-256", 32}, {Algorithm::ES384, "P-384", 48}, {Algorithm::ES512, "P-521", 66}};
    for (const Case &c : cases) {
        const std::string name(algorithm_name(c.alg));
        PublicKey key = key_for(c.alg);
        const std::string sig = sign(c.alg, kInput);
        ASSERT_TRUE(verify_signature(c.alg, key, kInput, sig)) << name;
        const std::string r = sig.substr(0, c.size), s = sig.substr(c.size);
        const std::string zero(c.size, '\0');
        const std::string n = pad(order_of(c.kind), c.size);
        const std::string one = pad(std::string(1, '\x01'), c.size);

        // r = s = 0 (CVE-2022-21449), r = s = n, and each of r, s zero or n alone.
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, zero + zero)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, n + n)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, r + zero)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, zero + s)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, r + n)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, n + s)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, one + one)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, std::string(2 * c.size, '\xff'))) << name;
        // r and s swapped.
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, s + r)) << name;
        // DER instead of R||S: the valid signature, other encoding.
        const std::string der = jws_to_der(sig);
        EXPECT_TRUE(evp_verify(cached_key(c.kind), mastra_auth::test::digest_for(c.alg), kInput, der)) << name;
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, der)) << name;
        // 00||r||00||s and r||s minus a leading zero byte each: other lengths.
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, std::string(1, '\0') + r + std::string(1, '\0') + s)) << name;
        // The high-S twin (n - s) is a valid ECDSA signature too (catalogue S3).
        EXPECT_TRUE(verify_signature(c.alg, key, kInput, r + negate_mod(s, n))) << name;
    }
    // "MAYCAQACAQA": DER of r = s = 0.
    PublicKey key = key_for(Algorithm::ES256);
    EXPECT_FALSE(verify_signature(Algorithm::ES256, key, kInput, unb64u("MAYCAQACAQA")));
}

// ---- RSA lengths and PSS salt (catalogue S4) -----------------------------------

TEST(RsaSignatures, LengthMustEqualTheModulusLength) {
    PublicKey key = key_for(Algorithm::RS256);
    const std::string sig = sign(Algorithm::RS256, kInput);
    ASSERT_EQ(sig.size(), 256u);
    EXPECT_FALSE(verify_signature(Algorithm::RS256, key, kInput, sig.substr(1)));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, key, kInput, std::string(1, '\0') + sig));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, key, kInput, sig + std::string(1, '\0')));

    // A signature whose integer has a leading zero byte: the same number in
    // 255 bytes is still refused (RFC 7518 3.3: the octet length of n).
    bool found = false;
    for (int i = 0; i < 4000 && !found; i++) {
        const std::string input = kInput + std::to_string(i);
        const std::string s = sign(Algorithm::RS256, input);
        if (s[0] != '\0') continue;
        found = true;
        EXPECT_TRUE(verify_signature(Algorithm::RS256, key, input, s));
        EXPECT_FALSE(verify_signature(Algorithm::RS256, key, input, s.substr(1)));
        EXPECT_FALSE(verify_signature(Algorithm::RS256, key, input, std::string(1, '\0') + s));
    }
    EXPECT_TRUE(found) << "no RS256 signature with a leading zero byte in 4000 tries";
}

TEST(RsaSignatures, PssSaltMustBeTheHashLength) {
    PublicKey key = key_for(Algorithm::PS256);
    EVP_PKEY *priv = cached_key("RSA-2048");
    struct Case {
        Algorithm alg;
        int good_salt;
        std::vector<int> bad_salts;
    } cases[] = {
        {Algorithm::PS256, 32, {0, 20, 31, 33, 48, 64}},
        {Algorithm::PS384, 48, {0, 20, 32, 47, 49, 64}},
        {Algorithm::PS512, 64, {0, 20, 32, 48, 63, 65}},
    };
    for (const Case &c : cases) {
        EXPECT_TRUE(verify_signature(c.alg, key, kInput, evp_sign(priv, c.alg, kInput, c.good_salt)))
            << algorithm_name(c.alg);
        for (int salt : c.bad_salts) {
            const std::string sig = evp_sign(priv, c.alg, kInput, salt);
            EXPECT_FALSE(verify_signature(c.alg, key, kInput, sig)) << algorithm_name(c.alg) << " salt " << salt;
        }
    }
    // MGF1 over another hash than the signature's.
    EXPECT_FALSE(verify_signature(Algorithm::PS256, key, kInput,
                                  evp_sign(priv, Algorithm::PS256, kInput, 32, nullptr, EVP_sha1())));
    EXPECT_FALSE(verify_signature(Algorithm::PS256, key, kInput,
                                  evp_sign(priv, Algorithm::PS256, kInput, 32, nullptr, EVP_sha512())));
    // PKCS#1 v1.5 and PSS do not stand in for each other.
    EXPECT_FALSE(verify_signature(Algorithm::PS256, key, kInput, sign(Algorithm::RS256, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, key, kInput, sign(Algorithm::PS256, kInput)));
}

// ---- key / algorithm pinning (catalogue K3) -------------------------------------

TEST(KeyPinning, AlgorithmsNeedTheirKeyTypeAndCurve) {
    PublicKey rsa = key_for(Algorithm::RS256);
    PublicKey p256 = key_for(Algorithm::ES256);
    PublicKey p384 = key_for(Algorithm::ES384);
    PublicKey ed = key_for(Algorithm::EdDSA);

    // RS256 with an EC key; EdDSA with an RSA key; ES256 with an RSA key.
    EXPECT_FALSE(verify_signature(Algorithm::RS256, p256, kInput, sign(Algorithm::RS256, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::EdDSA, rsa, kInput, sign(Algorithm::EdDSA, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, rsa, kInput, sign(Algorithm::ES256, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, ed, kInput, sign(Algorithm::RS256, kInput)));

    // ES256 with a P-384 key: the P-384 key's own ECDSA-over-SHA-256
    // signature is valid for OpenSSL, yet not an ES256 signature.
    const std::string p384_sha256 = evp_sign(cached_key("P-384"), Algorithm::ES256, kInput, -1, EVP_sha256());
    ASSERT_TRUE(evp_verify(cached_key("P-384"), EVP_sha256(), kInput, p384_sha256));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, p384, kInput, der_to_jws(p384_sha256, 48)));
    EXPECT_FALSE(verify_signature(Algorithm::ES384, p384, kInput, der_to_jws(p384_sha256, 48)));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, p384, kInput, der_to_jws(p384_sha256, 32)));
    // ES384 with a P-256 key, the same way round.
    const std::string p256_sha384 = evp_sign(cached_key("P-256"), Algorithm::ES384, kInput, -1, EVP_sha384());
    ASSERT_TRUE(evp_verify(cached_key("P-256"), EVP_sha384(), kInput, p256_sha384));
    EXPECT_FALSE(verify_signature(Algorithm::ES384, p256, kInput, der_to_jws(p256_sha384, 32)));
    EXPECT_FALSE(verify_signature(Algorithm::ES384, p256, kInput, der_to_jws(p256_sha384, 48)));

    // HS256 "signed" with the RSA public key as the secret (CVE-2015-9235).
    for (const std::string &secret : {public_pem(cached_key("RSA-2048")), public_der(cached_key("RSA-2048")),
                                      public_jwk(cached_key("RSA-2048")).dump()}) {
        const std::string mac = mastra_auth::hmac_sign(Algorithm::HS256, secret, kInput);
        EXPECT_FALSE(verify_signature(Algorithm::HS256, rsa, kInput, mac));
        EXPECT_FALSE(verify_signature(Algorithm::HS256, p256, kInput, mac));
    }
}

TEST(KeyPinning, FamilyIsCheckedEvenWhenAllowedBitsSayOtherwise) {
    // A key whose bit set was (wrongly) widened: the family still decides.
    PublicKey rsa = key_for(Algorithm::RS256);
    rsa.allowed = all_algorithm_bits();
    EXPECT_FALSE(verify_signature(Algorithm::HS256, rsa, kInput, std::string(32, '\0')));
    EXPECT_FALSE(verify_signature(Algorithm::HS256, rsa, kInput,
                                  mastra_auth::hmac_sign(Algorithm::HS256, public_pem(cached_key("RSA-2048")), kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::EdDSA, rsa, kInput, sign(Algorithm::EdDSA, kInput)));

    PublicKey ec = key_for(Algorithm::ES256);
    ec.allowed = all_algorithm_bits();
    EXPECT_FALSE(verify_signature(Algorithm::RS256, ec, kInput, sign(Algorithm::RS256, kInput)));

    PublicKey oct = key_for(Algorithm::HS256);
    oct.allowed = all_algorithm_bits();
    EXPECT_FALSE(verify_signature(Algorithm::RS256, oct, kInput, sign(Algorithm::RS256, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, oct, kInput, mastra_auth::hmac_sign(Algorithm::HS256, kOctSecret, kInput)));
}

TEST(KeyPinning, NamedAlgIsTheOnlyOneTheKeyVerifies) {
    PublicKey rs256 = key_from_jwk(with_alg(public_jwk(cached_key("RSA-2048")), "RS256"));
    EXPECT_TRUE(verify_signature(Algorithm::RS256, rs256, kInput, sign(Algorithm::RS256, kInput)));
    for (Algorithm other : {Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512})
        EXPECT_FALSE(verify_signature(other, rs256, kInput, sign(other, kInput))) << algorithm_name(other);

    PublicKey hs256 = key_from_jwk(Json{{"kty", "oct"}, {"k", b64u(kOctSecret)}, {"alg", "HS256"}}, KeySource::Local);
    EXPECT_TRUE(verify_signature(Algorithm::HS256, hs256, kInput, sign(Algorithm::HS256, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::HS512, hs256, kInput, sign(Algorithm::HS512, kInput)));
    // An HS512 tag cut to 32 bytes is no HS256 tag.
    EXPECT_FALSE(verify_signature(Algorithm::HS256, hs256, kInput, sign(Algorithm::HS512, kInput).substr(0, 32)));
}
