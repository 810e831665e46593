#include "mastra_auth/algorithm.h"

namespace mastra_auth {

namespace {

struct Named {
    std::string_view name;
    Algorithm alg;
};

// Exact, case-sensitive names (RFC 8725bis: "noNE" beat a blocklist).
constexpr Named kNames[] = {
    {"HS256", Algorithm::HS256}, {"HS384", Algorithm::HS384}, {"HS512", Algorithm::HS512},
    {"RS256", Algorithm::RS256}, {"RS384", Algorithm::RS384}, {"RS512", Algorithm::RS512},
    {"PS256", Algorithm::PS256}, {"PS384", Algorithm::PS384}, {"PS512", Algorithm::PS512},
    {"ES256", Algorithm::ES256}, {"ES384", Algorithm::ES384}, {"ES512", Algorithm::ES512},
    {"EdDSA", Algorithm::EdDSA},
    {"Ed25519", Algorithm::EdDSA},   // RFC 9864's fully specified name
};

}  // namespace

bool algorithm_from_name(std::string_view name, Algorithm &out) noexcept {
    for (const auto &entry : kNames) {
        if (entry.name == name) {
            out = entry.alg;
            return true;
        }
    }
    return false;
}

std::string_view algorithm_name(Algorithm a) noexcept {
    for (const auto &entry : kNames)
        if (entry.alg == a) return entry.name;
    return {};
}

KeyFamily family_of(Algorithm a) noexcept {
    switch (a) {
    case Algorithm::HS256: case Algorithm::HS384: case Algorithm::HS512:
        return KeyFamily::Oct;
    case Algorithm::RS256: case Algorithm::RS384: case Algorithm::RS512:
    case Algorithm::PS256: case Algorithm::PS384: case Algorithm::PS512:
        return KeyFamily::Rsa;
    case Algorithm::ES256: case Algorithm::ES384: case Algorithm::ES512:
        return KeyFamily::Ec;
    case Algorithm::EdDSA:
        return KeyFamily::Okp;
    }
    return KeyFamily::Oct;
}

std::size_t hmac_length(Algorithm a) noexcept {
    switch (a) {
    case Algorithm::HS256: return 32;
    case Algorithm::HS384: return 48;
    case Algorithm::HS512: return 64;
    default: return 0;
    }
}

}  // namespace mastra_auth
