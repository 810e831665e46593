// Compact JWS parsing (RFC 7515 section 7.1) and header refusals: catalogue
// section 1 "Syntax" and "Header", rows T1, T3-T5, H1, H3, H4, H6, H7.
#include <gtest/gtest.h>

#include <string>

#include "mastra_auth/jwt.h"
#include "token_helpers.h"

using mastra_auth::Jwt;
using mastra_auth::kMaxKidLength;
using mastra_auth::kMaxTokenLength;
using mastra_auth::parse_jwt;
using mastra_auth::Status;
using mastra_auth::test::b64;
using mastra_auth::test::unsigned_token;

namespace {

constexpr const char *kHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr const char *kPayload = R"({"sub":"user-1","exp":2000000000})";

Status parse(std::string_view token) {
    Jwt jwt;
    return parse_jwt(token, jwt);
}

Status parse_header(std::string_view header_json) {
    return parse(unsigned_token(header_json, kPayload));
}

Status parse_payload(std::string_view payload_json) {
    return parse(unsigned_token(kHeader, payload_json));
}

}  // namespace

TEST(JwtParse, WellFormedTokenIsSplitAndDecoded) {
    const std::string header = R"({"alg":"HS256","kid":"key-1"})";
    const std::string signature("\x01\x02\x00\xff", 4);
    const std::string token = unsigned_token(header, kPayload, signature);
    Jwt jwt;
    ASSERT_EQ(parse_jwt(token, jwt), Status::Ok);
    EXPECT_EQ(jwt.alg, "HS256");
    EXPECT_EQ(jwt.kid, "key-1");
    ASSERT_NE(jwt.header.find("kid"), nullptr);
    EXPECT_EQ(jwt.header.find("kid")->value, "\"key-1\"");
    ASSERT_NE(jwt.payload.find("sub"), nullptr);
    EXPECT_EQ(jwt.payload.find("sub")->value, "\"user-1\"");
    EXPECT_EQ(jwt.payload.find("exp")->value, "2000000000");
    EXPECT_EQ(jwt.signature, signature);
    // The signing input is the received bytes, a view into the token (RFC 7515 5.2).
    const std::string expected_input = b64(header) + "." + b64(kPayload);
    EXPECT_EQ(jwt.signing_input, expected_input);
    EXPECT_EQ(jwt.signing_input.data(), token.data());
}

TEST(JwtParse, KidIsOptional) {
    Jwt jwt;
    ASSERT_EQ(parse_jwt(unsigned_token(R"({"alg":"HS256"})", kPayload), jwt), Status::Ok);
    EXPECT_EQ(jwt.kid, "");
}

TEST(JwtParse, AlgIsNotJudgedHere) {
    // Whether an algorithm is allowed is the verifier's decision; the parser
    // only requires a string (verifier_test covers "none" and friends).
    Jwt jwt;
    ASSERT_EQ(parse_jwt(unsigned_token(R"({"alg":"none"})", kPayload), jwt), Status::Ok);
    EXPECT_EQ(jwt.alg, "none");
}

TEST(JwtParse, OtherThanThreePartsIsRefused) {
    const std::string h = b64(kHeader), p = b64(kPayload), s = b64("signature");
    const std::string cases[] = {
        "",                               // empty
        "a.b",                            // two parts
        h + "." + p,                      // two real parts
        h,                                // one part
        "a.b.c.d.e",                      // JWE shape
        h + "." + p + "." + s + "." + s + "." + s,
        h + "." + p + "." + s + ".",      // trailing dot
        "a.b.c.",
        "a..c",                           // detached payload
        h + ".." + s,
        h + "." + p + ".",                // empty signature
        "." + p + "." + s,                // empty header
        "..",
        "...",
        ".",
        h + "." + p + "." + s + "." + p,  // h.p.s.p
        h + ".." + p + "." + s,           // h..p.s
    };
    for (const auto &token : cases) EXPECT_EQ(parse(token), Status::TokenMalformed) << token;
}

