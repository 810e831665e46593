// Registered claim checks (RFC 7519 section 4.1) with the clock passed in.
#ifndef MASTRA_AUTH_CLAIMS_H
#define MASTRA_AUTH_CLAIMS_H

#include <cstdint>
#include <string>
#include <vector>

#include "mastra_auth/json_scan.h"
#include "mastra_auth/status.h"

namespace mastra_auth {

struct ClaimPolicy {
    std::int64_t leeway = 0;               // seconds, for exp, nbf and iat
    std::vector<std::string> issuers;      // empty: iss not checked
    std::vector<std::string> audiences;    // empty: aud not checked
};

// exp, nbf and iat must be non-negative finite numbers when present; sub, iss
// must be strings; aud a string or an array of strings.  Then:
// now < exp + leeway, now >= nbf - leeway, iat <= now + leeway, iss equal to one
// configured issuer, and aud holding one configured audience.  On Ok,
// valid_until (when given) is the first second at which the token is no
// longer valid by its exp (the largest int64 without one).
Status check_claims(const JsonObjectScan &payload, const ClaimPolicy &policy, std::int64_t now,
                    std::int64_t *valid_until = nullptr) noexcept;

}  // namespace mastra_auth

#endif
