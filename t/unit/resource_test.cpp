// OAuth protected resources (docs/mcp.md): resource URLs, metadata URLs
// (RFC 9728 section 3.1), quoted-strings (RFC 9110 section 5.6.4), scope
// tokens (RFC 6749 section 3.3), the metadata document and the scope check.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mastra_auth/resource.h"

namespace {

ma_str_t s(const std::string &text) { return ma_str_t{text.data(), text.size()}; }

bool url_ok(const std::string &url) {
    char err[128];
    return ma_resource_url_check(s(url), err, sizeof(err)) == MA_OK;
}

std::string metadata_url(const std::string &url, std::string *path = nullptr) {
    std::string out(url.size() + MA_RESOURCE_METADATA_EXTRA, '\0');
    size_t offset = 0;
    out.resize(ma_resource_metadata_url(s(url), out.data(), &offset));
    if (path) *path = out.substr(offset);
    return out;
}

std::string quoted(const std::string &in) {
    std::string out(2 * in.size() + 2, '\0');
    out.resize(ma_quoted_string(s(in), out.data()));
    return out;
}

bool granted(const std::string &claims, const std::vector<std::string> &want) {
    std::vector<ma_str_t> scopes;
    for (const auto &w : want) scopes.push_back(s(w));
    return ma_scopes_granted(s(claims), scopes.data(), scopes.size()) == 1;
}

}  // namespace

TEST(ResourceUrl, AbsoluteHttpWithoutQueryOrFragment) {
    EXPECT_TRUE(url_ok("https://mcp.example.com/api/mcp/weather/mcp"));
    EXPECT_TRUE(url_ok("http://127.0.0.1:4111"));
    EXPECT_TRUE(url_ok("https://[::1]:8443/mcp"));
    EXPECT_TRUE(url_ok("HTTPS://mcp.example.com/a%2Fb"));
    EXPECT_FALSE(url_ok("/api/mcp"));
    EXPECT_FALSE(url_ok("ftp://x/y"));
    EXPECT_FALSE(url_ok("https://"));
    EXPECT_FALSE(url_ok("https:///x"));
    EXPECT_FALSE(url_ok("https://x/y#f"));
    EXPECT_FALSE(url_ok("https://x/y?q"));
    EXPECT_FALSE(url_ok("https://u@x/y"));
    EXPECT_FALSE(url_ok("https://x/%4"));
    EXPECT_FALSE(url_ok("https://x/a\"b"));
    EXPECT_FALSE(url_ok("https://x/a\\b"));
    EXPECT_FALSE(url_ok("https://x/a b"));
    EXPECT_FALSE(url_ok("https://x/[a]"));
    EXPECT_FALSE(url_ok(std::string("https://x/a\0b", 13)));
}

TEST(ResourceUrl, MetadataUrlPutsTheWellKnownBeforeThePath) {
    std::string path;
    EXPECT_EQ(metadata_url("https://mcp.example.com/api/mcp/weather/mcp", &path),
              "https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp/weather/mcp");
    EXPECT_EQ(path, "/.well-known/oauth-protected-resource/api/mcp/weather/mcp");
    EXPECT_EQ(metadata_url("https://mcp.example.com"),
              "https://mcp.example.com/.well-known/oauth-protected-resource");
    EXPECT_EQ(metadata_url("https://mcp.example.com/"),
              "https://mcp.example.com/.well-known/oauth-protected-resource");
    EXPECT_EQ(metadata_url("http://127.0.0.1:8080/mcp/"),
              "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp/");
}

TEST(QuotedString, EscapesQuoteAndBackslashOnly) {
    EXPECT_EQ(quoted("mastra"), "\"mastra\"");
    EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quoted("tab\there"), "\"tab\there\"");
    EXPECT_EQ(quoted("cr\r\nlf\x7f"), "\"cr??lf?\"");
    EXPECT_EQ(quoted(""), "\"\"");
}

TEST(ScopeToken, Rfc6749Characters) {
    EXPECT_EQ(ma_scope_token_check(s("mcp:tools")), 1);
    EXPECT_EQ(ma_scope_token_check(s("https://x/read!#$")), 1);
    EXPECT_EQ(ma_scope_token_check(s("")), 0);
    EXPECT_EQ(ma_scope_token_check(s("a b")), 0);
    EXPECT_EQ(ma_scope_token_check(s("a\"b")), 0);
    EXPECT_EQ(ma_scope_token_check(s("a\\b")), 0);
    EXPECT_EQ(ma_scope_token_check(s("caf\xc3\xa9")), 0);
}