TEST(JwtParse, BadBase64UrlInAnyPartIsRefused) {
    const std::string h = b64(kHeader), p = b64(kPayload), s = b64("signature!");
    ASSERT_EQ(parse(h + "." + p + "." + s), Status::Ok);
    const std::string suffixes[] = {"=", "==", "+", "/", " ", "\r\n", "\t", "%3D", "*"};
    for (const auto &bad : suffixes) {
        EXPECT_EQ(parse(h + bad + "." + p + "." + s), Status::TokenMalformed) << "header " << bad;
        EXPECT_EQ(parse(h + "." + p + bad + "." + s), Status::TokenMalformed) << "payload " << bad;
        EXPECT_EQ(parse(h + "." + p + "." + s + bad), Status::TokenMalformed) << "signature " << bad;
    }
    // A standard-alphabet signature ("+" and "/" where "-" and "_" belong).
    std::string standard = b64(std::string("\xfb\xef\xbe\xff\xff\xff", 6));
    ASSERT_EQ(standard, "----____");
    EXPECT_EQ(parse(h + "." + p + "." + standard), Status::Ok);
    EXPECT_EQ(parse(h + "." + p + ".++++////"), Status::TokenMalformed);
    // Non-canonical last character of a part.
    const std::string two_byte_sig = "QQ";   // "A"
    EXPECT_EQ(parse(h + "." + p + "." + two_byte_sig), Status::Ok);
    EXPECT_EQ(parse(h + "." + p + ".QR"), Status::TokenMalformed);
}

TEST(JwtParse, HeaderMustBeAJsonObject) {
    for (const char *header : {"[]", "\"x\"", "1", "null", "true", "[{\"alg\":\"HS256\"}]", "",
                               "not json", "{\"alg\":\"HS256\""})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, PayloadMustBeAJsonObject) {
    for (const char *payload : {"[]", "\"x\"", "1", "null", "", "not json", "{\"sub\":\"a\""})
        EXPECT_EQ(parse_payload(payload), Status::TokenMalformed) << payload;
}

