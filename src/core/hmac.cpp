#include "mastra_auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

namespace mastra_auth {

namespace {

// Index of an HS algorithm in HmacKey's states, or -1.
int hmac_index(Algorithm alg) {
    switch (alg) {
    case Algorithm::HS256: return 0;
    case Algorithm::HS384: return 1;
    case Algorithm::HS512: return 2;
    default: return -1;
    }
}

// Index of an algorithm's SHA-2 in kSha2Names, or -1 (EdDSA).
int sha2_index(Algorithm alg) {
    switch (alg) {
    case Algorithm::HS256: case Algorithm::RS256: case Algorithm::PS256: case Algorithm::ES256:
        return 0;
    case Algorithm::HS384: case Algorithm::RS384: case Algorithm::PS384: case Algorithm::ES384:
        return 1;
    case Algorithm::HS512: case Algorithm::RS512: case Algorithm::PS512: case Algorithm::ES512:
        return 2;
    default:
        return -1;
    }
}

constexpr const char *kSha2Names[] = {"SHA256", "SHA384", "SHA512"};

bool tag_matches(const unsigned char *mac, std::size_t mac_len, std::string_view signature) {
    return mac_len == signature.size() && CRYPTO_memcmp(mac, signature.data(), mac_len) == 0;
}

}  // namespace

const EVP_MD *sha2_digest(Algorithm alg) noexcept {
    // Fetched once, kept for the life of the process (static initialisation
    // is thread-safe).
    static EVP_MD *const digests[3] = {EVP_MD_fetch(nullptr, kSha2Names[0], nullptr),
                                       EVP_MD_fetch(nullptr, kSha2Names[1], nullptr),
                                       EVP_MD_fetch(nullptr, kSha2Names[2], nullptr)};
    const int index = sha2_index(alg);
    return index < 0 ? nullptr : digests[index];
}

bool sha2_hash(Algorithm alg, std::string_view first, std::string_view second, unsigned char *out,
               unsigned int &len) noexcept {
    struct Context {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        ~Context() { EVP_MD_CTX_free(ctx); }
    };
    static thread_local Context context;
    EVP_MD_CTX *ctx = context.ctx;
    const EVP_MD *md = sha2_digest(alg);
    len = 0;
    return ctx != nullptr && md != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, first.data(), first.size()) == 1 &&
           EVP_DigestUpdate(ctx, second.data(), second.size()) == 1 &&
           EVP_DigestFinal_ex(ctx, out, &len) == 1;
}

std::string hmac_sign(Algorithm alg, std::string_view key, std::string_view input) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const EVP_MD *md = hmac_index(alg) < 0 ? nullptr : sha2_digest(alg);
    if (md == nullptr || key.empty()) return {};
    if (HMAC(md, key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac, &len) == nullptr)
        return {};
    std::string out(reinterpret_cast<char *>(mac), len);
    OPENSSL_cleanse(mac, sizeof(mac));
    return out;
}

bool hmac_verify(Algorithm alg, std::string_view key, std::string_view input,
                 std::string_view signature) noexcept {
    // An empty key would make every MAC forgeable (CVE-2019-20933 and kin).
    if (key.empty()) return false;
    // A truncated tag is refused outright (RFC 7518 section 3.2).  A non-HMAC
    // algorithm has length 0: without the first test an empty signature
    // would compare equal to the empty "MAC" hmac_sign gives for it.
    const std::size_t length = hmac_length(alg);
    if (length == 0 || signature.size() != length) return false;
    try {
        std::string expected = hmac_sign(alg, key, input);
        if (expected.size() != signature.size()) return false;
        bool equal = CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
        OPENSSL_cleanse(expected.data(), expected.size());
        return equal;
    } catch (...) {
        return false;
    }
}

std::shared_ptr<const HmacKey> HmacKey::prepare(std::string_view key, unsigned algorithms) noexcept {
    if (key.empty()) return nullptr;
    try {
        std::shared_ptr<HmacKey> prepared(new HmacKey());
        EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (mac == nullptr) return nullptr;
        bool ok = true;
        for (Algorithm alg : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512}) {
            if ((algorithms & bit_of(alg)) == 0) continue;
            State &state = prepared->states_[hmac_index(alg)];
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 const_cast<char *>(kSha2Names[sha2_index(alg)]), 0),
                OSSL_PARAM_construct_end()};
            state.keyed = EVP_MAC_CTX_new(mac);
            ok = state.keyed != nullptr &&
                 EVP_MAC_init(state.keyed, reinterpret_cast<const unsigned char *>(key.data()),
                              key.size(), params) == 1;
            if (ok) {
                state.work = EVP_MAC_CTX_dup(state.keyed);
                ok = state.work != nullptr;
            }
            if (!ok) break;
        }
        EVP_MAC_free(mac);
        return ok ? prepared : nullptr;
    } catch (...) {
        return nullptr;
    }
}

HmacKey::~HmacKey() {
    // EVP_MAC_CTX_free cleanses the key material it holds.
    for (State &state : states_) {
        EVP_MAC_CTX_free(state.work);
        EVP_MAC_CTX_free(state.keyed);
    }
}

bool HmacKey::verify(Algorithm alg, std::string_view input, std::string_view signature) const noexcept {
    const int index = hmac_index(alg);
    if (index < 0) return false;
    const State &state = states_[index];
    // Not prepared for this algorithm: the key does not allow it.
    if (state.keyed == nullptr) return false;
    // The same refusals as hmac_verify, before any work.
    if (signature.size() != hmac_length(alg)) return false;

    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t mac_len = 0;
    auto compute = [&](EVP_MAC_CTX *ctx, bool reinit) {
        // Re-initialising without a key restarts from the kept inner state.
        return (!reinit || EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1) &&
               EVP_MAC_update(ctx, reinterpret_cast<const unsigned char *>(input.data()), input.size()) ==
                   1 &&
               EVP_MAC_final(ctx, mac, &mac_len, sizeof(mac)) == 1;
    };

    bool computed = false;
    std::unique_lock<std::mutex> lock(state.busy, std::try_to_lock);
    if (lock.owns_lock()) {
        computed = compute(state.work, /*reinit=*/true);
        lock.unlock();
    } else {
        EVP_MAC_CTX *copy = EVP_MAC_CTX_dup(state.keyed);
        if (copy == nullptr) return false;
        computed = compute(copy, /*reinit=*/false);
        EVP_MAC_CTX_free(copy);
    }
    const bool equal = computed && tag_matches(mac, mac_len, signature);
    OPENSSL_cleanse(mac, sizeof(mac));
    return equal;
}

}  // namespace mastra_auth
