// Route patterns in Mastra's (regexparam) syntax, matched without regexes:
// literal segments, :name, :name?, :name.ext, * and *? (** = *); ASCII case
// ignored, one trailing slash ignored.  Literal segments match literally.
#ifndef MASTRA_AUTH_PATTERN_H
#define MASTRA_AUTH_PATTERN_H

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mastra_auth/status.h"

namespace mastra_auth {

struct RouteParam {
    std::string_view name;   // view into the pattern
    std::string_view value;  // view into the path
};

class Pattern {
public:
    Pattern() = default;
    // tokens_ view text_, and a short text lives inside the object: a copy
    // compiles its own text instead of keeping views into the original's
    // buffer (which a move, a reassignment or the original's end would
    // invalidate).  No move operations: moving falls back to this copy.
    Pattern(const Pattern &other);
    Pattern &operator=(const Pattern &other);

    static Status compile(std::string_view text, Pattern &out, std::string &error);

    // True on a match; params (when given) receive the named segments.
    bool match(std::string_view path, std::vector<RouteParam> *params = nullptr) const;

    const std::string &text() const { return text_; }

private:
    enum class Kind { Literal, Param, Wildcard };
    struct Token {
        Kind kind;
        std::string_view text;       // literal text or parameter name (views text_)
        std::string_view extension;  // ".ext" after a parameter, else empty
        bool optional = false;
    };

    struct Search;   // one match attempt: the path and its failure memo
    bool match_from(Search &search, std::size_t token, std::string_view rest) const;

    std::string text_;
    std::vector<Token> tokens_;
};

}  // namespace mastra_auth

#endif
