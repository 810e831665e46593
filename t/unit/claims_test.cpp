// Registered claims (RFC 7519 section 4.1) at the exact boundaries, with the
// clock passed in (catalogue section 1 "Claims", rows C1-C7).
#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/claims.h"

#include <nlohmann/json.hpp>

using mastra_auth::check_claims;
using mastra_auth::ClaimPolicy;
using mastra_auth::Status;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1700000000;

ClaimPolicy leeway(std::int64_t seconds) {
    ClaimPolicy policy;
    policy.leeway = seconds;
    return policy;
}

// Claims are checked on the scan of the payload's text.
Status check_text(const std::string &text, const ClaimPolicy &policy = {}, std::int64_t now = kNow) {
    mastra_auth::JsonObjectScan payload;
    if (!payload.scan(text)) return Status::TokenMalformed;
    return check_claims(payload, policy, now);
}

Status check(const json &payload, const ClaimPolicy &policy = {}, std::int64_t now = kNow) {
    return check_text(payload.dump(), policy, now);
}



}  // namespace

TEST(Claims, NoRegisteredClaimsIsOk) {
    EXPECT_EQ(check(json::object()), Status::Ok);
    EXPECT_EQ(check(json{{"custom", {1, 2}}, {"sub", "u"}}), Status::Ok);
}

TEST(Claims, ExpBoundaries) {
    // Valid strictly before exp (RFC 7519 4.1.4): now < exp + leeway.
    EXPECT_EQ(check({{"exp", kNow}}), Status::TokenExpired);
    EXPECT_EQ(check({{"exp", kNow - 1}}), Status::TokenExpired);
    EXPECT_EQ(check({{"exp", kNow + 1}}), Status::Ok);
    EXPECT_EQ(check({{"exp", 0}}), Status::TokenExpired);
    // With a leeway of 60 s.
    EXPECT_EQ(check({{"exp", kNow - 30}}, leeway(60)), Status::Ok);
    EXPECT_EQ(check({{"exp", kNow - 59}}, leeway(60)), Status::Ok);
    EXPECT_EQ(check({{"exp", kNow - 60}}, leeway(60)), Status::TokenExpired);
    EXPECT_EQ(check({{"exp", kNow - 61}}, leeway(60)), Status::TokenExpired);
}

TEST(Claims, ExpMayBeFractional) {
    const std::int64_t now = 1900000000;
    EXPECT_EQ(check({{"exp", 1.9e9 + 0.5}}, {}, now), Status::Ok);
    EXPECT_EQ(check({{"exp", 1.9e9 + 0.5}}, {}, now + 1), Status::TokenExpired);
    EXPECT_EQ(check({{"exp", 1.9e9 - 0.5}}, {}, now), Status::TokenExpired);
    EXPECT_EQ(check_text((R"({"exp":1900000000.5})"), {}, now), Status::Ok);
    EXPECT_EQ(check_text((R"({"exp":1.9e9})"), {}, now - 1), Status::Ok);
}

TEST(Claims, NbfBoundaries) {
    // Valid from nbf on: now >= nbf - leeway.
    EXPECT_EQ(check({{"nbf", kNow}}), Status::Ok);
    EXPECT_EQ(check({{"nbf", kNow - 1}}), Status::Ok);
    EXPECT_EQ(check({{"nbf", kNow + 1}}), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"nbf", kNow + 120}}, leeway(60)), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"nbf", kNow + 61}}, leeway(60)), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"nbf", kNow + 60}}, leeway(60)), Status::Ok);
    EXPECT_EQ(check({{"nbf", kNow + 0.5}}), Status::TokenNotYetValid);
}

TEST(Claims, IatInTheFutureBeyondLeeway) {
    EXPECT_EQ(check({{"iat", kNow}}), Status::Ok);
    EXPECT_EQ(check({{"iat", kNow - 3600}}), Status::Ok);
    EXPECT_EQ(check({{"iat", kNow + 1}}), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"iat", kNow + 3600}}, leeway(60)), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"iat", kNow + 61}}, leeway(60)), Status::TokenNotYetValid);
    EXPECT_EQ(check({{"iat", kNow + 60}}, leeway(60)), Status::Ok);
}

TEST(Claims, AllTimeClaimsTogether) {
    const json good = {{"iat", kNow - 10}, {"nbf", kNow - 10}, {"exp", kNow + 3600}};
    EXPECT_EQ(check(good), Status::Ok);
    EXPECT_EQ(check(good, {}, kNow + 3600), Status::TokenExpired);
    EXPECT_EQ(check(good, {}, kNow - 11), Status::TokenNotYetValid);
}

TEST(Claims, TimeClaimsMustBeSaneNumbers) {
    // Catalogue C3: strings (even numeric ones), booleans, null, containers,
    // huge and negative numbers.
    const char *bad_values[] = {
        R"("9999999999")", R"("2030-01-01")", "true", "false", "null", "[]", "[2000000000]", "{}",
        "1e300",           "-1",               "-0.5", "253402300800", "18446744073709551615",
        "1e20",
    };
    for (const char *name : {"exp", "nbf", "iat"}) {
        for (const char *value : bad_values) {
            const std::string payload = (std::string("{\"") + name + "\":" + value + "}");
            EXPECT_EQ(check_text(payload), Status::TokenMalformed) << name << " = " << value;
        }
    }
    // Malformed wins over an otherwise valid set: an invalid exp is not "no exp".
    EXPECT_EQ(check_text((R"({"exp":"9999999999","nbf":1})")), Status::TokenMalformed);
}

