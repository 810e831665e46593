// OAuth protected resources (docs/mcp.md): the RFC 9728 metadata document,
// resource URLs, RFC 6750 challenge parameters and the scope check.
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mastra_auth/resource.h"
#include "mastra_auth/status.h"

// the status the scope check leads to, appended to both enums
static_assert(static_cast<int>(mastra_auth::Status::ScopeMissing) == MA_SCOPE_MISSING,
              "Status and ma_status_t must list the same values");

namespace {

std::string_view view(ma_str_t s) {
    return s.data == nullptr ? std::string_view{} : std::string_view(s.data, s.len);
}

void set_error(char *err, size_t errlen, std::string_view text) {
    if (err == nullptr || errlen == 0) return;
    size_t n = text.size() < errlen - 1 ? text.size() : errlen - 1;
    std::memcpy(err, text.data(), n);
    err[n] = '\0';
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 unreserved, sub-delims, ":" and "@" and "/": what a path may hold
// besides percent escapes; "[" and "]" only in the host (IPv6 literals).
bool uri_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("-._~!$&'()*+,;=:@/", c) != nullptr && c != '\0';
}

constexpr std::string_view https_scheme = "https://";
constexpr std::string_view http_scheme = "http://";

// The length of "https://" or "http://" (any case) the URL starts with, or 0.
size_t scheme_length(std::string_view url) {
    if (istarts_with(url, https_scheme)) return https_scheme.size();
    if (istarts_with(url, http_scheme)) return http_scheme.size();
    return 0;
}

// The length of "scheme://authority", 0 when the URL has none.
size_t origin_length(std::string_view url) {
    size_t start = scheme_length(url);
    if (start == 0) return 0;
    size_t end = url.find_first_of("/?#", start);
    return end == std::string_view::npos ? url.size() : end;
}

constexpr std::string_view well_known = "/.well-known/oauth-protected-resource";

ma_status_t check_url(std::string_view u, char *err, size_t errlen) {
    size_t origin = origin_length(u);
    if (origin == 0) {
        set_error(err, errlen, "not an absolute http:// or https:// URL");
        return MA_CONFIG_INVALID;
    }

    size_t scheme = scheme_length(u);
    std::string_view authority = u.substr(scheme, origin - scheme);

    if (authority.empty()) {
        set_error(err, errlen, "no host");
        return MA_CONFIG_INVALID;
    }

    if (u.find('#') != std::string_view::npos) {
        set_error(err, errlen, "a fragment is not allowed");
        return MA_CONFIG_INVALID;
    }

    if (u.find('?') != std::string_view::npos) {
        set_error(err, errlen, "a query is not allowed");
        return MA_CONFIG_INVALID;
    }

    if (authority.find('@') != std::string_view::npos) {
        set_error(err, errlen, "user information is not allowed");
        return MA_CONFIG_INVALID;
    }

    for (size_t i = scheme; i < u.size(); i++) {
        char c = u[i];

        if (c == '%') {
            if (i + 2 >= u.size() || !is_hex(u[i + 1]) || !is_hex(u[i + 2])) {
                set_error(err, errlen, "a malformed percent escape");
                return MA_CONFIG_INVALID;
            }
            i += 2;
            continue;
        }

        bool bracket = (c == '[' || c == ']') && i < origin;

        if (!uri_char(c) && !bracket) {
            set_error(err, errlen, "a character a URL cannot hold unescaped");
            return MA_CONFIG_INVALID;
        }
    }

    return MA_OK;
}

}  // namespace

