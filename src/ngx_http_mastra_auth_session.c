
/*
 * nginx-mastra-auth: Better Auth sessions (docs/better-auth.md).
 *
 * The cookie cache (session_data, or its chunks session_data.0, .1, ...)
 * answers first when the browser sent one, TOKEN.SIG holds with the secret
 * and the cache is verified (any of Better Auth's strategies; a forged one
 * is refused with no network); then the shared zone; and only then
 * Better Auth's get-session is asked, on a thread-pool thread, once TOKEN.SIG
 * held (a forged cookie costs no network).  Its answers, positive and
 * negative, are kept in the zone under a hash of the location's URL and
 * secret and the credential (never the credential itself), one question in
 * flight per credential for all workers, never past the session's end.
 *
 * An entry is made only for a credential whose signature held with that
 * secret, so a credential found in the zone is not checked again: the usual
 * request costs one SHA-256 and a lookup.  The zone's layout never meets
 * another build: a reload keeps the loaded module, and a new binary makes
 * new zones.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


#define NGX_HTTP_MASTRA_AUTH_SESSION_PENDING  0
#define NGX_HTTP_MASTRA_AUTH_SESSION_VALID    1
#define NGX_HTTP_MASTRA_AUTH_SESSION_INVALID  2
#define NGX_HTTP_MASTRA_AUTH_SESSION_FAILED   3   /* Better Auth unreachable */

#define NGX_HTTP_MASTRA_AUTH_SESSION_RETRY    1   /* seconds after a failure */


typedef struct {
    ngx_http_mastra_auth_entry_t  entry;    /* until: the answer's end, or
                                               when a question is asked
                                               again (its worker gone) */
    ngx_uint_t                  state;
    size_t                      user_len;
    size_t                      email_len;
    size_t                      len;        /* of all data */
    u_char                      data[1];    /* a valid session's user, email
                                               and claims, one after another */
} ngx_http_mastra_auth_session_node_t;


/* one get-session question, posted to the thread pool */
typedef struct {
    u_char                           hash[32];
    ngx_str_t                        url;          /* .../get-session */
    ngx_str_t                        ca_pem;       /* mastra_auth_ca_file's */
    ngx_str_t                        cookie;       /* malloc'ed, zeroed */
    ngx_msec_t                       timeout;
    time_t                           cache;
    ngx_http_mastra_auth_zone_ctx_t *zone;
    ma_fetch_t                      *result;
    ngx_log_t                       *log;
    ngx_event_t                      guard;        /* keeps an exiting worker */
    ngx_msec_t                       started;      /* for the metrics */
} ngx_http_mastra_auth_ask_t;


static ngx_uint_t ngx_http_mastra_auth_session_names(
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t **token_names, ngx_str_t **data_names);
static ngx_int_t ngx_http_mastra_auth_session_data(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *names, ngx_uint_t n, ma_str_t signed_token,
    ngx_uint_t *signed_ok);
static ngx_int_t ngx_http_mastra_auth_cache_cookie(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ma_str_t *value);
static void ngx_http_mastra_auth_cookie_note(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ma_str_t why);
static void ngx_http_mastra_auth_refused_cookie(
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, const char *why);
static ngx_http_mastra_auth_session_node_t *
    ngx_http_mastra_auth_session_alloc(ngx_http_mastra_auth_zone_ctx_t *zone,
    u_char *hash, size_t len);
static void ngx_http_mastra_auth_session_forget(
    ngx_http_mastra_auth_zone_ctx_t *zone, u_char *hash, time_t now);
static ngx_int_t ngx_http_mastra_auth_ask(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf,
    ngx_http_mastra_auth_zone_ctx_t *zone, u_char *hash, ngx_str_t *credential,
    ngx_str_t *names, ngx_uint_t n);
static void ngx_http_mastra_auth_ask_thread(void *data, ngx_log_t *log);
static void ngx_http_mastra_auth_ask_done(ngx_event_t *ev);


