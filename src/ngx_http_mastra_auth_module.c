
/*
 * nginx-mastra-auth: the directives table, configuration and module
 * definition.  The directive handlers live by concern in
 * ngx_http_mastra_auth_conf_*.c, the secret and file readers in
 * ngx_http_mastra_auth_secret.c.
 *
 * Everything that can be refused is refused at configuration time, with an
 * [emerg] naming the directive: a request only looks things up.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_init_module(ngx_cycle_t *cycle);
static void *ngx_http_mastra_auth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_mastra_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mastra_auth_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_mastra_auth_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_mastra_auth_init(ngx_conf_t *cf);

static char *ngx_http_mastra_auth_provider(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_mastra_auth_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);


/* docs/providers.md; "better-auth" comes with its own work */
static ngx_conf_enum_t  ngx_http_mastra_auth_providers[] = {
    { ngx_string("off"), NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF },
    { ngx_string("jwt"), NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT },
    { ngx_string("jwks"), NGX_HTTP_MASTRA_AUTH_PROVIDER_JWKS },
    { ngx_string("auth0"), NGX_HTTP_MASTRA_AUTH_PROVIDER_AUTH0 },
    { ngx_string("clerk"), NGX_HTTP_MASTRA_AUTH_PROVIDER_CLERK },
    { ngx_string("supabase"), NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE },
    { ngx_string("firebase"), NGX_HTTP_MASTRA_AUTH_PROVIDER_FIREBASE },
    { ngx_string("oidc"), NGX_HTTP_MASTRA_AUTH_PROVIDER_OIDC },
    { ngx_string("better-auth"), NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_default_values[] = {
    { ngx_string("protected"), NGX_HTTP_MASTRA_AUTH_DEFAULT_PROTECTED },
    { ngx_string("public"), NGX_HTTP_MASTRA_AUTH_DEFAULT_PUBLIC },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_preflight_values[] = {
    { ngx_string("pass"), NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS },
    { ngx_string("authenticate"), NGX_HTTP_MASTRA_AUTH_PREFLIGHT_AUTHENTICATE },
    { ngx_string("answer"), NGX_HTTP_MASTRA_AUTH_PREFLIGHT_ANSWER },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_cors_values[] = {
    { ngx_string("mastra"), NGX_HTTP_MASTRA_AUTH_CORS_MASTRA },
    { ngx_string("off"), NGX_HTTP_MASTRA_AUTH_CORS_OFF },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_mode_values[] = {
    { ngx_string("enforce"), NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE },
    { ngx_string("observe"), NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_secure_cookies_values[] = {
    { ngx_string("auto"), NGX_HTTP_MASTRA_AUTH_BA_SECURE_AUTO },
    { ngx_string("on"), NGX_HTTP_MASTRA_AUTH_BA_SECURE_ON },
    { ngx_string("off"), NGX_HTTP_MASTRA_AUTH_BA_SECURE_OFF },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_slashes_values[] = {
    { ngx_string("refuse"), NGX_HTTP_MASTRA_AUTH_SLASHES_REFUSE },
    { ngx_string("allow"), NGX_HTTP_MASTRA_AUTH_SLASHES_ALLOW },
    { ngx_null_string, 0 }
};


#define NGX_HTTP_MASTRA_AUTH_CONF                                             \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)


static ngx_command_t  ngx_http_mastra_auth_commands[] = {

    { ngx_string("mastra_auth_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_provider"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_provider,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_secret"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_algorithms"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_algorithms,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_leeway"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, leeway),
      NULL },

    { ngx_string("mastra_auth_issuer"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, issuers),
      NULL },

    { ngx_string("mastra_auth_audience"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, audiences),
      NULL },

    { ngx_string("mastra_auth_claim"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE3,
      ngx_http_mastra_auth_claim,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_claim_set"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE2,
      ngx_http_mastra_auth_claim_set,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_token_source"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_token_source,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_public"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_route,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, public_routes),
      NULL },

    { ngx_string("mastra_auth_protected"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_route,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, protected_routes),
      NULL },

    { ngx_string("mastra_auth_default"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, default_access),
      &ngx_http_mastra_auth_default_values },

    { ngx_string("mastra_auth_rule"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE3|NGX_CONF_TAKE5,
      ngx_http_mastra_auth_rule,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_preflight"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, preflight),
      &ngx_http_mastra_auth_preflight_values },

    { ngx_string("mastra_auth_cors"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, cors),
      &ngx_http_mastra_auth_cors_values },

    { ngx_string("mastra_auth_cors_origin"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_cors_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, cors_origins),
      NULL },

    { ngx_string("mastra_auth_realm"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_realm,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, realm),
      NULL },

    { ngx_string("mastra_auth_mode"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, mode),
      &ngx_http_mastra_auth_mode_values },

    { ngx_string("mastra_auth_dev_playground"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_FLAG,
      ngx_http_mastra_auth_dev_playground,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, dev_playground),
      NULL },

    { ngx_string("mastra_auth_encoded_slashes"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, encoded_slashes),
      &ngx_http_mastra_auth_slashes_values },

    { ngx_string("mastra_auth_jwks_uri"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_jwks_uri,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, jwks_uris),
      NULL },

    { ngx_string("mastra_auth_jwks_file"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_jwks_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_domain"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, domain),
      NULL },

    { ngx_string("mastra_auth_project"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, project),
      NULL },

    { ngx_string("mastra_auth_ca_file"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_ca_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, ca_file),
      NULL },

    { ngx_string("mastra_auth_jwks_timeout"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, jwks_timeout),
      NULL },

    { ngx_string("mastra_auth_jwks_refresh"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, jwks_refresh),
      NULL },

    { ngx_string("mastra_auth_better_auth_url"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_jwks_uri,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, better_auth_url),
      NULL },

    { ngx_string("mastra_auth_better_auth_public_url"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_jwks_uri,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, better_auth_public_url),
      NULL },

    { ngx_string("mastra_auth_better_auth_cookie_prefix"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_better_auth_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, ba_cookie_prefix),
      NULL },

    { ngx_string("mastra_auth_better_auth_cookie_name"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE2,
      ngx_http_mastra_auth_better_auth_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_better_auth_base_path"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_better_auth_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, ba_base_path),
      NULL },

    { ngx_string("mastra_auth_better_auth_secure_cookies"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, ba_secure_cookies),
      &ngx_http_mastra_auth_secure_cookies_values },

    { ngx_string("mastra_auth_better_auth_cookie_cache_version"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_better_auth_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, ba_cache_version),
      NULL },

    { ngx_string("mastra_auth_session_cache"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, session_cache),
      NULL },

    { ngx_string("mastra_auth_verify_cache"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_verify_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, verify_cache),
      NULL },

    { ngx_string("mastra_auth_forward_jwt"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE123,
      ngx_http_mastra_auth_forward_jwt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_resource"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_resource,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_authorization_server"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_url_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, authorization_servers),
      NULL },

    { ngx_string("mastra_auth_scope"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_1MORE,
      ngx_http_mastra_auth_scope,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_resource_name"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_resource_name,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_resource_metadata"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mastra_auth_resource_metadata,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mastra_auth_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mastra_auth_metrics,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mastra_auth_module_ctx = {
    ngx_http_mastra_auth_preconfiguration, /* preconfiguration */
    ngx_http_mastra_auth_init,             /* postconfiguration */

    ngx_http_mastra_auth_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mastra_auth_create_loc_conf,  /* create location configuration */
    ngx_http_mastra_auth_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_mastra_auth_module = {
    NGX_MODULE_V1,
    &ngx_http_mastra_auth_module_ctx,      /* module context */
    ngx_http_mastra_auth_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_mastra_auth_init_module,      /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* libcurl's global state, once, in the master before any thread exists */

static ngx_int_t
ngx_http_mastra_auth_init_module(ngx_cycle_t *cycle)
{
    if (ma_fetch_global_init() != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "mastra_auth: curl_global_init() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void *
ngx_http_mastra_auth_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mastra_auth_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mastra_auth_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->keysets, cf->pool, 4,
                       sizeof(ngx_http_mastra_auth_keyset_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return amcf;
}


static void *
ngx_http_mastra_auth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mastra_auth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mastra_auth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->provider_where = { 0, NULL };
     *     conf->secret = { 0, NULL };
     *     conf->secret_where = { 0, NULL };
     *     conf->realm = { 0, NULL };
     *     conf->jws_verifier = NULL;
     *     conf->challenge_* = { 0, NULL };
     */

    conf->provider = NGX_CONF_UNSET_UINT;
    conf->algorithms = NGX_CONF_UNSET_UINT;
    conf->leeway = NGX_CONF_UNSET;
    conf->issuers = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->claims = NGX_CONF_UNSET_PTR;
    conf->explicit_sources = NGX_CONF_UNSET_PTR;
    conf->public_routes = NGX_CONF_UNSET_PTR;
    conf->protected_routes = NGX_CONF_UNSET_PTR;
    conf->default_access = NGX_CONF_UNSET_UINT;
    conf->rules = NGX_CONF_UNSET_PTR;
    conf->preflight = NGX_CONF_UNSET_UINT;
    conf->cors = NGX_CONF_UNSET_UINT;
    conf->cors_origins = NGX_CONF_UNSET_PTR;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->dev_playground = NGX_CONF_UNSET;
    conf->encoded_slashes = NGX_CONF_UNSET_UINT;
    conf->jwks_uris = NGX_CONF_UNSET_PTR;
    conf->jwks_files = NGX_CONF_UNSET_PTR;
    conf->jwks_timeout = NGX_CONF_UNSET_MSEC;
    conf->jwks_refresh = NGX_CONF_UNSET;
    conf->forwarder = NGX_CONF_UNSET_PTR;
    conf->session_cache = NGX_CONF_UNSET;
    conf->ba_secure_cookies = NGX_CONF_UNSET_UINT;
    conf->verify_cache = NGX_CONF_UNSET_SIZE;

    return conf;
}


static char *
ngx_http_mastra_auth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_mastra_auth_loc_conf_t *prev = parent;
    ngx_http_mastra_auth_loc_conf_t *conf = child;

    ngx_uint_t                         i;
    ngx_http_mastra_auth_source_t     *source;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    if (conf->provider == NGX_CONF_UNSET_UINT) {
        conf->provider = prev->provider;
        conf->provider_where = prev->provider_where;
    }
    ngx_conf_merge_uint_value(conf->provider, prev->provider,
                              NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF);

    if (conf->secret.data == NULL) {
        conf->secret = prev->secret;
        conf->secret_where = prev->secret_where;
    }

    /*
     * Algorithms set by the directive are inherited; a provider's default
     * only by a level with the same provider (a location that switches from
     * jwt to jwks must not keep HS256 alone).
     */

    if (conf->algorithms == NGX_CONF_UNSET_UINT
        && (prev->algorithms_where.len || conf->provider == prev->provider))
    {
        conf->algorithms = prev->algorithms;
        conf->algorithms_where = prev->algorithms_where;
    }

    ngx_conf_merge_ptr_value(conf->jwks_uris, prev->jwks_uris, NULL);
    ngx_conf_merge_ptr_value(conf->jwks_files, prev->jwks_files, NULL);
    ngx_conf_merge_str_value(conf->domain, prev->domain, "");
    ngx_conf_merge_str_value(conf->project, prev->project, "");
    ngx_conf_merge_str_value(conf->ca_file, prev->ca_file, "");
    ngx_conf_merge_str_value(conf->ca_pem, prev->ca_pem, "");
    ngx_conf_merge_msec_value(conf->jwks_timeout, prev->jwks_timeout, 5000);
    ngx_conf_merge_sec_value(conf->jwks_refresh, prev->jwks_refresh, 600);
    ngx_conf_merge_ptr_value(conf->forwarder, prev->forwarder, NULL);
    ngx_conf_merge_str_value(conf->better_auth_url, prev->better_auth_url, "");
    ngx_conf_merge_str_value(conf->better_auth_public_url,
                             prev->better_auth_public_url, "");
    ngx_conf_merge_str_value(conf->ba_cookie_prefix, prev->ba_cookie_prefix,
                             "better-auth");
    ngx_conf_merge_str_value(conf->ba_token_name, prev->ba_token_name, "");
    ngx_conf_merge_str_value(conf->ba_data_name, prev->ba_data_name, "");
    ngx_conf_merge_str_value(conf->ba_base_path, prev->ba_base_path,
                             "/api/auth");
    ngx_conf_merge_uint_value(conf->ba_secure_cookies,
                              prev->ba_secure_cookies,
                              NGX_HTTP_MASTRA_AUTH_BA_SECURE_AUTO);
    ngx_conf_merge_str_value(conf->ba_cache_version, prev->ba_cache_version,
                             "");
    ngx_conf_merge_sec_value(conf->session_cache, prev->session_cache, 30);
    ngx_conf_merge_size_value(conf->verify_cache, prev->verify_cache,
                              NGX_HTTP_MASTRA_AUTH_VERIFY_CACHE);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_ptr_value(conf->claims, prev->claims, NULL);
    ngx_conf_merge_ptr_value(conf->public_routes, prev->public_routes, NULL);
    ngx_conf_merge_ptr_value(conf->protected_routes, prev->protected_routes,
                             NULL);
    ngx_conf_merge_uint_value(conf->default_access, prev->default_access,
                              NGX_HTTP_MASTRA_AUTH_DEFAULT_PROTECTED);
    ngx_conf_merge_ptr_value(conf->rules, prev->rules, NULL);
    ngx_conf_merge_uint_value(conf->preflight, prev->preflight,
                              NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS);
    ngx_conf_merge_uint_value(conf->cors, prev->cors,
                              NGX_HTTP_MASTRA_AUTH_CORS_MASTRA);
    ngx_conf_merge_ptr_value(conf->cors_origins, prev->cors_origins, NULL);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "mastra");
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE);
    ngx_conf_merge_value(conf->dev_playground, prev->dev_playground, 0);
    ngx_conf_merge_uint_value(conf->encoded_slashes, prev->encoded_slashes,
                              NGX_HTTP_MASTRA_AUTH_SLASHES_REFUSE);

    /*
     * The sources in use: the directive's, wherever it was set, else the
     * provider's defaults, computed here, for this provider (a default
     * inherited from a level with another provider would be wrong).
     */

    ngx_conf_merge_ptr_value(conf->explicit_sources, prev->explicit_sources,
                             NULL);

    conf->sources = conf->explicit_sources;

    if (conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH
        && ngx_http_mastra_auth_better_auth_names(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->sources == NULL) {

        /*
         * Mastra's order: the Authorization header, then ?apiKey=; Clerk's
         * browsers also carry the session in the __session cookie.
         */

        conf->sources = ngx_array_create(cf->pool, 3,
                                         sizeof(ngx_http_mastra_auth_source_t));
        if (conf->sources == NULL) {
            return NGX_CONF_ERROR;
        }

        source = ngx_array_push_n(conf->sources, 2);
        if (source == NULL) {
            return NGX_CONF_ERROR;
        }

        source[0].type = NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER;
        ngx_str_null(&source[0].name);
        source[1].type = NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY;
        ngx_str_set(&source[1].name, "apiKey");

        if (conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH) {

            /*
             * The bearer plugin's header, then the session cookie under
             * the names the server uses (__Secure- first).
             */

            conf->sources->nelts = 1;

            for (i = 0; i < 2; i++) {
                if (conf->ba_token_cookies[i].len == 0) {
                    continue;
                }

                source = ngx_array_push(conf->sources);
                if (source == NULL) {
                    return NGX_CONF_ERROR;
                }

                source->type = NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE;
                source->name = conf->ba_token_cookies[i];
            }

        } else if (conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_CLERK) {
            source = ngx_array_push(conf->sources);
            if (source == NULL) {
                return NGX_CONF_ERROR;
            }

            source->type = NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE;
            ngx_str_set(&source->name, "__session");
        }
    }

    /* the resource first: it is the audience the provider checks */

    if (ngx_http_mastra_auth_resource_merge(cf, prev, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mastra_auth_challenges(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mastra_auth_provider_setup(cf, prev, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* one cache per zone, as large as the largest a location asks for */

    if (conf->verify_cache && conf->jws_verifier) {
        amcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_mastra_auth_module);
        amcf->verify_cache = ngx_max(amcf->verify_cache, conf->verify_cache);
    }

    if (ngx_http_mastra_auth_resource_setup(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_mastra_auth_metrics_merge(cf, conf);

    return NGX_CONF_OK;
}


/* WWW-Authenticate values (RFC 6750 section 3), built once per location */

static ngx_int_t
ngx_http_mastra_auth_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    static const char  missing[] = "Bearer realm=\"\"";
    static const char  invalid[] = ", error=\"invalid_token\"";
    static const char  forbidden[] = ", error=\"insufficient_scope\"";

    u_char  *p;

    p = ngx_pnalloc(cf->pool, sizeof(missing) - 1 + conf->realm.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->challenge_missing.data = p;
    conf->challenge_missing.len = ngx_sprintf(p, "Bearer realm=\"%V\"",
                                              &conf->realm) - p;

    p = ngx_pnalloc(cf->pool, conf->challenge_missing.len
                              + sizeof(invalid) - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->challenge_invalid.data = p;
    conf->challenge_invalid.len = ngx_sprintf(p, "%V%s",
                                              &conf->challenge_missing,
                                              invalid) - p;

    p = ngx_pnalloc(cf->pool, conf->challenge_missing.len
                              + sizeof(forbidden) - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->challenge_forbidden.data = p;
    conf->challenge_forbidden.len = ngx_sprintf(p, "%V%s",
                                                &conf->challenge_missing,
                                                forbidden) - p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_mastra_auth_add_variables(cf);
}


static ngx_int_t
ngx_http_mastra_auth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt               *h;
    ngx_http_core_main_conf_t         *cmcf;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_mastra_auth_handler;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);

    if (ngx_http_mastra_auth_resource_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_mastra_auth_keys_init_main(cf, amcf);
}


static char *
ngx_http_mastra_auth_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (alcf->provider != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; ngx_http_mastra_auth_providers[i].name.len; i++) {
        if (ngx_strcmp(value[1].data, ngx_http_mastra_auth_providers[i].name.data)
            == 0)
        {
            alcf->provider = ngx_http_mastra_auth_providers[i].value;
            break;
        }
    }

    if (alcf->provider == NGX_CONF_UNSET_UINT) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid provider \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    alcf->provider_where = ngx_http_mastra_auth_where(cf);
    if (alcf->provider_where.data == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
