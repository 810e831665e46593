// The bad-input catalogue (docs/security.md; its rows, with ids and names,
// are t/catalogue.t's, and each case here is named for what it is) through
// the C seam, as the nginx shim calls it: ma_keyset_from_secret +
// ma_jws_verify for the jwt provider (jwt_seam.h), ma_keyset_parse_* +
// ma_jws_verify for key sets, and the
// request helpers (ma_path_check, ma_bearer_token, ma_cookie_value,
// ma_ba_signed_token).  t/catalogue.t sends the same rows through nginx; the
// exhaustive loops live here, where they are fast:
//   Catalogue/EverySignatureMutation.*/ALG  every bit flip, byte cut, byte
//                                           added and text cut of the
//                                           signature, and every bit flip of
//                                           the signed header and payload,
//                                           for each of the 13 algorithms;
//   Catalogue/Token.*/ID_Name               one token row each;
//   Catalogue/Path.*, /Bearer.*, /Cookie.*  the request helpers' rows.
// Expected statuses are the reason codes of docs/variables.md
// ($mastra_auth_error), as docs/security.md, docs/providers.md and
// docs/routes-and-rules.md assign them.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "jwt_seam.h"
#include "key_helpers.h"
#include "mastra_auth/api.h"
#include "token_helpers.h"

using mastra_auth::Algorithm;
using mastra_auth::algorithm_name;
using mastra_auth::bit_of;
using mastra_auth::family_of;
using mastra_auth::KeyFamily;
using namespace mastra_auth::test;

namespace {

constexpr int64_t kNow = 1700000000;
const std::string kPayload = R"({"sub":"user-1","exp":1700003600})";

ma_str_t S(const std::string &s) { return ma_str_t{s.data(), s.size()}; }

std::string status_name(ma_status_t s) { return ma_status_code(s); }

// ---- key sets and verifiers through the seam -----------------------------------

struct KeySetHandle {
    ma_keyset_t *set = nullptr;
    KeySetHandle() = default;
    KeySetHandle(const KeySetHandle &) = delete;
    KeySetHandle &operator=(const KeySetHandle &) = delete;
    ~KeySetHandle() { ma_keyset_free(set); }
};

void parse_jwks(const std::vector<Json> &keys, bool remote, KeySetHandle &out) {
    const std::string text = Json{{"keys", keys}}.dump();
    char err[256] = "";
    ASSERT_EQ(ma_keyset_parse_jwks(S(text), remote ? 1 : 0, &out.set, err, sizeof(err)), MA_OK) << err;
}

void parse_pem(EVP_PKEY *key, KeySetHandle &out) {
    const std::string pem = public_pem(key);
    char err[256] = "";
    ASSERT_EQ(ma_keyset_parse_pem(S(pem), &out.set, err, sizeof(err)), MA_OK) << err;
}

Json kid_jwk(EVP_PKEY *key, const std::string &kid, const Json &extra = Json::object()) {
    Json jwk = public_jwk(key);
    jwk["kid"] = kid;
    for (const auto &[k, v] : extra.items()) jwk[k] = v;
    return jwk;
}

// A JWS verifier (every algorithm, or the given ones) over key sets.
class JwsVerifier {
public:
    explicit JwsVerifier(unsigned algorithms, std::vector<std::string> issuers = {},
                         std::vector<std::string> audiences = {})
        : issuers_(std::move(issuers)), audiences_(std::move(audiences)) {
        for (const auto &s : issuers_) iss_.push_back(S(s));
        for (const auto &s : audiences_) aud_.push_back(S(s));
        ma_jws_options_t options{};
        options.algorithms = algorithms;
        options.issuers = iss_.data();
        options.nissuers = iss_.size();
        options.audiences = aud_.data();
        options.naudiences = aud_.size();
        char err[256] = "";
        EXPECT_EQ(ma_jws_verifier_create(&options, &verifier_, err, sizeof(err)), MA_OK) << err;
    }
    JwsVerifier(const JwsVerifier &) = delete;
    JwsVerifier &operator=(const JwsVerifier &) = delete;
    ~JwsVerifier() { ma_jws_verifier_free(verifier_); }

    ma_status_t verify(const std::string &token, const std::vector<const ma_keyset_t *> &sets) const {
        ma_identity_t *identity = nullptr;
        ma_status_t status = ma_jws_verify(verifier_, S(token), kNow, sets.data(), sets.size(),
                                           MA_KEYS_FIXED, &identity);
        if (status != MA_OK && identity != nullptr) {
            // nothing of an unverified payload is handed out
            EXPECT_EQ(ma_identity_user(identity).len, 0u);
            EXPECT_EQ(ma_identity_payload(identity).len, 0u);
        }
        ma_identity_free(identity);
        return status;
    }

private:
    ma_jws_verifier_t *verifier_ = nullptr;
    std::vector<std::string> issuers_, audiences_;
    std::vector<ma_str_t> iss_, aud_;
};

// The jwt provider's verifier (one secret).
class HmacVerifier {
public:
    HmacVerifier(const std::string &secret, unsigned algorithms, std::vector<std::string> issuers = {},
                 std::vector<std::string> audiences = {})
        : issuers_(std::move(issuers)), audiences_(std::move(audiences)) {
        for (const auto &s : issuers_) iss_.push_back(S(s));
        for (const auto &s : audiences_) aud_.push_back(S(s));
        JwtOptions options{};
        options.secret = S(secret);
        options.algorithms = algorithms;
        options.issuers = iss_.data();
        options.nissuers = iss_.size();
        options.audiences = aud_.data();
        options.naudiences = aud_.size();
        char err[256] = "";
        EXPECT_EQ(jwt_verifier_create(&options, &verifier_, err, sizeof(err)), MA_OK) << err;
    }
    HmacVerifier(const HmacVerifier &) = delete;
    HmacVerifier &operator=(const HmacVerifier &) = delete;
    ~HmacVerifier() { jwt_verifier_free(verifier_); }