TEST(JwtParse, TrailingBytesAfterTheObjectAreRefused) {
    EXPECT_EQ(parse_header(R"({"alg":"HS256"}x)"), Status::TokenMalformed);
    EXPECT_EQ(parse_header(R"({"alg":"HS256"}{})"), Status::TokenMalformed);
    EXPECT_EQ(parse_header(std::string("{\"alg\":\"HS256\"}\0", 16)), Status::TokenMalformed);
    EXPECT_EQ(parse_payload(R"({"sub":"a"}})"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload(R"({"sub":"a"},{"sub":"b"})"), Status::TokenMalformed);
}

TEST(JwtParse, InvalidUtf8IsRefused) {
    EXPECT_EQ(parse_header("{\"alg\":\"HS256\",\"kid\":\"\xff\"}"), Status::TokenMalformed);
    EXPECT_EQ(parse_header("{\"alg\":\"HS256\",\"kid\":\"\xc0\xaf\"}"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload("{\"sub\":\"\xed\xa0\x80\"}"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload("{\"sub\":\"caf\xc3\"}"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload("{\"\x80\":1}"), Status::TokenMalformed);
    // Valid UTF-8 passes.
    EXPECT_EQ(parse_payload("{\"sub\":\"caf\xc3\xa9\"}"), Status::Ok);
}

TEST(JwtParse, DuplicateNamesAreRefused) {
    EXPECT_EQ(parse_header(R"({"alg":"none","alg":"HS256"})"), Status::TokenMalformed);
    EXPECT_EQ(parse_header(R"({"alg":"HS256","alg":"none"})"), Status::TokenMalformed);
    EXPECT_EQ(parse_header(R"({"alg":"HS256","kid":"a","kid":"b"})"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload(R"({"sub":"alice","sub":"admin"})"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload(R"({"exp":1,"exp":2000000000})"), Status::TokenMalformed);
    EXPECT_EQ(parse_payload(R"({"user":{"role":"a","role":"admin"}})"), Status::TokenMalformed);
}

TEST(JwtParse, DeepNestingIsRefusedWithoutCrashing) {
    // Small enough to pass the length cap, so the JSON depth bound is what refuses.
    const std::string opens(5000, '['), closes(5000, ']');
    const std::string deep_payload = unsigned_token(kHeader, "{\"a\":" + opens + closes + "}");
    ASSERT_LE(deep_payload.size(), kMaxTokenLength);
    EXPECT_EQ(parse(deep_payload), Status::TokenMalformed);
    const std::string deep_header =
        unsigned_token(R"({"alg":"HS256","x":)" + opens + closes + "}", kPayload);
    ASSERT_LE(deep_header.size(), kMaxTokenLength);
    EXPECT_EQ(parse(deep_header), Status::TokenMalformed);
    // 100000 '[' (catalogue T5): refused, here already by the length cap.
    EXPECT_EQ(parse(unsigned_token(kHeader, "{\"a\":" + std::string(100000, '['))),
              Status::TokenMalformed);
}

TEST(JwtParse, AlgMustBeAString) {
    for (const char *header : {R"({})", R"({"typ":"JWT"})", R"({"alg":123})", R"({"alg":null})",
                               R"({"alg":["HS256"]})", R"({"alg":{"name":"HS256"}})",
                               R"({"alg":true})", R"({"ALG":"HS256"})"})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, CritInAnyFormIsRefused) {
    for (const char *header :
         {R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"HS256","crit":[]})",
          R"({"alg":"HS256","crit":"b64"})", R"({"alg":"HS256","crit":null})",
          R"({"alg":"HS256","crit":{}})", R"({"alg":"HS256","crit":0})",
          R"({"alg":"HS256","crit":["b64"],"b64":true})"})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, UnencodedPayloadOptionIsRefused) {
    // RFC 7797: with or without crit, true or false.
    for (const char *header :
         {R"({"alg":"HS256","b64":false})", R"({"alg":"HS256","b64":true})",
          R"({"alg":"HS256","b64":false,"crit":["b64"]})", R"({"alg":"HS256","b64":null})"})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, JweMembersAreRefused) {
    for (const char *header :
         {R"({"alg":"HS256","enc":"A128GCM"})", R"({"alg":"HS256","zip":"DEF"})",
          R"({"alg":"HS256","p2c":1000000000})", R"({"alg":"PBES2-HS256+A128KW","p2c":1,"p2s":"x"})",
          R"({"alg":"dir","enc":""})", R"({"alg":"HS256","zip":null})"})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, KidMustBeAString) {
    for (const char *header :
         {R"({"alg":"HS256","kid":123})", R"({"alg":"HS256","kid":{}})",
          R"({"alg":"HS256","kid":null})", R"({"alg":"HS256","kid":["a"]})",
          R"({"alg":"HS256","kid":true})"})
        EXPECT_EQ(parse_header(header), Status::TokenMalformed) << header;
}

TEST(JwtParse, KidIsCappedAt256Bytes) {
    ASSERT_EQ(kMaxKidLength, 256u);
    auto header_with_kid = [](const std::string &kid) {
        return R"({"alg":"HS256","kid":")" + kid + R"("})";
    };
    Jwt jwt;
    ASSERT_EQ(parse_jwt(unsigned_token(header_with_kid(std::string(256, 'k')), kPayload), jwt),
              Status::Ok);
    EXPECT_EQ(jwt.kid, std::string(256, 'k'));
    EXPECT_EQ(parse_header(header_with_kid(std::string(257, 'k'))), Status::TokenMalformed);
    EXPECT_EQ(parse_header(header_with_kid(std::string(10240, 'k'))), Status::TokenMalformed);
    // Hostile but short kids are opaque strings: kept byte-exact for lookup.
    ASSERT_EQ(parse_jwt(unsigned_token(header_with_kid("../../dev/null"), kPayload), jwt),
              Status::Ok);
    EXPECT_EQ(jwt.kid, "../../dev/null");
    ASSERT_EQ(parse_jwt(unsigned_token(R"({"alg":"HS256","kid":"a\u0000b"})", kPayload), jwt),
              Status::Ok);
    EXPECT_EQ(jwt.kid, std::string("a\0b", 3));
}

namespace {

// A token that parses but for its length: exactly n bytes (0 if none found).
std::string token_of_length(std::size_t n) {
    for (std::size_t pad = n * 3 / 4 - 100; pad < n; pad++) {
        for (std::size_t sig = 30; sig < 34; sig++) {
            std::string t = unsigned_token(kHeader, R"({"p":")" + std::string(pad, 'x') + R"("})",
                                           std::string(sig, 's'));
            if (t.size() == n) return t;
        }
    }
    return {};
}

}  // namespace

TEST(JwtParse, TokenLengthIsCappedAt16KiB) {
    ASSERT_EQ(kMaxTokenLength, 16u * 1024);
    const std::string at_cap = token_of_length(kMaxTokenLength);
    const std::string past_cap = token_of_length(kMaxTokenLength + 1);
    ASSERT_EQ(at_cap.size(), kMaxTokenLength);
    ASSERT_EQ(past_cap.size(), kMaxTokenLength + 1);
    EXPECT_EQ(parse(at_cap), Status::Ok);
    EXPECT_EQ(parse(past_cap), Status::TokenMalformed);
    EXPECT_EQ(parse(unsigned_token(kHeader, R"({"p":")" + std::string(64 * 1024, 'x') + R"("})")),
              Status::TokenMalformed);
    // "Bearer " + dots (CVE-2025-30204): long runs of separators cost nothing.
    EXPECT_EQ(parse(std::string(1024 * 1024, '.')), Status::TokenMalformed);
    EXPECT_EQ(parse(std::string(kMaxTokenLength, '.')), Status::TokenMalformed);
}
