
/*
 * nginx-mastra-auth: the verified-token cache (docs/performance.md,
 * mastra_auth_verify_cache).
 *
 * A token that verified is remembered in the shared zone under a SHA-256 of
 * the verifier's random scope and the whole token (the core computes it), so
 * that its next requests skip the signature check; parsing, algorithm
 * pinning, every claim at the current time, claim conditions and rules are
 * still evaluated per request.  An entry holds no token and no claim: only
 * that key, until when the token's exp allows it, and the key-set epoch it
 * was verified under (the sum of the generations of the location's remote
 * key sets: a refetch that changed any of them misses every entry, so a
 * key withdrawn by rotation stops verifying at once).  Only results that
 * verified are stored: a refused token is never turned into an accepted one.
 *
 * Why in the zone and not per worker: a token is verified once for all
 * workers instead of once per worker, its memory is bounded once, with the
 * key sets, where mastra_auth_zone sizes it (one 128-byte slab chunk an
 * entry), and a rotation is seen by every worker through the same epoch.
 * The price is the zone's lock, taken once per lookup and per store; with
 * 1 and 2 workers, t/bench/run finds the per-worker variant neither faster
 * nor slower beyond the machine's noise (docs/performance.md).
 *
 * Built with -DNGX_HTTP_MASTRA_AUTH_CACHE_PER_WORKER, the same cache lives
 * in each worker's own memory instead (same size, no shared lock): the
 * variant t/bench/run measures against, for docs/performance.md.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


typedef struct {
    ngx_http_mastra_auth_entry_t  entry;    /* until: the token's exp */
    ngx_uint_t                  epoch;
} ngx_http_mastra_auth_verified_t;


static ngx_http_mastra_auth_zone_ctx_t *ngx_http_mastra_auth_cache_zone(
    ngx_http_request_t *r);


/*
 * An empty cache in sh, of as many entries as size bytes hold (one slab
 * chunk each); the store stays as it is on a reload, where only the bound
 * follows the new configuration.
 */

void
ngx_http_mastra_auth_cache_init(ngx_http_mastra_auth_shctx_t *sh, size_t size,
    ngx_uint_t reload)
{
    size_t  chunk;

    if (!reload) {
        /* the zone is shared with key sets and sessions: make room */
        ngx_http_mastra_auth_store_init(&sh->verified, 8);
    }

    for (chunk = 8; chunk < sizeof(ngx_http_mastra_auth_verified_t); chunk <<= 1) {
        /* void */
    }

    sh->verified.max = size / chunk;
}


/*
 * NGX_OK when the token of this digest verified under this epoch and its
 * exp has not passed; NGX_DECLINED otherwise (an entry of another epoch or
 * past its time is dropped).  ctx->cache_status says which.
 */

ngx_int_t
ngx_http_mastra_auth_cache_lookup(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, u_char *digest, ngx_uint_t epoch)
{
    ngx_int_t                          rc;
    ngx_http_mastra_auth_zone_ctx_t   *zone;
    ngx_http_mastra_auth_verified_t   *vn;

    ctx->cache_status = NGX_HTTP_MASTRA_AUTH_CACHE_MISS;

    zone = ngx_http_mastra_auth_cache_zone(r);
    if (zone == NULL) {
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    vn = (ngx_http_mastra_auth_verified_t *)
             ngx_http_mastra_auth_store_lookup(&zone->sh->verified,
                                               zone->shpool, digest,
                                               ngx_time());

    if (vn) {
        if (vn->epoch == epoch) {
            ngx_http_mastra_auth_store_touch(&zone->sh->verified, &vn->entry);
            ctx->cache_status = NGX_HTTP_MASTRA_AUTH_CACHE_HIT;
            rc = NGX_OK;

        } else {
            ngx_http_mastra_auth_store_free(&zone->sh->verified, zone->shpool,
                                            &vn->entry);
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mastra_auth: verified-token cache %s",
                   rc == NGX_OK ? "hit" : "miss");

    return rc;
}


/* remembers a token that verified now; a full cache forgets its oldest */

void
ngx_http_mastra_auth_cache_store(ngx_http_request_t *r, u_char *digest,
    ngx_uint_t epoch, int64_t valid_until)
{
    time_t                             now;
    ngx_http_mastra_auth_shctx_t      *sh;
    ngx_http_mastra_auth_zone_ctx_t   *zone;
    ngx_http_mastra_auth_verified_t   *vn;

    zone = ngx_http_mastra_auth_cache_zone(r);
    if (zone == NULL) {
        return;
    }

    sh = zone->sh;
    now = ngx_time();

    if (valid_until <= (int64_t) now) {
        return;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (sh->verified.max == 0) {
        goto done;
    }

    vn = (ngx_http_mastra_auth_verified_t *)
             ngx_http_mastra_auth_store_lookup(&sh->verified, zone->shpool,
                                               digest, now);

    if (vn == NULL) {
        vn = (ngx_http_mastra_auth_verified_t *)
                 ngx_http_mastra_auth_store_insert(&sh->verified,
                                   zone->shpool, digest,
                                   sizeof(ngx_http_mastra_auth_verified_t));
        if (vn == NULL) {
            goto done;
        }

    } else {
        ngx_http_mastra_auth_store_touch(&sh->verified, &vn->entry);
    }

    vn->epoch = epoch;
    vn->entry.until = valid_until > (int64_t) NGX_MAX_TIME_T_VALUE
                      ? NGX_MAX_TIME_T_VALUE : (time_t) valid_until;

done:

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* where the cache is: the shared zone, or (variant) this worker's memory */

static ngx_http_mastra_auth_zone_ctx_t *
ngx_http_mastra_auth_cache_zone(ngx_http_request_t *r)
{
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

#if (NGX_HTTP_MASTRA_AUTH_CACHE_PER_WORKER)
    {
    static ngx_http_mastra_auth_zone_ctx_t  worker;

    u_char           *p;
    size_t            size;
    ngx_slab_pool_t  *sp;

    if (worker.sh) {
        return &worker;
    }

    size = ngx_max(amcf->verify_cache * 2, 64 * ngx_pagesize);

    p = ngx_alloc(size, r->connection->log);
    if (p == NULL) {
        return NULL;
    }

    sp = (ngx_slab_pool_t *) p;
    sp->end = p + size;
    sp->min_shift = 3;
    sp->addr = p;

    if (ngx_shmtx_create(&sp->mutex, &sp->lock, NULL) != NGX_OK) {
        return NULL;
    }

    ngx_slab_init(sp);

    worker.shpool = sp;
    worker.sh = ngx_slab_calloc(sp, sizeof(ngx_http_mastra_auth_shctx_t));
    if (worker.sh == NULL) {
        return NULL;
    }

    ngx_http_mastra_auth_cache_init(worker.sh, amcf->verify_cache, 0);

    return &worker;
    }
#else
    return amcf->zone->data;
#endif
}
