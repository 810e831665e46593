#include "mastra_auth/status.h"

namespace mastra_auth {

const char *to_string(Status status) noexcept {
    switch (status) {
    case Status::Ok: return "ok";
    case Status::TokenMissing: return "token_missing";
    case Status::TokenMalformed: return "token_malformed";
    case Status::BadSignature: return "bad_signature";
    case Status::TokenExpired: return "token_expired";
    case Status::TokenNotYetValid: return "token_not_yet_valid";
    case Status::IssuerMismatch: return "issuer_mismatch";
    case Status::AudienceMismatch: return "audience_mismatch";
    case Status::UnknownKey: return "unknown_key";
    case Status::AlgorithmNotAllowed: return "algorithm_not_allowed";
    case Status::ClaimFailed: return "claim_failed";
    case Status::RuleDenied: return "rule_denied";
    case Status::KeysUnavailable: return "keys_unavailable";
    case Status::SessionInvalid: return "session_invalid";
    case Status::BadPath: return "bad_path";
    case Status::BetterAuthUnavailable: return "better_auth_unavailable";
    case Status::ConfigInvalid: return "config_invalid";
    case Status::InternalError: return "internal_error";
    case Status::ScopeMissing: return "scope_missing";
    }
    return "internal_error";
}

}  // namespace mastra_auth