TEST(Claims, LargestNumericDateIsAccepted) {
    // 9999-12-31T23:59:59Z is the last accepted instant.
    EXPECT_EQ(check_text((R"({"exp":253402300799})")), Status::Ok);
    EXPECT_EQ(check_text((R"({"exp":253402300799.0})")), Status::Ok);
    EXPECT_EQ(check_text((R"({"exp":2.53402300799e11})")), Status::Ok);
}

TEST(Claims, SubMustBeAString) {
    EXPECT_EQ(check({{"sub", "user-1"}}), Status::Ok);
    EXPECT_EQ(check({{"sub", ""}}), Status::Ok);
    for (const char *value : {"123", "null", "true", "[]", "[\"u\"]", "{}"})
        EXPECT_EQ(check_text((std::string(R"({"sub":)") + value + "}")), Status::TokenMalformed)
            << value;
}

TEST(Claims, IssMustMatchExactly) {
    ClaimPolicy policy;
    policy.issuers = {"https://tenant.auth0.com/"};
    EXPECT_EQ(check({{"iss", "https://tenant.auth0.com/"}}, policy), Status::Ok);
    for (const char *iss : {"https://tenant.auth0.com",         // trailing slash variant
                            "https://tenant.auth0.com//",
                            "https://tenant.auth0.co",          // prefix
                            "https://tenant",                   // prefix
                            "tenant.auth0.com/",                // suffix
                            "https://tenant.auth0.com/x",       // extension
                            "https://tenant.auth0.com.evil/",   // contains it
                            "https://evil/https://tenant.auth0.com/",
                            "HTTPS://TENANT.AUTH0.COM/",        // case
                            " https://tenant.auth0.com/", ""})
        EXPECT_EQ(check({{"iss", iss}}, policy), Status::IssuerMismatch) << iss;
    EXPECT_EQ(check(json::object(), policy), Status::IssuerMismatch);
}

TEST(Claims, IssOfTheWrongTypeIsRefused) {
    ClaimPolicy policy;
    policy.issuers = {"https://tenant.auth0.com/"};
    for (const char *value : {R"(["https://tenant.auth0.com/"])", "123", "null", "true", "{}"}) {
        const std::string payload = (std::string(R"({"iss":)") + value + "}");
        EXPECT_EQ(check_text(payload, policy), Status::TokenMalformed) << value;
        // Also when no issuer is configured.
        EXPECT_EQ(check_text(payload), Status::TokenMalformed) << value;
    }
}

TEST(Claims, AnyConfiguredIssuerMatches) {
    ClaimPolicy policy;
    policy.issuers = {"https://a.example", "https://b.example"};
    EXPECT_EQ(check({{"iss", "https://a.example"}}, policy), Status::Ok);
    EXPECT_EQ(check({{"iss", "https://b.example"}}, policy), Status::Ok);
    EXPECT_EQ(check({{"iss", "https://c.example"}}, policy), Status::IssuerMismatch);
}

TEST(Claims, IssNotCheckedWhenNotConfigured) {
    EXPECT_EQ(check({{"iss", "anyone"}}), Status::Ok);
}

TEST(Claims, AudStringOrArrayHoldingAConfiguredValue) {
    ClaimPolicy policy;
    policy.audiences = {"my-api"};
    EXPECT_EQ(check({{"aud", "my-api"}}, policy), Status::Ok);
    EXPECT_EQ(check({{"aud", {"my-api"}}}, policy), Status::Ok);
    EXPECT_EQ(check({{"aud", {"other", "my-api", "third"}}}, policy), Status::Ok);
    EXPECT_EQ(check({{"aud", {"other", "third"}}}, policy), Status::AudienceMismatch);
}

TEST(Claims, AudRefusals) {
    ClaimPolicy policy;
    policy.audiences = {"my-api"};
    // [] never matches; absent while configured; case differs; near misses.
    EXPECT_EQ(check({{"aud", json::array()}}, policy), Status::AudienceMismatch);
    EXPECT_EQ(check(json::object(), policy), Status::AudienceMismatch);
    EXPECT_EQ(check({{"aud", "My-Api"}}, policy), Status::AudienceMismatch);
    EXPECT_EQ(check({{"aud", {"MY-API"}}}, policy), Status::AudienceMismatch);
    EXPECT_EQ(check({{"aud", "my-api "}}, policy), Status::AudienceMismatch);
    EXPECT_EQ(check({{"aud", "my-ap"}}, policy), Status::AudienceMismatch);
    EXPECT_EQ(check({{"aud", "my-api,other"}}, policy), Status::AudienceMismatch);
    // Members that are not strings: the claim is malformed (CVE-2020-26160 kin).
    for (const char *value : {"[123]", R"(["my-api",123])", R"([["my-api"]])", "123", "null",
                              "true", R"({"my-api":true})"}) {
        const std::string payload = (std::string(R"({"aud":)") + value + "}");
        EXPECT_EQ(check_text(payload, policy), Status::TokenMalformed) << value;
        EXPECT_EQ(check_text(payload), Status::TokenMalformed) << value;
    }
}

TEST(Claims, AnyConfiguredAudienceMatches) {
    ClaimPolicy policy;
    policy.audiences = {"a", "b"};
    EXPECT_EQ(check({{"aud", "b"}}, policy), Status::Ok);
    EXPECT_EQ(check({{"aud", {"x", "a"}}}, policy), Status::Ok);
    EXPECT_EQ(check({{"aud", {"x", "y"}}}, policy), Status::AudienceMismatch);
}

TEST(Claims, AudNotCheckedWhenNotConfigured) {
    EXPECT_EQ(check({{"aud", "anything"}}), Status::Ok);
    EXPECT_EQ(check({{"aud", json::array()}}), Status::Ok);
}
