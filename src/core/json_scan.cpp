#include "mastra_auth/json_scan.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mastra_auth/json_strict.h"

namespace mastra_auth {

namespace {

// Bytes that stand for themselves inside a JSON string: printable ASCII but
// the quote and the backslash.
constexpr std::array<bool, 256> make_plain_string_bytes() {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x80; c++) table[c] = c != '"' && c != '\\';
    return table;
}
constexpr auto kPlainStringByte = make_plain_string_bytes();

// Objects with more members than this are checked for duplicate names by
// sorting, so that a crafted object cannot make the check quadratic.
constexpr std::size_t kLinearNameCheck = 16;

int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at p (bounds checked by the caller), or -1.
long hex4(const unsigned char *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

void append_utf8(std::string &out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// Unescapes the inside of a string.  For a string the scan validated this
// is exact; on any other bytes it reads nothing outside raw (a cut escape
// ends the text, a bad \u gives U+FFFD) and the result means nothing.
void unescape(std::string_view raw, std::string &out) {
    if (raw.find('\\') == std::string_view::npos) {   // the common case
        out.assign(raw);
        return;
    }
    out.clear();
    out.reserve(raw.size());
    const auto *p = reinterpret_cast<const unsigned char *>(raw.data());
    const auto *end = p + raw.size();
    while (p < end) {
        if (*p != '\\') {
            out += static_cast<char>(*p++);
            continue;
        }
        if (end - p < 2) break;   // not in a scanned string
        switch (p[1]) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            if (end - p < 6) {   // not in a scanned string
                p = end;
                continue;
            }
            long v = hex4(p + 2);
            unsigned long cp = v < 0 ? 0xfffd : static_cast<unsigned long>(v);
            if (cp >= 0xd800 && cp <= 0xdbff) {
                long low = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
                if (low >= 0xdc00 && low <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (static_cast<unsigned long>(low) - 0xdc00);
                    p += 6;
                } else {
                    cp = 0xfffd;
                }
            }
            append_utf8(out, cp);
            p += 6;
            continue;
        }
        default: out += static_cast<char>(p[1]); break;   // " \ /
        }
        p += 2;
    }
}

class Scanner {
public:
    Scanner(std::string_view text, std::vector<JsonMember> &top, std::forward_list<std::string> &decoded)
        : p_(reinterpret_cast<const unsigned char *>(text.data())), end_(p_ + text.size()),
          top_(top), decoded_(decoded) {}

    bool document() {
        names_.clear();
        skip_space();
        if (p_ == end_ || *p_ != '{') return false;
        if (!object(/*top=*/true)) return false;
        skip_space();
        return p_ == end_;
    }

private:
    const unsigned char *p_;
    const unsigned char *end_;
    int depth_ = 0;
    std::vector<JsonMember> &top_;
    std::forward_list<std::string> &decoded_;
    // Decoded names of the open objects, and a sorting copy: per thread,
    // kept between scans for their capacity (every request scans two
    // objects, and growing these anew was most of a scan's allocations),
    // and held by reference (a thread-local costs a lookup in a module).
    struct Scratch {
        std::vector<std::string_view> names;
        std::vector<std::string_view> sorted;
    };
    static Scratch &scratch() {
        static thread_local Scratch s;
        return s;
    }
    std::vector<std::string_view> &names_ = scratch().names;
    std::vector<std::string_view> &sorted_ = scratch().sorted;

    void skip_space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }

    bool continuation(int n, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
        if (end_ - p_ < n + 1) return false;
        if (p_[1] < lo || p_[1] > hi) return false;
        for (int i = 2; i <= n; i++)
            if (p_[i] < 0x80 || p_[i] > 0xbf) return false;
        p_ += n + 1;
        return true;
    }

