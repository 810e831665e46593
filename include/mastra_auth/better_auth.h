// Better Auth sessions (docs/better-auth.md): the pieces that need no network.
// A session token travels as "TOKEN.SIG", SIG being the standard base64 of
// HMAC-SHA256(secret, TOKEN); the cookie cache ("session_data") carries the
// session signed with the same secret; get-session answers with the session
// or null.
#ifndef MASTRA_AUTH_BETTER_AUTH_H
#define MASTRA_AUTH_BETTER_AUTH_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mastra_auth/identity.h"
#include "mastra_auth/status.h"

namespace mastra_auth {

// True when signed_token is "TOKEN.SIG" with SIG the 44-character padded
// standard base64 HMAC-SHA256 of TOKEN (compared in constant time); token
// is then the TOKEN part.
bool better_auth_signed_token(std::string_view signed_token, std::string_view secret,
                              std::string_view &token) noexcept;

// The longest cookie cache read (all its chunks together, percent-decoded).
inline constexpr std::size_t kMaxCookieCacheLength = 64 * 1024;

// The cookie cache (session_data, its chunks joined) in any of Better
// Auth's strategies: "compact", base64url JSON {"session":{...},
// "expiresAt":MS,"signature":S} with S the HMAC of the session; "jwt", an
// HS256 JWT signed with the secret; "jwe", encrypted (dir, A256CBC-HS512)
// under the key Better Auth derives from the secret.  Ok when it is
// verified, not past its end (expiresAt or exp, s), holds a live session
// whose token equals token, and its version ("1" when absent or empty)
// equals version ("1" when empty); identity then holds {"session":...,
// "user":...}, expires the earlier of the cache's and the session's ends.
// SessionInvalid when it is not Better Auth's (forged, damaged, another
// secret's); TokenExpired when it is, but past its end, of another version
// or session, or its session over: Better Auth then looks the session up.
// why says what did not hold, as the end of a sentence about the cookie
// ("has expired"), never with any of its value.
Status better_auth_session_data(std::string_view cookie, std::string_view secret,
                                std::string_view version, std::int64_t now,
                                std::string_view token, Identity &identity,
                                std::int64_t &expires, std::string_view &why) noexcept;

// An answer of GET /api/auth/get-session (or the cached identity text): Ok
// with the identity and the session's expiresAt in seconds, SessionInvalid
// for null or anything that is not a live session.  The identity never
// holds the session's token (see claims_view).
Status better_auth_session(std::string_view body, std::int64_t now, Identity &identity,
                           std::int64_t &expires) noexcept;

// A session the shared zone kept: the user and email an identity of
// better_auth_session had (header-safe) and its claims text, kept apart so
// that a request reads them without a scan.  SessionInvalid when user is
// empty (a session always has one).
Status better_auth_cached_session(std::string_view user, std::string_view email,
                                  std::string_view claims, Identity &identity) noexcept;

// Where a session's answer is kept in the shared zone: under
// SHA-256(base || credential), base being SHA-256 over a label, the
// location's Better Auth URL and its secret (made once per configuration).
// An entry is only ever made for a credential whose signature held, so one
// found under this key vouches for the signature with this secret, and an
// answer of one Better Auth server never answers for another.
bool better_auth_session_key_base(std::string_view url, std::string_view secret,
                                  unsigned char base[32]) noexcept;
bool better_auth_session_key(const unsigned char base[32], std::string_view credential,
                             unsigned char key[32]) noexcept;

// "2026-11-30T08:00:00.000Z" (or a number of milliseconds) in seconds.
// A verified JWT of Better Auth's jwt plugin, given the shape of a session
// to claim checks and variables: its user fields (the plugin puts them at
// the top level, with sub = the user id) also under "user", so that
// user.id, user.email, user.emailVerified ... read the same for a JWT as for
// a session.  The top-level claims stay; a token that has a "user" claim of
// its own (a custom definePayload) is left as it is.
void better_auth_jwt_shape(Identity &identity) noexcept;

bool parse_timestamp(const nlohmann::json &value, std::int64_t &seconds) noexcept;

}  // namespace mastra_auth

#endif
