// The C seam (include/mastra_auth/api.h), used exactly as the nginx shim uses
// it: C types only, handles created and freed through the API.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jwt_seam.h"
#include "mastra_auth/api.h"
#include "token_helpers.h"

using mastra_auth::test::JwtOptions;
using mastra_auth::test::JwtVerifier;
using mastra_auth::test::jwt_cache_key;
using mastra_auth::test::jwt_verifier_create;
using mastra_auth::test::jwt_verifier_free;
using mastra_auth::test::jwt_verify;
using mastra_auth::test::jwt_verify_known;
using mastra_auth::test::kSecret32;
using mastra_auth::test::kSecret64;
using mastra_auth::test::sign_token;

namespace {

constexpr int64_t kNow = 1700000000;

ma_str_t S(const std::string &s) { return ma_str_t{s.data(), s.size()}; }
ma_str_t S(const char *s) { return ma_str_t{s, std::strlen(s)}; }
std::string text(ma_str_t s) { return s.len ? std::string(s.data, s.len) : std::string(); }

// A verifier with the given secret and algorithms; nullptr and the reason on refusal.
struct Created {
    ma_status_t status;
    JwtVerifier *verifier;
    std::string error;
};

Created create(const std::string &secret, unsigned algorithms,
               const std::vector<std::string> &issuers = {},
               const std::vector<std::string> &audiences = {}, int64_t leeway = 0) {
    std::vector<ma_str_t> iss, aud;
    for (const auto &s : issuers) iss.push_back(S(s));
    for (const auto &s : audiences) aud.push_back(S(s));
    JwtOptions options{};
    options.secret = S(secret);
    options.algorithms = algorithms;
    options.leeway = leeway;
    options.issuers = iss.data();
    options.nissuers = iss.size();
    options.audiences = aud.data();
    options.naudiences = aud.size();
    Created out{MA_INTERNAL_ERROR, reinterpret_cast<JwtVerifier *>(1), {}};
    char err[512] = "untouched";
    out.status = jwt_verifier_create(&options, &out.verifier, err, sizeof(err));
    out.error = err;
    return out;
}

// Owns a verifier and verifies tokens with it.
class Verifier {
public:
    explicit Verifier(const std::string &secret = kSecret32, unsigned algorithms = MA_ALG_HS256) {
        Created c = create(secret, algorithms);
        EXPECT_EQ(c.status, MA_OK) << c.error;
        verifier_ = c.verifier;
    }
    ~Verifier() { jwt_verifier_free(verifier_); }
    JwtVerifier *get() const { return verifier_; }

private:
    JwtVerifier *verifier_ = nullptr;
};

// Owns an identity from jwt_verify.
struct Verified {
    ma_status_t status = MA_INTERNAL_ERROR;
    ma_identity_t *identity = nullptr;
    ~Verified() { ma_identity_free(identity); }
};

void verify(const Verifier &v, const std::string &token, Verified &out, int64_t now = kNow) {
    out.status = jwt_verify(v.get(), S(token), now, &out.identity);
}

const char *kClaimsJson =
    R"({"sub":"user-1","email":"u@example.com","iss":"https://issuer/","exp":1700003600,)"
    R"("n":42,"f":1.5,"neg":-3,"t":true,"fa":false,"nul":null,"s":"plain, text",)"
    R"("roles":["admin","billing"],"empty":[],"mixed":["a",1,null],)"
    R"("obj":{"b":[true],"a":1},"orgId":"org-9","Role":"upper","role":"lower",)"
    R"("perms":["agent:mine"],"user":{"emailVerified":true}})";

}  // namespace

