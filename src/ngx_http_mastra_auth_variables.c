
/*
 * nginx-mastra-auth: the $mastra_auth_* variables (docs/variables.md).
 *
 * All are read from the request context the handler filled; none is
 * cacheable, since $mastra_auth_param_* changes while rules are tried.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


typedef enum {
    ngx_http_mastra_auth_var_user = 0,
    ngx_http_mastra_auth_var_email,
    ngx_http_mastra_auth_var_payload
} ngx_http_mastra_auth_identity_var_e;


static ngx_int_t ngx_http_mastra_auth_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_identity_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_provider_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_source_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_forward_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_cache_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_param_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_claim_set_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_mastra_auth_cleanup_claim_path(void *data);
static ngx_int_t ngx_http_mastra_auth_args_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_uri_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mastra_auth_args_without(ngx_http_request_t *r,
    ngx_str_t *args);
static void ngx_http_mastra_auth_set_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len);
static ngx_int_t ngx_http_mastra_auth_header_safe(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len);


#define NGX_HTTP_MASTRA_AUTH_CLAIM_PREFIX  "mastra_auth_claim_"
#define NGX_HTTP_MASTRA_AUTH_PARAM_PREFIX  "mastra_auth_param_"


static ngx_http_variable_t  ngx_http_mastra_auth_vars[] = {

    { ngx_string("mastra_auth_status"), NULL,
      ngx_http_mastra_auth_status_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_user"), NULL,
      ngx_http_mastra_auth_identity_variable, ngx_http_mastra_auth_var_user,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_email"), NULL,
      ngx_http_mastra_auth_identity_variable, ngx_http_mastra_auth_var_email,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_payload"), NULL,
      ngx_http_mastra_auth_identity_variable,
      ngx_http_mastra_auth_var_payload,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_provider"), NULL,
      ngx_http_mastra_auth_provider_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_token_source"), NULL,
      ngx_http_mastra_auth_source_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_error"), NULL,
      ngx_http_mastra_auth_error_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_forward_jwt"), NULL,
      ngx_http_mastra_auth_forward_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_cache_status"), NULL,
      ngx_http_mastra_auth_cache_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_args"), NULL,
      ngx_http_mastra_auth_args_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mastra_auth_uri"), NULL,
      ngx_http_mastra_auth_uri_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string(NGX_HTTP_MASTRA_AUTH_CLAIM_PREFIX), NULL,
      ngx_http_mastra_auth_claim_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string(NGX_HTTP_MASTRA_AUTH_PARAM_PREFIX), NULL,
      ngx_http_mastra_auth_param_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_mastra_auth_outcomes[] = {
    ngx_string("off"),
    ngx_string("public"),
    ngx_string("ok"),
    ngx_string("missing"),
    ngx_string("invalid"),
    ngx_string("expired"),
    ngx_string("forbidden"),
    ngx_string("unavailable")
};


/* indexed by NGX_HTTP_MASTRA_AUTH_CACHE_* */
static ngx_str_t  ngx_http_mastra_auth_cache_statuses[] = {
    ngx_string(""),
    ngx_string("MISS"),
    ngx_string("HIT")
};


/* indexed by NGX_HTTP_MASTRA_AUTH_PROVIDER_* */
static ngx_str_t  ngx_http_mastra_auth_provider_names[] = {
    ngx_string("off"),
    ngx_string("jwt"),
    ngx_string("jwks"),
    ngx_string("auth0"),
    ngx_string("clerk"),
    ngx_string("supabase"),
    ngx_string("firebase"),
    ngx_string("oidc"),
    ngx_string("better-auth")
};


ngx_int_t
ngx_http_mastra_auth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_mastra_auth_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                   *s;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    s = &ngx_http_mastra_auth_outcomes[ctx ? ctx->outcome
                                           : ngx_http_mastra_auth_off];

    ngx_http_mastra_auth_set_value(v, s->data, s->len);

    return NGX_OK;
}


/* user, email and payload exist only for a verified token */

