// JSON for untrusted token parts: exactly one object, UTF-8, no duplicate
// names, bounded depth (catalogue section 1 "Syntax", rows T4, T5, H3).
#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/json_strict.h"

using mastra_auth::kMaxJsonDepth;
using mastra_auth::parse_json_object;

namespace {

bool parses(std::string_view text) {
    nlohmann::json out;
    return parse_json_object(text, out);
}

// An object nested `levels` deep: {"a":{"a":...{"a":1}}}, or {} innermost.
std::string nested_objects(int levels, bool empty_innermost) {
    std::string s;
    for (int i = 0; i < levels - 1; i++) s += "{\"a\":";
    s += empty_innermost ? "{}" : "{\"a\":1}";
    for (int i = 0; i < levels - 1; i++) s += "}";
    return s;
}

// An object holding arrays nested so that the total depth is `levels`.
std::string nested_arrays(int levels, bool empty_innermost) {
    std::string s = "{\"a\":";
    for (int i = 0; i < levels - 1; i++) s += "[";
    if (!empty_innermost) s += "1";
    for (int i = 0; i < levels - 1; i++) s += "]";
    return s + "}";
}

}  // namespace

TEST(JsonStrict, ParsesAnObject) {
    nlohmann::json out;
    ASSERT_TRUE(parse_json_object(R"({"alg":"HS256","n":1,"a":[1,"x"],"o":{"b":true}})", out));
    EXPECT_EQ(out["alg"], "HS256");
    EXPECT_EQ(out["n"], 1);
    EXPECT_EQ(out["a"][1], "x");
    EXPECT_EQ(out["o"]["b"], true);
    ASSERT_TRUE(parse_json_object("{}", out));
    EXPECT_TRUE(out.is_object());
    EXPECT_TRUE(out.empty());
}

TEST(JsonStrict, JsonWhitespaceIsAllowed) {
    // RFC 7515 A.1's header holds CRLF and spaces between members.
    EXPECT_TRUE(parses("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"));
    EXPECT_TRUE(parses(" \t\r\n{}\r\n "));
}

TEST(JsonStrict, NonObjectsAreRefused) {
    for (const char *text : {"[]", "[{}]", "\"x\"", "1", "-0.5", "true", "false", "null", ""})
        EXPECT_FALSE(parses(text)) << text;
}

TEST(JsonStrict, TrailingBytesAreRefused) {
    for (const char *text : {"{}x", "{} x", "{}{}", "{}]", "{}}", "{},", "{\"a\":1}\"", "{} 1"})
        EXPECT_FALSE(parses(text)) << text;
    // nlohmann's lexer stops at a NUL byte: what follows must not be ignored.
    EXPECT_FALSE(parses(std::string("{}\0", 3)));
    EXPECT_FALSE(parses(std::string("{\"a\":1}\0{\"a\":2}", 15)));
    EXPECT_FALSE(parses(std::string("{\"alg\":\"HS256\"}\0,\"crit\":[]}", 27)));
}

TEST(JsonStrict, RawNulIsRefusedAnywhere) {
    EXPECT_FALSE(parses(std::string("{\"a\":\"x\0y\"}", 11)));
    EXPECT_FALSE(parses(std::string("{\0\"a\":1}", 8)));
    EXPECT_FALSE(parses(std::string("\0{}", 3)));
    // Escaped, it is an ordinary character.
    nlohmann::json out;
    ASSERT_TRUE(parse_json_object(R"({"a":"x\u0000y"})", out));
    EXPECT_EQ(out["a"], std::string("x\0y", 3));
}

TEST(JsonStrict, IncompleteOrInvalidJsonIsRefused) {
    for (const char *text : {"{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}", "{'a':1}", "{a:1}",
                             "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":1e400}",
                             "{\"a\":\"\x01\"}", "{\"a\":\"\\x41\"}", "{/*c*/}", "{} // c"})
        EXPECT_FALSE(parses(text)) << text;
}

