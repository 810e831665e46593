
/*
 * nginx-mastra-auth: remote key sets in shared memory (docs/providers.md).
 *
 * Per key set, the zone holds the raw JWKS bytes of the last good fetch with
 * a generation counter, the refresh and retry times, and a flag saying that
 * a fetch is in flight (one for all workers).  Fetches run on an nginx thread
 * pool; the event loop only posts them and stores what they brought.  Each
 * worker parses a generation once and keeps that parse.  A failed fetch
 * never loses the last good keys.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


#define NGX_HTTP_MASTRA_AUTH_ERROR_LEN        160
#define NGX_HTTP_MASTRA_AUTH_KID_REFETCH      30     /* seconds, per set */
#define NGX_HTTP_MASTRA_AUTH_MIN_TTL          60     /* Cache-Control clamp */
#define NGX_HTTP_MASTRA_AUTH_MAX_TTL          86400
#define NGX_HTTP_MASTRA_AUTH_MAX_BACKOFF      300
#define NGX_HTTP_MASTRA_AUTH_DEFAULT_ZONE     (10 * 1024 * 1024)


struct ngx_http_mastra_auth_slot_s {
    ngx_queue_t                 queue;
    ngx_str_t                   key;            /* url, ca file, issuer */

    ngx_uint_t                  generation;     /* 0: never fetched */
    u_char                     *body;
    size_t                      body_len;
    ngx_uint_t                  nkeys;

    time_t                      fetched;        /* last good fetch */
    time_t                      refresh_at;     /* next refresh due */
    time_t                      retry_at;       /* after a failure */
    ngx_uint_t                  failures;
    time_t                      fetch_started;  /* 0: none in flight */
    time_t                      kid_refetch;    /* last unknown-kid refetch */
    ngx_uint_t                  fetches;

    size_t                      error_len;
    u_char                      error[NGX_HTTP_MASTRA_AUTH_ERROR_LEN];

    ngx_http_mastra_auth_keyset_metrics_t  metrics;
};


/* one fetch: posted to the thread pool, completed on the event loop */
typedef struct {
    ngx_http_mastra_auth_keyset_t  *keyset;
    ngx_http_mastra_auth_zone_ctx_t  *zone;
    ma_fetch_t                     *result;
    ma_keyset_t                    *keys;       /* the parse, when usable */
    ngx_log_t                      *log;
    ngx_event_t                     guard;      /* keeps an exiting worker */
    ngx_msec_t                      started;    /* for the metrics */
} ngx_http_mastra_auth_fetch_t;


static ngx_shm_zone_t *ngx_http_mastra_auth_add_zone(ngx_conf_t *cf,
    ngx_str_t *name, size_t size);
static ngx_int_t ngx_http_mastra_auth_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_mastra_auth_slot_t *ngx_http_mastra_auth_slot_locked(
    ngx_http_mastra_auth_zone_ctx_t *zone, ngx_http_mastra_auth_keyset_t *ks);
static ngx_int_t ngx_http_mastra_auth_fetch_post(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks, ngx_http_mastra_auth_zone_ctx_t *zone);
static void ngx_http_mastra_auth_fetch_thread(void *data, ngx_log_t *log);
static void ngx_http_mastra_auth_fetch_done(ngx_event_t *ev);
static void ngx_http_mastra_auth_guard_expired(ngx_event_t *ev);
static void ngx_http_mastra_auth_use_keys(ngx_http_mastra_auth_keyset_t *ks,
    ma_keyset_t *keys, ngx_uint_t generation);
static void ngx_http_mastra_auth_cleanup_remote(void *data);


static ngx_str_t  ngx_http_mastra_auth_default_zone = ngx_string("mastra_auth");


/* mastra_auth_zone name:size */

char *
ngx_http_mastra_auth_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_main_conf_t *amcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (amcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid zone \"%V\" (name:size)",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid zone size \"%V\" (at least %uz)",
                           &cmd->name, &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    amcf->zone = ngx_http_mastra_auth_add_zone(cf, &name, size);

    return amcf->zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static ngx_shm_zone_t *
ngx_http_mastra_auth_add_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t                   *zone;
    ngx_http_mastra_auth_zone_ctx_t  *ctx;

    /* allocated now, in the new cycle's pool, as limit_req does */

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_mastra_auth_zone_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_mastra_auth_module);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", name);
        return NULL;
    }

    zone->init = ngx_http_mastra_auth_init_zone;
    zone->data = ctx;

    return zone;
}