/* Better Auth's limit: a cookie cache in at most 100 cookies */
#define NGX_HTTP_MASTRA_AUTH_CACHE_CHUNKS  100
#define NGX_HTTP_MASTRA_AUTH_CACHE_MAX     65536


/*
 * NGX_OK with *status set (ctx->identity on MA_OK), NGX_AGAIN while Better
 * Auth is being asked, NGX_ERROR.
 */

ngx_int_t
ngx_http_mastra_auth_session_check(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *signed_token, ma_status_t *status)
{
    u_char                               hash[32], *copy;
    long                                 n;
    size_t                               len, user_len, email_len;
    ngx_str_t                            decoded;
    time_t                               now;
    ma_str_t                             text, secret, token, user, email;
    ngx_int_t                            rc;
    ngx_str_t                           *token_names, *data_names;
    ngx_uint_t                           state, asking, signed_ok, names;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_mastra_auth_zone_ctx_t     *zone;
    ngx_http_mastra_auth_main_conf_t    *amcf;
    ngx_http_mastra_auth_session_node_t *sn;

    /*
     * A bearer credential may come percent-encoded, as the cookie does
     * (Better Auth's bearer plugin decodes it once): decoded once here.
     * Cookies were decoded once already, and never twice.
     */

    if (ctx->token_source.len == sizeof("header") - 1
        && ngx_strncmp(ctx->token_source.data, "header", 6) == 0
        && ngx_strlchr(signed_token->data,
                       signed_token->data + signed_token->len, '%'))
    {
        copy = ngx_pnalloc(r->pool, signed_token->len);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        text.data = (const char *) signed_token->data;
        text.len = signed_token->len;

        n = ma_percent_decode(text, (char *) copy);
        if (n <= 0) {
            *status = MA_SESSION_INVALID;
            return NGX_OK;
        }

        decoded.data = copy;
        decoded.len = (size_t) n;
        signed_token = &decoded;
    }

    text.data = (const char *) signed_token->data;
    text.len = signed_token->len;
    secret.data = (const char *) alcf->secret.data;
    secret.len = alcf->secret.len;

    signed_ok = 0;

    names = ngx_http_mastra_auth_session_names(alcf, ctx, &token_names,
                                               &data_names);

    /* the cookie cache, when the browser sent it with this session */

    rc = ngx_http_mastra_auth_session_data(r, alcf, ctx, data_names, names,
                                           text, &signed_ok);

    if (rc == NGX_ABORT) {
        *status = MA_SESSION_INVALID;
        return NGX_OK;
    }

    if (rc != NGX_DECLINED) {
        *status = MA_OK;
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);
    zone = amcf->zone->data;
    now = ngx_time();

    if (!ma_ba_session_key(alcf->session_key_base, text, hash)) {
        return NGX_ERROR;
    }

    copy = NULL;
    user_len = 0;
    email_len = 0;
    len = 0;
    asking = 0;
    state = NGX_HTTP_MASTRA_AUTH_SESSION_PENDING;

    ngx_shmtx_lock(&zone->shpool->mutex);

    sn = (ngx_http_mastra_auth_session_node_t *)
             ngx_http_mastra_auth_store_lookup(&zone->sh->sessions,
                                               zone->shpool, hash, now);

    if (sn == NULL && !signed_ok) {

        /* not in the zone: the signature is checked, outside the lock */

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (!ma_ba_signed_token(text, secret, &token)) {
            ngx_http_mastra_auth_refused_cookie(ctx, &ctx->token_cookie,
                "has a signature that does not hold");
            *status = MA_SESSION_INVALID;
            return NGX_OK;
        }

        ngx_shmtx_lock(&zone->shpool->mutex);

        sn = (ngx_http_mastra_auth_session_node_t *)
                 ngx_http_mastra_auth_store_lookup(&zone->sh->sessions,
                                                   zone->shpool, hash, now);
    }

    if (sn == NULL) {
        sn = ngx_http_mastra_auth_session_alloc(zone, hash, 0);

        if (sn) {
            /* a question whose worker is gone is asked again */
            sn->state = NGX_HTTP_MASTRA_AUTH_SESSION_PENDING;
            sn->entry.until = now
                              + (time_t) (alcf->jwks_timeout / 1000) * 2 + 11;
            asking = 1;
        }

    } else {
        state = sn->state;

        ngx_http_mastra_auth_store_touch(&zone->sh->sessions, &sn->entry);

        if (state == NGX_HTTP_MASTRA_AUTH_SESSION_VALID) {
            copy = ngx_pnalloc(r->pool, sn->len);
            if (copy) {
                ngx_memcpy(copy, sn->data, sn->len);
                user_len = sn->user_len;
                email_len = sn->email_len;
                len = sn->len;
            }
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (sn == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mastra_auth: the shared zone is too small for "
                      "Better Auth sessions");
        return NGX_ERROR;
    }

    ngx_http_mastra_auth_metrics_session(ctx,
                               state != NGX_HTTP_MASTRA_AUTH_SESSION_PENDING);

    switch (state) {

    case NGX_HTTP_MASTRA_AUTH_SESSION_VALID:
        if (copy == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        /* the entry's time is bounded by the session's expiresAt */

        user.data = (const char *) copy;
        user.len = user_len;
        email.data = user.data + user_len;
        email.len = email_len;
        text.data = email.data + email_len;
        text.len = len - user_len - email_len;

        *status = ma_ba_session_cached(user, email, text, &ctx->identity);

        if (ctx->identity) {
            cln->handler = ngx_http_mastra_auth_cleanup_identity;
            cln->data = ctx->identity;
        }

        return NGX_OK;

    case NGX_HTTP_MASTRA_AUTH_SESSION_INVALID:
        *status = MA_SESSION_INVALID;
        return NGX_OK;

    case NGX_HTTP_MASTRA_AUTH_SESSION_FAILED:
        ctx->retry_after = NGX_HTTP_MASTRA_AUTH_SESSION_RETRY;
        *status = MA_BETTER_AUTH_UNAVAILABLE;
        return NGX_OK;

    default: /* NGX_HTTP_MASTRA_AUTH_SESSION_PENDING */
        if (!asking) {
            break;
        }

        if (ngx_http_mastra_auth_ask(r, alcf, zone, hash, signed_token,
                                     token_names, names)
            != NGX_OK)
        {
            ngx_shmtx_lock(&zone->shpool->mutex);
            ngx_http_mastra_auth_session_forget(zone, hash, now);
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }

        break;
    }

    /* asked (by this request or another, in any worker): wait */

    if (ctx->wait_until
        && (ngx_msec_int_t) (ctx->wait_until - ngx_current_msec) <= 0)
    {
        ctx->retry_after = NGX_HTTP_MASTRA_AUTH_SESSION_RETRY;
        *status = MA_BETTER_AUTH_UNAVAILABLE;
        return NGX_OK;
    }

    return NGX_AGAIN;
}


/*
 * The names of the session token cookie (to forward to get-session) and of
 * the cookie cache (to read): those of the cookie the token came in when it
 * is one of the server's names (the __Secure- twin goes with the __Secure-
 * one); else, for the bearer header or another source, every name the
 * server may use.  Their number, 1 or 2.
 */

static ngx_uint_t
ngx_http_mastra_auth_session_names(ngx_http_mastra_auth_loc_conf_t *alcf,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t **token_names,
    ngx_str_t **data_names)
{
    ngx_uint_t  i;

    for (i = 0; i < 2; i++) {
        if (ctx->token_cookie.len
            && ctx->token_cookie.len == alcf->ba_token_cookies[i].len
            && ngx_strncmp(ctx->token_cookie.data,
                           alcf->ba_token_cookies[i].data,
                           ctx->token_cookie.len) == 0)
        {
            *token_names = &alcf->ba_token_cookies[i];
            *data_names = &alcf->ba_data_cookies[i];
            return 1;
        }
    }

    /* "on" and "off" leave one name: the other one is empty */

    i = (alcf->ba_token_cookies[0].len == 0);

    *token_names = &alcf->ba_token_cookies[i];
    *data_names = &alcf->ba_data_cookies[i];

    return (i == 0 && alcf->ba_token_cookies[1].len) ? 2 : 1;
}


/*
 * NGX_OK: the cookie cache vouches for the session (ctx->identity set);
 * NGX_DECLINED: absent, or Better Auth's but not to be used now (expired,
 * another version or session): ask as usual, as Better Auth itself does;
 * NGX_ABORT: refused with no network, the cache is not Better Auth's or
 * the credential's own signature does not hold; NGX_ERROR.  The signature
 * is checked (*signed_ok set) only when there is a cookie cache to read:
 * else the zone comes first.
 */

static ngx_int_t
ngx_http_mastra_auth_session_data(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *names, ngx_uint_t n, ma_str_t signed_token,
    ngx_uint_t *signed_ok)
{
    long                 len;
    u_char              *decoded;
    int64_t              expires;
    ma_str_t             raw, secret, version, token, why;
    ngx_int_t            rc;
    ngx_uint_t           k;
    ma_status_t          status;
    ma_identity_t       *identity;
    ngx_pool_cleanup_t  *cln;

    secret.data = (const char *) alcf->secret.data;
    secret.len = alcf->secret.len;
    version.data = (const char *) alcf->ba_cache_version.data;
    version.len = alcf->ba_cache_version.len;
    token.data = NULL;
    token.len = 0;

    for (k = 0; k < n; k++) {

        rc = ngx_http_mastra_auth_cache_cookie(r, ctx, &names[k], &raw);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        /* a forged or damaged credential: refused with no network */

        if (!*signed_ok) {
            if (!ma_ba_signed_token(signed_token, secret, &token)) {
                ngx_http_mastra_auth_refused_cookie(ctx, &ctx->token_cookie,
                    "has a signature that does not hold");
                return NGX_ABORT;
            }

            *signed_ok = 1;
        }

        if (rc == NGX_ABORT) {
            continue;   /* not read (noted): ask as usual */
        }

        decoded = ngx_pnalloc(r->pool, raw.len);
        if (decoded == NULL) {
            return NGX_ERROR;
        }

        len = ma_percent_decode(raw, (char *) decoded);
        if (len <= 0) {
            ngx_http_mastra_auth_refused_cookie(ctx, &names[k],
                                                "is not percent-encoded");
            return NGX_ABORT;
        }

        raw.data = (const char *) decoded;
        raw.len = (size_t) len;

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        identity = NULL;
        why.data = NULL;
        why.len = 0;

        status = ma_ba_session_data(raw, secret, version, ngx_time(), token,
                                    &identity, &expires, &why);

        if (identity) {
            cln->handler = ngx_http_mastra_auth_cleanup_identity;
            cln->data = identity;
        }

        if (status == MA_OK) {
            ctx->identity = identity;
            return NGX_OK;
        }

        if (status == MA_TOKEN_EXPIRED) {
            ngx_http_mastra_auth_cookie_note(r, ctx, &names[k], why);
            continue;
        }

        if (status != MA_SESSION_INVALID) {
            return NGX_ERROR;
        }

        ctx->why_cookie = names[k];
        ctx->why = why;

        return NGX_ABORT;
    }

    return NGX_DECLINED;
}


/*
 * The cookie cache NAME as Better Auth reads it: the cookie itself when it
 * has a value, else its chunks NAME.0, NAME.1, ... joined (read here up to
 * the first one missing).  NGX_OK with *value (as sent); NGX_DECLINED:
 * none; NGX_ABORT: not read, a name came twice (ambiguous) or the whole is
 * too long (noted in the log); NGX_ERROR.
 */

static ngx_int_t
ngx_http_mastra_auth_cache_cookie(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ma_str_t *value)
{
    u_char      *p;
    size_t       total;
    ma_str_t     chunk[NGX_HTTP_MASTRA_AUTH_CACHE_CHUNKS], why;
    ngx_str_t    chunk_name;
    ngx_uint_t   i, n;

    n = ngx_http_mastra_auth_cookie(r, name, value);

    if (n > 1) {
        why.data = "came twice: not read";
        why.len = sizeof("came twice: not read") - 1;
        ngx_http_mastra_auth_cookie_note(r, ctx, name, why);
        return NGX_ABORT;
    }

    if (n == 1 && value->len) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, name->len + sizeof(".99"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    chunk_name.data = p;
    total = 0;

    for (i = 0; i < NGX_HTTP_MASTRA_AUTH_CACHE_CHUNKS; i++) {
        chunk_name.len = ngx_sprintf(p, "%V.%ui", name, i) - p;

        n = ngx_http_mastra_auth_cookie(r, &chunk_name, &chunk[i]);

        if (n == 0) {
            break;
        }

        if (n > 1) {
            why.data = "came twice: not read";
            why.len = sizeof("came twice: not read") - 1;
            ngx_http_mastra_auth_cookie_note(r, ctx, &chunk_name, why);
            return NGX_ABORT;
        }

        total += chunk[i].len;

        if (total > NGX_HTTP_MASTRA_AUTH_CACHE_MAX) {
            why.data = "is too long: not read";
            why.len = sizeof("is too long: not read") - 1;
            ngx_http_mastra_auth_cookie_note(r, ctx, name, why);
            return NGX_ABORT;
        }
    }

    if (i == 0 || total == 0) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, total);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value->data = (const char *) p;
    value->len = total;

    for (n = 0; n < i; n++) {
        p = ngx_cpymem(p, chunk[n].data, chunk[n].len);
    }

    return NGX_OK;
}


/*
 * A cookie cache not used (the session is then asked for), by name and
 * why, never its value; once a request (it is read again when the answer
 * comes).  nginx's context for this log would add the request line, and
 * with it a token sent as ?apiKey=.
 */

static void
ngx_http_mastra_auth_cookie_note(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ma_str_t why)
{
    ngx_log_t          *log;
    ngx_log_handler_pt  handler;

    if (ctx->wait_until) {
        return;
    }

    log = r->connection->log;
    handler = log->handler;
    log->handler = NULL;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "mastra_auth: cookie \"%V\" %*s; Better Auth is asked, "
                  "client: %V", name, why.len, why.data,
                  &r->connection->addr_text);

    log->handler = handler;
}


/* a refusal's cookie and why, for the request's log line */

static void
ngx_http_mastra_auth_refused_cookie(ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *name, const char *why)
{
    if (name->len == 0) {
        return;     /* not a cookie: the reason says enough */
    }

    ctx->why_cookie = *name;
    ctx->why.data = why;
    ctx->why.len = ngx_strlen(why);
}


/* a node in the zone's session store, the lock held */

static ngx_http_mastra_auth_session_node_t *
ngx_http_mastra_auth_session_alloc(ngx_http_mastra_auth_zone_ctx_t *zone,
    u_char *hash, size_t len)
{
    ngx_http_mastra_auth_session_node_t *sn;

    sn = (ngx_http_mastra_auth_session_node_t *)
             ngx_http_mastra_auth_store_insert(&zone->sh->sessions,
                 zone->shpool, hash,
                 offsetof(ngx_http_mastra_auth_session_node_t, data) + len);

    if (sn == NULL) {
        return NULL;
    }

    sn->user_len = 0;
    sn->email_len = 0;
    sn->len = len;

    return sn;
}


/* the credential's entry, if any, is dropped; the lock held */

static void
ngx_http_mastra_auth_session_forget(ngx_http_mastra_auth_zone_ctx_t *zone,
    u_char *hash, time_t now)
{
    ngx_http_mastra_auth_entry_t  *en;

    en = ngx_http_mastra_auth_store_lookup(&zone->sh->sessions, zone->shpool,
                                           hash, now);
    if (en) {
        ngx_http_mastra_auth_store_free(&zone->sh->sessions, zone->shpool, en);
    }
}


static ngx_int_t
ngx_http_mastra_auth_ask(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf,
    ngx_http_mastra_auth_zone_ctx_t *zone, u_char *hash, ngx_str_t *credential,
    ngx_str_t *names, ngx_uint_t n)
{
    u_char                            *p;
    size_t                             len;
    ngx_uint_t                         i;
    ngx_thread_task_t                 *task;
    ngx_http_mastra_auth_ask_t        *ask;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    /*
     * The credential as the cookie the client sent, under its name; a
     * credential that came in another way under the server's name (both
     * when "auto" cannot tell: the server reads its own).  Percent-encoded
     * as a browser sends it; not from a pool: the task outlives the
     * request.
     */

    len = alcf->ba_get_session.len + 1;

    for (i = 0; i < n; i++) {
        len += sizeof("; =") - 1 + names[i].len + 3 * credential->len;
    }

    task = ngx_calloc(sizeof(ngx_thread_task_t)
                      + sizeof(ngx_http_mastra_auth_ask_t) + len,
                      ngx_cycle->log);
    if (task == NULL) {
        return NGX_ERROR;
    }

    ask = (ngx_http_mastra_auth_ask_t *) (task + 1);
    p = (u_char *) (ask + 1);

    ngx_memcpy(ask->hash, hash, 32);

    ask->url.data = p;
    p = ngx_cpymem(p, alcf->ba_get_session.data, alcf->ba_get_session.len);
    ask->url.len = p - ask->url.data;
    *p++ = '\0';

    ask->cookie.data = p;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ';';
            *p++ = ' ';
        }

        p = ngx_cpymem(p, names[i].data, names[i].len);
        *p++ = '=';
        p = (u_char *) ngx_escape_uri(p, credential->data, credential->len,
                                      NGX_ESCAPE_ARGS);
    }

    ask->cookie.len = p - ask->cookie.data;

    ask->ca_pem = alcf->ca_pem;
    ask->timeout = alcf->jwks_timeout;
    ask->cache = alcf->session_cache;
    ask->zone = zone;
    ask->log = ngx_cycle->log;
    ask->started = ngx_current_msec;

    task->ctx = ask;
    task->handler = ngx_http_mastra_auth_ask_thread;
    task->event.handler = ngx_http_mastra_auth_ask_done;
    task->event.data = task;
    task->event.log = ngx_cycle->log;

    if (ngx_thread_task_post(amcf->thread_pool, task) != NGX_OK) {
        ngx_explicit_memzero(ask->cookie.data, ask->cookie.len);
        ngx_free(task);
        return NGX_ERROR;
    }

    /* as long as a waiting request waits for the answer */
    ngx_http_mastra_auth_task_guard(&ask->guard, 2 * ask->timeout + 1000);

    return NGX_OK;
}


