#include "mastra_auth/ca_bundle.h"

#include <climits>
#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace mastra_auth {

namespace {

struct BioDeleter {
    void operator()(BIO *bio) const noexcept { BIO_free(bio); }
};

struct InfoStackDeleter {
    void operator()(STACK_OF(X509_INFO) *infos) const noexcept {
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
    }
};

// The reason of OpenSSL's last error, its queue left empty for the next
// caller on this thread.
std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    std::string reason;
    if (code != 0) {
        const char *text = ERR_reason_error_string(code);
        reason = text ? text : "error " + std::to_string(ERR_GET_REASON(code));
    }
    ERR_clear_error();
    return reason;
}

}  // namespace

bool check_ca_bundle(std::string_view pem, std::size_t &certificates, std::string &error) noexcept {
    certificates = 0;
    try {
        if (pem.empty()) {
            error = "the file is empty";
            return false;
        }
        if (pem.size() > INT_MAX) {
            error = "the file is too large";
            return false;
        }
        ERR_clear_error();
        std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        if (!bio) {
            error = "out of memory";
            return false;
        }
        // What libcurl does with a CA blob (its OpenSSL backend): all the
        // PEM blocks at once; one that does not parse fails the whole.
        std::unique_ptr<STACK_OF(X509_INFO), InfoStackDeleter> infos(
            PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr));
        if (!infos) {
            std::string reason = openssl_reason();
            error = "not PEM certificates" + (reason.empty() ? std::string() : " (" + reason + ")");
            return false;
        }
        ERR_clear_error();   // the end of the text is queued as an error
        for (int i = 0; i < sk_X509_INFO_num(infos.get()); i++)
            if (sk_X509_INFO_value(infos.get(), i)->x509 != nullptr) certificates++;
        if (certificates == 0) {
            error = "no certificate in the file";
            return false;
        }
        return true;
    } catch (...) {
        ERR_clear_error();
        error = "out of memory";
        return false;
    }
}

}  // namespace mastra_auth
