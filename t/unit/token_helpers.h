// Helpers shared by the unit tests: tokens are built and signed here, at test
// time, with the core's own encoder and MAC (both tested on their own against
// fixed vectors in base64url_test and hmac_test).
#ifndef MASTRA_AUTH_TEST_TOKEN_HELPERS_H
#define MASTRA_AUTH_TEST_TOKEN_HELPERS_H

#include <string>
#include <string_view>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"

namespace mastra_auth::test {

// 32 bytes: the shortest secret HS256 accepts (RFC 7518 section 3.2).
inline const std::string kSecret32 = "0123456789abcdef0123456789abcdef";
// 64 bytes: long enough for every HMAC algorithm.
inline const std::string kSecret64 = kSecret32 + "fedcba9876543210fedcba9876543210";

inline std::string b64(std::string_view text) { return base64url_encode(text); }

// "header.payload" from raw JSON texts (sent exactly as written).
inline std::string signing_input(std::string_view header_json, std::string_view payload_json) {
    return b64(header_json) + "." + b64(payload_json);
}

// A compact JWS signed with alg under key.
inline std::string sign_token(std::string_view header_json, std::string_view payload_json,
                              std::string_view key, Algorithm alg = Algorithm::HS256) {
    std::string input = signing_input(header_json, payload_json);
    return input + "." + b64(hmac_sign(alg, key, input));
}

// A compact JWS with an arbitrary (not a MAC) signature, for parser tests.
inline std::string unsigned_token(std::string_view header_json, std::string_view payload_json,
                                  std::string_view signature = "sig") {
    return signing_input(header_json, payload_json) + "." + b64(signature);
}

}  // namespace mastra_auth::test

#endif
