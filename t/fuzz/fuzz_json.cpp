// libFuzzer: the strict JSON object parser (duplicates, depth, UTF-8), the
// scan that reads tokens without building a document, and claim texts of
// what they accept.  The scan and the parser must agree on every input, and
// on the top-level members of what both accept.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mastra_auth/identity.h"
#include "mastra_auth/json_scan.h"
#include "mastra_auth/json_strict.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    nlohmann::json value;
    const bool parsed = mastra_auth::parse_json_object(text, value);

    mastra_auth::JsonObjectScan scan;
    const bool scanned = scan.scan(text);
    // A byte-order mark is the one thing nlohmann skips and the scan refuses.
    const bool bom = text.starts_with("\xEF\xBB\xBF");
    if (scanned != parsed && !(bom && parsed && !scanned)) __builtin_trap();

    if (scanned) {
        if (scan.members().size() != value.size()) __builtin_trap();
        for (const auto &member : scan.members()) {
            auto it = value.find(std::string(member.name));
            if (it == value.end()) __builtin_trap();
            // The value's text parses (as nlohmann does a lone value) to the same value.
            nlohmann::json alone = nlohmann::json::parse(member.value, nullptr, false);
            if (alone.is_discarded() || alone != *it) {
                // NaN never equals itself; numbers out of double range become inf both ways.
                if (!(alone.is_number_float() && it->is_number_float())) __builtin_trap();
            }
            if (member.kind == mastra_auth::JsonKind::String) {
                std::string decoded, storage;
                std::string_view view;
                if (!mastra_auth::json_string_value(member.value, decoded) || decoded != it->get<std::string>())
                    __builtin_trap();
                if (!mastra_auth::json_string_view(member.value, storage, view) || view != decoded)
                    __builtin_trap();
            }
            if (member.kind == mastra_auth::JsonKind::Number) {
                // the plain-digits fast path and the general conversion agree
                double fast = 0;
                const bool converted = mastra_auth::json_number_value(member.value, fast);
                if (converted && it->is_number() && fast != it->get<double>() &&
                    !(std::isinf(fast) || std::isnan(fast)))
                    __builtin_trap();
            }
            if (member.kind == mastra_auth::JsonKind::Array) {
                auto elements = mastra_auth::json_array_elements(member.value);
                if (elements.size() != it->size()) __builtin_trap();
                for (std::size_t i = 0; i < elements.size(); i++)
                    if (nlohmann::json::parse(elements[i].value, nullptr, false) != (*it)[i] &&
                        !(*it)[i].is_number_float())
                        __builtin_trap();
            }
        }
        // What the identity builds lazily from the same text.
        mastra_auth::Identity identity;
        identity.set_claims_text(std::string(text));
        if (!identity.claims().is_object()) __builtin_trap();
    }

    if (parsed) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            std::string claim = mastra_auth::header_safe(mastra_auth::claim_text(it.value()));
            for (char c : claim)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
        }
    }
    return 0;
}
