// The scan that reads token headers and claims without building a document
// must accept exactly what the strict parser accepts (json_strict_test's
// rules), and find members by their decoded names.
#include <cstdlib>

#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/json_scan.h"
#include "mastra_auth/json_strict.h"

using mastra_auth::json_array_elements;
using mastra_auth::json_string_view;
using mastra_auth::JsonMember;
using mastra_auth::json_number_value;
using mastra_auth::json_string_value;
using mastra_auth::JsonKind;
using mastra_auth::JsonObjectScan;
using mastra_auth::kMaxJsonDepth;

namespace {

bool scans(const std::string &text) {
    JsonObjectScan scan;
    return scan.scan(text);
}

bool parses(const std::string &text) {
    nlohmann::json value;
    return mastra_auth::parse_json_object(text, value);
}

std::string nested(int levels) {
    std::string text = "{\"a\":";
    for (int i = 1; i < levels; i++) text += "[";
    text += "1";
    for (int i = 1; i < levels; i++) text += "]";
    return text + "}";
}

}  // namespace

TEST(JsonScan, AgreesWithTheStrictParser) {
    const std::string cases[] = {
        "{}", " {} ", "{\"a\":1}", "{\"a\":-0.5e+3,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "{\"\":0}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\xf0\x9f\x98\x80\"}",
        "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", "{\"a\":1e400}", "{\"a\":[]}", "{\"a\":[[],{}]}",
        // refused
        "", " ", "[]", "1", "\"a\"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":0x10}",
        "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{'a':1}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xe2\x82\"}", "{\"a\":1}{}", "{\"a\":1} x",
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"o\":{\"x\":1,\"x\":1}}", "{\"a\":[{\"x\":1,\"x\":2}]}",
        "{\"a\":1}/*c*/", "{\"a\":\"unterminated}", "\t{\"a\"\n:\r1 }",
    };
    for (const std::string &text : cases) EXPECT_EQ(scans(text), parses(text)) << text;
    // A NUL anywhere, even after a complete object.
    EXPECT_FALSE(scans(std::string("{}\0", 3)));
    EXPECT_FALSE(scans(std::string("{\"a\":\"\0\"}", 9)));
}

TEST(JsonScan, DepthIsCappedLikeTheParser) {
    EXPECT_TRUE(scans(nested(kMaxJsonDepth)));
    EXPECT_TRUE(parses(nested(kMaxJsonDepth)));
    EXPECT_FALSE(scans(nested(kMaxJsonDepth + 1)));
    EXPECT_FALSE(parses(nested(kMaxJsonDepth + 1)));
    EXPECT_FALSE(scans(nested(5000)));
}

TEST(JsonScan, DuplicateNamesInLargeObjectsAreFound) {
    std::string text = "{";
    for (int i = 0; i < 500; i++) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    EXPECT_TRUE(scans(text + "\"last\":0}"));
    EXPECT_FALSE(scans(text + "\"k250\":0}"));
    EXPECT_FALSE(scans(text + "\"k\\u0032\":0,\"k2\":1}"));
}

TEST(JsonScan, MembersAreFoundByDecodedName) {
    const std::string text =
        R"({"sub":"user-1","\u0065xp":1900000000.5,"aud":["a", "b\"c" ,"d"],"o":{"sub":"inner"},"n":null})";
    JsonObjectScan scan;
    ASSERT_TRUE(scan.scan(text));
    ASSERT_EQ(scan.members().size(), 5u);

    const auto *sub = scan.find("sub");
    ASSERT_NE(sub, nullptr);
    EXPECT_EQ(sub->kind, JsonKind::String);
    std::string s;
    ASSERT_TRUE(json_string_value(sub->value, s));
    EXPECT_EQ(s, "user-1");   // the top-level one, not the nested one

    const auto *exp = scan.find("exp");
    ASSERT_NE(exp, nullptr);
    double d = 0;
    ASSERT_TRUE(json_number_value(exp->value, d));
    EXPECT_EQ(d, 1900000000.5);

    const auto *aud = scan.find("aud");
    ASSERT_NE(aud, nullptr);
    auto elements = json_array_elements(aud->value);
    ASSERT_EQ(elements.size(), 3u);
    ASSERT_TRUE(json_string_value(elements[1].value, s));
    EXPECT_EQ(s, "b\"c");

    EXPECT_EQ(scan.find("o")->kind, JsonKind::Object);
    EXPECT_EQ(scan.find("n")->kind, JsonKind::Null);
    EXPECT_EQ(scan.find("absent"), nullptr);
    EXPECT_EQ(scan.find("SUB"), nullptr);   // exact names only
}

TEST(JsonScan, StringViewsCopyOnlyEscapedStrings) {
    std::string storage;
    std::string_view v;
    ASSERT_TRUE(json_string_view("\"plain\"", storage, v));
    EXPECT_EQ(v, "plain");
    EXPECT_TRUE(storage.empty());   // a view into the value, no copy
    ASSERT_TRUE(json_string_view(R"("a\"b\u00e9")", storage, v));
    EXPECT_EQ(v, "a\"b\xc3\xa9");
    EXPECT_FALSE(json_string_view("plain", storage, v));
    EXPECT_FALSE(json_string_view("\"", storage, v));
}

TEST(JsonScan, PlainDigitsAndTheGeneralConversionAgree) {
    for (const char *text : {"1", "9", "10", "1700000000", "253402300799", "999999999999999",
                             "9999999999999999", "0", "01", "1.5", "-1", "1e3", "12345678901234567890"}) {
        double fast = 0;
        const bool ok = json_number_value(text, fast);
        char *end = nullptr;
        const double slow = std::strtod(text, &end);
        EXPECT_TRUE(ok) << text;   // the scan never hands over a malformed number; "01" converts too
        EXPECT_EQ(fast, slow) << text;
    }
}

TEST(JsonScan, EscapesDecodeToUtf8) {
    JsonObjectScan scan;
    ASSERT_TRUE(scan.scan(R"({"s":"\u00e9\u20ac\ud83d\ude00\n"})"));
    std::string s;
    ASSERT_TRUE(json_string_value(scan.find("s")->value, s));
    EXPECT_EQ(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n");
}

TEST(JsonScan, NumbersOutOfDoubleRangeDoNotConvert) {
    double d = 0;
    EXPECT_FALSE(json_number_value("1e400", d));
    EXPECT_TRUE(json_number_value("-0", d));
    EXPECT_TRUE(json_number_value("253402300799", d));
    EXPECT_EQ(d, 253402300799.0);
}

TEST(JsonScan, AByteOrderMarkIsRefused) {
    // nlohmann skips one; nothing that signs JSON puts one there.
    EXPECT_FALSE(scans("\xEF\xBB\xBF{}"));
}
