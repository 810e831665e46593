#include "mastra_auth/jwk.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "mastra_auth/base64url.h"
#include "mastra_auth/json_strict.h"
#include "mastra_auth/identity.h"
#include "mastra_auth/jwt.h"

namespace mastra_auth {

namespace {

struct Curve {
    std::string_view crv;          // JWK name
    const char *group;             // OpenSSL group name
    std::size_t coordinate;        // bytes of x and y
    Algorithm alg;                 // the one ES algorithm for this curve
};

constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32, Algorithm::ES256},
    {"P-384", "secp384r1", 48, Algorithm::ES384},
    {"P-521", "secp521r1", 66, Algorithm::ES512},
};

constexpr unsigned kRsaAlgorithms = bit_of(Algorithm::RS256) | bit_of(Algorithm::RS384) |
                                    bit_of(Algorithm::RS512) | bit_of(Algorithm::PS256) |
                                    bit_of(Algorithm::PS384) | bit_of(Algorithm::PS512);

// Members that only a private key has (RFC 7518 6.2.2, 6.3.2; RFC 8037 2).
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

struct PkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX *ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

struct ParamBldDeleter {
    void operator()(OSSL_PARAM_BLD *b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM *p) const noexcept { OSSL_PARAM_free(p); }
};
struct BnDeleter {
    void operator()(BIGNUM *bn) const noexcept { BN_free(bn); }
};

// A base64url member decoded, or false when absent, not a string or invalid.
bool member_bytes(const nlohmann::json &jwk, const char *name, std::string &out) {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) return false;
    return base64url_decode(it->get_ref<const std::string &>(), out) && !out.empty();
}

EvpPkeyPtr pkey_from_params(const char *type, OSSL_PARAM *params) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY *pkey = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return nullptr;
    return EvpPkeyPtr(pkey);
}

// ROCA (CVE-2017-15361): moduli made by Infineon's RSALib are factorable.
// They carry a fingerprint: for every small prime p below, n mod p lies in
// the subgroup that 65537 generates mod p (Nemec et al., CCS 2017; the
// primes of their detector).  A random modulus has it with negligible
// probability.  Added because Wycheproof json_web_key_test tcId 7
// ("rejectsKeyWithRocaVulnerability") showed such a key was accepted.
bool roca_fingerprint(EVP_PKEY *pkey) {
    constexpr unsigned kPrimes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                    107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
    BIGNUM *n = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1) return false;
    std::unique_ptr<BIGNUM, BnDeleter> owned(n);
    for (unsigned p : kPrimes) {
        const BN_ULONG r = BN_mod_word(n, p);
        if (r == static_cast<BN_ULONG>(-1)) return false;
        bool in_subgroup = false;
        unsigned x = 1;   // 65537^0, then 65537^1, ... mod p: the whole cyclic subgroup
        for (unsigned i = 0; i < p && !in_subgroup; i++) {
            in_subgroup = x == r;
            x = x * (65537u % p) % p;
        }
        if (!in_subgroup) return false;
    }
    return true;
}

// The checks every RSA key passes, from a JWK or a PEM file.
bool rsa_key_usable(EVP_PKEY *pkey, std::string &reason) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        reason = "RSA modulus of " + std::to_string(bits) + " bits (2048..8192 allowed)";
        return false;
    }
    if (roca_fingerprint(pkey)) {
        reason = "RSA modulus with the ROCA fingerprint (CVE-2017-15361): factorable";
        return false;
    }
    return true;
}