/*
 * After the configuration is merged: a zone (a default one when the user
 * declared none) and the thread pool, when any location fetches keys.
 */

ngx_int_t
ngx_http_mastra_auth_keys_init_main(ngx_conf_t *cf,
    ngx_http_mastra_auth_main_conf_t *amcf)
{
    if (amcf->keysets.nelts == 0 && !amcf->sessions && !amcf->verify_cache
        && !amcf->metrics)
    {
        return NGX_OK;
    }

    if (amcf->zone == NULL) {
        amcf->zone = ngx_http_mastra_auth_add_zone(cf,
                                           &ngx_http_mastra_auth_default_zone,
                                           NGX_HTTP_MASTRA_AUTH_DEFAULT_ZONE);
        if (amcf->zone == NULL) {
            return NGX_ERROR;
        }
    }

    ((ngx_http_mastra_auth_zone_ctx_t *) amcf->zone->data)->verify_cache =
                                                          amcf->verify_cache;

    if (amcf->keysets.nelts == 0 && !amcf->sessions) {
        return NGX_OK;     /* nothing to fetch */
    }

    /* the "default" pool: nginx creates it (32 threads) unless declared */

    amcf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (amcf->thread_pool == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_mastra_auth_zone_ctx_t  *octx = data;

    ngx_http_mastra_auth_zone_ctx_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        /*
         * A reload: the key sets fetched so far stay (no refetch storm);
         * verified tokens stay too, but the new configuration's verifiers
         * have new scopes, so its requests never find the old entries,
         * which age out.
         */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        ngx_http_mastra_auth_cache_init(ctx->sh, ctx->verify_cache, 1);
        return ngx_http_mastra_auth_metrics_init_zone(ctx);
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool, sizeof(ngx_http_mastra_auth_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_queue_init(&ctx->sh->slots);

    /* sessions are bounded by the zone: up to 16 evicted for a new one */
    ngx_http_mastra_auth_store_init(&ctx->sh->sessions, 16);

    ngx_http_mastra_auth_cache_init(ctx->sh, ctx->verify_cache, 0);

    ctx->shpool->log_nomem = 0;

    return ngx_http_mastra_auth_metrics_init_zone(ctx);
}


/*
 * The n bytes at p are those of s; s may be empty with a NULL data pointer
 * (an unset ca_file or issuer), which memcmp() and memcpy() must not get.
 */

static ngx_inline ngx_uint_t
ngx_http_mastra_auth_bytes_eq(u_char *p, ngx_str_t *s)
{
    return s->len == 0 || ngx_memcmp(p, s->data, s->len) == 0;
}


static ngx_inline u_char *
ngx_http_mastra_auth_copy(u_char *p, ngx_str_t *s)
{
    return s->len ? ngx_cpymem(p, s->data, s->len) : p;
}


/*
 * One key set per distinct (url, ca_file, issuer): locations that name the
 * same key server share its cache and its fetches.
 */

ngx_http_mastra_auth_keyset_t *
ngx_http_mastra_auth_keyset_add(ngx_conf_t *cf, ngx_str_t *url,
    ngx_str_t *ca_file, ngx_str_t *ca_pem, ngx_str_t *issuer,
    ngx_msec_t timeout, time_t refresh)
{
    ngx_uint_t                         i;
    ngx_pool_cleanup_t                *cln;
    ngx_http_mastra_auth_keyset_t     *ks, **kss;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);

    kss = amcf->keysets.elts;

    for (i = 0; i < amcf->keysets.nelts; i++) {
        ks = kss[i];

        if (ks->url.len == url->len
            && ngx_http_mastra_auth_bytes_eq(ks->url.data, url)
            && ks->ca_file.len == ca_file->len
            && ngx_http_mastra_auth_bytes_eq(ks->ca_file.data, ca_file)
            && ks->issuer.len == issuer->len
            && ngx_http_mastra_auth_bytes_eq(ks->issuer.data, issuer))
        {
            /* the strictest settings of the locations that share it */
            ks->timeout = ngx_min(ks->timeout, timeout);
            ks->refresh = ngx_min(ks->refresh, refresh);
            return ks;
        }
    }

    ks = ngx_pcalloc(cf->pool, sizeof(ngx_http_mastra_auth_keyset_t));
    if (ks == NULL) {
        return NULL;
    }

    ks->url = *url;
    ks->ca_file = *ca_file;
    ks->ca_pem = *ca_pem;
    ks->issuer = *issuer;
    ks->timeout = timeout;
    ks->refresh = refresh;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_remote;
    cln->data = ks;

    kss = ngx_array_push(&amcf->keysets);
    if (kss == NULL) {
        return NULL;
    }

    *kss = ks;

    return ks;
}


/*
 * What a request may do with a key set now: WAIT (a fetch is in flight; the
 * last good keys, if any, are in ks->keys meanwhile), READY (ks->keys holds
 * the keys and nothing is being fetched), or UNAVAILABLE (no keys, none
 * coming).  Starts a fetch when none is in flight and the set
 * is empty, due for refresh, or (refetch) asked for by an unknown kid, at
 * most once per 30 s.
 */

ngx_int_t
ngx_http_mastra_auth_keys_acquire(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks, ngx_uint_t refetch)
{
    u_char                            *copy;
    size_t                             len;
    time_t                             now, stale;
    ngx_uint_t                         generation, start, fetching;
    ma_str_t                           text;
    ma_status_t                        rc;
    ma_keyset_t                       *keys;
    ngx_http_mastra_auth_slot_t       *slot;
    ngx_http_mastra_auth_zone_ctx_t   *zone;
    ngx_http_mastra_auth_main_conf_t  *amcf;
    volatile ngx_http_mastra_auth_slot_t  *vs;
    char                               err[NGX_HTTP_MASTRA_AUTH_ERROR_LEN];

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);
    zone = amcf->zone->data;

    now = ngx_time();

    /*
     * The common case, without the zone's lock: this worker has parsed the
     * set's current generation, nothing is being fetched and no refresh or
     * refetch is due.  Each field is one aligned word that other workers
     * write under the lock; a stale read only moves a refresh to the next
     * request, and the keys used are always this worker's own parse.
     */

    vs = ks->slot;

    if (vs != NULL && !refetch && ks->keys != NULL
        && vs->generation == ks->generation
        && vs->fetch_started == 0
        && now < vs->refresh_at)
    {
        return NGX_HTTP_MASTRA_AUTH_KEYS_READY;
    }

    /* a fetch older than this was lost (its worker exited): take over */
    stale = (time_t) (ks->timeout / 1000) * 2 + 10;

    copy = NULL;
    len = 0;
    generation = 0;
    start = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    slot = ks->slot;

    if (slot == NULL) {
        slot = ngx_http_mastra_auth_slot_locked(zone, ks);

        if (slot == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "mastra_auth: the shared zone is too small for "
                          "key set \"%V\"", &ks->url);
            return ks->keys ? NGX_HTTP_MASTRA_AUTH_KEYS_READY
                            : NGX_HTTP_MASTRA_AUTH_KEYS_UNAVAILABLE;
        }

        ks->slot = slot;
    }

    if (slot->generation != ks->generation && slot->body) {
        copy = ngx_alloc(slot->body_len, r->connection->log);
        if (copy) {
            ngx_memcpy(copy, slot->body, slot->body_len);
            len = slot->body_len;
            generation = slot->generation;
        }
    }

    fetching = slot->fetch_started != 0 && now - slot->fetch_started < stale;

    if (!fetching && now >= slot->retry_at) {

        if (slot->body == NULL || now >= slot->refresh_at) {
            start = 1;

        } else if (refetch
                   && now - slot->kid_refetch >= NGX_HTTP_MASTRA_AUTH_KID_REFETCH)
        {
            slot->kid_refetch = now;
            start = 1;
        }
    }

    if (start) {
        slot->fetch_started = now;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (copy) {
        /* another worker fetched a new generation: parse it once, here */

        text.data = (const char *) copy;
        text.len = len;

        rc = ma_keyset_parse_jwks(text, 1, &keys, err, sizeof(err));
        ngx_free(copy);

        if (rc == MA_OK) {
            ngx_http_mastra_auth_use_keys(ks, keys, generation);
        }
    }

    if (start && ngx_http_mastra_auth_fetch_post(r, ks, zone) != NGX_OK) {
        ngx_shmtx_lock(&zone->shpool->mutex);
        slot->fetch_started = 0;
        ngx_shmtx_unlock(&zone->shpool->mutex);
        start = 0;
    }

    if (start || fetching) {
        return NGX_HTTP_MASTRA_AUTH_KEYS_WAIT;
    }

    return (ks->keys || refetch) ? NGX_HTTP_MASTRA_AUTH_KEYS_READY
                                 : NGX_HTTP_MASTRA_AUTH_KEYS_UNAVAILABLE;
}


