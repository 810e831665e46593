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
    if (in.size() % 4 == 1) return false;

    // Written in place (push_back per byte cost more than the decoding).
    out.resize(in.size() / 4 * 3 + (in.size() % 4 ? in.size() % 4 - 1 : 0));
    char *w = out.data();

    std::uint32_t bits = 0;
    int nbits = 0;
    for (unsigned char c : in) {
        std::uint8_t v = kDecode[c];
        if (v == kInvalid) {   // '=', '+', '/', whitespace, anything else
            out.clear();
            return false;
        }
        bits = (bits << 6) | v;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            *w++ = static_cast<char>((bits >> nbits) & 0xff);
        }
    }
    // The unused low bits of the last character must be zero (RFC 4648
    // section 3.5): otherwise two encodings decode to one value.
    return (bits & ((1u << nbits) - 1)) == 0;
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
