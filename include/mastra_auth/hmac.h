// HMAC-SHA2 JWS signatures (RFC 7518 section 3.2), compared in constant time.
#ifndef MASTRA_AUTH_HMAC_H
#define MASTRA_AUTH_HMAC_H

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "mastra_auth/algorithm.h"

typedef struct evp_mac_ctx_st EVP_MAC_CTX;
typedef struct evp_md_st EVP_MD;

namespace mastra_auth {

// The SHA-2 digest of an algorithm (HS/RS/PS/ES 256/384/512), fetched from
// OpenSSL once per process: the legacy EVP_sha256() makes OpenSSL 3 look
// the implementation up again on every use.  nullptr for EdDSA.
const EVP_MD *sha2_digest(Algorithm alg) noexcept;

// The SHA-2 hash of an algorithm over first then second, with a digest
// context kept per thread (a fresh context per call cost more than hashing
// a short token): len bytes into out, which holds EVP_MAX_MD_SIZE (32 for
// a 256-bit algorithm).  False on an OpenSSL failure, out then unspecified.
bool sha2_hash(Algorithm alg, std::string_view first, std::string_view second, unsigned char *out,
               unsigned int &len) noexcept;

// The MAC of input under key; empty on an OpenSSL failure.
std::string hmac_sign(Algorithm alg, std::string_view key, std::string_view input);

// True only when signature is the full-length MAC of input under key.
bool hmac_verify(Algorithm alg, std::string_view key, std::string_view input,
                 std::string_view signature) noexcept;

// An HMAC key made ready once, when it is loaded: its padded inner and outer
// states are kept, so that a token costs only the hashing of its own bytes
// (a one-shot HMAC() spends most of its time on lookups and the key).
class HmacKey {
public:
    // nullptr when OpenSSL refuses (out of memory); hmac_verify still works.
    static std::shared_ptr<const HmacKey> prepare(std::string_view key, unsigned algorithms) noexcept;
    ~HmacKey();
    HmacKey(const HmacKey &) = delete;
    HmacKey &operator=(const HmacKey &) = delete;

    // As hmac_verify with the prepared key.  Safe from several threads: one
    // caller at a time reuses the working state, others work on a copy.
    bool verify(Algorithm alg, std::string_view input, std::string_view signature) const noexcept;

private:
    HmacKey() = default;
    struct State {
        EVP_MAC_CTX *keyed = nullptr;    // initialised with the key, never used directly
        EVP_MAC_CTX *work = nullptr;     // re-initialised per token
        mutable std::mutex busy;
    };
    State states_[3];                    // HS256, HS384, HS512
};

}  // namespace mastra_auth

#endif
