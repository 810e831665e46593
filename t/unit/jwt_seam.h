// The jwt provider through the C seam, as the nginx shim builds it: its
// secret a key set of one oct key (ma_keyset_from_secret, which refuses
// what the provider refuses), a JWS verifier of the provider's algorithms,
// and tokens verified against that one set, a fixed supply.  For the tests
// and fuzz targets that check the provider end to end.
#ifndef MASTRA_AUTH_TEST_JWT_SEAM_H
#define MASTRA_AUTH_TEST_JWT_SEAM_H

#include <cstddef>
#include <cstdint>

#include "mastra_auth/api.h"

namespace mastra_auth::test {

struct JwtOptions {
    ma_str_t secret;             // HMAC key bytes (copied)
    unsigned algorithms;         // MA_ALG_* set
    int64_t leeway;
    const ma_str_t *issuers;
    size_t nissuers;
    const ma_str_t *audiences;
    size_t naudiences;
};

struct JwtVerifier {
    ma_keyset_t *keys = nullptr;
    ma_jws_verifier_t *jws = nullptr;
};

inline void jwt_verifier_free(JwtVerifier *verifier) {
    if (verifier == nullptr) return;
    ma_jws_verifier_free(verifier->jws);
    ma_keyset_free(verifier->keys);
    delete verifier;
}

// As the shim's merge: the key set first (its refusals name the secret),
// then the verifier; *out is nullptr on a refusal, err says why.
inline ma_status_t jwt_verifier_create(const JwtOptions *options, JwtVerifier **out, char *err,
                                       size_t errlen) {
    *out = nullptr;
    auto *verifier = new JwtVerifier;
    ma_status_t status = ma_keyset_from_secret(options->secret, options->algorithms,
                                               &verifier->keys, err, errlen);
    if (status == MA_OK) {
        ma_jws_options_t jws{};
        jws.algorithms = options->algorithms;
        jws.leeway = options->leeway;
        jws.issuers = options->issuers;
        jws.nissuers = options->nissuers;
        jws.audiences = options->audiences;
        jws.naudiences = options->naudiences;
        status = ma_jws_verifier_create(&jws, &verifier->jws, err, errlen);
    }
    if (status != MA_OK) {
        jwt_verifier_free(verifier);
        return status;
    }
    *out = verifier;
    return MA_OK;
}

inline ma_status_t jwt_verify(const JwtVerifier *verifier, ma_str_t token, int64_t now,
                              ma_identity_t **identity) {
    const ma_keyset_t *sets[] = {verifier->keys};
    return ma_jws_verify(verifier->jws, token, now, sets, 1, MA_KEYS_FIXED, identity);
}

inline ma_status_t jwt_verify_known(const JwtVerifier *verifier, ma_str_t token, int64_t now,
                                    ma_identity_t **identity) {
    return ma_jws_verify_known(verifier->jws, token, now, identity);
}

inline void jwt_cache_key(const JwtVerifier *verifier, ma_str_t token, unsigned char out[32]) {
    ma_jws_cache_key(verifier->jws, token, out);
}

}  // namespace mastra_auth::test

#endif
