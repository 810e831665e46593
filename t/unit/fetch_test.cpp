// Key set fetching (catalogue J2-J5, and PyJWT PR#1169's file: URIs):
// parse_max_age on Cache-Control values, schemes other than http(s) refused
// without any network, and a few one-shot HTTP servers on 127.0.0.1 (no
// network either) for what only a real answer can show: status codes,
// redirects not followed, the body cap, timeouts, Cache-Control, discovery.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mastra_auth/fetch.h"

using mastra_auth::fetch;
using mastra_auth::fetch_discovered_keys;
using mastra_auth::FetchRequest;
using mastra_auth::FetchResult;
using mastra_auth::parse_max_age;

// ---- parse_max_age --------------------------------------------------------------

TEST(ParseMaxAge, TakesTheMaxAgeDirective) {
    EXPECT_EQ(parse_max_age("max-age=600"), 600);
    EXPECT_EQ(parse_max_age("public, max-age=60"), 60);
    EXPECT_EQ(parse_max_age("public,max-age=60"), 60);
    EXPECT_EQ(parse_max_age("public,\tmax-age=61"), 61);
    EXPECT_EQ(parse_max_age("max-age=60, must-revalidate"), 60);
    EXPECT_EQ(parse_max_age(" max-age=5\r\n"), 5);   // as a header callback sees it
    EXPECT_EQ(parse_max_age("max-age=0"), 0);
    EXPECT_EQ(parse_max_age("max-age=007"), 7);
    EXPECT_EQ(parse_max_age("max-age=60;"), 60);
    // The first max-age wins.
    EXPECT_EQ(parse_max_age("max-age=60, max-age=5"), 60);
}

TEST(ParseMaxAge, DirectiveNameIsCaseInsensitive) {
    EXPECT_EQ(parse_max_age("MAX-AGE=60"), 60);
    EXPECT_EQ(parse_max_age("Public, Max-Age=120"), 120);
}

TEST(ParseMaxAge, OtherDirectivesAreNotTaken) {
    EXPECT_EQ(parse_max_age(""), -1);
    EXPECT_EQ(parse_max_age("no-cache"), -1);
    EXPECT_EQ(parse_max_age("s-maxage=5"), -1);
    EXPECT_EQ(parse_max_age("public, s-maxage=5"), -1);
    EXPECT_EQ(parse_max_age("s-max-age=5"), -1);   // a suffix match would find max-age=5
    EXPECT_EQ(parse_max_age("xmax-age=5"), -1);
    EXPECT_EQ(parse_max_age("stale-while-revalidate=30"), -1);
    EXPECT_EQ(parse_max_age("maxage=5"), -1);
    EXPECT_EQ(parse_max_age("max-age"), -1);
    EXPECT_EQ(parse_max_age("max-age 60"), -1);
    // s-maxage first does not hide a later max-age.
    EXPECT_EQ(parse_max_age("s-maxage=5, max-age=50"), 50);
}

TEST(ParseMaxAge, MissingOrMalformedValueIsNone) {
    EXPECT_EQ(parse_max_age("max-age="), -1);
    EXPECT_EQ(parse_max_age("max-age=, public"), -1);
    EXPECT_EQ(parse_max_age("max-age=-1"), -1);
    EXPECT_EQ(parse_max_age("max-age=+5"), -1);
    EXPECT_EQ(parse_max_age("max-age= 5"), -1);
    EXPECT_EQ(parse_max_age("max-age=abc"), -1);
    EXPECT_EQ(parse_max_age("max-age=\"600\""), -1);   // RFC 9111 5.2.1.1: senders use the token form
}

