// Route patterns with Mastra's (regexparam) semantics,
// docs/routes-and-rules.md and the comment at the top of src/core/pattern.cpp
// (catalogue rows P1, P5-P7).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mastra_auth/pattern.h"

using mastra_auth::Pattern;
using mastra_auth::RouteParam;
using mastra_auth::Status;

namespace {

Pattern compiled(std::string_view text) {
    Pattern pattern;
    std::string error;
    EXPECT_EQ(Pattern::compile(text, pattern, error), Status::Ok) << text << ": " << error;
    return pattern;
}

bool matches(std::string_view pattern, std::string_view path) {
    return compiled(pattern).match(path);
}

// name=value pairs captured by a match, or "no match".
std::string captured(std::string_view pattern_text, std::string_view path) {
    Pattern pattern = compiled(pattern_text);
    std::vector<RouteParam> params;
    if (!pattern.match(path, &params)) return "no match";
    std::string out;
    for (const auto &p : params) {
        if (!out.empty()) out += " ";
        out += std::string(p.name) + "=" + std::string(p.value);
    }
    return out;
}

void expect_refused(std::string_view text) {
    Pattern pattern;
    std::string error;
    EXPECT_EQ(Pattern::compile(text, pattern, error), Status::ConfigInvalid) << text;
    EXPECT_FALSE(error.empty()) << text;
}

}  // namespace

TEST(Pattern, LiteralSegments) {
    EXPECT_TRUE(matches("/api/health", "/api/health"));
    EXPECT_FALSE(matches("/api/health", "/api/healthz"));
    EXPECT_FALSE(matches("/api/health", "/api/heal"));
    EXPECT_FALSE(matches("/api/health", "/api/health/x"));
    EXPECT_FALSE(matches("/api/health", "/api"));
    EXPECT_FALSE(matches("/api/health", "/x/api/health"));
    EXPECT_FALSE(matches("/api/health", "api/health"));
    EXPECT_FALSE(matches("/api/health", ""));
    EXPECT_FALSE(matches("/api/health", "/api/health;x"));
    EXPECT_FALSE(matches("/api/health", "/api/health?x=1"));   // the shim passes no query
    EXPECT_FALSE(matches("/api", "/apix"));
    EXPECT_FALSE(matches("/api", "/ap"));
}

TEST(Pattern, RootPattern) {
    EXPECT_TRUE(matches("/", "/"));
    EXPECT_TRUE(matches("/", ""));
    EXPECT_FALSE(matches("/", "/x"));
    EXPECT_FALSE(matches("/", "//"));
}

TEST(Pattern, MatchingIgnoresAsciiCase) {
    EXPECT_TRUE(matches("/api/health", "/API/Health"));
    EXPECT_TRUE(matches("/API/HEALTH", "/api/health"));
    EXPECT_TRUE(matches("/files/:name.json", "/FILES/a.JSON"));
    EXPECT_EQ(captured("/API/Agents/:id", "/api/agents/MixedCase"), "id=MixedCase");
}

TEST(Pattern, OneTrailingSlashIsIgnored) {
    EXPECT_TRUE(matches("/health", "/health/"));
    EXPECT_FALSE(matches("/health", "/health//"));
    EXPECT_TRUE(matches("/health/", "/health"));   // in the pattern too
    EXPECT_TRUE(matches("/health/", "/health/"));
    EXPECT_FALSE(matches("/health/", "/health//"));
    EXPECT_TRUE(matches("/api/:id", "/api/x/"));
    EXPECT_FALSE(matches("/api/:id", "/api/x//"));
}