TEST(Api, StatusCodesMatchTheSpec) {
    // docs/variables.md ($mastra_auth_error), plus the three the core adds.
    const std::pair<ma_status_t, const char *> codes[] = {
        {MA_OK, "ok"},
        {MA_TOKEN_MISSING, "token_missing"},
        {MA_TOKEN_MALFORMED, "token_malformed"},
        {MA_BAD_SIGNATURE, "bad_signature"},
        {MA_TOKEN_EXPIRED, "token_expired"},
        {MA_TOKEN_NOT_YET_VALID, "token_not_yet_valid"},
        {MA_ISSUER_MISMATCH, "issuer_mismatch"},
        {MA_AUDIENCE_MISMATCH, "audience_mismatch"},
        {MA_UNKNOWN_KEY, "unknown_key"},
        {MA_ALGORITHM_NOT_ALLOWED, "algorithm_not_allowed"},
        {MA_CLAIM_FAILED, "claim_failed"},
        {MA_RULE_DENIED, "rule_denied"},
        {MA_KEYS_UNAVAILABLE, "keys_unavailable"},
        {MA_SESSION_INVALID, "session_invalid"},
        {MA_BAD_PATH, "bad_path"},
        {MA_BETTER_AUTH_UNAVAILABLE, "better_auth_unavailable"},
        {MA_CONFIG_INVALID, "config_invalid"},
        {MA_INTERNAL_ERROR, "internal_error"},
        {MA_SCOPE_MISSING, "scope_missing"},
    };
    int expected_value = 0;
    for (const auto &[status, code] : codes) {
        EXPECT_EQ(static_cast<int>(status), expected_value++) << code;   // every value listed
        ASSERT_NE(ma_status_code(status), nullptr);
        EXPECT_STREQ(ma_status_code(status), code);
    }
    // Never NULL, even for a value outside the enum.
    ASSERT_NE(ma_status_code(static_cast<ma_status_t>(999)), nullptr);
    EXPECT_STREQ(ma_status_code(static_cast<ma_status_t>(999)), "internal_error");
}

TEST(Api, AlgorithmBits) {
    EXPECT_EQ(ma_algorithm_bit(S("HS256")), unsigned(MA_ALG_HS256));
    EXPECT_EQ(ma_algorithm_bit(S("HS384")), unsigned(MA_ALG_HS384));
    EXPECT_EQ(ma_algorithm_bit(S("HS512")), unsigned(MA_ALG_HS512));
    EXPECT_EQ(ma_algorithm_bit(S("RS256")), unsigned(MA_ALG_RS256));
    EXPECT_EQ(ma_algorithm_bit(S("PS512")), unsigned(MA_ALG_PS512));
    EXPECT_EQ(ma_algorithm_bit(S("ES384")), unsigned(MA_ALG_ES384));
    EXPECT_EQ(ma_algorithm_bit(S("EdDSA")), unsigned(MA_ALG_EDDSA));
    EXPECT_EQ(ma_algorithm_bit(S("Ed25519")), unsigned(MA_ALG_EDDSA));
    EXPECT_EQ(unsigned(MA_ALG_HMAC), unsigned(MA_ALG_HS256 | MA_ALG_HS384 | MA_ALG_HS512));
    for (const char *name : {"hs256", "none", "None", "NONE", "nOnE", "HS256 ", "ES256K", "Ed448", ""})
        EXPECT_EQ(ma_algorithm_bit(S(name)), 0u) << name;
    EXPECT_EQ(ma_algorithm_bit(ma_str_t{nullptr, 0}), 0u);
}

TEST(Api, MinimalSecretLength) {
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS256), 32u);
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS384), 48u);
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS512), 64u);
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS256 | MA_ALG_HS384), 48u);
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS256 | MA_ALG_HS512), 64u);
    EXPECT_EQ(ma_hmac_min_secret_len(MA_ALG_HS256 | MA_ALG_HS384 | MA_ALG_HS512), 64u);
}

TEST(Api, ShortSecretsAreRefused) {
    // RFC 7518 section 3.2; catalogue K7.
    Created c = create(std::string(31, 's'), MA_ALG_HS256);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);
    EXPECT_EQ(c.verifier, nullptr);
    EXPECT_NE(c.error.find("31"), std::string::npos) << c.error;
    EXPECT_NE(c.error.find("32"), std::string::npos) << c.error;

    c = create(std::string(32, 's'), MA_ALG_HS256);
    EXPECT_EQ(c.status, MA_OK) << c.error;
    jwt_verifier_free(c.verifier);

    c = create(std::string(63, 's'), MA_ALG_HS256 | MA_ALG_HS512);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);
    EXPECT_EQ(c.verifier, nullptr);
    c = create(std::string(63, 's'), MA_ALG_HS512);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);
    c = create(std::string(47, 's'), MA_ALG_HS384);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);
    c = create("", MA_ALG_HS256);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);

    c = create(std::string(64, 's'), MA_ALG_HS256 | MA_ALG_HS512);
    EXPECT_EQ(c.status, MA_OK) << c.error;
    jwt_verifier_free(c.verifier);
}

