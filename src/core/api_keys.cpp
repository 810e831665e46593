// The C seam (see api.cpp): key sets (JWK Sets, PEM keys, secrets) and
// fetching them, or a Better Auth session, over HTTP.

#include "api_seam.h"

#include <openssl/crypto.h>

#include "mastra_auth/algorithm.h"
#include "mastra_auth/ca_bundle.h"

using namespace mastra_auth;
using namespace mastra_auth::seam;

extern "C" {

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

ma_status_t ma_keyset_from_secret(ma_str_t secret, unsigned algorithms, ma_keyset_t **out,
                                  char *err, size_t errlen) {
    try {
        *out = nullptr;
        if (algorithms == 0 || (algorithms & ~unsigned{MA_ALG_HMAC}) != 0) {
            set_error(err, errlen, "a shared secret verifies HS256, HS384 or HS512 only");
            return MA_CONFIG_INVALID;
        }
        std::size_t min = ma_hmac_min_secret_len(algorithms);
        if (secret.len < min) {
            set_error(err, errlen, "the secret is " + std::to_string(secret.len) +
                                       " bytes, shorter than the " + std::to_string(min) +
                                       " bytes the strongest allowed HMAC needs (RFC 7518 3.2)");
            return MA_CONFIG_INVALID;
        }
        auto set = std::make_unique<ma_keyset_s>();
        PublicKey key;
        key.family = KeyFamily::Oct;
        key.allowed = algorithms & kHmacAlgorithms;
        key.secret = std::string(view(secret));
        set->set.add(std::move(key));
        *out = set.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
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

}  // extern "C"