bool rsa_key(const nlohmann::json &jwk, PublicKey &out, std::string &reason) {
    std::string n, e;
    if (!member_bytes(jwk, "n", n) || !member_bytes(jwk, "e", e)) {
        reason = "RSA key without valid \"n\" and \"e\"";
        return false;
    }
    // RFC 7518 6.3.1: minimal big-endian integers; e odd and greater than 1.
    if (n[0] == '\0' || e[0] == '\0' || e.size() > 8 || (e.back() & 1) == 0 ||
        (e.size() == 1 && e[0] == '\1')) {
        reason = "RSA key with a non-minimal \"n\"/\"e\" or an unusable exponent";
        return false;
    }
    std::unique_ptr<BIGNUM, BnDeleter> bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char *>(n.data()), static_cast<int>(n.size()), nullptr));
    std::unique_ptr<BIGNUM, BnDeleter> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char *>(e.data()), static_cast<int>(e.size()), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
        reason = "RSA key could not be built";
        return false;
    }
    std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
    out.pkey = params ? pkey_from_params("RSA", params.get()) : nullptr;
    if (!out.pkey) {
        reason = "RSA key refused by OpenSSL";
        return false;
    }
    if (!rsa_key_usable(out.pkey.get(), reason)) return false;
    out.family = KeyFamily::Rsa;
    out.allowed = kRsaAlgorithms;
    return true;
}

bool public_key_checks_out(EVP_PKEY *pkey) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

bool ec_key(const nlohmann::json &jwk, PublicKey &out, std::string &reason) {
    auto crv = jwk.find("crv");
    const Curve *curve = nullptr;
    if (crv != jwk.end() && crv->is_string())
        for (const auto &c : kCurves)
            if (c.crv == crv->get_ref<const std::string &>()) curve = &c;
    if (curve == nullptr) {
        reason = "EC key with a missing or unsupported \"crv\"";
        return false;
    }
    std::string x, y;
    // RFC 7518 6.2.1.2: x and y are the full coordinate length.
    if (!member_bytes(jwk, "x", x) || !member_bytes(jwk, "y", y) || x.size() != curve->coordinate ||
        y.size() != curve->coordinate) {
        reason = "EC key whose \"x\"/\"y\" are missing or not " +
                 std::to_string(curve->coordinate) + " bytes";
        return false;
    }
    std::string point = "\x04" + x + y;   // uncompressed SEC1 point
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        reason = "EC key could not be built";
        return false;
    }
    std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
    out.pkey = params ? pkey_from_params("EC", params.get()) : nullptr;
    // An invalid-curve point would leak nothing to a verifier, but it is a
    // broken key all the same: refuse it.
    if (!out.pkey || !public_key_checks_out(out.pkey.get())) {
        reason = "EC key whose point is not on " + std::string(curve->crv);
        out.pkey.reset();
        return false;
    }
    out.family = KeyFamily::Ec;
    out.allowed = bit_of(curve->alg);
    return true;
}

bool okp_key(const nlohmann::json &jwk, PublicKey &out, std::string &reason) {
    auto crv = jwk.find("crv");
    if (crv == jwk.end() || !crv->is_string() || crv->get_ref<const std::string &>() != "Ed25519") {
        reason = "OKP key that is not Ed25519";   // Ed448, X25519, X448
        return false;
    }
    std::string x;
    if (!member_bytes(jwk, "x", x) || x.size() != 32) {
        reason = "Ed25519 key whose \"x\" is not 32 bytes";
        return false;
    }
    out.pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char *>(x.data()),
                                               x.size()));
    if (!out.pkey) {
        reason = "Ed25519 key refused by OpenSSL";
        return false;
    }
    out.family = KeyFamily::Okp;
    out.allowed = bit_of(Algorithm::EdDSA);
    return true;
}

bool oct_key(const nlohmann::json &jwk, PublicKey &out, std::string &reason) {
    if (!member_bytes(jwk, "k", out.secret)) {
        reason = "oct key without a valid \"k\"";
        return false;
    }
    // RFC 7518 3.2: the key is at least as long as the hash.
    out.allowed = 0;
    for (Algorithm a : {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512})
        if (out.secret.size() >= hmac_length(a)) out.allowed |= bit_of(a);
    if (out.allowed == 0) {
        reason = "oct key shorter than 32 bytes";
        return false;
    }
    out.family = KeyFamily::Oct;
    return true;
}