TEST(Api, NoAlgorithmIsRefused) {
    Created c = create(kSecret64, 0);
    EXPECT_EQ(c.status, MA_CONFIG_INVALID);
    EXPECT_EQ(c.verifier, nullptr);
    EXPECT_FALSE(c.error.empty());
}

TEST(Api, SharedSecretVerifierRefusesAsymmetricAlgorithms) {
    // A secret is an oct key: never RS/PS/ES/EdDSA (key confusion, catalogue K1).
    for (unsigned alg : {unsigned(MA_ALG_RS256), unsigned(MA_ALG_ES256), unsigned(MA_ALG_EDDSA),
                         unsigned(MA_ALG_HS256 | MA_ALG_RS256)}) {
        Created c = create(kSecret64, alg);
        EXPECT_EQ(c.status, MA_CONFIG_INVALID) << alg;
        EXPECT_EQ(c.verifier, nullptr) << alg;
    }
}

TEST(Api, ErrorBufferIsBoundedAndOptional) {
    JwtOptions options{};
    const std::string secret(10, 's');
    options.secret = S(secret);
    options.algorithms = MA_ALG_HS256;
    JwtVerifier *verifier = nullptr;
    char err[8];
    std::memset(err, 'X', sizeof(err));
    EXPECT_EQ(jwt_verifier_create(&options, &verifier, err, sizeof(err)), MA_CONFIG_INVALID);
    EXPECT_EQ(std::strlen(err), sizeof(err) - 1);   // truncated, NUL-terminated
    EXPECT_EQ(jwt_verifier_create(&options, &verifier, nullptr, 0), MA_CONFIG_INVALID);
    EXPECT_EQ(verifier, nullptr);
}

TEST(Api, SharedSecretKeyTakesAnyKid) {
    // The jwt provider's key set is one kid-less oct key: a token's kid
    // selects nothing and never makes it unknown_key (a fixed supply: no key
    // comes later), as MastraJwtAuth ignores it.
    Verifier v;
    for (const char *header : {R"({"alg":"HS256","kid":"k1"})", R"({"alg":"HS256","kid":""})",
                               R"({"alg":"HS256"})"}) {
        Verified ok;
        verify(v, sign_token(header, R"({"sub":"u"})", kSecret32), ok);
        EXPECT_EQ(ok.status, MA_OK) << header;
        Verified bad;
        verify(v, sign_token(header, R"({"sub":"u"})", std::string(32, 'x')), bad);
        EXPECT_EQ(bad.status, MA_BAD_SIGNATURE) << header;
    }
}

TEST(Api, SecretIsCopied) {
    std::string secret = kSecret32;
    Created c = create(secret, MA_ALG_HS256);
    ASSERT_EQ(c.status, MA_OK);
    const std::string token = sign_token(R"({"alg":"HS256"})", R"({"sub":"u"})", kSecret32);
    secret.assign(secret.size(), 'z');   // the caller's buffer changes
    ma_identity_t *identity = nullptr;
    EXPECT_EQ(jwt_verify(c.verifier, S(token), kNow, &identity), MA_OK);
    ma_identity_free(identity);
    jwt_verifier_free(c.verifier);
}

TEST(Api, VerifyAndIdentityAccessors) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256","kid":"key-1"})", kClaimsJson, kSecret32), out);
    ASSERT_EQ(out.status, MA_OK);
    ASSERT_NE(out.identity, nullptr);
    EXPECT_EQ(text(ma_identity_alg(out.identity)), "HS256");
    EXPECT_EQ(text(ma_identity_kid(out.identity)), "key-1");
    EXPECT_EQ(text(ma_identity_iss(out.identity)), "https://issuer/");
    EXPECT_EQ(text(ma_identity_user(out.identity)), "user-1");
    EXPECT_EQ(text(ma_identity_email(out.identity)), "u@example.com");
    const std::string payload = text(ma_identity_payload(out.identity));
    EXPECT_EQ(nlohmann::json::parse(payload), nlohmann::json::parse(kClaimsJson));
    // Compact: no whitespace between tokens.
    EXPECT_EQ(payload.find('\n'), std::string::npos);
    EXPECT_EQ(payload.find("\": "), std::string::npos);
    EXPECT_EQ(payload.find(", \""), std::string::npos);
    EXPECT_EQ(payload.front(), '{');
}

