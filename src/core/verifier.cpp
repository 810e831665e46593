#include "mastra_auth/verifier.h"

#include "mastra_auth/algorithm.h"
#include "mastra_auth/jwt.h"
#include "mastra_auth/public_key.h"

namespace mastra_auth {

HmacVerifier::HmacVerifier(std::string secret, unsigned algorithms, ClaimPolicy policy)
    : verifier_(algorithms & kHmacAlgorithms, std::move(policy)) {
    PublicKey key;
    key.family = KeyFamily::Oct;
    key.allowed = algorithms & kHmacAlgorithms;
    key.secret = std::move(secret);   // zeroed by ~PublicKey
    keys_.add(std::move(key));
}

Status JwsVerifier::verify(std::string_view token, std::int64_t now,
                           const std::vector<const KeySet *> &sets, bool ignore_kid,
                           Identity &identity) const noexcept {
    try {
        Jwt jwt;
        Status status = parse_jwt(token, jwt);
        if (status != Status::Ok) return status;

        // Unverified values, kept only for the log line, made safe for it.
        identity.alg = log_safe(jwt.alg);
        identity.kid = log_safe(jwt.kid);
        auto iss = jwt.payload.find("iss");
        if (iss != jwt.payload.end() && iss->is_string())
            identity.iss = log_safe(iss->get_ref<const std::string &>());

        // The algorithm is pinned by the configuration, never taken on the
        // token's word: "none" and anything not allowed here stop now.
        Algorithm alg;
        if (!algorithm_from_name(jwt.alg, alg) || (algorithms_ & bit_of(alg)) == 0)
            return Status::AlgorithmNotAllowed;

        // Keys are looked up per set: the cache key is (set, kid), never the
        // kid alone (RFC 8725 3.8).
        std::string_view kid = ignore_kid ? std::string_view() : std::string_view(jwt.kid);
        std::vector<const PublicKey *> candidates;
        bool any_set_knows_kid = false;
        for (const KeySet *set : sets) {
            bool kid_known = false;
            for (const PublicKey *key : set->candidates(kid, alg, kid_known)) candidates.push_back(key);
            any_set_knows_kid = any_set_knows_kid || kid_known;
        }
        if (!any_set_knows_kid) return Status::UnknownKey;
        // Keys exist for this kid (or none was asked) but none may verify
        // this algorithm: the HS256-with-an-RSA-key forgery ends here.
        if (candidates.empty()) return Status::AlgorithmNotAllowed;

        bool verified = false;
        for (const PublicKey *key : candidates) {
            if (verify_signature(alg, *key, jwt.signing_input, jwt.signature)) {
                verified = true;
                break;
            }
        }
        if (!verified) return Status::BadSignature;

        status = check_claims(jwt.payload, policy_, now);
        if (status != Status::Ok) return status;

        // What goes into variables (and so into upstream headers) is made
        // header-safe; JSON escapes every control byte but DEL.
        auto sub = jwt.payload.find("sub");
        if (sub != jwt.payload.end() && sub->is_string())
            identity.user = header_safe(sub->get_ref<const std::string &>());
        auto email = jwt.payload.find("email");
        if (email != jwt.payload.end() && email->is_string())
            identity.email = header_safe(email->get_ref<const std::string &>());
        identity.payload_text =
            jwt.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        for (std::size_t at = identity.payload_text.find('\x7f'); at != std::string::npos;
             at = identity.payload_text.find('\x7f', at))
            identity.payload_text.replace(at, 1, "\\u007f");
        identity.payload = std::move(jwt.payload);
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
