#include "mastra_auth/claims.h"

#include <cmath>

namespace mastra_auth {

namespace {

// Latest time we accept in a NumericDate: 9999-12-31T23:59:59Z.  Larger
// numbers (1e300, overflowing ones) are refused, not clamped.
constexpr double kMaxNumericDate = 253402300799.0;

enum class TimeClaim { Absent, Valid, Invalid };

// RFC 7519 section 2: a NumericDate is a JSON number (fractions allowed);
// strings, booleans, null, arrays and negative or huge numbers are refused.
TimeClaim read_time(const nlohmann::json &payload, const char *name, double &out) {
    auto it = payload.find(name);
    if (it == payload.end()) return TimeClaim::Absent;
    if (!it->is_number()) return TimeClaim::Invalid;
    double v = it->get<double>();
    if (!std::isfinite(v) || v < 0 || v > kMaxNumericDate) return TimeClaim::Invalid;
    out = v;
    return TimeClaim::Valid;
}

bool is_string_or_absent(const nlohmann::json &payload, const char *name) {
    auto it = payload.find(name);
    return it == payload.end() || it->is_string();
}

}  // namespace

Status check_claims(const nlohmann::json &payload, const ClaimPolicy &policy,
                    std::int64_t now) noexcept {
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

        if (!is_string_or_absent(payload, "sub") || !is_string_or_absent(payload, "iss"))
            return Status::TokenMalformed;

        // A subject with control bytes names nobody sane, and would be one
        // step from a forged upstream header: refused.
        auto sub = payload.find("sub");
        if (sub != payload.end()) {
            for (char c : sub->get_ref<const std::string &>())
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Status::TokenMalformed;
        }

        auto aud = payload.find("aud");
        if (aud != payload.end() && !aud->is_string()) {
            if (!aud->is_array()) return Status::TokenMalformed;
            for (const auto &member : *aud)
                if (!member.is_string()) return Status::TokenMalformed;
        }

        // exp: the token is valid strictly before exp (RFC 7519 section 4.1.4).
        if (has_exp == TimeClaim::Valid && !(t < exp + leeway)) return Status::TokenExpired;
        if (has_nbf == TimeClaim::Valid && t < nbf - leeway) return Status::TokenNotYetValid;
        // A token issued in the future was not issued by a sane clock.
        if (has_iat == TimeClaim::Valid && iat > t + leeway) return Status::TokenNotYetValid;

        if (!policy.issuers.empty()) {
            auto iss = payload.find("iss");
            if (iss == payload.end()) return Status::IssuerMismatch;
            const auto &value = iss->get_ref<const std::string &>();
            bool found = false;
            for (const auto &issuer : policy.issuers) found = found || value == issuer;
            if (!found) return Status::IssuerMismatch;
        }

        if (!policy.audiences.empty()) {
            if (aud == payload.end()) return Status::AudienceMismatch;
            bool found = false;
            auto matches = [&](const std::string &value) {
                for (const auto &audience : policy.audiences)
                    if (value == audience) return true;
                return false;
            };
            if (aud->is_string()) {
                found = matches(aud->get_ref<const std::string &>());
            } else {
                for (const auto &member : *aud)   // [] never matches
                    found = found || matches(member.get_ref<const std::string &>());
            }
            if (!found) return Status::AudienceMismatch;
        }
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

}  // namespace mastra_auth
