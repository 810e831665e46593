// libFuzzer: Better Auth credentials: signed session tokens, the cookie
// cache and get-session answers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mastra_auth/better_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string_view token;
    const std::string_view secret = "better-auth-secret-better-auth-secret-1234";
    (void) mastra_auth::better_auth_signed_token(input, secret, token);
    mastra_auth::Identity identity;
    std::int64_t expires = 0;
    // random bytes never carry a valid signature
    if (mastra_auth::better_auth_session_data(input, secret, 1800000000, "tok", identity, expires) ==
        mastra_auth::Status::Ok)
        __builtin_trap();
    mastra_auth::Identity answer;
    (void) mastra_auth::better_auth_session(input, 1800000000, answer, expires);
    return 0;
}
