// Public keys for JWS verification: an OpenSSL key (or an HMAC secret) plus
// what the key may be used for, so that algorithms stay pinned to key types.
#ifndef MASTRA_AUTH_PUBLIC_KEY_H
#define MASTRA_AUTH_PUBLIC_KEY_H

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/hmac.h"

typedef struct evp_pkey_st EVP_PKEY;
struct evp_pkey_ctx_st;

namespace mastra_auth {

struct EvpPkeyDeleter {
    void operator()(EVP_PKEY *key) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// RSA moduli outside these bounds are refused (RFC 7518 3.3; 8725 3.5, 8.6).
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// Verification contexts of one public key, set up once per algorithm (key
// export to the provider, padding, digest): EVP_DigestVerifyInit per token
// spent about a third of an RS256 verification on that.  Used by one caller
// at a time; a second one meanwhile takes the one-shot path.
class PreparedVerify {
public:
    PreparedVerify() = default;
    ~PreparedVerify();
    PreparedVerify(const PreparedVerify &) = delete;
    PreparedVerify &operator=(const PreparedVerify &) = delete;

    // 1 valid, 0 invalid, -1 not done here (busy or not set up): the
    // caller then verifies the one-shot way.  signature as OpenSSL wants
    // it (DER for ECDSA).
    int verify(Algorithm alg, EVP_PKEY *pkey, std::string_view input,
               std::string_view signature) const noexcept;

private:
    static constexpr int kAlgorithms = 13;
    mutable std::mutex busy_;
    mutable evp_pkey_ctx_st *ctx_[kAlgorithms] = {};
};

struct PublicKey {
    KeyFamily family = KeyFamily::Oct;
    std::string kid;                    // empty when the key has none
    std::optional<Algorithm> alg;       // the one algorithm the key names, if any
    unsigned allowed = 0;               // bit set of algorithms this key may verify
    EvpPkeyPtr pkey;                    // RSA, EC, Ed25519
    std::string secret;                 // oct keys only
    std::shared_ptr<const HmacKey> hmac;  // oct keys in a KeySet: the prepared secret
    std::shared_ptr<const PreparedVerify> prepared;   // RSA and EC keys in a KeySet

    PublicKey() = default;
    PublicKey(PublicKey &&) noexcept = default;
    PublicKey &operator=(PublicKey &&) noexcept = default;
    ~PublicKey();

    // The key may verify alg: family, curve and a named alg all agree.
    bool fits(Algorithm a) const noexcept { return (allowed & bit_of(a)) != 0; }
};

// Verifies a JWS signature over input with key for alg; true only for an
// OpenSSL answer of exactly 1 and after the key/alg pinning and the exact
// signature length checks (R||S for ECDSA, modulus length for RSA).
bool verify_signature(Algorithm alg, const PublicKey &key, std::string_view input,
                      std::string_view signature) noexcept;

}  // namespace mastra_auth

#endif
