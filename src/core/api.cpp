// The extern "C" seam: every function here is noexcept and turns any
// exception into a status (or a failing answer), so none crosses into nginx.

#include "mastra_auth/api.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/better_auth.h"
#include "mastra_auth/ca_bundle.h"
#include "mastra_auth/condition.h"
#include "mastra_auth/fetch.h"
#include "mastra_auth/forward.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/identity.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/pattern.h"
#include "mastra_auth/request_text.h"
#include "mastra_auth/status.h"
#include "mastra_auth/verifier.h"

using namespace mastra_auth;

struct ma_verifier_s {
    HmacVerifier verifier;
};

struct ma_identity_s {
    Identity identity;
};

struct ma_keyset_s {
    KeySet set;
};

struct ma_jws_verifier_s {
    JwsVerifier verifier;
};

struct ma_fetch_s {
    FetchResult result;
};

struct ma_forwarder_s {
    Forwarder forwarder;
};

struct ma_condition_s {
    std::unique_ptr<Condition> condition;
};

struct ma_claim_path_s {
    std::vector<std::string> segments;
};

struct ma_pattern_s {
    Pattern pattern;
};

static_assert(static_cast<int>(Status::InternalError) == MA_INTERNAL_ERROR,
              "ma_status_t and Status must list the same outcomes in the same order");
static_assert(bit_of(Algorithm::EdDSA) == MA_ALG_EDDSA && kHmacAlgorithms == MA_ALG_HMAC,
              "MA_ALG_* and Algorithm must list the same algorithms in the same order");

