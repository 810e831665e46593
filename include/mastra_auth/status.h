// Outcomes of the core, one per reason code of $mastra_auth_error
// (docs/answers.md).
#ifndef MASTRA_AUTH_STATUS_H
#define MASTRA_AUTH_STATUS_H

namespace mastra_auth {

enum class Status : int {
    Ok = 0,
    TokenMissing,          // no token in any configured source
    TokenMalformed,        // not a well-formed compact JWS, or a claim of the wrong type
    BadSignature,          // the signature does not verify with the key
    TokenExpired,          // now >= exp + leeway
    TokenNotYetValid,      // now < nbf - leeway, or iat in the future beyond leeway
    IssuerMismatch,        // iss is not one of the configured issuers
    AudienceMismatch,      // aud holds none of the configured audiences
    UnknownKey,            // no key for this kid (triggers a refetch, never a pass)
    AlgorithmNotAllowed,   // alg is none, unknown, or not allowed for this key/location
    ClaimFailed,           // a mastra_auth_claim check failed
    RuleDenied,            // no mastra_auth_rule allowed the request
    KeysUnavailable,       // no keys could be had
    SessionInvalid,        // a Better Auth session was refused
    BadPath,               // the request path cannot be checked safely
    BetterAuthUnavailable, // Better Auth could not be asked about a session
    ConfigInvalid,         // a configuration value was refused
    InternalError,         // out of memory or an unexpected failure
    ScopeMissing,          // the token lacks a mastra_auth_scope
};

// The reason code, e.g. "token_expired"; never null.
const char *to_string(Status status) noexcept;

}  // namespace mastra_auth

#endif
