
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

static ngx_int_t ngx_http_mastra_auth_read_secret(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *secret);
static ngx_int_t ngx_http_mastra_auth_compile_check(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *path, ngx_str_t *op, ngx_str_t *value,
    ngx_http_mastra_auth_check_t *check);
static ngx_int_t ngx_http_mastra_auth_compile_pattern(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *text, ma_pattern_t **pattern);
static ngx_int_t ngx_http_mastra_auth_create_verifier(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);
static ngx_int_t ngx_http_mastra_auth_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf);
static ngx_str_t ngx_http_mastra_auth_where(ngx_conf_t *cf);
static void ngx_http_mastra_auth_cleanup_verifier(void *data);
static void ngx_http_mastra_auth_cleanup_condition(void *data);
static void ngx_http_mastra_auth_cleanup_pattern(void *data);
static void ngx_http_mastra_auth_cleanup_secret(void *data);


/* providers of SPEC section 2 that later work will bring */
static ngx_str_t  ngx_http_mastra_auth_later_providers[] = {
    ngx_string("jwks"),
    ngx_string("auth0"),
    ngx_string("clerk"),
    ngx_string("supabase"),
    ngx_string("firebase"),
    ngx_string("oidc"),
    ngx_string("better-auth"),
    ngx_null_string
};