static ngx_int_t
ngx_http_mastra_auth_identity_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ma_str_t                     s;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    if (ctx == NULL || !ctx->verified) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    switch (data) {

    case ngx_http_mastra_auth_var_user:
        s = ma_identity_user(ctx->identity);
        break;

    case ngx_http_mastra_auth_var_email:
        s = ma_identity_email(ctx->identity);
        break;

    default: /* ngx_http_mastra_auth_var_payload */
        s = ma_identity_payload(ctx->identity);
        break;
    }

    ngx_http_mastra_auth_set_value(v, (u_char *) s.data, s.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_provider_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                        *s;
    ngx_http_mastra_auth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_mastra_auth_module);

    s = &ngx_http_mastra_auth_provider_names[alcf->provider];

    ngx_http_mastra_auth_set_value(v, s->data, s->len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_source_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    if (ctx == NULL) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    ngx_http_mastra_auth_set_value(v, ctx->token_source.data,
                                   ctx->token_source.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                  *code;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    if (ctx == NULL || ctx->reason == MA_OK) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    code = ma_status_code(ctx->reason);

    ngx_http_mastra_auth_set_value(v, (u_char *) code, ngx_strlen(code));

    return NGX_OK;
}


/*
 * $mastra_auth_forward_jwt: minted when first read, once per request, for a
 * verified identity only; empty otherwise (the upstream then refuses).
 */

static ngx_int_t
ngx_http_mastra_auth_forward_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                            len;
    ngx_http_mastra_auth_ctx_t       *ctx;
    ngx_http_mastra_auth_loc_conf_t  *alcf;

    static const size_t  max_token = 8192;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_mastra_auth_module);

    if (ctx == NULL || !ctx->verified || alcf->forwarder == NULL) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    if (ctx->forward_jwt.data == NULL) {
        ctx->forward_jwt.data = ngx_pnalloc(r->pool, max_token);
        if (ctx->forward_jwt.data == NULL) {
            return NGX_ERROR;
        }

        len = ma_forwarder_mint(alcf->forwarder, ctx->identity, ngx_time(),
                                (char *) ctx->forward_jwt.data, max_token);

        if (len == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "mastra_auth: the forwarded token could not be "
                          "minted (claims over %uz bytes?)", max_token);
        }

        ctx->forward_jwt.len = len;
    }

    ngx_http_mastra_auth_set_value(v, ctx->forward_jwt.data,
                                   ctx->forward_jwt.len);

    return NGX_OK;
}


/* $mastra_auth_claim_NAME: data is the whole variable name */

static ngx_int_t
ngx_http_mastra_auth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *name = (ngx_str_t *) data;

    ma_str_t                     claim, text;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    if (ctx == NULL || !ctx->verified) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    claim.data = (const char *) name->data
                 + sizeof(NGX_HTTP_MASTRA_AUTH_CLAIM_PREFIX) - 1;
    claim.len = name->len - (sizeof(NGX_HTTP_MASTRA_AUTH_CLAIM_PREFIX) - 1);

    text = ma_identity_claim_text(ctx->identity, claim);

    ngx_http_mastra_auth_set_value(v, (u_char *) text.data, text.len);

    return NGX_OK;
}


/*
 * mastra_auth_claim_set $variable claim.path;  binds a variable of the
 * user's naming to a claim path (nested claims, names with dots in quotes),
 * the way $mastra_auth_claim_NAME reads a top-level claim.  Like map's, the
 * binding is global: a variable is bound once, wherever the line stands.
 */

char *
ngx_http_mastra_auth_claim_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char                  err[128];
    ma_str_t              text;
    ngx_str_t            *value, name;
    ma_claim_path_t      *path;
    ngx_pool_cleanup_t   *cln;
    ngx_http_variable_t  *var;

    value = cf->args->elts;
    name = value[1];

    if (name.len < 2 || name.data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid variable name \"%V\"",
                           &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    name.data++;
    name.len--;

    if (name.len >= sizeof("mastra_auth_") - 1
        && ngx_strncasecmp(name.data, (u_char *) "mastra_auth_",
                           sizeof("mastra_auth_") - 1) == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"$%V\" is a name of the module",
                           &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    text.data = (const char *) value[2].data;
    text.len = value[2].len;

    if (ma_claim_path_create(text, &path, err, sizeof(err)) != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s",
                           &cmd->name, err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ma_claim_path_free(path);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_claim_path;
    cln->data = path;

    var = ngx_http_add_variable(cf, &name, NGX_HTTP_VAR_CHANGEABLE);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    if (var->get_handler == ngx_http_mastra_auth_claim_set_variable) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"$%V\" is bound already",
                           &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    if (var->get_handler != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"$%V\" is another variable already",
                           &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    var->get_handler = ngx_http_mastra_auth_claim_set_variable;
    var->data = (uintptr_t) path;
    var->flags |= NGX_HTTP_VAR_NOCACHEABLE;

    return NGX_CONF_OK;
}


static void
ngx_http_mastra_auth_cleanup_claim_path(void *data)
{
    ma_claim_path_free(data);
}


/* a bound claim path: as $mastra_auth_claim_NAME, empty unless verified */

static ngx_int_t
ngx_http_mastra_auth_claim_set_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ma_str_t                     text;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    if (ctx == NULL || !ctx->verified) {
        ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);
        return NGX_OK;
    }

    text = ma_identity_claim_path_text(ctx->identity,
                                       (ma_claim_path_t *) data);

    ngx_http_mastra_auth_set_value(v, (u_char *) text.data, text.len);

    return NGX_OK;
}


/* $mastra_auth_param_NAME: names compare without case, as nginx lowers them */

static ngx_int_t
ngx_http_mastra_auth_param_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  *name = (ngx_str_t *) data;

    u_char                      *p;
    size_t                       len;
    ngx_uint_t                   i;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    p = name->data + sizeof(NGX_HTTP_MASTRA_AUTH_PARAM_PREFIX) - 1;
    len = name->len - (sizeof(NGX_HTTP_MASTRA_AUTH_PARAM_PREFIX) - 1);

    if (ctx != NULL) {
        for (i = 0; i < ctx->params.n; i++) {
            if (ctx->params.name[i].len == len
                && ngx_strncasecmp((u_char *) ctx->params.name[i].data, p, len)
                   == 0)
            {
                return ngx_http_mastra_auth_header_safe(r, v,
                    (u_char *) ctx->params.value[i].data,
                    ctx->params.value[i].len);
            }
        }
    }

    ngx_http_mastra_auth_set_value(v, (u_char *) "", 0);

    return NGX_OK;
}


