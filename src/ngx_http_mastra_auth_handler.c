
/*
 * nginx-mastra-auth: the ACCESS phase handler.
 *
 * path check -> preflight / dev playground -> route decision -> token ->
 * verification -> claim checks -> rules.  Every failure refuses (fail
 * closed); only "observe" mode turns refusals into log lines and variables.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_is_preflight(ngx_http_request_t *r);
static ngx_int_t ngx_http_mastra_auth_is_playground(ngx_http_request_t *r);
static ngx_int_t ngx_http_mastra_auth_match_routes(ngx_http_request_t *r,
    ngx_array_t *routes, ma_params_t *params);
static ngx_int_t ngx_http_mastra_auth_method_allowed(ngx_http_request_t *r,
    ngx_array_t *methods);
static ngx_int_t ngx_http_mastra_auth_check_holds(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_http_mastra_auth_check_t *check);
static ngx_int_t ngx_http_mastra_auth_apply_rules(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
static ngx_int_t ngx_http_mastra_auth_pass(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_http_mastra_auth_outcome_e outcome);
static ngx_int_t ngx_http_mastra_auth_decided(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
static ngx_int_t ngx_http_mastra_auth_fail(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t reason);
static ngx_int_t ngx_http_mastra_auth_public_route(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
static ngx_int_t ngx_http_mastra_auth_authenticate(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t *status);
static ngx_int_t ngx_http_mastra_auth_verify(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *jws, ma_status_t *status);
static ngx_int_t ngx_http_mastra_auth_wait(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
static void ngx_http_mastra_auth_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_mastra_auth_is_jws(ngx_str_t *token);


/* how often a request waiting for a key set looks again */
#define NGX_HTTP_MASTRA_AUTH_WAIT_STEP  20


static ngx_str_t  ngx_http_mastra_auth_origin = ngx_string("Origin");
static ngx_str_t  ngx_http_mastra_auth_acrm =
    ngx_string("Access-Control-Request-Method");
static ngx_str_t  ngx_http_mastra_auth_playground =
    ngx_string("x-mastra-dev-playground");


