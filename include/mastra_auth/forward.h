// Identity to the upstream (mastra_auth_forward_jwt): a short-lived HS256
// token minted per authenticated request, so that a Mastra server behind
// nginx runs plain MastraJwtAuth with the forwarding secret and still knows
// the user, whatever the edge provider was.
#ifndef MASTRA_AUTH_FORWARD_H
#define MASTRA_AUTH_FORWARD_H

#include <cstdint>
#include <string>
#include <vector>

#include "mastra_auth/identity.h"

namespace mastra_auth {

inline constexpr const char *kForwardIssuer = "nginx-mastra-auth";

class Forwarder {
public:
    Forwarder(std::string secret, std::int64_t ttl, std::vector<std::string> claims)
        : secret_(std::move(secret)), ttl_(ttl), claims_(std::move(claims)) {}
    ~Forwarder();
    Forwarder(const Forwarder &) = delete;
    Forwarder &operator=(const Forwarder &) = delete;

    // {"alg":"HS256","typ":"JWT"} . {sub, email, iss, iat, exp, listed
    // claims copied as they are} . HMAC; empty when nothing verified.
    std::string mint(const Identity &identity, std::int64_t now) const;

private:
    std::string secret_;
    std::int64_t ttl_;
    std::vector<std::string> claims_;
};

}  // namespace mastra_auth

#endif