    // One well-formed UTF-8 sequence starting at p_ (Unicode table 3-7).
    bool utf8() {
        unsigned char c = *p_;
        if (c >= 0xc2 && c <= 0xdf) return continuation(1);
        if (c == 0xe0) return continuation(2, 0xa0, 0xbf);
        if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) return continuation(2);
        if (c == 0xed) return continuation(2, 0x80, 0x9f);
        if (c == 0xf0) return continuation(3, 0x90, 0xbf);
        if (c >= 0xf1 && c <= 0xf3) return continuation(3);
        if (c == 0xf4) return continuation(3, 0x80, 0x8f);
        return false;
    }

    // p_ at the opening quote; raw gets the inside.
    bool string(std::string_view &raw, bool &escaped) {
        const unsigned char *start = ++p_;
        escaped = false;
        while (p_ < end_) {
            // Runs of printable ASCII, most of any token, in a tight loop.
            while (p_ < end_ && kPlainStringByte[*p_]) ++p_;
            if (p_ == end_) break;
            unsigned char c = *p_;
            if (c == '"') {
                raw = std::string_view(reinterpret_cast<const char *>(start),
                                       static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                escaped = true;
                if (end_ - p_ < 2) return false;
                switch (p_[1]) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                    p_ += 2;
                    break;
                case 'u': {
                    if (end_ - p_ < 6) return false;
                    long cp = hex4(p_ + 2);
                    if (cp < 0) return false;
                    p_ += 6;
                    if (cp >= 0xdc00 && cp <= 0xdfff) return false;   // a lone low surrogate
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        // a high surrogate must be followed by a low one
                        if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
                        long low = hex4(p_ + 2);
                        if (low < 0xdc00 || low > 0xdfff) return false;
                        p_ += 6;
                    }
                    break;
                }
                default:
                    return false;
                }
            } else if (c < 0x80) {
                ++p_;
            } else if (!utf8()) {
                return false;
            }
        }
        return false;
    }

    bool digits() {
        const unsigned char *start = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        return p_ != start;
    }

    bool number() {
        const unsigned char *start = p_;
        if (*p_ == '-') ++p_;
        if (p_ == end_) return false;
        if (*p_ == '0') {
            ++p_;
        } else if (!digits()) {
            return false;
        }
        if (p_ < end_ && *p_ == '.') {
            ++p_;
            if (!digits()) return false;
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digits()) return false;
        }
        // nlohmann refuses a number that overflows a double ("1e400"); only
        // an exponent or a long mantissa can.
        double value = 0;
        return (p_ - start < 300 && !saw_exponent(start)) ||
               json_number_value(std::string_view(reinterpret_cast<const char *>(start),
                                                  static_cast<std::size_t>(p_ - start)),
                                 value);
    }

    bool saw_exponent(const unsigned char *start) const {
        for (const unsigned char *q = start; q < p_; q++)
            if (*q == 'e' || *q == 'E') return true;
        return false;
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(reinterpret_cast<const char *>(p_), word.size()) != word)
            return false;
        p_ += word.size();
        return true;
    }

    bool value(JsonKind &kind) {
        if (p_ == end_) return false;
        switch (*p_) {
        case '{': kind = JsonKind::Object; return object(false);
        case '[': kind = JsonKind::Array; return array();
        case '"': {
            std::string_view raw;
            bool escaped;
            kind = JsonKind::String;
            return string(raw, escaped);
        }
        case 't': kind = JsonKind::True; return literal("true");
        case 'f': kind = JsonKind::False; return literal("false");
        case 'n': kind = JsonKind::Null; return literal("null");
        default: kind = JsonKind::Number; return number();
        }
    }

    bool open() {
        // The container about to open would be level depth_ + 1.
        if (depth_ >= kMaxJsonDepth) return false;
        ++depth_;
        ++p_;
        return true;
    }

    bool array() {
        if (!open()) return false;
        skip_space();
        if (p_ < end_ && *p_ == ']') {
            ++p_;
            --depth_;
            return true;
        }
        for (;;) {
            JsonKind kind;
            skip_space();
            if (!value(kind)) return false;
            skip_space();
            if (p_ == end_) return false;
            if (*p_ == ']') break;
            if (*p_ != ',') return false;
            ++p_;
        }
        ++p_;
        --depth_;
        return true;
    }

    bool object(bool top) {
        if (!open()) return false;
        const std::size_t first = names_.size();
        skip_space();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            --depth_;
            return true;
        }
        for (;;) {
            skip_space();
            if (p_ == end_ || *p_ != '"') return false;
            std::string_view raw;
            bool escaped;
            if (!string(raw, escaped)) return false;
            std::string_view name = raw;
            if (escaped) {
                decoded_.emplace_front();
                unescape(raw, decoded_.front());
                name = decoded_.front();
            }
            names_.push_back(name);
            skip_space();
            if (p_ == end_ || *p_ != ':') return false;
            ++p_;
            skip_space();
            const unsigned char *start = p_;
            JsonKind kind;
            if (!value(kind)) return false;
            if (top)
                top_.push_back({name,
                                std::string_view(reinterpret_cast<const char *>(start),
                                                 static_cast<std::size_t>(p_ - start)),
                                kind});
            skip_space();
            if (p_ == end_) return false;
            if (*p_ == '}') break;
            if (*p_ != ',') return false;
            ++p_;
        }
        ++p_;
        --depth_;
        if (!unique_names(first)) return false;
        names_.resize(first);
        return true;
    }

    // Names from names_[first] on (one object's) are all different.
    bool unique_names(std::size_t first) {
        const std::size_t n = names_.size() - first;
        if (n <= kLinearNameCheck) {
            for (std::size_t i = first; i < names_.size(); i++)
                for (std::size_t j = first; j < i; j++)
                    if (names_[i] == names_[j]) return false;
            return true;
        }
        sorted_.assign(names_.begin() + static_cast<std::ptrdiff_t>(first), names_.end());
        std::sort(sorted_.begin(), sorted_.end());
        return std::adjacent_find(sorted_.begin(), sorted_.end()) == sorted_.end();
    }
};

