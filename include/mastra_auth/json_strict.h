// JSON parsing for untrusted token parts: one complete object, UTF-8, no
// duplicate member names (RFC 7515 section 4: we reject), bounded depth.
#ifndef MASTRA_AUTH_JSON_STRICT_H
#define MASTRA_AUTH_JSON_STRICT_H

#include <string_view>

#include <nlohmann/json.hpp>

namespace mastra_auth {

// Deepest nesting accepted; nlohmann's copy and dump() recurse (nlohmann/json#5387).
inline constexpr int kMaxJsonDepth = 32;

// True and out set when text is exactly one JSON object meeting the rules above.
bool parse_json_object(std::string_view text, nlohmann::json &out) noexcept;

}  // namespace mastra_auth

#endif