TEST(Api, FailuresKeepHeaderFieldsAndNothingElse) {
    Verifier v;
    Verified out;
    // Bad signature: alg and kid for the log line, no user, no payload.
    verify(v, sign_token(R"({"alg":"HS256","kid":"k"})", kClaimsJson, kSecret64), out);
    EXPECT_EQ(out.status, MA_BAD_SIGNATURE);
    ASSERT_NE(out.identity, nullptr);
    EXPECT_EQ(text(ma_identity_alg(out.identity)), "HS256");
    EXPECT_EQ(text(ma_identity_kid(out.identity)), "k");
    EXPECT_EQ(text(ma_identity_user(out.identity)), "");
    EXPECT_EQ(text(ma_identity_email(out.identity)), "");
    EXPECT_EQ(text(ma_identity_payload(out.identity)), "");
    EXPECT_EQ(text(ma_identity_claim_text(out.identity, S("sub"))), "");
}

TEST(Api, VerifyStatuses) {
    Verifier v;
    struct Case {
        std::string token;
        ma_status_t expected;
    } cases[] = {
        {"", MA_TOKEN_MALFORMED},
        {"a.b", MA_TOKEN_MALFORMED},
        {sign_token(R"({"alg":"none"})", R"({"sub":"u"})", kSecret32), MA_ALGORITHM_NOT_ALLOWED},
        {sign_token(R"({"alg":"HS256"})", R"({"exp":1699999999})", kSecret32), MA_TOKEN_EXPIRED},
        {sign_token(R"({"alg":"HS256"})", R"({"nbf":1700000001})", kSecret32),
         MA_TOKEN_NOT_YET_VALID},
        {sign_token(R"({"alg":"HS256"})", R"({"sub":"u"})", kSecret32), MA_OK},
    };
    for (const auto &c : cases) {
        Verified out;
        verify(v, c.token, out);
        EXPECT_EQ(out.status, c.expected) << c.token;
        EXPECT_NE(out.identity, nullptr) << c.token;   // always set, freed by the caller
    }
}