// "use" must be "sig" and "key_ops" must hold "verify", when present
// (RFC 7517 4.2, 4.3); key_ops members are unique strings.
bool usable_for_verification(const nlohmann::json &jwk, std::string &reason) {
    auto use = jwk.find("use");
    if (use != jwk.end() && (!use->is_string() || use->get_ref<const std::string &>() != "sig")) {
        reason = "key whose \"use\" is not \"sig\"";
        return false;
    }
    auto ops = jwk.find("key_ops");
    if (ops != jwk.end()) {
        std::set<std::string> seen;
        bool verify = false;
        if (!ops->is_array()) {
            reason = "key whose \"key_ops\" is not an array";
            return false;
        }
        for (const auto &op : *ops) {
            if (!op.is_string() || !seen.insert(op.get<std::string>()).second) {
                reason = "key whose \"key_ops\" are not unique strings";
                return false;
            }
            verify = verify || op.get_ref<const std::string &>() == "verify";
        }
        if (!verify) {
            reason = "key whose \"key_ops\" lack \"verify\"";
            return false;
        }
    }
    return true;
}

}  // namespace

bool parse_jwk(const nlohmann::json &jwk, KeySource source, PublicKey &out, std::string &reason) {
    try {
        if (!jwk.is_object()) {
            reason = "key set member that is not an object";
            return false;
        }
        auto kid = jwk.find("kid");
        if (kid != jwk.end()) {
            if (!kid->is_string() || kid->get_ref<const std::string &>().size() > kMaxKidLength) {
                reason = "key whose \"kid\" is not a string of at most 256 bytes";
                return false;
            }
            out.kid = kid->get<std::string>();
        }
        auto kty = jwk.find("kty");
        if (kty == jwk.end() || !kty->is_string()) {
            reason = "key without a \"kty\" string";
            return false;
        }
        if (source == KeySource::Remote) {
            for (std::string_view member : kPrivateMembers) {
                if (jwk.contains(member)) {
                    reason = "remote key with private member \"" + std::string(member) + "\"";
                    return false;
                }
            }
        }
        if (!usable_for_verification(jwk, reason)) return false;

        const std::string &type = kty->get_ref<const std::string &>();   // case-sensitive
        bool ok = false;
        if (type == "RSA") {
            ok = rsa_key(jwk, out, reason);
        } else if (type == "EC") {
            ok = ec_key(jwk, out, reason);
        } else if (type == "OKP") {
            ok = okp_key(jwk, out, reason);
        } else if (type == "oct") {
            if (source == KeySource::Remote) {
                reason = "remote key of kty \"oct\" (a published HMAC secret)";
                return false;
            }
            ok = oct_key(jwk, out, reason);
        } else {
            reason = "key of unknown kty \"" + log_safe(type) + "\"";
        }
        if (!ok) return false;

        // A key names at most one algorithm; it must fit the key (RFC 8725 3.1).
        auto alg = jwk.find("alg");
        if (alg != jwk.end()) {
            Algorithm a;
            if (!alg->is_string() || !algorithm_from_name(alg->get_ref<const std::string &>(), a) ||
                !out.fits(a)) {
                reason = "key whose \"alg\" does not fit its type";
                return false;
            }
            out.alg = a;
            out.allowed = bit_of(a);
        }
        return true;
    } catch (...) {
        reason = "key that could not be read";
        return false;
    }
}

bool parse_pem_public_key(std::string_view pem, PublicKey &out, std::string &reason) {
    try {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
        if (!bio) {
            reason = "out of memory";
            return false;
        }
        out.pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
        if (!out.pkey) {
            reason = "no PEM \"PUBLIC KEY\" could be read";
            return false;
        }
        EVP_PKEY *pkey = out.pkey.get();
        if (EVP_PKEY_is_a(pkey, "RSA")) {
            if (!rsa_key_usable(pkey, reason)) return false;
            out.family = KeyFamily::Rsa;
            out.allowed = kRsaAlgorithms;
            return true;
        }
        if (EVP_PKEY_is_a(pkey, "EC")) {
            char group[64] = {0};
            std::size_t len = 0;
            if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                               &len) == 1) {
                for (const auto &c : kCurves) {
                    if (std::string_view(group, len) == c.group) {
                        if (!public_key_checks_out(pkey)) break;
                        out.family = KeyFamily::Ec;
                        out.allowed = bit_of(c.alg);
                        return true;
                    }
                }
            }
            reason = "EC key not on P-256, P-384 or P-521";
            return false;
        }
        if (EVP_PKEY_is_a(pkey, "ED25519")) {
            out.family = KeyFamily::Okp;
            out.allowed = bit_of(Algorithm::EdDSA);
            return true;
        }
        reason = "PEM key of an unsupported type";
        return false;
    } catch (...) {
        reason = "PEM key that could not be read";
        return false;
    }
}

