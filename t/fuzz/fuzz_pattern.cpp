// libFuzzer: route patterns, compiled from the first line and matched
// against the second.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mastra_auth/pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::size_t nl = input.find('\n');
    std::string_view text = input.substr(0, nl);
    std::string_view path = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    mastra_auth::Pattern pattern;
    std::string error;
    if (mastra_auth::Pattern::compile(text, pattern, error) == mastra_auth::Status::Ok) {
        std::vector<mastra_auth::RouteParam> params;
        if (pattern.match(path, &params)) {
            for (const auto &p : params)   // captured values are views into the path
                if (p.value.data() < path.data() || p.value.data() + p.value.size() > path.data() + path.size())
                    __builtin_trap();
        }
    }
    return 0;
}