namespace {

std::string_view view(ma_str_t s) { return s.len ? std::string_view(s.data, s.len) : std::string_view(); }

ma_str_t str(std::string_view s) { return ma_str_t{s.data(), s.size()}; }

ma_status_t to_c(Status status) { return static_cast<ma_status_t>(status); }

// The claim checks both verifiers share (iss, aud, leeway).
ClaimPolicy make_policy(const ma_str_t *issuers, size_t nissuers, const ma_str_t *audiences,
                        size_t naudiences, int64_t leeway) {
    ClaimPolicy policy;
    policy.leeway = leeway;
    for (std::size_t i = 0; i < nissuers; i++) policy.issuers.emplace_back(view(issuers[i]));
    for (std::size_t i = 0; i < naudiences; i++) policy.audiences.emplace_back(view(audiences[i]));
    return policy;
}

void set_error(char *err, std::size_t errlen, const std::string &message) {
    if (err == nullptr || errlen == 0) return;
    std::size_t n = std::min(message.size(), errlen - 1);
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

}  // namespace

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

ma_status_t ma_verifier_create(const ma_verifier_options_t *options, ma_verifier_t **out,
                               char *err, size_t errlen) {
    try {
        *out = nullptr;
        if (options->algorithms == 0 || (options->algorithms & ~unsigned{MA_ALG_HMAC}) != 0) {
            set_error(err, errlen, "a shared secret verifies HS256, HS384 or HS512 only");
            return MA_CONFIG_INVALID;
        }
        std::size_t min = ma_hmac_min_secret_len(options->algorithms);
        if (options->secret.len < min) {
            set_error(err, errlen, "the secret is " + std::to_string(options->secret.len) +
                                       " bytes, shorter than the " + std::to_string(min) +
                                       " bytes the strongest allowed HMAC needs (RFC 7518 3.2)");
            return MA_CONFIG_INVALID;
        }
        *out = new ma_verifier_s{HmacVerifier(
            std::string(view(options->secret)), options->algorithms,
            make_policy(options->issuers, options->nissuers, options->audiences,
                        options->naudiences, options->leeway))};
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_verifier_free(ma_verifier_t *verifier) { delete verifier; }

ma_status_t ma_verify(const ma_verifier_t *verifier, ma_str_t token, int64_t now,
                      ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        return to_c(verifier->verifier.verify(view(token), now, (*identity)->identity));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_verify_known(const ma_verifier_t *verifier, ma_str_t token, int64_t now,
                            ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        return to_c(verifier->verifier.verify(view(token), now, (*identity)->identity,
                                              Signature::KnownGood));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

void ma_verifier_cache_key(const ma_verifier_t *verifier, ma_str_t token, unsigned char out[32]) {
    verifier->verifier.cache_key(view(token), out);
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

ma_status_t ma_keyset_parse_jwks(ma_str_t text, int remote, ma_keyset_t **out, char *err,
                                 size_t errlen) {
    try {
        *out = nullptr;
        auto set = std::make_unique<ma_keyset_s>();
        std::string error;
        if (!KeySet::parse(view(text), remote ? KeySource::Remote : KeySource::Local, set->set, error)) {
            set_error(err, errlen, error);
            return MA_CONFIG_INVALID;
        }
        *out = set.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_keyset_parse_pem(ma_str_t text, ma_keyset_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        auto set = std::make_unique<ma_keyset_s>();
        PublicKey key;
        std::string reason;
        if (!parse_pem_public_key(view(text), key, reason)) {
            set_error(err, errlen, reason);
            return MA_CONFIG_INVALID;
        }
        set->set.add(std::move(key));
        *out = set.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_keyset_from_secret(ma_str_t secret, unsigned algorithms, ma_keyset_t **out) {
    try {
        *out = nullptr;
        auto set = std::make_unique<ma_keyset_s>();
        PublicKey key;
        key.family = KeyFamily::Oct;
        key.allowed = algorithms & kHmacAlgorithms;
        key.secret = std::string(view(secret));
        set->set.add(std::move(key));
        *out = set.release();
        return MA_OK;
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

void ma_keyset_free(ma_keyset_t *set) { delete set; }

size_t ma_keyset_size(const ma_keyset_t *set) { return set->set.size(); }

size_t ma_keyset_skipped_count(const ma_keyset_t *set) { return set->set.skipped().size(); }

ma_str_t ma_keyset_skipped(const ma_keyset_t *set, size_t i) {
    return i < set->set.skipped().size() ? str(set->set.skipped()[i]) : str({});
}

unsigned ma_keyset_algorithms(const ma_keyset_t *set) {
    unsigned algorithms = 0;
    for (const auto &key : set->set.keys()) algorithms |= key.allowed;
    return algorithms;
}

ma_status_t ma_jws_verifier_create(const ma_jws_options_t *options, ma_jws_verifier_t **out,
                                   char *err, size_t errlen) {
    try {
        *out = nullptr;
        if (options->algorithms == 0) {
            set_error(err, errlen, "no algorithm allowed");
            return MA_CONFIG_INVALID;
        }
        *out = new ma_jws_verifier_s{JwsVerifier(
            options->algorithms, make_policy(options->issuers, options->nissuers,
                                             options->audiences, options->naudiences,
                                             options->leeway))};
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_jws_verifier_free(ma_jws_verifier_t *verifier) { delete verifier; }

ma_status_t ma_jws_verify(const ma_jws_verifier_t *verifier, ma_str_t token, int64_t now,
                          const ma_keyset_t *const *sets, size_t nsets, ma_key_supply_t supply,
                          ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        std::vector<const KeySet *> list;
        for (std::size_t i = 0; i < nsets; i++) list.push_back(&sets[i]->set);
        KeySupply from = supply == MA_KEYS_PENDING   ? KeySupply::Pending
                         : supply == MA_KEYS_FETCHED ? KeySupply::Fetched
                                                     : KeySupply::Fixed;
        return to_c(verifier->verifier.verify(view(token), now, list, /*ignore_kid=*/false,
                                              (*identity)->identity, Signature::Check, from));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_jws_verify_known(const ma_jws_verifier_t *verifier, ma_str_t token, int64_t now,
                                ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        return to_c(verifier->verifier.verify(view(token), now, {}, /*ignore_kid=*/false,
                                              (*identity)->identity, Signature::KnownGood));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

void ma_jws_cache_key(const ma_jws_verifier_t *verifier, ma_str_t token, unsigned char out[32]) {
    verifier->verifier.cache_key(view(token), out);
}

int ma_fetch_global_init(void) { return fetch_global_init() ? 0 : -1; }

ma_status_t ma_ca_check(ma_str_t pem, size_t *certificates, char *err, size_t errlen) {
    try {
        std::string error;
        std::size_t count = 0;
        bool ok = check_ca_bundle(view(pem), count, error);
        *certificates = count;
        if (ok) return MA_OK;
        set_error(err, errlen, error);
        return MA_CONFIG_INVALID;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_thread_done(void) { OPENSSL_thread_stop(); }

ma_fetch_t *ma_fetch_run(ma_str_t url, ma_str_t ca_pem, long timeout_ms, ma_str_t discovery_issuer) {
    try {
        auto fetch_handle = std::make_unique<ma_fetch_s>();
        FetchRequest request;
        request.url = std::string(view(url));
        request.ca_pem = std::string(view(ca_pem));
        request.timeout_ms = timeout_ms;
        fetch_handle->result = discovery_issuer.len
                                   ? fetch_discovered_keys(request, view(discovery_issuer))
                                   : fetch(request);
        return fetch_handle.release();
    } catch (...) {
        return nullptr;
    }
}

void ma_fetch_free(ma_fetch_t *fetch_handle) { delete fetch_handle; }
int ma_fetch_ok(const ma_fetch_t *fetch_handle) { return fetch_handle->result.ok ? 1 : 0; }
ma_str_t ma_fetch_body(const ma_fetch_t *fetch_handle) { return str(fetch_handle->result.body); }
ma_str_t ma_fetch_error(const ma_fetch_t *fetch_handle) { return str(fetch_handle->result.error); }
long ma_fetch_status(const ma_fetch_t *fetch_handle) { return fetch_handle->result.http_status; }
int64_t ma_fetch_max_age(const ma_fetch_t *fetch_handle) { return fetch_handle->result.max_age; }

ma_status_t ma_forwarder_create(ma_str_t secret, int64_t ttl, const ma_str_t *claims,
                                size_t nclaims, ma_forwarder_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        if (secret.len < hmac_length(Algorithm::HS256)) {
            set_error(err, errlen, "the secret is " + std::to_string(secret.len) +
                                       " bytes, shorter than the 32 bytes HS256 needs");
            return MA_CONFIG_INVALID;
        }
        if (ttl <= 0) {
            set_error(err, errlen, "ttl must be positive");
            return MA_CONFIG_INVALID;
        }
        std::vector<std::string> names;
        for (std::size_t i = 0; i < nclaims; i++) names.emplace_back(view(claims[i]));
        *out = new ma_forwarder_s{Forwarder(std::string(view(secret)), ttl, std::move(names))};
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_forwarder_free(ma_forwarder_t *forwarder) { delete forwarder; }

size_t ma_forwarder_mint(const ma_forwarder_t *forwarder, const ma_identity_t *identity,
                         int64_t now, char *out, size_t outlen) {
    try {
        std::string token = forwarder->forwarder.mint(identity->identity, now);
        if (token.empty() || token.size() > outlen) return 0;
        std::memcpy(out, token.data(), token.size());
        return token.size();
    } catch (...) {
        return 0;
    }
}

ma_fetch_t *ma_fetch_with_cookie(ma_str_t url, ma_str_t ca_pem, long timeout_ms, ma_str_t cookie) {
    try {
        auto fetch_handle = std::make_unique<ma_fetch_s>();
        FetchRequest request;
        request.url = std::string(view(url));
        request.ca_pem = std::string(view(ca_pem));
        request.timeout_ms = timeout_ms;
        request.cookie = std::string(view(cookie));
        fetch_handle->result = fetch(request);
        return fetch_handle.release();
    } catch (...) {
        return nullptr;
    }
}

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

int ma_op_parse(ma_str_t text, ma_op_t *op) {
    Op parsed;
    if (!op_from_text(view(text), parsed)) return -1;
    *op = static_cast<ma_op_t>(parsed);
    return 0;
}

ma_status_t ma_condition_create(ma_str_t path, ma_op_t op, ma_str_t static_value,
                                ma_condition_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        std::optional<std::string_view> value;
        if (static_value.data != nullptr) value = view(static_value);
        std::unique_ptr<Condition> condition;
        std::string error;
        Status status = Condition::create(view(path), static_cast<Op>(op), value, condition, error);
        if (status != Status::Ok) {
            set_error(err, errlen, error);
            return to_c(status);
        }
        *out = new ma_condition_s{std::move(condition)};
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_condition_free(ma_condition_t *condition) { delete condition; }

int ma_condition_eval(const ma_condition_t *condition, const ma_identity_t *identity,
                      ma_str_t value) {
    try {
        // No claims document (none verified, or out of memory building it):
        // no condition holds, not even a negative one.
        const nlohmann::json &claims = identity->identity.claims();
        if (!claims.is_object()) return 0;
        return condition->condition->eval(claims, view(value)) ? 1 : 0;
    } catch (...) {
        return 0;   // fail closed
    }
}

ma_status_t ma_pattern_compile(ma_str_t text, ma_pattern_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        auto pattern = std::make_unique<ma_pattern_s>();
        std::string error;
        Status status = Pattern::compile(view(text), pattern->pattern, error);
        if (status != Status::Ok) {
            set_error(err, errlen, error);
            return to_c(status);
        }
        *out = pattern.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_pattern_free(ma_pattern_t *pattern) { delete pattern; }

int ma_pattern_match(const ma_pattern_t *pattern, ma_str_t path, ma_params_t *params) {
    try {
        std::vector<RouteParam> found;
        if (!pattern->pattern.match(view(path), &found)) return 0;
        if (params != nullptr) {
            params->n = std::min<std::size_t>(found.size(), MA_MAX_PARAMS);
            for (std::size_t i = 0; i < params->n; i++) {
                params->name[i] = str(found[i].name);
                params->value[i] = str(found[i].value);
            }
        }
        return 1;
    } catch (...) {
        return 0;   // callers treat "no match" as protected: fail closed
    }
}

ma_status_t ma_path_check(ma_str_t raw_path, ma_str_t decoded_path, int flags) {
    return path_is_checkable(view(raw_path), view(decoded_path),
                             (flags & MA_PATH_ALLOW_ENCODED_SLASHES) != 0,
                             (flags & MA_PATH_SLASHES_KEPT) == 0)
               ? MA_OK
               : MA_BAD_PATH;
}

int ma_bearer_token(ma_str_t header, ma_str_t *token) {
    std::string_view found;
    if (!bearer_token(view(header), found)) return 0;
    *token = str(found);
    return 1;
}

int ma_query_arg(ma_str_t args, ma_str_t name, ma_str_t *raw) {
    std::string_view found;
    int n = query_arg(view(args), view(name), found);
    if (n > 0) *raw = str(found);
    return n;
}

size_t ma_query_without(ma_str_t args, const ma_str_t *names, size_t n, char *out) {
    try {
        std::vector<std::string_view> list;
        for (size_t i = 0; i < n; i++) list.push_back(view(names[i]));
        std::string text = query_without(view(args), list.data(), list.size());
        std::memcpy(out, text.data(), text.size());
        return text.size();
    } catch (...) {
        return 0;
    }
}

int ma_cookie_value(ma_str_t cookie_header, ma_str_t name, ma_str_t *raw) {
    std::string_view found;
    int n = cookie_value(view(cookie_header), view(name), found);
    if (n > 0) *raw = str(found);
    return n;
}

long ma_percent_decode(ma_str_t in, char *out) {
    try {
        std::string decoded;
        if (!percent_decode(view(in), decoded)) return -1;
        std::memcpy(out, decoded.data(), decoded.size());
        return static_cast<long>(decoded.size());
    } catch (...) {
        return -1;
    }
}

}  // extern "C"
