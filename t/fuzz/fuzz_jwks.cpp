// libFuzzer: JWK Set documents (remote and local rules), PEM keys and CA
// certificate files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mastra_auth/ca_bundle.h"
#include "mastra_auth/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string error;
    mastra_auth::KeySet remote, local;
    if (mastra_auth::KeySet::parse(input, mastra_auth::KeySource::Remote, remote, error)) {
        // a remote set never yields an HMAC secret
        for (const auto &key : remote.keys())
            if (key.family == mastra_auth::KeyFamily::Oct) __builtin_trap();
        bool known = false;
        (void) remote.candidates("kid", mastra_auth::Algorithm::RS256, known);
    }
    (void) mastra_auth::KeySet::parse(input, mastra_auth::KeySource::Local, local, error);
    mastra_auth::PublicKey key;
    (void) mastra_auth::parse_pem_public_key(input, key, error);
    // a CA file that passes holds a certificate; one that fails, none
    std::size_t certificates = 0;
    bool ca = mastra_auth::check_ca_bundle(input, certificates, error);
    if (ca != (certificates > 0)) __builtin_trap();
    return 0;
}
