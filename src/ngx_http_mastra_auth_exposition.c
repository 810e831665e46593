
/*
 * nginx-mastra-auth: the metrics location's answer (docs/metrics.md,
 * mastra_auth_metrics): the zone's counters, and each configured key
 * set's figures copied from its slot, in Prometheus' text exposition
 * format, version 0.0.4.  The counting: ngx_http_mastra_auth_metrics.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


/* a key set's line of the exposition: its slot's figures, merged by label */
typedef struct {
    ngx_str_t                   label;      /* escaped, without a query */
    ngx_http_mastra_auth_keys_report_t  report;
} ngx_http_mastra_auth_metrics_keyset_t;


/* the text being written; overflow: the estimate was wrong */
typedef struct {
    u_char                     *pos;
    u_char                     *end;
    ngx_uint_t                  overflow;
} ngx_http_mastra_auth_out_t;


static ngx_int_t ngx_http_mastra_auth_metrics_keysets(ngx_http_request_t *r,
    ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_metrics_keyset_t **sets, ngx_uint_t *n,
    size_t *labels);
static ngx_str_t ngx_http_mastra_auth_metrics_label(ngx_pool_t *pool,
    ngx_str_t *url);
static void ngx_http_mastra_auth_metrics_write(ngx_http_request_t *r,
    ngx_http_mastra_auth_out_t *out, ngx_http_mastra_auth_metrics_t *m,
    ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_metrics_keyset_t *sets, ngx_uint_t n);
static ngx_uint_t ngx_http_mastra_auth_metrics_any(ngx_atomic_t *counters,
    ngx_uint_t n);
static void ngx_http_mastra_auth_out(ngx_http_mastra_auth_out_t *out,
    const char *fmt, ...);
static void ngx_http_mastra_auth_out_histogram(ngx_http_mastra_auth_out_t *out,
    const char *name, ngx_str_t *label,
    ngx_http_mastra_auth_histogram_t *h);


/* the buckets' upper bounds as the format writes them, in seconds */
static const char  *ngx_http_mastra_auth_bound_text[] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
    "10", "+Inf"
};

/* $mastra_auth_provider and $mastra_auth_status, by their numbers */
static const char  *ngx_http_mastra_auth_provider_label[] = {
    "off", "jwt", "jwks", "auth0", "clerk", "supabase", "firebase", "oidc",
    "better-auth"
};

static const char  *ngx_http_mastra_auth_outcome_label[] = {
    "off", "public", "ok", "missing", "invalid", "expired", "forbidden",
    "unavailable"
};

static const char  *ngx_http_mastra_auth_ba_label[] = {
    "session", "none", "error"
};

static const char  *ngx_http_mastra_auth_fetch_label[] = {
    "ok", "unchanged", "error"
};

static ngx_str_t  ngx_http_mastra_auth_allow = ngx_string("Allow");
static ngx_str_t  ngx_http_mastra_auth_allow_methods = ngx_string("GET, HEAD");


/* the content handler: GET and HEAD */