TEST(ParseMaxAge, HugeNumbersNeverOverflow) {
    // Large values stay large and positive (the caller clamps to 24 h).
    EXPECT_EQ(parse_max_age("max-age=2147483648"), 2147483648LL);
    EXPECT_EQ(parse_max_age("max-age=4294967296"), 4294967296LL);
    for (const char *huge : {"max-age=99999999999", "max-age=9223372036854775807", "max-age=9223372036854775808",
                             "max-age=18446744073709551617", "max-age=99999999999999999999999999999999999999"}) {
        const std::int64_t v = parse_max_age(huge);
        EXPECT_GE(v, 1'000'000'000) << huge;
        EXPECT_LE(v, 10'000'000'000LL) << huge;
    }
    EXPECT_GE(parse_max_age(std::string("max-age=") + std::string(5000, '9')), 1'000'000'000);
    EXPECT_EQ(parse_max_age(std::string("max-age=") + std::string(5000, '0') + "42"), 42);
}

// ---- schemes ---------------------------------------------------------------------

namespace {

FetchResult get(const std::string &url, long timeout_ms = 2000) {
    FetchRequest request;
    request.url = url;
    request.timeout_ms = timeout_ms;
    return fetch(request);
}

bool mentions_protocol(const std::string &error) {
    return error.find("rotocol") != std::string::npos || error.find("nsupported") != std::string::npos;
}

class FetchTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ASSERT_TRUE(mastra_auth::fetch_global_init());
        // Loopback servers below must be reached directly, whatever the environment says.
        setenv("NO_PROXY", "*", 1);
        setenv("no_proxy", "*", 1);
    }
};

}  // namespace

TEST_F(FetchTest, FileAndOtherSchemesAreRefusedWithoutTouchingThem) {
    for (const char *url : {"file:///etc/passwd", "FILE:///etc/passwd", "file://localhost/etc/passwd",
                            "ftp://127.0.0.1/keys.json", "gopher://127.0.0.1:70/", "dict://127.0.0.1:2628/d:x",
                            "ldap://127.0.0.1/", "telnet://127.0.0.1/", "tftp://127.0.0.1/keys", "smb://127.0.0.1/x",
                            "scp://127.0.0.1/etc/passwd", "sftp://127.0.0.1/etc/passwd", "imap://127.0.0.1/",
                            "mqtt://127.0.0.1/", "rtsp://127.0.0.1/"}) {
        const FetchResult r = get(url);
        EXPECT_FALSE(r.ok) << url;
        EXPECT_TRUE(r.body.empty()) << url;
        EXPECT_TRUE(mentions_protocol(r.error)) << url << ": " << r.error;
        EXPECT_EQ(r.http_status, 0) << url;
    }
}

TEST_F(FetchTest, DiscoveryWithAFileUriIsRefused) {
    FetchRequest request;
    request.url = "file:///etc/passwd";
    const FetchResult r = fetch_discovered_keys(request, "https://issuer.example");
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.error.find("discovery"), std::string::npos) << r.error;
}

TEST_F(FetchTest, MalformedUrlsAreRefused) {
    for (const char *url : {"", "http://", "https://[::1", "://x"}) {
        const FetchResult r = get(url, 500);
        EXPECT_FALSE(r.ok) << url;
        EXPECT_FALSE(r.error.empty()) << url;
    }
}

// ---- loopback HTTP ------------------------------------------------------------------

namespace {

constexpr const char *kHang = "<hang>";

// Serves one canned response per connection, in order, on 127.0.0.1; then
// counts any further connection (a followed redirect would be one).
class LoopbackServer {
public:
    explicit LoopbackServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
        EXPECT_EQ(listen(fd_, 8), 0);
        socklen_t len = sizeof(addr);
        getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }

    ~LoopbackServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }

    std::string url(const std::string &path = "/jwks.json") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    // Waits for the serving thread's view to settle, then reports.
    int connections() {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::lock_guard<std::mutex> lock(mutex_);
        return connections_;
    }

    std::vector<std::string> requests() {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }

private:
    void run() {
        std::size_t next = 0;
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            int conn = accept(fd_, nullptr, nullptr);
            if (conn < 0) continue;
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                pollfd c{conn, POLLIN, 0};
                if (poll(&c, 1, 2000) <= 0) break;
                ssize_t n = read(conn, buf, sizeof(buf));
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                connections_++;
                requests_.push_back(request);
            }
            if (next < responses_.size()) {
                const std::string &response = responses_[next++];
                if (response == kHang) {
                    for (int i = 0; i < 60 && !stop_; i++) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                } else {
                    std::size_t sent = 0;
                    while (sent < response.size()) {
                        ssize_t n = send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
                        if (n <= 0) break;   // the client gave up (body cap)
                        sent += static_cast<std::size_t>(n);
                    }
                }
            }
            close(conn);
        }
    }

    std::vector<std::string> responses_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    int connections_ = 0;
    std::vector<std::string> requests_;
};

std::string response(const std::string &status, const std::string &body, const std::string &headers = "") {
    return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers +
           "Connection: close\r\n\r\n" + body;
}

const std::string kJwks = R"({"keys":[]})";

}  // namespace

TEST_F(FetchTest, OkAnswerWithCacheControl) {
    LoopbackServer server({response("200 OK", kJwks, "Cache-Control: public, max-age=600\r\n")});
    const FetchResult r = get(server.url());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(r.body, kJwks);
    EXPECT_EQ(r.max_age, 600);
    ASSERT_EQ(server.connections(), 1);
    const std::string request = server.requests().at(0);
    EXPECT_EQ(request.rfind("GET /jwks.json HTTP/1.1\r\n", 0), 0u) << request;
    // No compressed answer asked for (no decompression bomb).
    std::string lower = request;
    for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(lower.find("accept-encoding"), std::string::npos) << request;
    EXPECT_EQ(lower.find("\r\nte:"), std::string::npos) << request;
}

TEST_F(FetchTest, CacheControlHeaderNameInAnyCaseAndAbsent) {
    LoopbackServer lower({response("200 OK", kJwks, "cache-control: max-age=60\r\n")});
    EXPECT_EQ(get(lower.url()).max_age, 60);
    LoopbackServer none({response("200 OK", kJwks)});
    const FetchResult r = get(none.url());
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.max_age, -1);
    LoopbackServer s_maxage({response("200 OK", kJwks, "Cache-Control: s-maxage=5\r\n")});
    EXPECT_EQ(get(s_maxage.url()).max_age, -1);
}

TEST_F(FetchTest, NonOkStatusIsAFailure) {
    for (const char *status : {"500 Internal Server Error", "404 Not Found", "204 No Content", "401 Unauthorized"}) {
        LoopbackServer server({response(status, kJwks)});
        const FetchResult r = get(server.url());
        EXPECT_FALSE(r.ok) << status;
        EXPECT_TRUE(r.body.empty()) << status;
        EXPECT_EQ(std::to_string(r.http_status), std::string(status).substr(0, 3));
    }
}

TEST_F(FetchTest, RedirectsAreNotFollowed) {
    for (const std::string &location : {std::string("file:///etc/passwd"), std::string("http://127.0.0.1:1/x")}) {
        LoopbackServer server({response("302 Found", "", "Location: " + location + "\r\n"),
                               response("200 OK", kJwks)});
        const FetchResult r = get(server.url());
        EXPECT_FALSE(r.ok) << location;
        EXPECT_EQ(r.http_status, 302);
        EXPECT_TRUE(r.body.empty());
    }
    // A redirect to the same server: a second connection would mean it was followed.
    LoopbackServer self({response("302 Found", "", "Location: /jwks.json\r\n"), response("200 OK", kJwks)});
    const FetchResult r = get(self.url("/old"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.http_status, 302);
    EXPECT_EQ(self.connections(), 1);
}

TEST_F(FetchTest, BodyOverOneMegabyteIsRefused) {
    const std::string big(mastra_auth::kMaxFetchBody + 1, 'x');
    // Announced by Content-Length ...
    LoopbackServer announced({response("200 OK", big)});
    FetchResult r = get(announced.url());
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.error.find("1 MB"), std::string::npos) << r.error;
    // ... or not (read until close).
    LoopbackServer unannounced({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big});
    r = get(unannounced.url());
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.error.find("1 MB"), std::string::npos) << r.error;
    // Exactly 1 MB is fine.
    LoopbackServer exact({response("200 OK", std::string(mastra_auth::kMaxFetchBody, 'x'))});
    r = get(exact.url());
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body.size(), mastra_auth::kMaxFetchBody);
}

