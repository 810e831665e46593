/*
 * The seam between the nginx shim (C) and the verification core (C++).
 *
 * Rules of the seam:
 *  - opaque handles, created and freed by the core; the shim frees them from
 *    pool cleanups and never touches their insides;
 *  - strings are {data, len} views; a view returned by the core stays valid
 *    as long as the handle it came from;
 *  - every function is noexcept on the C++ side: failures come back as an
 *    ma_status_t, never as an exception;
 *  - the core never reads the clock: "now" is passed in (seconds since epoch).
 */

#ifndef MASTRA_AUTH_API_H
#define MASTRA_AUTH_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef struct {
    const char  *data;
    size_t       len;
} ma_str_t;


/* Outcomes; the reason codes are those of $mastra_auth_error
 * (docs/answers.md). */
typedef enum {
    MA_OK = 0,
    MA_TOKEN_MISSING,
    MA_TOKEN_MALFORMED,
    MA_BAD_SIGNATURE,
    MA_TOKEN_EXPIRED,
    MA_TOKEN_NOT_YET_VALID,
    MA_ISSUER_MISMATCH,
    MA_AUDIENCE_MISMATCH,
    MA_UNKNOWN_KEY,
    MA_ALGORITHM_NOT_ALLOWED,
    MA_CLAIM_FAILED,
    MA_RULE_DENIED,
    MA_KEYS_UNAVAILABLE,
    MA_SESSION_INVALID,
    MA_BAD_PATH,
    MA_BETTER_AUTH_UNAVAILABLE,   /* get-session failed or timed out */
    MA_CONFIG_INVALID,     /* a configuration value was refused */
    MA_INTERNAL_ERROR,     /* out of memory or an unexpected failure */
    MA_SCOPE_MISSING       /* a mastra_auth_scope is not granted */
} ma_status_t;

/* The last status: tables indexed by status (the metrics) are sized by it. */
#define MA_STATUS_LAST  MA_SCOPE_MISSING

/* The reason code of a status, e.g. "token_expired"; never NULL. */
const char *ma_status_code(ma_status_t status);


/* Algorithms, as a bit set (mastra_auth_algorithms). */
enum {
    MA_ALG_HS256 = 1u << 0,
    MA_ALG_HS384 = 1u << 1,
    MA_ALG_HS512 = 1u << 2,
    MA_ALG_RS256 = 1u << 3,
    MA_ALG_RS384 = 1u << 4,
    MA_ALG_RS512 = 1u << 5,
    MA_ALG_PS256 = 1u << 6,
    MA_ALG_PS384 = 1u << 7,
    MA_ALG_PS512 = 1u << 8,
    MA_ALG_ES256 = 1u << 9,
    MA_ALG_ES384 = 1u << 10,
    MA_ALG_ES512 = 1u << 11,
    MA_ALG_EDDSA = 1u << 12,

    MA_ALG_HMAC = MA_ALG_HS256 | MA_ALG_HS384 | MA_ALG_HS512
};

/* The bit of one algorithm name (exact, case-sensitive; "Ed25519" is
 * EdDSA), 0 if unknown: "none" never has one. */
unsigned ma_algorithm_bit(ma_str_t name);

/* The minimal secret length (bytes) for the strongest HMAC in a set. */
size_t ma_hmac_min_secret_len(unsigned algorithms);


/* ---- identities: what a verified token or session says ---- */

typedef struct ma_identity_s  ma_identity_t;

void ma_identity_free(ma_identity_t *identity);

/* After MA_OK: the first second at which the token is no longer valid by
 * its exp (with the leeway); INT64_MAX when it has none. */
int64_t ma_identity_valid_until(const ma_identity_t *identity);

/* Header fields for the log line (empty when absent). */
ma_str_t ma_identity_alg(const ma_identity_t *identity);
ma_str_t ma_identity_kid(const ma_identity_t *identity);
ma_str_t ma_identity_iss(const ma_identity_t *identity);

/* "sub" and "email" when they are strings, else empty. */
ma_str_t ma_identity_user(const ma_identity_t *identity);
ma_str_t ma_identity_email(const ma_identity_t *identity);

/* The verified claims as compact JSON. */
ma_str_t ma_identity_payload(const ma_identity_t *identity);

/*
 * A top-level claim as text (docs/variables.md): strings as they are, numbers
 * and booleans as JSON text, arrays of strings joined with ",", other values
 * as compact JSON; empty when absent.  The name is matched exactly first, then
 * ignoring ASCII case (nginx lower-cases variable names).
 */
ma_str_t ma_identity_claim_text(ma_identity_t *identity, ma_str_t name);