/* seconds until the next fetch attempt, for Retry-After (at least 1) */

time_t
ngx_http_mastra_auth_keys_retry_after(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks)
{
    time_t                             retry;
    ngx_http_mastra_auth_zone_ctx_t   *zone;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);
    zone = amcf->zone->data;

    retry = 1;

    if (ks->slot) {
        ngx_shmtx_lock(&zone->shpool->mutex);
        retry = ks->slot->retry_at - ngx_time();
        ngx_shmtx_unlock(&zone->shpool->mutex);
    }

    return retry > 0 ? retry : 1;
}


/* what the metrics show of a key set: its slot's figures, copied */

void
ngx_http_mastra_auth_keys_report(ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_keyset_t *ks, ngx_http_mastra_auth_keys_report_t *rep)
{
    ngx_uint_t                    i;
    ngx_http_mastra_auth_slot_t  *slot;

    ngx_memzero(rep, sizeof(ngx_http_mastra_auth_keys_report_t));

    ngx_shmtx_lock(&zone->shpool->mutex);

    /* a set no request asked for yet gets its slot now, as it would then */

    slot = ngx_http_mastra_auth_slot_locked(zone, ks);

    if (slot) {
        rep->keys = slot->nkeys;
        rep->generation = slot->generation;
        rep->fetched = slot->fetched;

        for (i = 0; i < NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS; i++) {
            rep->fetches[i] = slot->metrics.fetches[i];
        }

        for (i = 0; i <= NGX_HTTP_MASTRA_AUTH_BUCKETS; i++) {
            rep->buckets[i] = slot->metrics.seconds.buckets[i];
        }

        rep->sum_ms = slot->metrics.seconds.sum_ms;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


static ngx_http_mastra_auth_slot_t *
ngx_http_mastra_auth_slot_locked(ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_keyset_t *ks)
{
    u_char                       *p;
    size_t                        len;
    ngx_queue_t                  *q;
    ngx_http_mastra_auth_slot_t  *slot;

    len = ks->url.len + 1 + ks->ca_file.len + 1 + ks->issuer.len;

    for (q = ngx_queue_head(&zone->sh->slots);
         q != ngx_queue_sentinel(&zone->sh->slots);
         q = ngx_queue_next(q))
    {
        slot = ngx_queue_data(q, ngx_http_mastra_auth_slot_t, queue);

        if (slot->key.len != len) {
            continue;
        }

        p = slot->key.data;

        if (ngx_http_mastra_auth_bytes_eq(p, &ks->url)
            && ngx_http_mastra_auth_bytes_eq(p + ks->url.len + 1, &ks->ca_file)
            && ngx_http_mastra_auth_bytes_eq(p + ks->url.len + 1
                                             + ks->ca_file.len + 1,
                                             &ks->issuer))
        {
            return slot;
        }
    }

    slot = ngx_slab_calloc_locked(zone->shpool,
                                  sizeof(ngx_http_mastra_auth_slot_t) + len);
    if (slot == NULL) {
        return NULL;
    }

    p = (u_char *) (slot + 1);
    slot->key.data = p;
    slot->key.len = len;

    p = ngx_http_mastra_auth_copy(p, &ks->url);
    *p++ = '\n';
    p = ngx_http_mastra_auth_copy(p, &ks->ca_file);
    *p++ = '\n';
    (void) ngx_http_mastra_auth_copy(p, &ks->issuer);

    ngx_queue_insert_tail(&zone->sh->slots, &slot->queue);

    return slot;
}


static ngx_int_t
ngx_http_mastra_auth_fetch_post(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks, ngx_http_mastra_auth_zone_ctx_t *zone)
{
    ngx_thread_task_t                 *task;
    ngx_http_mastra_auth_fetch_t      *fetch;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    /*
     * Not from a pool: the task outlives the request that started it and
     * is freed when it completes.
     */

    task = ngx_calloc(sizeof(ngx_thread_task_t)
                      + sizeof(ngx_http_mastra_auth_fetch_t), ngx_cycle->log);
    if (task == NULL) {
        return NGX_ERROR;
    }

    fetch = (ngx_http_mastra_auth_fetch_t *) (task + 1);
    fetch->keyset = ks;
    fetch->zone = zone;
    fetch->log = ngx_cycle->log;
    fetch->started = ngx_current_msec;

    task->ctx = fetch;
    task->handler = ngx_http_mastra_auth_fetch_thread;
    task->event.handler = ngx_http_mastra_auth_fetch_done;
    task->event.data = task;
    task->event.log = ngx_cycle->log;

    if (ngx_thread_task_post(amcf->thread_pool, task) != NGX_OK) {
        ngx_free(task);
        return NGX_ERROR;
    }

    /* the timeout, twice with discovery, as a waiting request allows */
    ngx_http_mastra_auth_task_guard(&fetch->guard, 2 * ks->timeout + 1000);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mastra_auth: fetching key set \"%V\"", &ks->url);

    return NGX_OK;
}


/* on a thread-pool thread: network and parsing, no nginx state touched */

static void
ngx_http_mastra_auth_fetch_thread(void *data, ngx_log_t *log)
{
    ngx_http_mastra_auth_fetch_t  *fetch = data;

    char                            err[NGX_HTTP_MASTRA_AUTH_ERROR_LEN];
    ma_str_t                        url, ca, issuer;
    ngx_http_mastra_auth_keyset_t  *ks;

    ks = fetch->keyset;

    url.data = (const char *) ks->url.data;
    url.len = ks->url.len;
    ca.data = (const char *) ks->ca_pem.data;
    ca.len = ks->ca_pem.len;
    issuer.data = (const char *) ks->issuer.data;
    issuer.len = ks->issuer.len;

    fetch->result = ma_fetch_run(url, ca, (long) ks->timeout, issuer);

    if (fetch->result != NULL && ma_fetch_ok(fetch->result)
        && ma_keyset_parse_jwks(ma_fetch_body(fetch->result), 1, &fetch->keys,
                                err, sizeof(err))
           != MA_OK)
    {
        fetch->keys = NULL;
    }

    ma_thread_done();
}


/* back on the event loop of the worker that posted the fetch */

static void
ngx_http_mastra_auth_fetch_done(ngx_event_t *ev)
{
    ngx_thread_task_t             *task = ev->data;
    ngx_http_mastra_auth_fetch_t  *fetch = task->ctx;

    u_char                          *body;
    size_t                           i, nkeys;
    time_t                           now, ttl, backoff;
    int64_t                          max_age;
    ma_str_t                         text, why;
    ngx_uint_t                       ok, generation, changed;
    ngx_http_mastra_auth_slot_t     *slot;
    ngx_http_mastra_auth_keyset_t   *ks;
    ngx_http_mastra_auth_zone_ctx_t *zone;

    if (fetch->guard.timer_set) {
        ngx_del_timer(&fetch->guard);
    }

    ks = fetch->keyset;
    zone = fetch->zone;
    slot = ks->slot;
    now = ngx_time();

    nkeys = fetch->keys ? ma_keyset_size(fetch->keys) : 0;
    ok = fetch->result && ma_fetch_ok(fetch->result) && nkeys > 0;

    why.data = NULL;
    why.len = 0;

    if (fetch->result == NULL) {
        ngx_str_t  oom = ngx_string("out of memory");
        why.data = (const char *) oom.data;
        why.len = oom.len;

    } else if (!ma_fetch_ok(fetch->result)) {
        why = ma_fetch_error(fetch->result);

    } else if (fetch->keys == NULL) {
        ngx_str_t  bad = ngx_string("not a JWK Set");
        why.data = (const char *) bad.data;
        why.len = bad.len;

    } else if (nkeys == 0) {
        ngx_str_t  none = ngx_string("no usable key in the set");
        why.data = (const char *) none.data;
        why.len = none.len;
    }

    generation = 0;
    changed = 0;
    backoff = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    slot->fetch_started = 0;
    slot->fetches++;

    if (ok) {
        text = ma_fetch_body(fetch->result);
        body = ngx_slab_alloc_locked(zone->shpool, text.len);

        if (body == NULL) {
            ngx_str_t  small = ngx_string("the shared zone is too small");
            why.data = (const char *) small.data;
            why.len = small.len;
            ok = 0;

        } else {
            ngx_memcpy(body, text.data, text.len);

            /*
             * The same document again (the usual refresh) keeps its
             * generation: no worker parses it again, and the verified
             * tokens of the set stay cached.
             */

            if (slot->body == NULL || slot->body_len != text.len
                || ngx_memcmp(slot->body, body, text.len) != 0)
            {
                slot->generation++;
                changed = 1;
            }

            if (slot->body) {
                ngx_slab_free_locked(zone->shpool, slot->body);
            }

            slot->body = body;
            slot->body_len = text.len;
            slot->nkeys = nkeys;
            generation = slot->generation;

            max_age = ma_fetch_max_age(fetch->result);
            ttl = max_age < 0 ? ks->refresh
                  : (time_t) ngx_max(NGX_HTTP_MASTRA_AUTH_MIN_TTL,
                                     ngx_min(max_age,
                                             NGX_HTTP_MASTRA_AUTH_MAX_TTL));

            slot->fetched = now;
            slot->refresh_at = now + ttl;
            slot->retry_at = 0;
            slot->failures = 0;
            slot->error_len = 0;
        }
    }

    if (!ok) {
        /* keep the last good keys; retry after 1, 2, 4 ... 300 s */

        slot->failures++;
        backoff = (time_t) 1 << ngx_min(slot->failures - 1, 9);
        backoff = ngx_min(backoff, NGX_HTTP_MASTRA_AUTH_MAX_BACKOFF);
        slot->retry_at = now + backoff;

        slot->error_len = ngx_min(why.len, NGX_HTTP_MASTRA_AUTH_ERROR_LEN);
        ngx_memcpy(slot->error, why.data, slot->error_len);
    }

    nkeys = slot->nkeys;

    ngx_http_mastra_auth_metrics_key_fetch(&slot->metrics,
        !ok ? NGX_HTTP_MASTRA_AUTH_FETCH_ERROR
            : changed ? NGX_HTTP_MASTRA_AUTH_FETCH_OK
                      : NGX_HTTP_MASTRA_AUTH_FETCH_UNCHANGED,
        fetch->started);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (ok) {
        ngx_log_error(NGX_LOG_INFO, fetch->log, 0,
                      "mastra_auth: key set \"%V\" fetched: %uz keys, "
                      "generation %ui%s", &ks->url, nkeys, generation,
                      changed ? "" : " (unchanged)");

        for (i = 0; i < ma_keyset_skipped_count(fetch->keys); i++) {
            text = ma_keyset_skipped(fetch->keys, i);
            ngx_log_error(NGX_LOG_WARN, fetch->log, 0,
                          "mastra_auth: key set \"%V\": skipped %*s",
                          &ks->url, text.len, text.data);
        }

        /* this worker has the parse already: no second one */
        ngx_http_mastra_auth_use_keys(ks, fetch->keys, generation);
        fetch->keys = NULL;

    } else {
        ngx_log_error(NGX_LOG_ERR, fetch->log, 0,
                      "mastra_auth: key set \"%V\" fetch failed: %*s; %s; "
                      "next try in %T s", &ks->url, why.len, why.data,
                      nkeys ? "keeping the last good keys" : "no keys yet",
                      backoff);
    }

    if (fetch->keys) {
        ma_keyset_free(fetch->keys);
    }

    if (fetch->result) {
        ma_fetch_free(fetch->result);
    }

    ngx_free(task);
}


/*
 * A worker that is shutting down (reload, upgrade) exits once no timer but
 * cancelable ones is left, and the completion of a task it posted that comes
 * after its exit is never handled: the zone would say "fetching" (or "being
 * asked") until that counts as lost, and meanwhile nobody refreshes the key
 * set and requests that need it wait their full time.  This timer, posted
 * with the task and deleted by its completion handler, keeps the worker until
 * the task completes, or until it is overdue.
 */

void
ngx_http_mastra_auth_task_guard(ngx_event_t *guard, ngx_msec_t timeout)
{
    guard->handler = ngx_http_mastra_auth_guard_expired;
    guard->log = ngx_cycle->log;

    ngx_add_timer(guard, timeout);
}


/* the task is overdue: an exiting worker need not wait for it any longer */

static void
ngx_http_mastra_auth_guard_expired(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "mastra_auth: a thread task is overdue");
}


static void
ngx_http_mastra_auth_use_keys(ngx_http_mastra_auth_keyset_t *ks,
    ma_keyset_t *keys, ngx_uint_t generation)
{
    if (ks->keys) {
        ma_keyset_free(ks->keys);
    }

    ks->keys = keys;
    ks->generation = generation;
}


static void
ngx_http_mastra_auth_cleanup_remote(void *data)
{
    ngx_http_mastra_auth_keyset_t  *ks = data;

    if (ks->keys) {
        ma_keyset_free(ks->keys);
        ks->keys = NULL;
    }
}
