#include "mastra_auth/claims.h"

#include <cmath>
#include <limits>

namespace mastra_auth {

namespace {

// Latest time we accept in a NumericDate: 9999-12-31T23:59:59Z.  Larger
// numbers (1e300, overflowing ones) are refused, not clamped.
constexpr double kMaxNumericDate = 253402300799.0;

enum class TimeClaim { Absent, Valid, Invalid };

// RFC 7519 section 2: a NumericDate is a JSON number (fractions allowed);
// strings, booleans, null, arrays and negative or huge numbers are refused.
TimeClaim read_time(const JsonObjectScan &payload, std::string_view name, double &out) {
    const JsonMember *member = payload.find(name);
    if (member == nullptr) return TimeClaim::Absent;
    double v = 0;
    if (member->kind != JsonKind::Number || !json_number_value(member->value, v))
        return TimeClaim::Invalid;
    if (!std::isfinite(v) || v < 0 || v > kMaxNumericDate) return TimeClaim::Invalid;
    out = v;
    return TimeClaim::Valid;
}

// A string claim's text; Absent when missing, Invalid when not a string.
TimeClaim read_string(const JsonObjectScan &payload, std::string_view name, std::string &out) {
    const JsonMember *member = payload.find(name);
    if (member == nullptr) return TimeClaim::Absent;
    if (member->kind != JsonKind::String || !json_string_value(member->value, out))
        return TimeClaim::Invalid;
    return TimeClaim::Valid;
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
        TimeClaim has_exp = read_time(payload, "exp", exp);
        TimeClaim has_nbf = read_time(payload, "nbf", nbf);
        TimeClaim has_iat = read_time(payload, "iat", iat);
        if (has_exp == TimeClaim::Invalid || has_nbf == TimeClaim::Invalid ||
            has_iat == TimeClaim::Invalid)
            return Status::TokenMalformed;

        std::string sub, iss;
        TimeClaim has_sub = read_string(payload, "sub", sub);
        TimeClaim has_iss = read_string(payload, "iss", iss);
        if (has_sub == TimeClaim::Invalid || has_iss == TimeClaim::Invalid)
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
        if (has_exp == TimeClaim::Valid && !(t < exp + leeway)) return Status::TokenExpired;
        if (has_nbf == TimeClaim::Valid && t < nbf - leeway) return Status::TokenNotYetValid;
        // A token issued in the future was not issued by a sane clock.
        if (has_iat == TimeClaim::Valid && iat > t + leeway) return Status::TokenNotYetValid;

        if (!policy.issuers.empty()) {
            if (has_iss != TimeClaim::Valid || !one_of(iss, policy.issuers))
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
            *valid_until = has_exp == TimeClaim::Valid
                               ? static_cast<std::int64_t>(std::ceil(exp + leeway))
                               : std::numeric_limits<std::int64_t>::max();
        }
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