TEST(Api, IssuerAndAudienceOptions) {
    Created c = create(kSecret32, MA_ALG_HS256, {"https://a/", "https://b/"}, {"api"}, 60);
    ASSERT_EQ(c.status, MA_OK) << c.error;
    auto status = [&](const std::string &payload) {
        ma_identity_t *identity = nullptr;
        ma_status_t s = jwt_verify(c.verifier, S(sign_token(R"({"alg":"HS256"})", payload, kSecret32)),
                                  kNow, &identity);
        ma_identity_free(identity);
        return s;
    };
    EXPECT_EQ(status(R"({"iss":"https://b/","aud":["x","api"],"exp":1699999970})"), MA_OK);
    EXPECT_EQ(status(R"({"iss":"https://b","aud":"api"})"), MA_ISSUER_MISMATCH);
    EXPECT_EQ(status(R"({"iss":"https://a/","aud":[]})"), MA_AUDIENCE_MISMATCH);
    EXPECT_EQ(status(R"({"iss":"https://a/","aud":"api","exp":1699999940})"), MA_TOKEN_EXPIRED);
    jwt_verifier_free(c.verifier);
}

TEST(Api, ClaimTextRendering) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})", kClaimsJson, kSecret32), out);
    ASSERT_EQ(out.status, MA_OK);
    auto claim = [&](const char *name) { return text(ma_identity_claim_text(out.identity, S(name))); };
    // Strings as they are.
    EXPECT_EQ(claim("sub"), "user-1");
    EXPECT_EQ(claim("s"), "plain, text");
    // Numbers and booleans as JSON text.
    EXPECT_EQ(claim("n"), "42");
    EXPECT_EQ(claim("f"), "1.5");
    EXPECT_EQ(claim("neg"), "-3");
    EXPECT_EQ(claim("exp"), "1700003600");
    EXPECT_EQ(claim("t"), "true");
    EXPECT_EQ(claim("fa"), "false");
    EXPECT_EQ(claim("nul"), "null");
    // Arrays of strings joined with ","; other values compact JSON.
    EXPECT_EQ(claim("roles"), "admin,billing");
    EXPECT_EQ(claim("empty"), "");
    EXPECT_EQ(claim("mixed"), R"(["a",1,null])");
    EXPECT_EQ(claim("obj"), R"({"a":1,"b":[true]})");
    EXPECT_EQ(claim("user"), R"({"emailVerified":true})");
    // Absent: empty.
    EXPECT_EQ(claim("absent"), "");
    EXPECT_EQ(claim(""), "");
    EXPECT_EQ(ma_identity_claim_text(out.identity, S("absent")).len, 0u);
}

TEST(Api, ClaimLookupFallsBackToAsciiCase) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})", kClaimsJson, kSecret32), out);
    ASSERT_EQ(out.status, MA_OK);
    auto claim = [&](const char *name) { return text(ma_identity_claim_text(out.identity, S(name))); };
    // nginx lower-cases variable names: $mastra_auth_claim_orgid finds "orgId".
    EXPECT_EQ(claim("orgid"), "org-9");
    EXPECT_EQ(claim("ORGID"), "org-9");
    EXPECT_EQ(claim("orgId"), "org-9");
    // An exact match wins over a case-insensitive one.
    EXPECT_EQ(claim("role"), "lower");
    EXPECT_EQ(claim("Role"), "upper");
    EXPECT_EQ(claim("orgi"), "");
    EXPECT_EQ(claim("orgidx"), "");
}

TEST(Api, ClaimTextViewsStayValid) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})", kClaimsJson, kSecret32), out);
    ASSERT_EQ(out.status, MA_OK);
    const ma_str_t roles = ma_identity_claim_text(out.identity, S("roles"));
    const ma_str_t obj = ma_identity_claim_text(out.identity, S("obj"));
    // Many more renderings into the same identity must not move the first ones.
    for (int i = 0; i < 1000; i++) ma_identity_claim_text(out.identity, S("mixed"));
    EXPECT_EQ(text(roles), "admin,billing");
    EXPECT_EQ(text(obj), R"({"a":1,"b":[true]})");
}

TEST(Api, Operators) {
    const std::pair<const char *, ma_op_t> ops[] = {{"=", MA_OP_EQ},         {"!=", MA_OP_NE},
                                                    {"~", MA_OP_MATCH},      {"!~", MA_OP_NOT_MATCH},
                                                    {"has", MA_OP_HAS},      {"!has", MA_OP_NOT_HAS}};
    for (const auto &[name, expected] : ops) {
        ma_op_t op = MA_OP_NOT_HAS;
        ASSERT_EQ(ma_op_parse(S(name), &op), 0) << name;
        EXPECT_EQ(op, expected) << name;
    }
    ma_op_t op;
    EXPECT_EQ(ma_op_parse(S("=="), &op), -1);
    EXPECT_EQ(ma_op_parse(S(""), &op), -1);
}

