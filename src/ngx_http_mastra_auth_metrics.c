
/*
 * nginx-mastra-auth: Prometheus metrics from the shared zone
 * (docs/metrics.md, mastra_auth_metrics): the counting.
 *
 * The counters live in the shared zone, so that one scrape sees every
 * worker and a reload keeps them.  A request only adds to them, with
 * atomic adds and no lock: fixed arrays indexed by the closed label sets
 * (provider, $mastra_auth_status, $mastra_auth_error).  The per key set
 * counters sit in the key set's slot and are written by the fetch's
 * completion, which holds the zone's lock anyway.  The scrape's side is
 * ngx_http_mastra_auth_exposition.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_http_mastra_auth_metrics_t *ngx_http_mastra_auth_metrics_get(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_mastra_auth_metrics_once(ngx_http_request_t *r);
static void ngx_http_mastra_auth_metrics_counted(void *data);
static void ngx_http_mastra_auth_histogram_add(
    ngx_http_mastra_auth_histogram_t *h, ngx_msec_t ms);


/* the histograms' upper bounds, in milliseconds (the last bucket: +Inf) */
static ngx_msec_t  ngx_http_mastra_auth_bounds[NGX_HTTP_MASTRA_AUTH_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};


/* mastra_auth_metrics: this location answers with the metrics */

char *
ngx_http_mastra_auth_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_mastra_auth_metrics_handler) {
        return "is duplicate";
    }

    if (clcf->handler != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": the location already has a content "
                           "handler", &cmd->name);
        return NGX_CONF_ERROR;
    }

    clcf->handler = ngx_http_mastra_auth_metrics_handler;

    /* the counters need the zone: the default one unless one is declared */

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);
    amcf->metrics = 1;

    return NGX_CONF_OK;
}


/* at merge time: the providers in use get their series, zero or not */

void
ngx_http_mastra_auth_metrics_merge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    ngx_http_mastra_auth_main_conf_t  *amcf;

    if (conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF
        || conf->provider >= NGX_HTTP_MASTRA_AUTH_PROVIDERS)
    {
        return;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);
    amcf->providers |= (ngx_uint_t) 1 << conf->provider;
}


/*
 * When the zone is made: the counters' block, unless a reload found it
 * there already (the counters go on from where they were).
 */

ngx_int_t
ngx_http_mastra_auth_metrics_init_zone(ngx_http_mastra_auth_zone_ctx_t *zone)
{
    if (zone->sh->metrics != NULL) {
        return NGX_OK;
    }

    zone->sh->metrics = ngx_slab_calloc(zone->shpool,
                                        sizeof(ngx_http_mastra_auth_metrics_t));

    return zone->sh->metrics ? NGX_OK : NGX_ERROR;
}


/*
 * A decision for a client request.  Counted once per client request: the
 * check runs again in a location an internal redirect (error_page,
 * try_files, index) leads to, and that later decision is not counted, so
 * N requests move mastra_auth_requests_total by exactly N.
 */

void
ngx_http_mastra_auth_metrics_decided(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    ngx_uint_t                        reason;
    ngx_http_mastra_auth_metrics_t   *m;

    m = ngx_http_mastra_auth_metrics_get(r);

    if (m == NULL || ngx_http_mastra_auth_metrics_once(r) != NGX_OK) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->requests[alcf->provider][ctx->outcome], 1);

    if (ctx->outcome >= ngx_http_mastra_auth_missing) {
        reason = ctx->reason < NGX_HTTP_MASTRA_AUTH_REASONS
                 ? (ngx_uint_t) ctx->reason : MA_INTERNAL_ERROR;

        (void) ngx_atomic_fetch_add(&m->refusals[reason], 1);

        if (alcf->mode == NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE) {
            (void) ngx_atomic_fetch_add(&m->observed[reason], 1);
        }
    }

    /* as $mastra_auth_cache_status says, for this request's last check */

    if (ctx->cache_status == NGX_HTTP_MASTRA_AUTH_CACHE_HIT) {
        (void) ngx_atomic_fetch_add(&m->verify_hits, 1);

    } else if (ctx->cache_status == NGX_HTTP_MASTRA_AUTH_CACHE_MISS) {
        (void) ngx_atomic_fetch_add(&m->verify_misses, 1);
    }

    if (ctx->session_cache == NGX_HTTP_MASTRA_AUTH_CACHE_HIT) {
        (void) ngx_atomic_fetch_add(&m->session_hits, 1);

    } else if (ctx->session_cache == NGX_HTTP_MASTRA_AUTH_CACHE_MISS) {
        (void) ngx_atomic_fetch_add(&m->session_misses, 1);
    }
}