/*
 * A claim path (mastra_auth_claim_set): dots separate levels, a name in
 * double quotes is taken whole, as for ma_condition_create.  Its value as
 * text follows the rules of ma_identity_claim_text, names matched exactly.
 */
typedef struct ma_claim_path_s  ma_claim_path_t;

ma_status_t ma_claim_path_create(ma_str_t text, ma_claim_path_t **out,
    char *err, size_t errlen);
void ma_claim_path_free(ma_claim_path_t *path);
ma_str_t ma_identity_claim_path_text(ma_identity_t *identity,
    const ma_claim_path_t *path);


/* ---- key sets and the JWS verifier: the JWKS-based providers ---- */

typedef struct ma_keyset_s       ma_keyset_t;
typedef struct ma_jws_verifier_s ma_jws_verifier_t;

/*
 * Parses a JWK Set document (remote != 0: no private members, no "oct"
 * keys), a single PEM public key, or an HMAC secret as a key (oct, kid-less,
 * for the algorithms in "algorithms": the jwt provider's whole key set, a
 * Supabase legacy secret).  A secret is refused unless the algorithms are
 * HMAC ones only and it is as long as the strongest of them needs (RFC 7518
 * 3.2).  On failure err says why.  Unusable members of a set are skipped:
 * ma_keyset_skipped() names them, for one log line each.
 */
ma_status_t ma_keyset_parse_jwks(ma_str_t text, int remote, ma_keyset_t **out,
    char *err, size_t errlen);
ma_status_t ma_keyset_parse_pem(ma_str_t text, ma_keyset_t **out,
    char *err, size_t errlen);
ma_status_t ma_keyset_from_secret(ma_str_t secret, unsigned algorithms,
    ma_keyset_t **out, char *err, size_t errlen);
void ma_keyset_free(ma_keyset_t *set);
size_t ma_keyset_size(const ma_keyset_t *set);
size_t ma_keyset_skipped_count(const ma_keyset_t *set);
ma_str_t ma_keyset_skipped(const ma_keyset_t *set, size_t i);

/* The algorithms the keys of a set allow, as an MA_ALG_* set. */
unsigned ma_keyset_algorithms(const ma_keyset_t *set);

typedef struct {
    unsigned         algorithms;      /* MA_ALG_* set, never 0 */
    int64_t          leeway;
    const ma_str_t  *issuers;
    size_t           nissuers;
    const ma_str_t  *audiences;
    size_t           naudiences;
} ma_jws_options_t;

ma_status_t ma_jws_verifier_create(const ma_jws_options_t *options,
    ma_jws_verifier_t **out, char *err, size_t errlen);
void ma_jws_verifier_free(ma_jws_verifier_t *verifier);

/* What the sets handed to ma_jws_verify are. */
typedef enum {
    MA_KEYS_FIXED = 0,   /* configured keys only: a missing kid never comes */
    MA_KEYS_FETCHED,     /* and every key server's set, as last fetched */
    MA_KEYS_PENDING      /* some key server's set is not fetched yet */
} ma_key_supply_t;

/*
 * Verifies a compact JWS at time now against the union of nsets key sets.
 * MA_UNKNOWN_KEY when the token names a kid no set has, and, where a key
 * server supplies keys, whenever a fetch or refetch may bring the key it
 * needs: a kid only kid-less keys took (and they failed), or any token while
 * a set is pending.  *identity is set whenever the token was parsed far
 * enough to say something about it (for the log line), also on failure; the
 * caller frees it.  The payload is usable only on MA_OK.
 */
ma_status_t ma_jws_verify(const ma_jws_verifier_t *verifier, ma_str_t token,
    int64_t now, const ma_keyset_t *const *sets, size_t nsets,
    ma_key_supply_t supply, ma_identity_t **identity);

/*
 * The verified-token cache (mastra_auth_verify_cache,
 * docs/performance.md).  The key of a token: SHA-256 over a random value of
 * this verifier, then the token, so that a result never answers for another
 * verifier or configuration.
 */
void ma_jws_cache_key(const ma_jws_verifier_t *verifier, ma_str_t token,
    unsigned char out[32]);

/*
 * As ma_jws_verify, for a token this verifier accepted before with keys that
 * still hold (a cache hit): the signature is not checked again; parsing,
 * algorithm pinning and every claim are, at now.
 */
ma_status_t ma_jws_verify_known(const ma_jws_verifier_t *verifier,
    ma_str_t token, int64_t now, ma_identity_t **identity);


/* ---- fetching key sets (blocking: run it on a thread-pool thread) ---- */