TEST(Api, Conditions) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})", kClaimsJson, kSecret32), out);
    ASSERT_EQ(out.status, MA_OK);

    auto eval_static = [&](const char *path, ma_op_t op, const char *value) {
        ma_condition_t *condition = nullptr;
        char err[256] = "";
        EXPECT_EQ(ma_condition_create(S(path), op, S(value), &condition, err, sizeof(err)), MA_OK)
            << err;
        int r = ma_condition_eval(condition, out.identity, S("not used"));
        ma_condition_free(condition);
        return r;
    };
    EXPECT_EQ(eval_static("user.emailVerified", MA_OP_EQ, "true"), 1);
    EXPECT_EQ(eval_static("email", MA_OP_MATCH, "@example\\.com$"), 1);
    EXPECT_EQ(eval_static("email", MA_OP_NOT_MATCH, "@example\\.com$"), 0);
    EXPECT_EQ(eval_static("roles", MA_OP_HAS, "admin"), 1);
    EXPECT_EQ(eval_static("roles", MA_OP_NOT_HAS, "admin"), 0);
    EXPECT_EQ(eval_static("missing", MA_OP_EQ, "x"), 0);
    EXPECT_EQ(eval_static("missing", MA_OP_NE, "x"), 1);
    // An empty but non-NULL static value is a static value.
    EXPECT_EQ(eval_static("s", MA_OP_EQ, ""), 0);

    // A value with variables: given per evaluation.
    ma_condition_t *dynamic = nullptr;
    ASSERT_EQ(ma_condition_create(S("perms"), MA_OP_HAS, ma_str_t{nullptr, 0}, &dynamic, nullptr, 0),
              MA_OK);
    EXPECT_EQ(ma_condition_eval(dynamic, out.identity, S("agent:mine")), 1);
    EXPECT_EQ(ma_condition_eval(dynamic, out.identity, S("agent:victim")), 0);
    ma_condition_free(dynamic);

    ma_condition_t *regex = nullptr;
    ASSERT_EQ(ma_condition_create(S("email"), MA_OP_NOT_MATCH, ma_str_t{nullptr, 0}, &regex, nullptr, 0),
              MA_OK);
    EXPECT_EQ(ma_condition_eval(regex, out.identity, S("@evil$")), 1);
    EXPECT_EQ(ma_condition_eval(regex, out.identity, S("(")), 0);   // fails closed
    ma_condition_free(regex);
}

TEST(Api, ConditionRefusals) {
    ma_condition_t *condition = reinterpret_cast<ma_condition_t *>(1);
    char err[256] = "";
    EXPECT_EQ(ma_condition_create(S("email"), MA_OP_MATCH, S("(unclosed"), &condition, err,
                                  sizeof(err)),
              MA_CONFIG_INVALID);
    EXPECT_EQ(condition, nullptr);
    EXPECT_NE(std::string(err).find("(unclosed"), std::string::npos) << err;
    EXPECT_EQ(ma_condition_create(S("a..b"), MA_OP_EQ, S("x"), &condition, err, sizeof(err)),
              MA_CONFIG_INVALID);
    EXPECT_EQ(ma_condition_create(S(""), MA_OP_EQ, S("x"), &condition, err, sizeof(err)),
              MA_CONFIG_INVALID);
}

TEST(Api, ConditionOnAFailedIdentityFailsClosed) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})", kClaimsJson, kSecret64), out);
    ASSERT_EQ(out.status, MA_BAD_SIGNATURE);
    ma_condition_t *condition = nullptr;
    ASSERT_EQ(ma_condition_create(S("sub"), MA_OP_EQ, S("user-1"), &condition, nullptr, 0), MA_OK);
    EXPECT_EQ(ma_condition_eval(condition, out.identity, S("")), 0);
    ma_condition_free(condition);
}

TEST(Api, Patterns) {
    ma_pattern_t *pattern = nullptr;
    char err[256] = "";
    ASSERT_EQ(ma_pattern_compile(S("/api/agents/:agentId/generate"), &pattern, err, sizeof(err)),
              MA_OK)
        << err;
    ma_params_t params;
    std::memset(&params, 0, sizeof(params));
    const std::string path = "/API/agents/mine/generate/";
    ASSERT_EQ(ma_pattern_match(pattern, S(path), &params), 1);
    ASSERT_EQ(params.n, 1u);
    EXPECT_EQ(text(params.name[0]), "agentId");
    EXPECT_EQ(text(params.value[0]), "mine");
    EXPECT_EQ(ma_pattern_match(pattern, S("/api/agents/mine"), &params), 0);
    EXPECT_EQ(ma_pattern_match(pattern, S(path), nullptr), 1);
    ma_pattern_free(pattern);

    pattern = reinterpret_cast<ma_pattern_t *>(1);
    EXPECT_EQ(ma_pattern_compile(S("api/x"), &pattern, err, sizeof(err)), MA_CONFIG_INVALID);
    EXPECT_EQ(pattern, nullptr);
    EXPECT_NE(std::string(err).find("api/x"), std::string::npos) << err;
    EXPECT_EQ(ma_pattern_compile(S("/*x"), &pattern, err, sizeof(err)), MA_CONFIG_INVALID);
}