TEST(Pattern, LiteralDotIsLiteral) {
    // Mastra's regex would let "." match any character; we do not copy that.
    EXPECT_TRUE(matches("/a.b", "/a.b"));
    EXPECT_FALSE(matches("/a.b", "/axb"));
    EXPECT_FALSE(matches("/a.b", "/a/b"));
    EXPECT_TRUE(matches("/v1.0/status", "/V1.0/status"));
    EXPECT_FALSE(matches("/v1.0/status", "/v1x0/status"));
    // Other regex characters are literal too.
    EXPECT_TRUE(matches("/a+b", "/a+b"));
    EXPECT_FALSE(matches("/a+b", "/aab"));
    EXPECT_TRUE(matches("/a(b)$", "/a(b)$"));
    EXPECT_FALSE(matches("/a(b)$", "/ab"));
    EXPECT_TRUE(matches("/x[0-9]", "/x[0-9]"));
    EXPECT_FALSE(matches("/x[0-9]", "/x5"));
}

TEST(Pattern, NamedParameterIsOneNonEmptySegment) {
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents/a1"), "agentId=a1");
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents/a1/"), "agentId=a1");
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents/"), "no match");
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents"), "no match");
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents/a/b"), "no match");
    EXPECT_EQ(captured("/api/agents/:agentId", "/api/agents//"), "no match");
}

TEST(Pattern, ParametersAreCaptured) {
    EXPECT_EQ(captured("/api/agents/:agentId/generate", "/api/agents/mine/generate"),
              "agentId=mine");
    EXPECT_EQ(captured("/api/agents/:agentId/generate", "/api/agents/mine/stream"), "no match");
    EXPECT_EQ(captured("/api/agents/:agentId/generate", "/api/agents/generate"), "no match");
    EXPECT_EQ(captured("/:a/:b/:c", "/x/y/z"), "a=x b=y c=z");
    EXPECT_EQ(captured("/api/:resource_1/x", "/api/v%20a;l/x"), "resource_1=v%20a;l");
    // Name views the pattern, value views the path.
    Pattern pattern = compiled("/api/agents/:agentId/generate");
    const std::string path = "/api/agents/agent-7/generate";
    std::vector<RouteParam> params;
    ASSERT_TRUE(pattern.match(path, &params));
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].name, "agentId");
    EXPECT_EQ(params[0].value, "agent-7");
    EXPECT_EQ(params[0].value.data(), path.data() + 12);
    EXPECT_GE(params[0].name.data(), pattern.text().data());
    EXPECT_LT(params[0].name.data(), pattern.text().data() + pattern.text().size());
}

TEST(Pattern, ParamsAreResetOnEachMatch) {
    Pattern pattern = compiled("/a/:x");
    std::vector<RouteParam> params = {{"stale", "value"}};
    ASSERT_TRUE(pattern.match("/a/1", &params));
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].value, "1");
    EXPECT_FALSE(pattern.match("/b/1", &params));
    EXPECT_TRUE(params.empty());
    // A failed attempt deep in the pattern leaves no half-captured values.
    Pattern two = compiled("/:a/:b/end");
    params = {};
    EXPECT_FALSE(two.match("/x/y/nope", &params));
    EXPECT_TRUE(params.empty());
}

TEST(Pattern, OptionalParameter) {
    EXPECT_EQ(captured("/api/agents/:id?", "/api/agents"), "");
    EXPECT_EQ(captured("/api/agents/:id?", "/api/agents/"), "");
    EXPECT_EQ(captured("/api/agents/:id?", "/api/agents/x"), "id=x");
    EXPECT_EQ(captured("/api/agents/:id?", "/api/agents/x/y"), "no match");
    EXPECT_EQ(captured("/api/agents/:id?", "/api/agentsx"), "no match");
    EXPECT_EQ(captured("/a/:b?/c", "/a/c"), "");
    EXPECT_EQ(captured("/a/:b?/c", "/a/x/c"), "b=x");
    EXPECT_EQ(captured("/a/:b?/c", "/a/x/y/c"), "no match");
    EXPECT_EQ(captured("/:a/:b?", "/x"), "a=x");
    EXPECT_EQ(captured("/:a/:b?", "/x/y"), "a=x b=y");
}