    ma_status_t verify(const std::string &token) const {
        ma_identity_t *identity = nullptr;
        ma_status_t status = jwt_verify(verifier_, S(token), kNow, &identity);
        ma_identity_free(identity);
        return status;
    }

private:
    JwtVerifier *verifier_ = nullptr;
    std::vector<std::string> issuers_, audiences_;
    std::vector<ma_str_t> iss_, aud_;
};

// ---- tokens -------------------------------------------------------------------------

std::string header_json(Algorithm alg, const std::string &kid = "", const Json &extra = Json::object()) {
    Json h = extra;
    h["alg"] = std::string(algorithm_name(alg));
    if (!kid.empty()) h["kid"] = kid;
    return h.dump();
}

// A compact JWS over the exact texts given, signed for alg with key (secret for HS*).
std::string jws(const std::string &header, const std::string &payload, Algorithm alg, EVP_PKEY *key,
                const std::string &secret = kSecret64) {
    const std::string input = b64u(header) + "." + b64u(payload);
    return input + "." + b64u(jws_sign(alg, key, input, secret));
}

// A compact JWS whose raw signature a function makes from the signing input.
std::string jws_with(const std::string &header, const std::function<std::string(const std::string &)> &sign,
                     const std::string &payload = kPayload) {
    const std::string input = b64u(header) + "." + b64u(payload);
    return input + "." + b64u(sign(input));
}

std::string hs(const std::string &header, const std::string &payload = kPayload, Algorithm alg = Algorithm::HS256) {
    return sign_token(header, payload, kSecret64, alg);
}

std::string replace_signature(const std::string &token, const std::string &raw) {
    return token.substr(0, token.rfind('.') + 1) + b64u(raw);
}

std::string signature_of(const std::string &token) { return unb64u(token.substr(token.rfind('.') + 1)); }

// A payload with one more member, as raw JSON text.
std::string payload_with(const std::string &member_json) {
    return kPayload.substr(0, kPayload.size() - 1) + "," + member_json + "}";
}

std::string payload_without_exp(const std::string &member_json) {
    return R"({"sub":"user-1",)" + member_json + "}";
}

// Is this text canonical base64url (RFC 7515 section 2, unpadded)?  Written
// out here on its own, not with the decoder under test.
bool canonical_b64u(const std::string &text) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (text.size() % 4 == 1) return false;
    for (char c : text)
        if (alphabet.find(c) == std::string::npos) return false;
    if (text.empty()) return true;
    const std::size_t last = alphabet.find(text.back());
    if (text.size() % 4 == 2) return (last & 0x0f) == 0;
    if (text.size() % 4 == 3) return (last & 0x03) == 0;
    return true;
}

std::string order_bytes(const char *hex, std::size_t size) {
    BIGNUM *bn = nullptr;
    BN_hex2bn(&bn, hex);
    std::string out(size, '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), static_cast<int>(size));
    BN_free(bn);
    return out;
}

const char *kP256Order = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

}  // namespace

// ===========================================================================
// S1: every mutation of a valid signature, for every algorithm

class EverySignatureMutation : public ::testing::TestWithParam<Algorithm> {};

TEST_P(EverySignatureMutation, IsRefused) {
    const Algorithm alg = GetParam();
    const std::string name(algorithm_name(alg));
    const bool hmac = family_of(alg) == KeyFamily::Oct;
    EVP_PKEY *key = hmac ? nullptr : cached_key(key_kind_for(alg));

    KeySetHandle set;
    if (!hmac) parse_jwks({kid_jwk(key, "k")}, /*remote=*/true, set);
    const HmacVerifier hmac_verifier(kSecret64, MA_ALG_HMAC);
    const JwsVerifier jws_verifier(all_algorithm_bits());
    auto verify = [&](const std::string &token) {
        return hmac ? hmac_verifier.verify(token) : jws_verifier.verify(token, {set.set});
    };

    const std::string header = header_json(alg, "k");
    const std::string token = jws(header, kPayload, alg, key);
    ASSERT_EQ(verify(token), MA_OK) << name << ": the untouched token must pass";
    const std::string sig = signature_of(token);

    // Failures are gathered, not asserted one by one: thousands of cases.
    std::vector<std::string> wrong;
    auto expect = [&](const std::string &what, const std::string &tok, ma_status_t want) {
        const ma_status_t got = verify(tok);
        if (got != want) wrong.push_back(what + ": " + status_name(got) + " (want " + status_name(want) + ")");
    };

    std::size_t cases = 0;
    for (std::size_t bit = 0; bit < 8 * sig.size(); bit++, cases++) {
        std::string flipped = sig;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        expect("bit " + std::to_string(bit) + " flipped", replace_signature(token, flipped), MA_BAD_SIGNATURE);
    }
    for (std::size_t n = 0; n < sig.size(); n++, cases++) {
        // no signature at all is no compact JWS (docs/security.md: three
        // non-empty parts)
        expect("cut to " + std::to_string(n) + " bytes", replace_signature(token, sig.substr(0, n)),
               n == 0 ? MA_TOKEN_MALFORMED : MA_BAD_SIGNATURE);
    }
    for (char extra : {'\0', '\x01', '\xff'}) {
        cases++;
        expect("one byte appended", replace_signature(token, sig + extra), MA_BAD_SIGNATURE);
        cases++;
        expect("one byte prepended", replace_signature(token, extra + sig), MA_BAD_SIGNATURE);
    }
    // The text cut anywhere: a cut that is not canonical base64url is
    // malformed, any other a wrong signature.
    const std::string text = token.substr(token.rfind('.') + 1);
    const std::string input = token.substr(0, token.rfind('.') + 1);
    for (std::size_t n = 1; n < text.size(); n++, cases++) {
        const std::string cut = text.substr(0, n);
        expect("text cut to " + std::to_string(n), input + cut,
               canonical_b64u(cut) ? MA_BAD_SIGNATURE : MA_TOKEN_MALFORMED);
    }

    // Every bit of the signed header and payload flipped, signature kept:
    // whatever the flip makes of the JSON, nothing passes.
    std::size_t passed = 0;
    for (int part = 0; part < 2; part++) {
        const std::string plain = part == 0 ? header : kPayload;
        for (std::size_t bit = 0; bit < 8 * plain.size(); bit++, cases++) {
            std::string changed = plain;
            changed[bit / 8] = static_cast<char>(changed[bit / 8] ^ (1 << (bit % 8)));
            const std::string tok = (part == 0 ? b64u(changed) + "." + b64u(kPayload)
                                               : b64u(header) + "." + b64u(changed)) +
                                    "." + b64u(sig);
            if (verify(tok) == MA_OK) {
                passed++;
                wrong.push_back(std::string(part == 0 ? "header" : "payload") + " bit " + std::to_string(bit) +
                                " flipped: passed");
            }
        }
    }

    EXPECT_TRUE(wrong.empty()) << name << ": " << wrong.size() << " of " << cases << " cases wrong, first: "
                               << (wrong.empty() ? "" : wrong.front());
    EXPECT_EQ(passed, 0u) << name;
    EXPECT_GT(cases, 8 * sig.size()) << name;
    RecordProperty("cases", static_cast<int>(cases));
}

