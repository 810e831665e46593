#include "mastra_auth/algorithm.h"

namespace mastra_auth {

bool algorithm_from_name(std::string_view name, Algorithm &out) noexcept {
    // Exact, case-sensitive names (RFC 8725bis: "noNE" beat a blocklist).
    if (name == "HS256") { out = Algorithm::HS256; return true; }
    if (name == "HS384") { out = Algorithm::HS384; return true; }
    if (name == "HS512") { out = Algorithm::HS512; return true; }
    return false;
}

std::size_t hmac_length(Algorithm a) noexcept {
    switch (a) {
    case Algorithm::HS256: return 32;
    case Algorithm::HS384: return 48;
    case Algorithm::HS512: return 64;
    }
    return 0;
}

}  // namespace mastra_auth
