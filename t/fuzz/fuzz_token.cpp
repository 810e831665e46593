// libFuzzer: the compact-token parser and the whole HMAC verification path
// (base64url, strict JSON, header rules, claims) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mastra_auth/jwt.h"
#include "hmac_verifier.h"
#include "mastra_auth/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    mastra_auth::Jwt jwt;
    (void) mastra_auth::parse_jwt(input, jwt);

    static const mastra_auth::HmacVerifier verifier(
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        mastra_auth::kHmacAlgorithms, mastra_auth::ClaimPolicy{60, {"iss"}, {"aud"}});
    mastra_auth::Identity identity;
    (void) verifier.verify(input, 1800000000, identity);
    return 0;
}