ngx_int_t
ngx_http_mastra_auth_handler(ngx_http_request_t *r)
{
    int                               flags;
    ma_str_t                          raw, decoded;
    ngx_int_t                         rc;
    ngx_http_core_srv_conf_t         *cscf;
    ma_status_t                       status;
    ngx_http_mastra_auth_ctx_t       *ctx;
    ngx_http_mastra_auth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_mastra_auth_module);

    /* resource metadata is public, whatever provider the location inherits */

    if (alcf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF
        || alcf->resource_metadata)
    {
        return NGX_DECLINED;
    }

    /* the main request was checked; its subrequests are not checked again */

    if (r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_mastra_auth_module);

    if (ctx != NULL && ctx->decided) {
        /* already decided for this request: the decision stands */
        return ngx_http_mastra_auth_decided(r, alcf, ctx);
    }

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mastra_auth_ctx_t));
        if (ctx == NULL) {
            return ngx_http_mastra_auth_metrics_error(r);
        }

        ngx_http_set_ctx(r, ctx, ngx_http_mastra_auth_module);
    }

    /* else: resumed after waiting for keys; the check runs again */

    ctx->outcome = ngx_http_mastra_auth_off;
    ctx->reason = MA_OK;
    ctx->verified = 0;
    ctx->cache_status = NGX_HTTP_MASTRA_AUTH_CACHE_NONE;
    ctx->params.n = 0;

    /*
     * Route rules are matched on the normalized $uri; a path that Node would
     * read differently (backslash, %2F, "//" with a dot segment) is refused
     * before any rule.
     */

    raw.data = (const char *) r->unparsed_uri.data;
    raw.len = r->unparsed_uri.len;
    decoded.data = (const char *) r->uri.data;
    decoded.len = r->uri.len;

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    flags = (alcf->encoded_slashes == NGX_HTTP_MASTRA_AUTH_SLASHES_ALLOW
             ? MA_PATH_ALLOW_ENCODED_SLASHES : 0)
            | (cscf->merge_slashes ? 0 : MA_PATH_SLASHES_KEPT);

    if (ma_path_check(raw, decoded, flags) != MA_OK) {
        return ngx_http_mastra_auth_fail(r, alcf, ctx, MA_BAD_PATH);
    }

    if (alcf->preflight == NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS
        && ngx_http_mastra_auth_is_preflight(r))
    {
        return ngx_http_mastra_auth_pass(r, alcf, ctx,
                                         ngx_http_mastra_auth_public);
    }

    if (alcf->preflight == NGX_HTTP_MASTRA_AUTH_PREFLIGHT_ANSWER
        && ngx_http_mastra_auth_is_preflight(r))
    {
        ngx_http_mastra_auth_metrics_preflight(r, alcf);
        return ngx_http_mastra_auth_preflight_answer(r, alcf);
    }

    if (alcf->dev_playground && ngx_http_mastra_auth_is_playground(r)) {
        return ngx_http_mastra_auth_pass(r, alcf, ctx,
                                         ngx_http_mastra_auth_public);
    }

    /* public wins over protected; neither: mastra_auth_default decides */

    if (ngx_http_mastra_auth_match_routes(r, alcf->public_routes,
                                          &ctx->params))
    {
        return ngx_http_mastra_auth_public_route(r, alcf, ctx);
    }

    if (!ngx_http_mastra_auth_match_routes(r, alcf->protected_routes,
                                           &ctx->params)
        && alcf->default_access == NGX_HTTP_MASTRA_AUTH_DEFAULT_PUBLIC)
    {
        return ngx_http_mastra_auth_public_route(r, alcf, ctx);
    }

    rc = ngx_http_mastra_auth_authenticate(r, alcf, ctx, &status);

    if (rc == NGX_AGAIN) {
        return ngx_http_mastra_auth_wait(r, alcf, ctx);
    }

    if (rc != NGX_OK) {
        return ngx_http_mastra_auth_metrics_error(r);
    }

    if (status != MA_OK) {
        return ngx_http_mastra_auth_fail(r, alcf, ctx, status);
    }

    if (alcf->rules) {
        rc = ngx_http_mastra_auth_apply_rules(r, alcf, ctx);

        if (rc == NGX_ERROR) {
            return ngx_http_mastra_auth_metrics_error(r);
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_mastra_auth_fail(r, alcf, ctx, MA_RULE_DENIED);
        }
    }

    return ngx_http_mastra_auth_pass(r, alcf, ctx, ngx_http_mastra_auth_ok);
}


/*
 * A public route passes whatever the token.  A token that is there is still
 * verified, so that a valid one sets the identity variables and
 * $mastra_auth_forward_jwt as on a protected route (an upstream that wants a
 * user on its "public" routes, as Mastra's built-in ones do, gets one).  No
 * token: no work.  A token that fails, or keys or Better Auth out of reach,
 * leave the request public; $mastra_auth_error says why the token was not
 * taken.  Rules are not tried: they decide protected routes only.
 */

static ngx_int_t
ngx_http_mastra_auth_public_route(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    ngx_int_t    rc;
    ma_status_t  status;

    rc = ngx_http_mastra_auth_authenticate(r, alcf, ctx, &status);

    if (rc == NGX_AGAIN) {
        /* bounded by the same deadline as on a protected route */
        return ngx_http_mastra_auth_wait(r, alcf, ctx);
    }

    if (rc != NGX_OK) {
        /* a failure here (memory, a full zone) still leaves it public */
        status = MA_INTERNAL_ERROR;
    }

    if (status != MA_OK) {
        ctx->verified = 0;

        if (status != MA_TOKEN_MISSING) {
            ctx->reason = status;

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mastra_auth: public route, token not taken: %s",
                           ma_status_code(status));
        }
    }

    return ngx_http_mastra_auth_pass(r, alcf, ctx,
                                     ngx_http_mastra_auth_public);
}


