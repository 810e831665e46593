
/*
 * nginx-mastra-auth: types shared by the shim's files.
 */


#ifndef _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_
#define _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <mastra_auth/api.h>


#define NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF       0
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT       1
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_JWKS      2
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_AUTH0     3
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_CLERK     4
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE  5
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_FIREBASE  6
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_OIDC      7
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH  8

#define NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER  0
#define NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY   1
#define NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE  2

#define NGX_HTTP_MASTRA_AUTH_DEFAULT_PROTECTED  0
#define NGX_HTTP_MASTRA_AUTH_DEFAULT_PUBLIC     1

#define NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS          0
#define NGX_HTTP_MASTRA_AUTH_PREFLIGHT_AUTHENTICATE  1
#define NGX_HTTP_MASTRA_AUTH_PREFLIGHT_ANSWER        2

#define NGX_HTTP_MASTRA_AUTH_CORS_OFF     0
#define NGX_HTTP_MASTRA_AUTH_CORS_MASTRA  1

#define NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE  0
#define NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE  1

#define NGX_HTTP_MASTRA_AUTH_BA_SECURE_AUTO  0   /* both cookie names */
#define NGX_HTTP_MASTRA_AUTH_BA_SECURE_ON    1   /* __Secure- names only */
#define NGX_HTTP_MASTRA_AUTH_BA_SECURE_OFF   2   /* plain names only */

#define NGX_HTTP_MASTRA_AUTH_SLASHES_REFUSE  0
#define NGX_HTTP_MASTRA_AUTH_SLASHES_ALLOW   1

/* $mastra_auth_cache_status */
#define NGX_HTTP_MASTRA_AUTH_CACHE_NONE  0
#define NGX_HTTP_MASTRA_AUTH_CACHE_MISS  1
#define NGX_HTTP_MASTRA_AUTH_CACHE_HIT   2

/* mastra_auth_verify_cache default: about 8000 tokens */
#define NGX_HTTP_MASTRA_AUTH_VERIFY_CACHE    (1024 * 1024)

/* room for a reason the core writes at configuration time */
#define NGX_HTTP_MASTRA_AUTH_ERRLEN  512


/* $mastra_auth_status values, in the order of docs/variables.md */
typedef enum {
    ngx_http_mastra_auth_off = 0,
    ngx_http_mastra_auth_public,
    ngx_http_mastra_auth_ok,
    ngx_http_mastra_auth_missing,
    ngx_http_mastra_auth_invalid,
    ngx_http_mastra_auth_expired,
    ngx_http_mastra_auth_forbidden,
    ngx_http_mastra_auth_unavailable
} ngx_http_mastra_auth_outcome_e;


typedef struct {
    ngx_uint_t                  type;
    ngx_str_t                   name;       /* query or cookie name */
} ngx_http_mastra_auth_source_t;


typedef struct ngx_http_mastra_auth_slot_s  ngx_http_mastra_auth_slot_t;

/*
 * A remote key set (mastra_auth_jwks_uri, a preset's URL, or OIDC discovery).
 * One per distinct (url, ca_file, discovery issuer) in the configuration;
 * its raw bytes live in the shared zone, and each worker keeps the parse of
 * the last generation it saw here.
 */
typedef struct {
    ngx_str_t                   url;
    ngx_str_t                   ca_file;
    ngx_str_t                   ca_pem;     /* its text, read by the master */
    ngx_str_t                   issuer;     /* OIDC discovery: issuer to check */
    ngx_msec_t                  timeout;
    time_t                      refresh;

    /* worker-local */
    ngx_uint_t                  generation;
    ma_keyset_t                *keys;
    ngx_http_mastra_auth_slot_t  *slot;
} ngx_http_mastra_auth_keyset_t;


typedef struct {
    ngx_shm_zone_t             *zone;
    ngx_array_t                 keysets;    /* ngx_http_mastra_auth_keyset_t * */
    ngx_uint_t                  sessions;   /* a location checks sessions */
    size_t                      verify_cache;  /* largest cache asked for */
    ngx_thread_pool_t          *thread_pool;
    ngx_uint_t                  metrics;    /* a location shows them */
    ngx_uint_t                  providers;  /* 1 << provider, in use */


    /* ngx_http_mastra_auth_mcp.c: per server, the resources and the
       locations answering their metadata */
    ngx_array_t                *resources;
    ngx_array_t                *metadata_locations;
} ngx_http_mastra_auth_main_conf_t;


/*
 * An entry of a store in the zone (ngx_http_mastra_auth_store.c): found by
 * a 32-byte hash, dropped at its time, the least recently used evicted
 * first.  Each store's entries begin with it.
 */