typedef struct ma_fetch_s  ma_fetch_t;

/* Once per process, before threads fetch. */
int ma_fetch_global_init(void);

/*
 * The text of a CA file as the fetches take it (PEM, every block parsed, at
 * least one certificate): MA_OK and the number of certificates, or
 * MA_CONFIG_INVALID and why in err.  Read by the master at configuration
 * time, so that workers need not be able to open the file.
 */
ma_status_t ma_ca_check(ma_str_t pem, size_t *certificates, char *err,
    size_t errlen);

/*
 * GETs url (http or https; TLS verified against the CA certificates of
 * ca_pem, PEM text checked by ma_ca_check, or the system store when
 * empty).  With a non-empty discovery_issuer, url is an OpenID discovery
 * document whose "issuer" must equal discovery_issuer and whose "jwks_uri"
 * is then fetched.  Never NULL but when memory is out.
 */
ma_fetch_t *ma_fetch_run(ma_str_t url, ma_str_t ca_pem, long timeout_ms,
    ma_str_t discovery_issuer);
void ma_fetch_free(ma_fetch_t *fetch);
int ma_fetch_ok(const ma_fetch_t *fetch);
ma_str_t ma_fetch_body(const ma_fetch_t *fetch);
ma_str_t ma_fetch_error(const ma_fetch_t *fetch);
/* The HTTP status of the answer, 0 when there was none. */
long ma_fetch_status(const ma_fetch_t *fetch);
/* Cache-Control max-age in seconds, or -1. */
int64_t ma_fetch_max_age(const ma_fetch_t *fetch);

/*
 * At the end of each thread-pool task: frees OpenSSL's state of this thread
 * now, while the worker waits for the task, rather than in the thread's exit
 * handlers, which at worker exit can race OpenSSL's own atexit cleanup.
 */
void ma_thread_done(void);

/* GET url sending a Cookie header (Better Auth's get-session). */
ma_fetch_t *ma_fetch_with_cookie(ma_str_t url, ma_str_t ca_pem,
    long timeout_ms, ma_str_t cookie);


/* ---- Better Auth sessions ---- */

/* 1 when signed_token is TOKEN.SIG signed with secret; *token = TOKEN. */
int ma_ba_signed_token(ma_str_t signed_token, ma_str_t secret,
    ma_str_t *token);

/*
 * The cookie cache (session_data, its chunks joined, percent-decoded) in
 * any of Better Auth's strategies (compact, jwt, jwe) for the session token
 * TOKEN: MA_OK with *identity and *expires (seconds) when it is verified,
 * not past its end, TOKEN's, and of the version expected (empty: Better
 * Auth's default, "1"); MA_SESSION_INVALID otherwise, *why then saying what
 * did not hold (a static text, never a value of the cookie).
 */
ma_status_t ma_ba_session_data(ma_str_t cookie, ma_str_t secret,
    ma_str_t version, int64_t now, ma_str_t token, ma_identity_t **identity,
    int64_t *expires, ma_str_t *why);

/*
 * A verified JWT of Better Auth's jwt plugin: its user fields shown under
 * "user" too (user.id, user.email, user.emailVerified, ...), the shape of a
 * session, for claim checks, rules and variables.
 */
void ma_identity_better_auth_jwt(ma_identity_t *identity);

/* A get-session answer (or its cached text) as an identity. */
ma_status_t ma_ba_session(ma_str_t body, int64_t now,
    ma_identity_t **identity, int64_t *expires);

/* A session the shared zone kept: the user, email and claims text
 * (ma_identity_user, _email and _payload of a get-session answer), read
 * without a parse. */
ma_status_t ma_ba_session_cached(ma_str_t user, ma_str_t email,
    ma_str_t claims, ma_identity_t **identity);

/*
 * The shared zone's key of a session credential: SHA-256(base || it), base
 * made once per location from its Better Auth URL and secret.  An entry is
 * made only for a credential whose signature held: one found under this key
 * vouches for the signature with this secret.  0 on an OpenSSL failure.
 */
int ma_ba_session_key_base(ma_str_t url, ma_str_t secret,
    unsigned char base[32]);
int ma_ba_session_key(const unsigned char base[32], ma_str_t credential,
    unsigned char key[32]);


/* ---- identity to the upstream: mastra_auth_forward_jwt ---- */

typedef struct ma_forwarder_s  ma_forwarder_t;

/* secret: at least 32 bytes (HS256); ttl in seconds; claims to copy. */
ma_status_t ma_forwarder_create(ma_str_t secret, int64_t ttl,
    const ma_str_t *claims, size_t nclaims, ma_forwarder_t **out,
    char *err, size_t errlen);