TEST(Pattern, ParameterWithExtension) {
    EXPECT_EQ(captured("/files/:name.json", "/files/report.json"), "name=report");
    EXPECT_EQ(captured("/files/:name.json", "/files/a.b.json"), "name=a.b");
    EXPECT_EQ(captured("/files/:name.json", "/files/report.JSON"), "name=report");
    EXPECT_EQ(captured("/files/:name.json", "/files/report.json/"), "name=report");
    EXPECT_EQ(captured("/files/:name.json", "/files/.json"), "no match");   // value non-empty
    EXPECT_EQ(captured("/files/:name.json", "/files/report"), "no match");
    EXPECT_EQ(captured("/files/:name.json", "/files/report.jsonx"), "no match");
    EXPECT_EQ(captured("/files/:name.json", "/files/reportxjson"), "no match");
    EXPECT_EQ(captured("/files/:name.json", "/files/report.json/x"), "no match");
    EXPECT_EQ(captured("/files/:name.json", "/files/a/b.json"), "no match");
    EXPECT_EQ(captured("/dl/:file.tar.gz", "/dl/pkg-1.0.tar.gz"), "file=pkg-1.0");
}

TEST(Pattern, Wildcard) {
    // "*" is a slash and anything after it.
    EXPECT_TRUE(matches("/api/*", "/api/"));
    EXPECT_TRUE(matches("/api/*", "/api/x"));
    EXPECT_TRUE(matches("/api/*", "/api/x/y"));
    EXPECT_TRUE(matches("/api/*", "/api/x/y/"));
    EXPECT_TRUE(matches("/api/*", "/API/X"));
    EXPECT_FALSE(matches("/api/*", "/api"));
    EXPECT_FALSE(matches("/api/*", "/apix"));
    EXPECT_FALSE(matches("/api/*", "/apix/y"));
    EXPECT_FALSE(matches("/api/*", "/other/api/x"));
    EXPECT_TRUE(matches("/*", "/"));
    EXPECT_TRUE(matches("/*", "/anything/at/all"));
    EXPECT_FALSE(matches("/*", ""));
}

TEST(Pattern, DoubleStarIsTheSameAsStar) {
    for (const char *path : {"/api/", "/api/x", "/api/x/y", "/api", "/apix"})
        EXPECT_EQ(matches("/api/**", path), matches("/api/*", path)) << path;
    EXPECT_TRUE(matches("/api/**", "/api/x/y"));
    EXPECT_FALSE(matches("/api/**", "/api"));
}

TEST(Pattern, OptionalWildcard) {
    EXPECT_TRUE(matches("/api/*?", "/api"));
    EXPECT_TRUE(matches("/api/*?", "/api/"));
    EXPECT_TRUE(matches("/api/*?", "/api/x"));
    EXPECT_TRUE(matches("/api/*?", "/api/x/y"));
    EXPECT_FALSE(matches("/api/*?", "/apix"));
    EXPECT_FALSE(matches("/api/*?", "/ap"));
}

TEST(Pattern, WildcardInTheMiddle) {
    EXPECT_TRUE(matches("/api/*/generate", "/api/a/generate"));
    EXPECT_TRUE(matches("/api/*/generate", "/api/a/b/c/generate"));
    EXPECT_FALSE(matches("/api/*/generate", "/api/generate"));
    EXPECT_FALSE(matches("/api/*/generate", "/api/a/generate/x"));
    EXPECT_EQ(captured("/api/*/:last", "/api/a/b/c"), "last=c");
}

TEST(Pattern, MastraDefaultRoutes) {
    // Mastra's built-in defaults, spelled out in conf-examples.
    EXPECT_TRUE(matches("/api", "/api"));
    EXPECT_TRUE(matches("/api", "/api/"));
    EXPECT_FALSE(matches("/api", "/api/agents"));
    EXPECT_TRUE(matches("/api/auth/*", "/api/auth/sign-in/email"));
    EXPECT_FALSE(matches("/api/auth/*", "/api/authx"));
    EXPECT_TRUE(matches("/api/*", "/api/agents"));
}

