// Helpers shared by the key tests: keys are generated here with OpenSSL EVP,
// exported by hand (JWK members as BN bytes -> base64url, PEM/DER SPKI), and
// signatures are made with OpenSSL and turned into their JWS form.  Nothing
// here goes through the code under test except base64url_encode and
// hmac_sign (both tested on their own against fixed vectors).
#ifndef MASTRA_AUTH_TEST_KEY_HELPERS_H
#define MASTRA_AUTH_TEST_KEY_HELPERS_H

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/public_key.h"

namespace mastra_auth::test {

using Json = nlohmann::json;

struct BnFree {
    void operator()(BIGNUM *bn) const noexcept { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX *ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX *ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct BioFree {
    void operator()(BIO *bio) const noexcept { BIO_free(bio); }
};

inline std::string b64u(std::string_view bytes) { return base64url_encode(bytes); }

inline std::string unb64u(std::string_view text) {
    std::string out;
    EXPECT_TRUE(base64url_decode(text, out)) << text;
    return out;
}

// ---- key generation -------------------------------------------------------

inline EvpPkeyPtr generate_rsa(unsigned bits) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
    EXPECT_TRUE(key) << "RSA keygen " << bits;
    return key;
}

// curve: "P-256", "P-384", "P-521", "secp256k1", ...
inline EvpPkeyPtr generate_ec(const char *curve) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    EXPECT_TRUE(key) << "EC keygen " << curve;
    return key;
}

// type: "ED25519", "ED448", "X25519", "X448"
inline EvpPkeyPtr generate_raw(const char *type) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
    EXPECT_TRUE(key) << "keygen " << type;
    return key;
}

// Keys are slow to make (RSA): each test binary keeps one of each kind.
inline EVP_PKEY *cached_key(const std::string &kind) {
    static std::map<std::string, EvpPkeyPtr> cache;
    auto it = cache.find(kind);
    if (it != cache.end()) return it->second.get();
    // "P-256-other", "RSA-2048-attacker": a second key of the same kind.
    std::string base = kind;
    for (const char *suffix : {"-other", "-third", "-attacker"}) {
        const std::string s(suffix);
        if (base.size() > s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0)
            base.resize(base.size() - s.size());
    }
    EvpPkeyPtr key;
    if (base.rfind("RSA-", 0) == 0)
        key = generate_rsa(static_cast<unsigned>(std::stoul(base.substr(4))));
    else if (base.rfind("P-", 0) == 0 || base == "secp256k1")
        key = generate_ec(base.c_str());
    else
        key = generate_raw(base.c_str());
    EVP_PKEY *raw = key.get();
    cache.emplace(kind, std::move(key));
    return raw;
}

// ---- export ---------------------------------------------------------------

inline std::string bn_param(const EVP_PKEY *key, const char *name, int pad = 0) {
    BIGNUM *bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
        ADD_FAILURE() << "no BN parameter " << name;
        return {};
    }
    BnPtr owned(bn);
    int len = pad > 0 ? pad : BN_num_bytes(bn);
    std::string out(static_cast<std::size_t>(len), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), len);
    return out;
}

// The JWK of a public key, members exported by hand (RFC 7518 6.2, 6.3; RFC 8037 2).
inline Json public_jwk(const EVP_PKEY *key) {
    Json jwk;
    if (EVP_PKEY_is_a(key, "RSA")) {
        jwk["kty"] = "RSA";
        jwk["n"] = b64u(bn_param(key, OSSL_PKEY_PARAM_RSA_N));
        jwk["e"] = b64u(bn_param(key, OSSL_PKEY_PARAM_RSA_E));
    } else if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {0};
        std::size_t len = 0;
        EXPECT_EQ(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len), 1);
        const std::string g(group, len);
        int size = 0;
        if (g == "prime256v1") {
            jwk["crv"] = "P-256";
            size = 32;
        } else if (g == "secp384r1") {
            jwk["crv"] = "P-384";
            size = 48;
        } else if (g == "secp521r1") {
            jwk["crv"] = "P-521";
            size = 66;
        } else {
            jwk["crv"] = g;   // e.g. secp256k1, for refusal tests
            size = (EVP_PKEY_get_bits(key) + 7) / 8;
        }
        jwk["kty"] = "EC";
        jwk["x"] = b64u(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
        jwk["y"] = b64u(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
    } else {
        jwk["kty"] = "OKP";
        jwk["crv"] = EVP_PKEY_is_a(key, "ED25519") ? "Ed25519"
                     : EVP_PKEY_is_a(key, "ED448") ? "Ed448"
                     : EVP_PKEY_is_a(key, "X25519") ? "X25519"
                                                    : "X448";
        unsigned char raw[64];
        std::size_t len = sizeof(raw);
        EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, raw, &len), 1);
        jwk["x"] = b64u(std::string(reinterpret_cast<char *>(raw), len));
    }
    return jwk;
}

inline std::string public_pem(const EVP_PKEY *key) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), const_cast<EVP_PKEY *>(key)), 1);
    char *data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

