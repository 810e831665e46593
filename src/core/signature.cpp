#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "mastra_auth/hmac.h"
#include "mastra_auth/public_key.h"

namespace mastra_auth {

void EvpPkeyDeleter::operator()(EVP_PKEY *key) const noexcept { EVP_PKEY_free(key); }

PublicKey::~PublicKey() {
    if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

namespace {

const EVP_MD *digest_of(Algorithm alg) {
    // HS* go through hmac.cpp; EdDSA hashes itself
    return family_of(alg) == KeyFamily::Oct ? nullptr : sha2_digest(alg);
}

// Size of one ECDSA coordinate for the ES algorithms (RFC 7518 3.4).
std::size_t ecdsa_coordinate_size(Algorithm alg) {
    switch (alg) {
    case Algorithm::ES256: return 32;
    case Algorithm::ES384: return 48;
    case Algorithm::ES512: return 66;
    default: return 0;
    }
}

// JWS carries ECDSA signatures as R||S of exactly twice the coordinate size;
// OpenSSL wants DER.  A signature of any other length is refused here: split
// in half without this check, Wycheproof's "incorrect size" vectors pass.
bool ecdsa_jws_to_der(Algorithm alg, std::string_view signature, std::string &der) {
    const std::size_t n = ecdsa_coordinate_size(alg);
    if (n == 0 || signature.size() != 2 * n) return false;
    const auto *bytes = reinterpret_cast<const unsigned char *>(signature.data());
    BIGNUM *r = BN_bin2bn(bytes, static_cast<int>(n), nullptr);
    BIGNUM *s = BN_bin2bn(bytes + n, static_cast<int>(n), nullptr);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    if (r == nullptr || s == nullptr || sig == nullptr) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return false;
    }
    ECDSA_SIG_set0(sig, r, s);   // sig owns r and s from here
    unsigned char *out = nullptr;
    int len = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char *>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return true;
}

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX *ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// The RSA padding an algorithm names, on a verify context (nothing to set
// for ECDSA and EdDSA).
bool set_padding(EVP_PKEY_CTX *pctx, Algorithm alg, const EVP_MD *md) {
    switch (alg) {
    case Algorithm::RS256: case Algorithm::RS384: case Algorithm::RS512:
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    case Algorithm::PS256: case Algorithm::PS384: case Algorithm::PS512:
        // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash.
        // The default (auto) salt length accepts Wycheproof's invalid vectors.
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    default:
        return true;
    }
}

bool evp_verify(Algorithm alg, EVP_PKEY *pkey, std::string_view input, std::string_view signature) {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (!ctx) return false;
    EVP_PKEY_CTX *pctx = nullptr;   // owned by ctx
    const EVP_MD *md = alg == Algorithm::EdDSA ? nullptr : digest_of(alg);
    if (alg != Algorithm::EdDSA && md == nullptr) return false;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey) != 1) return false;
    if (!set_padding(pctx, alg, md)) return false;
    // Only 1 is success: 0 is a bad signature, negative values are errors
    // (cloudendpoints/esp#874 took -1 for valid).
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char *>(input.data()), input.size()) == 1;
}

}  // namespace

PreparedVerify::~PreparedVerify() {
    for (EVP_PKEY_CTX *ctx : ctx_) EVP_PKEY_CTX_free(ctx);
}

int PreparedVerify::verify(Algorithm alg, EVP_PKEY *pkey, std::string_view input,
                           std::string_view signature) const noexcept {
    const int index = static_cast<int>(alg);
    const EVP_MD *md = digest_of(alg);
    if (index < 0 || index >= kAlgorithms || md == nullptr || pkey == nullptr) return -1;

    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (!lock.owns_lock()) return -1;

    EVP_PKEY_CTX *&ctx = ctx_[index];
    if (ctx == nullptr) {
        EVP_PKEY_CTX *fresh = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
        bool ok = fresh != nullptr && EVP_PKEY_verify_init(fresh) == 1 &&
                  EVP_PKEY_CTX_set_signature_md(fresh, md) == 1 && set_padding(fresh, alg, md);
        if (!ok) {
            EVP_PKEY_CTX_free(fresh);
            return -1;
        }
        ctx = fresh;
    }

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!sha2_hash(alg, input, {}, digest, digest_len)) return -1;
    // Only 1 is success, as in evp_verify.
    return EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char *>(signature.data()),
                           signature.size(), digest, digest_len) == 1
               ? 1
               : 0;
}

bool verify_signature(Algorithm alg, const PublicKey &key, std::string_view input,
                      std::string_view signature) noexcept {
    try {
        if (!key.fits(alg) || family_of(alg) != key.family) return false;

        switch (key.family) {
        case KeyFamily::Oct:
            if (key.hmac) return key.hmac->verify(alg, input, signature);
            return hmac_verify(alg, key.secret, input, signature);

        case KeyFamily::Rsa:
            // An RSA signature is exactly as long as the modulus (no leading
            // zero trimmed or added).
            if (!key.pkey || signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get())))
                return false;
            if (key.prepared) {
                int verified = key.prepared->verify(alg, key.pkey.get(), input, signature);
                if (verified >= 0) return verified == 1;
            }
            return evp_verify(alg, key.pkey.get(), input, signature);

        case KeyFamily::Ec: {
            std::string der;
            if (!key.pkey || !ecdsa_jws_to_der(alg, signature, der)) return false;
            if (key.prepared) {
                int verified = key.prepared->verify(alg, key.pkey.get(), input, der);
                if (verified >= 0) return verified == 1;
            }
            return evp_verify(alg, key.pkey.get(), input, der);
        }

        case KeyFamily::Okp:
            if (!key.pkey || signature.size() != 64) return false;
            return evp_verify(alg, key.pkey.get(), input, signature);
        }
        return false;
    } catch (...) {
        return false;
    }
}

}  // namespace mastra_auth
