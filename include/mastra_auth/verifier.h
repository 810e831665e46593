// Verification of HMAC-signed tokens for the jwt provider (MastraJwtAuth).
#ifndef MASTRA_AUTH_VERIFIER_H
#define MASTRA_AUTH_VERIFIER_H

#include <cstdint>
#include <string>
#include <string_view>

#include "mastra_auth/claims.h"
#include "mastra_auth/identity.h"
#include "mastra_auth/status.h"

namespace mastra_auth {

class HmacVerifier {
public:
    HmacVerifier(std::string secret, unsigned algorithms, ClaimPolicy policy);
    ~HmacVerifier();
    HmacVerifier(const HmacVerifier &) = delete;
    HmacVerifier &operator=(const HmacVerifier &) = delete;

    // Parse, algorithm pinning, signature, then claims (signature first:
    // nothing in an unsigned payload is looked at).  identity gets the header
    // fields as soon as they are known, and the claims on Ok.
    Status verify(std::string_view token, std::int64_t now, Identity &identity) const noexcept;

private:
    std::string secret_;
    unsigned algorithms_;
    ClaimPolicy policy_;
};

}  // namespace mastra_auth

#endif