void ma_forwarder_free(ma_forwarder_t *forwarder);

/*
 * An HS256 token for a verified identity, valid from now for ttl; written
 * into out (at most outlen bytes).  Returns its length, or 0 when the
 * identity holds no verified claims or out is too small.
 */
size_t ma_forwarder_mint(const ma_forwarder_t *forwarder,
    const ma_identity_t *identity, int64_t now, char *out, size_t outlen);


/* ---- claim conditions: mastra_auth_claim and mastra_auth_rule ---- */

typedef struct ma_condition_s  ma_condition_t;

typedef enum {
    MA_OP_EQ = 0,     /* =   */
    MA_OP_NE,         /* !=  */
    MA_OP_MATCH,      /* ~   */
    MA_OP_NOT_MATCH,  /* !~  */
    MA_OP_HAS,        /* has */
    MA_OP_NOT_HAS     /* !has */
} ma_op_t;

/* Parses an operator; returns 0 and sets *op, or -1. */
int ma_op_parse(ma_str_t text, ma_op_t *op);

/*
 * A condition on a claim path ("user.emailVerified", or "\"https://x/roles\""
 * taken whole).  When the value holds no variable, pass it as static_value so
 * that a regex is compiled (and refused) at configuration time; otherwise
 * pass an empty view and give the value to ma_condition_eval.
 */
ma_status_t ma_condition_create(ma_str_t path, ma_op_t op,
    ma_str_t static_value, ma_condition_t **out, char *err, size_t errlen);
void ma_condition_free(ma_condition_t *condition);

/* 1 if the condition holds for the identity, 0 if not (absent claim: 0 for
 * =, ~, has; 1 for !=, !~, !has). value is ignored when static. */
int ma_condition_eval(const ma_condition_t *condition,
    const ma_identity_t *identity, ma_str_t value);


/* ---- route patterns (Mastra's matcher, docs/routes-and-rules.md) ---- */

typedef struct ma_pattern_s  ma_pattern_t;

#define MA_MAX_PARAMS  16

typedef struct {
    size_t    n;
    ma_str_t  name[MA_MAX_PARAMS];    /* views into the pattern */
    ma_str_t  value[MA_MAX_PARAMS];   /* views into the path */
} ma_params_t;

ma_status_t ma_pattern_compile(ma_str_t text, ma_pattern_t **out,
    char *err, size_t errlen);
void ma_pattern_free(ma_pattern_t *pattern);

/* 1 if the path matches (params filled when not NULL), else 0. */
int ma_pattern_match(const ma_pattern_t *pattern, ma_str_t path,
    ma_params_t *params);


/* ---- request inspection helpers (pure string work) ---- */

#define MA_PATH_ALLOW_ENCODED_SLASHES  1   /* mastra_auth_encoded_slashes allow */
#define MA_PATH_SLASHES_KEPT           2   /* nginx's merge_slashes off */

/*
 * MA_OK when the path may be checked; MA_BAD_PATH when the decoded path holds
 * a backslash or NUL, when slashes are merged and the raw path holds both
 * "//" and a dot segment, or when the raw path holds an encoded slash (%2F)
 * and encoded slashes are not allowed.  flags: MA_PATH_*.
 */
ma_status_t ma_path_check(ma_str_t raw_path, ma_str_t decoded_path, int flags);

/* The token of an "Authorization: Bearer TOKEN" value (scheme in any case,
 * one or more spaces); 1 if found, 0 if the value is not a bearer one. */
int ma_bearer_token(ma_str_t header, ma_str_t *token);

/*
 * Looks a name up in a query string (exact, case-sensitive).
 * Returns the number of non-empty occurrences (0, 1, or 2 meaning "more than
 * one"); *raw is the first one, still percent-encoded.
 */
int ma_query_arg(ma_str_t args, ma_str_t name, ma_str_t *raw);

/*
 * The query string without the parameters named in names (as sent, or once
 * percent-decoded), empty items dropped; written into out (at least
 * args.len bytes).  Returns the length written.
 */
size_t ma_query_without(ma_str_t args, const ma_str_t *names, size_t n,
    char *out);

/* As ma_query_arg, over one Cookie header value ("a=1; b=2"). */
int ma_cookie_value(ma_str_t cookie_header, ma_str_t name, ma_str_t *raw);

/*
 * Percent-decodes in into out (at least in.len bytes); returns the decoded
 * length, or -1 on a malformed escape.
 */
long ma_percent_decode(ma_str_t in, char *out);


#ifdef __cplusplus
}
#endif

#endif /* MASTRA_AUTH_API_H */
