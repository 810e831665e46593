// Decryption of a compact JWE (RFC 7516 section 7.1) with a direct key
// ("alg":"dir") and AES_256_CBC_HMAC_SHA_512 ("enc":"A256CBC-HS512", RFC 7518
// section 5.2.5): the one form Better Auth's cookie cache (strategy "jwe")
// takes.  Nothing else is accepted.
#ifndef MASTRA_AUTH_JWE_H
#define MASTRA_AUTH_JWE_H

#include <cstddef>
#include <string>
#include <string_view>

namespace mastra_auth {

// HKDF (RFC 5869) with SHA-256: len bytes of key material into out.
bool hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info,
                 unsigned char *out, std::size_t len) noexcept;

// The RFC 7638 thumbprint (SHA-256, base64url) of a symmetric JWK holding
// key: what jose's calculateJwkThumbprint gives for {"kty":"oct","k":...}.
std::string oct_jwk_thumbprint(std::string_view key);

// The plaintext of token under the 64-byte key (MAC key, then AES key).
// The header must be exactly {"alg":"dir","enc":"A256CBC-HS512"} with at
// most a "kid" (equal to kid when one is given), "typ" and "cty" beside;
// the encrypted key empty, the IV 16 bytes, the tag 32 bytes, compared in
// constant time before anything is decrypted.  False, with why (a fixed
// text, never a value of the token) when anything does not hold.
bool jwe_decrypt(std::string_view token, std::string_view key, std::string_view kid,
                 std::string &plaintext, std::string_view &why) noexcept;

}  // namespace mastra_auth

#endif