ngx_int_t
ngx_http_mastra_auth_metrics_handler(ngx_http_request_t *r)
{
    size_t                                  len, labels;
    ngx_int_t                               rc;
    ngx_buf_t                              *b;
    ngx_table_elt_t                        *allow;
    ngx_uint_t                              n;
    ngx_chain_t                             out;
    ngx_http_mastra_auth_out_t              text;
    ngx_http_mastra_auth_metrics_t         *m;
    ngx_http_mastra_auth_zone_ctx_t        *zone;
    ngx_http_mastra_auth_main_conf_t       *amcf;
    ngx_http_mastra_auth_metrics_keyset_t  *sets;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_mastra_auth_add_header(r, &ngx_http_mastra_auth_allow,
                                            &ngx_http_mastra_auth_allow_methods,
                                            &allow)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    /* mastra_auth_metrics always brings a zone (keys_init_main) */

    zone = amcf->zone->data;
    m = zone->sh->metrics;

    if (m == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_mastra_auth_metrics_keysets(r, zone, &sets, &n, &labels)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Room for the fixed lines (well under 16 KB) and, per key set, its
     * 23 lines with the label in each.
     */

    len = 16384 + n * 23 * 128 + 23 * labels;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text.pos = b->pos;
    text.end = b->end;
    text.overflow = 0;

    ngx_http_mastra_auth_metrics_write(r, &text, m, zone, sets, n);

    if (text.overflow) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mastra_auth: the metrics did not fit in %uz bytes",
                      len);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = text.pos;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * The configured key sets, one entry per label: sets whose labels meet
 * (one URL with two CA files, or two URLs that differ in their query only)
 * are added up, as one series may appear only once.
 */

static ngx_int_t
ngx_http_mastra_auth_metrics_keysets(ngx_http_request_t *r,
    ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_metrics_keyset_t **sets, ngx_uint_t *n,
    size_t *labels)
{
    ngx_str_t                               label;
    ngx_uint_t                              i, j, k;
    ngx_http_mastra_auth_keyset_t         **kss;
    ngx_http_mastra_auth_keys_report_t      rep, *to;
    ngx_http_mastra_auth_main_conf_t       *amcf;
    ngx_http_mastra_auth_metrics_keyset_t  *s;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    *n = 0;
    *labels = 0;
    *sets = NULL;

    if (amcf->keysets.nelts == 0) {
        return NGX_OK;
    }

    s = ngx_pcalloc(r->pool, amcf->keysets.nelts * sizeof(*s));
    if (s == NULL) {
        return NGX_ERROR;
    }

    kss = amcf->keysets.elts;

    for (i = 0; i < amcf->keysets.nelts; i++) {
        label = ngx_http_mastra_auth_metrics_label(r->pool, &kss[i]->url);
        if (label.data == NULL) {
            return NGX_ERROR;
        }

        ngx_http_mastra_auth_keys_report(zone, kss[i], &rep);

        for (j = 0; j < *n; j++) {
            if (s[j].label.len == label.len
                && ngx_memcmp(s[j].label.data, label.data, label.len) == 0)
            {
                break;
            }
        }

        if (j == *n) {
            s[j].label = label;
            s[j].report = rep;
            *labels += label.len;
            (*n)++;
            continue;
        }

        to = &s[j].report;

        to->keys += rep.keys;
        to->generation = ngx_max(to->generation, rep.generation);
        to->fetched = ngx_max(to->fetched, rep.fetched);

        for (k = 0; k < NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS; k++) {
            to->fetches[k] += rep.fetches[k];
        }

        for (k = 0; k <= NGX_HTTP_MASTRA_AUTH_BUCKETS; k++) {
            to->buckets[k] += rep.buckets[k];
        }

        to->sum_ms += rep.sum_ms;
    }

    *sets = s;

    return NGX_OK;
}


/*
 * A key set's label: its configured URL without user info and query (where
 * a key server's credentials could sit), escaped as the exposition format
 * wants label values (backslash, double quote, line feed).
 */

static ngx_str_t
ngx_http_mastra_auth_metrics_label(ngx_pool_t *pool, ngx_str_t *url)
{
    u_char     *p, *q, *end, *host, *at;
    ngx_str_t   label;

    ngx_str_null(&label);

    end = url->data + url->len;

    q = ngx_strlchr(url->data, end, '?');
    if (q) {
        end = q;
    }

    q = ngx_strlchr(url->data, end, '#');
    if (q) {
        end = q;
    }

    host = ngx_strlcasestrn(url->data, end, (u_char *) "://", 3 - 1);
    host = host ? host + 3 : url->data;

    /* user info: before an "@" that comes before the path */

    q = ngx_strlchr(host, end, '/');
    at = ngx_strlchr(host, q ? q : end, '@');

    label.data = ngx_pnalloc(pool, 2 * url->len + 1);
    if (label.data == NULL) {
        return label;
    }

    p = label.data;

    for (q = url->data; q < end; q++) {
        if (at && q == host) {
            q = at;
            continue;
        }

        switch (*q) {

        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = *q;
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = *q;
        }
    }

    label.len = p - label.data;

    return label;
}


static void
ngx_http_mastra_auth_metrics_write(ngx_http_request_t *r,
    ngx_http_mastra_auth_out_t *out, ngx_http_mastra_auth_metrics_t *m,
    ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_metrics_keyset_t *sets, ngx_uint_t n)
{
    size_t                             size, free;
    ngx_uint_t                         p, s, i;
    ngx_http_mastra_auth_histogram_t   h;
    ngx_http_mastra_auth_main_conf_t  *amcf;
    ngx_http_mastra_auth_keys_report_t  *rep;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_requests_total Access decisions, one per client "
        "request the module checked, by provider and $mastra_auth_status.\n"
        "# TYPE mastra_auth_requests_total counter\n");

    /* "off" never is a decision: the module does not check then */

    for (p = 1; p < NGX_HTTP_MASTRA_AUTH_PROVIDERS; p++) {
        if (!(amcf->providers & ((ngx_uint_t) 1 << p))
            && !ngx_http_mastra_auth_metrics_any(m->requests[p],
                                                 NGX_HTTP_MASTRA_AUTH_OUTCOMES))
        {
            continue;
        }

        for (s = 1; s < NGX_HTTP_MASTRA_AUTH_OUTCOMES; s++) {
            ngx_http_mastra_auth_out(out,
                "mastra_auth_requests_total{provider=\"%s\",status=\"%s\"} "
                "%uA\n", ngx_http_mastra_auth_provider_label[p],
                ngx_http_mastra_auth_outcome_label[s], m->requests[p][s]);
        }
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_refusals_total Requests refused (in observe mode: "
        "that would have been), by $mastra_auth_error.\n"
        "# TYPE mastra_auth_refusals_total counter\n");

    for (i = MA_TOKEN_MISSING; i < NGX_HTTP_MASTRA_AUTH_REASONS; i++) {
        if (i == MA_CONFIG_INVALID) {
            continue;
        }

        ngx_http_mastra_auth_out(out,
            "mastra_auth_refusals_total{reason=\"%s\"} %uA\n",
            ma_status_code((ma_status_t) i), m->refusals[i]);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_observed_refusals_total Refusals that observe "
        "mode let through (counted in mastra_auth_refusals_total too).\n"
        "# TYPE mastra_auth_observed_refusals_total counter\n");

    for (i = MA_TOKEN_MISSING; i < NGX_HTTP_MASTRA_AUTH_REASONS; i++) {
        if (i == MA_CONFIG_INVALID) {
            continue;
        }

        ngx_http_mastra_auth_out(out,
            "mastra_auth_observed_refusals_total{reason=\"%s\"} %uA\n",
            ma_status_code((ma_status_t) i), m->observed[i]);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_errors_total Requests answered 500 because the "
        "check could not be finished (memory, a full zone).\n"
        "# TYPE mastra_auth_errors_total counter\n"
        "mastra_auth_errors_total %uA\n"
        "# HELP mastra_auth_preflight_answers_total CORS preflights answered "
        "by the module (mastra_auth_preflight answer).\n"
        "# TYPE mastra_auth_preflight_answers_total counter\n"
        "mastra_auth_preflight_answers_total %uA\n",
        m->errors, m->preflights);

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_verify_cache_hits_total Requests whose token the "
        "verified-token cache knew ($mastra_auth_cache_status HIT).\n"
        "# TYPE mastra_auth_verify_cache_hits_total counter\n"
        "mastra_auth_verify_cache_hits_total %uA\n"
        "# HELP mastra_auth_verify_cache_misses_total Requests whose token "
        "the verified-token cache did not know ($mastra_auth_cache_status "
        "MISS).\n"
        "# TYPE mastra_auth_verify_cache_misses_total counter\n"
        "mastra_auth_verify_cache_misses_total %uA\n"
        "# HELP mastra_auth_verify_cache_entries Verified tokens in the "
        "cache.\n"
        "# TYPE mastra_auth_verify_cache_entries gauge\n"
        "mastra_auth_verify_cache_entries %ui\n"
        "# HELP mastra_auth_verify_cache_max_entries The most verified "
        "tokens the cache holds.\n"
        "# TYPE mastra_auth_verify_cache_max_entries gauge\n"
        "mastra_auth_verify_cache_max_entries %ui\n",
        m->verify_hits, m->verify_misses, zone->sh->verified.count,
        zone->sh->verified.max);

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_session_cache_hits_total Better Auth session "
        "checks answered from the shared zone.\n"
        "# TYPE mastra_auth_session_cache_hits_total counter\n"
        "mastra_auth_session_cache_hits_total %uA\n"
        "# HELP mastra_auth_session_cache_misses_total Better Auth session "
        "checks that had to wait for get-session.\n"
        "# TYPE mastra_auth_session_cache_misses_total counter\n"
        "mastra_auth_session_cache_misses_total %uA\n",
        m->session_hits, m->session_misses);

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_better_auth_requests_total Better Auth "
        "get-session requests, by what they brought.\n"
        "# TYPE mastra_auth_better_auth_requests_total counter\n");

    for (i = 0; i < NGX_HTTP_MASTRA_AUTH_BA_RESULTS; i++) {
        ngx_http_mastra_auth_out(out,
            "mastra_auth_better_auth_requests_total{result=\"%s\"} %uA\n",
            ngx_http_mastra_auth_ba_label[i], m->better_auth[i]);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_better_auth_request_duration_seconds Better Auth "
        "get-session requests, from posting to the answer.\n"
        "# TYPE mastra_auth_better_auth_request_duration_seconds histogram\n");

    ngx_http_mastra_auth_out_histogram(out,
        "mastra_auth_better_auth_request_duration_seconds", NULL,
        &m->better_auth_seconds);

    if (n == 0) {
        goto zone;
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_key_set_keys Usable keys in the key set's last "
        "good fetch.\n"
        "# TYPE mastra_auth_key_set_keys gauge\n");

    for (i = 0; i < n; i++) {
        ngx_http_mastra_auth_out(out,
            "mastra_auth_key_set_keys{uri=\"%V\"} %ui\n",
            &sets[i].label, sets[i].report.keys);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_key_set_generation Changes of the key set's "
        "document seen (0: never fetched).\n"
        "# TYPE mastra_auth_key_set_generation gauge\n");

    for (i = 0; i < n; i++) {
        ngx_http_mastra_auth_out(out,
            "mastra_auth_key_set_generation{uri=\"%V\"} %ui\n",
            &sets[i].label, sets[i].report.generation);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_key_set_fetches_total Key set fetches, by "
        "result (unchanged: the same document again).\n"
        "# TYPE mastra_auth_key_set_fetches_total counter\n");

    for (i = 0; i < n; i++) {
        for (s = 0; s < NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS; s++) {
            ngx_http_mastra_auth_out(out,
                "mastra_auth_key_set_fetches_total{uri=\"%V\",result=\"%s\"} "
                "%uA\n", &sets[i].label, ngx_http_mastra_auth_fetch_label[s],
                sets[i].report.fetches[s]);
        }
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_key_set_last_success_timestamp_seconds When the "
        "key set was last fetched with success (0: never).\n"
        "# TYPE mastra_auth_key_set_last_success_timestamp_seconds gauge\n");

    for (i = 0; i < n; i++) {
        ngx_http_mastra_auth_out(out,
            "mastra_auth_key_set_last_success_timestamp_seconds{uri=\"%V\"} "
            "%T\n", &sets[i].label, sets[i].report.fetched);
    }

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_key_set_fetch_duration_seconds Key set fetches "
        "(with OIDC discovery), from posting to the answer.\n"
        "# TYPE mastra_auth_key_set_fetch_duration_seconds histogram\n");

    for (i = 0; i < n; i++) {
        rep = &sets[i].report;

        for (s = 0; s <= NGX_HTTP_MASTRA_AUTH_BUCKETS; s++) {
            h.buckets[s] = rep->buckets[s];
        }

        h.sum_ms = rep->sum_ms;

        ngx_http_mastra_auth_out_histogram(out,
            "mastra_auth_key_set_fetch_duration_seconds", &sets[i].label, &h);
    }

