// Strict base64url (RFC 4648 section 5, RFC 7515 section 2): the decoder must
// refuse every deviation, since a lax one lets two encodings name one token
// (catalogue section 2, "base64 decoders").
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "mastra_auth/base64url.h"

using mastra_auth::base64url_decode;
using mastra_auth::base64url_encode;

namespace {

bool in_alphabet(unsigned c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

bool decodes(std::string_view in) {
    std::string out;
    return base64url_decode(in, out);
}

}  // namespace

TEST(Base64Url, KnownVectorsRfc4648) {
    // RFC 4648 section 10, without the padding.
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},          {"f", "Zg"},         {"fo", "Zm8"},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto &[plain, encoded] : vectors) {
        EXPECT_EQ(base64url_encode(plain), encoded) << plain;
        std::string out;
        ASSERT_TRUE(base64url_decode(encoded, out)) << encoded;
        EXPECT_EQ(out, plain);
    }
}

TEST(Base64Url, UrlSafeAlphabetBothWays) {
    // fb ef be is 62 62 62 62 ("----"), ff ff ff is 63 63 63 63 ("____").
    const std::string bytes("\xfb\xef\xbe\xff\xff\xff", 6);
    EXPECT_EQ(base64url_encode(bytes), "----____");
    std::string out;
    ASSERT_TRUE(base64url_decode("----____", out));
    EXPECT_EQ(out, bytes);
}

TEST(Base64Url, EveryByteOutsideTheAlphabetIsRefused) {
    int refused = 0;
    for (unsigned c = 0; c < 256; c++) {
        const char ch = static_cast<char>(c);
        if (in_alphabet(c)) {
            // Accepted where its trailing bits allow: as the first of two
            // characters, followed by 'A' (all zero bits).
            EXPECT_TRUE(decodes(std::string{ch, 'A'})) << "byte " << c;
            continue;
        }
        refused++;
        // In every position of a 4-character group, and of a 2- and 3-char tail.
        for (std::size_t pos = 0; pos < 4; pos++) {
            std::string in = "AAAA";
            in[pos] = ch;
            EXPECT_FALSE(decodes(in)) << "byte " << c << " at " << pos;
        }
        EXPECT_FALSE(decodes(std::string("AAAA") + ch + "A")) << "byte " << c;
        EXPECT_FALSE(decodes(std::string("AA") + ch)) << "byte " << c;
        EXPECT_FALSE(decodes(std::string(1, ch))) << "byte " << c;
    }
    EXPECT_EQ(refused, 256 - 64);
}

TEST(Base64Url, PaddingIsRefused) {
    EXPECT_TRUE(decodes("Zg"));
    EXPECT_FALSE(decodes("Zg=="));
    EXPECT_FALSE(decodes("Zg="));
    EXPECT_FALSE(decodes("Zm8="));
    EXPECT_FALSE(decodes("===="));
    EXPECT_FALSE(decodes("Zm9v===="));
    EXPECT_FALSE(decodes("Zm=v"));
}

TEST(Base64Url, StandardAlphabetCharactersAreRefused) {
    // "+/" is the standard alphabet's spelling of "-_".
    EXPECT_TRUE(decodes("-_-_"));
    EXPECT_FALSE(decodes("+/+/"));
    EXPECT_FALSE(decodes("ab+d"));
    EXPECT_FALSE(decodes("ab/d"));
}

TEST(Base64Url, WhitespaceAndLineBreaksAreRefused) {
    for (const char *in : {"Zm9v Zg", " Zm9v", "Zm9v ", "Zm9v\tYg", "Zm9v\r\nYg", "Zm9v\nYg",
                           "Zm9vYg\n", "Zm9v\rYg", "Zm9v\vYg", "Zm9v\fYg"})
        EXPECT_FALSE(decodes(in)) << in;
}

TEST(Base64Url, EmbeddedNulIsRefused) {
    EXPECT_FALSE(decodes(std::string("Zm\0v", 4)));
    EXPECT_FALSE(decodes(std::string("Zm9v\0", 5)));
}

TEST(Base64Url, LengthOneModuloFourIsRefused) {
    for (std::size_t len = 1; len <= 33; len += 4)
        EXPECT_FALSE(decodes(std::string(len, 'A'))) << len;
    // The neighbours decode.
    EXPECT_TRUE(decodes(""));
    EXPECT_TRUE(decodes("AA"));
    EXPECT_TRUE(decodes("AAA"));
    EXPECT_TRUE(decodes("AAAA"));
}

TEST(Base64Url, NonCanonicalTrailingBitsAreRefused) {
    // "QQ" is 'A'; "QR".."QZ" carry set bits past the byte and would decode to 'A' too.
    std::string out;
    ASSERT_TRUE(base64url_decode("QQ", out));
    EXPECT_EQ(out, "A");
    for (const char *in : {"QR", "QS", "QT", "QU", "QV", "QW", "QX", "QY", "QZ", "Qa", "Qf"})
        EXPECT_FALSE(decodes(in)) << in;
    // Three characters: two unused bits.  "QUE" is "AA", "QUF".."QUH" are not canonical.
    ASSERT_TRUE(base64url_decode("QUE", out));
    EXPECT_EQ(out, "AA");
    for (const char *in : {"QUF", "QUG", "QUH"}) EXPECT_FALSE(decodes(in)) << in;
    // After full groups too.
    EXPECT_TRUE(decodes("Zm9vQQ"));
    EXPECT_FALSE(decodes("Zm9vQR"));
}

TEST(Base64Url, ExactlyOneCanonicalEncodingPerTail) {
    // For each final character of a 2- and 3-character tail, exactly the ones
    // with zero unused bits decode: 4 of 64 for 2 chars, 16 of 64 for 3 chars.
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int two = 0, three = 0;
    for (char last : alphabet) {
        two += decodes(std::string("A") + last);
        three += decodes(std::string("AA") + last);
    }
    EXPECT_EQ(two, 4);
    EXPECT_EQ(three, 16);
}

TEST(Base64Url, RoundTripsRandomBytesOfEveryLengthUpTo64) {
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int trial = 0; trial < 8; trial++) {
        for (std::size_t len = 0; len <= 64; len++) {
            std::string bytes(len, '\0');
            for (char &c : bytes) c = static_cast<char>(byte(rng));
            std::string encoded = base64url_encode(bytes);
            // No padding: 4 characters per 3 bytes, 2 or 3 for a tail.
            EXPECT_EQ(encoded.size(), (len * 4 + 2) / 3) << len;
            for (char c : encoded) EXPECT_TRUE(in_alphabet(static_cast<unsigned char>(c)));
            std::string decoded = "stale";
            ASSERT_TRUE(base64url_decode(encoded, decoded)) << len;
            EXPECT_EQ(decoded, bytes) << len;
        }
    }
}

TEST(Base64Url, DecodeReplacesPreviousOutput) {
    std::string out = "previous content";
    ASSERT_TRUE(base64url_decode("Zm9v", out));
    EXPECT_EQ(out, "foo");
    ASSERT_TRUE(base64url_decode("", out));
    EXPECT_EQ(out, "");
}
