#include "mastra_auth/better_auth.h"

#include <ctime>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mastra_auth/base64url.h"
#include "mastra_auth/hmac.h"
#include "mastra_auth/json_strict.h"
#include "mastra_auth/jwe.h"

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

namespace {

// The JWE key of a secret, as Better Auth derives it for the cookie cache
// (HKDF-SHA256, salt "better-auth-session"), and its thumbprint (the kid it
// writes): made once per thread for the last secret seen.
bool jwe_key(std::string_view secret, std::string &key, std::string &kid) {
    thread_local std::string last, last_key, last_kid;
    if (last_key.empty() || !equal_in_constant_time(last, secret)) {
        unsigned char derived[64];
        if (!hkdf_sha256(secret, "better-auth-session", "BetterAuth.js Generated Encryption Key",
                         derived, sizeof derived))
            return false;
        OPENSSL_cleanse(last.data(), last.size());
        OPENSSL_cleanse(last_key.data(), last_key.size());
        last.assign(secret);
        last_key.assign(reinterpret_cast<const char *>(derived), sizeof derived);
        OPENSSL_cleanse(derived, sizeof derived);
        last_kid = oct_jwk_thumbprint(last_key);
    }
    key = last_key;
    kid = last_kid;
    return true;
}

// Not Better Auth's (forged, damaged, of another secret): refused.
Status refuse(std::string_view &why, std::string_view reason) {
    why = reason;
    return Status::SessionInvalid;
}

// Better Auth's, but not to be used now: as Better Auth does, the session
// is then looked up (get-session).
Status stale(std::string_view &why, std::string_view reason) {
    why = reason;
    return Status::TokenExpired;
}

// Strategy "jwt": an HS256 JWS signed with the secret itself.  Read here
// (not by parse_jwt) because a chunked cache is longer than any token.
Status jwt_payload(std::string_view cookie, std::string_view secret, std::string &payload_text,
                   std::string_view &why) {
    std::size_t first = cookie.find('.');
    std::size_t second = cookie.rfind('.');
    std::string header_text, signature;
    nlohmann::json header;
    if (first == std::string_view::npos || first == second ||
        !base64url_decode(cookie.substr(0, first), header_text) ||
        !base64url_decode(cookie.substr(first + 1, second - first - 1), payload_text) ||
        !base64url_decode(cookie.substr(second + 1), signature) ||
        !parse_json_object(header_text, header))
        return refuse(why, "is not a JWT");
    // The jwt plugin's sessionCookieCache signs with its own keys (EdDSA by
    // default): not read here, the session is asked for instead.
    auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string()) return refuse(why, "is a JWT without alg");
    static const char *const kPluginAlgorithms[] = {"EdDSA", "ES256", "ES384", "ES512", "RS256",
                                                    "RS384", "RS512", "PS256", "PS384", "PS512"};
    for (const char *plugin : kPluginAlgorithms)
        if (*alg == plugin) return stale(why, "is a JWT signed with the jwt plugin's keys: not read");
    if (*alg != "HS256") return refuse(why, "is a JWT whose header is not Better Auth's");
    for (const auto &[name, value] : header.items()) {
        if (!(name == "alg" || (name == "typ" && value.is_string())))
            return refuse(why, "is a JWT whose header is not Better Auth's");
    }
    std::string_view input = cookie.substr(0, second);
    const HmacKey *key = prepared_secret(secret);
    bool ok = key ? key->verify(Algorithm::HS256, input, signature)
                  : hmac_verify(Algorithm::HS256, secret, input, signature);
    if (!ok) return refuse(why, "has a signature that does not hold");
    return Status::Ok;
}

// exp (seconds) of a JWT or JWE payload, which jose requires and checks;
// nbf and iat, when present, must be numbers, nbf not in the future.
bool jwt_times(const nlohmann::json &payload, std::int64_t now, std::int64_t &end) {
    auto exp = payload.find("exp");
    if (exp == payload.end() || !exp->is_number()) return false;
    double e = exp->get<double>();
    if (!(e > 0 && e < 253402300800.0)) return false;
    end = static_cast<std::int64_t>(e);
    auto nbf = payload.find("nbf");
    if (nbf != payload.end() && (!nbf->is_number() || nbf->get<double>() > static_cast<double>(now)))
        return false;
    auto iat = payload.find("iat");
    return iat == payload.end() || iat->is_number();
}

}  // namespace

