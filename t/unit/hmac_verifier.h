// The jwt provider (MastraJwtAuth) in the core's own terms, for the tests
// that drive it there: one shared secret for HS256/384/512 as a key set of
// one kid-less oct key, verified by a JwsVerifier with a fixed supply, as
// the shim builds it through the C seam (jwt_seam.h).
#ifndef MASTRA_AUTH_TEST_HMAC_VERIFIER_H
#define MASTRA_AUTH_TEST_HMAC_VERIFIER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/verifier.h"

namespace mastra_auth {

class HmacVerifier {
public:
    HmacVerifier(std::string secret, unsigned algorithms, ClaimPolicy policy)
        : verifier_(algorithms & kHmacAlgorithms, std::move(policy)) {
        PublicKey key;
        key.family = KeyFamily::Oct;
        key.allowed = algorithms & kHmacAlgorithms;
        key.secret = std::move(secret);   // zeroed by ~PublicKey
        keys_.add(std::move(key));
    }
    HmacVerifier(const HmacVerifier &) = delete;
    HmacVerifier &operator=(const HmacVerifier &) = delete;

    Status verify(std::string_view token, std::int64_t now, Identity &identity,
                  Signature signature = Signature::Check) const noexcept {
        return verifier_.verify(token, now, {&keys_}, identity, signature);
    }
    void cache_key(std::string_view token, unsigned char out[32]) const noexcept {
        verifier_.cache_key(token, out);
    }

private:
    JwsVerifier verifier_;
    KeySet keys_;
};

}  // namespace mastra_auth

#endif