typedef struct {
    ngx_rbtree_node_t           node;       /* key: the hash's first bytes */
    ngx_queue_t                 queue;      /* least recently used last */
    u_char                      hash[32];
    time_t                      until;      /* dropped at this second */
} ngx_http_mastra_auth_entry_t;


typedef struct {
    ngx_rbtree_t                tree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;
    ngx_uint_t                  count;
    ngx_uint_t                  max;        /* entries; 0: the zone bounds */
    ngx_uint_t                  tries;      /* evictions to make room */
} ngx_http_mastra_auth_store_t;


/*
 * The shared zone: key-set slots, Better Auth answers by token hash, and
 * the verified-token cache.
 */
typedef struct {
    ngx_queue_t                 slots;
    ngx_http_mastra_auth_store_t  sessions;
    ngx_http_mastra_auth_store_t  verified;   /* max: each configuration */
    struct ngx_http_mastra_auth_metrics_s  *metrics;
} ngx_http_mastra_auth_shctx_t;


typedef struct {
    ngx_http_mastra_auth_shctx_t  *sh;
    ngx_slab_pool_t               *shpool;
    size_t                         verify_cache;   /* bytes, 0: off */
} ngx_http_mastra_auth_zone_ctx_t;


/* mastra_auth_public / mastra_auth_protected entries */
typedef struct {
    ma_pattern_t               *pattern;
    ngx_array_t                *methods;    /* ngx_str_t; NULL: any method */
} ngx_http_mastra_auth_route_t;


/* a claim condition: mastra_auth_claim, or the condition of a rule */
typedef struct {
    ma_condition_t             *condition;
    ngx_http_complex_value_t   *value;      /* NULL when the value is static */
} ngx_http_mastra_auth_check_t;


typedef struct {
    ma_pattern_t               *pattern;
    ngx_array_t                *methods;    /* ngx_str_t; NULL: "*" */
    ngx_uint_t                  allow;      /* "allow": no condition */
    ngx_http_mastra_auth_check_t  check;
} ngx_http_mastra_auth_rule_t;


typedef struct {
    ngx_uint_t                  provider;
    ngx_str_t                   provider_where;    /* "file:line", for merge errors */

    ngx_str_t                   secret;            /* resolved bytes */
    ngx_str_t                   secret_where;
    ngx_uint_t                  algorithms;        /* MA_ALG_* */
    ngx_str_t                   algorithms_where;
    time_t                      leeway;
    ngx_array_t                *issuers;           /* ngx_str_t */
    ngx_array_t                *audiences;         /* ngx_str_t */
    ngx_array_t                *claims;            /* check_t */

    ngx_array_t                *explicit_sources;  /* mastra_auth_token_source */
    ngx_array_t                *sources;           /* in use: source_t */
    ngx_array_t                *public_routes;     /* route_t */
    ngx_array_t                *protected_routes;  /* route_t */
    ngx_uint_t                  default_access;
    ngx_array_t                *rules;             /* rule_t */

    ngx_uint_t                  preflight;
    ngx_uint_t                  cors;
    ngx_array_t                *cors_origins;      /* ngx_str_t */
    ngx_str_t                   realm;
    ngx_uint_t                  mode;
    ngx_flag_t                  dev_playground;
    ngx_uint_t                  encoded_slashes;

    ngx_array_t                *jwks_uris;         /* ngx_str_t */
    ngx_array_t                *jwks_files;        /* ma_keyset_t * */
    ngx_str_t                   domain;
    ngx_str_t                   project;
    ngx_str_t                   ca_file;
    ngx_str_t                   ca_pem;            /* ca_file's text */
    ngx_msec_t                  jwks_timeout;
    time_t                      jwks_refresh;
    ma_forwarder_t             *forwarder;         /* mastra_auth_forward_jwt */
    ngx_str_t                   better_auth_url;
    ngx_str_t                   better_auth_public_url;    /* baseURL */
    ngx_str_t                   ba_cookie_prefix;   /* advanced.cookiePrefix */
    ngx_str_t                   ba_token_name;     /* advanced.cookies */
    ngx_str_t                   ba_data_name;
    ngx_str_t                   ba_base_path;      /* basePath */
    ngx_uint_t                  ba_secure_cookies; /* useSecureCookies */
    ngx_str_t                   ba_cache_version;  /* cookieCache.version */
    time_t                      session_cache;
    size_t                      verify_cache;      /* bytes, 0: off */

    /* derived at merge time */
    ma_jws_verifier_t          *jws_verifier;
    ngx_array_t                *static_keys;       /* ma_keyset_t * */
    ngx_array_t                *remote_keys;       /* keyset_t * */
    u_char                      session_key_base[32];   /* better-auth */
    ngx_str_t                   ba_token_cookies[2];  /* __Secure- name, name;
                                                         unused ones empty */
    ngx_str_t                   ba_data_cookies[2];
    ngx_str_t                   ba_get_session;    /* URL */
    ngx_str_t                   challenge_missing;    /* WWW-Authenticate values */
    ngx_str_t                   challenge_invalid;
    ngx_str_t                   challenge_forbidden;

    /* OAuth protected resource (ngx_http_mastra_auth_mcp.c) */
    ngx_str_t                   resource;          /* mastra_auth_resource */
    ngx_str_t                   resource_where;
    ngx_array_t                *authorization_servers;  /* ngx_str_t */
    ngx_array_t                *scopes;            /* ngx_str_t */
    ngx_str_t                   resource_name;
    ngx_flag_t                  resource_metadata; /* not inherited */
    ngx_str_t                   resource_metadata_where;
    ngx_str_t                   preset_issuer;     /* set by provider setup */
    ma_str_t                   *ma_scopes;         /* scopes, for the core */
    ngx_str_t                   challenge_scope;   /* 403 insufficient_scope */
} ngx_http_mastra_auth_loc_conf_t;


