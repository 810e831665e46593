#include "mastra_auth/better_auth.h"

#include <ctime>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/json_strict.h"

namespace mastra_auth {

namespace {

// Standard base64 with padding, as Better Auth's cookie signatures use.
std::string base64_standard(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

// The HMAC key of a Better Auth secret, made ready once per thread for the
// last secret seen (a configuration has one, or very few): the one-shot
// HMAC() cost more than the rest of a session request answered from the zone.
const HmacKey *prepared_secret(std::string_view secret) {
    thread_local std::string last;
    thread_local std::shared_ptr<const HmacKey> key;
    if (!key || last.size() != secret.size() ||
        CRYPTO_memcmp(last.data(), secret.data(), secret.size()) != 0) {
        key = HmacKey::prepare(secret, bit_of(Algorithm::HS256));
        OPENSSL_cleanse(last.data(), last.size());
        last.assign(secret);
    }
    return key.get();
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The exact text of a JSON value starting at text[at] (an object here):
// strings are skipped with their escapes, braces and brackets counted.
bool value_span(std::string_view text, std::size_t at, std::size_t &end) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = at; i < text.size(); i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (--depth == 0) {
                end = i + 1;
                return true;
            }
        }
    }
    return false;
}

// {"session":{...},"user":{...}} as claims see it, without the session's
// own token: Better Auth's bearer plugin accepts a bare TOKEN, so it must
// never reach a variable, a forwarded token, a log or the shared zone.
nlohmann::json claims_view(const nlohmann::json &session, const nlohmann::json &user) {
    nlohmann::json view = {{"session", session}, {"user", user}};
    view["session"].erase("token");
    return view;
}

void fill_identity(const nlohmann::json &session, Identity &identity) {
    const auto &user = session.at("user");
    auto id = user.find("id");
    if (id != user.end() && id->is_string()) identity.user = header_safe(id->get_ref<const std::string &>());
    auto email = user.find("email");
    if (email != user.end() && email->is_string())
        identity.email = header_safe(email->get_ref<const std::string &>());
    identity.set_claims(session);
}

bool is_live_session(const nlohmann::json &session) {
    return session.is_object() && session.contains("session") && session["session"].is_object() &&
           session.contains("user") && session["user"].is_object() && session["user"].contains("id") &&
           session["user"]["id"].is_string() &&
           !session["user"]["id"].get_ref<const std::string &>().empty();   // a user without an id is none
}

}  // namespace

void better_auth_jwt_shape(Identity &identity) noexcept {
    try {
        const nlohmann::json &claims = identity.claims();
        if (!claims.is_object() || claims.contains("user")) return;
        // The registered JWT claims are the token's, the rest the user's.
        static constexpr std::string_view kRegistered[] = {"iss", "sub", "aud", "exp",
                                                          "nbf", "iat", "jti"};
        nlohmann::json user = nlohmann::json::object();
        for (auto it = claims.begin(); it != claims.end(); ++it) {
            bool registered = false;
            for (std::string_view name : kRegistered) registered = registered || it.key() == name;
            if (!registered) user[it.key()] = it.value();
        }
        auto sub = claims.find("sub");
        if (!user.contains("id") && sub != claims.end() && sub->is_string()) user["id"] = *sub;
        nlohmann::json shaped = claims;
        shaped["user"] = std::move(user);
        identity.set_claims(std::move(shaped));
    } catch (...) {
        // left as verified: top-level claims only (checks on user.* fail)
    }
}

bool parse_timestamp(const nlohmann::json &value, std::int64_t &seconds) noexcept {
    try {
        if (value.is_number()) {
            double ms = value.get<double>();
            if (!(ms >= 0 && ms < 253402300800000.0)) return false;
            seconds = static_cast<std::int64_t>(ms / 1000);
            return true;
        }
        if (!value.is_string()) return false;
        const std::string &s = value.get_ref<const std::string &>();
        std::tm tm{};
        int year, month, day, hour, minute, second;
        char t;
        // "YYYY-MM-DDTHH:MM:SS" then ".fff" and "Z" (JavaScript's toISOString).
        if (s.empty() || s.back() != 'Z' ||
            std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &month, &day, &t, &hour,
                        &minute, &second) != 7 ||
            t != 'T')
            return false;
        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;
        time_t epoch = timegm(&tm);
        if (epoch == static_cast<time_t>(-1)) return false;
        seconds = static_cast<std::int64_t>(epoch);
        return true;
    } catch (...) {
        return false;
    }
}

bool better_auth_signed_token(std::string_view signed_token, std::string_view secret,
                              std::string_view &token) noexcept {
    try {
        std::size_t dot = signed_token.rfind('.');
        if (dot == std::string_view::npos || dot == 0 || secret.empty()) return false;
        std::string_view signature = signed_token.substr(dot + 1);
        // Better Auth's own reader wants exactly this shape (44 chars, '=').
        if (signature.size() != 44 || signature.back() != '=') return false;
        std::string_view value = signed_token.substr(0, dot);
        // The 32 bytes the signature spells, refused unless spelled the one
        // canonical way; then compared in constant time.
        unsigned char raw[33];
        if (EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char *>(signature.data()), 44) != 33)
            return false;
        std::string_view mac(reinterpret_cast<const char *>(raw), 32);
        if (base64_standard(mac) != signature) return false;
        const HmacKey *key = prepared_secret(secret);
        bool ok = key ? key->verify(Algorithm::HS256, value, mac)
                      : hmac_verify(Algorithm::HS256, secret, value, mac);
        if (ok) token = value;
        return ok;
    } catch (...) {
        return false;
    }
}