static void
ngx_http_mastra_auth_ask_thread(void *data, ngx_log_t *log)
{
    ngx_http_mastra_auth_ask_t  *ask = data;

    ma_str_t  url, ca, cookie;

    url.data = (const char *) ask->url.data;
    url.len = ask->url.len;
    ca.data = (const char *) ask->ca_pem.data;
    ca.len = ask->ca_pem.len;
    cookie.data = (const char *) ask->cookie.data;
    cookie.len = ask->cookie.len;

    ask->result = ma_fetch_with_cookie(url, ca, (long) ask->timeout, cookie);

    ma_thread_done();
}


static void
ngx_http_mastra_auth_ask_done(ngx_event_t *ev)
{
    ngx_thread_task_t           *task = ev->data;
    ngx_http_mastra_auth_ask_t  *ask = task->ctx;

    u_char                              *p;
    time_t                               now, until;
    int64_t                              expires;
    ma_str_t                             user, email, body, why;
    ngx_uint_t                           state;
    ma_status_t                          status;
    ma_identity_t                       *identity;
    ngx_http_mastra_auth_zone_ctx_t     *zone;
    ngx_http_mastra_auth_session_node_t *sn;

    if (ask->guard.timer_set) {
        ngx_del_timer(&ask->guard);
    }

    zone = ask->zone;
    now = ngx_time();

    user.data = NULL;
    user.len = 0;
    email = user;
    body = user;
    identity = NULL;
    expires = 0;

    if (ask->result && ma_fetch_ok(ask->result)) {
        status = ma_ba_session(ma_fetch_body(ask->result), now, &identity,
                               &expires);

        if (status == MA_OK) {
            /* kept: the user, the email and the identity's text, without
             * the session token */
            user = ma_identity_user(identity);
            email = ma_identity_email(identity);
            body = ma_identity_payload(identity);
            state = NGX_HTTP_MASTRA_AUTH_SESSION_VALID;
            until = ngx_min(now + ask->cache, (time_t) expires);

        } else {
            state = NGX_HTTP_MASTRA_AUTH_SESSION_INVALID;
            until = now + ask->cache;
        }

    } else if (ask->result
               && (ma_fetch_status(ask->result) == NGX_HTTP_UNAUTHORIZED
                   || ma_fetch_status(ask->result) == NGX_HTTP_FORBIDDEN))
    {
        /* Better Auth answered, and said no */
        state = NGX_HTTP_MASTRA_AUTH_SESSION_INVALID;
        until = now + ask->cache;

    } else {
        /* no answer (or a 5xx): Better Auth could not say, and nothing is
         * let through; asked again a second later.  "now" counts whole
         * seconds: one more keeps the failure at least a full second, so
         * that the requests waiting for this answer read it rather than
         * find the entry gone and ask again. */

        state = NGX_HTTP_MASTRA_AUTH_SESSION_FAILED;
        until = now + NGX_HTTP_MASTRA_AUTH_SESSION_RETRY + 1;

        if (ask->result) {
            why = ma_fetch_error(ask->result);
        } else {
            why.data = "out of memory";
            why.len = sizeof("out of memory") - 1;
        }

        ngx_log_error(NGX_LOG_ERR, ask->log, 0,
                      "mastra_auth: Better Auth at \"%V\" could not be asked: "
                      "%*s", &ask->url, why.len, why.data);
    }

    ngx_http_mastra_auth_metrics_better_auth(zone,
        state == NGX_HTTP_MASTRA_AUTH_SESSION_VALID
        ? NGX_HTTP_MASTRA_AUTH_BA_SESSION
        : state == NGX_HTTP_MASTRA_AUTH_SESSION_INVALID
        ? NGX_HTTP_MASTRA_AUTH_BA_NONE : NGX_HTTP_MASTRA_AUTH_BA_ERROR,
        ask->started);

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_mastra_auth_session_forget(zone, ask->hash, now);

    sn = ngx_http_mastra_auth_session_alloc(zone, ask->hash,
             state == NGX_HTTP_MASTRA_AUTH_SESSION_VALID
             ? user.len + email.len + body.len : 0);

    if (sn) {
        sn->state = state;
        sn->entry.until = until;

        if (state == NGX_HTTP_MASTRA_AUTH_SESSION_VALID) {
            p = ngx_cpymem(sn->data, user.data, user.len);
            p = ngx_cpymem(p, email.data, email.len);
            ngx_memcpy(p, body.data, body.len);
            sn->user_len = user.len;
            sn->email_len = email.len;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (sn == NULL) {
        ngx_log_error(NGX_LOG_ERR, ask->log, 0,
                      "mastra_auth: the shared zone is too small for "
                      "Better Auth sessions");
    }

    if (identity) {
        ma_identity_free(identity);
    }

    if (ask->result) {
        ma_fetch_free(ask->result);
    }

    ngx_explicit_memzero(ask->cookie.data, ask->cookie.len);
    ngx_free(task);
}
