// Fetching a key set (or an OIDC discovery document) over http/https with
// libcurl.  Blocking: it runs on an nginx thread-pool thread, never on the
// event loop.  No clock is read here except libcurl's own timeout.
#ifndef MASTRA_AUTH_FETCH_H
#define MASTRA_AUTH_FETCH_H

#include <cstdint>
#include <string>
#include <string_view>

namespace mastra_auth {

inline constexpr std::size_t kMaxFetchBody = 1024 * 1024;   // 1 MB

struct FetchRequest {
    std::string url;        // http:// or https:// only
    std::string ca_pem;     // the CA certificates (PEM text); empty: the system store
    long timeout_ms = 5000;
    std::string cookie;     // a Cookie header value to send, if any
};

struct FetchResult {
    bool ok = false;        // a 200 answer with a body within the limit
    long http_status = 0;
    std::string body;
    std::int64_t max_age = -1;   // Cache-Control max-age in seconds, -1 if none
    std::string error;      // why not ok, for the log (no secrets in URLs here)
};

// One GET: TLS peers and host names always verified, redirects not
// followed, no content encoding asked for (no decompression bombs), the body
// capped at kMaxFetchBody.
FetchResult fetch(const FetchRequest &request) noexcept;

// OpenID Connect discovery: GET the discovery document, check that its
// "issuer" equals issuer exactly (OIDC Discovery 4.3), then GET its jwks_uri.
FetchResult fetch_discovered_keys(const FetchRequest &discovery, std::string_view issuer) noexcept;

// The max-age of a Cache-Control value ("public, max-age=600"), -1 if none.
std::int64_t parse_max_age(std::string_view cache_control) noexcept;

// Process-wide libcurl setup; call once before any thread uses fetch().
bool fetch_global_init() noexcept;

}  // namespace mastra_auth

#endif
