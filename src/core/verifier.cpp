#include "mastra_auth/verifier.h"

#include <openssl/crypto.h>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/jwt.h"

namespace mastra_auth {

HmacVerifier::HmacVerifier(std::string secret, unsigned algorithms, ClaimPolicy policy)
    : secret_(std::move(secret)), algorithms_(algorithms), policy_(std::move(policy)) {}

HmacVerifier::~HmacVerifier() {
    // Zero the key before the allocator sees the memory again.
    if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

Status HmacVerifier::verify(std::string_view token, std::int64_t now,
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
        // token's word: "none", RS256 and friends never reach a MAC check.
        Algorithm alg;
        if (!algorithm_from_name(jwt.alg, alg) || (algorithms_ & bit_of(alg)) == 0)
            return Status::AlgorithmNotAllowed;

        if (!hmac_verify(alg, secret_, jwt.signing_input, jwt.signature))
            return Status::BadSignature;

        status = check_claims(jwt.payload, policy_, now);
        if (status != Status::Ok) return status;

        auto sub = jwt.payload.find("sub");
        if (sub != jwt.payload.end() && sub->is_string()) identity.user = sub->get<std::string>();
        auto email = jwt.payload.find("email");
        if (email != jwt.payload.end() && email->is_string())
            identity.email = email->get<std::string>();
        identity.payload_text =
            jwt.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        identity.payload = std::move(jwt.payload);
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
