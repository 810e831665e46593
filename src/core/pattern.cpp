#include "mastra_auth/pattern.h"

#include <strings.h>

namespace mastra_auth {

namespace {

constexpr std::size_t kMaxParams = 16;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

// Mastra compiles a pattern with regexparam: split on '/', a leading empty
// part skipped, parsing stops at the first empty part; '*' -> "/(.*)",
// '*?' -> "(?:/(.*))?", ':n' -> "/([^/]+?)", ':n?' -> "(?:/([^/]+?))?",
// ':n.ext' -> "/([^/]+?)\.ext", anything else -> "/" + literal; then
// "^...\/?$" with the i flag.  We build the same shape as tokens, but refuse
// what Mastra would silently reinterpret (an empty segment, '*x', bad names).
Status Pattern::compile(std::string_view text, Pattern &out, std::string &error) {
    out.text_ = std::string(text);
    out.tokens_.clear();
    std::string_view s = out.text_;
    if (s.empty() || s.front() != '/') {
        error = "route pattern \"" + out.text_ + "\" must start with \"/\"";
        return Status::ConfigInvalid;
    }
    s.remove_prefix(1);
    std::size_t params = 0;
    while (!s.empty()) {
        std::size_t slash = s.find('/');
        std::string_view segment = s.substr(0, slash);
        s = slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1);

        if (segment.empty()) {
            // "/api/" (one trailing slash) is the same route as "/api".
            if (slash == std::string_view::npos) break;
            error = "route pattern \"" + out.text_ + "\" has an empty segment";
            return Status::ConfigInvalid;
        }

        Token token{Kind::Literal, segment, {}, false};
        if (segment.front() == '*') {
            if (segment != "*" && segment != "**" && segment != "*?") {
                error = "route pattern \"" + out.text_ + "\": \"" + std::string(segment) +
                        "\" is not one of \"*\", \"**\", \"*?\"";
                return Status::ConfigInvalid;
            }
            token.kind = Kind::Wildcard;
            token.optional = segment == "*?";
        } else if (segment.front() == ':') {
            std::string_view name = segment.substr(1);
            std::size_t end = 0;
            while (end < name.size() && is_name_char(name[end])) end++;
            std::string_view tail = name.substr(end);
            name = name.substr(0, end);
            token.kind = Kind::Param;
            token.text = name;
            if (tail == "?") {
                token.optional = true;
            } else if (!tail.empty() && tail.front() == '.' && tail.size() > 1 &&
                       tail.find_first_of("/?") == std::string_view::npos) {
                token.extension = tail;
            } else if (!tail.empty()) {
                name = {};
            }
            if (name.empty()) {
                error = "route pattern \"" + out.text_ + "\": bad parameter \"" +
                        std::string(segment) + "\"";
                return Status::ConfigInvalid;
            }
            if (++params > kMaxParams) {
                error = "route pattern \"" + out.text_ + "\" has more than 16 parameters";
                return Status::ConfigInvalid;
            }
        }
        out.tokens_.push_back(token);
    }
    return Status::Ok;
}

Pattern::Pattern(const Pattern &other) { *this = other; }

Pattern &Pattern::operator=(const Pattern &other) {
    if (this != &other) {
        // The text compiled once, so it compiles again the same way.
        std::string error;
        compile(other.text_, *this, error);
    }
    return *this;
}

struct Pattern::Search {
    std::string_view path;
    std::vector<RouteParam> &params;
    // Failures depend only on (token, position), so each is tried once: this
    // bounds patterns with several wildcards to tokens x path length states.
    std::vector<bool> failed;
};

bool Pattern::match(std::string_view path, std::vector<RouteParam> *params) const {
    std::vector<RouteParam> local;
    Search search{path, params ? *params : local, {}};
    search.params.clear();
    search.failed.assign((tokens_.size() + 1) * (path.size() + 1), false);
    bool ok = match_from(search, 0, path);
    if (!ok) search.params.clear();
    return ok;
}

bool Pattern::match_from(Search &search, std::size_t index, std::string_view rest) const {
    std::vector<RouteParam> &params = search.params;
    std::size_t memo = index * (search.path.size() + 1) + (search.path.size() - rest.size());
    if (search.failed[memo]) return false;

    bool ok = false;
    if (index == tokens_.size()) {
        ok = rest.empty() || rest == "/";   // one trailing slash is ignored
    } else {
        const Token &token = tokens_[index];
        switch (token.kind) {
        case Kind::Literal:
            ok = rest.size() > token.text.size() && rest.front() == '/' &&
                 starts_with_nocase(rest.substr(1), token.text) &&
                 match_from(search, index + 1, rest.substr(1 + token.text.size()));
            break;

        case Kind::Param:
            // "/([^/]+?)" then the extension: lazy, shortest value first, as
            // the regex engine would try it.
            if (!rest.empty() && rest.front() == '/') {
                std::string_view after = rest.substr(1);
                std::size_t limit = after.find('/');
                if (limit == std::string_view::npos) limit = after.size();
                for (std::size_t len = 1; len <= limit && !ok; len++) {
                    std::string_view tail = after.substr(len);
                    if (!token.extension.empty()) {
                        if (!starts_with_nocase(tail, token.extension)) continue;
                        tail = tail.substr(token.extension.size());
                    }
                    params.push_back({token.text, after.substr(0, len)});
                    ok = match_from(search, index + 1, tail);
                    if (!ok) params.pop_back();
                }
            }
            if (!ok && token.optional) ok = match_from(search, index + 1, rest);
            break;

        case Kind::Wildcard:
            // "/(.*)": greedy, longest rest first.
            if (!rest.empty() && rest.front() == '/') {
                for (std::size_t len = rest.size(); len >= 1 && !ok; len--)
                    ok = match_from(search, index + 1, rest.substr(len));
            }
            if (!ok && token.optional) ok = match_from(search, index + 1, rest);
            break;
        }
    }
    if (!ok) search.failed[memo] = true;
    return ok;
}

}  // namespace mastra_auth