zone:

    /* free pages only: room left inside pages in use is not counted */

    size = zone->shpool->end - (u_char *) zone->shpool;
    free = zone->shpool->pfree * ngx_pagesize;

    ngx_http_mastra_auth_out(out,
        "# HELP mastra_auth_zone_size_bytes The shared zone's size.\n"
        "# TYPE mastra_auth_zone_size_bytes gauge\n"
        "mastra_auth_zone_size_bytes %uz\n"
        "# HELP mastra_auth_zone_free_bytes The shared zone's free pages.\n"
        "# TYPE mastra_auth_zone_free_bytes gauge\n"
        "mastra_auth_zone_free_bytes %uz\n",
        size, free);
}


static void
ngx_http_mastra_auth_out_histogram(ngx_http_mastra_auth_out_t *out,
    const char *name, ngx_str_t *label, ngx_http_mastra_auth_histogram_t *h)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  total;

    total = 0;

    for (i = 0; i <= NGX_HTTP_MASTRA_AUTH_BUCKETS; i++) {
        total += h->buckets[i];

        if (label) {
            ngx_http_mastra_auth_out(out, "%s_bucket{uri=\"%V\",le=\"%s\"} "
                                     "%uA\n", name, label,
                                     ngx_http_mastra_auth_bound_text[i], total);
        } else {
            ngx_http_mastra_auth_out(out, "%s_bucket{le=\"%s\"} %uA\n", name,
                                     ngx_http_mastra_auth_bound_text[i], total);
        }
    }

    if (label) {
        ngx_http_mastra_auth_out(out, "%s_sum{uri=\"%V\"} %uA.%03uA\n"
                                 "%s_count{uri=\"%V\"} %uA\n",
                                 name, label, h->sum_ms / 1000,
                                 h->sum_ms % 1000, name, label, total);
    } else {
        ngx_http_mastra_auth_out(out, "%s_sum %uA.%03uA\n%s_count %uA\n",
                                 name, h->sum_ms / 1000, h->sum_ms % 1000,
                                 name, total);
    }
}


static void
ngx_http_mastra_auth_out(ngx_http_mastra_auth_out_t *out, const char *fmt,
    ...)
{
    u_char   *p;
    va_list   args;

    if (out->overflow) {
        return;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(out->pos, out->end, fmt, args);
    va_end(args);

    /* a line that reached the end may have been cut */

    if (p >= out->end) {
        out->overflow = 1;
        return;
    }

    out->pos = p;
}


/* a provider no longer configured keeps its series while it has counts */

static ngx_uint_t
ngx_http_mastra_auth_metrics_any(ngx_atomic_t *counters, ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (counters[i]) {
            return 1;
        }
    }

    return 0;
}