TEST_F(FetchTest, SilentServerTimesOut) {
    LoopbackServer server({kHang});
    const auto start = std::chrono::steady_clock::now();
    const FetchResult r = get(server.url(), 300);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.error.empty());
    EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST_F(FetchTest, RefusedConnectionIsAFailure) {
    int port = 0;
    {
        LoopbackServer closed({});   // bound, then closed: nothing listens there any more
        port = std::stoi(closed.url("").substr(std::string("http://127.0.0.1:").size()));
    }
    const FetchResult r = get("http://127.0.0.1:" + std::to_string(port) + "/", 1000);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.error.empty());
}

TEST_F(FetchTest, DiscoveryChecksTheIssuerThenFetchesJwksUri) {
    // The key server listens first, so that its URL can go into the
    // discovery document the second one serves.
    LoopbackServer jwks({response("200 OK", kJwks, "Cache-Control: max-age=300\r\n")});
    const std::string issuer = "https://issuer.example";
    const std::string discovery =
        R"({"issuer":")" + issuer + R"(","jwks_uri":")" + jwks.url() + R"("})";
    LoopbackServer server({response("200 OK", discovery)});
    FetchRequest request;
    request.url = server.url("/.well-known/openid-configuration");
    request.timeout_ms = 2000;
    const FetchResult r = fetch_discovered_keys(request, issuer);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body, kJwks);
    EXPECT_EQ(r.max_age, 300);

    // issuer compared exactly (a trailing slash is another issuer).
    LoopbackServer other({response("200 OK", discovery)});
    request.url = other.url("/.well-known/openid-configuration");
    const FetchResult wrong = fetch_discovered_keys(request, issuer + "/");
    EXPECT_FALSE(wrong.ok);
    EXPECT_NE(wrong.error.find("issuer"), std::string::npos) << wrong.error;

    // ... nor a prefix: a document naming a longer issuer is refused.
    for (const std::string &named : {issuer + "/", issuer + ".evil.example", issuer + "@evil.example"}) {
        LoopbackServer longer({response("200 OK", R"({"issuer":")" + named + R"(","jwks_uri":")" + jwks.url() + R"("})")});
        request.url = longer.url("/.well-known/openid-configuration");
        const FetchResult r2 = fetch_discovered_keys(request, issuer);
        EXPECT_FALSE(r2.ok) << named;
        EXPECT_NE(r2.error.find("issuer"), std::string::npos) << r2.error;
    }

    // A jwks_uri that is a file: URI is refused like any other.
    LoopbackServer file_uri(
        {response("200 OK", R"({"issuer":")" + issuer + R"(","jwks_uri":"file:///etc/passwd"})")});
    request.url = file_uri.url("/.well-known/openid-configuration");
    const FetchResult refused = fetch_discovered_keys(request, issuer);
    EXPECT_FALSE(refused.ok);
    EXPECT_TRUE(refused.body.empty());
    EXPECT_TRUE(mentions_protocol(refused.error)) << refused.error;

    // Not JSON, no jwks_uri.
    for (const std::string &body : {std::string("<html>"), R"({"issuer":")" + issuer + R"("})"}) {
        LoopbackServer bad({response("200 OK", body)});
        request.url = bad.url("/.well-known/openid-configuration");
        EXPECT_FALSE(fetch_discovered_keys(request, issuer).ok) << body;
    }
}
