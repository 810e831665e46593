// HMAC-SHA2 JWS signatures (RFC 7518 section 3.2), compared in constant time.
#ifndef MASTRA_AUTH_HMAC_H
#define MASTRA_AUTH_HMAC_H

#include <string>
#include <string_view>

#include "mastra_auth/algorithm.h"

namespace mastra_auth {

// The MAC of input under key; empty on an OpenSSL failure.
std::string hmac_sign(Algorithm alg, std::string_view key, std::string_view input);

// True only when signature is the full-length MAC of input under key.
bool hmac_verify(Algorithm alg, std::string_view key, std::string_view input,
                 std::string_view signature) noexcept;

}  // namespace mastra_auth

#endif
