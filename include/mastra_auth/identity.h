// What a verified token says, and how the shim reads it.
#ifndef MASTRA_AUTH_IDENTITY_H
#define MASTRA_AUTH_IDENTITY_H

#include <list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mastra_auth {

struct Identity {
    std::string alg, kid, iss;        // for the log line, also on failure
    std::string user, email;          // sub and email when strings
    nlohmann::json payload;           // the claims; meaningful only after Ok
    std::string payload_text;         // compact JSON of payload, filled after Ok
    std::list<std::string> rendered;  // keeps claim texts alive (stable addresses)

    // Looks a top-level claim up: exact name first, then ignoring ASCII case.
    const nlohmann::json *find_claim(std::string_view name) const noexcept;
};

// A copy of an untrusted value fit for a log line: at most 64 bytes, every
// byte outside printable ASCII (and the quote) replaced by '?'.
std::string log_safe(std::string_view value);

// A value fit for an HTTP header: control bytes (below 0x20, and 0x7f) are
// percent-encoded, so that a claim holding "\r\n" cannot add a header to
// what proxy_set_header sends upstream.
std::string header_safe(std::string_view value);

// A claim value as variable text (SPEC 5): strings as they are, numbers and
// booleans as JSON text, arrays of strings joined with ",", else compact JSON.
std::string claim_text(const nlohmann::json &value);

}  // namespace mastra_auth

#endif