TEST(JsonStrict, ValidUtf8IsAccepted) {
    nlohmann::json out;
    ASSERT_TRUE(parse_json_object("{\"n\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}", out));
    EXPECT_EQ(out["n"], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    ASSERT_TRUE(parse_json_object(R"({"n":"\ud83d\ude00"})", out));
    EXPECT_EQ(out["n"], "\xf0\x9f\x98\x80");
    // The largest code point, U+10FFFF.
    EXPECT_TRUE(parses("{\"n\":\"\xf4\x8f\xbf\xbf\"}"));
}

TEST(JsonStrict, InvalidUtf8IsRefused) {
    const char *bad[] = {
        "\x80",              // lone continuation byte
        "\xbf",              // lone continuation byte
        "\xc3",              // truncated two-byte sequence
        "\xe2\x82",          // truncated three-byte sequence
        "\xf0\x9f\x98",      // truncated four-byte sequence
        "\xc0\x80",          // overlong NUL
        "\xc1\xbf",          // overlong
        "\xe0\x80\xaf",      // overlong '/'
        "\xf0\x80\x80\xaf",  // overlong '/'
        "\xed\xa0\x80",      // UTF-16 surrogate encoded in UTF-8
        "\xf4\x90\x80\x80",  // past U+10FFFF
        "\xf8\x88\x80\x80\x80",  // five-byte form
        "\xfe", "\xff",
    };
    for (const char *bytes : bad) {
        EXPECT_FALSE(parses(std::string("{\"n\":\"") + bytes + "\"}")) << "in a value";
        EXPECT_FALSE(parses(std::string("{\"") + bytes + "\":1}")) << "in a name";
    }
    // A lone surrogate written as an escape is not a character either.
    EXPECT_FALSE(parses(R"({"n":"\ud800"})"));
    EXPECT_FALSE(parses(R"({"n":"\udc00"})"));
    EXPECT_FALSE(parses(R"({"n":"\ud800\u0041"})"));
}

TEST(JsonStrict, DuplicateNamesAreRefused) {
    EXPECT_FALSE(parses(R"({"alg":"none","alg":"HS256"})"));
    EXPECT_FALSE(parses(R"({"a":1,"b":2,"a":1})"));
    // Nested objects, and objects inside arrays.
    EXPECT_FALSE(parses(R"({"o":{"x":1,"x":2}})"));
    EXPECT_FALSE(parses(R"({"a":[{"x":1},{"y":1,"y":1}]})"));
    // The same name once escaped: both decode to "a".
    EXPECT_FALSE(parses(R"({"a":1,"\u0061":2})"));
    // A duplicate after a nested object closed is still in the outer object.
    EXPECT_FALSE(parses(R"({"a":{"b":1},"a":2})"));
    EXPECT_FALSE(parses(R"({"x":{"a":1},"y":[],"x":0})"));
}

TEST(JsonStrict, SameNameInDifferentObjectsIsFine) {
    EXPECT_TRUE(parses(R"({"a":{"a":{"a":1}}})"));
    EXPECT_TRUE(parses(R"({"a":[{"x":1},{"x":2}],"x":3})"));
    EXPECT_TRUE(parses(R"({"o1":{"x":1},"o2":{"x":1}})"));
    // Names differ by case: distinct members.
    EXPECT_TRUE(parses(R"({"alg":"HS256","Alg":"none"})"));
}

TEST(JsonStrict, DepthUpToTheLimitIsAccepted) {
    ASSERT_EQ(kMaxJsonDepth, 32);
    EXPECT_TRUE(parses(nested_objects(kMaxJsonDepth, false)));
    EXPECT_TRUE(parses(nested_objects(kMaxJsonDepth, true)));
    EXPECT_TRUE(parses(nested_arrays(kMaxJsonDepth, false)));
    EXPECT_TRUE(parses(nested_arrays(kMaxJsonDepth, true)));
}

TEST(JsonStrict, DepthPastTheLimitIsRefused) {
    // One level more is refused, whether or not the deepest container is empty.
    EXPECT_FALSE(parses(nested_objects(kMaxJsonDepth + 1, false)));
    EXPECT_FALSE(parses(nested_objects(kMaxJsonDepth + 1, true)));
    EXPECT_FALSE(parses(nested_arrays(kMaxJsonDepth + 1, false)));
    EXPECT_FALSE(parses(nested_arrays(kMaxJsonDepth + 1, true)));
}

TEST(JsonStrict, HugeNestingIsRefusedWithoutCrashing) {
    // nlohmann's copy and dump() recurse (nlohmann/json#5387): catalogue T5.
    const std::string opens(100000, '[');
    const std::string closes(100000, ']');
    EXPECT_FALSE(parses(opens));
    EXPECT_FALSE(parses(opens + closes));
    EXPECT_FALSE(parses("{\"a\":" + opens + closes + "}"));
    EXPECT_FALSE(parses("{\"a\":" + opens));
    std::string objects;
    for (int i = 0; i < 100000; i++) objects += "{\"a\":";
    EXPECT_FALSE(parses(objects + "1" + std::string(100000, '}')));
}
