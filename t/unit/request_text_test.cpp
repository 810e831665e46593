// Pure string work on request parts: path safety, bearer scheme, query and
// cookie lookups, percent-decoding (docs/security.md,
// docs/routes-and-rules.md; t/catalogue.t's X2-X7, CK4-CK6, P3-P9).
#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/request_text.h"

using mastra_auth::bearer_token;
using mastra_auth::cookie_value;
using mastra_auth::path_is_checkable;
using mastra_auth::percent_decode;
using mastra_auth::query_arg;

namespace {

// The bearer token, or "(none)".
std::string bearer(std::string_view header) {
    std::string_view token;
    if (!bearer_token(header, token)) return "(none)";
    return std::string(token);
}

// "count:first" for a query or cookie lookup.
std::string arg(std::string_view args, std::string_view name) {
    std::string_view raw = "untouched";
    const int n = query_arg(args, name, raw);
    return std::to_string(n) + ":" + (n > 0 ? std::string(raw) : "");
}

std::string cookie(std::string_view header, std::string_view name) {
    std::string_view raw = "untouched";
    const int n = cookie_value(header, name, raw);
    return std::to_string(n) + ":" + (n > 0 ? std::string(raw) : "");
}

std::string decoded(std::string_view in) {
    std::string out = "stale";
    if (!percent_decode(in, out)) return "(malformed)";
    return out;
}

}  // namespace

TEST(PathCheck, OrdinaryPathsAreCheckable) {
    EXPECT_TRUE(path_is_checkable("/api/agents", "/api/agents", false));
    EXPECT_TRUE(path_is_checkable("/api/%61gents", "/api/agents", false));
    EXPECT_TRUE(path_is_checkable("/", "/", false));
    EXPECT_TRUE(path_is_checkable("", "", false));
    // "%25" is an encoded percent: "%252F" is not an encoded slash.
    EXPECT_TRUE(path_is_checkable("/a%252Fb", "/a%2Fb", false));
    EXPECT_TRUE(path_is_checkable("/a%2", "/a%2", false));
    EXPECT_TRUE(path_is_checkable("/a%", "/a%", false));
}

TEST(PathCheck, BackslashIsRefused) {
    // Raw or %5C: the decoded path holds it (catalogue P4, P5).
    EXPECT_FALSE(path_is_checkable("/api/public/..\\agents", "/api/public/..\\agents", false));
    EXPECT_FALSE(path_is_checkable("/api/public/..%5Cagents", "/api/public/..\\agents", false));
    EXPECT_FALSE(path_is_checkable("/api/public/..%5cagents", "/api/public/..\\agents", true));
    EXPECT_FALSE(path_is_checkable("/x", "\\", true));
}

TEST(PathCheck, NulIsRefused) {
    EXPECT_FALSE(path_is_checkable("/api/health%00", std::string_view("/api/health\0", 12), false));
    EXPECT_FALSE(path_is_checkable("/a", std::string_view("\0", 1), true));
}

TEST(PathCheck, EncodedSlashIsRefusedUnlessAllowed) {
    for (const char *raw : {"/api/agents/a%2Fb/generate", "/api/agents/a%2fb/generate", "%2F",
                            "/a/%2F", "/%2F/", "/api/health%2F..%2Fagents"}) {
        EXPECT_FALSE(path_is_checkable(raw, "/decoded", false)) << raw;
        EXPECT_TRUE(path_is_checkable(raw, "/decoded", true)) << raw;
    }
}

TEST(PathCheck, EncodedSlashInTheQueryStringIsFine) {
    EXPECT_TRUE(path_is_checkable("/api/agents?next=%2Fhome", "/api/agents", false));
    EXPECT_TRUE(path_is_checkable("/api/agents?a=%2f&b=%2F", "/api/agents", false));
    EXPECT_FALSE(path_is_checkable("/api/a%2Fb?next=x", "/api/a/b", false));
    // The first '?' starts the query.
    EXPECT_TRUE(path_is_checkable("/api?x=%2F?y", "/api", false));
}

