// libFuzzer: the request helpers through the C seam the shim calls: path
// safety (every flag), the bearer scheme, query and Cookie header lookups,
// the query string without the token's parameter, percent-decoding.  The
// input is "NAME\nTEXT": NAME is looked up in TEXT as a query argument and
// as a cookie, and dropped from TEXT as a query argument.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mastra_auth/api.h"

namespace {

ma_str_t str(std::string_view s) { return ma_str_t{s.data(), s.size()}; }

// A found value is a non-empty view into the text it was found in.
void inside_or_trap(int n, ma_str_t found, std::string_view text) {
    if (n < 0 || n > 2) __builtin_trap();
    if (n == 0) return;
    if (found.len == 0 || found.data < text.data() ||
        found.data + found.len > text.data() + text.size())
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::size_t nl = input.find('\n');
    std::string_view name = nl == std::string_view::npos ? std::string_view("apiKey") : input.substr(0, nl);
    std::string_view text = nl == std::string_view::npos ? input : input.substr(nl + 1);

    for (int flags = 0; flags < 4; flags++) (void) ma_path_check(str(text), str(text), flags);

    ma_str_t found = {nullptr, 0};
    if (ma_bearer_token(str(text), &found)) inside_or_trap(1, found, text);

    found = {nullptr, 0};
    inside_or_trap(ma_query_arg(str(text), str(name), &found), found, text);
    // the shim gives ma_query_without exactly args.len bytes; what is left
    // never holds the name as sent
    std::unique_ptr<char[]> rest(new char[text.size() ? text.size() : 1]);
    ma_str_t dropped = str(name);
    std::size_t left = ma_query_without(str(text), &dropped, 1, rest.get());
    if (left > text.size()) __builtin_trap();
    if (!name.empty() && name.find('&') == std::string_view::npos) {
        found = {nullptr, 0};
        if (ma_query_arg(ma_str_t{rest.get(), left}, str(name), &found) != 0) __builtin_trap();
    }

    found = {nullptr, 0};
    int n = ma_cookie_value(str(text), str(name), &found);
    inside_or_trap(n, found, text);

    // the shim gives ma_percent_decode exactly in.len bytes: a heap buffer
    // of that size lets ASan see any write past it
    ma_str_t in = n > 0 ? found : str(text);
    std::unique_ptr<char[]> out(new char[in.len ? in.len : 1]);
    long decoded = ma_percent_decode(in, out.get());
    if (decoded < -1 || decoded > static_cast<long>(in.len)) __builtin_trap();
    return 0;
}