TEST(Pattern, BadPatternsAreRefused) {
    for (const char *text : {"", "api", "api/health", "*", ":id", " /api"}) expect_refused(text);
    // Empty segments.
    for (const char *text : {"//", "/api//health", "//api", "/api//"}) expect_refused(text);
    // Wildcards other than *, ** and *?.
    for (const char *text : {"/*x", "/api/*x", "/***", "/*??", "/*?x", "/**?"}) expect_refused(text);
    // Parameters without a (valid) name.
    for (const char *text : {"/:", "/:?", "/api/:", "/:.json", "/:a-b", "/:a.", "/:a??",
                             "/:a?.json", "/:a.json?", "/:a:b", "/:a b", "/:é"})
        expect_refused(text);
}

TEST(Pattern, AtMostSixteenParameters) {
    std::string sixteen, path;
    for (int i = 0; i < 16; i++) {
        sixteen += "/:p" + std::to_string(i);
        path += "/v" + std::to_string(i);
    }
    Pattern pattern = compiled(sixteen);
    std::vector<RouteParam> params;
    ASSERT_TRUE(pattern.match(path, &params));
    ASSERT_EQ(params.size(), 16u);
    EXPECT_EQ(params[15].name, "p15");
    EXPECT_EQ(params[15].value, "v15");
    expect_refused(sixteen + "/:p16");
    expect_refused(sixteen + "/:p16?");
    // Literal segments and wildcards do not count.
    compiled(sixteen + "/literal/*");
}

TEST(Pattern, PathologicalInputCompletes) {
    // Three wildcards against 8 KB of "/a": memoised, so it finishes.
    std::string path;
    while (path.size() < 8192) path += "/a";
    EXPECT_FALSE(matches("/*/*/*/b", path));
    EXPECT_TRUE(matches("/*/*/*", path));
    EXPECT_TRUE(matches("/*/a/*/a/*", path));
    EXPECT_FALSE(matches("/*/b/*/a/*", path));
    EXPECT_FALSE(matches("/:x/*/:y/*/*/c", path));
    EXPECT_TRUE(matches("/*?/*?/*?/a", path));
}

TEST(Pattern, TextIsKept) {
    EXPECT_EQ(compiled("/api/agents/:agentId").text(), "/api/agents/:agentId");
}

TEST(Pattern, CopiesAreIndependentOfTheOriginal) {
    // A Pattern's tokens view its own text: a copy must view the copy's text,
    // not the original's (short texts live inside the object itself).
    Pattern original = compiled("/ab/:id");
    Pattern copy(original);
    Pattern assigned;
    assigned = original;
    std::string error;
    ASSERT_EQ(Pattern::compile("/xy/:zz", original, error), Status::Ok);
    for (const Pattern *p : {&copy, &assigned}) {
        std::vector<RouteParam> params;
        ASSERT_TRUE(p->match("/ab/1", &params));
        ASSERT_EQ(params.size(), 1u);
        EXPECT_EQ(params[0].name, "id");
        EXPECT_FALSE(p->match("/xy/1"));
    }
    EXPECT_TRUE(original.match("/xy/1"));
    // Many short patterns in a growing vector (moves on reallocation).
    std::vector<Pattern> patterns;
    for (int i = 0; i < 100; i++) patterns.push_back(compiled("/p" + std::to_string(i) + "/:v"));
    for (int i = 0; i < 100; i++) {
        std::vector<RouteParam> params;
        ASSERT_TRUE(patterns[i].match("/P" + std::to_string(i) + "/x", &params)) << i;
        EXPECT_EQ(params[0].name, "v");
        EXPECT_FALSE(patterns[i].match("/p" + std::to_string(i + 1) + "/x")) << i;
    }
}