TEST(BearerToken, SchemeInAnyCase) {
    // RFC 6750 section 2.1; catalogue X2.
    EXPECT_EQ(bearer("Bearer abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(bearer("bearer x"), "x");
    EXPECT_EQ(bearer("BEARER x"), "x");
    EXPECT_EQ(bearer("BeArEr x"), "x");
}

TEST(BearerToken, OneOrMoreSpaces) {
    EXPECT_EQ(bearer("Bearer  x"), "x");
    EXPECT_EQ(bearer("Bearer     x"), "x");
    EXPECT_EQ(bearer("Bearer x   "), "x");
}

TEST(BearerToken, NotABearerValue) {
    // Catalogue X3 and an empty token.
    for (const char *header : {"Bearer\tx", "Basic x", "Basic dXNlcg==", "Bearerx", "Bearer ",
                               "Bearer", "Bearer    ", "", " Bearer x", "Bearer: x", "Token x",
                               "Bear x", "Bearer\t", "Bearer\r\nx"})
        EXPECT_EQ(bearer(header), "(none)") << header;
}

TEST(QueryArg, ExactCaseName) {
    EXPECT_EQ(arg("apiKey=tok", "apiKey"), "1:tok");
    EXPECT_EQ(arg("a=1&apiKey=tok&b=2", "apiKey"), "1:tok");
    EXPECT_EQ(arg("a=1&b=2&apiKey=tok", "apiKey"), "1:tok");
    EXPECT_EQ(arg("apikey=tok", "apiKey"), "0:");
    EXPECT_EQ(arg("APIKEY=tok", "apiKey"), "0:");
    EXPECT_EQ(arg("xapiKey=tok&apiKeyx=tok", "apiKey"), "0:");
    EXPECT_EQ(arg("api%4Bey=tok", "apiKey"), "0:");   // names are not decoded
    EXPECT_EQ(arg("", "apiKey"), "0:");
    EXPECT_EQ(arg("apiKey", "apiKey"), "0:");
    EXPECT_EQ(arg("&&apiKey=tok&&", "apiKey"), "1:tok");
}

TEST(QueryArg, EmptyValueIsAbsent) {
    EXPECT_EQ(arg("apiKey=", "apiKey"), "0:");
    EXPECT_EQ(arg("apiKey=&x=1", "apiKey"), "0:");
    EXPECT_EQ(arg("apiKey=&apiKey=tok", "apiKey"), "1:tok");
}

TEST(QueryArg, DuplicatesAreReportedAsTwo) {
    EXPECT_EQ(arg("apiKey=a&apiKey=b", "apiKey"), "2:a");
    EXPECT_EQ(arg("apiKey=a&apiKey=b&apiKey=c", "apiKey"), "2:a");
    EXPECT_EQ(arg("apiKey=a&x=1&apiKey=a", "apiKey"), "2:a");
}

TEST(QueryArg, ValueIsRawAndRunsToTheNextAmpersand) {
    EXPECT_EQ(arg("apiKey=h%2Ep%2Es", "apiKey"), "1:h%2Ep%2Es");   // catalogue X7
    EXPECT_EQ(arg("apiKey=a=b", "apiKey"), "1:a=b");
    EXPECT_EQ(arg("apiKey=a+b;c", "apiKey"), "1:a+b;c");
}

TEST(CookieValue, FindsTheNamedCookie) {
    EXPECT_EQ(cookie("session=tok", "session"), "1:tok");
    EXPECT_EQ(cookie("a=1; session=tok; b=2", "session"), "1:tok");
    EXPECT_EQ(cookie("a=1;session=tok;b=2", "session"), "1:tok");
    EXPECT_EQ(cookie("a=1;   session=tok  ; b=2", "session"), "1:tok");
    EXPECT_EQ(cookie("a=1;\tsession=tok", "session"), "1:tok");
    EXPECT_EQ(cookie("better-auth.session_token=T.SIG%3D", "better-auth.session_token"),
              "1:T.SIG%3D");
    EXPECT_EQ(cookie("__Secure-better-auth.session_token=x", "better-auth.session_token"), "0:");
    EXPECT_EQ(cookie("Better-Auth.session_token=x", "better-auth.session_token"), "0:");
    EXPECT_EQ(cookie("xsession=tok; sessionx=tok", "session"), "0:");
    EXPECT_EQ(cookie("", "session"), "0:");
    EXPECT_EQ(cookie("session", "session"), "0:");
}

TEST(CookieValue, QuotedValues) {
    // RFC 6265 section 4.1.1: a value may be in double quotes.
    EXPECT_EQ(cookie("session=\"tok\"", "session"), "1:tok");
    EXPECT_EQ(cookie("a=1; session=\"tok\"; b=2", "session"), "1:tok");
    EXPECT_EQ(cookie("session=\"tok", "session"), "1:\"tok");
    EXPECT_EQ(cookie("session=\"", "session"), "1:\"");
    // A quoted empty value is an empty value: absent.
    EXPECT_EQ(cookie("session=\"\"", "session"), "0:");
    EXPECT_EQ(cookie("session=\"\"; session=tok", "session"), "1:tok");
}

TEST(CookieValue, EmptyAndDuplicates) {
    EXPECT_EQ(cookie("session=", "session"), "0:");
    EXPECT_EQ(cookie("session=; a=1", "session"), "0:");
    EXPECT_EQ(cookie("session=bad; session=good", "session"), "2:bad");   // catalogue CK4
    EXPECT_EQ(cookie("session=\"a\"; session=\"b\"", "session"), "2:a");
    EXPECT_EQ(cookie("session=; session=good", "session"), "1:good");
}

TEST(PercentDecode, DecodesOnce) {
    EXPECT_EQ(decoded(""), "");
    EXPECT_EQ(decoded("abc"), "abc");
    EXPECT_EQ(decoded("%41"), "A");
    EXPECT_EQ(decoded("h%2Ep%2es"), "h.p.s");
    EXPECT_EQ(decoded("a%2Bd%2F%3D"), "a+d/=");
    EXPECT_EQ(decoded("%252F"), "%2F");   // once, not twice
    EXPECT_EQ(decoded("a+b"), "a+b");     // '+' left alone
    EXPECT_EQ(decoded("%00"), std::string("\0", 1));
    EXPECT_EQ(decoded("%ff%FF"), "\xff\xff");
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
    for (const char *in : {"%", "%4", "a%", "a%4", "%G1", "%1G", "%%41", "% 41", "%-1", "%4 ",
                           "abc%zz", "%41%", "%41%4"})
        EXPECT_EQ(decoded(in), "(malformed)") << in;
}

TEST(PercentDecode, EveryTwoByteEscape) {
    auto hex = [](unsigned char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    for (unsigned hi = 0; hi < 256; hi++) {
        for (unsigned lo = 0; lo < 256; lo++) {
            const std::string in = {'%', static_cast<char>(hi), static_cast<char>(lo)};
            std::string out;
            const bool ok = percent_decode(in, out);
            ASSERT_EQ(ok, hex(hi) && hex(lo)) << hi << " " << lo;
            if (ok) {
                ASSERT_EQ(out.size(), 1u);
                EXPECT_EQ(static_cast<unsigned char>(out[0]),
                          std::stoul(in.substr(1), nullptr, 16));
            }
        }
    }
}

// nginx merges "//" before it resolves "..", Node does not: with slashes
// merged, a raw path holding both is refused (an authentication bypass
// found by the Mastra parity test: /c/secret//../pub checked as /c/pub).
TEST(PathIsCheckable, EmptySegmentAndDotSegmentTogetherAreRefused) {
    EXPECT_FALSE(path_is_checkable("/c/secret//../pub", "/c/pub", false));
    EXPECT_FALSE(path_is_checkable("/a//./b", "/a/b", false));
    EXPECT_FALSE(path_is_checkable("/a/%2e%2E//b", "/b", false));
    EXPECT_FALSE(path_is_checkable("/a/b//..?x=1", "/a", false));
    // each alone is fine: nginx and Node agree
    EXPECT_TRUE(path_is_checkable("//api//health", "/api/health", false));
    EXPECT_TRUE(path_is_checkable("/api/x/../health", "/api/health", false));
    EXPECT_TRUE(path_is_checkable("/api/a..b//c", "/api/a..b/c", false));
    // with merge_slashes off nginx resolves ".." as Node does
    EXPECT_TRUE(path_is_checkable("/c/secret//../pub", "/c/secret/pub", false, false));
}
