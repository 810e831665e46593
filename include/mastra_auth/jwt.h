// Parsing of a compact JWS (RFC 7515 section 7.1) into its parts; no crypto here.
#ifndef MASTRA_AUTH_JWT_H
#define MASTRA_AUTH_JWT_H

#include <cstddef>
#include <string>
#include <string_view>

#include "mastra_auth/json_scan.h"
#include "mastra_auth/status.h"

namespace mastra_auth {

// Tokens longer than this are refused before any parsing.
inline constexpr std::size_t kMaxTokenLength = 16 * 1024;
inline constexpr std::size_t kMaxKidLength = 256;

struct Jwt {
    std::string_view signing_input;   // "header.payload" exactly as received
    std::string header_text;          // decoded JSON
    std::string payload_text;
    JsonObjectScan header;            // views into the texts above: a Jwt stays put
    JsonObjectScan payload;
    std::string signature;            // decoded bytes
    std::string alg;
    std::string kid;                  // empty when absent

    Jwt() = default;
    Jwt(const Jwt &) = delete;
    Jwt &operator=(const Jwt &) = delete;
};

// Splits, decodes and checks the header of a compact JWS.  The returned Jwt
// views the token, which must outlive it.  Refuses: other than 3 parts, bad
// base64url, non-object JSON, missing/non-string alg, non-string or long kid,
// any crit, b64, and JWE members (enc, zip, p2c).
// With decode_signature false the signature part is only required to be
// non-empty (a token verified before, whose bytes are known good).
// out may be reused from token to token (its texts keep their capacity).
Status parse_jwt(std::string_view token, Jwt &out, bool decode_signature = true) noexcept;

}  // namespace mastra_auth

#endif
