// The CA file check (mastra_auth_ca_file, read when the configuration
// loads): certificates made here with OpenSSL, at test time; the texts are
// those a user may point the directive at by mistake.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "key_helpers.h"
#include "mastra_auth/api.h"
#include "mastra_auth/ca_bundle.h"

using mastra_auth::check_ca_bundle;
using mastra_auth::test::generate_ec;

namespace {

struct X509Free {
    void operator()(X509 *x) const noexcept { X509_free(x); }
};

struct BioFree {
    void operator()(BIO *b) const noexcept { BIO_free(b); }
};

std::string bio_text(BIO *bio) {
    char *data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

// A self-signed CA certificate and its key, as PEM.
struct Ca {
    std::string certificate;
    std::string key;
};

Ca make_ca(const char *name) {
    auto key = generate_ec("P-256");
    std::unique_ptr<X509, X509Free> x(X509_new());
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
    X509_NAME *subject = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>(name), -1, -1, 0);
    X509_set_issuer_name(x.get(), subject);
    X509_set_pubkey(x.get(), key.get());
    EXPECT_GT(X509_sign(x.get(), key.get(), EVP_sha256()), 0);

    std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
    std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_X509(cert_bio.get(), x.get()), 1);
    EXPECT_EQ(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr), 1);
    return Ca{bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

std::size_t count(std::string_view pem) {
    std::size_t n = 99;
    std::string error;
    EXPECT_TRUE(check_ca_bundle(pem, n, error)) << error;
    return n;
}

std::string refusal(std::string_view pem) {
    std::size_t n = 99;
    std::string error;
    EXPECT_FALSE(check_ca_bundle(pem, n, error));
    EXPECT_EQ(n, 0u);
    return error;
}

}  // namespace

TEST(CaBundle, OneCertificate) {
    EXPECT_EQ(count(make_ca("one").certificate), 1u);
}

TEST(CaBundle, ABundleWithCommentsBetweenCertificates) {
    // As distributions and vendors ship bundles: a title line before each.
    std::string bundle = "# First CA\n" + make_ca("a").certificate + "\nSecond CA\n=========\n" +
                         make_ca("b").certificate + make_ca("c").certificate;
    EXPECT_EQ(count(bundle), 3u);
}

TEST(CaBundle, WindowsLineEndings) {
    std::string pem = make_ca("crlf").certificate, crlf;
    for (char ch : pem) {
        if (ch == '\n') crlf += '\r';
        crlf += ch;
    }
    EXPECT_EQ(count(crlf), 1u);
}

TEST(CaBundle, AKeyBesideTheCertificateIsNotACertificate) {
    Ca ca = make_ca("with key");
    EXPECT_EQ(count(ca.key + ca.certificate), 1u);
    EXPECT_EQ(refusal(ca.key), "no certificate in the file");
}

TEST(CaBundle, EmptyOrNoPemAtAll) {
    EXPECT_EQ(refusal(""), "the file is empty");
    EXPECT_EQ(refusal("\n"), "no certificate in the file");
    EXPECT_EQ(refusal("just some text\n"), "no certificate in the file");
}

TEST(CaBundle, ACertificateThatDoesNotParseFailsTheWhole) {
    std::string good = make_ca("good").certificate;
    // The base64 of the body broken: a character that is not base64.
    std::string broken = make_ca("broken").certificate;
    broken.insert(broken.find('\n') + 20, "!");
    EXPECT_NE(refusal(good + broken).find("not PEM certificates"), std::string::npos);
    EXPECT_NE(refusal("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
                  .find("not PEM certificates"),
              std::string::npos);
    // Cut short: no END line.
    EXPECT_NE(refusal(good.substr(0, good.size() / 2)).find("not PEM certificates"),
              std::string::npos);
}

TEST(CaBundle, DerIsNotTaken) {
    // DER bytes, as `openssl x509 -outform der` writes them: nginx's CA
    // files are PEM.
    std::string pem = make_ca("der").certificate;
    std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::unique_ptr<X509, X509Free> x(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(x);
    unsigned char *der = nullptr;
    int len = i2d_X509(x.get(), &der);
    ASSERT_GT(len, 0);
    std::string bytes(reinterpret_cast<char *>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    refusal(bytes);
}

TEST(CaBundle, TheSeamSaysWhy) {
    char err[128] = "unchanged";
    std::size_t n = 99;
    std::string pem = make_ca("seam").certificate;
    EXPECT_EQ(ma_ca_check(ma_str_t{pem.data(), pem.size()}, &n, err, sizeof(err)), MA_OK);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(ma_ca_check(ma_str_t{"x\n", 2}, &n, err, sizeof(err)), MA_CONFIG_INVALID);
    EXPECT_STREQ(err, "no certificate in the file");
    EXPECT_EQ(n, 0u);
}