Status better_auth_session_data(std::string_view cookie, std::string_view secret,
                                std::string_view version, std::int64_t now,
                                std::string_view token, Identity &identity,
                                std::int64_t &expires, std::string_view &why) noexcept {
    try {
        why = "";
        if (cookie.empty()) return refuse(why, "is empty");
        if (cookie.size() > kMaxCookieCacheLength) return stale(why, "is too long");

        // Better Auth's three strategies, told apart by their shape:
        // "compact" has no dot, "jwt" two, "jwe" four.
        std::size_t dots = 0;
        for (char c : cookie) dots += c == '.';

        std::string text;
        nlohmann::json outer;
        const nlohmann::json *payload = nullptr;
        std::int64_t cache_end = 0;

        if (dots == 0) {
            if (!base64url_decode(cookie, text) || !parse_json_object(text, outer))
                return refuse(why, "is not a cookie cache");

            auto signature = outer.find("signature");
            auto expires_at = outer.find("expiresAt");
            auto session = outer.find("session");
            if (signature == outer.end() || !signature->is_string() ||
                expires_at == outer.end() || !expires_at->is_number_integer() ||
                session == outer.end() || !session->is_object())
                return refuse(why, "is not a cookie cache");

            // The signed bytes are the session object's own JSON text with
            // ',"expiresAt":N' before its closing brace: taken from the
            // cookie as sent, never re-serialised (key order and number
            // forms would differ from JavaScript's JSON.stringify).
            constexpr std::string_view kPrefix = "{\"session\":";
            std::size_t end = 0;
            if (text.compare(0, kPrefix.size(), kPrefix) != 0 ||
                !value_span(text, kPrefix.size(), end))
                return refuse(why, "is not a cookie cache");
            std::string signed_text = text.substr(kPrefix.size(), end - kPrefix.size() - 1) +
                                      ",\"expiresAt\":" + expires_at->dump() + "}";
            std::string mac = hmac_sign(Algorithm::HS256, secret, signed_text);
            if (mac.empty() || !equal_in_constant_time(base64url_encode(mac),
                                                       signature->get_ref<const std::string &>()))
                return refuse(why, "has a signature that does not hold");
            cache_end = expires_at->get<std::int64_t>() / 1000;
            payload = &*session;

        } else if (dots == 2) {
            Status rc = jwt_payload(cookie, secret, text, why);
            if (rc != Status::Ok) return rc;
            if (!parse_json_object(text, outer) || !jwt_times(outer, now, cache_end))
                return refuse(why, "is a JWT without valid times");
            payload = &outer;

        } else if (dots == 4) {
            std::string key, kid;
            if (!jwe_key(secret, key, kid)) return refuse(why, "could not be decrypted");
            std::string_view jwe_why;
            bool ok = jwe_decrypt(cookie, key, kid, text, jwe_why);
            OPENSSL_cleanse(key.data(), key.size());
            if (!ok) {
                why = jwe_why == "a JWE whose tag does not hold"
                          ? "is a JWE that does not decrypt with the secret"
                          : "is not a JWE Better Auth writes";
                return Status::SessionInvalid;
            }
            if (!parse_json_object(text, outer) || !jwt_times(outer, now, cache_end))
                return refuse(why, "is a JWE without valid times");
            payload = &outer;

        } else {
            return refuse(why, "is not a cookie cache");
        }

        if (cache_end <= now) return stale(why, "has expired");

        // {"session":{...},"user":{...},"updatedAt":N,"version":V}: the
        // cached session must be the one of the session token that came
        // with it, of the version Better Auth expects, and not over.
        const nlohmann::json &inner = *payload;
        auto updated = inner.find("updatedAt");
        if (!is_live_session(inner) || updated == inner.end() || !updated->is_number())
            return stale(why, "holds no session");
        auto session_token = inner["session"].find("token");
        if (session_token == inner["session"].end() || !session_token->is_string() ||
            !equal_in_constant_time(session_token->get_ref<const std::string &>(), token))
            return stale(why, "belongs to another session");

        // Better Auth compares (version || "1") with its own, "1" unless set
        std::string_view expected = version.empty() ? std::string_view("1") : version;
        std::string_view found = "1";
        auto v = inner.find("version");
        if (v != inner.end()) {
            if (!v->is_string()) return stale(why, "holds no session");
            if (!v->get_ref<const std::string &>().empty()) found = v->get_ref<const std::string &>();
        }
        if (found != expected) return stale(why, "is of another version");

        std::int64_t session_end = 0;
        auto session_expires = inner["session"].find("expiresAt");
        if (session_expires == inner["session"].end() ||
            !parse_timestamp(*session_expires, session_end))
            return stale(why, "holds no session");
        if (session_end <= now) return stale(why, "holds a session that has ended");

        fill_identity(claims_view(inner["session"], inner["user"]), identity);
        expires = std::min(cache_end, session_end);
        return Status::Ok;
    } catch (...) {
        return refuse(why, "could not be read");
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
