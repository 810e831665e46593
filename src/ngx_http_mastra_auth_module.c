
/*
 * nginx-mastra-auth: directives, configuration and module definition.
 *
 * Everything that can be refused is refused here, at configuration time,
 * with an [emerg] naming the directive: a request only looks things up.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


#define NGX_HTTP_MASTRA_AUTH_ERRLEN  512


static ngx_int_t ngx_http_mastra_auth_init_module(ngx_cycle_t *cycle);
static void *ngx_http_mastra_auth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_mastra_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mastra_auth_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_mastra_auth_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_mastra_auth_init(ngx_conf_t *cf);

static char *ngx_http_mastra_auth_provider(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_algorithms(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_str_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_claim(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_token_source(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_route(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_rule(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_dev_playground(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_better_auth_str(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_better_auth_cookie(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_mastra_auth_better_auth_value(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *value);
static char *ngx_http_mastra_auth_enum_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_sec_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_msec_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mastra_auth_verify_cache(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static char *ngx_http_mastra_auth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_ca_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mastra_auth_forward_jwt(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_mastra_auth_cleanup_forwarder(void *data);

static ngx_int_t ngx_http_mastra_auth_read_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *value, ngx_str_t *secret);
static ngx_int_t ngx_http_mastra_auth_read_file(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *path, ngx_str_t *content);
static ngx_int_t ngx_http_mastra_auth_compile_check(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *path, ngx_str_t *op, ngx_str_t *value,
    ngx_http_mastra_auth_check_t *check);
static ngx_int_t ngx_http_mastra_auth_compile_pattern(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *text, ma_pattern_t **pattern);
static ngx_int_t ngx_http_mastra_auth_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);
static void ngx_http_mastra_auth_cleanup_condition(void *data);
static void ngx_http_mastra_auth_cleanup_pattern(void *data);


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
     *     conf->verifier = NULL;
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

    if (conf->verify_cache && (conf->verifier || conf->jws_verifier)) {
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


static char *
ngx_http_mastra_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (alcf->secret.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_read_secret(cf, cmd, &value[1], &alcf->secret)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_secret;
    cln->data = &alcf->secret;

    alcf->secret_where = ngx_http_mastra_auth_where(cf);
    if (alcf->secret_where.data == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A literal, "env:NAME" or "file:PATH" (read now, by the master: workers
 * need not be able to open it); never logged.  Errors name the directive
 * the line holds (mastra_auth_secret, mastra_auth_forward_jwt).
 */

static ngx_int_t
ngx_http_mastra_auth_read_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, ngx_str_t *secret)
{
    u_char     *env;
    ngx_str_t   name;

    if (ngx_process == NGX_PROCESS_SIGNALLER
        && ((value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0)
            || (value->len > 5 && ngx_strncmp(value->data, "file:", 5) == 0)))
    {
        return ngx_http_mastra_auth_signaller_secret(cf, secret);
    }

    if (value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0) {
        env = (u_char *) getenv((char *) value->data + 4);

        if (env == NULL || *env == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": environment variable \"%s\" is not "
                               "set or empty", &cmd->name, value->data + 4);
            return NGX_ERROR;
        }

        name.len = ngx_strlen(env);
        name.data = env;

        secret->len = name.len;
        secret->data = ngx_pstrdup(cf->pool, &name);

        return secret->data ? NGX_OK : NGX_ERROR;
    }

    if (value->len > 5 && ngx_strncmp(value->data, "file:", 5) == 0) {
        name.len = value->len - 5;
        name.data = value->data + 5;

        if (ngx_http_mastra_auth_read_file(cf, cmd, &name, secret)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* editors end files with a newline; it is not part of the secret */

        if (secret->len && secret->data[secret->len - 1] == '\n') {
            secret->len--;
            if (secret->len && secret->data[secret->len - 1] == '\r') {
                secret->len--;
            }
        }

        if (secret->len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is empty", &cmd->name, &name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    *secret = *value;

    return NGX_OK;
}


/*
 * "nginx -s reload|quit|stop|reopen" parses the configuration only to find
 * the pid file, in the shell of whoever sends the signal: that process
 * never verifies a token, so it neither needs nor reads the secrets
 * (env:, file:, the providers' environment variables).  It gets bytes that
 * pass every length check instead.  "nginx -t" and the master read them.
 */

ngx_int_t
ngx_http_mastra_auth_signaller_secret(ngx_conf_t *cf, ngx_str_t *secret)
{
    secret->len = 64;
    secret->data = ngx_pnalloc(cf->pool, secret->len);
    if (secret->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memset(secret->data, 'x', secret->len);

    return NGX_OK;
}


/* a whole file of at most 1 MB, read at configuration time */

static ngx_int_t
ngx_http_mastra_auth_read_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path, ngx_str_t *content)
{
    ssize_t           n;
    ngx_str_t         name;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    static const off_t  max_size = 1024 * 1024;

    name = *path;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = name;
    file.log = cf->log;

    file.fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": " ngx_open_file_n " \"%V\" failed",
                           &cmd->name, &name);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || !ngx_is_file(&fi)
        || ngx_file_size(&fi) > max_size)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%V\" is not a readable file of at "
                           "most 1m", &cmd->name, &name);
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    content->data = ngx_pnalloc(cf->pool, (size_t) ngx_file_size(&fi) + 1);
    if (content->data == NULL) {
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, content->data, (size_t) ngx_file_size(&fi), 0);
    ngx_close_file(file.fd);

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": cannot read \"%V\"", &cmd->name, &name);
        return NGX_ERROR;
    }

    content->len = n;

    return NGX_OK;
}


