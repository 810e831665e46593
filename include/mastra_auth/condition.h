// Claim conditions (mastra_auth_claim, mastra_auth_rule): PATH OP VALUE.
#ifndef MASTRA_AUTH_CONDITION_H
#define MASTRA_AUTH_CONDITION_H

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mastra_auth/status.h"

namespace mastra_auth {

enum class Op { Eq, Ne, Match, NotMatch, Has, NotHas };

bool op_from_text(std::string_view text, Op &out) noexcept;

// "a.b.c" -> {a, b, c}; "\"https://x/roles\"" -> {https://x/roles}.
// False for an empty path, an empty segment or an unterminated quote.
bool parse_claim_path(std::string_view text, std::vector<std::string> &out);

// The value at a parsed path, nullptr when some level is absent or not an
// object (mastra_auth_claim_set reads what a condition on the path reads).
const nlohmann::json *find_claim_path(const nlohmann::json &claims,
                                      const std::vector<std::string> &path);

class Regex;  // a compiled PCRE2 pattern

class Condition {
public:
    // static_value: the value when it holds no variable (regexes compiled now).
    static Status create(std::string_view path, Op op, std::optional<std::string_view> static_value,
                         std::unique_ptr<Condition> &out, std::string &error);
    ~Condition();

    // value is used only when the condition has no static value.
    bool eval(const nlohmann::json &claims, std::string_view value) const;

private:
    Condition() = default;
    std::vector<std::string> path_;
    Op op_ = Op::Eq;
    std::optional<std::string> static_value_;
    std::unique_ptr<Regex> regex_;
};

}  // namespace mastra_auth

#endif