/* per request: what the check decided, read by the variables */
typedef struct {
    ngx_http_mastra_auth_outcome_e  outcome;
    ngx_uint_t                  decided;           /* outcome is final */
    ngx_uint_t                  refetched;         /* unknown kid: refetch done */
    ngx_msec_t                  wait_until;        /* suspended for keys */
    time_t                      retry_after;       /* 503: Retry-After */
    ma_status_t                 reason;            /* MA_OK when none */
    ngx_str_t                   token_source;
    ngx_str_t                   token_cookie;      /* the cookie it came in */
    ngx_str_t                   why_cookie;        /* a cookie refused, */
    ma_str_t                    why;               /* and why (no value) */
    ma_identity_t              *identity;          /* set once verify ran */
    ngx_uint_t                  verified;          /* identity holds claims */
    ma_params_t                 params;            /* of the deciding entry */
    ngx_str_t                   forward_jwt;       /* minted once */
    ngx_uint_t                  cache_status;      /* NGX_HTTP_MASTRA_AUTH_CACHE_* */
    ngx_uint_t                  session_cache;     /* first zone lookup, too */
} ngx_http_mastra_auth_ctx_t;


/* ngx_http_mastra_auth_provider.c */
ngx_int_t ngx_http_mastra_auth_provider_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev,
    ngx_http_mastra_auth_loc_conf_t *conf);
ngx_str_t ngx_http_mastra_auth_where(ngx_conf_t *cf);
ngx_int_t ngx_http_mastra_auth_better_auth_names(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);