static ngx_conf_enum_t  ngx_http_mastra_auth_default_values[] = {
    { ngx_string("protected"), NGX_HTTP_MASTRA_AUTH_DEFAULT_PROTECTED },
    { ngx_string("public"), NGX_HTTP_MASTRA_AUTH_DEFAULT_PUBLIC },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_preflight_values[] = {
    { ngx_string("pass"), NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS },
    { ngx_string("authenticate"), NGX_HTTP_MASTRA_AUTH_PREFLIGHT_AUTHENTICATE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mastra_auth_mode_values[] = {
    { ngx_string("enforce"), NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE },
    { ngx_string("observe"), NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE },
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
      ngx_conf_set_sec_slot,
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
      ngx_conf_set_enum_slot,
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
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, preflight),
      &ngx_http_mastra_auth_preflight_values },

    { ngx_string("mastra_auth_realm"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_http_mastra_auth_realm,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, realm),
      NULL },

    { ngx_string("mastra_auth_mode"),
      NGX_HTTP_MASTRA_AUTH_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
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
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mastra_auth_loc_conf_t, encoded_slashes),
      &ngx_http_mastra_auth_slashes_values },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mastra_auth_module_ctx = {
    ngx_http_mastra_auth_preconfiguration, /* preconfiguration */
    ngx_http_mastra_auth_init,             /* postconfiguration */

    NULL,                                  /* create main configuration */
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
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


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
    conf->sources = NGX_CONF_UNSET_PTR;
    conf->public_routes = NGX_CONF_UNSET_PTR;
    conf->protected_routes = NGX_CONF_UNSET_PTR;
    conf->default_access = NGX_CONF_UNSET_UINT;
    conf->rules = NGX_CONF_UNSET_PTR;
    conf->preflight = NGX_CONF_UNSET_UINT;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->dev_playground = NGX_CONF_UNSET;
    conf->encoded_slashes = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_mastra_auth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_mastra_auth_loc_conf_t *prev = parent;
    ngx_http_mastra_auth_loc_conf_t *conf = child;

    ngx_http_mastra_auth_source_t  *source;

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

    ngx_conf_merge_uint_value(conf->algorithms, prev->algorithms,
                              MA_ALG_HS256);
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
    ngx_conf_merge_str_value(conf->realm, prev->realm, "mastra");
    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE);
    ngx_conf_merge_value(conf->dev_playground, prev->dev_playground, 0);
    ngx_conf_merge_uint_value(conf->encoded_slashes, prev->encoded_slashes,
                              NGX_HTTP_MASTRA_AUTH_SLASHES_REFUSE);

    ngx_conf_merge_ptr_value(conf->sources, prev->sources, NULL);

    if (conf->sources == NULL) {

        /* Mastra's order: the Authorization header, then ?apiKey= */

        conf->sources = ngx_array_create(cf->pool, 2,
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
    }

    if (ngx_http_mastra_auth_challenges(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->provider != NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT) {
        return NGX_CONF_OK;
    }

    /*
     * Reuse the parent's verifier when nothing it depends on changed here:
     * one verifier per distinct configuration, not per location.
     */

    if (prev->verifier != NULL
        && conf->secret.data == prev->secret.data
        && conf->algorithms == prev->algorithms
        && conf->leeway == prev->leeway
        && conf->issuers == prev->issuers
        && conf->audiences == prev->audiences)
    {
        conf->verifier = prev->verifier;
        return NGX_CONF_OK;
    }

    if (ngx_http_mastra_auth_create_verifier(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mastra_auth_create_verifier(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    char                    err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    u_char                 *env;
    ngx_str_t               value;
    ngx_uint_t              i;
    ma_str_t               *issuers, *audiences;
    ma_status_t             rc;
    ngx_pool_cleanup_t     *cln;
    ma_verifier_options_t   options;

    static const char  *env_names[] = {
        "MASTRA_JWT_SECRET",   /* the SPEC's name */
        "JWT_AUTH_SECRET",     /* MastraJwtAuth's own default */
        NULL
    };

    if (conf->secret.data == NULL) {

        /*
         * The master reads its environment while loading the configuration,
         * so the secret needs no "env" directive to reach the workers.
         */

        for (i = 0; env_names[i]; i++) {
            env = (u_char *) getenv(env_names[i]);

            if (env != NULL && *env != '\0') {
                value.len = ngx_strlen(env);
                value.data = env;

                conf->secret.len = value.len;
                conf->secret.data = ngx_pstrdup(cf->pool, &value);
                if (conf->secret.data == NULL) {
                    return NGX_ERROR;
                }

                cln = ngx_pool_cleanup_add(cf->pool, 0);
                if (cln == NULL) {
                    return NGX_ERROR;
                }

                cln->handler = ngx_http_mastra_auth_cleanup_secret;
                cln->data = &conf->secret;

                ngx_str_set(&conf->secret_where, "the environment");
                break;
            }
        }

        if (conf->secret.data == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider jwt\" in %V needs "
                          "\"mastra_auth_secret\", or MASTRA_JWT_SECRET or "
                          "JWT_AUTH_SECRET in the environment",
                          &conf->provider_where);
            return NGX_ERROR;
        }
    }

    ngx_memzero(&options, sizeof(ma_verifier_options_t));

    options.secret.data = (const char *) conf->secret.data;
    options.secret.len = conf->secret.len;
    options.algorithms = conf->algorithms;
    options.leeway = conf->leeway;

    if (conf->issuers) {
        issuers = ngx_palloc(cf->pool, conf->issuers->nelts * sizeof(ma_str_t));
        if (issuers == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < conf->issuers->nelts; i++) {
            value = ((ngx_str_t *) conf->issuers->elts)[i];
            issuers[i].data = (const char *) value.data;
            issuers[i].len = value.len;
        }

        options.issuers = issuers;
        options.nissuers = conf->issuers->nelts;
    }

    if (conf->audiences) {
        audiences = ngx_palloc(cf->pool,
                               conf->audiences->nelts * sizeof(ma_str_t));
        if (audiences == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < conf->audiences->nelts; i++) {
            value = ((ngx_str_t *) conf->audiences->elts)[i];
            audiences[i].data = (const char *) value.data;
            audiences[i].len = value.len;
        }

        options.audiences = audiences;
        options.naudiences = conf->audiences->nelts;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    rc = ma_verifier_create(&options, &conf->verifier, err, sizeof(err));

    if (rc != MA_OK) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_secret\" from %V: %s "
                      "(\"mastra_auth_algorithms\" decides the length)",
                      &conf->secret_where, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_verifier;
    cln->data = conf->verifier;

    return NGX_OK;
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
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_mastra_auth_handler;

    return NGX_OK;
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

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->provider = NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF;

    } else if (ngx_strcmp(value[1].data, "jwt") == 0) {
        alcf->provider = NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT;

    } else {
        for (i = 0; ngx_http_mastra_auth_later_providers[i].len; i++) {
            if (ngx_strcmp(value[1].data,
                           ngx_http_mastra_auth_later_providers[i].data)
                == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": provider \"%V\" is not yet "
                                   "supported", &cmd->name, &value[1]);
                return NGX_CONF_ERROR;
            }
        }

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

    if (ngx_http_mastra_auth_read_secret(cf, &value[1], &alcf->secret)
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


/* a literal, "env:NAME" or "file:PATH"; never logged */

static ngx_int_t
ngx_http_mastra_auth_read_secret(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *secret)
{
    u_char           *env;
    ssize_t           n;
    ngx_str_t         name;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    static const size_t  max_secret_file = 64 * 1024;

    if (value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0) {
        env = (u_char *) getenv((char *) value->data + 4);

        if (env == NULL || *env == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"mastra_auth_secret\": environment variable "
                               "\"%s\" is not set or empty",
                               value->data + 4);
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

        if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_memzero(&file, sizeof(ngx_file_t));
        file.name = name;
        file.log = cf->log;

        file.fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (file.fd == NGX_INVALID_FILE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "\"mastra_auth_secret\": "
                               ngx_open_file_n " \"%V\" failed", &name);
            return NGX_ERROR;
        }

        if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
            || ngx_file_size(&fi) > (off_t) max_secret_file)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"mastra_auth_secret\": \"%V\" is not a "
                               "readable file of at most 64k", &name);
            ngx_close_file(file.fd);
            return NGX_ERROR;
        }

        secret->data = ngx_pnalloc(cf->pool, (size_t) ngx_file_size(&fi) + 1);
        if (secret->data == NULL) {
            ngx_close_file(file.fd);
            return NGX_ERROR;
        }

        n = ngx_read_file(&file, secret->data, (size_t) ngx_file_size(&fi), 0);
        ngx_close_file(file.fd);

        if (n != (ssize_t) ngx_file_size(&fi)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"mastra_auth_secret\": cannot read \"%V\"",
                               &name);
            return NGX_ERROR;
        }

        secret->len = n;

        /* editors end files with a newline; it is not part of the secret */

        if (secret->len && secret->data[secret->len - 1] == '\n') {
            secret->len--;
            if (secret->len && secret->data[secret->len - 1] == '\r') {
                secret->len--;
            }
        }

        if (secret->len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"mastra_auth_secret\": \"%V\" is empty",
                               &name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    *secret = *value;

    return NGX_OK;
}


static char *
ngx_http_mastra_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ma_str_t     name;
    unsigned     bit;
    ngx_str_t   *value;
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
                               "\"%V\": algorithm \"%V\" is not supported "
                               "by provider \"jwt\" (HS256, HS384, HS512)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        alcf->algorithms |= bit;
    }

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

    /* a value without variables is handed over now, so a bad regex fails -t */

    static_value.data = NULL;
    static_value.len = 0;

    if (check->value->lengths == NULL) {
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

    if (alcf->sources != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->sources = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_http_mastra_auth_source_t));
    if (alcf->sources == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        source = ngx_array_push(alcf->sources);
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


/* "file:line" of the directive being parsed, for errors found at merge */

static ngx_str_t
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
ngx_http_mastra_auth_cleanup_verifier(void *data)
{
    ma_verifier_free(data);
}


static void
ngx_http_mastra_auth_cleanup_condition(void *data)
{
    ma_condition_free(data);
}


static void
ngx_http_mastra_auth_cleanup_pattern(void *data)
{
    ma_pattern_free(data);
}


static void
ngx_http_mastra_auth_cleanup_secret(void *data)
{
    ngx_str_t  *secret = data;

    if (secret->data) {
        ngx_explicit_memzero(secret->data, secret->len);
    }
}
