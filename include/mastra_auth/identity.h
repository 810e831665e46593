// What a verified token says, and how the shim reads it.
#ifndef MASTRA_AUTH_IDENTITY_H
#define MASTRA_AUTH_IDENTITY_H

#include <cstdint>
#include <limits>
#include <list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mastra_auth {

class Identity {
public:
    std::string alg, kid, iss;        // for the log line, also on failure
    std::string user, email;          // sub and email when strings, header-safe
    std::list<std::string> rendered;  // keeps claim texts alive (stable addresses)

    // Until when a verified result may be reused (exp + leeway, rounded up;
    // the largest int64 when the token has no exp).
    std::int64_t valid_until = std::numeric_limits<std::int64_t>::max();

    // The claims, once verified: as the JSON text of a token's payload (a
    // document is built from it only when a claim is asked for), or as a
    // document (a Better Auth session).
    void set_claims_text(std::string text);
    void set_claims(nlohmann::json claims);
    bool has_claims() const noexcept { return state_ != State::None; }

    // The claims as a document; null when there are none or the text did
    // not parse (which the scan that let it in rules out).
    const nlohmann::json &claims() const;
    // Compact JSON of the claims, DEL escaped; empty when there are none.
    const std::string &claims_text() const;

    // Looks a top-level claim up: exact name first, then ignoring ASCII case.
    const nlohmann::json *find_claim(std::string_view name) const noexcept;

private:
    enum class State { None, Text, Document };
    State state_ = State::None;
    std::string source_;                  // State::Text: the payload as received
    mutable bool parsed_ = false;
    mutable nlohmann::json claims_;       // built on first use
    mutable bool rendered_text_ = false;
    mutable std::string claims_text_;
};

// A copy of an untrusted value fit for a log line: at most 64 bytes, every
// byte outside printable ASCII (and the quote) replaced by '?'.
std::string log_safe(std::string_view value);

// A value fit for an HTTP header: control bytes (below 0x20, and 0x7f) are
// percent-encoded, so that a claim holding "\r\n" cannot add a header to
// what proxy_set_header sends upstream.
std::string header_safe(std::string_view value);

// A claim value as variable text (docs/variables.md): strings as they are,
// numbers and booleans as JSON text, arrays of strings joined with ",", else
// compact JSON.
std::string claim_text(const nlohmann::json &value);

}  // namespace mastra_auth

#endif