TEST(Api, PatternWithSixteenParams) {
    std::string text16, path;
    for (int i = 0; i < MA_MAX_PARAMS; i++) {
        text16 += "/:p" + std::to_string(i);
        path += "/v" + std::to_string(i);
    }
    ma_pattern_t *pattern = nullptr;
    ASSERT_EQ(ma_pattern_compile(S(text16), &pattern, nullptr, 0), MA_OK);
    ma_params_t params;
    ASSERT_EQ(ma_pattern_match(pattern, S(path), &params), 1);
    ASSERT_EQ(params.n, size_t(MA_MAX_PARAMS));
    EXPECT_EQ(text(params.name[15]), "p15");
    EXPECT_EQ(text(params.value[15]), "v15");
    ma_pattern_free(pattern);
    ma_pattern_t *too_many = nullptr;
    EXPECT_EQ(ma_pattern_compile(S(text16 + "/:p16"), &too_many, nullptr, 0), MA_CONFIG_INVALID);
}

TEST(Api, RequestTextHelpers) {
    EXPECT_EQ(ma_path_check(S("/api/a%2Fb"), S("/api/a/b"), 0), MA_BAD_PATH);
    EXPECT_EQ(ma_path_check(S("/api/a%2Fb"), S("/api/a/b"), 1), MA_OK);
    EXPECT_EQ(ma_path_check(S("/api/a%5Cb"), S("/api/a\\b"), 1), MA_BAD_PATH);
    EXPECT_EQ(ma_path_check(S("/api/x?y=%2F"), S("/api/x"), 0), MA_OK);

    ma_str_t token{nullptr, 0};
    ASSERT_EQ(ma_bearer_token(S("bearer  abc"), &token), 1);
    EXPECT_EQ(text(token), "abc");
    EXPECT_EQ(ma_bearer_token(S("Basic abc"), &token), 0);

    ma_str_t raw{nullptr, 0};
    EXPECT_EQ(ma_query_arg(S("x=1&apiKey=tok"), S("apiKey"), &raw), 1);
    EXPECT_EQ(text(raw), "tok");
    EXPECT_EQ(ma_query_arg(S("apiKey=a&apiKey=b"), S("apiKey"), &raw), 2);
    EXPECT_EQ(ma_query_arg(S("apiKey="), S("apiKey"), &raw), 0);
    EXPECT_EQ(ma_cookie_value(S("a=1; __session=\"tok\""), S("__session"), &raw), 1);
    EXPECT_EQ(text(raw), "tok");

    char out[32];
    EXPECT_EQ(ma_percent_decode(S("h%2Ep%2es"), out), 5);
    EXPECT_EQ(std::string(out, 5), "h.p.s");
    EXPECT_EQ(ma_percent_decode(S("bad%2"), out), -1);
    EXPECT_EQ(ma_percent_decode(S(""), out), 0);
}

// The verified-token cache's part of the seam: keys are per verifier, a
// known token skips only the signature, and valid_until is exp + leeway.
TEST(Api, VerifiedTokenCacheSeam) {
    Created a = create(kSecret32, MA_ALG_HS256);
    Created b = create(kSecret32, MA_ALG_HS256, {}, {"api"});
    ASSERT_EQ(a.status, MA_OK);
    ASSERT_EQ(b.status, MA_OK);
    const std::string token =
        sign_token(R"({"alg":"HS256"})", R"({"sub":"u","exp":)" + std::to_string(kNow + 60) + "}", kSecret32);

    unsigned char ka[32], ka2[32], kb[32];
    jwt_cache_key(a.verifier, S(token), ka);
    jwt_cache_key(a.verifier, S(token), ka2);
    jwt_cache_key(b.verifier, S(token), kb);
    EXPECT_EQ(std::memcmp(ka, ka2, 32), 0);   // stable for one verifier
    EXPECT_NE(std::memcmp(ka, kb, 32), 0);    // never shared by another

    ma_identity_t *id = nullptr;
    ASSERT_EQ(jwt_verify(a.verifier, S(token), kNow, &id), MA_OK);
    EXPECT_EQ(ma_identity_valid_until(id), kNow + 60);
    ma_identity_free(id);

    // Known good: the signature is not looked at; everything else is.
    const std::string resigned = token.substr(0, token.rfind('.') + 1) + "AAAA";
    id = nullptr;
    EXPECT_EQ(jwt_verify_known(a.verifier, S(resigned), kNow, &id), MA_OK);
    EXPECT_EQ(std::string(ma_identity_user(id).data, ma_identity_user(id).len), "u");
    ma_identity_free(id);
    id = nullptr;
    EXPECT_EQ(jwt_verify_known(a.verifier, S(token), kNow + 60, &id), MA_TOKEN_EXPIRED);
    ma_identity_free(id);
    id = nullptr;
    EXPECT_EQ(jwt_verify_known(b.verifier, S(token), kNow, &id), MA_AUDIENCE_MISMATCH);
    ma_identity_free(id);
    const std::string none = sign_token(R"({"alg":"none"})", R"({"sub":"u"})", kSecret32);
    id = nullptr;
    EXPECT_EQ(jwt_verify_known(a.verifier, S(none), kNow, &id), MA_ALGORITHM_NOT_ALLOWED);
    ma_identity_free(id);

    jwt_verifier_free(a.verifier);
    jwt_verifier_free(b.verifier);
}