inline std::string public_der(const EVP_PKEY *key) {
    unsigned char *out = nullptr;
    int len = i2d_PUBKEY(const_cast<EVP_PKEY *>(key), &out);
    EXPECT_GT(len, 0);
    std::string der(reinterpret_cast<char *>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
}

// An RSA public key built from a modulus that is no product of primes: the
// parsers only look at n's size, so odd sizes (8193 bits...) cost no keygen.
inline EvpPkeyPtr rsa_from_n(const std::string &n_bytes, const std::string &e_bytes = "\x01\x00\x01") {
    BnPtr n(BN_bin2bn(reinterpret_cast<const unsigned char *>(n_bytes.data()), static_cast<int>(n_bytes.size()), nullptr));
    BnPtr e(BN_bin2bn(reinterpret_cast<const unsigned char *>(e_bytes.data()), static_cast<int>(e_bytes.size()), nullptr));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get());
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY *key = nullptr;
    EXPECT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
    EXPECT_EQ(EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return EvpPkeyPtr(key);
}

// bits random bits, top bit set, odd: a stand-in modulus of exactly that size.
inline std::string fake_modulus(int bits) {
    std::string n(static_cast<std::size_t>((bits + 7) / 8), '\0');
    RAND_bytes(reinterpret_cast<unsigned char *>(n.data()), static_cast<int>(n.size()));
    const int top = (bits - 1) % 8;   // the bit index of the top bit in byte 0
    n[0] = static_cast<char>((static_cast<unsigned char>(n[0]) & ((1u << (top + 1)) - 1)) | (1u << top));
    n.back() = static_cast<char>(n.back() | 1);
    return n;
}

// ---- signing ----------------------------------------------------------------

inline const EVP_MD *digest_for(Algorithm alg) {
    switch (alg) {
    case Algorithm::RS256: case Algorithm::PS256: case Algorithm::ES256: case Algorithm::HS256:
        return EVP_sha256();
    case Algorithm::RS384: case Algorithm::PS384: case Algorithm::ES384: case Algorithm::HS384:
        return EVP_sha384();
    case Algorithm::RS512: case Algorithm::PS512: case Algorithm::ES512: case Algorithm::HS512:
        return EVP_sha512();
    case Algorithm::EdDSA:
        return nullptr;
    }
    return nullptr;
}

// Raw OpenSSL signature (DER for ECDSA).  pss_salt: -1 = digest length.
// md_override replaces the hash (ECDSA over another curve's hash), mgf1 the
// PSS mask hash.
inline std::string evp_sign(EVP_PKEY *key, Algorithm alg, std::string_view input, int pss_salt = -1,
                            const EVP_MD *md_override = nullptr, const EVP_MD *mgf1 = nullptr) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;
    const EVP_MD *md = md_override ? md_override : digest_for(alg);
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key), 1);
    if (alg == Algorithm::PS256 || alg == Algorithm::PS384 || alg == Algorithm::PS512) {
        EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1 ? mgf1 : md), 1);
        EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt < 0 ? RSA_PSS_SALTLEN_DIGEST : pss_salt), 1);
    } else if (alg == Algorithm::RS256 || alg == Algorithm::RS384 || alg == Algorithm::RS512) {
        EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
    }
    std::size_t len = 0;
    const auto *in = reinterpret_cast<const unsigned char *>(input.data());
    EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()), 1);
    std::string sig(len, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len, in, input.size()), 1);
    sig.resize(len);
    return sig;
}

// OpenSSL's own verdict on a raw (DER for ECDSA) signature, PKCS#1 v1.5
// padding for RSA: a control that a refusal is the verifier's choice.
inline bool evp_verify(EVP_PKEY *key, const EVP_MD *md, std::string_view input, std::string_view sig) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char *>(input.data()), input.size()) == 1;
}

// DER ECDSA-Sig-Value -> JWS R||S, each padded to size bytes (RFC 7518 3.4).
inline std::string der_to_jws(const std::string &der, int size) {
    const auto *p = reinterpret_cast<const unsigned char *>(der.data());
    ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    EXPECT_NE(sig, nullptr);
    std::string out(static_cast<std::size_t>(2 * size), '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char *>(out.data()), size);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char *>(out.data()) + size, size);
    ECDSA_SIG_free(sig);
    return out;
}

// JWS R||S -> DER, for feeding OpenSSL directly.
inline std::string jws_to_der(const std::string &rs) {
    const std::size_t n = rs.size() / 2;
    const auto *bytes = reinterpret_cast<const unsigned char *>(rs.data());
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(bytes, static_cast<int>(n), nullptr),
                   BN_bin2bn(bytes + n, static_cast<int>(n), nullptr));
    unsigned char *out = nullptr;
    int len = i2d_ECDSA_SIG(sig, &out);
    std::string der(reinterpret_cast<char *>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    ECDSA_SIG_free(sig);
    return der;
}

inline int ecdsa_size(Algorithm alg) {
    return alg == Algorithm::ES256 ? 32 : alg == Algorithm::ES384 ? 48 : alg == Algorithm::ES512 ? 66 : 0;
}

// The JWS signature of input with key for alg (key is the oct secret for HS*).
inline std::string jws_sign(Algorithm alg, EVP_PKEY *key, std::string_view input, std::string_view secret = {}) {
    switch (family_of(alg)) {
    case KeyFamily::Oct:
        return hmac_sign(alg, secret, input);
    case KeyFamily::Ec:
        return der_to_jws(evp_sign(key, alg, input), ecdsa_size(alg));
    default:
        return evp_sign(key, alg, input);
    }
}

// The key kind each algorithm is tested with (cached_key names).
inline const char *key_kind_for(Algorithm alg) {
    switch (family_of(alg)) {
    case KeyFamily::Rsa: return "RSA-2048";
    case KeyFamily::Okp: return "ED25519";
    case KeyFamily::Oct: return "";
    case KeyFamily::Ec:
        return alg == Algorithm::ES256 ? "P-256" : alg == Algorithm::ES384 ? "P-384" : "P-521";
    }
    return "";
}

inline constexpr Algorithm kAllAlgorithms[] = {
    Algorithm::HS256, Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::RS384,
    Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256,
    Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA,
};

inline unsigned all_algorithm_bits() {
    unsigned bits = 0;
    for (Algorithm a : kAllAlgorithms) bits |= bit_of(a);
    return bits;
}

}  // namespace mastra_auth::test

#endif
