#include "mastra_auth/forward.h"

#include <openssl/crypto.h>

#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"

namespace mastra_auth {

Forwarder::~Forwarder() {
    if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::string Forwarder::mint(const Identity &identity, std::int64_t now) const {
    const nlohmann::json &payload = identity.claims();
    if (!payload.is_object()) return {};

    nlohmann::json claims = nlohmann::json::object();
    // The listed claims first, so that the registered ones below win.
    for (const auto &name : claims_) {
        auto it = payload.find(name);
        if (it != payload.end()) claims[name] = *it;
    }
    // The raw values, not the header-safe variable texts: this is JSON.
    auto sub = payload.find("sub");
    if (sub != payload.end() && sub->is_string()) claims["sub"] = *sub;
    else if (!identity.user.empty()) claims["sub"] = identity.user;
    auto email = payload.find("email");
    if (email != payload.end() && email->is_string()) claims["email"] = *email;
    else if (!identity.email.empty()) claims["email"] = identity.email;
    claims["iss"] = kForwardIssuer;
    claims["iat"] = now;
    claims["exp"] = now + ttl_;

    static const std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    std::string input = header + "." +
                        base64url_encode(claims.dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace));
    std::string mac = hmac_sign(Algorithm::HS256, secret_, input);
    if (mac.empty()) return {};
    return input + "." + base64url_encode(mac);
}

}  // namespace mastra_auth
