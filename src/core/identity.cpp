#include "mastra_auth/identity.h"

#include <algorithm>

#include <strings.h>

namespace mastra_auth {

void Identity::set_claims_text(std::string text) {
    source_ = std::move(text);
    state_ = State::Text;
    parsed_ = false;
    rendered_text_ = false;
}

void Identity::set_claims(nlohmann::json claims) {
    claims_ = std::move(claims);
    source_.clear();
    state_ = State::Document;
    parsed_ = true;
    rendered_text_ = false;
}

const nlohmann::json &Identity::claims() const {
    if (!parsed_) {
        parsed_ = true;
        // The text passed the strict scan before it was set here; this parse
        // (without its callbacks) accepts all the scan accepts.
        claims_ = nlohmann::json::parse(source_, nullptr, /*allow_exceptions=*/false);
        if (!claims_.is_object()) claims_ = nullptr;
    }
    return claims_;
}

const std::string &Identity::claims_text() const {
    if (!rendered_text_) {
        rendered_text_ = true;
        claims_text_.clear();
        const nlohmann::json &doc = claims();
        if (doc.is_object()) {
            claims_text_ = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            // JSON escapes every control byte but DEL; a header value may not hold it.
            for (std::size_t at = claims_text_.find('\x7f'); at != std::string::npos;
                 at = claims_text_.find('\x7f', at))
                claims_text_.replace(at, 1, "\\u007f");
        }
    }
    return claims_text_;
}

const nlohmann::json *Identity::find_claim(std::string_view name) const noexcept {
    try {
        const nlohmann::json &doc = claims();
        if (!doc.is_object()) return nullptr;
        auto exact = doc.find(std::string(name));
        if (exact != doc.end()) return &*exact;
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            const std::string &key = it.key();
            if (key.size() == name.size() &&
                strncasecmp(key.data(), name.data(), name.size()) == 0)
                return &it.value();
        }
    } catch (...) {
    }
    return nullptr;
}

std::string log_safe(std::string_view value) {
    constexpr std::size_t kMaxLogValue = 64;
    std::string out(value.substr(0, kMaxLogValue));
    for (char &c : out)
        if (c < 0x20 || c > 0x7e || c == '"') c = '?';
    if (value.size() > kMaxLogValue) out += "...";
    return out;
}

std::string header_safe(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    auto is_control = [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
    };
    // Most values have nothing to encode: one copy, no byte-by-byte append.
    if (std::none_of(value.begin(), value.end(), is_control)) return std::string(value);
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f) {
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

std::string claim_text(const nlohmann::json &value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        bool all_strings = true;
        for (const auto &member : value) all_strings = all_strings && member.is_string();
        if (all_strings) {
            std::string joined;
            bool first = true;
            for (const auto &member : value) {
                if (!first) joined += ',';
                joined += member.get_ref<const std::string &>();
                first = false;
            }
            return joined;
        }
    }
    // Numbers, booleans, null, objects and mixed arrays: compact JSON.  Depth
    // is bounded by the parser, so dump() cannot recurse too far.
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mastra_auth