// Past the string whose opening quote is at i: the next quote not escaped
// (one after an even run of backslashes), found with memchr; s.size() when
// the string is not closed.
std::size_t skip_string(std::string_view s, std::size_t i) {
    std::size_t from = i + 1;
    for (;;) {
        if (from >= s.size()) return s.size();
        const void *quote = std::memchr(s.data() + from, '"', s.size() - from);
        if (quote == nullptr) return s.size();
        const std::size_t j = static_cast<std::size_t>(static_cast<const char *>(quote) - s.data());
        std::size_t k = j;
        while (k > i + 1 && s[k - 1] == '\\') --k;
        if ((j - k) % 2 == 0) return j + 1;
        from = j + 1;
    }
}

// The end of the value starting at i in text the scan accepted.  On other
// text it reads nothing past the end: it returns s.size() when a string or
// a container is not closed.
std::size_t skip_value(std::string_view s, std::size_t i) {
    int depth = 0;
    do {
        if (i >= s.size()) return s.size();
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, i);
        } else if (c == '{' || c == '[') {
            ++depth;
            ++i;
        } else if (c == '}' || c == ']') {
            --depth;
            ++i;
        } else if (depth > 0) {
            ++i;   // punctuation, spaces, scalars inside a container
        } else {
            while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' &&
                   s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
                ++i;
        }
    } while (depth > 0);
    return i;
}

JsonKind kind_of(char c) {
    switch (c) {
    case '"': return JsonKind::String;
    case '{': return JsonKind::Object;
    case '[': return JsonKind::Array;
    case 't': return JsonKind::True;
    case 'f': return JsonKind::False;
    case 'n': return JsonKind::Null;
    default: return JsonKind::Number;
    }
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

bool JsonObjectScan::scan(std::string_view text) noexcept {
    try {
        members_.clear();
        decoded_.clear();
        // As parse_json_object: a raw NUL never belongs in JSON text.
        if (text.find('\0') != std::string_view::npos) return false;
        Scanner scanner(text, members_, decoded_);
        if (scanner.document()) return true;
    } catch (...) {
    }
    members_.clear();
    decoded_.clear();
    return false;
}

const JsonMember *JsonObjectScan::find(std::string_view name) const noexcept {
    for (const JsonMember &member : members_)
        if (member.name == name) return &member;
    return nullptr;
}

bool json_string_value(std::string_view value, std::string &out) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return false;
    unescape(value.substr(1, value.size() - 2), out);
    return true;
}

bool json_string_view(std::string_view value, std::string &storage, std::string_view &out) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return false;
    std::string_view inside = value.substr(1, value.size() - 2);
    if (inside.find('\\') == std::string_view::npos) {
        out = inside;
    } else {
        unescape(inside, storage);
        out = storage;
    }
    return true;
}

bool json_number_value(std::string_view value, double &out) noexcept {
    // The usual NumericDate: a few plain digits, exact in a double (below
    // 2^53), read without the general conversion.
    if (!value.empty() && value.size() <= 15 && value.front() != '0') {
        std::uint64_t n = 0;
        std::size_t i = 0;
        for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; i++)
            n = n * 10 + static_cast<std::uint64_t>(value[i] - '0');
        if (i == value.size()) {
            out = static_cast<double>(n);
            return true;
        }
    }
    double v = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (end != value.data() + value.size()) return false;
    if (error == std::errc::result_out_of_range) {
        // Underflow is a (tiny) number, as for strtod and nlohmann; overflow
        // is not one.
        try {
            v = std::strtod(std::string(value).c_str(), nullptr);
        } catch (...) {
            return false;
        }
        if (!std::isfinite(v)) return false;
    } else if (error != std::errc()) {
        return false;
    }
    out = v;
    return true;
}

std::vector<JsonElement> json_array_elements(std::string_view value) {
    std::vector<JsonElement> out;
    std::size_t i = 1;   // past '['
    for (;;) {
        while (i < value.size() && is_space(value[i])) ++i;
        if (i >= value.size() || value[i] == ']') break;
        std::size_t end = skip_value(value, i);
        out.push_back({value.substr(i, end - i), kind_of(value[i])});
        i = end;
        while (i < value.size() && is_space(value[i])) ++i;
        if (i < value.size() && value[i] == ',') ++i;
    }
    return out;
}

}  // namespace mastra_auth
