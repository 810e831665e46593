#include "mastra_auth/fetch.h"

#include <cctype>
#include <memory>
#include <string_view>

#include <curl/curl.h>

#include "mastra_auth/json_strict.h"

namespace mastra_auth {

namespace {

struct Transfer {
    std::string body;
    bool too_large = false;
    std::int64_t max_age = -1;
};

std::size_t on_body(char *data, std::size_t size, std::size_t count, void *user) {
    auto *transfer = static_cast<Transfer *>(user);
    std::size_t n = size * count;
    if (transfer->body.size() + n > kMaxFetchBody) {
        transfer->too_large = true;
        return 0;   // aborts the transfer
    }
    transfer->body.append(data, n);
    return n;
}

std::size_t on_header(char *data, std::size_t size, std::size_t count, void *user) {
    auto *transfer = static_cast<Transfer *>(user);
    std::size_t n = size * count;
    std::string_view line(data, n);
    constexpr std::string_view kName = "cache-control:";
    if (line.size() > kName.size()) {
        bool match = true;
        for (std::size_t i = 0; i < kName.size() && match; i++)
            match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
        if (match) transfer->max_age = parse_max_age(line.substr(kName.size()));
    }
    return n;
}

struct CurlDeleter {
    void operator()(CURL *curl) const noexcept { curl_easy_cleanup(curl); }
};

}  // namespace

std::int64_t parse_max_age(std::string_view value) noexcept {
    constexpr std::string_view kDirective = "max-age=";
    for (std::size_t i = 0; i + kDirective.size() <= value.size(); i++) {
        bool match = true;
        for (std::size_t j = 0; j < kDirective.size() && match; j++)
            match = std::tolower(static_cast<unsigned char>(value[i + j])) == kDirective[j];
        // The directive must start the value or follow a separator.
        if (!match || (i > 0 && value[i - 1] != ' ' && value[i - 1] != ',' && value[i - 1] != '\t'))
            continue;
        std::int64_t seconds = 0;
        std::size_t k = i + kDirective.size();
        if (k >= value.size() || !std::isdigit(static_cast<unsigned char>(value[k]))) return -1;
        for (; k < value.size() && std::isdigit(static_cast<unsigned char>(value[k])); k++) {
            if (seconds > 1'000'000'000) return 1'000'000'000;   // clamped by the caller anyway
            seconds = seconds * 10 + (value[k] - '0');
        }
        return seconds;
    }
    return -1;
}

bool fetch_global_init() noexcept {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

FetchResult fetch(const FetchRequest &request) noexcept {
    FetchResult result;
    try {
        std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
        if (!curl) {
            result.error = "curl_easy_init() failed";
            return result;
        }
        Transfer transfer;
        char error[CURL_ERROR_SIZE] = {0};
        CURL *c = curl.get();
        curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
        // file:, gopher:, ... never (PyJWT PR#1169: a JWKS URI could be file:).
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!request.ca_pem.empty()) {
            // From memory: the file is read by nginx's master, as root, and
            // this thread may run as a user that cannot open it.  Only these
            // CAs: the blob replaces the CA file, and the CA directory
            // libcurl was built with (Debian's /etc/ssl/certs) goes too.
            // NOCOPY: libcurl only reads it, while request lives.
            curl_blob ca{const_cast<char *>(request.ca_pem.data()), request.ca_pem.size(),
                         CURL_BLOB_NOCOPY};
            if (curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK ||
                curl_easy_setopt(c, CURLOPT_CAPATH, static_cast<char *>(nullptr)) != CURLE_OK) {
                result.error = "this libcurl cannot take CA certificates from memory";
                return result;
            }
        }
        if (!request.cookie.empty()) curl_easy_setopt(c, CURLOPT_COOKIE, request.cookie.c_str());
        // Signals belong to nginx; threads must not use them for timeouts.
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, request.timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, request.timeout_ms);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxFetchBody));
        curl_easy_setopt(c, CURLOPT_USERAGENT, "nginx-mastra-auth");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);

        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.http_status);
        if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            result.error = "body larger than 1 MB";
            return result;
        }
        if (rc != CURLE_OK) {
            result.error = error[0] ? error : curl_easy_strerror(rc);
            return result;
        }
        if (result.http_status != 200) {
            result.error = "HTTP status " + std::to_string(result.http_status);
            return result;
        }
        result.body = std::move(transfer.body);
        result.max_age = transfer.max_age;
        result.ok = true;
        return result;
    } catch (...) {
        result.ok = false;
        result.error = "out of memory";
        return result;
    }
}

FetchResult fetch_discovered_keys(const FetchRequest &discovery, std::string_view issuer) noexcept {
    FetchResult document = fetch(discovery);
    if (!document.ok) {
        document.error = "discovery: " + document.error;
        return document;
    }
    FetchResult result;
    try {
        nlohmann::json doc;
        if (!parse_json_object(document.body, doc)) {
            result.error = "discovery: not a JSON object";
            return result;
        }
        auto iss = doc.find("issuer");
        if (iss == doc.end() || !iss->is_string() || iss->get_ref<const std::string &>() != issuer) {
            result.error = "discovery: \"issuer\" differs from the configured issuer";
            return result;
        }
        auto uri = doc.find("jwks_uri");
        if (uri == doc.end() || !uri->is_string()) {
            result.error = "discovery: no \"jwks_uri\"";
            return result;
        }
        FetchRequest keys = discovery;
        keys.url = uri->get<std::string>();
        result = fetch(keys);
        if (!result.ok) result.error = "jwks_uri: " + result.error;
        return result;
    } catch (...) {
        result.ok = false;
        result.error = "out of memory";
        return result;
    }
}

}  // namespace mastra_auth