/* ngx_http_mastra_auth_conf_keys.c */
char *ngx_http_mastra_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_ca_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_forward_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_verify_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_mastra_auth_conf_routes.c */
char *ngx_http_mastra_auth_claim(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_token_source(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_route(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_rule(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_mastra_auth_conf_better_auth.c */
char *ngx_http_mastra_auth_better_auth_str(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_mastra_auth_better_auth_cookie(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* ngx_http_mastra_auth_conf_slots.c */
char *ngx_http_mastra_auth_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_dev_playground(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_sec_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_mastra_auth_secret.c */
ngx_int_t ngx_http_mastra_auth_read_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, ngx_str_t *secret);
ngx_int_t ngx_http_mastra_auth_signaller_secret(ngx_conf_t *cf,
    ngx_str_t *secret);
ngx_int_t ngx_http_mastra_auth_read_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path, ngx_str_t *content);
void ngx_http_mastra_auth_cleanup_secret(void *data);

/* pool cleanups for the core's handles (ngx_http_mastra_auth_cleanup.c) */
void ngx_http_mastra_auth_cleanup_condition(void *data);
void ngx_http_mastra_auth_cleanup_forwarder(void *data);
void ngx_http_mastra_auth_cleanup_keyset(void *data);
void ngx_http_mastra_auth_cleanup_identity(void *data);
void ngx_http_mastra_auth_cleanup_pattern(void *data);

/* ngx_http_mastra_auth_token.c */
ngx_int_t ngx_http_mastra_auth_find_token(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *token);
ngx_uint_t ngx_http_mastra_auth_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ma_str_t *raw);
ngx_table_elt_t *ngx_http_mastra_auth_header(ngx_http_request_t *r,
    ngx_str_t *name);

/* ngx_http_mastra_auth_keys.c */

#define NGX_HTTP_MASTRA_AUTH_KEYS_READY        0   /* keys parsed, use them */
#define NGX_HTTP_MASTRA_AUTH_KEYS_WAIT         1   /* a fetch is in flight */
#define NGX_HTTP_MASTRA_AUTH_KEYS_UNAVAILABLE  2   /* none, none coming */

char *ngx_http_mastra_auth_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_mastra_auth_keys_init_main(ngx_conf_t *cf,
    ngx_http_mastra_auth_main_conf_t *amcf);
ngx_http_mastra_auth_keyset_t *ngx_http_mastra_auth_keyset_add(
    ngx_conf_t *cf, ngx_str_t *url, ngx_str_t *ca_file, ngx_str_t *ca_pem,
    ngx_str_t *issuer, ngx_msec_t timeout, time_t refresh);
ngx_int_t ngx_http_mastra_auth_keys_acquire(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks, ngx_uint_t refetch);
time_t ngx_http_mastra_auth_keys_retry_after(ngx_http_request_t *r,
    ngx_http_mastra_auth_keyset_t *ks);
void ngx_http_mastra_auth_task_guard(ngx_event_t *guard, ngx_msec_t timeout);

/* ngx_http_mastra_auth_store.c: with the zone's lock held */
void ngx_http_mastra_auth_store_init(ngx_http_mastra_auth_store_t *store,
    ngx_uint_t tries);
ngx_http_mastra_auth_entry_t *ngx_http_mastra_auth_store_lookup(
    ngx_http_mastra_auth_store_t *store, ngx_slab_pool_t *shpool,
    u_char *hash, time_t now);
ngx_http_mastra_auth_entry_t *ngx_http_mastra_auth_store_insert(
    ngx_http_mastra_auth_store_t *store, ngx_slab_pool_t *shpool,
    u_char *hash, size_t size);
void ngx_http_mastra_auth_store_free(ngx_http_mastra_auth_store_t *store,
    ngx_slab_pool_t *shpool, ngx_http_mastra_auth_entry_t *entry);

/* the entry is used now: the last to be evicted (inline: every hit) */
#define ngx_http_mastra_auth_store_touch(store, entry)                       \
    ngx_queue_remove(&(entry)->queue);                                        \
    ngx_queue_insert_head(&(store)->lru, &(entry)->queue)

/* ngx_http_mastra_auth_cache.c */
void ngx_http_mastra_auth_cache_init(ngx_http_mastra_auth_shctx_t *sh,
    size_t size, ngx_uint_t reload);
ngx_int_t ngx_http_mastra_auth_cache_lookup(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, u_char *digest, ngx_uint_t epoch);
void ngx_http_mastra_auth_cache_store(ngx_http_request_t *r, u_char *digest,
    ngx_uint_t epoch, int64_t valid_until);

/* ngx_http_mastra_auth_session.c */
ngx_int_t ngx_http_mastra_auth_session_check(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *signed_token, ma_status_t *status);

/* ngx_http_mastra_auth_variables.c */
ngx_int_t ngx_http_mastra_auth_add_variables(ngx_conf_t *cf);
char *ngx_http_mastra_auth_claim_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_mastra_auth_response.c */
ngx_int_t ngx_http_mastra_auth_refuse(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
ngx_int_t ngx_http_mastra_auth_add_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value, ngx_table_elt_t **h);

char *ngx_http_mastra_auth_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_mastra_auth_cors_headers(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf);
ngx_int_t ngx_http_mastra_auth_preflight_answer(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf);
ngx_int_t ngx_http_mastra_auth_status_code(ngx_http_mastra_auth_ctx_t *ctx);

/* ngx_http_mastra_auth_handler.c */
ngx_int_t ngx_http_mastra_auth_handler(ngx_http_request_t *r);

/* ngx_http_mastra_auth_metrics.c */

#define NGX_HTTP_MASTRA_AUTH_BUCKETS        11  /* and +Inf */

/* the label sets' sizes: providers, $mastra_auth_status, ma_status_t */
#define NGX_HTTP_MASTRA_AUTH_PROVIDERS  (NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH + 1)
#define NGX_HTTP_MASTRA_AUTH_OUTCOMES   (ngx_http_mastra_auth_unavailable + 1)
#define NGX_HTTP_MASTRA_AUTH_REASONS    (MA_STATUS_LAST + 1)

#define NGX_HTTP_MASTRA_AUTH_BA_SESSION     0   /* a live session */
#define NGX_HTTP_MASTRA_AUTH_BA_NONE        1   /* answered: no session */
#define NGX_HTTP_MASTRA_AUTH_BA_ERROR       2   /* no answer, or a 5xx */
#define NGX_HTTP_MASTRA_AUTH_BA_RESULTS     3

#define NGX_HTTP_MASTRA_AUTH_FETCH_OK         0  /* a new document */
#define NGX_HTTP_MASTRA_AUTH_FETCH_UNCHANGED  1  /* the same one again */
#define NGX_HTTP_MASTRA_AUTH_FETCH_ERROR      2
#define NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS    3


/* a latency histogram in the zone: per bucket, not cumulative */
typedef struct {
    ngx_atomic_t                buckets[NGX_HTTP_MASTRA_AUTH_BUCKETS + 1];
    ngx_atomic_t                sum_ms;
} ngx_http_mastra_auth_histogram_t;

/* a key set's fetch counters, in its slot */
typedef struct {
    ngx_atomic_t                fetches[NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS];
    ngx_http_mastra_auth_histogram_t  seconds;
} ngx_http_mastra_auth_keyset_metrics_t;

/* the zone's counters, one block for all workers and configurations */
typedef struct ngx_http_mastra_auth_metrics_s {
    ngx_atomic_t                requests[NGX_HTTP_MASTRA_AUTH_PROVIDERS]
                                        [NGX_HTTP_MASTRA_AUTH_OUTCOMES];
    ngx_atomic_t                refusals[NGX_HTTP_MASTRA_AUTH_REASONS];
    ngx_atomic_t                observed[NGX_HTTP_MASTRA_AUTH_REASONS];
    ngx_atomic_t                errors;
    ngx_atomic_t                preflights;
    ngx_atomic_t                verify_hits;
    ngx_atomic_t                verify_misses;
    ngx_atomic_t                session_hits;
    ngx_atomic_t                session_misses;
    ngx_atomic_t                better_auth[NGX_HTTP_MASTRA_AUTH_BA_RESULTS];
    ngx_http_mastra_auth_histogram_t  better_auth_seconds;
} ngx_http_mastra_auth_metrics_t;

/* what a scrape shows of a key set: a copy of its slot's figures */
typedef struct {
    ngx_uint_t                  keys;
    ngx_uint_t                  generation;
    time_t                      fetched;
    ngx_atomic_uint_t           fetches[NGX_HTTP_MASTRA_AUTH_FETCH_RESULTS];
    ngx_atomic_uint_t           buckets[NGX_HTTP_MASTRA_AUTH_BUCKETS + 1];
    ngx_atomic_uint_t           sum_ms;
} ngx_http_mastra_auth_keys_report_t;

char *ngx_http_mastra_auth_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_mastra_auth_metrics_merge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);
ngx_int_t ngx_http_mastra_auth_metrics_init_zone(
    ngx_http_mastra_auth_zone_ctx_t *zone);
void ngx_http_mastra_auth_metrics_decided(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
void ngx_http_mastra_auth_metrics_preflight(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf);
ngx_int_t ngx_http_mastra_auth_metrics_error(ngx_http_request_t *r);
void ngx_http_mastra_auth_metrics_session(ngx_http_mastra_auth_ctx_t *ctx,
    ngx_uint_t hit);
void ngx_http_mastra_auth_metrics_better_auth(
    ngx_http_mastra_auth_zone_ctx_t *zone, ngx_uint_t result,
    ngx_msec_t started);
void ngx_http_mastra_auth_metrics_key_fetch(
    ngx_http_mastra_auth_keyset_metrics_t *km, ngx_uint_t result,
    ngx_msec_t started);

/* ngx_http_mastra_auth_exposition.c */
ngx_int_t ngx_http_mastra_auth_metrics_handler(ngx_http_request_t *r);

/* ngx_http_mastra_auth_keys.c, for the metrics */
void ngx_http_mastra_auth_keys_report(ngx_http_mastra_auth_zone_ctx_t *zone,
    ngx_http_mastra_auth_keyset_t *ks, ngx_http_mastra_auth_keys_report_t *rep);

/* ngx_http_mastra_auth_mcp.c */
char *ngx_http_mastra_auth_resource(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_url_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_resource_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mastra_auth_resource_metadata(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_mastra_auth_resource_merge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev,
    ngx_http_mastra_auth_loc_conf_t *conf);
ngx_int_t ngx_http_mastra_auth_resource_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);
ngx_int_t ngx_http_mastra_auth_resource_init(ngx_conf_t *cf);
ngx_int_t ngx_http_mastra_auth_better_auth_issuer(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *issuer);
ngx_int_t ngx_http_mastra_auth_scope_check(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t *status);


extern ngx_module_t  ngx_http_mastra_auth_module;


#endif /* _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_ */
