#include "mastra_auth/jwt.h"

#include "mastra_auth/base64url.h"

namespace mastra_auth {

namespace {

// Header members that name an extension or a JWE: we understand none of them,
// so their presence alone refuses the token (RFC 7515 section 4.1.11 for crit;
// RFC 7797 for b64; RFC 8725bis for the JWE members enc, zip and p2c).
constexpr std::string_view kRefusedHeaderMembers[] = {"crit", "b64", "enc", "zip", "p2c"};

}  // namespace

Status parse_jwt(std::string_view token, Jwt &out, bool decode_signature) noexcept {
    try {
        // out may be a scratch reused from another token: nothing of it is
        // left for a caller to read by mistake.
        out.signing_input = {};
        out.signature.clear();
        out.alg.clear();
        out.kid.clear();
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

        if (!base64url_decode(header_part, out.header_text) ||
            !base64url_decode(payload_part, out.payload_text) ||
            (decode_signature && !base64url_decode(signature_part, out.signature)))
            return Status::TokenMalformed;

        if (!out.header.scan(out.header_text)) return Status::TokenMalformed;

        for (const JsonMember &member : out.header.members())
            for (std::string_view refused : kRefusedHeaderMembers)
                if (member.name == refused) return Status::TokenMalformed;

        const JsonMember *alg = out.header.find("alg");
        if (alg == nullptr || alg->kind != JsonKind::String || !json_string_value(alg->value, out.alg))
            return Status::TokenMalformed;

        if (const JsonMember *kid = out.header.find("kid")) {
            if (kid->kind != JsonKind::String || !json_string_value(kid->value, out.kid))
                return Status::TokenMalformed;
            if (out.kid.size() > kMaxKidLength) return Status::TokenMalformed;
        }

        // The payload is scanned now (a token whose payload is not an object
        // is malformed whatever its signature), but callers look at it only
        // after the signature verified.
        if (!out.payload.scan(out.payload_text)) return Status::TokenMalformed;

        out.signing_input = token.substr(0, second);
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