/* a preflight the module answers itself: public, as one it lets pass */

void
ngx_http_mastra_auth_metrics_preflight(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf)
{
    ngx_http_mastra_auth_metrics_t  *m;

    m = ngx_http_mastra_auth_metrics_get(r);

    if (m == NULL || ngx_http_mastra_auth_metrics_once(r) != NGX_OK) {
        return;
    }

    (void) ngx_atomic_fetch_add(
               &m->requests[alcf->provider][ngx_http_mastra_auth_public], 1);
    (void) ngx_atomic_fetch_add(&m->preflights, 1);
}


/* the check could not be finished (memory, a full zone): a 500 */

ngx_int_t
ngx_http_mastra_auth_metrics_error(ngx_http_request_t *r)
{
    ngx_http_mastra_auth_metrics_t  *m;

    m = ngx_http_mastra_auth_metrics_get(r);

    if (m != NULL && ngx_http_mastra_auth_metrics_once(r) == NGX_OK) {
        (void) ngx_atomic_fetch_add(&m->errors, 1);
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * The first look into the zone's session answers for this request: an
 * answer there is a hit; none yet (asked now, or being asked) a miss.
 */

void
ngx_http_mastra_auth_metrics_session(ngx_http_mastra_auth_ctx_t *ctx,
    ngx_uint_t hit)
{
    if (ctx->session_cache == NGX_HTTP_MASTRA_AUTH_CACHE_NONE) {
        ctx->session_cache = hit ? NGX_HTTP_MASTRA_AUTH_CACHE_HIT
                                 : NGX_HTTP_MASTRA_AUTH_CACHE_MISS;
    }
}


/* a get-session answer, on the event loop; zone: the ask's */

void
ngx_http_mastra_auth_metrics_better_auth(ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_uint_t result, ngx_msec_t started)
{
    ngx_http_mastra_auth_metrics_t  *m;

    m = zone->sh->metrics;

    if (m == NULL || result >= NGX_HTTP_MASTRA_AUTH_BA_RESULTS) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->better_auth[result], 1);

    ngx_http_mastra_auth_histogram_add(&m->better_auth_seconds,
                                       ngx_current_msec - started);
}


/* a key set fetch completed; km: its slot's counters */

void
ngx_http_mastra_auth_metrics_key_fetch(
    ngx_http_mastra_auth_keyset_metrics_t *km, ngx_uint_t result,
    ngx_msec_t started)
{
    if (result >= NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS) {
        return;
    }

    (void) ngx_atomic_fetch_add(&km->fetches[result], 1);

    ngx_http_mastra_auth_histogram_add(&km->seconds,
                                       ngx_current_msec - started);
}


static void
ngx_http_mastra_auth_histogram_add(ngx_http_mastra_auth_histogram_t *h,
    ngx_msec_t ms)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_MASTRA_AUTH_BUCKETS; i++) {
        if (ms <= ngx_http_mastra_auth_bounds[i]) {
            break;
        }
    }

    /* per bucket here; the exposition adds them up */

    (void) ngx_atomic_fetch_add(&h->buckets[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum_ms, ms);
}


static ngx_http_mastra_auth_metrics_t *
ngx_http_mastra_auth_metrics_get(ngx_http_request_t *r)
{
    ngx_http_mastra_auth_zone_ctx_t   *zone;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    if (amcf->zone == NULL) {
        /* no zone, no metrics location anywhere: nothing to count into */
        return NULL;
    }

    zone = amcf->zone->data;

    return zone->sh ? zone->sh->metrics : NULL;
}


/*
 * NGX_OK the first time for a client request.  The module's request
 * context does not survive an internal redirect, the request pool's
 * cleanups do (as the realip module finds its context again): a no-op
 * cleanup marks the request as counted.  Before any internal redirect
 * there is nothing to look for.
 */

static ngx_int_t
ngx_http_mastra_auth_metrics_once(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    if (r->main->internal) {
        for (cln = r->main->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_mastra_auth_metrics_counted) {
                return NGX_DECLINED;
            }
        }
    }

    cln = ngx_pool_cleanup_add(r->main->pool, 0);
    if (cln == NULL) {
        /* counted anyway: a redirect may count it twice, never zero times */
        return NGX_OK;
    }

    cln->handler = ngx_http_mastra_auth_metrics_counted;
    cln->data = NULL;

    return NGX_OK;
}


static void
ngx_http_mastra_auth_metrics_counted(void *data)
{
    /* a mark only */
}
