#include "mastra_auth/claims.h"

#include <cmath>
#include <limits>

namespace mastra_auth {

namespace {

// Latest time we accept in a NumericDate: 9999-12-31T23:59:59Z.  Larger
// numbers (1e300, overflowing ones) are refused, not clamped.
constexpr double kMaxNumericDate = 253402300799.0;

// A claim as read: absent, of the right type (and range), or not.
enum class Read { Absent, Valid, Invalid };

// RFC 7519 section 2: a NumericDate is a JSON number (fractions allowed);
// strings, booleans, null, arrays and negative or huge numbers are refused.
Read read_time(const JsonObjectScan &payload, std::string_view name, double &out) {
    const JsonMember *member = payload.find(name);
    if (member == nullptr) return Read::Absent;
    double v = 0;
    if (member->kind != JsonKind::Number || !json_number_value(member->value, v))
        return Read::Invalid;
    if (!std::isfinite(v) || v < 0 || v > kMaxNumericDate) return Read::Invalid;
    out = v;
    return Read::Valid;
}

// A string claim's text (a view into the payload, or into storage when it
// held escapes); Absent when missing, Invalid when not a string.
Read read_string(const JsonObjectScan &payload, std::string_view name, std::string &storage,
                 std::string_view &out) {
    const JsonMember *member = payload.find(name);
    if (member == nullptr) return Read::Absent;
    if (member->kind != JsonKind::String || !json_string_view(member->value, storage, out))
        return Read::Invalid;
    return Read::Valid;
}

bool has_control_byte(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

bool one_of(std::string_view value, const std::vector<std::string> &allowed) {
    for (const auto &a : allowed)
        if (value == a) return true;
    return false;
}

}  // namespace

Status check_claims(const JsonObjectScan &payload, const ClaimPolicy &policy, std::int64_t now,
                    std::int64_t *valid_until) noexcept {
    try {
        const double t = static_cast<double>(now);
        const double leeway = static_cast<double>(policy.leeway);

        double exp = 0, nbf = 0, iat = 0;
        Read has_exp = read_time(payload, "exp", exp);
        Read has_nbf = read_time(payload, "nbf", nbf);
        Read has_iat = read_time(payload, "iat", iat);
        if (has_exp == Read::Invalid || has_nbf == Read::Invalid ||
            has_iat == Read::Invalid)
            return Status::TokenMalformed;

        std::string sub_storage, iss_storage;
        std::string_view sub, iss;
        Read has_sub = read_string(payload, "sub", sub_storage, sub);
        Read has_iss = read_string(payload, "iss", iss_storage, iss);
        if (has_sub == Read::Invalid || has_iss == Read::Invalid)
            return Status::TokenMalformed;

        // A subject with control bytes names nobody sane, and would be one
        // step from a forged upstream header: refused.
        if (has_control_byte(sub)) return Status::TokenMalformed;

        // aud: a string or an array of strings.
        std::vector<std::string> audiences;
        const JsonMember *aud = payload.find("aud");
        if (aud != nullptr) {
            if (aud->kind == JsonKind::String) {
                audiences.emplace_back();
                if (!json_string_value(aud->value, audiences.back())) return Status::TokenMalformed;
            } else if (aud->kind == JsonKind::Array) {
                for (const JsonElement &element : json_array_elements(aud->value)) {
                    if (element.kind != JsonKind::String) return Status::TokenMalformed;
                    audiences.emplace_back();
                    if (!json_string_value(element.value, audiences.back()))
                        return Status::TokenMalformed;
                }
            } else {
                return Status::TokenMalformed;
            }
        }

        // exp: the token is valid strictly before exp (RFC 7519 section 4.1.4).
        if (has_exp == Read::Valid && !(t < exp + leeway)) return Status::TokenExpired;
        if (has_nbf == Read::Valid && t < nbf - leeway) return Status::TokenNotYetValid;
        // A token issued in the future was not issued by a sane clock.
        if (has_iat == Read::Valid && iat > t + leeway) return Status::TokenNotYetValid;

        if (!policy.issuers.empty()) {
            if (has_iss != Read::Valid || !one_of(iss, policy.issuers))
                return Status::IssuerMismatch;
        }

        if (!policy.audiences.empty()) {
            bool found = false;
            for (const auto &value : audiences)   // [] never matches
                found = found || one_of(value, policy.audiences);
            if (!found) return Status::AudienceMismatch;
        }

        if (valid_until != nullptr) {
            // now < exp + leeway holds exactly while now < ceil(exp + leeway).
            *valid_until = has_exp == Read::Valid
                               ? static_cast<std::int64_t>(std::ceil(exp + leeway))
                               : std::numeric_limits<std::int64_t>::max();
        }
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
