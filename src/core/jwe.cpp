#include "mastra_auth/jwe.h"

#include <array>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "mastra_auth/base64url.h"
#include "mastra_auth/json_strict.h"

namespace mastra_auth {

namespace {

// A cookie cache is a few kilobytes; Better Auth splits it in at most 100
// cookies of 4 KB.  Anything longer is not read.
constexpr std::size_t kMaxJweLength = 512 * 1024;

struct CtxFree {
    void operator()(EVP_PKEY_CTX *c) const { EVP_PKEY_CTX_free(c); }
    void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};

bool split5(std::string_view token, std::array<std::string_view, 5> &parts) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < 4; i++) {
        std::size_t dot = token.find('.', start);
        if (dot == std::string_view::npos) return false;
        parts[i] = token.substr(start, dot - start);
        start = dot + 1;
    }
    parts[4] = token.substr(start);
    return parts[4].find('.') == std::string_view::npos;
}

}  // namespace

bool hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info,
                 unsigned char *out, std::size_t len) noexcept {
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> c(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
    std::size_t got = len;
    return c && EVP_PKEY_derive_init(c.get()) > 0 &&
           EVP_PKEY_CTX_set_hkdf_md(c.get(), EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set1_hkdf_salt(c.get(), reinterpret_cast<const unsigned char *>(salt.data()),
                                       static_cast<int>(salt.size())) > 0 &&
           EVP_PKEY_CTX_set1_hkdf_key(c.get(), reinterpret_cast<const unsigned char *>(ikm.data()),
                                      static_cast<int>(ikm.size())) > 0 &&
           EVP_PKEY_CTX_add1_hkdf_info(c.get(), reinterpret_cast<const unsigned char *>(info.data()),
                                       static_cast<int>(info.size())) > 0 &&
           EVP_PKEY_derive(c.get(), out, &got) > 0 && got == len;
}

std::string oct_jwk_thumbprint(std::string_view key) {
    // RFC 7638: the required members in lexicographic order, no whitespace
    std::string jwk = "{\"k\":\"" + base64url_encode(key) + "\",\"kty\":\"oct\"}";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(jwk.data()), jwk.size(), digest);
    return base64url_encode(std::string_view(reinterpret_cast<const char *>(digest), sizeof digest));
}

bool jwe_decrypt(std::string_view token, std::string_view key, std::string_view kid,
                 std::string &plaintext, std::string_view &why) noexcept {
    try {
        std::array<std::string_view, 5> part;
        std::string header_text, iv, ciphertext, tag;
        nlohmann::json header;
        if (token.size() > kMaxJweLength || key.size() != 64 || !split5(token, part)) {
            why = "not a JWE";
            return false;
        }
        if (!base64url_decode(part[0], header_text) || !parse_json_object(header_text, header) ||
            !part[1].empty() || !base64url_decode(part[2], iv) ||
            !base64url_decode(part[3], ciphertext) || !base64url_decode(part[4], tag) ||
            iv.size() != 16 || tag.size() != 32 || ciphertext.empty() || ciphertext.size() % 16) {
            why = "a malformed JWE";
            return false;
        }

        // Pinned: the one algorithm pair Better Auth writes; no compression,
        // no critical extension, nothing this reader would ignore.
        for (const auto &[name, value] : header.items()) {
            bool known = (name == "alg" && value == "dir") ||
                         (name == "enc" && value == "A256CBC-HS512") ||
                         ((name == "kid" || name == "typ" || name == "cty") && value.is_string());
            if (!known) {
                why = "a JWE header other than dir with A256CBC-HS512";
                return false;
            }
        }
        if (!header.contains("alg") || !header.contains("enc")) {
            why = "a JWE header other than dir with A256CBC-HS512";
            return false;
        }
        auto found_kid = header.find("kid");
        if (found_kid != header.end() && !kid.empty()) {
            const std::string &k = found_kid->get_ref<const std::string &>();
            if (k.size() != kid.size() || CRYPTO_memcmp(k.data(), kid.data(), kid.size()) != 0) {
                why = "a JWE for another key";
                return false;
            }
        }

        // RFC 7518 section 5.2.2.1: the tag is the first half of
        // HMAC-SHA-512 over AAD || IV || ciphertext || AAD length in bits,
        // the AAD being the protected header as sent.
        unsigned char al[8];
        std::uint64_t bits = static_cast<std::uint64_t>(part[0].size()) * 8;
        for (int i = 7; i >= 0; i--, bits >>= 8) al[i] = static_cast<unsigned char>(bits & 0xff);
        std::string mac_input;
        mac_input.reserve(part[0].size() + iv.size() + ciphertext.size() + 8);
        mac_input.append(part[0]).append(iv).append(ciphertext);
        mac_input.append(reinterpret_cast<const char *>(al), 8);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        if (!HMAC(EVP_sha512(), key.data(), 32, reinterpret_cast<const unsigned char *>(mac_input.data()),
                  mac_input.size(), mac, &mac_len) ||
            mac_len != 64) {
            why = "a JWE that could not be checked";
            return false;
        }
        if (CRYPTO_memcmp(mac, tag.data(), 32) != 0) {
            why = "a JWE whose tag does not hold";
            return false;
        }

        std::unique_ptr<EVP_CIPHER_CTX, CtxFree> c(EVP_CIPHER_CTX_new());
        plaintext.assign(ciphertext.size() + 16, '\0');
        int n = 0, last = 0;
        if (!c ||
            EVP_DecryptInit_ex(c.get(), EVP_aes_256_cbc(), nullptr,
                               reinterpret_cast<const unsigned char *>(key.data() + 32),
                               reinterpret_cast<const unsigned char *>(iv.data())) != 1 ||
            EVP_DecryptUpdate(c.get(), reinterpret_cast<unsigned char *>(plaintext.data()), &n,
                              reinterpret_cast<const unsigned char *>(ciphertext.data()),
                              static_cast<int>(ciphertext.size())) != 1 ||
            EVP_DecryptFinal_ex(c.get(), reinterpret_cast<unsigned char *>(plaintext.data()) + n,
                                &last) != 1) {
            OPENSSL_cleanse(plaintext.data(), plaintext.size());
            plaintext.clear();
            why = "a JWE that does not decrypt";
            return false;
        }
        plaintext.resize(static_cast<std::size_t>(n + last));
        return true;
    } catch (...) {
        why = "a JWE that could not be read";
        return false;
    }
}

}  // namespace mastra_auth