/*
 * Token -> verification -> claim checks.  NGX_OK with *status set (MA_OK:
 * ctx->verified), NGX_AGAIN when the request must wait for keys or Better
 * Auth, NGX_ERROR.
 */

static ngx_int_t
ngx_http_mastra_auth_authenticate(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t *status)
{
    ngx_int_t                      rc;
    ngx_str_t                      token;
    ngx_uint_t                     i, jws, better_auth;
    ngx_http_mastra_auth_check_t  *check;

    rc = ngx_http_mastra_auth_find_token(r, alcf, ctx, &token);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        *status = MA_TOKEN_MISSING;
        return NGX_OK;
    }

    if (rc == NGX_ABORT) {
        *status = MA_TOKEN_MALFORMED;
        return NGX_OK;
    }

    better_auth = alcf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH;
    jws = better_auth && ngx_http_mastra_auth_is_jws(&token);

    if (better_auth && !jws && alcf->resource.len) {
        /* a session is bound to no resource: only tokens for it pass */
        *status = MA_AUDIENCE_MISMATCH;
        return NGX_OK;
    }

    if (better_auth && !jws) {
        /* a session token; Better Auth's JWT plugin tokens verify locally */
        rc = ngx_http_mastra_auth_session_check(r, alcf, ctx, &token, status);

    } else {
        rc = ngx_http_mastra_auth_verify(r, alcf, ctx, &token, status);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (*status != MA_OK) {
        return NGX_OK;
    }

    if (jws) {
        /* one shape for sessions and JWTs: user.id, user.email, ... */
        ma_identity_better_auth_jwt(ctx->identity);
    }

    ctx->verified = 1;

    /* mastra_auth_scope first: a client can step up for a scope */

    if (ngx_http_mastra_auth_scope_check(r, alcf, ctx, status) != NGX_OK) {
        return NGX_ERROR;
    }

    if (*status != MA_OK) {
        return NGX_OK;
    }

    /* Mastra's authorizeUser: every mastra_auth_claim must hold */

    if (alcf->claims) {
        check = alcf->claims->elts;

        for (i = 0; i < alcf->claims->nelts; i++) {
            rc = ngx_http_mastra_auth_check_holds(r, ctx, &check[i]);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_DECLINED) {
                *status = MA_CLAIM_FAILED;
                return NGX_OK;
            }
        }
    }

    return NGX_OK;
}


/*
 * A compact JWS against the location's keys: static keys (jwt's secret, a
 * key set of one oct key; files; a Supabase secret) and the remote sets
 * this worker has.  NGX_OK with *status set, NGX_AGAIN when the request
 * must wait for a key set being fetched, NGX_ERROR.
 *
 * A request waits while a first fetch is in flight, and once more when its
 * kid is unknown and a refetch is allowed (at most one per set per 30 s).
 * Static keys beside the remote sets never settle a token that a remote
 * set may yet serve: the core reports MA_UNKNOWN_KEY for it (see
 * ma_key_supply_t), and it waits for the fetch like a token with no keys.
 */