TEST(Api, ClaimPathText) {
    Verifier v;
    Verified out;
    verify(v, sign_token(R"({"alg":"HS256"})",
                         R"({"sub":"u","user":{"emailVerified":true,"id":"u","meta":{"a":[1]},)"
                         R"("name":"A\r\nB"},"a.b":"dotted","x":{"y":{"z":["p","q"]}}})",
                         kSecret32),
           out);
    ASSERT_EQ(out.status, MA_OK);
    auto at = [&](const char *path) {
        ma_claim_path_t *p = nullptr;
        char err[128];
        if (ma_claim_path_create(S(path), &p, err, sizeof(err)) != MA_OK) return std::string("!") + err;
        std::string s = text(ma_identity_claim_path_text(out.identity, p));
        ma_claim_path_free(p);
        return s;
    };
    EXPECT_EQ(at("user.emailVerified"), "true");
    EXPECT_EQ(at("user.id"), "u");
    EXPECT_EQ(at("user.meta"), R"({"a":[1]})");
    EXPECT_EQ(at("user.name"), "A%0D%0AB");   // header-safe
    EXPECT_EQ(at("x.y.z"), "p,q");
    EXPECT_EQ(at("\"a.b\""), "dotted");
    EXPECT_EQ(at("a.b"), "");                  // a path, not the dotted name
    EXPECT_EQ(at("user.id.more"), "");         // through a string
    EXPECT_EQ(at("User.id"), "");              // names are exact
    EXPECT_EQ(at("sub"), "u");
    EXPECT_EQ(at("a..b"), "!invalid claim name \"a..b\"");
    EXPECT_EQ(at("\"a"), "!invalid claim name \"\"a\"");
    EXPECT_EQ(at(""), "!invalid claim name \"\"");
}

TEST(Api, QueryWithout) {
    auto without = [](const std::string &args, std::vector<std::string> names) {
        std::vector<ma_str_t> list;
        for (const auto &n : names) list.push_back(S(n));
        std::string out(args.size(), '\0');
        out.resize(ma_query_without(S(args), list.data(), list.size(), out.data()));
        return out;
    };
    EXPECT_EQ(without("apiKey=t&a=1&b=2", {"apiKey"}), "a=1&b=2");
    EXPECT_EQ(without("a=1&apiKey=t", {"apiKey"}), "a=1");
    EXPECT_EQ(without("apiKey=t", {"apiKey"}), "");
    EXPECT_EQ(without("apiKey=t&apiKey=u&c", {"apiKey"}), "c");
    EXPECT_EQ(without("api%4Bey=t&a=%20", {"apiKey"}), "a=%20");
    EXPECT_EQ(without("apikey=1&apiKeyX=2&apiKey", {"apiKey"}), "apikey=1&apiKeyX=2");
    EXPECT_EQ(without("a=1&&b=2&", {"apiKey"}), "a=1&b=2");
    EXPECT_EQ(without("token=t&apiKey=k", {"token"}), "apiKey=k");
    EXPECT_EQ(without("token=t&apiKey=k&z", {"token", "apiKey"}), "z");
    EXPECT_EQ(without("", {"apiKey"}), "");
}