INSTANTIATE_TEST_SUITE_P(Catalogue, EverySignatureMutation, ::testing::ValuesIn(kAllAlgorithms),
                         [](const ::testing::TestParamInfo<Algorithm> &info) {
                             return std::string(algorithm_name(info.param));
                         });

// ===========================================================================
// token rows: one named case each

namespace {

enum class Ctx {
    Hmac,       // jwt provider: the secret, HS256 only
    HmacAll,    // jwt provider: HS256, HS384, HS512
    HmacClaims, // jwt provider: iss https://issuer.example/, aud api://mastra
    Jwks,       // a remote set: RSA (no alg), RSA (alg RS256), P-256, P-384, Ed25519, a use:enc key
    Pem,        // a PEM RSA public key (no kid)
};

struct TokenRow {
    const char *name;   // "ID_What": the catalogue id first
    Ctx ctx;
    std::function<std::string()> token;
    ma_status_t expect;
};

std::string es256(const std::string &header, const std::function<std::string(const std::string &)> &raw) {
    return jws_with(header, raw);
}

EVP_PKEY *rsa() { return cached_key("RSA-2048"); }
EVP_PKEY *rsa_rs() { return cached_key("RSA-2048-other"); }
EVP_PKEY *p256() { return cached_key("P-256"); }
EVP_PKEY *p384() { return cached_key("P-384"); }
EVP_PKEY *ed() { return cached_key("ED25519"); }
EVP_PKEY *enc_key() { return cached_key("P-256-other"); }
EVP_PKEY *attacker() { return cached_key("RSA-2048-attacker"); }

const std::string kEvil = "the-attackers-own-secret-of-32-bytes!!";

std::vector<TokenRow> token_rows() {
    const std::string H = R"({"alg":"HS256","typ":"JWT"})";
    const std::string good = hs(H);
    const std::string h = b64u(H), p = b64u(kPayload);
    const std::string s = good.substr(good.rfind('.') + 1);
    const std::string rs_rsa = R"({"alg":"RS256","kid":"rsa"})";
    const std::string es_hdr = R"({"alg":"ES256","kid":"ec256"})";
    auto rs_token = [](const std::string &header, EVP_PKEY *key) { return jws(header, kPayload, Algorithm::RS256, key); };
    auto hs_keyed = [](const std::string &secret, const std::string &header) {
        return sign_token(header, kPayload, secret);
    };
    auto deep = [](int levels) {
        return std::string(R"({"sub":"user-1","exp":1700003600,"x":)") + std::string(levels - 1, '[') +
               std::string(levels - 1, ']') + "}";
    };

    return {
        // ---- token syntax
        {"T1_Baseline_GoodTokenPasses", Ctx::Hmac, [=] { return good; }, MA_OK},
        {"T1_Empty", Ctx::Hmac, [] { return std::string(); }, MA_TOKEN_MALFORMED},
        {"T1_OnePart", Ctx::Hmac, [=] { return h; }, MA_TOKEN_MALFORMED},
        {"T1_TwoParts", Ctx::Hmac, [=] { return h + "." + p; }, MA_TOKEN_MALFORMED},
        {"T1_FourParts", Ctx::Hmac, [=] { return good + "." + s; }, MA_TOKEN_MALFORMED},
        {"T1_FiveParts", Ctx::Hmac, [=] { return good + "." + s + "." + s; }, MA_TOKEN_MALFORMED},
        {"T1_TrailingDot", Ctx::Hmac, [=] { return good + "."; }, MA_TOKEN_MALFORMED},
        {"T1_DetachedPayload", Ctx::Hmac, [=] { return h + ".." + s; }, MA_TOKEN_MALFORMED},
        {"T1_HDotDotPS", Ctx::Hmac, [=] { return h + ".." + p + "." + s; }, MA_TOKEN_MALFORMED},
        {"T1_OnlyDots", Ctx::Hmac, [] { return std::string(".."); }, MA_TOKEN_MALFORMED},
        {"T2_EmptySignatureHS256", Ctx::Hmac, [=] { return h + "." + p + "."; }, MA_TOKEN_MALFORMED},
        {"T2_EmptySignatureRS256", Ctx::Jwks, [=] { return b64u(rs_rsa) + "." + p + "."; }, MA_TOKEN_MALFORMED},
        {"T2_EmptySignatureES256", Ctx::Jwks, [=] { return b64u(es_hdr) + "." + p + "."; }, MA_TOKEN_MALFORMED},
        {"T3_PaddedSignature", Ctx::Hmac, [=] { return good + "="; }, MA_TOKEN_MALFORMED},
        {"T3_PaddedHeader", Ctx::Hmac,
         [] {
             const std::string hp = b64u(R"({"alg":"HS256","x":"1"})") + "=";
             const std::string input = hp + "." + b64u(kPayload);
             return input + "." + b64u(mastra_auth::hmac_sign(Algorithm::HS256, kSecret64, input));
         },
         MA_TOKEN_MALFORMED},
        {"T3_StandardAlphabetPlus", Ctx::Hmac,
         [=] {
             std::string t = good;
             t[t.find('.') + 3] = '+';
             return t;
         },
         MA_TOKEN_MALFORMED},
        {"T3_StandardAlphabetSlash", Ctx::Hmac,
         [=] {
             std::string t = good;
             t[t.find('.') + 3] = '/';
             return t;
         },
         MA_TOKEN_MALFORMED},
        {"T3_SpaceInPayload", Ctx::Hmac, [=] { return h + "." + p.substr(0, 5) + " " + p.substr(5) + "." + s; },
         MA_TOKEN_MALFORMED},
        {"T3_NulInPayload", Ctx::Hmac,
         [=] { return h + "." + p.substr(0, 5) + std::string(1, '\0') + p.substr(5) + "." + s; }, MA_TOKEN_MALFORMED},
        {"T3_ByteFFInPayload", Ctx::Hmac, [=] { return h + "." + p.substr(0, 5) + "\xff" + p.substr(5) + "." + s; },
         MA_TOKEN_MALFORMED},
        {"T3_NonCanonicalLastCharacter", Ctx::Hmac,
         [=] {
             // a 32-byte MAC is 43 characters: the last one carries 2 unused bits
             std::string t = good;
             static const std::string a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
             t.back() = a[a.find(t.back()) | 1];
             return t;
         },
         MA_TOKEN_MALFORMED},
        {"T4_HeaderIsAnArray", Ctx::Hmac, [] { return hs("[]"); }, MA_TOKEN_MALFORMED},
        {"T4_BytesAfterTheHeader", Ctx::Hmac, [] { return hs(R"({"alg":"HS256"}x)"); }, MA_TOKEN_MALFORMED},
        {"T4_InvalidUtf8InPayload", Ctx::Hmac, [=] { return hs(H, "{\"sub\":\"\xfe\xff\"}"); }, MA_TOKEN_MALFORMED},
        {"T4_JsonSerialization", Ctx::Hmac,
         [=] { return b64u(Json{{"protected", h}, {"payload", p}, {"signature", s}}.dump()); }, MA_TOKEN_MALFORMED},
        {"T5_Token64KB", Ctx::Hmac, [=] { return hs(H, payload_with("\"fill\":\"" + std::string(48000, 'f') + "\"")); },
         MA_TOKEN_MALFORMED},
        {"T5_OneMegabyteOfDots", Ctx::Hmac, [] { return std::string(1 << 20, '.'); }, MA_TOKEN_MALFORMED},
        {"T5_HundredThousandNestedArrays", Ctx::Hmac,
         [=] { return hs(H, "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}"); },
         MA_TOKEN_MALFORMED},
        {"T5_Nested32LevelsPasses", Ctx::Hmac, [=] { return hs(H, deep(32)); }, MA_OK},
        {"T5_Nested33Levels", Ctx::Hmac, [=] { return hs(H, deep(33)); }, MA_TOKEN_MALFORMED},

        // ---- header
        {"H1_AlgMissing", Ctx::HmacAll, [] { return hs(R"({"typ":"JWT"})"); }, MA_TOKEN_MALFORMED},
        {"H1_AlgNumber", Ctx::HmacAll, [] { return hs(R"({"alg":256})"); }, MA_TOKEN_MALFORMED},
        {"H1_AlgNull", Ctx::HmacAll, [] { return hs(R"({"alg":null})"); }, MA_TOKEN_MALFORMED},
        {"H1_AlgArray", Ctx::HmacAll, [] { return hs(R"({"alg":["HS256"]})"); }, MA_TOKEN_MALFORMED},
        {"H1_AlgLowerCase", Ctx::HmacAll, [] { return hs(R"({"alg":"hs256"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H1_AlgTrailingSpace", Ctx::HmacAll, [] { return hs(R"({"alg":"HS256 "})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H1_AlgES256K", Ctx::Jwks, [] { return hs(R"({"alg":"ES256K"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H2_AlgNone", Ctx::HmacAll, [] { return hs(R"({"alg":"none"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H2_AlgNoneCapitalised", Ctx::Jwks, [] { return hs(R"({"alg":"None"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H2_AlgNoneUpperCase", Ctx::HmacAll, [] { return hs(R"({"alg":"NONE"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H2_AlgNoneMixedCase", Ctx::Jwks, [] { return hs(R"({"alg":"nOnE"})"); }, MA_ALGORITHM_NOT_ALLOWED},
        {"H2_AlgNoneWithoutSignature", Ctx::HmacAll,
         [] { return b64u(R"({"alg":"none"})") + "." + b64u(kPayload) + "."; }, MA_TOKEN_MALFORMED},
        {"H3_DuplicateAlg", Ctx::Hmac, [] { return hs(R"({"alg":"none","alg":"HS256"})"); }, MA_TOKEN_MALFORMED},
        {"H3_DuplicateAlgEscaped", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","\u0061lg":"none"})"); },
         MA_TOKEN_MALFORMED},
        {"H3_DuplicateClaim", Ctx::Hmac, [=] { return hs(H, R"({"sub":"a","sub":"admin","exp":1700003600})"); },
         MA_TOKEN_MALFORMED},
        {"H4_CritExp", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","crit":["exp"]})"); }, MA_TOKEN_MALFORMED},
        {"H4_CritEmpty", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","crit":[]})"); }, MA_TOKEN_MALFORMED},
        {"H4_B64False", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","b64":false})"); }, MA_TOKEN_MALFORMED},
        {"H4_B64FalseWithCrit", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","b64":false,"crit":["b64"]})"); },
         MA_TOKEN_MALFORMED},
        {"H5_EmbeddedOctJwk", Ctx::Hmac,
         [=] {
             return hs_keyed(kEvil, Json{{"alg", "HS256"}, {"jwk", {{"kty", "oct"}, {"k", b64u(kEvil)}}}}.dump());
         },
         MA_BAD_SIGNATURE},
        {"H5_EmbeddedRsaJwkRealKid", Ctx::Jwks,
         [=] { return rs_token(Json{{"alg", "RS256"}, {"kid", "rsa"}, {"jwk", public_jwk(attacker())}}.dump(), attacker()); },
         MA_BAD_SIGNATURE},
        {"H5_EmbeddedRsaJwkNoKid", Ctx::Jwks,
         [=] { return rs_token(Json{{"alg", "RS256"}, {"jwk", public_jwk(attacker())}}.dump(), attacker()); },
         MA_BAD_SIGNATURE},
        {"H5_JkuWithAttackerKid", Ctx::Jwks,
         [=] { return rs_token(R"({"alg":"RS256","kid":"evil","jku":"http://127.0.0.1/k"})", attacker()); },
         MA_UNKNOWN_KEY},
        {"H5_X5cNoKidPemSet", Ctx::Pem,
         [=] { return rs_token(R"({"alg":"RS256","x5c":["MIIB"],"x5u":"http://127.0.0.1/c"})", attacker()); },
         MA_BAD_SIGNATURE},
        {"H6_KidPath", Ctx::Jwks, [=] { return rs_token(R"({"alg":"RS256","kid":"../../dev/null"})", attacker()); },
         MA_UNKNOWN_KEY},
        {"H6_KidSql", Ctx::Jwks, [=] { return rs_token(R"({"alg":"RS256","kid":"' OR 1=1--"})", attacker()); },
         MA_UNKNOWN_KEY},
        {"H6_KidNul", Ctx::Jwks, [=] { return rs_token(R"({"alg":"RS256","kid":"\u0000"})", attacker()); },
         MA_UNKNOWN_KEY},
        {"H6_Kid10KB", Ctx::Jwks,
         [=] { return rs_token(Json{{"alg", "RS256"}, {"kid", std::string(10240, 'k')}}.dump(), attacker()); },
         MA_TOKEN_MALFORMED},
        {"H6_KidNumber", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","kid":123})"); }, MA_TOKEN_MALFORMED},
        {"H7_Enc", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","enc":"A256GCM"})"); }, MA_TOKEN_MALFORMED},
        {"H7_Zip", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","zip":"DEF"})"); }, MA_TOKEN_MALFORMED},
        {"H7_P2c", Ctx::Hmac, [] { return hs(R"({"alg":"HS256","p2c":1000})"); }, MA_TOKEN_MALFORMED},

        // ---- key confusion
        {"K1_HS256KeyedWithRsaPem", Ctx::Jwks, [=] { return hs_keyed(public_pem(rsa()), R"({"alg":"HS256","kid":"rsa"})"); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K1_HS256KeyedWithRsaDer", Ctx::Jwks, [=] { return hs_keyed(public_der(rsa()), R"({"alg":"HS256"})"); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K1_HS256KeyedWithRsaJwk", Ctx::Jwks,
         [=] { return hs_keyed(kid_jwk(rsa(), "rsa").dump(), R"({"alg":"HS256","kid":"rsa"})"); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K1_HS256KeyedWithRawN", Ctx::Jwks,
         [=] { return hs_keyed(unb64u(public_jwk(rsa())["n"].get<std::string>()), R"({"alg":"HS256"})"); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K1_HS256KeyedWithThePemOfAPemSet", Ctx::Pem, [=] { return hs_keyed(public_pem(rsa()), R"({"alg":"HS256"})"); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K2_HS256KeyedWithTheEcPoint", Ctx::Jwks,
         [=] {
             const Json jwk = public_jwk(p256());
             const std::string point = std::string(1, '\x04') + unb64u(jwk["x"].get<std::string>()) +
                                       unb64u(jwk["y"].get<std::string>());
             return hs_keyed(point, R"({"alg":"HS256","kid":"ec256"})");
         },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K3_RS256NamingAnEcKey", Ctx::Jwks, [=] { return rs_token(R"({"alg":"RS256","kid":"ec256"})", rsa()); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K3_ES256NamingAnRsaKey", Ctx::Jwks,
         [=] { return jws(R"({"alg":"ES256","kid":"rsa"})", kPayload, Algorithm::ES256, p256()); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K3_ES256NamingAP384Key", Ctx::Jwks,
         [=] { return jws(R"({"alg":"ES256","kid":"ec384"})", kPayload, Algorithm::ES256, p256()); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K3_EdDSANamingAnRsaKey", Ctx::Jwks,
         [=] { return jws(R"({"alg":"EdDSA","kid":"rsa"})", kPayload, Algorithm::EdDSA, ed()); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K4_PS256WithAnRS256Key", Ctx::Jwks,
         [=] { return jws(R"({"alg":"PS256","kid":"rsa-rs"})", kPayload, Algorithm::PS256, rsa_rs()); },
         MA_ALGORITHM_NOT_ALLOWED},
        {"K5_UseEncKey", Ctx::Jwks,
         [=] { return jws(R"({"alg":"ES256","kid":"enc"})", kPayload, Algorithm::ES256, enc_key()); }, MA_UNKNOWN_KEY},
        {"K8_NoKidPasses", Ctx::Jwks, [=] { return jws(R"({"alg":"ES384"})", kPayload, Algorithm::ES384, p384()); },
         MA_OK},
        {"K8_Ed25519NamePasses", Ctx::Jwks,
         [=] { return jws_with(R"({"alg":"Ed25519","kid":"ed"})", [](const std::string &in) {
                   return evp_sign(ed(), Algorithm::EdDSA, in);
               }); },
         MA_OK},

        // ---- signatures
        {"S2_ES256ZeroPair", Ctx::Jwks, [=] { return es256(es_hdr, [](const std::string &) { return std::string(64, '\0'); }); },
         MA_BAD_SIGNATURE},
        {"S2_ES256OrderPair", Ctx::Jwks,
         [=] { return es256(es_hdr, [](const std::string &) { return order_bytes(kP256Order, 32) + order_bytes(kP256Order, 32); }); },
         MA_BAD_SIGNATURE},
        {"S2_ES256DerOfZeroPair", Ctx::Jwks, [=] { return es256(es_hdr, [](const std::string &) { return unb64u("MAYCAQACAQA"); }); },
         MA_BAD_SIGNATURE},
        {"S2_ES256DerInsteadOfRS", Ctx::Jwks,
         [=] { return es256(es_hdr, [](const std::string &in) { return evp_sign(p256(), Algorithm::ES256, in); }); },
         MA_BAD_SIGNATURE},
        {"S2_ES256PaddedHalves", Ctx::Jwks,
         [=] {
             return es256(es_hdr, [](const std::string &in) {
                 const std::string rs = der_to_jws(evp_sign(p256(), Algorithm::ES256, in), 32);
                 return std::string(1, '\0') + rs.substr(0, 32) + std::string(1, '\0') + rs.substr(32);
             });
         },
         MA_BAD_SIGNATURE},
        {"S3_ES256HighSPasses", Ctx::Jwks,
         [=] {
             return es256(es_hdr, [](const std::string &in) {
                 const std::string rs = der_to_jws(evp_sign(p256(), Algorithm::ES256, in), 32);
                 BIGNUM *n = nullptr;
                 BN_hex2bn(&n, kP256Order);
                 BnPtr sv(BN_bin2bn(reinterpret_cast<const unsigned char *>(rs.data()) + 32, 32, nullptr));
                 BnPtr high(BN_new());
                 BN_sub(high.get(), n, sv.get());
                 BN_free(n);
                 std::string out = rs.substr(0, 32) + std::string(32, '\0');
                 BN_bn2binpad(high.get(), reinterpret_cast<unsigned char *>(out.data()) + 32, 32);
                 return out;
             });
         },
         MA_OK},
        {"S4_PS256Salt0", Ctx::Jwks,
         [=] { return jws_with(R"({"alg":"PS256","kid":"rsa"})", [](const std::string &in) { return evp_sign(rsa(), Algorithm::PS256, in, 0); }); },
         MA_BAD_SIGNATURE},
        {"S4_PS256Salt20", Ctx::Jwks,
         [=] { return jws_with(R"({"alg":"PS256","kid":"rsa"})", [](const std::string &in) { return evp_sign(rsa(), Algorithm::PS256, in, 20); }); },
         MA_BAD_SIGNATURE},
        {"S4_PS256Salt64", Ctx::Jwks,
         [=] { return jws_with(R"({"alg":"PS256","kid":"rsa"})", [](const std::string &in) { return evp_sign(rsa(), Algorithm::PS256, in, 64); }); },
         MA_BAD_SIGNATURE},
        {"S4_PS256Salt32Passes", Ctx::Jwks,
         [=] { return jws_with(R"({"alg":"PS256","kid":"rsa"})", [](const std::string &in) { return evp_sign(rsa(), Algorithm::PS256, in, 32); }); },
         MA_OK},
        {"S4_RS256LeadingZeroByte", Ctx::Jwks,
         [=] { return jws_with(rs_rsa, [](const std::string &in) { return std::string(1, '\0') + evp_sign(rsa(), Algorithm::RS256, in); }); },
         MA_BAD_SIGNATURE},
        {"S5_HS256TagCutTo16Bytes", Ctx::Hmac, [=] { return replace_signature(good, signature_of(good).substr(0, 16)); },
         MA_BAD_SIGNATURE},
        {"S6_HeaderHS384MacHS256", Ctx::HmacAll,
         [] {
             const std::string input = b64u(R"({"alg":"HS384"})") + "." + b64u(kPayload);
             return input + "." + b64u(mastra_auth::hmac_sign(Algorithm::HS256, kSecret64, input));
         },
         MA_BAD_SIGNATURE},

        // ---- claims
        {"C1_ExpPast", Ctx::Hmac, [=] { return hs(H, R"({"sub":"a","exp":1699999999})"); }, MA_TOKEN_EXPIRED},
        {"C2_NbfFuture", Ctx::Hmac, [=] { return hs(H, payload_with(R"("nbf":1700000120)")); }, MA_TOKEN_NOT_YET_VALID},
        {"C3_ExpNumericString", Ctx::Hmac, [=] { return hs(H, payload_without_exp(R"("exp":"9999999999")")); },
         MA_TOKEN_MALFORMED},
        {"C3_ExpDateString", Ctx::Hmac, [=] { return hs(H, payload_without_exp(R"("exp":"2030-01-01")")); },
         MA_TOKEN_MALFORMED},
        {"C3_ExpTrue", Ctx::Hmac, [=] { return hs(H, payload_without_exp(R"("exp":true)")); }, MA_TOKEN_MALFORMED},
        {"C3_ExpHuge", Ctx::Hmac, [=] { return hs(H, payload_without_exp(R"("exp":1e300)")); }, MA_TOKEN_MALFORMED},
        {"C3_ExpNegative", Ctx::Hmac, [=] { return hs(H, payload_without_exp(R"("exp":-1)")); }, MA_TOKEN_MALFORMED},
        {"C3_NbfString", Ctx::Hmac, [=] { return hs(H, payload_with(R"("nbf":"0")")); }, MA_TOKEN_MALFORMED},
        {"C3_NbfFalse", Ctx::Hmac, [=] { return hs(H, payload_with(R"("nbf":false)")); }, MA_TOKEN_MALFORMED},
        {"C3_IatTrue", Ctx::Hmac, [=] { return hs(H, payload_with(R"("iat":true)")); }, MA_TOKEN_MALFORMED},
        {"C3_IatHuge", Ctx::Hmac, [=] { return hs(H, payload_with(R"("iat":99999999999999999999)")); },
         MA_TOKEN_MALFORMED},
        {"C5_IssWithoutTrailingSlash", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example","aud":"api://mastra")")); },
         MA_ISSUER_MISMATCH},
        {"C5_IssExtraSlash", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example//","aud":"api://mastra")")); },
         MA_ISSUER_MISMATCH},
        {"C5_IssConfiguredIsAPrefix", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/x","aud":"api://mastra")")); },
         MA_ISSUER_MISMATCH},
        {"C5_IssPrefixOfConfigured", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.exampl","aud":"api://mastra")")); },
         MA_ISSUER_MISMATCH},
        {"C5_IssArray", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":["https://issuer.example/"],"aud":"api://mastra")")); },
         MA_TOKEN_MALFORMED},
        {"C5_IssExactPasses", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/","aud":"api://mastra")")); }, MA_OK},
        {"C7_AudEmptyArray", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/","aud":[])")); }, MA_AUDIENCE_MISMATCH},
        {"C7_AudNumbers", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/","aud":[123])")); }, MA_TOKEN_MALFORMED},
        {"C7_AudNumber", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/","aud":123)")); }, MA_TOKEN_MALFORMED},
        {"C7_AudOtherCase", Ctx::HmacClaims,
         [=] { return hs(H, payload_with(R"("iss":"https://issuer.example/","aud":"API://mastra")")); },
         MA_AUDIENCE_MISMATCH},
    };
}

class Token : public ::testing::TestWithParam<TokenRow> {
protected:
    static void SetUpTestSuite() {
        jwks_ = new KeySetHandle;
        parse_jwks({kid_jwk(rsa(), "rsa"), kid_jwk(rsa_rs(), "rsa-rs", {{"alg", "RS256"}}), kid_jwk(p256(), "ec256"),
                    kid_jwk(p384(), "ec384"), kid_jwk(ed(), "ed", {{"alg", "EdDSA"}}),
                    kid_jwk(enc_key(), "enc", {{"use", "enc"}})},
                   /*remote=*/true, *jwks_);
        pem_ = new KeySetHandle;
        parse_pem(rsa(), *pem_);
    }
    static void TearDownTestSuite() {
        delete jwks_;
        delete pem_;
    }
    static KeySetHandle *jwks_;
    static KeySetHandle *pem_;
};

KeySetHandle *Token::jwks_ = nullptr;
KeySetHandle *Token::pem_ = nullptr;

}  // namespace

TEST_P(Token, HasItsExpectedOutcome) {
    const TokenRow &row = GetParam();
    const std::string token = row.token();
    ma_status_t got = MA_INTERNAL_ERROR;
    switch (row.ctx) {
    case Ctx::Hmac:
        got = HmacVerifier(kSecret64, MA_ALG_HS256).verify(token);
        break;
    case Ctx::HmacAll:
        got = HmacVerifier(kSecret64, MA_ALG_HMAC).verify(token);
        break;
    case Ctx::HmacClaims:
        got = HmacVerifier(kSecret64, MA_ALG_HS256, {"https://issuer.example/"}, {"api://mastra"}).verify(token);
        break;
    case Ctx::Jwks:
        got = JwsVerifier(all_algorithm_bits()).verify(token, {jwks_->set});
        break;
    case Ctx::Pem:
        got = JwsVerifier(all_algorithm_bits()).verify(token, {pem_->set});
        break;
    }
    EXPECT_EQ(status_name(got), status_name(row.expect)) << row.name;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Token, ::testing::ValuesIn(token_rows()),
                         [](const ::testing::TestParamInfo<TokenRow> &info) { return std::string(info.param.name); });

// ===========================================================================
// paths (P rows): ma_path_check on the raw and the nginx-normalised path

namespace {

struct PathRow {
    const char *name;
    std::string raw;       // as sent (r->unparsed_uri without the query)
    std::string decoded;   // nginx's $uri
    int flags;
    ma_status_t expect;
};

std::vector<PathRow> path_rows() {
    return {
        {"P1_PublicPath", "/api/health", "/api/health", 0, MA_OK},
        {"P2_DotSegmentsResolved", "/api/x/../health", "/api/health", 0, MA_OK},
        {"P3_EncodedDots", "/api/public/%2e%2e/agents", "/api/agents", 0, MA_OK},
        {"P3_EncodedSlash", "/api/health%2F..%2Fagents", "/api/health/../agents", 0, MA_BAD_PATH},
        {"P3_EncodedSlashLowerCase", "/api/public/a%2fb", "/api/public/a/b", 0, MA_BAD_PATH},
        {"P3_EncodedSlashAllowed", "/api/public/a%2Fb", "/api/public/a/b", MA_PATH_ALLOW_ENCODED_SLASHES, MA_OK},
        {"P4_Backslash", "/api/public/..\\agents", "/api/public/..\\agents", 0, MA_BAD_PATH},
        {"P4_EncodedBackslash", "/api/public/..%5Cagents", "/api/public/..\\agents", 0, MA_BAD_PATH},
        {"P4_EncodedBackslashWithSlashesAllowed", "/api/%5C", "/api/\\", MA_PATH_ALLOW_ENCODED_SLASHES, MA_BAD_PATH},
        {"P4_EmptySegmentThenDotDot", "/api/agents//../public/x", "/api/agents/public/x", 0, MA_BAD_PATH},
        {"P4_EmptySegmentThenDotDotSlashesKept", "/api/agents//../public/x", "/api/agents/public/x",
         MA_PATH_SLASHES_KEPT, MA_OK},
        {"P1_Semicolon", "/api/health;x", "/api/health;x", 0, MA_OK},
        {"P9_Nul", "/api/health%00", std::string("/api/health\0", 12), 0, MA_BAD_PATH},
    };
}

class Path : public ::testing::TestWithParam<PathRow> {};

}  // namespace

TEST_P(Path, HasItsExpectedOutcome) {
    const PathRow &row = GetParam();
    EXPECT_EQ(status_name(ma_path_check(S(row.raw), S(row.decoded), row.flags)), status_name(row.expect));
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Path, ::testing::ValuesIn(path_rows()),
                         [](const ::testing::TestParamInfo<PathRow> &info) { return std::string(info.param.name); });

// ===========================================================================
// transport (X rows): the Authorization header value

namespace {

struct BearerRow {
    const char *name;
    std::string header;
    int found;
    std::string token;
};

std::vector<BearerRow> bearer_rows() {
    return {
        {"X2_Bearer", "Bearer abc.def.ghi", 1, "abc.def.ghi"},
        {"X2_LowerCaseTwoSpaces", "bearer  abc.def.ghi", 1, "abc.def.ghi"},
        {"X2_UpperCaseSixSpaces", "BEARER      abc.def.ghi", 1, "abc.def.ghi"},
        {"X3_Tab", "Bearer\tabc.def.ghi", 0, ""},
        {"X3_NoSpace", "Bearerabc.def.ghi", 0, ""},
        {"X3_Basic", "Basic dXNlcjpwYXNz", 0, ""},
        {"X3_BareToken", "abc.def.ghi", 0, ""},
        {"T1_SchemeAlone", "Bearer", 0, ""},
        {"X3_SpaceInsideTheToken", "Bearer abc.def.ghi x", 1, "abc.def.ghi x"},
    };
}

class Bearer : public ::testing::TestWithParam<BearerRow> {};

}  // namespace

TEST_P(Bearer, IsReadAsDocumented) {
    const BearerRow &row = GetParam();
    ma_str_t token{nullptr, 0};
    EXPECT_EQ(ma_bearer_token(S(row.header), &token), row.found);
    if (row.found) {
        EXPECT_EQ(std::string(token.data, token.len), row.token);
    }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Bearer, ::testing::ValuesIn(bearer_rows()),
                         [](const ::testing::TestParamInfo<BearerRow> &info) { return std::string(info.param.name); });

// ===========================================================================
// cookies (CK rows): the cookie lookup and Better Auth's signed token

namespace {

struct CookieRow {
    const char *name;
    std::string header;
    std::string cookie;
    int count;           // 0 absent, 1 found, 2 more than one (refused)
    std::string value;
};

std::string filler() {
    std::string out;
    for (int i = 0; i < 220; i++) out += "c" + std::to_string(i) + "=" + std::string(30, 'v') + "; ";
    return out;
}

std::vector<CookieRow> cookie_rows() {
    return {
        {"CK4_NameTwice", "session=a.b.c; session=d.e.f", "session", 2, "a.b.c"},
        {"CK4_NameTwiceSameValue", "session=a.b.c; x=1; session=a.b.c", "session", 2, "a.b.c"},
        {"CK6_NameInAnotherCase", "Session=a.b.c", "session", 0, ""},
        {"CK6_EightKilobytesThenTheSession", filler() + "session=a.b.c", "session", 1, "a.b.c"},
        {"CK6_EmptyValueIsAbsent", "session=", "session", 0, ""},
        {"CK5_SecurePrefixIsAnotherName", "__Secure-better-auth.session_token=a", "better-auth.session_token", 0, ""},
        {"CK5_PlainNameBesideTheSecureOne", "__Secure-better-auth.session_token=a; better-auth.session_token=b",
         "better-auth.session_token", 1, "b"},
    };
}

class Cookie : public ::testing::TestWithParam<CookieRow> {};

}  // namespace

TEST_P(Cookie, IsReadAsDocumented) {
    const CookieRow &row = GetParam();
    ma_str_t raw{nullptr, 0};
    EXPECT_EQ(ma_cookie_value(S(row.header), S(row.cookie), &raw), row.count);
    if (row.count) {
        EXPECT_EQ(std::string(raw.data, raw.len), row.value);
    }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Cookie, ::testing::ValuesIn(cookie_rows()),
                         [](const ::testing::TestParamInfo<CookieRow> &info) { return std::string(info.param.name); });

// CK1/CK2: Better Auth's TOKEN.SIG, SIG = base64 (with padding) HMAC-SHA256.
TEST(Catalogue, CK1_BetterAuthSignedTokenBadSignatureAndShapes) {
    const std::string secret = kSecret32;
    const std::string raw = "sessiontoken0123456789abcdef";
    const std::string mac = mastra_auth::hmac_sign(Algorithm::HS256, secret, raw);
    ASSERT_EQ(mac.size(), 32u);
    std::string sig(45, '\0');   // 44 characters and EVP_EncodeBlock's NUL
    ASSERT_EQ(EVP_EncodeBlock(reinterpret_cast<unsigned char *>(sig.data()),
                              reinterpret_cast<const unsigned char *>(mac.data()), 32), 44);
    sig.resize(44);
    const std::string good = raw + "." + sig;

    ma_str_t token{nullptr, 0};
    ASSERT_EQ(ma_ba_signed_token(S(good), S(secret), &token), 1);
    EXPECT_EQ(std::string(token.data, token.len), raw);

    std::string flipped = good;
    flipped[raw.size() + 5] = flipped[raw.size() + 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(ma_ba_signed_token(S(flipped), S(secret), &token), 0) << "CK1 bad signature";
    EXPECT_EQ(ma_ba_signed_token(S(good), S(kSecret64), &token), 0) << "CK1 another secret";
    EXPECT_EQ(ma_ba_signed_token(S(good.substr(0, good.size() - 1)), S(secret), &token), 0) << "CK2 43 characters";
    EXPECT_EQ(ma_ba_signed_token(S(raw), S(secret), &token), 0) << "CK2 no dot";
    EXPECT_EQ(ma_ba_signed_token(S(raw + "."), S(secret), &token), 0) << "CK2 empty SIG";
    EXPECT_EQ(ma_ba_signed_token(S("." + sig), S(secret), &token), 0) << "CK2 empty TOKEN";
    std::string encoded = good;
    for (std::size_t at = encoded.find('='); at != std::string::npos; at = encoded.find('=', at))
        encoded.replace(at, 1, "%3D");
    EXPECT_EQ(ma_ba_signed_token(S(encoded), S(secret), &token), 0) << "CK2 still percent-encoded";
}
