// Verification of compact JWS tokens against a key set, with algorithms
// pinned twice: by the location (allowed set) and by each key (its type and
// its own "alg").
#ifndef MASTRA_AUTH_VERIFIER_H
#define MASTRA_AUTH_VERIFIER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mastra_auth/claims.h"
#include "mastra_auth/identity.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/status.h"

namespace mastra_auth {

class JwsVerifier {
public:
    JwsVerifier(unsigned algorithms, ClaimPolicy policy)
        : algorithms_(algorithms), policy_(std::move(policy)) {}

    // Parse, algorithm pinning, key selection, signature, then claims
    // (signature first: nothing in an unsigned payload is looked at).
    // identity gets the header fields as soon as they are known, and the
    // claims on Ok.  UnknownKey (a kid no key has) is kept apart from
    // BadSignature: the first may be cured by refetching the key set.
    // With ignore_kid, a token's kid does not select keys (a single
    // configured secret has no kid to match).
    // Several sets are united (mastra_auth_jwks_uri and _file repeated):
    // each keeps its own kids, UnknownKey means no set knows the kid.
    Status verify(std::string_view token, std::int64_t now, const std::vector<const KeySet *> &sets,
                  bool ignore_kid, Identity &identity) const noexcept;

private:
    unsigned algorithms_;
    ClaimPolicy policy_;
};

// The jwt provider (MastraJwtAuth): one shared secret for HS256/384/512.
class HmacVerifier {
public:
    HmacVerifier(std::string secret, unsigned algorithms, ClaimPolicy policy);
    HmacVerifier(const HmacVerifier &) = delete;
    HmacVerifier &operator=(const HmacVerifier &) = delete;

    Status verify(std::string_view token, std::int64_t now, Identity &identity) const noexcept {
        return verifier_.verify(token, now, {&keys_}, /*ignore_kid=*/true, identity);
    }

private:
    JwsVerifier verifier_;
    KeySet keys_;
};

}  // namespace mastra_auth

#endif
