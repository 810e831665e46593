#include "mastra_auth/verifier.h"

#include "mastra_auth/algorithm.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/jwt.h"
#include "mastra_auth/public_key.h"

#include <openssl/rand.h>

#include <cstring>

namespace mastra_auth {

namespace {

// Keys are looked up per set: the cache key is (set, kid), never the
// kid alone (RFC 8725 3.8).
Status check_signature(Algorithm alg, const Jwt &jwt, const std::vector<const KeySet *> &sets,
                       KeySupply supply) {
    std::string_view kid(jwt.kid);
    std::vector<const PublicKey *> candidates;
    bool any_set_knows_kid = false;
    bool kid_named = false;
    for (const KeySet *set : sets) {
        bool kid_known = false;
        for (const PublicKey *key : set->candidates(kid, alg, kid_known)) candidates.push_back(key);
        any_set_knows_kid = any_set_knows_kid || kid_known;
        kid_named = kid_named || (!kid.empty() && set->holds_kid(kid));
    }
    if (!any_set_knows_kid) return Status::UnknownKey;

    // Where a key server supplies keys, the key this token needs may not be
    // held yet: a set not fetched yet may hold any key, and a rotation brings
    // kids no held key carries (a kid-less static key beside the set takes
    // any kid, but does not know it).  Such a token is UnknownKey, which
    // waits for the fetch or asks for the refetch, rather than a refusal
    // made over the keys that happen to be held.  A token naming no kid
    // gets what a fetched set holds: it asks for no refetch.  Key servers
    // never supply HMAC keys (remote sets drop "oct" members), so an HS*
    // token is settled by the static keys alone.
    bool may_arrive = (bit_of(alg) & kHmacAlgorithms) == 0 &&
                      (supply == KeySupply::Pending ||
                       (supply == KeySupply::Fetched && !kid.empty() && !kid_named));

    // Keys exist for this kid (or none was asked) but none may verify
    // this algorithm: the HS256-with-an-RSA-key forgery ends here.
    if (candidates.empty()) return may_arrive ? Status::UnknownKey : Status::AlgorithmNotAllowed;

    for (const PublicKey *key : candidates)
        if (verify_signature(alg, *key, jwt.signing_input, jwt.signature)) return Status::Ok;
    return may_arrive ? Status::UnknownKey : Status::BadSignature;
}

}  // namespace

JwsVerifier::JwsVerifier(unsigned algorithms, ClaimPolicy policy)
    : algorithms_(algorithms), policy_(std::move(policy)) {
    // Should the generator fail, the scope still differs per verifier by
    // its address, and stays unpredictable enough for a cache that is
    // consulted only by tokens that verified under this very verifier.
    if (RAND_bytes(scope_, sizeof(scope_)) != 1) {
        const void *self = this;
        std::memset(scope_, 0, sizeof(scope_));
        std::memcpy(scope_, &self, sizeof(self));
    }
}

void JwsVerifier::cache_key(std::string_view token, unsigned char out[32]) const noexcept {
    // A key no token maps to (all 0xff) rather than a half-written one; the
    // cache then finds nothing or stores under a key nobody looks up twice.
    unsigned int len = 0;
    if (!sha2_hash(Algorithm::HS256, std::string_view(reinterpret_cast<const char *>(scope_), sizeof(scope_)),
                   token, out, len) ||
        len != 32)
        std::memset(out, 0xff, 32);
}

Status JwsVerifier::verify(std::string_view token, std::int64_t now,
                           const std::vector<const KeySet *> &sets,
                           Identity &identity, Signature signature,
                           KeySupply supply) const noexcept {
    try {
        // One parse per request on the worker's thread: the texts and member
        // lists keep their capacity from the last token, so a request costs
        // no allocation here (parse_jwt overwrites every field it sets).
        static thread_local Jwt jwt;
        Status status = parse_jwt(token, jwt, signature == Signature::Check);
        if (status != Status::Ok) return status;

        // Unverified values, kept only for the log line, made safe for it.
        identity.alg = log_safe(jwt.alg);
        identity.kid = log_safe(jwt.kid);
        std::string storage;
        std::string_view text;
        if (const JsonMember *iss = jwt.payload.find("iss");
            iss && iss->kind == JsonKind::String && json_string_view(iss->value, storage, text))
            identity.iss = log_safe(text);

        // The algorithm is pinned by the configuration, never taken on the
        // token's word: "none" and anything not allowed here stop now.
        Algorithm alg;
        if (!algorithm_from_name(jwt.alg, alg) || (algorithms_ & bit_of(alg)) == 0)
            return Status::AlgorithmNotAllowed;

        if (signature == Signature::Check) {
            Status checked = check_signature(alg, jwt, sets, supply);
            if (checked != Status::Ok) return checked;
        }

        status = check_claims(jwt.payload, policy_, now, &identity.valid_until);
        if (status != Status::Ok) return status;

        // What goes into variables (and so into upstream headers) is made
        // header-safe; JSON escapes every control byte but DEL.
        if (const JsonMember *sub = jwt.payload.find("sub");
            sub && sub->kind == JsonKind::String && json_string_view(sub->value, storage, text))
            identity.user = header_safe(text);
        if (const JsonMember *email = jwt.payload.find("email");
            email && email->kind == JsonKind::String && json_string_view(email->value, storage, text))
            identity.email = header_safe(text);
        identity.set_claims_text(jwt.payload_text);   // a copy: the scratch keeps its own
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
