// A validating scan of one JSON object that builds no document.
//
// Token headers and claims are read on every request; building a whole
// nlohmann document for them cost more than the HMAC.  The scan enforces the
// same rules as parse_json_object (RFC 8259 grammar, well-formed UTF-8 and
// escapes, no duplicate member names at any depth, at most kMaxJsonDepth
// levels, no NUL byte, nothing after the object; a byte-order mark is
// refused) and records where each top-level member's value is.  A document
// is built later, from the same text, only when a claim is asked for by name.
// Whatever the scan accepts, nlohmann's parser accepts too (fuzz_json_scan
// checks both ways).
#ifndef MASTRA_AUTH_JSON_SCAN_H
#define MASTRA_AUTH_JSON_SCAN_H

#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

namespace mastra_auth {

enum class JsonKind : unsigned char { String, Number, Object, Array, True, False, Null };

struct JsonMember {
    std::string_view name;    // decoded
    std::string_view value;   // the value's JSON text (a string keeps its quotes)
    JsonKind kind;
};

class JsonObjectScan {
public:
    JsonObjectScan() = default;
    // Views point into the scanned text and into this object: neither may move.
    JsonObjectScan(const JsonObjectScan &) = delete;
    JsonObjectScan &operator=(const JsonObjectScan &) = delete;

    // True when text is exactly one JSON object meeting the rules above; the
    // text must outlive this object's use.
    bool scan(std::string_view text) noexcept;

    // A top-level member by its decoded name, or nullptr.
    const JsonMember *find(std::string_view name) const noexcept;
    const std::vector<JsonMember> &members() const noexcept { return members_; }

private:
    std::vector<JsonMember> members_;
    std::forward_list<std::string> decoded_;   // names that held escapes (stable, no allocation when none)
};

// The text of a String member's value (quotes included, as scanned),
// unescaped into out.
bool json_string_value(std::string_view value, std::string &out);

// The same as a view: into value itself when the string holds no escape
// (the usual case: no copy), else into storage, unescaped.
bool json_string_view(std::string_view value, std::string &storage, std::string_view &out);

// A Number member's value as a double; false when it does not fit in one.
bool json_number_value(std::string_view value, double &out) noexcept;

// The elements of an Array member's value (as scanned), with their kinds.
struct JsonElement {
    std::string_view value;
    JsonKind kind;
};
std::vector<JsonElement> json_array_elements(std::string_view value);

}  // namespace mastra_auth

#endif