bool KeySet::parse(std::string_view text, KeySource source, KeySet &out, std::string &error) {
    try {
        nlohmann::json doc;
        if (!parse_json_object(text, doc)) {
            error = "not a JSON object";
            return false;
        }
        auto keys = doc.find("keys");
        if (keys == doc.end() || !keys->is_array()) {
            error = "no \"keys\" array";
            return false;
        }
        if (keys->size() > kMaxKeysPerSet) {
            error = "more than " + std::to_string(kMaxKeysPerSet) + " keys";
            return false;
        }
        KeySet set;
        for (const auto &member : *keys) {
            PublicKey key;
            std::string reason;
            if (parse_jwk(member, source, key, reason)) {
                prepare(key);
                set.keys_.push_back(std::move(key));
            } else {
                std::string kid;
                auto k = member.is_object() ? member.find("kid") : member.end();
                if (member.is_object() && k != member.end() && k->is_string())
                    kid = log_safe(k->get_ref<const std::string &>());
                set.skipped_.push_back("kid \"" + kid + "\": " + reason);
            }
        }
        set.mark_duplicates();
        out = std::move(set);
        return true;
    } catch (...) {
        error = "key set that could not be read";
        return false;
    }
}

void KeySet::prepare(PublicKey &key) {
    // Keys verify faster with state made once: HMAC pads, verify contexts.
    if (key.family == KeyFamily::Oct && !key.hmac)
        key.hmac = HmacKey::prepare(key.secret, key.allowed & kHmacAlgorithms);
    if ((key.family == KeyFamily::Rsa || key.family == KeyFamily::Ec) && key.pkey && !key.prepared)
        key.prepared = std::make_shared<PreparedVerify>();
}

void KeySet::add(PublicKey key) {
    prepare(key);
    keys_.push_back(std::move(key));
    mark_duplicates();
}

void KeySet::merge(KeySet &&other) {
    for (auto &key : other.keys_) keys_.push_back(std::move(key));
    for (auto &line : other.skipped_) skipped_.push_back(std::move(line));
    mark_duplicates();
}

// Two keys with one kid make the kid ambiguous: which one the issuer meant
// cannot be known, so neither is used (Wycheproof DuplicateKid), not even
// for a token without a kid; each such kid is named once in skipped().
void KeySet::mark_duplicates() {
    std::set<std::string> seen;
    for (const auto &key : keys_) {
        if (key.kid.empty()) continue;
        if (!seen.insert(key.kid).second && ambiguous_kids_.insert(key.kid).second)
            skipped_.push_back("kid \"" + log_safe(key.kid) + "\": held by more than one key");
    }
}

std::vector<const PublicKey *> KeySet::candidates(std::string_view kid, Algorithm alg,
                                                  bool &kid_known) const {
    std::vector<const PublicKey *> out;
    kid_known = true;
    if (!kid.empty()) {
        // A token's kid selects the keys that carry it; a key without a kid
        // (a PEM file, a set that names none) may verify any token.
        kid_known = false;
        for (const auto &key : keys_) {
            if (key.kid.empty()) {
                kid_known = true;
                if (key.fits(alg)) out.push_back(&key);
                continue;
            }
            if (key.kid != kid) continue;
            kid_known = true;
            if (ambiguous_kids_.count(key.kid) == 0 && key.fits(alg)) out.push_back(&key);
        }
        return out;
    }
    // No kid: every usable key that fits the algorithm is tried.
    for (const auto &key : keys_)
        if (key.fits(alg) && (key.kid.empty() || ambiguous_kids_.count(key.kid) == 0))
            out.push_back(&key);
    return out;
}

bool KeySet::holds_kid(std::string_view kid) const {
    for (const auto &key : keys_)
        if (!key.kid.empty() && key.kid == kid) return true;
    return false;
}

}  // namespace mastra_auth
