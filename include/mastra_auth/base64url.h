// Strict base64url (RFC 4648 section 5) as JWS requires it (RFC 7515 section 2):
// no padding, no whitespace, only the url-safe alphabet, canonical trailing bits.
#ifndef MASTRA_AUTH_BASE64URL_H
#define MASTRA_AUTH_BASE64URL_H

#include <string>
#include <string_view>

namespace mastra_auth {

// Decodes in into out; false (out unspecified) on any deviation.
bool base64url_decode(std::string_view in, std::string &out);

std::string base64url_encode(std::string_view in);

}  // namespace mastra_auth

#endif
