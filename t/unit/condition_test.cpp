// Claim conditions (mastra_auth_claim, mastra_auth_rule): PATH OP VALUE
// (docs/routes-and-rules.md; t/catalogue.t's row C8).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mastra_auth/condition.h"

using mastra_auth::Condition;
using mastra_auth::Op;
using mastra_auth::op_from_text;
using mastra_auth::parse_claim_path;
using mastra_auth::Status;
using nlohmann::json;

namespace {

const json kClaims = json::parse(R"({
    "sub": "user-1",
    "email": "alice@example.com",
    "age": 42,
    "ratio": 1.5,
    "admin": false,
    "roles": ["reader", "editor"],
    "ids": [1, 2, 3],
    "mixed": ["a", 1],
    "empty": "",
    "nothing": null,
    "user": {"id": "u1", "emailVerified": true, "profile": {"plan": "pro"}},
    "https://example.com/roles": ["admin", "billing"],
    "a.b": "flat",
    "a": {"b": "nested"}
})");

std::unique_ptr<Condition> make(std::string_view path, Op op,
                                std::optional<std::string_view> value) {
    std::unique_ptr<Condition> condition;
    std::string error;
    const Status status = Condition::create(path, op, value, condition, error);
    EXPECT_EQ(status, Status::Ok) << path << ": " << error;
    return condition;
}

// A condition with a static value, evaluated against kClaims.
bool holds(std::string_view path, std::string_view op_text, std::string_view value,
           const json &claims = kClaims) {
    Op op;
    EXPECT_TRUE(op_from_text(op_text, op)) << op_text;
    auto condition = make(path, op, value);
    return condition && condition->eval(claims, "ignored: the value is static");
}

// The same with the value given per request (it held a variable).
bool holds_dynamic(std::string_view path, Op op, std::string_view value,
                   const json &claims = kClaims) {
    auto condition = make(path, op, std::nullopt);
    return condition && condition->eval(claims, value);
}

std::vector<std::string> path_of(std::string_view text) {
    std::vector<std::string> out;
    EXPECT_TRUE(parse_claim_path(text, out)) << text;
    return out;
}

}  // namespace

TEST(Condition, OperatorsByText) {
    const std::pair<const char *, Op> ops[] = {{"=", Op::Eq},        {"!=", Op::Ne},
                                               {"~", Op::Match},     {"!~", Op::NotMatch},
                                               {"has", Op::Has},     {"!has", Op::NotHas}};
    for (const auto &[text, expected] : ops) {
        Op op;
        ASSERT_TRUE(op_from_text(text, op)) << text;
        EXPECT_EQ(op, expected) << text;
    }
    Op op;
    for (const char *text : {"", "==", "=~", "HAS", "Has", "!", "~*", "has ", " =", "<", "in"})
        EXPECT_FALSE(op_from_text(text, op)) << text;
}