TEST(ResourceDoc, FieldsInOrderAndEscaped) {
    // the texts outlive the views
    const std::string as = "https://as.example/", a = "a", b = "b", header = "header";
    const std::string r = "https://mcp.example.com/mcp", name = "W \"x\" \\ \xc3\xa9\n";
    std::vector<ma_str_t> servers{s(as)};
    std::vector<ma_str_t> scopes{s(a), s(b)};
    std::vector<ma_str_t> methods{s(header)};
    ma_resource_doc_options_t o{};
    o.resource = s(r);
    o.authorization_servers = servers.data();
    o.nauthorization_servers = servers.size();
    o.scopes = scopes.data();
    o.nscopes = scopes.size();
    o.bearer_methods = methods.data();
    o.nbearer_methods = methods.size();
    o.resource_name = s(name);

    ma_resource_doc_t *doc = nullptr;
    char err[128] = "";
    ASSERT_EQ(ma_resource_doc_create(&o, &doc, err, sizeof(err)), MA_OK) << err;
    ma_str_t text = ma_resource_doc_text(doc);
    EXPECT_EQ(std::string(text.data, text.len),
              "{\"resource\":\"https://mcp.example.com/mcp\","
              "\"authorization_servers\":[\"https://as.example/\"],"
              "\"scopes_supported\":[\"a\",\"b\"],"
              "\"bearer_methods_supported\":[\"header\"],"
              "\"resource_name\":\"W \\\"x\\\" \\\\ \xc3\xa9\\n\"}");
    ma_resource_doc_free(doc);

    // no scopes, no name: the fields are left out; no methods: []
    o.nscopes = 0;
    o.nbearer_methods = 0;
    o.resource_name = ma_str_t{nullptr, 0};
    ASSERT_EQ(ma_resource_doc_create(&o, &doc, err, sizeof(err)), MA_OK);
    text = ma_resource_doc_text(doc);
    EXPECT_EQ(std::string(text.data, text.len),
              "{\"resource\":\"https://mcp.example.com/mcp\","
              "\"authorization_servers\":[\"https://as.example/\"],"
              "\"bearer_methods_supported\":[]}");
    ma_resource_doc_free(doc);

    std::string bad = "bad \xff";
    o.resource_name = s(bad);
    EXPECT_EQ(ma_resource_doc_create(&o, &doc, err, sizeof(err)), MA_CONFIG_INVALID);
    EXPECT_EQ(doc, nullptr);
    EXPECT_NE(std::string(err).find("UTF-8"), std::string::npos);
}

TEST(Scopes, ScopeStringOrScp) {
    EXPECT_TRUE(granted(R"({"scope":"openid mcp:tools mcp:read"})", {"mcp:tools", "mcp:read"}));
    EXPECT_TRUE(granted(R"({"scp":["mcp:read","mcp:tools"]})", {"mcp:tools", "mcp:read"}));
    EXPECT_TRUE(granted(R"({"scp":"mcp:read mcp:tools"})", {"mcp:tools"}));
    EXPECT_TRUE(granted(R"({"scope":"mcp:read","scp":["mcp:tools"]})", {"mcp:tools", "mcp:read"}));
    EXPECT_TRUE(granted(R"({})", {}));
    EXPECT_FALSE(granted(R"({"scope":"mcp:tools"})", {"mcp:tools", "mcp:read"}));
    EXPECT_FALSE(granted(R"({"scope":"mcp:toolsx"})", {"mcp:tools"}));
    EXPECT_FALSE(granted(R"({"scope":"mcp:tools,mcp:read"})", {"mcp:tools"}));
    EXPECT_FALSE(granted(R"({"scope":["mcp:tools"]})", {"mcp:tools"}));
    EXPECT_FALSE(granted(R"({"scp":[1,"x"]})", {"1"}));
    EXPECT_FALSE(granted(R"({"scope":""})", {"mcp:tools"}));
    EXPECT_FALSE(granted(R"(["mcp:tools"])", {"mcp:tools"}));
    EXPECT_FALSE(granted("not json", {"mcp:tools"}));
}
