#include "mastra_auth/base64url.h"

#include <array>
#include <cstdint>

namespace mastra_auth {

namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
    std::array<std::uint8_t, 256> table{};
    for (auto &entry : table) entry = kInvalid;
    for (std::uint8_t i = 0; i < 64; i++) table[static_cast<unsigned char>(kAlphabet[i])] = i;
    return table;
}

constexpr auto kDecode = make_decode_table();

}  // namespace

bool base64url_decode(std::string_view in, std::string &out) {
    // A remainder of one character cannot encode a whole byte.
    const std::size_t rest = in.size() % 4;
    if (rest == 1) return false;

    // Written in place, four characters to three bytes at a time: a token's
    // parts are decoded on every request.
    out.resize(in.size() / 4 * 3 + (rest ? rest - 1 : 0));
    auto *w = reinterpret_cast<unsigned char *>(out.data());
    const auto *p = reinterpret_cast<const unsigned char *>(in.data());
    const auto *whole_end = p + (in.size() - rest);

    // kInvalid ('=', '+', '/', whitespace, anything else) is the only table
    // entry with the high bit set.
    for (; p < whole_end; p += 4, w += 3) {
        std::uint32_t a = kDecode[p[0]], b = kDecode[p[1]], c = kDecode[p[2]], d = kDecode[p[3]];
        if ((a | b | c | d) & 0x80) {
            out.clear();
            return false;
        }
        std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
        w[0] = static_cast<unsigned char>(v >> 16);
        w[1] = static_cast<unsigned char>(v >> 8);
        w[2] = static_cast<unsigned char>(v);
    }
    if (rest == 0) return true;

    // Two or three characters left: one or two bytes, and the unused low
    // bits of the last character must be zero (RFC 4648 section 3.5), or
    // two encodings would decode to one value.
    std::uint32_t a = kDecode[p[0]], b = kDecode[p[1]], c = rest == 3 ? kDecode[p[2]] : 0;
    bool ok = ((a | b | c) & 0x80) == 0 && (rest == 2 ? (b & 0x0f) == 0 : (c & 0x03) == 0);
    if (!ok) {
        out.clear();
        return false;
    }
    std::uint32_t v = a << 18 | b << 12 | c << 6;
    w[0] = static_cast<unsigned char>(v >> 16);
    if (rest == 3) w[1] = static_cast<unsigned char>(v >> 8);
    return true;
}

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::uint32_t bits = 0;
    int nbits = 0;
    for (unsigned char c : in) {
        bits = (bits << 8) | c;
        nbits += 8;
        while (nbits >= 6) {
            nbits -= 6;
            out.push_back(kAlphabet[(bits >> nbits) & 0x3f]);
        }
    }
    if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3f]);
    return out;
}

}  // namespace mastra_auth
