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

// Whether a token's signature must be checked, or was checked before by the
// same verifier against keys that still hold (a verified-token cache hit).
enum class Signature { Check, KnownGood };

// What the key sets handed to a verification are.  Fixed: configured keys
// only (a secret, key files), so a kid no key carries never will be.
// Fetched: also every key server's set, as last fetched; a kid no key
// carries may come with a refetch.  Pending: some key server's set has not
// been fetched yet, and may hold the key any token needs.
enum class KeySupply { Fixed, Fetched, Pending };

class JwsVerifier {
public:
    JwsVerifier(unsigned algorithms, ClaimPolicy policy);

    // Parse, algorithm pinning, key selection, signature, then claims
    // (signature first: nothing in an unsigned payload is looked at).
    // identity gets the header fields as soon as they are known, and the
    // claims on Ok.  UnknownKey (a kid no key has; beside key servers also
    // any token their keys may yet serve, see KeySupply) is kept apart from
    // BadSignature and AlgorithmNotAllowed: a fetch or refetch may cure it.
    // A key without a kid (a secret, a PEM file) takes any token's kid.
    // Several sets are united (mastra_auth_jwks_uri and _file repeated):
    // each keeps its own kids, UnknownKey means no set knows the kid.
    // With Signature::KnownGood the keys are not looked at: everything else
    // (parse, algorithm pinning, claims at now) is checked as usual.
    Status verify(std::string_view token, std::int64_t now, const std::vector<const KeySet *> &sets,
                  Identity &identity,
                  Signature signature = Signature::Check,
                  KeySupply supply = KeySupply::Fixed) const noexcept;

    // The key of a token in a verified-token cache: SHA-256 over a random
    // value drawn when this verifier was made, then the whole token.  A
    // result kept for one verifier (its algorithms, issuers, audiences and
    // keys) never answers for another, nor after a reload.
    void cache_key(std::string_view token, unsigned char out[32]) const noexcept;

private:
    unsigned algorithms_;
    ClaimPolicy policy_;
    unsigned char scope_[16];
};

}  // namespace mastra_auth

#endif