extern "C" {

ma_status_t ma_resource_url_check(ma_str_t url, char *err, size_t errlen) {
    try {
        return check_url(view(url), err, errlen);
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

size_t ma_resource_metadata_url(ma_str_t url, char *out, size_t *path_offset) {
    std::string_view u = view(url);
    size_t origin = origin_length(u);
    std::string_view path = u.substr(origin);

    // RFC 9728 section 3.1: the slash after the host goes when the path is
    // empty; a path (even "/x/") follows the well-known suffix as it is
    if (path == "/") path = {};

    size_t n = 0;
    std::memcpy(out, u.data(), origin);
    n += origin;
    *path_offset = n;
    std::memcpy(out + n, well_known.data(), well_known.size());
    n += well_known.size();
    if (!path.empty()) std::memcpy(out + n, path.data(), path.size());
    n += path.size();
    return n;
}

int ma_scope_token_check(ma_str_t scope) {
    std::string_view s = view(scope);
    if (s.empty()) return 0;
    for (char c : s) {
        unsigned char b = static_cast<unsigned char>(c);
        // %x21 / %x23-5B / %x5D-7E
        if (b < 0x21 || b > 0x7e || b == 0x22 || b == 0x5c) return 0;
    }
    return 1;
}

size_t ma_quoted_string(ma_str_t in, char *out) {
    size_t n = 0;
    out[n++] = '"';
    for (char c : view(in)) {
        unsigned char b = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = c;
        } else if ((b < 0x20 && b != '\t') || b == 0x7f) {
            out[n++] = '?';
        } else {
            out[n++] = c;
        }
    }
    out[n++] = '"';
    return n;
}

}  // extern "C"

struct ma_resource_doc_s {
    std::string text;
};

namespace {

nlohmann::json string_array(const ma_str_t *items, size_t n) {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i = 0; i < n; i++) a.push_back(std::string(view(items[i])));
    return a;
}

// The granted scopes hold `want` as one space-separated token.
bool holds_token(std::string_view granted, std::string_view want) {
    size_t i = 0;
    while (i < granted.size()) {
        size_t end = granted.find(' ', i);
        if (end == std::string_view::npos) end = granted.size();
        if (granted.substr(i, end - i) == want) return true;
        i = end + 1;
    }
    return false;
}

bool granted(const nlohmann::json &claims, std::string_view want) {
    auto scope = claims.find("scope");
    if (scope != claims.end() && scope->is_string()
        && holds_token(scope->get_ref<const std::string &>(), want)) {
        return true;
    }

    auto scp = claims.find("scp");
    if (scp == claims.end()) return false;

    if (scp->is_string()) return holds_token(scp->get_ref<const std::string &>(), want);

    if (scp->is_array()) {
        for (const auto &item : *scp) {
            if (item.is_string() && item.get_ref<const std::string &>() == want) return true;
        }
    }

    return false;
}

}  // namespace

extern "C" {

ma_status_t ma_resource_doc_create(const ma_resource_doc_options_t *options,
                                   ma_resource_doc_t **out, char *err, size_t errlen) {
    *out = nullptr;

    try {
        // RFC 9728 section 2, in its order of fields
        nlohmann::ordered_json doc;
        doc["resource"] = std::string(view(options->resource));
        doc["authorization_servers"] =
            string_array(options->authorization_servers, options->nauthorization_servers);
        if (options->nscopes) {
            doc["scopes_supported"] = string_array(options->scopes, options->nscopes);
        }
        doc["bearer_methods_supported"] =
            string_array(options->bearer_methods, options->nbearer_methods);
        if (options->resource_name.len) {
            doc["resource_name"] = std::string(view(options->resource_name));
        }

        auto *d = new ma_resource_doc_s;
        try {
            // strict: a value that is not UTF-8 is refused, not mangled
            d->text = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
        } catch (const nlohmann::json::type_error &) {
            delete d;
            set_error(err, errlen, "a value is not valid UTF-8");
            return MA_CONFIG_INVALID;
        }

        *out = d;
        return MA_OK;

    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_resource_doc_free(ma_resource_doc_t *doc) {
    delete doc;
}

ma_str_t ma_resource_doc_text(const ma_resource_doc_t *doc) {
    return ma_str_t{doc->text.data(), doc->text.size()};
}

int ma_scopes_granted(ma_str_t claims, const ma_str_t *scopes, size_t n) {
    try {
        nlohmann::json doc = nlohmann::json::parse(view(claims));
        if (!doc.is_object()) return 0;

        for (size_t i = 0; i < n; i++) {
            if (!granted(doc, view(scopes[i]))) return 0;
        }

        return 1;

    } catch (...) {
        // claims that do not parse grant nothing (fail closed)
        return 0;
    }
}

}  // extern "C"
