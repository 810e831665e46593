// libFuzzer: the strict JSON object parser (duplicates, depth, UTF-8), and
// claim texts of what it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mastra_auth/identity.h"
#include "mastra_auth/json_strict.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    nlohmann::json value;
    if (mastra_auth::parse_json_object(std::string_view(reinterpret_cast<const char *>(data), size), value)) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            std::string text = mastra_auth::header_safe(mastra_auth::claim_text(it.value()));
            for (char c : text)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
        }
    }
    return 0;
}
