// JWS algorithms the core knows, by exact name (RFC 7518 section 3.1, RFC 8037,
// RFC 9864), and the key family each one needs.
#ifndef MASTRA_AUTH_ALGORITHM_H
#define MASTRA_AUTH_ALGORITHM_H

#include <cstddef>
#include <string_view>

namespace mastra_auth {

enum class Algorithm {
    HS256, HS384, HS512,   // HMAC-SHA2, oct keys only
    RS256, RS384, RS512,   // RSASSA-PKCS1-v1_5
    PS256, PS384, PS512,   // RSASSA-PSS, MGF1 with the same hash, salt = hash length
    ES256, ES384, ES512,   // ECDSA on P-256 / P-384 / P-521, R||S signatures
    EdDSA,                 // Ed25519 (also named "Ed25519", RFC 9864)
};

inline constexpr unsigned kHmacAlgorithms = 0x7u;   // HS256 | HS384 | HS512

enum class KeyFamily { Oct, Rsa, Ec, Okp };

inline constexpr unsigned bit_of(Algorithm a) { return 1u << static_cast<unsigned>(a); }

// False for every other name, "none" in any case included.
bool algorithm_from_name(std::string_view name, Algorithm &out) noexcept;

// The JOSE name ("EdDSA" for both spellings).
std::string_view algorithm_name(Algorithm a) noexcept;

// The key family an algorithm verifies with: pins algorithms to key types.
KeyFamily family_of(Algorithm a) noexcept;

// Output length of the HMAC of an HS algorithm, in bytes (0 for others).
std::size_t hmac_length(Algorithm a) noexcept;

}  // namespace mastra_auth

#endif
