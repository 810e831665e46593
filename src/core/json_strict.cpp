#include "mastra_auth/json_strict.h"

#include <set>
#include <string>
#include <vector>

namespace mastra_auth {

namespace {

// Thrown from the parser callback to stop at once; caught below, never
// leaves this file.
struct Refused {};

}  // namespace

bool parse_json_object(std::string_view text, nlohmann::json &out) noexcept {
    try {
        // nlohmann's lexer takes a NUL byte for the end of the input, so
        // "{...}\0anything" would parse with its tail ignored.  JSON text never
        // holds a raw NUL (control characters in strings must be escaped).
        if (text.find('\0') != std::string_view::npos) return false;

        // Names seen per open object, to refuse duplicates (nlohmann keeps the
        // last one silently, which lets {"alg":"none","alg":"HS256"} confuse).
        std::vector<std::set<std::string>> seen;
        auto callback = [&seen](int depth, nlohmann::json::parse_event_t event,
                                nlohmann::json &parsed) -> bool {
            using Event = nlohmann::json::parse_event_t;
            // depth counts the containers already open, so a start event opens
            // level depth + 1: refusing it at depth >= kMaxJsonDepth caps the
            // nesting at exactly kMaxJsonDepth levels ("> kMaxJsonDepth" let an
            // empty container through at one level more).
            const bool opens = event == Event::object_start || event == Event::array_start;
            if (depth > kMaxJsonDepth || (opens && depth >= kMaxJsonDepth)) throw Refused{};
            switch (event) {
            case Event::object_start:
                seen.emplace_back();
                break;
            case Event::object_end:
                if (!seen.empty()) seen.pop_back();
                break;
            case Event::key:
                if (seen.empty() || !seen.back().insert(parsed.get<std::string>()).second)
                    throw Refused{};
                break;
            default:
                break;
            }
            return true;
        };
        // parse() refuses trailing bytes and ill-formed UTF-8 in strings.
        nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback,
                                                     /*allow_exceptions=*/true,
                                                     /*ignore_comments=*/false);
        if (!value.is_object()) return false;
        out = std::move(value);
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace mastra_auth
