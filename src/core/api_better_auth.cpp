// The C seam (see api.cpp): Better Auth's signed session tokens, cookie
// cache, get-session answers and the shared zone's session keys.

#include "api_seam.h"

#include "mastra_auth/better_auth.h"

using namespace mastra_auth;
using namespace mastra_auth::seam;

extern "C" {

int ma_ba_signed_token(ma_str_t signed_token, ma_str_t secret, ma_str_t *token) {
    std::string_view found;
    if (!better_auth_signed_token(view(signed_token), view(secret), found)) return 0;
    *token = str(found);
    return 1;
}

ma_status_t ma_ba_session_data(ma_str_t cookie, ma_str_t secret, ma_str_t version, int64_t now,
                               ma_str_t token, ma_identity_t **identity, int64_t *expires,
                               ma_str_t *why) {
    try {
        std::string_view reason;
        *identity = new ma_identity_s{};
        ma_status_t rc = to_c(better_auth_session_data(view(cookie), view(secret), view(version),
                                                       now, view(token), (*identity)->identity,
                                                       *expires, reason));
        *why = str(reason);
        return rc;
    } catch (...) {
        why->data = "could not be read";
        why->len = sizeof("could not be read") - 1;
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_ba_session(ma_str_t body, int64_t now, ma_identity_t **identity, int64_t *expires) {
    try {
        *identity = new ma_identity_s{};
        return to_c(better_auth_session(view(body), now, (*identity)->identity, *expires));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_ba_session_cached(ma_str_t user, ma_str_t email, ma_str_t claims,
                                 ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        return to_c(better_auth_cached_session(view(user), view(email), view(claims),
                                               (*identity)->identity));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

void ma_identity_better_auth_jwt(ma_identity_t *identity) {
    if (identity != nullptr) better_auth_jwt_shape(identity->identity);
}

int ma_ba_session_key_base(ma_str_t url, ma_str_t secret, unsigned char base[32]) {
    return better_auth_session_key_base(view(url), view(secret), base) ? 1 : 0;
}

int ma_ba_session_key(const unsigned char base[32], ma_str_t credential, unsigned char key[32]) {
    return better_auth_session_key(base, view(credential), key) ? 1 : 0;
}

}  // extern "C"
