// The extern "C" seam: every function here is noexcept and turns any
// exception into a status (or a failing answer), so none crosses into nginx.
// This file: status codes, algorithms, and what an identity says.

#include "api_seam.h"

#include "mastra_auth/algorithm.h"
#include "mastra_auth/claims.h"
#include "mastra_auth/hmac.h"

using namespace mastra_auth;
using namespace mastra_auth::seam;

static_assert(static_cast<int>(Status::InternalError) == MA_INTERNAL_ERROR,
              "ma_status_t and Status must list the same outcomes in the same order");
static_assert(bit_of(Algorithm::EdDSA) == MA_ALG_EDDSA && kHmacAlgorithms == MA_ALG_HMAC,
              "MA_ALG_* and Algorithm must list the same algorithms in the same order");


extern "C" {

const char *ma_status_code(ma_status_t status) {
    return to_string(static_cast<Status>(status));
}

unsigned ma_algorithm_bit(ma_str_t name) {
    Algorithm alg;
    return algorithm_from_name(view(name), alg) ? bit_of(alg) : 0;
}

size_t ma_hmac_min_secret_len(unsigned algorithms) {
    std::size_t len = 0;
    for (Algorithm alg : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512})
        if (algorithms & bit_of(alg)) len = std::max(len, hmac_length(alg));
    return len;
}

void ma_identity_free(ma_identity_t *identity) { delete identity; }

int64_t ma_identity_valid_until(const ma_identity_t *id) { return id->identity.valid_until; }

ma_str_t ma_identity_alg(const ma_identity_t *id) { return str(id->identity.alg); }
ma_str_t ma_identity_kid(const ma_identity_t *id) { return str(id->identity.kid); }
ma_str_t ma_identity_iss(const ma_identity_t *id) { return str(id->identity.iss); }
ma_str_t ma_identity_user(const ma_identity_t *id) { return str(id->identity.user); }
ma_str_t ma_identity_email(const ma_identity_t *id) { return str(id->identity.email); }
ma_str_t ma_identity_payload(const ma_identity_t *id) {
    try {
        return str(id->identity.claims_text());
    } catch (...) {
        return str({});
    }
}

ma_str_t ma_identity_claim_text(ma_identity_t *id, ma_str_t name) {
    try {
        const nlohmann::json *claim = id->identity.find_claim(view(name));
        if (claim == nullptr) return str({});
        id->identity.rendered.push_back(header_safe(claim_text(*claim)));
        return str(id->identity.rendered.back());
    } catch (...) {
        return str({});
    }
}

ma_status_t ma_claim_path_create(ma_str_t text, ma_claim_path_t **out, char *err,
                                 size_t errlen) {
    try {
        *out = nullptr;
        auto path = std::make_unique<ma_claim_path_s>();
        if (!parse_claim_path(view(text), path->segments)) {
            set_error(err, errlen, "invalid claim name \"" + std::string(view(text)) + "\"");
            return MA_CONFIG_INVALID;
        }
        *out = path.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_claim_path_free(ma_claim_path_t *path) { delete path; }

ma_str_t ma_identity_claim_path_text(ma_identity_t *id, const ma_claim_path_t *path) {
    try {
        const nlohmann::json *claim = find_claim_path(id->identity.claims(), path->segments);
        if (claim == nullptr) return str({});
        id->identity.rendered.push_back(header_safe(claim_text(*claim)));
        return str(id->identity.rendered.back());
    } catch (...) {
        return str({});
    }
}

}  // extern "C"
