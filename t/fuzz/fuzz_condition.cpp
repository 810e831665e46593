// libFuzzer: claim conditions (mastra_auth_claim, mastra_auth_rule) through
// the C seam, every operator evaluated on identities that passed
// verification.  The input is "PATH\nVALUE\nPAYLOAD"; PAYLOAD is signed
// here as an HS256 token and verified (JWT identities), and read as a
// get-session answer (Better Auth identities).  Checked on every verified identity:
//  - a static value and the same value given at evaluation agree;
//  - a negated operator is the exact opposite of its positive one;
//  - claim texts, user and email hold no control byte (header-safe);
//  - the identity forwarded upstream (mastra_auth_forward_jwt) verifies
//    under the forwarding secret.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jwt_seam.h"
#include "mastra_auth/api.h"
#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"

namespace {

using namespace mastra_auth::test;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kForwardSecret = "forward-secret-forward-secret-forward-secret!";
constexpr std::int64_t kNow = 1800000000;

ma_str_t str(std::string_view s) { return ma_str_t{s.data(), s.size()}; }

void header_safe_or_trap(ma_str_t s) {
    for (std::size_t i = 0; i < s.len; i++) {
        auto c = static_cast<unsigned char>(s.data[i]);
        if (c < 0x20 || c == 0x7f) __builtin_trap();
    }
}

// -1 when the condition cannot be created (bad path or regex).
int eval(ma_str_t path, ma_op_t op, ma_str_t static_value, const ma_identity_t *identity,
         ma_str_t value) {
    ma_condition_t *condition = nullptr;
    char err[256];
    if (ma_condition_create(path, op, static_value, &condition, err, sizeof(err)) != MA_OK) return -1;
    int result = ma_condition_eval(condition, identity, value);
    ma_condition_free(condition);
    if (result != 0 && result != 1) __builtin_trap();
    return result;
}

void check_conditions(std::string_view path, std::string_view value, ma_identity_t *identity) {
    static const ma_op_t kPositive[] = {MA_OP_EQ, MA_OP_MATCH, MA_OP_HAS};
    const ma_str_t none = {nullptr, 0};
    // a non-NULL data pointer marks a static value, also when empty
    const ma_str_t fixed = {value.data() != nullptr ? value.data() : "", value.size()};
    for (ma_op_t positive : kPositive) {
        ma_op_t negative = static_cast<ma_op_t>(positive + 1);
        int yes = eval(str(path), positive, fixed, identity, none);
        int no = eval(str(path), negative, fixed, identity, none);
        if (yes < 0 || no < 0) {
            if (yes != no) __builtin_trap();   // both refused at configuration time
            continue;
        }
        if (yes == no) __builtin_trap();
        // the same value from variables, compiled per request
        if (eval(str(path), positive, none, identity, str(value)) != yes) __builtin_trap();
        if (eval(str(path), negative, none, identity, str(value)) != no) __builtin_trap();
    }
    header_safe_or_trap(ma_identity_claim_text(identity, str(path)));
    header_safe_or_trap(ma_identity_user(identity));
    header_safe_or_trap(ma_identity_email(identity));
}

void check_forward(const ma_identity_t *identity, std::string_view path) {
    const ma_str_t claims[] = {str("role"), str("roles"), str("nbf"), str(path)};
    ma_forwarder_t *forwarder = nullptr;
    char err[256];
    if (ma_forwarder_create(str(kForwardSecret), 300, claims, 4, &forwarder, err, sizeof(err)) !=
        MA_OK)
        __builtin_trap();
    std::vector<char> out(65536);
    std::size_t n = ma_forwarder_mint(forwarder, identity, kNow, out.data(), out.size());
    ma_forwarder_free(forwarder);
    if (n == 0) return;   // larger than the buffer

    const ma_str_t issuer = str("nginx-mastra-auth");
    JwtOptions options{str(kForwardSecret), MA_ALG_HS256, 60, &issuer, 1, nullptr, 0};
    JwtVerifier *verifier = nullptr;
    if (jwt_verifier_create(&options, &verifier, err, sizeof(err)) != MA_OK) __builtin_trap();
    ma_identity_t *forwarded = nullptr;
    ma_status_t status = jwt_verify(verifier, ma_str_t{out.data(), n}, kNow, &forwarded);
    // what we verified and forward must verify upstream
    if (status != MA_OK) __builtin_trap();
    ma_identity_free(forwarded);
    jwt_verifier_free(verifier);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string_view parts[2];
    for (auto &part : parts) {
        std::size_t nl = input.find('\n');
        if (nl == std::string_view::npos) return 0;
        part = input.substr(0, nl);
        input.remove_prefix(nl + 1);
    }
    std::string_view path = parts[0], value = parts[1], payload = input;

    static JwtVerifier *verifier = [] {
        JwtOptions options{str(kSecret), MA_ALG_HMAC, 60, nullptr, 0, nullptr, 0};
        JwtVerifier *v = nullptr;
        char err[256];
        if (jwt_verifier_create(&options, &v, err, sizeof(err)) != MA_OK) __builtin_trap();
        return v;
    }();

    // the payload as a token signed with the right secret
    std::string token = mastra_auth::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                        mastra_auth::base64url_encode(payload);
    token += "." + mastra_auth::base64url_encode(
                       mastra_auth::hmac_sign(mastra_auth::Algorithm::HS256, kSecret, token));
    ma_identity_t *identity = nullptr;
    if (jwt_verify(verifier, str(token), kNow, &identity) == MA_OK) {
        check_conditions(path, value, identity);
        check_forward(identity, path);
    }
    ma_identity_free(identity);

    // the payload as a get-session answer
    std::int64_t expires = 0;
    identity = nullptr;
    if (ma_ba_session(str(payload), kNow, &identity, &expires) == MA_OK) {
        if (expires <= kNow) __builtin_trap();
        check_conditions(path, value, identity);
        check_forward(identity, path);
    }
    ma_identity_free(identity);
    return 0;
}
