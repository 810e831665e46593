// libFuzzer: the strict base64url decoder; what it accepts must encode back
// to the same text (canonical encodings only), and what it encodes must
// decode back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mastra_auth/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string out;
    if (mastra_auth::base64url_decode(input, out) && mastra_auth::base64url_encode(out) != input)
        __builtin_trap();
    // and every encoding decodes back to its bytes
    std::string back;
    if (!mastra_auth::base64url_decode(mastra_auth::base64url_encode(input), back) || back != input)
        __builtin_trap();
    return 0;
}