/*
 * $mastra_auth_args: the request's arguments without the token parameters
 * of mastra_auth_token_source (query=NAME; Mastra's ?apiKey=), so that a
 * credential nginx consumed does not travel on to the upstream beside the
 * identity nginx forwards.  Other arguments keep their order and bytes.
 */

static ngx_int_t
ngx_http_mastra_auth_args_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  args;

    if (ngx_http_mastra_auth_args_without(r, &args) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_mastra_auth_set_value(v, args.data, args.len);

    return NGX_OK;
}


/*
 * $mastra_auth_uri: what "proxy_pass http://upstream;" would send, without
 * the token parameters: the normalized path ($uri, the one the routes were
 * matched on) escaped as the proxy module escapes it, then "?" and
 * $mastra_auth_args when there are any.  For
 * "proxy_pass http://mastra$mastra_auth_uri;": a plain $uri there would go
 * out decoded, and a "%3F" in it would become the start of a query.
 */

static ngx_int_t
ngx_http_mastra_auth_uri_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    uintptr_t   escape;
    ngx_str_t   args;

    if (ngx_http_mastra_auth_args_without(r, &args) != NGX_OK) {
        return NGX_ERROR;
    }

    escape = 2 * ngx_escape_uri(NULL, r->uri.data, r->uri.len,
                                NGX_ESCAPE_URI);

    p = ngx_pnalloc(r->pool, r->uri.len + escape + 1 + args.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    if (escape) {
        p = (u_char *) ngx_escape_uri(p, r->uri.data, r->uri.len,
                                      NGX_ESCAPE_URI);

    } else {
        p = ngx_cpymem(p, r->uri.data, r->uri.len);
    }

    if (args.len) {
        *p++ = '?';
        p = ngx_cpymem(p, args.data, args.len);
    }

    ngx_http_mastra_auth_set_value(v, v->data, p - v->data);

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_args_without(ngx_http_request_t *r, ngx_str_t *args)
{
    ma_str_t                          in, *names;
    ngx_uint_t                        i, n;
    ngx_http_mastra_auth_source_t    *source;
    ngx_http_mastra_auth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_mastra_auth_module);

    *args = r->args;

    if (r->args.len == 0 || alcf->sources == NULL
        || alcf->sources == NGX_CONF_UNSET_PTR)
    {
        return NGX_OK;
    }

    names = ngx_palloc(r->pool, alcf->sources->nelts * sizeof(ma_str_t));
    if (names == NULL) {
        return NGX_ERROR;
    }

    source = alcf->sources->elts;
    n = 0;

    for (i = 0; i < alcf->sources->nelts; i++) {
        if (source[i].type == NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY) {
            names[n].data = (const char *) source[i].name.data;
            names[n].len = source[i].name.len;
            n++;
        }
    }

    if (n == 0) {
        return NGX_OK;
    }

    args->data = ngx_pnalloc(r->pool, r->args.len);
    if (args->data == NULL) {
        return NGX_ERROR;
    }

    in.data = (const char *) r->args.data;
    in.len = r->args.len;

    args->len = ma_query_without(in, names, n, (char *) args->data);

    return NGX_OK;
}


static void
ngx_http_mastra_auth_set_value(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = data;
}


/*
 * A path segment comes from the decoded $uri and may hold control bytes
 * (%0D%0A): percent-encoded again, so it cannot add an upstream header.
 */

static ngx_int_t
ngx_http_mastra_auth_header_safe(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, u_char *data, size_t len)
{
    u_char  *p, *q;
    size_t   i, n;

    static u_char  hex[] = "0123456789ABCDEF";

    n = 0;

    for (i = 0; i < len; i++) {
        if (data[i] < 0x20 || data[i] == 0x7f) {
            n++;
        }
    }

    if (n == 0) {
        ngx_http_mastra_auth_set_value(v, data, len);
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len + 2 * n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = p;

    for (i = 0; i < len; i++) {
        if (data[i] < 0x20 || data[i] == 0x7f) {
            *q++ = '%';
            *q++ = hex[data[i] >> 4];
            *q++ = hex[data[i] & 0xf];

        } else {
            *q++ = data[i];
        }
    }

    ngx_http_mastra_auth_set_value(v, p, q - p);

    return NGX_OK;
}


/*
 * $mastra_auth_cache_status: HIT or MISS when the verified-token cache was
 * consulted for this request, empty otherwise (as $upstream_cache_status).
 */

static ngx_int_t
ngx_http_mastra_auth_cache_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                   *s;
    ngx_http_mastra_auth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mastra_auth_module);

    s = &ngx_http_mastra_auth_cache_statuses[ctx ? ctx->cache_status : 0];

    ngx_http_mastra_auth_set_value(v, s->data, s->len);

    return NGX_OK;
}
