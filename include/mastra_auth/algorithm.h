// JWS algorithms the core knows, by exact name (RFC 7518 section 3.1).
#ifndef MASTRA_AUTH_ALGORITHM_H
#define MASTRA_AUTH_ALGORITHM_H

#include <cstddef>
#include <string_view>

namespace mastra_auth {

enum class Algorithm { HS256, HS384, HS512 };

inline constexpr unsigned bit_of(Algorithm a) { return 1u << static_cast<unsigned>(a); }

// False for every other name, "none" in any case included.
bool algorithm_from_name(std::string_view name, Algorithm &out) noexcept;

// Output length of the HMAC of an algorithm, in bytes.
std::size_t hmac_length(Algorithm a) noexcept;

}  // namespace mastra_auth

#endif
