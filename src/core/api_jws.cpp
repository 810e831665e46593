// The C seam (see api.cpp): verifiers of compact JWS tokens, their
// verified-token cache keys, and the token minted for the upstream.

#include "api_seam.h"

#include "mastra_auth/algorithm.h"
#include "mastra_auth/hmac.h"

using namespace mastra_auth;
using namespace mastra_auth::seam;

namespace {

// The claim checks of a verifier (iss, aud, leeway).
ClaimPolicy make_policy(const ma_str_t *issuers, size_t nissuers, const ma_str_t *audiences,
                        size_t naudiences, int64_t leeway) {
    ClaimPolicy policy;
    policy.leeway = leeway;
    for (std::size_t i = 0; i < nissuers; i++) policy.issuers.emplace_back(view(issuers[i]));
    for (std::size_t i = 0; i < naudiences; i++) policy.audiences.emplace_back(view(audiences[i]));
    return policy;
}

}  // namespace

extern "C" {

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
        // The worker's thread keeps the list's capacity from the last
        // token: a request costs no allocation here (as the parse scratch).
        static thread_local std::vector<const KeySet *> list;
        list.clear();
        for (std::size_t i = 0; i < nsets; i++) list.push_back(&sets[i]->set);
        KeySupply from = supply == MA_KEYS_PENDING   ? KeySupply::Pending
                         : supply == MA_KEYS_FETCHED ? KeySupply::Fetched
                                                     : KeySupply::Fixed;
        return to_c(verifier->verifier.verify(view(token), now, list,
                                              (*identity)->identity, Signature::Check, from));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

ma_status_t ma_jws_verify_known(const ma_jws_verifier_t *verifier, ma_str_t token, int64_t now,
                                ma_identity_t **identity) {
    try {
        *identity = new ma_identity_s{};
        return to_c(verifier->verifier.verify(view(token), now, {},
                                              (*identity)->identity, Signature::KnownGood));
    } catch (...) {
        return MA_INTERNAL_ERROR;
    }
}

void ma_jws_cache_key(const ma_jws_verifier_t *verifier, ma_str_t token, unsigned char out[32]) {
    verifier->verifier.cache_key(view(token), out);
}

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

}  // extern "C"