/*
 * http:// or https:// only: never file:, never anything else.  A list for
 * mastra_auth_jwks_uri, one URL (no trailing slash kept) for
 * mastra_auth_better_auth_url and mastra_auth_better_auth_public_url.
 */

static char *
ngx_http_mastra_auth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t   *value, *url;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (!(value[i].len > 7
              && ngx_strncasecmp(value[i].data, (u_char *) "http://", 7) == 0)
            && !(value[i].len > 8
                 && ngx_strncasecmp(value[i].data, (u_char *) "https://", 8)
                    == 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is not an http:// or "
                               "https:// URL", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                better_auth_url)
        || cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                   better_auth_public_url))
    {
        url = (ngx_str_t *) ((char *) conf + cmd->offset);

        if (url->data) {
            return "is duplicate";
        }

        *url = value[1];

        while (url->len && url->data[url->len - 1] == '/') {
            url->len--;
        }

        return NGX_CONF_OK;
    }

    return ngx_http_mastra_auth_str_list(cf, cmd, conf);
}


/* a JWK Set or a PEM public key, parsed now: a bad file fails nginx -t */

static char *
ngx_http_mastra_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    size_t               k;
    ma_str_t             text, skipped;
    ngx_str_t           *value, content;
    ngx_uint_t           i;
    ma_status_t          rc;
    ma_keyset_t        **keys;
    ngx_pool_cleanup_t  *cln;

    if (alcf->jwks_files == NGX_CONF_UNSET_PTR) {
        alcf->jwks_files = ngx_array_create(cf->pool, 2, sizeof(ma_keyset_t *));
        if (alcf->jwks_files == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_http_mastra_auth_read_file(cf, cmd, &value[i], &content)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        keys = ngx_array_push(alcf->jwks_files);
        if (keys == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        text.data = (const char *) content.data;
        text.len = content.len;

        if (ngx_strlcasestrn(content.data, content.data + content.len,
                             (u_char *) "-----BEGIN", 10 - 1)
            != NULL)
        {
            rc = ma_keyset_parse_pem(text, keys, err, sizeof(err));

        } else {
            rc = ma_keyset_parse_jwks(text, 0, keys, err, sizeof(err));
        }

        if (rc != MA_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\": %s",
                               &cmd->name, &value[i], err);
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_mastra_auth_cleanup_keyset;
        cln->data = *keys;

        for (k = 0; k < ma_keyset_skipped_count(*keys); k++) {
            skipped = ma_keyset_skipped(*keys, k);
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"%V\": \"%V\": skipped %*s", &cmd->name,
                               &value[i], skipped.len, skipped.data);
        }

        if (ma_keyset_size(*keys) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" holds no usable key",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * mastra_auth_forward_jwt SECRET [ttl=TIME] [claims=NAME,...];
 * SECRET as for mastra_auth_secret: a literal, env:NAME or file:PATH.
 */

static char *
ngx_http_mastra_auth_forward_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    u_char              *p, *end, *start;
    time_t               ttl;
    ma_str_t             key, *claims;
    ngx_str_t           *value, secret, s;
    ngx_uint_t           i, n;
    ngx_pool_cleanup_t  *cln;

    if (alcf->forwarder != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_read_secret(cf, cmd, &value[1], &secret)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    *(ngx_str_t *) cln->data = secret;
    cln->handler = ngx_http_mastra_auth_cleanup_secret;

    ttl = 60;
    claims = NULL;
    n = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            ttl = ngx_parse_time(&s, 1);

            if (ttl == (time_t) NGX_ERROR || ttl == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": invalid ttl \"%V\"",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "claims=", 7) == 0 && claims == NULL) {
            start = value[i].data + 7;
            end = value[i].data + value[i].len;

            claims = ngx_palloc(cf->pool, (end - start + 1) * sizeof(ma_str_t));
            if (claims == NULL) {
                return NGX_CONF_ERROR;
            }

            for (p = start; p <= end; p++) {
                if (p < end && *p != ',') {
                    continue;
                }

                if (p == start) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "\"%V\": invalid claim list \"%V\"",
                                       &cmd->name, &value[i]);
                    return NGX_CONF_ERROR;
                }

                claims[n].data = (const char *) start;
                claims[n].len = p - start;
                n++;
                start = p + 1;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid parameter \"%V\" "
                           "(ttl=TIME, claims=NAME,...)",
                           &cmd->name, &value[i]);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    key.data = (const char *) secret.data;
    key.len = secret.len;

    if (ma_forwarder_create(key, ttl, claims, n, &alcf->forwarder, err,
                            sizeof(err))
        != MA_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s",
                           &cmd->name, err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_forwarder;
    cln->data = alcf->forwarder;

    return NGX_CONF_OK;
}


/*
 * Read now, by the master, as nginx reads ssl_trusted_certificate: workers
 * run as an unprivileged user that may not open the file, and get its text
 * (handed to libcurl from memory).  The path stays the key set's name.
 */

static char *
ngx_http_mastra_auth_ca_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char        err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    size_t      certificates;
    ma_str_t    pem;
    ngx_str_t  *value;

    if (alcf->ca_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    alcf->ca_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &alcf->ca_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mastra_auth_read_file(cf, cmd, &alcf->ca_file, &alcf->ca_pem)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    pem.data = (const char *) alcf->ca_pem.data;
    pem.len = alcf->ca_pem.len;

    if (ma_ca_check(pem, &certificates, err, sizeof(err)) != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\": %s",
                           &cmd->name, &alcf->ca_file, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mastra_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    u_char      *p;
    size_t       len;
    ma_str_t     name;
    unsigned     bit;
    ngx_str_t   *value, where;
    ngx_uint_t   i;

    if (alcf->algorithms != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    alcf->algorithms = 0;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        name.data = (const char *) value[i].data;
        name.len = value[i].len;

        bit = ma_algorithm_bit(name);

        if (bit == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": unknown algorithm \"%V\" (HS256, "
                               "HS384, HS512, RS256, RS384, RS512, PS256, "
                               "PS384, PS512, ES256, ES384, ES512, EdDSA)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        alcf->algorithms |= bit;
    }

    /* "file:line (RS256 ES256)": merge-time errors name the values too */

    where = ngx_http_mastra_auth_where(cf);
    if (where.data == NULL) {
        return NGX_CONF_ERROR;
    }

    len = where.len + 2;
    for (i = 1; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    alcf->algorithms_where.data = p;
    p = ngx_sprintf(p, "%V (", &where);

    for (i = 1; i < cf->args->nelts; i++) {
        p = ngx_sprintf(p, i > 1 ? " %V" : "%V", &value[i]);
    }

    *p++ = ')';
    alcf->algorithms_where.len = p - alcf->algorithms_where.data;

    return NGX_CONF_OK;
}


/* one or more strings; a list set at a lower level replaces the inherited */

static char *
ngx_http_mastra_auth_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": empty value", &cmd->name);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mastra_auth_claim(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t                     *value;
    ngx_http_mastra_auth_check_t  *check;

    if (alcf->claims == NGX_CONF_UNSET_PTR) {
        alcf->claims = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_mastra_auth_check_t));
        if (alcf->claims == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    check = ngx_array_push(alcf->claims);
    if (check == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_compile_check(cf, cmd, &value[1], &value[2],
                                           &value[3], check)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mastra_auth_compile_check(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path, ngx_str_t *op, ngx_str_t *value,
    ngx_http_mastra_auth_check_t *check)
{
    char                               err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_op_t                            parsed_op;
    ma_str_t                           text, static_value;
    ma_status_t                        rc;
    ngx_pool_cleanup_t                *cln;
    ngx_http_compile_complex_value_t   ccv;

    text.data = (const char *) op->data;
    text.len = op->len;

    if (ma_op_parse(text, &parsed_op) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid operator \"%V\" "
                           "(=, !=, ~, !~, has, !has)", &cmd->name, op);
        return NGX_ERROR;
    }

    /*
     * A regex is taken literally, as everywhere in nginx ("$" anchors, it
     * names no variable) and compiled now, so a bad one fails nginx -t.
     * Other values may hold variables.
     */

    check->value = NULL;
    static_value.data = NULL;
    static_value.len = 0;

    if (parsed_op != MA_OP_MATCH && parsed_op != MA_OP_NOT_MATCH) {
        check->value = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (check->value == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = value;
        ccv.complex_value = check->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (check->value == NULL || check->value->lengths == NULL) {
        static_value.data = (const char *) value->data;
        static_value.len = value->len;
        check->value = NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    text.data = (const char *) path->data;
    text.len = path->len;

    rc = ma_condition_create(text, parsed_op, static_value, &check->condition,
                             err, sizeof(err));
    if (rc != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s",
                           &cmd->name, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_condition;
    cln->data = check->condition;

    return NGX_OK;
}


static char *
ngx_http_mastra_auth_token_source(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t                      *value;
    ngx_uint_t                      i;
    ngx_http_mastra_auth_source_t  *source;

    if (alcf->explicit_sources != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->explicit_sources = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                      sizeof(ngx_http_mastra_auth_source_t));
    if (alcf->explicit_sources == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        source = ngx_array_push(alcf->explicit_sources);
        if (source == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_null(&source->name);

        if (ngx_strcmp(value[i].data, "header") == 0) {
            source->type = NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER;
            continue;
        }

        if (value[i].len > 6 && ngx_strncmp(value[i].data, "query=", 6) == 0) {
            source->type = NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY;
            source->name.data = value[i].data + 6;
            source->name.len = value[i].len - 6;
            continue;
        }

        if (value[i].len > 7 && ngx_strncmp(value[i].data, "cookie=", 7) == 0) {
            source->type = NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE;
            source->name.data = value[i].data + 7;
            source->name.len = value[i].len - 7;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid source \"%V\" "
                           "(header, query=NAME, cookie=NAME)",
                           &cmd->name, &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mastra_auth_compile_pattern(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *text, ma_pattern_t **pattern)
{
    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t             s;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    s.data = (const char *) text->data;
    s.len = text->len;

    if (ma_pattern_compile(s, pattern, err, sizeof(err)) != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s",
                           &cmd->name, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_pattern;
    cln->data = *pattern;

    return NGX_OK;
}


/* "GET POST" (route entries) or "GET,POST" / "*" (rules) */

static ngx_int_t
ngx_http_mastra_auth_add_methods(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_array_t **methods, ngx_str_t *value, ngx_uint_t split_commas)
{
    u_char     *p, *end, *start;
    ngx_str_t  *m;

    if (*methods == NULL) {
        *methods = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (*methods == NULL) {
            return NGX_ERROR;
        }
    }

    p = value->data;
    end = value->data + value->len;

    while (p <= end) {
        start = p;

        while (p < end && !(split_commas && *p == ',')) {
            if (*p < 'A' || *p > 'Z') {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": invalid method list \"%V\" "
                                   "(upper-case names, as Mastra compares "
                                   "them exactly)", &cmd->name, value);
                return NGX_ERROR;
            }
            p++;
        }

        if (p == start) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid method list \"%V\"",
                               &cmd->name, value);
            return NGX_ERROR;
        }

        m = ngx_array_push(*methods);
        if (m == NULL) {
            return NGX_ERROR;
        }

        m->data = start;
        m->len = p - start;

        p++;
    }

    return NGX_OK;
}


static char *
ngx_http_mastra_auth_route(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t                     *value;
    ngx_uint_t                     i;
    ngx_array_t                  **routes;
    ngx_http_mastra_auth_route_t  *route;

    routes = (ngx_array_t **) (p + cmd->offset);

    if (*routes == NGX_CONF_UNSET_PTR) {
        *routes = ngx_array_create(cf->pool, 4,
                                   sizeof(ngx_http_mastra_auth_route_t));
        if (*routes == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    route = ngx_array_push(*routes);
    if (route == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(route, sizeof(ngx_http_mastra_auth_route_t));

    value = cf->args->elts;

    if (ngx_http_mastra_auth_compile_pattern(cf, cmd, &value[1],
                                             &route->pattern)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_http_mastra_auth_add_methods(cf, cmd, &route->methods,
                                             &value[i], 0)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * mastra_auth_rule PATTERN METHODS allow;
 * mastra_auth_rule PATTERN METHODS NAME OP VALUE;
 */

static char *
ngx_http_mastra_auth_rule(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t                    *value;
    ngx_http_mastra_auth_rule_t  *rule;

    value = cf->args->elts;

    if (cf->args->nelts == 4 && ngx_strcmp(value[3].data, "allow") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": expected \"allow\" or a condition "
                           "\"NAME OP VALUE\", got \"%V\"",
                           &cmd->name, &value[3]);
        return NGX_CONF_ERROR;
    }

    if (alcf->rules == NGX_CONF_UNSET_PTR) {
        alcf->rules = ngx_array_create(cf->pool, 4,
                                       sizeof(ngx_http_mastra_auth_rule_t));
        if (alcf->rules == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(alcf->rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rule, sizeof(ngx_http_mastra_auth_rule_t));

    if (ngx_http_mastra_auth_compile_pattern(cf, cmd, &value[1],
                                             &rule->pattern)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!(value[2].len == 1 && value[2].data[0] == '*')) {
        if (ngx_http_mastra_auth_add_methods(cf, cmd, &rule->methods,
                                             &value[2], 1)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (cf->args->nelts == 4) {
        rule->allow = 1;
        return NGX_CONF_OK;
    }

    if (ngx_http_mastra_auth_compile_check(cf, cmd, &value[3], &value[4],
                                           &value[5], &rule->check)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mastra_auth_realm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t   *value;
    ngx_uint_t   i;

    value = cf->args->elts;

    /* the realm is a quoted-string in a header: keep it plain */

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < 0x20 || value[1].data[i] > 0x7e
            || value[1].data[i] == '"' || value[1].data[i] == '\\')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid realm \"%V\" (printable ASCII "
                               "without quotes or backslashes)",
                               &cmd->name, &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}


static char *
ngx_http_mastra_auth_dev_playground(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK && alcf->dev_playground) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" is on: requests with "
                           "\"x-mastra-dev-playground: true\" pass "
                           "unauthenticated; never use this in production",
                           &cmd->name);
    }

    return rv;
}


/*
 * What a team set on its Better Auth server: a cookie prefix or name (a
 * cookie-name token of RFC 6265), the base path (absolute, no trailing
 * slash kept), the cookie cache's version (printable, no spaces).
 */

static char *
ngx_http_mastra_auth_better_auth_str(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value, *field;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_better_auth_value(cf, cmd, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = value[1];

    if (cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                ba_base_path))
    {
        while (field->len && field->data[field->len - 1] == '/') {
            field->len--;
        }
    }

    return NGX_CONF_OK;
}


/* mastra_auth_better_auth_cookie_name session_token|session_data NAME */

static char *
ngx_http_mastra_auth_better_auth_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t  *value, *field;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "session_token") == 0) {
        field = &alcf->ba_token_name;

    } else if (ngx_strcmp(value[1].data, "session_data") == 0) {
        field = &alcf->ba_data_name;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid cookie \"%V\" (session_token, "
                           "session_data)", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (field->data) {
        return "is duplicate";
    }

    if (ngx_http_mastra_auth_better_auth_value(cf, cmd, &value[2]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = value[2];

    return NGX_CONF_OK;
}


/* a value the header or URL it goes into cannot misread; else [emerg] */

static ngx_int_t
ngx_http_mastra_auth_better_auth_value(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value)
{
    u_char       c;
    ngx_uint_t   i, path;
    const char  *expected;

    path = (cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                    ba_base_path));

    if (path) {
        expected = "an absolute path";

    } else if (cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                       ba_cache_version))
    {
        expected = "printable ASCII without spaces";

    } else {
        expected = "a cookie name";
    }

    for (i = 0; i < value->len; i++) {
        c = value->data[i];

        if (c <= 0x20 || c >= 0x7f) {
            goto invalid;
        }

        if (path) {
            if (c == '?' || c == '#' || c == '%' || c == '\\') {
                goto invalid;
            }

        } else if (cmd->offset != offsetof(ngx_http_mastra_auth_loc_conf_t,
                                           ba_cache_version)
                   && ngx_strchr("()<>@,;:\\\"/[]?={}", c))
        {
            goto invalid;
        }
    }

    if (value->len && (!path || value->data[0] == '/')) {
        return NGX_OK;
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\": invalid value \"%V\" (%s)",
                       &cmd->name, value, expected);

    return NGX_ERROR;
}


/* ngx_conf_set_enum_slot(), with the directive and the choices named */

static char *
ngx_http_mastra_auth_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char            *q, choices[256];
    ngx_str_t         *value;
    ngx_uint_t        *np, i;
    ngx_conf_enum_t   *e;

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strcmp(e[i].name.data, value[1].data) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    q = choices;

    for (i = 0; e[i].name.len != 0; i++) {
        q = ngx_slprintf(q, choices + sizeof(choices), "%s%V",
                         i ? ", " : "", &e[i].name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": invalid value \"%V\" (%*s)",
                       &cmd->name, &value[1], q - choices, choices);

    return NGX_CONF_ERROR;
}


/* ngx_conf_set_sec_slot() and _msec_slot(), naming the bad value */

static ngx_int_t
ngx_http_mastra_auth_parse_time(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_uint_t is_sec, ngx_int_t *t)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    *t = ngx_parse_time(&value[1], is_sec);

    if (*t == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid time \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static char *
ngx_http_mastra_auth_sec_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    time_t     *sp;
    ngx_int_t   t;

    sp = (time_t *) ((char *) conf + cmd->offset);

    if (*sp != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_http_mastra_auth_parse_time(cf, cmd, 1, &t) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *sp = (time_t) t;

    return NGX_CONF_OK;
}


static char *
ngx_http_mastra_auth_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_int_t    t;
    ngx_msec_t  *mp;

    mp = (ngx_msec_t *) ((char *) conf + cmd->offset);

    if (*mp != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    if (ngx_http_mastra_auth_parse_time(cf, cmd, 0, &t) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *mp = (ngx_msec_t) t;

    return NGX_CONF_OK;
}


/* mastra_auth_verify_cache SIZE | off */

static char *
ngx_http_mastra_auth_verify_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (alcf->verify_cache != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->verify_cache = 0;
        return NGX_CONF_OK;
    }

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid value \"%V\" (a size of at "
                           "least %uz, like 1m, or off)",
                           &cmd->name, &value[1], ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    alcf->verify_cache = (size_t) size;

    return NGX_CONF_OK;
}


/* "file:line" of the directive being parsed, for errors found at merge */

ngx_str_t
ngx_http_mastra_auth_where(ngx_conf_t *cf)
{
    u_char     *p;
    ngx_str_t   where;

    where.len = 0;
    where.data = NULL;

    if (cf->conf_file == NULL || cf->conf_file->file.name.data == NULL) {
        ngx_str_set(&where, "the configuration");
        return where;
    }

    p = ngx_pnalloc(cf->pool, cf->conf_file->file.name.len + NGX_INT_T_LEN + 1);
    if (p == NULL) {
        return where;
    }

    where.data = p;
    where.len = ngx_sprintf(p, "%V:%ui", &cf->conf_file->file.name,
                            cf->conf_file->line) - p;

    return where;
}


static void
ngx_http_mastra_auth_cleanup_condition(void *data)
{
    ma_condition_free(data);
}


static void
ngx_http_mastra_auth_cleanup_forwarder(void *data)
{
    ma_forwarder_free(data);
}


void
ngx_http_mastra_auth_cleanup_keyset(void *data)
{
    ma_keyset_free(data);
}


void
ngx_http_mastra_auth_cleanup_identity(void *data)
{
    ma_identity_free(data);
}


static void
ngx_http_mastra_auth_cleanup_pattern(void *data)
{
    ma_pattern_free(data);
}


void
ngx_http_mastra_auth_cleanup_secret(void *data)
{
    ngx_str_t  *secret = data;

    if (secret->data) {
        ngx_explicit_memzero(secret->data, secret->len);
    }
}
