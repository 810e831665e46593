#include "mastra_auth/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace mastra_auth {

namespace {

const EVP_MD *digest_of(Algorithm alg) {
    switch (alg) {
    case Algorithm::HS256: return EVP_sha256();
    case Algorithm::HS384: return EVP_sha384();
    case Algorithm::HS512: return EVP_sha512();
    default: return nullptr;   // not an HMAC algorithm
    }
}

}  // namespace

std::string hmac_sign(Algorithm alg, std::string_view key, std::string_view input) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const EVP_MD *md = digest_of(alg);
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

}  // namespace mastra_auth