Status better_auth_session_data(std::string_view cookie, std::string_view secret,
                                std::int64_t now, std::string_view token, Identity &identity,
                                std::int64_t &expires) noexcept {
    try {
        std::string text;
        nlohmann::json outer;
        if (cookie.empty() || cookie.size() > 16384 || !base64url_decode(cookie, text) ||
            !parse_json_object(text, outer))
            return Status::SessionInvalid;

        auto signature = outer.find("signature");
        auto expires_at = outer.find("expiresAt");
        auto session = outer.find("session");
        if (signature == outer.end() || !signature->is_string() || expires_at == outer.end() ||
            !expires_at->is_number_integer() || session == outer.end() || !session->is_object())
            return Status::SessionInvalid;

        // The signed bytes are the session object's own JSON text with
        // ',"expiresAt":N' before its closing brace: taken from the cookie
        // as sent, never re-serialised (key order and number forms would
        // differ from JavaScript's JSON.stringify).
        constexpr std::string_view kPrefix = "{\"session\":";
        std::size_t end = 0;
        if (text.compare(0, kPrefix.size(), kPrefix) != 0 || !value_span(text, kPrefix.size(), end))
            return Status::SessionInvalid;
        std::string signed_text = text.substr(kPrefix.size(), end - kPrefix.size() - 1) +
                                  ",\"expiresAt\":" + expires_at->dump() + "}";
        std::string mac = hmac_sign(Algorithm::HS256, secret, signed_text);
        bool ok = !mac.empty() &&
                  equal_in_constant_time(base64url_encode(mac),
                                         signature->get_ref<const std::string &>());
        if (!ok) return Status::SessionInvalid;

        std::int64_t cache_end = expires_at->get<std::int64_t>() / 1000;
        if (cache_end <= now) return Status::SessionInvalid;

        // {"session":{"session":{...},"user":{...},...}}: the cached session
        // must be the one of the session token that came with it.
        const nlohmann::json &inner = *session;
        if (!is_live_session(inner)) return Status::SessionInvalid;
        auto session_token = inner["session"].find("token");
        if (session_token == inner["session"].end() || !session_token->is_string() ||
            !equal_in_constant_time(session_token->get_ref<const std::string &>(), token))
            return Status::SessionInvalid;

        std::int64_t session_end = 0;
        auto session_expires = inner["session"].find("expiresAt");
        if (session_expires != inner["session"].end() && parse_timestamp(*session_expires, session_end) &&
            session_end <= now)
            return Status::SessionInvalid;

        fill_identity(claims_view(inner["session"], inner["user"]), identity);
        expires = session_end > 0 ? std::min(cache_end, session_end) : cache_end;
        return Status::Ok;
    } catch (...) {
        return Status::SessionInvalid;
    }
}

Status better_auth_session(std::string_view body, std::int64_t now, Identity &identity,
                           std::int64_t &expires) noexcept {
    try {
        nlohmann::json session;
        if (!parse_json_object(body, session) || !is_live_session(session))
            return Status::SessionInvalid;   // "null" and errors included
        auto session_expires = session["session"].find("expiresAt");
        if (session_expires == session["session"].end() ||
            !parse_timestamp(*session_expires, expires) || expires <= now)
            return Status::SessionInvalid;
        fill_identity(claims_view(session["session"], session["user"]), identity);
        return Status::Ok;
    } catch (...) {
        return Status::SessionInvalid;
    }
}

Status better_auth_cached_session(std::string_view user, std::string_view email,
                                  std::string_view claims, Identity &identity) noexcept {
    try {
        // Kept apart by the zone, as better_auth_session made them (user and
        // email header-safe already): nothing to scan per request; a claim
        // asked for later is parsed strictly, from the claims text.
        if (user.empty()) return Status::SessionInvalid;
        identity.user.assign(user);
        identity.email.assign(email);
        identity.set_claims_text(std::string(claims));
        return Status::Ok;
    } catch (...) {
        return Status::InternalError;
    }
}

bool better_auth_session_key_base(std::string_view url, std::string_view secret,
                                  unsigned char base[32]) noexcept {
    try {
        // The label keeps these hashes apart from any other of the secret;
        // the NUL ends the URL, which holds none (a parsed URL).
        std::string label = "nginx-mastra-auth better-auth session key";
        label.push_back('\0');
        label.append(url);
        label.push_back('\0');
        unsigned int len = 0;
        return sha2_hash(Algorithm::HS256, label, secret, base, len) && len == 32;
    } catch (...) {
        return false;
    }
}

bool better_auth_session_key(const unsigned char base[32], std::string_view credential,
                             unsigned char key[32]) noexcept {
    unsigned int len = 0;
    return sha2_hash(Algorithm::HS256, std::string_view(reinterpret_cast<const char *>(base), 32),
                     credential, key, len) &&
           len == 32;
}

}  // namespace mastra_auth
