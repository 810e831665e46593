#include "mastra_auth/request_text.h"

#include <strings.h>

namespace mastra_auth {

namespace {

constexpr std::string_view kBearer = "bearer";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Walks "name=value<sep>name=value..." and counts the non-empty values of
// name; the first is kept.  Two or more are reported as 2: an ambiguous
// credential is refused rather than guessed at.  With cookie syntax, items
// are trimmed and a value in double quotes is unquoted (RFC 6265 allows it)
// before the emptiness test, so that a quoted empty value counts as absent.
int find_pair(std::string_view list, char separator, bool cookie_syntax, std::string_view name,
              std::string_view &raw) {
    int count = 0;
    while (true) {
        std::size_t end = list.find(separator);
        std::string_view item = list.substr(0, end);
        if (cookie_syntax) item = trim(item);
        std::size_t eq = item.find('=');
        if (eq != std::string_view::npos && item.substr(0, eq) == name) {
            std::string_view value = item.substr(eq + 1);
            if (cookie_syntax && value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!value.empty()) {
                if (count == 0) raw = value;
                count++;
            }
        }
        if (end == std::string_view::npos) break;
        list.remove_prefix(end + 1);
    }
    return count > 1 ? 2 : count;
}

// "." or "..", also spelled with %2e.
bool is_dot_segment(std::string_view segment) {
    std::size_t dots = 0;
    for (std::size_t i = 0; i < segment.size();) {
        if (segment[i] == '.') {
            i++;
        } else if (i + 2 < segment.size() && segment[i] == '%' && segment[i + 1] == '2' &&
                   (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
            i += 3;
        } else {
            return false;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

// nginx merges "//" before it resolves dot segments; Node's URL parser keeps
// the empty segment, and ".." then removes it: "/a/b//../c" is "/a/c" here
// but "/a/b/c" upstream.  A raw path with both is refused.
bool slashes_and_dots(std::string_view path) {
    bool empty_segment = false, dot_segment = false;
    std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view segment = path.substr(start, end - start);
        if (segment.empty() && end < path.size()) empty_segment = true;
        if (is_dot_segment(segment)) dot_segment = true;
        start = end + 1;
    }
    return empty_segment && dot_segment;
}

}  // namespace

bool path_is_checkable(std::string_view raw_path, std::string_view decoded_path,
                       bool allow_encoded_slashes, bool slashes_merged) noexcept {
    // Node's URL parser turns '\' into '/', nginx does not: the upstream would
    // route a path other than the one checked here (catalogue P4/P5).
    if (decoded_path.find('\\') != std::string_view::npos) return false;
    if (decoded_path.find('\0') != std::string_view::npos) return false;
    if (slashes_merged && slashes_and_dots(raw_path.substr(0, raw_path.find('?')))) return false;
    if (!allow_encoded_slashes) {
        std::string_view path = raw_path.substr(0, raw_path.find('?'));
        for (std::size_t i = 0; i + 2 < path.size(); i++)
            if (path[i] == '%' && path[i + 1] == '2' && (path[i + 2] == 'f' || path[i + 2] == 'F'))
                return false;
    }
    return true;
}

bool bearer_token(std::string_view header, std::string_view &token) noexcept {
    // RFC 6750 section 2.1: the scheme is case-insensitive; one or more
    // spaces (not tabs) separate it from the token.
    if (header.size() <= kBearer.size() ||
        strncasecmp(header.data(), kBearer.data(), kBearer.size()) != 0 ||
        header[kBearer.size()] != ' ')
        return false;
    std::string_view rest = header.substr(kBearer.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    if (rest.empty()) return false;
    token = rest;
    return true;
}

int query_arg(std::string_view args, std::string_view name, std::string_view &raw) noexcept {
    return find_pair(args, '&', false, name, raw);
}

int cookie_value(std::string_view header, std::string_view name, std::string_view &raw) noexcept {
    return find_pair(header, ';', true, name, raw);
}

std::string query_without(std::string_view args, const std::string_view *names, std::size_t n) {
    std::string out;
    std::string decoded;
    while (true) {
        std::size_t end = args.find('&');
        std::string_view item = args.substr(0, end);
        std::string_view name = item.substr(0, item.find('='));
        bool drop = false;
        for (std::size_t i = 0; i < n && !drop; i++) {
            drop = name == names[i] ||
                   (name.find('%') != std::string_view::npos && percent_decode(name, decoded) &&
                    decoded == names[i]);
        }
        if (!drop && !item.empty()) {
            if (!out.empty()) out += '&';
            out += item;
        }
        if (end == std::string_view::npos) break;
        args.remove_prefix(end + 1);
    }
    return out;
}

bool percent_decode(std::string_view in, std::string &out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); i++) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

}  // namespace mastra_auth