TEST(Condition, ClaimPaths) {
    EXPECT_EQ(path_of("email"), (std::vector<std::string>{"email"}));
    EXPECT_EQ(path_of("user.emailVerified"), (std::vector<std::string>{"user", "emailVerified"}));
    EXPECT_EQ(path_of("a.b.c"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(path_of("\"https://example.com/roles\""),
              (std::vector<std::string>{"https://example.com/roles"}));
    EXPECT_EQ(path_of("\"a.b\""), (std::vector<std::string>{"a.b"}));
    std::vector<std::string> out;
    for (const char *bad : {"", ".", "a.", ".a", "a..b", "\"", "\"\"", "\"abc", "abc\"", "a\"b",
                            "\"a\"b\"", "a.\"b\""})
        EXPECT_FALSE(parse_claim_path(bad, out)) << bad;
}

TEST(Condition, InvalidPathIsRefusedAtCreate) {
    std::unique_ptr<Condition> condition;
    std::string error;
    EXPECT_EQ(Condition::create("user..id", Op::Eq, "x", condition, error), Status::ConfigInvalid);
    EXPECT_FALSE(condition);
    EXPECT_NE(error.find("user..id"), std::string::npos) << error;
}

TEST(Condition, NestedAndQuotedPaths) {
    EXPECT_TRUE(holds("user.emailVerified", "=", "true"));
    EXPECT_TRUE(holds("user.profile.plan", "=", "pro"));
    EXPECT_TRUE(holds("\"https://example.com/roles\"", "has", "admin"));
    EXPECT_FALSE(holds("\"https://example.com/roles\"", "has", "reader"));
    // A quoted name is one claim, dots and all; unquoted dots walk objects.
    EXPECT_TRUE(holds("\"a.b\"", "=", "flat"));
    EXPECT_TRUE(holds("a.b", "=", "nested"));
    // Walking through a non-object finds nothing.
    EXPECT_FALSE(holds("email.x", "=", "alice@example.com"));
    EXPECT_FALSE(holds("roles.0", "=", "reader"));
}

TEST(Condition, EqualityOnStrings) {
    EXPECT_TRUE(holds("email", "=", "alice@example.com"));
    EXPECT_FALSE(holds("email", "=", "Alice@example.com"));   // exact, case-sensitive
    EXPECT_FALSE(holds("email", "=", "alice@example.co"));
    EXPECT_FALSE(holds("email", "=", "alice@example.com "));
    EXPECT_TRUE(holds("email", "!=", "bob@example.com"));
    EXPECT_FALSE(holds("email", "!=", "alice@example.com"));
    EXPECT_TRUE(holds("empty", "=", ""));
    EXPECT_FALSE(holds("empty", "!=", ""));
}

TEST(Condition, EqualityOnNumbersAndBooleans) {
    // Numbers and booleans compare as their JSON text (docs/variables.md).
    EXPECT_TRUE(holds("age", "=", "42"));
    EXPECT_FALSE(holds("age", "=", "42.0"));
    EXPECT_FALSE(holds("age", "=", "\"42\""));
    EXPECT_TRUE(holds("age", "!=", "43"));
    EXPECT_TRUE(holds("ratio", "=", "1.5"));
    EXPECT_TRUE(holds("user.emailVerified", "=", "true"));
    EXPECT_FALSE(holds("user.emailVerified", "=", "True"));
    EXPECT_FALSE(holds("user.emailVerified", "=", "1"));
    EXPECT_FALSE(holds("user.emailVerified", "!=", "true"));
    EXPECT_TRUE(holds("admin", "=", "false"));
    EXPECT_FALSE(holds("admin", "=", "true"));
    EXPECT_TRUE(holds("admin", "!=", "true"));
    // A string "true" is not the boolean's text in another guise: both are "true".
    EXPECT_TRUE(holds("v", "=", "true", json{{"v", "true"}}));
    // The Better Auth example: emailVerified false fails the check (catalogue C8).
    const json unverified = {{"user", {{"emailVerified", false}}}};
    EXPECT_FALSE(holds("user.emailVerified", "=", "true", unverified));
}

TEST(Condition, EqualityOnArrays) {
    // Arrays of strings compare as their ","-joined text; others as compact JSON.
    EXPECT_TRUE(holds("roles", "=", "reader,editor"));
    EXPECT_FALSE(holds("roles", "=", "reader"));
    EXPECT_TRUE(holds("roles", "!=", "reader"));
    EXPECT_TRUE(holds("ids", "=", "[1,2,3]"));
    EXPECT_TRUE(holds("mixed", "=", "[\"a\",1]"));
    EXPECT_TRUE(holds("user.profile", "=", "{\"plan\":\"pro\"}"));
}

TEST(Condition, RegexMatch) {
    EXPECT_TRUE(holds("email", "~", "@example\\.com$"));
    EXPECT_FALSE(holds("email", "~", "@example\\.org$"));
    EXPECT_FALSE(holds("email", "~", "^ALICE"));
    EXPECT_TRUE(holds("email", "~", "(?i)^ALICE"));
    EXPECT_TRUE(holds("email", "~", "lice"));   // a search, not anchored
    EXPECT_TRUE(holds("email", "!~", "@evil\\.com$"));
    EXPECT_FALSE(holds("email", "!~", "@example\\.com$"));
    // On numbers, booleans and arrays: the claim's text.
    EXPECT_TRUE(holds("age", "~", "^4[0-9]$"));
    EXPECT_TRUE(holds("user.emailVerified", "~", "^true$"));
    EXPECT_TRUE(holds("roles", "~", "(^|,)editor(,|$)"));
    EXPECT_FALSE(holds("roles", "~", "(^|,)admin(,|$)"));
    EXPECT_TRUE(holds("roles", "!~", "(^|,)admin(,|$)"));
    // UTF-8 aware: "." is one character.
    EXPECT_TRUE(holds("name", "~", "^caf.$", json{{"name", "caf\xc3\xa9"}}));
}

TEST(Condition, HasOnArraysAndStrings) {
    EXPECT_TRUE(holds("roles", "has", "editor"));
    EXPECT_TRUE(holds("roles", "has", "reader"));
    EXPECT_FALSE(holds("roles", "has", "admin"));
    EXPECT_FALSE(holds("roles", "has", "edit"));
    EXPECT_FALSE(holds("roles", "has", "reader,editor"));
    EXPECT_TRUE(holds("roles", "!has", "admin"));
    EXPECT_FALSE(holds("roles", "!has", "editor"));
    EXPECT_TRUE(holds("ids", "has", "2"));
    EXPECT_FALSE(holds("ids", "has", "4"));
    EXPECT_TRUE(holds("mixed", "has", "1"));
    // On a string, "has" is equality.
    EXPECT_TRUE(holds("sub", "has", "user-1"));
    EXPECT_FALSE(holds("sub", "has", "user"));
    EXPECT_TRUE(holds("sub", "!has", "user"));
    // On numbers and booleans, nothing is "had".
    EXPECT_FALSE(holds("age", "has", "42"));
    EXPECT_TRUE(holds("age", "!has", "42"));
    EXPECT_FALSE(holds("user.emailVerified", "has", "true"));
    EXPECT_FALSE(holds("roles", "has", "", json{{"roles", json::array()}}));
}

TEST(Condition, AbsentClaims) {
    // Positive operators are false, negative ones true (api.h).
    for (const char *path : {"missing", "user.missing", "missing.deeper", "sub.deeper",
                             "\"https://example.com/missing\""}) {
        EXPECT_FALSE(holds(path, "=", "x")) << path;
        EXPECT_FALSE(holds(path, "~", ".*")) << path;
        EXPECT_FALSE(holds(path, "has", "x")) << path;
        EXPECT_TRUE(holds(path, "!=", "x")) << path;
        EXPECT_TRUE(holds(path, "!~", ".*")) << path;
        EXPECT_TRUE(holds(path, "!has", "x")) << path;
        // Even against an empty value: absent is not "".
        EXPECT_FALSE(holds(path, "=", "")) << path;
    }
    // No claims at all.
    EXPECT_FALSE(holds("sub", "=", "user-1", json::object()));
    EXPECT_TRUE(holds("sub", "!=", "user-1", json::object()));
    EXPECT_FALSE(holds("sub", "=", "user-1", json()));   // payload never set
}

TEST(Condition, InvalidStaticRegexIsRefusedAtCreate) {
    for (Op op : {Op::Match, Op::NotMatch}) {
        for (const char *regex : {"(", "[a-", "a{2,1}", "(?<n", "*a", "\\"}) {
            std::unique_ptr<Condition> condition;
            std::string error;
            EXPECT_EQ(Condition::create("email", op, std::string_view(regex), condition, error),
                      Status::ConfigInvalid)
                << regex;
            EXPECT_FALSE(condition);
            EXPECT_NE(error.find("invalid regex"), std::string::npos) << error;
        }
    }
    // Invalid UTF-8 in a pattern compiled in UTF mode.
    std::unique_ptr<Condition> condition;
    std::string error;
    EXPECT_EQ(Condition::create("email", Op::Match, std::string_view("\xff"), condition, error),
              Status::ConfigInvalid);
    // The same text is a fine value for the other operators.
    EXPECT_EQ(Condition::create("email", Op::Eq, std::string_view("("), condition, error),
              Status::Ok);
    EXPECT_EQ(Condition::create("email", Op::Has, std::string_view("("), condition, error),
              Status::Ok);
}

TEST(Condition, DynamicValues) {
    // The value is given per request (it held nginx variables).
    EXPECT_TRUE(holds_dynamic("sub", Op::Eq, "user-1"));
    EXPECT_FALSE(holds_dynamic("sub", Op::Eq, "user-2"));
    EXPECT_TRUE(holds_dynamic("sub", Op::Ne, "user-2"));
    EXPECT_TRUE(holds_dynamic("roles", Op::Has, "editor"));
    EXPECT_FALSE(holds_dynamic("roles", Op::Has, "admin"));
    // Mastra's per-agent permission rule, once $mastra_auth_param_agentId expanded.
    const json perms = {{"permissions", {"agent:mine", "agent:other"}}};
    EXPECT_TRUE(holds_dynamic("permissions", Op::Has, "agent:mine", perms));
    EXPECT_FALSE(holds_dynamic("permissions", Op::Has, "agent:victim", perms));
}

TEST(Condition, DynamicRegex) {
    EXPECT_TRUE(holds_dynamic("email", Op::Match, "@example\\.com$"));
    EXPECT_FALSE(holds_dynamic("email", Op::Match, "@evil\\.com$"));
    EXPECT_TRUE(holds_dynamic("email", Op::NotMatch, "@evil\\.com$"));
    EXPECT_FALSE(holds_dynamic("email", Op::NotMatch, "@example\\.com$"));
    // A bad regex built at request time fails closed for both operators.
    EXPECT_FALSE(holds_dynamic("email", Op::Match, "("));
    EXPECT_FALSE(holds_dynamic("email", Op::NotMatch, "("));
    // The same condition object, evaluated with several values.
    auto condition = make("email", Op::Match, std::nullopt);
    ASSERT_TRUE(condition);
    EXPECT_TRUE(condition->eval(kClaims, "^alice@"));
    EXPECT_FALSE(condition->eval(kClaims, "^bob@"));
    EXPECT_FALSE(condition->eval(kClaims, "[unclosed"));
    EXPECT_TRUE(condition->eval(kClaims, "example"));
}

TEST(Condition, StaticValueWinsOverTheRequestValue) {
    auto condition = make("sub", Op::Eq, std::string_view("user-1"));
    ASSERT_TRUE(condition);
    EXPECT_TRUE(condition->eval(kClaims, "user-2"));
    EXPECT_TRUE(condition->eval(kClaims, ""));
    auto regex = make("sub", Op::Match, std::string_view("^user-"));
    ASSERT_TRUE(regex);
    EXPECT_TRUE(regex->eval(kClaims, "("));
    // An empty static value is a value, not "no value".
    auto empty = make("empty", Op::Eq, std::string_view(""));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->eval(kClaims, "something else"));
}
