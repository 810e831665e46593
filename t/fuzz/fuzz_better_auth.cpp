// libFuzzer: Better Auth credentials: signed session tokens, the cookie
// cache (session_data, in its compact, jwt and jwe strategies, and the JWE
// reader itself) and get-session answers.  The input is also signed
// here as the session object of a cookie cache, so that what comes after
// the signature check is fuzzed too.  Whatever is accepted, the identity
// never holds the session's own token (a bare bearer credential).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mastra_auth/base64url.h"
#include "mastra_auth/better_auth.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/jwe.h"

namespace {

constexpr std::string_view kSecret = "better-auth-secret-better-auth-secret-1234";
constexpr std::int64_t kNow = 1800000000;
const std::string kJweKey(64, '\x5a');

void check_identity(const mastra_auth::Identity &identity, std::int64_t expires) {
    if (expires <= kNow) __builtin_trap();
    const auto &payload = identity.claims();
    if (!payload.is_object() || !payload.contains("session") || !payload["session"].is_object() ||
        payload["session"].contains("token") || !payload.contains("user"))
        __builtin_trap();
    for (char c : identity.user + identity.email)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
    // What the zone keeps (user, email and claims text) reads back as the
    // same identity; a session always has a user.
    mastra_auth::Identity kept;
    if (identity.user.empty() ||
        mastra_auth::better_auth_cached_session(identity.user, identity.email, identity.claims_text(),
                                                kept) != mastra_auth::Status::Ok ||
        kept.user != identity.user || kept.email != identity.email || kept.claims() != payload)
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string_view token;
    (void) mastra_auth::better_auth_signed_token(input, kSecret, token);

    mastra_auth::Identity identity;
    std::int64_t expires = 0;
    // random bytes never carry a valid signature
    std::string_view why;
    if (mastra_auth::better_auth_session_data(input, kSecret, "", kNow, "tok", identity, expires,
                                              why) == mastra_auth::Status::Ok ||
        why.empty())
        __builtin_trap();

    // the input's own JWE reader (the cookie cache of strategy "jwe"), with
    // a key of its own: random bytes never carry a valid tag
    std::string plaintext;
    if (mastra_auth::jwe_decrypt(input, kJweKey, "", plaintext, why)) __builtin_trap();

    // the zone's key of any credential
    unsigned char base[32], key[32];
    if (!mastra_auth::better_auth_session_key_base("https://auth.example.com", kSecret, base) ||
        !mastra_auth::better_auth_session_key(base, input, key))
        __builtin_trap();

    // a get-session answer
    mastra_auth::Identity answer;
    if (mastra_auth::better_auth_session(input, kNow, answer, expires) == mastra_auth::Status::Ok)
        check_identity(answer, expires);

    // the input as the session object of a cookie cache signed as Better
    // Auth signs it: the object's text with ',"expiresAt":N' before its end
    if (!input.empty() && input.back() == '}') {
        const std::string expires_at = "1800000300000";
        std::string signed_text =
            std::string(input.substr(0, input.size() - 1)) + ",\"expiresAt\":" + expires_at + "}";
        std::string cookie = "{\"session\":" + std::string(input) + ",\"expiresAt\":" + expires_at +
                             ",\"signature\":\"" +
                             mastra_auth::base64url_encode(mastra_auth::hmac_sign(
                                 mastra_auth::Algorithm::HS256, kSecret, signed_text)) +
                             "\"}";
        mastra_auth::Identity cached;
        if (mastra_auth::better_auth_session_data(mastra_auth::base64url_encode(cookie), kSecret, "",
                                                  kNow, "tok", cached, expires,
                                                  why) == mastra_auth::Status::Ok)
            check_identity(cached, expires);

        // the same object as the payload of the "jwt" strategy, with times
        std::string payload = std::string(input.substr(0, input.size() - 1)) +
                              ",\"exp\":1800000300}";
        std::string signing_input = mastra_auth::base64url_encode("{\"alg\":\"HS256\"}") + "." +
                                    mastra_auth::base64url_encode(payload);
        std::string jwt = signing_input + "." +
                          mastra_auth::base64url_encode(mastra_auth::hmac_sign(
                              mastra_auth::Algorithm::HS256, kSecret, signing_input));
        mastra_auth::Identity signed_cache;
        if (mastra_auth::better_auth_session_data(jwt, kSecret, "", kNow, "tok", signed_cache,
                                                  expires, why) == mastra_auth::Status::Ok)
            check_identity(signed_cache, expires);
    }
    return 0;
}