static ngx_int_t
ngx_http_mastra_auth_verify(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *jws, ma_status_t *status)
{
    u_char                           digest[32];
    size_t                           n;
    ma_str_t                         token;
    ngx_int_t                        state;
    ngx_uint_t                       epoch;
    ngx_uint_t                       i, waiting, refreshing, may_wait;
    ma_key_supply_t                  supply;
    const ma_keyset_t              **sets;
    ngx_pool_cleanup_t              *cln;
    ngx_http_mastra_auth_keyset_t  **remote, *missing;

    token.data = (const char *) jws->data;
    token.len = jws->len;

    may_wait = ctx->wait_until == 0
               || (ngx_msec_int_t) (ctx->wait_until - ngx_current_msec) > 0;

    n = alcf->static_keys->nelts;

    if (alcf->remote_keys->nelts == 0) {
        /* static keys only (jwt, files): the sets as configured */
        sets = alcf->static_keys->elts;

    } else {
        sets = ngx_palloc(r->pool, (n + alcf->remote_keys->nelts)
                                   * sizeof(ma_keyset_t *));
        if (sets == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(sets, alcf->static_keys->elts, n * sizeof(ma_keyset_t *));
    }

    waiting = 0;
    refreshing = 0;
    missing = NULL;
    remote = alcf->remote_keys->elts;
    supply = alcf->remote_keys->nelts ? MA_KEYS_FETCHED : MA_KEYS_FIXED;

    for (i = 0; i < alcf->remote_keys->nelts; i++) {
        state = ngx_http_mastra_auth_keys_acquire(r, remote[i], 0);

        if (remote[i]->keys) {
            sets[n++] = remote[i]->keys;

            /* a fetch in flight may bring a kid these keys lack */
            refreshing |= (state == NGX_HTTP_MASTRA_AUTH_KEYS_WAIT);

        } else if (state == NGX_HTTP_MASTRA_AUTH_KEYS_WAIT) {
            waiting = 1;
            supply = MA_KEYS_PENDING;

        } else {
            missing = remote[i];
            supply = MA_KEYS_PENDING;
        }
    }

    if (n == 0) {
        if (waiting && may_wait) {
            return NGX_AGAIN;
        }

        goto unavailable;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    /*
     * The verified-token cache: an entry stands for the generations of the
     * remote sets it was verified with (generations only grow, so their
     * sum changes whenever one set does).
     */

    epoch = 0;

    if (alcf->verify_cache) {
        for (i = 0; i < alcf->remote_keys->nelts; i++) {
            epoch += remote[i]->keys ? remote[i]->generation : 0;
        }

        ma_jws_cache_key(alcf->jws_verifier, token, digest);

        if (ngx_http_mastra_auth_cache_lookup(r, ctx, digest, epoch)
            == NGX_OK)
        {
            *status = ma_jws_verify_known(alcf->jws_verifier, token,
                                          ngx_time(), &ctx->identity);
            goto done;
        }
    }

    *status = ma_jws_verify(alcf->jws_verifier, token, ngx_time(), sets, n,
                            supply, &ctx->identity);

    if (*status == MA_OK && alcf->verify_cache) {
        ngx_http_mastra_auth_cache_store(r, digest, epoch,
                                    ma_identity_valid_until(ctx->identity));
    }

done:

    if (ctx->identity != NULL) {
        cln->handler = ngx_http_mastra_auth_cleanup_identity;
        cln->data = ctx->identity;
    }

    if (*status != MA_UNKNOWN_KEY) {
        return NGX_OK;
    }

    if (may_wait) {

        /* a set still loading, or being refetched, may hold the kid */

        if (waiting || refreshing) {
            return NGX_AGAIN;
        }

        if (!ctx->refetched) {
            ctx->refetched = 1;

            for (i = 0; i < alcf->remote_keys->nelts; i++) {
                if (ngx_http_mastra_auth_keys_acquire(r, remote[i], 1)
                    == NGX_HTTP_MASTRA_AUTH_KEYS_WAIT)
                {
                    waiting = 1;
                }
            }

            if (waiting) {
                return NGX_AGAIN;
            }
        }
    }

    /*
     * The key this token may need sits in a set that could not be had in
     * time: the key server's failure, not the token's (503, as without
     * static keys), never a pass.
     */

    if (supply == MA_KEYS_PENDING) {
        goto unavailable;
    }

    return NGX_OK;

unavailable:

    ctx->retry_after = missing
                       ? ngx_http_mastra_auth_keys_retry_after(r, missing)
                       : 1;
    *status = MA_KEYS_UNAVAILABLE;
    return NGX_OK;
}


/*
 * Suspends the request (other requests keep flowing) and looks again in a
 * moment, the way limit_req delays a request: the fetch runs on a thread of
 * any worker, so every waiter polls the shared zone.
 */

static ngx_int_t
ngx_http_mastra_auth_wait(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    if (ctx->wait_until == 0) {
        /* discovery and the key set: two fetches, each with its timeout */
        ctx->wait_until = ngx_current_msec + 2 * alcf->jwks_timeout + 1000;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mastra_auth: waiting for keys");

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_mastra_auth_resume;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, NGX_HTTP_MASTRA_AUTH_WAIT_STEP);

    return NGX_AGAIN;
}


static void
ngx_http_mastra_auth_resume(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {
        /* the socket became writable before the timer: keep waiting */

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/* three dot-separated parts: a compact JWS, not a Better Auth session token */

static ngx_int_t
ngx_http_mastra_auth_is_jws(ngx_str_t *token)
{
    ngx_uint_t  i, dots;

    dots = 0;

    for (i = 0; i < token->len; i++) {
        if (token->data[i] == '.') {
            dots++;
        }
    }

    return dots == 2;
}


/* a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method */

static ngx_int_t
ngx_http_mastra_auth_is_preflight(ngx_http_request_t *r)
{
    return r->method == NGX_HTTP_OPTIONS
           && ngx_http_mastra_auth_header(r, &ngx_http_mastra_auth_origin)
           && ngx_http_mastra_auth_header(r, &ngx_http_mastra_auth_acrm);
}


static ngx_int_t
ngx_http_mastra_auth_is_playground(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_mastra_auth_header(r, &ngx_http_mastra_auth_playground);

    return h != NULL && h->value.len == 4
           && ngx_strncmp(h->value.data, "true", 4) == 0;
}


/* 1 when an entry's pattern and method match; params of that entry */

static ngx_int_t
ngx_http_mastra_auth_match_routes(ngx_http_request_t *r, ngx_array_t *routes,
    ma_params_t *params)
{
    ma_str_t                       path;
    ngx_uint_t                     i;
    ngx_http_mastra_auth_route_t  *route;

    if (routes == NULL) {
        return 0;
    }

    path.data = (const char *) r->uri.data;
    path.len = r->uri.len;

    route = routes->elts;

    for (i = 0; i < routes->nelts; i++) {
        if (ngx_http_mastra_auth_method_allowed(r, route[i].methods)
            && ma_pattern_match(route[i].pattern, path, params))
        {
            return 1;
        }
    }

    return 0;
}


/* methods compare exactly, as in Mastra's route tuples; NULL: any method */

static ngx_int_t
ngx_http_mastra_auth_method_allowed(ngx_http_request_t *r,
    ngx_array_t *methods)
{
    ngx_str_t   *m;
    ngx_uint_t   i;

    if (methods == NULL) {
        return 1;
    }

    m = methods->elts;

    for (i = 0; i < methods->nelts; i++) {
        if (m[i].len == r->method_name.len
            && ngx_strncmp(m[i].data, r->method_name.data, m[i].len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* NGX_OK: holds; NGX_DECLINED: does not; NGX_ERROR */

static ngx_int_t
ngx_http_mastra_auth_check_holds(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_http_mastra_auth_check_t *check)
{
    ma_str_t   v;
    ngx_str_t  value;

    v.data = NULL;
    v.len = 0;

    if (check->value) {
        if (ngx_http_complex_value(r, check->value, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        v.data = (const char *) value.data;
        v.len = value.len;
    }

    return ma_condition_eval(check->condition, ctx->identity, v)
           ? NGX_OK : NGX_DECLINED;
}


/*
 * Mastra's rules are an allow-list: some rule whose pattern and method match
 * must allow the request.  While a rule is tried, $mastra_auth_param_NAME
 * holds its segments, so its condition can name them.
 */

static ngx_int_t
ngx_http_mastra_auth_apply_rules(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    ma_str_t                      path;
    ngx_int_t                     rc;
    ngx_uint_t                    i;
    ma_params_t                   route_params;
    ngx_http_mastra_auth_rule_t  *rule;

    path.data = (const char *) r->uri.data;
    path.len = r->uri.len;

    route_params = ctx->params;
    rule = alcf->rules->elts;

    for (i = 0; i < alcf->rules->nelts; i++) {

        if (!ngx_http_mastra_auth_method_allowed(r, rule[i].methods)
            || !ma_pattern_match(rule[i].pattern, path, &ctx->params))
        {
            continue;
        }

        if (rule[i].allow) {
            return NGX_OK;
        }

        rc = ngx_http_mastra_auth_check_holds(r, ctx, &rule[i].check);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    ctx->params = route_params;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_mastra_auth_pass(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_http_mastra_auth_outcome_e outcome)
{
    ctx->outcome = outcome;
    ctx->decided = 1;

    ngx_http_mastra_auth_metrics_decided(r, alcf, ctx);

    return ngx_http_mastra_auth_decided(r, alcf, ctx);
}


/*
 * The phase answer for a decision.  Only a verified token grants access under
 * "satisfy any"; a public route or "observe" mode leaves the decision to the
 * other access modules; a refusal stays a refusal.
 */

static ngx_int_t
ngx_http_mastra_auth_decided(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    if (alcf->mode == NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE) {
        return NGX_DECLINED;
    }

    switch (ctx->outcome) {

    case ngx_http_mastra_auth_ok:
        return NGX_OK;

    case ngx_http_mastra_auth_off:
    case ngx_http_mastra_auth_public:
        return NGX_DECLINED;

    default:
        return ngx_http_mastra_auth_status_code(ctx);
    }
}


static ngx_int_t
ngx_http_mastra_auth_fail(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t reason)
{
    u_char            *q;
    ma_str_t           kid, iss, alg;
    ngx_str_t          k, i, a, path;
    ngx_log_t         *log;
    ngx_log_handler_pt handler;

    ctx->reason = reason;
    ctx->decided = 1;

    switch (reason) {

    case MA_TOKEN_MISSING:
        ctx->outcome = ngx_http_mastra_auth_missing;
        break;

    case MA_TOKEN_EXPIRED:
        ctx->outcome = ngx_http_mastra_auth_expired;
        break;

    case MA_CLAIM_FAILED:
    case MA_RULE_DENIED:
    case MA_SCOPE_MISSING:
        ctx->outcome = ngx_http_mastra_auth_forbidden;
        break;

    case MA_KEYS_UNAVAILABLE:
    case MA_BETTER_AUTH_UNAVAILABLE:
        ctx->outcome = ngx_http_mastra_auth_unavailable;
        break;

    default:
        ctx->outcome = ngx_http_mastra_auth_invalid;
        break;
    }

    ngx_http_mastra_auth_metrics_decided(r, alcf, ctx);

    /* the reason and the header fields, never the token */

    ngx_str_null(&k);
    ngx_str_null(&i);
    ngx_str_null(&a);

    if (ctx->identity) {
        kid = ma_identity_kid(ctx->identity);
        iss = ma_identity_iss(ctx->identity);
        alg = ma_identity_alg(ctx->identity);

        k.data = (u_char *) kid.data;
        k.len = kid.len;
        i.data = (u_char *) iss.data;
        i.len = iss.len;
        a.data = (u_char *) alg.data;
        a.len = alg.len;
    }

    /*
     * nginx's own context for this log would add the request line, and with
     * it a token sent as ?apiKey=: name the client and the path instead.
     */

    path = r->unparsed_uri;
    q = ngx_strlchr(path.data, path.data + path.len, '?');
    if (q) {
        path.len = q - path.data;
    }

    log = r->connection->log;
    handler = log->handler;
    log->handler = NULL;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "mastra_auth: %s request: reason \"%s\", kid \"%V\", "
                  "iss \"%V\", alg \"%V\", source \"%V\"%s%V%s%*s, "
                  "client: %V, path: \"%V\"",
                  alcf->mode == NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE
                  ? "observed" : "refused",
                  ma_status_code(reason), &k, &i, &a, &ctx->token_source,
                  ctx->why_cookie.len ? ", cookie \"" : "", &ctx->why_cookie,
                  ctx->why_cookie.len ? "\" " : "", ctx->why.len,
                  ctx->why.data ? ctx->why.data : "",
                  &r->connection->addr_text, &path);

    log->handler = handler;

    if (alcf->mode == NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE) {
        return NGX_DECLINED;
    }

    return ngx_http_mastra_auth_refuse(r, alcf, ctx);
}
