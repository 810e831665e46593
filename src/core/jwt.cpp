#include "mastra_auth/jwt.h"

#include "mastra_auth/base64url.h"
#include "mastra_auth/json_strict.h"

namespace mastra_auth {

namespace {

// Header members that name an extension or a JWE: we understand none of them,
// so their presence alone refuses the token (RFC 7515 section 4.1.11 for crit;
// RFC 7797 for b64; RFC 8725bis for the JWE members enc, zip and p2c).
constexpr std::string_view kRefusedHeaderMembers[] = {"crit", "b64", "enc", "zip", "p2c"};

}  // namespace

Status parse_jwt(std::string_view token, Jwt &out) noexcept {
    try {
        if (token.empty() || token.size() > kMaxTokenLength) return Status::TokenMalformed;

        // Exactly three parts, none of them empty (no detached payload, no JWE).
        std::size_t first = token.find('.');
        if (first == std::string_view::npos) return Status::TokenMalformed;
        std::size_t second = token.find('.', first + 1);
        if (second == std::string_view::npos) return Status::TokenMalformed;
        if (token.find('.', second + 1) != std::string_view::npos) return Status::TokenMalformed;

        std::string_view header_part = token.substr(0, first);
        std::string_view payload_part = token.substr(first + 1, second - first - 1);
        std::string_view signature_part = token.substr(second + 1);
        if (header_part.empty() || payload_part.empty() || signature_part.empty())
            return Status::TokenMalformed;

        std::string header_text, payload_text;
        if (!base64url_decode(header_part, header_text) ||
            !base64url_decode(payload_part, payload_text) ||
            !base64url_decode(signature_part, out.signature))
            return Status::TokenMalformed;

        if (!parse_json_object(header_text, out.header)) return Status::TokenMalformed;

        for (std::string_view member : kRefusedHeaderMembers)
            if (out.header.contains(member)) return Status::TokenMalformed;

        auto alg = out.header.find("alg");
        if (alg == out.header.end() || !alg->is_string()) return Status::TokenMalformed;
        out.alg = alg->get<std::string>();

        out.kid.clear();
        auto kid = out.header.find("kid");
        if (kid != out.header.end()) {
            if (!kid->is_string()) return Status::TokenMalformed;
            out.kid = kid->get<std::string>();
            if (out.kid.size() > kMaxKidLength) return Status::TokenMalformed;
        }

        // The payload is parsed now (a token whose payload is not an object is
        // malformed whatever its signature), but callers look at it only after
        // the signature verified.
        if (!parse_json_object(payload_text, out.payload)) return Status::TokenMalformed;

        out.signing_input = token.substr(0, second);
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
