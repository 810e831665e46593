
/*
 * nginx-mastra-auth: OAuth protected resources for MCP servers (docs/mcp.md).
 *
 * mastra_auth_resource binds tokens to a resource (its URL is the audience)
 * and points 401 challenges at the RFC 9728 metadata; mastra_auth_scope
 * adds the scopes every token must hold; mastra_auth_resource_metadata
 * answers the metadata of every resource of its server, unchecked.  The
 * documents are built by the core (nlohmann/json) once, at configuration.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"

#include <mastra_auth/resource.h>


#define NGX_HTTP_MASTRA_AUTH_ERRLEN  512


/* one resource of a server, with its metadata document */
typedef struct {
    void                       *server;     /* the server's core conf */
    ngx_str_t                   resource;
    ngx_str_t                   path;       /* metadata path, decoded */
    ngx_str_t                   document;
    ngx_str_t                   where;
} ngx_http_mastra_auth_resource_t;


/* a location with mastra_auth_resource_metadata */
typedef struct {
    void                       *server;
    ngx_str_t                   where;
} ngx_http_mastra_auth_metadata_loc_t;


static ngx_int_t ngx_http_mastra_auth_resource_register(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *metadata_url,
    size_t path_offset);
static ngx_int_t ngx_http_mastra_auth_resource_document(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *document);
static ngx_int_t ngx_http_mastra_auth_resource_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *metadata_url);
static ngx_int_t ngx_http_mastra_auth_challenge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, const char *error,
    ngx_str_t *scope, ngx_str_t *metadata_url, ngx_str_t *out);
static ngx_int_t ngx_http_mastra_auth_metadata_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_mastra_auth_metadata_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static void ngx_http_mastra_auth_cleanup_doc(void *data);


static ngx_str_t  ngx_http_mastra_auth_bare_path =
    ngx_string("/.well-known/oauth-protected-resource");

static ngx_str_t  ngx_http_mastra_auth_body_not_found =
    ngx_string("{\"error\":\"Not found\"}");
static ngx_str_t  ngx_http_mastra_auth_body_not_allowed =
    ngx_string("{\"error\":\"Method not allowed\"}");


/* mastra_auth_resource URL; */

char *
ngx_http_mastra_auth_resource(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char        err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t    url;
    ngx_str_t  *value;

    if (alcf->resource.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    url.data = (const char *) value[1].data;
    url.len = value[1].len;

    if (ma_resource_url_check(url, err, sizeof(err)) != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid URL \"%V\": %s",
                           &cmd->name, &value[1], err);
        return NGX_CONF_ERROR;
    }

    alcf->resource = value[1];
    alcf->resource_where = ngx_http_mastra_auth_where(cf);

    return NGX_CONF_OK;
}


/* mastra_auth_authorization_server URL...; replaces an inherited list */

char *
ngx_http_mastra_auth_url_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    char           err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t       url;
    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a == NULL) {
        *a = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        url.data = (const char *) value[i].data;
        url.len = value[i].len;

        /* an issuer identifier (RFC 8414 section 2) */

        if (ma_resource_url_check(url, err, sizeof(err)) != MA_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid URL \"%V\": %s",
                               &cmd->name, &value[i], err);
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


/* mastra_auth_scope SCOPE...; */

char *
ngx_http_mastra_auth_scope(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ma_str_t     scope;
    ngx_str_t   *value, *s;
    ngx_uint_t   i;

    if (alcf->scopes == NULL) {
        alcf->scopes = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (alcf->scopes == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        scope.data = (const char *) value[i].data;
        scope.len = value[i].len;

        if (!ma_scope_token_check(scope)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid scope \"%V\" (printable "
                               "ASCII without spaces, quotes or backslashes)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(alcf->scopes);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* mastra_auth_resource_name NAME; (UTF-8 is checked with the document) */

char *
ngx_http_mastra_auth_resource_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    if (alcf->resource_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": empty value",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    alcf->resource_name = value[1];

    return NGX_CONF_OK;
}


/* mastra_auth_resource_metadata; the location's content */

char *
ngx_http_mastra_auth_resource_metadata(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_http_core_loc_conf_t             *clcf;
    ngx_http_mastra_auth_main_conf_t     *amcf;
    ngx_http_mastra_auth_metadata_loc_t  *loc;

    if (alcf->resource_metadata) {
        return "is duplicate";
    }

    alcf->resource_metadata = 1;
    alcf->resource_metadata_where = ngx_http_mastra_auth_where(cf);

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mastra_auth_metadata_handler;

    /* checked once every server is merged (resource_init) */

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);

    if (amcf->metadata_locations == NULL) {
        amcf->metadata_locations = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_mastra_auth_metadata_loc_t));
        if (amcf->metadata_locations == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    loc = ngx_array_push(amcf->metadata_locations);
    if (loc == NULL) {
        return NGX_CONF_ERROR;
    }

    loc->server = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    loc->where = alcf->resource_metadata_where;

    return NGX_CONF_OK;
}


/*
 * Before the provider is set up: the resource must be known then, since it
 * is the audience unless mastra_auth_audience is set.
 */

ngx_int_t
ngx_http_mastra_auth_resource_merge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    if (conf->resource.data == NULL) {
        conf->resource = prev->resource;
        conf->resource_where = prev->resource_where;
    }

    if (conf->authorization_servers == NULL) {
        conf->authorization_servers = prev->authorization_servers;
    }

    if (conf->scopes == NULL) {
        conf->scopes = prev->scopes;
    }

    if (conf->resource_name.data == NULL) {
        conf->resource_name = prev->resource_name;
    }

    /* resource_metadata is a location's content: never inherited */

    return NGX_OK;
}


/*
 * After the provider is set up: the scopes for the core, the challenges,
 * and the resource's document, registered with its server.
 */

ngx_int_t
ngx_http_mastra_auth_resource_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    u_char      *p;
    size_t       path_offset;
    ma_str_t     url;
    ngx_str_t    metadata_url, *scope;
    ngx_uint_t   i;

    if (conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF
        || conf->resource_metadata)
    {
        /* nothing is checked here */
        return NGX_OK;
    }

    if (conf->resource.len == 0 && conf->scopes == NULL) {
        return NGX_OK;
    }

    if (conf->scopes) {
        conf->ma_scopes = ngx_palloc(cf->pool,
                                     conf->scopes->nelts * sizeof(ma_str_t));
        if (conf->ma_scopes == NULL) {
            return NGX_ERROR;
        }

        scope = conf->scopes->elts;

        for (i = 0; i < conf->scopes->nelts; i++) {
            conf->ma_scopes[i].data = (const char *) scope[i].data;
            conf->ma_scopes[i].len = scope[i].len;
        }
    }

    ngx_str_null(&metadata_url);
    path_offset = 0;

    if (conf->resource.len) {
        p = ngx_pnalloc(cf->pool,
                        conf->resource.len + MA_RESOURCE_METADATA_EXTRA);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url.data = (const char *) conf->resource.data;
        url.len = conf->resource.len;

        metadata_url.data = p;
        metadata_url.len = ma_resource_metadata_url(url, (char *) p,
                                                    &path_offset);

        if (ngx_http_mastra_auth_resource_register(cf, conf, &metadata_url,
                                                   path_offset)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_mastra_auth_resource_challenges(cf, conf, &metadata_url);
}


static ngx_int_t
ngx_http_mastra_auth_resource_register(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *metadata_url,
    size_t path_offset)
{
    long                               n;
    void                              *server;
    ma_str_t                           raw;
    ngx_str_t                          document, path;
    ngx_uint_t                         i;
    ngx_http_mastra_auth_resource_t   *res;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    if (ngx_http_mastra_auth_resource_document(cf, conf, &document)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* requests are matched on nginx's decoded $uri */

    raw.data = (const char *) metadata_url->data + path_offset;
    raw.len = metadata_url->len - path_offset;

    path.data = ngx_pnalloc(cf->pool, raw.len);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    n = ma_percent_decode(raw, (char *) path.data);
    if (n < 0) {
        /* the URL was checked: a malformed escape cannot come here */
        return NGX_ERROR;
    }

    path.len = n;

    server = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);

    if (amcf->resources == NULL) {
        amcf->resources = ngx_array_create(cf->pool, 4,
                                      sizeof(ngx_http_mastra_auth_resource_t));
        if (amcf->resources == NULL) {
            return NGX_ERROR;
        }
    }

    /*
     * A server-level resource is seen again by every location inheriting
     * it: once per server.  Two descriptions of one resource, or two
     * resources at one metadata path, would make the answer a guess.
     */

    res = amcf->resources->elts;

    for (i = 0; i < amcf->resources->nelts; i++) {
        if (res[i].server != server) {
            continue;
        }

        if (res[i].resource.len == conf->resource.len
            && ngx_strncmp(res[i].resource.data, conf->resource.data,
                           conf->resource.len) == 0)
        {
            if (res[i].document.len == document.len
                && ngx_strncmp(res[i].document.data, document.data,
                               document.len) == 0)
            {
                return NGX_OK;
            }

            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_resource\" \"%V\" in %V is "
                          "described differently in another location of "
                          "the same server (%V): authorization servers, "
                          "scopes, token sources and name must agree",
                          &conf->resource, &conf->resource_where,
                          &res[i].where);
            return NGX_ERROR;
        }

        if (res[i].path.len == path.len
            && ngx_strncmp(res[i].path.data, path.data, path.len) == 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_resource\" \"%V\" in %V has the "
                          "same metadata path as \"%V\" in %V",
                          &conf->resource, &conf->resource_where,
                          &res[i].resource, &res[i].where);
            return NGX_ERROR;
        }
    }

    res = ngx_array_push(amcf->resources);
    if (res == NULL) {
        return NGX_ERROR;
    }

    res->server = server;
    res->resource = conf->resource;
    res->path = path;
    res->document = document;
    res->where = conf->resource_where;

    return NGX_OK;
}


/* the RFC 9728 document, built by the core */

static ngx_int_t
ngx_http_mastra_auth_resource_document(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *document)
{
    char                            err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t                       *servers, methods[2], text;
    ngx_str_t                      *s;
    ngx_uint_t                      i, n, header, query;
    ma_status_t                     rc;
    ngx_array_t                    *list;
    ngx_pool_cleanup_t             *cln;
    ma_resource_doc_t              *doc;
    ma_resource_doc_options_t       options;
    ngx_http_mastra_auth_source_t  *source;

    /* the authorization servers: as set, else the issuers the tokens name */

    list = conf->authorization_servers ? conf->authorization_servers
                                       : conf->issuers;
    n = list ? list->nelts : (conf->preset_issuer.len ? 1 : 0);

    if (n == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_resource\" in %V needs "
                      "\"mastra_auth_authorization_server\": the provider "
                      "names no issuer", &conf->resource_where);
        return NGX_ERROR;
    }

    servers = ngx_palloc(cf->pool, n * sizeof(ma_str_t));
    if (servers == NULL) {
        return NGX_ERROR;
    }

    if (list) {
        s = list->elts;

        for (i = 0; i < n; i++) {
            servers[i].data = (const char *) s[i].data;
            servers[i].len = s[i].len;
        }

    } else {
        servers[0].data = (const char *) conf->preset_issuer.data;
        servers[0].len = conf->preset_issuer.len;
    }

    /* RFC 6750 methods: the header and the query; a cookie is neither */

    header = 0;
    query = 0;
    source = conf->sources->elts;

    for (i = 0; i < conf->sources->nelts; i++) {
        header |= (source[i].type == NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER);
        query |= (source[i].type == NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY);
    }

    n = 0;

    if (header) {
        methods[n].data = "header";
        methods[n++].len = sizeof("header") - 1;
    }

    if (query) {
        methods[n].data = "query";
        methods[n++].len = sizeof("query") - 1;
    }

    ngx_memzero(&options, sizeof(ma_resource_doc_options_t));

    options.resource.data = (const char *) conf->resource.data;
    options.resource.len = conf->resource.len;
    options.authorization_servers = servers;
    options.nauthorization_servers = list ? list->nelts : 1;
    options.scopes = conf->ma_scopes;
    options.nscopes = conf->scopes ? conf->scopes->nelts : 0;
    options.bearer_methods = methods;
    options.nbearer_methods = n;
    options.resource_name.data = (const char *) conf->resource_name.data;
    options.resource_name.len = conf->resource_name.len;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    rc = ma_resource_doc_create(&options, &doc, err, sizeof(err));

    if (rc != MA_OK) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_resource_name\" for \"%V\" in %V: %s",
                      &conf->resource, &conf->resource_where, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_doc;
    cln->data = doc;

    text = ma_resource_doc_text(doc);
    document->data = (u_char *) text.data;
    document->len = text.len;

    return NGX_OK;
}


/*
 * RFC 6750 section 3 and RFC 9728 section 5.1: 401s name the scopes and the
 * metadata; a missing scope gets its own 403 (step-up); other 403s (claims,
 * rules) name no scope, since asking for more would not help.
 */

static ngx_int_t
ngx_http_mastra_auth_resource_challenges(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *metadata_url)
{
    u_char      *p;
    size_t       len;
    ngx_str_t    scope, *s;
    ngx_uint_t   i;

    ngx_str_null(&scope);

    if (conf->scopes) {
        s = conf->scopes->elts;
        len = 0;

        for (i = 0; i < conf->scopes->nelts; i++) {
            len += s[i].len + 1;
        }

        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        scope.data = p;

        for (i = 0; i < conf->scopes->nelts; i++) {
            if (i) {
                *p++ = ' ';
            }

            p = ngx_cpymem(p, s[i].data, s[i].len);
        }

        scope.len = p - scope.data;
    }

    if (ngx_http_mastra_auth_challenge(cf, conf, NULL, &scope, metadata_url,
                                       &conf->challenge_missing)
        != NGX_OK
        || ngx_http_mastra_auth_challenge(cf, conf, "invalid_token", &scope,
                                          metadata_url,
                                          &conf->challenge_invalid)
           != NGX_OK
        || ngx_http_mastra_auth_challenge(cf, conf, "insufficient_scope",
                                          NULL, metadata_url,
                                          &conf->challenge_forbidden)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (scope.len == 0) {
        return NGX_OK;
    }

    return ngx_http_mastra_auth_challenge(cf, conf, "insufficient_scope",
                                          &scope, metadata_url,
                                          &conf->challenge_scope);
}


/* Bearer realm="...", error="...", scope="...", resource_metadata="..." */

static ngx_int_t
ngx_http_mastra_auth_challenge(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, const char *error,
    ngx_str_t *scope, ngx_str_t *metadata_url, ngx_str_t *out)
{
    u_char    *p;
    size_t     len;
    ma_str_t   v;

    len = sizeof("Bearer realm=") - 1 + 2 * conf->realm.len + 2
          + sizeof(", error=\"\"") - 1 + (error ? ngx_strlen(error) : 0)
          + sizeof(", scope=") - 1 + (scope ? 2 * scope->len + 2 : 0)
          + sizeof(", resource_metadata=") - 1 + 2 * metadata_url->len + 2;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, "Bearer realm=", sizeof("Bearer realm=") - 1);
    v.data = (const char *) conf->realm.data;
    v.len = conf->realm.len;
    p += ma_quoted_string(v, (char *) p);

    if (error) {
        p = ngx_sprintf(p, ", error=\"%s\"", error);
    }

    if (scope && scope->len) {
        p = ngx_cpymem(p, ", scope=", sizeof(", scope=") - 1);
        v.data = (const char *) scope->data;
        v.len = scope->len;
        p += ma_quoted_string(v, (char *) p);
    }

    if (metadata_url->len) {
        p = ngx_cpymem(p, ", resource_metadata=",
                       sizeof(", resource_metadata=") - 1);
        v.data = (const char *) metadata_url->data;
        v.len = metadata_url->len;
        p += ma_quoted_string(v, (char *) p);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* once every server is merged: each metadata location has resources */

ngx_int_t
ngx_http_mastra_auth_resource_init(ngx_conf_t *cf)
{
    ngx_uint_t                            i, j, found;
    ngx_http_mastra_auth_resource_t      *res;
    ngx_http_mastra_auth_main_conf_t     *amcf;
    ngx_http_mastra_auth_metadata_loc_t  *loc;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);

    if (amcf->metadata_locations == NULL) {
        return NGX_OK;
    }

    loc = amcf->metadata_locations->elts;

    for (i = 0; i < amcf->metadata_locations->nelts; i++) {
        found = 0;

        if (amcf->resources) {
            res = amcf->resources->elts;

            for (j = 0; j < amcf->resources->nelts; j++) {
                found |= (res[j].server == loc[i].server);
            }
        }

        if (!found) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_resource_metadata\" in %V: no "
                          "location of this server checks tokens for a "
                          "\"mastra_auth_resource\"", &loc[i].where);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Better Auth: the tokens for a resource are the oauth-provider plugin's
 * access tokens, whose issuer is Better Auth's base URL with the base path
 * (the jwt plugin's own tokens name the base URL alone, and their audience
 * is never a resource).
 */

ngx_int_t
ngx_http_mastra_auth_better_auth_issuer(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *issuer)
{
    u_char  *p;

    if (conf->resource.len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(cf->pool, issuer->len + conf->ba_base_path.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    issuer->len = ngx_sprintf(p, "%V%V", issuer, &conf->ba_base_path) - p;
    issuer->data = p;

    return NGX_OK;
}


/*
 * The access phase, once the token verified: MA_SCOPE_MISSING unless every
 * mastra_auth_scope is granted.
 */

ngx_int_t
ngx_http_mastra_auth_scope_check(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ma_status_t *status)
{
    if (alcf->ma_scopes == NULL) {
        return NGX_OK;
    }

    if (!ma_scopes_granted(ma_identity_payload(ctx->identity),
                           alcf->ma_scopes, alcf->scopes->nelts))
    {
        *status = MA_SCOPE_MISSING;
    }

    return NGX_OK;
}


/* the content of a mastra_auth_resource_metadata location */

static ngx_int_t
ngx_http_mastra_auth_metadata_handler(ngx_http_request_t *r)
{
    void                              *server;
    ngx_int_t                          rc;
    ngx_uint_t                         i, count;
    ngx_str_t                         *document;
    ngx_table_elt_t                   *h;
    ngx_http_mastra_auth_resource_t   *res;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  allowed = ngx_string("GET, HEAD, OPTIONS");
    static ngx_str_t  acam = ngx_string("Access-Control-Allow-Methods");
    static ngx_str_t  acah = ngx_string("Access-Control-Allow-Headers");
    static ngx_str_t  headers = ngx_string("MCP-Protocol-Version");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        /*
         * A browser's preflight: MCP clients send MCP-Protocol-Version
         * with the metadata request, which makes it a non-simple one.
         */

        if (ngx_http_mastra_auth_add_header(r, &acam, &allowed, &h) != NGX_OK
            || ngx_http_mastra_auth_add_header(r, &acah, &headers, &h)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mastra_auth_metadata_send(r, NGX_HTTP_NO_CONTENT,
                                                  NULL);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_mastra_auth_add_header(r, &allow, &allowed, &h)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mastra_auth_metadata_send(r, NGX_HTTP_NOT_ALLOWED,
                                       &ngx_http_mastra_auth_body_not_allowed);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_mastra_auth_module);
    server = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    document = NULL;
    count = 0;
    res = amcf->resources->elts;

    for (i = 0; i < amcf->resources->nelts; i++) {
        if (res[i].server != server) {
            continue;
        }

        count++;

        if (res[i].path.len == r->uri.len
            && ngx_strncmp(res[i].path.data, r->uri.data, r->uri.len) == 0)
        {
            document = &res[i].document;
            break;
        }

        if (count == 1) {
            /* the bare path, if this server turns out to have one resource */
            document = &res[i].document;
        }
    }

    if (i == amcf->resources->nelts) {
        /* no exact match */

        if (count != 1
            || r->uri.len != ngx_http_mastra_auth_bare_path.len
            || ngx_strncmp(r->uri.data, ngx_http_mastra_auth_bare_path.data,
                           r->uri.len) != 0)
        {
            document = NULL;
        }
    }

    if (document == NULL) {
        return ngx_http_mastra_auth_metadata_send(r, NGX_HTTP_NOT_FOUND,
                                        &ngx_http_mastra_auth_body_not_found);
    }

    return ngx_http_mastra_auth_metadata_send(r, NGX_HTTP_OK, document);
}


static ngx_int_t
ngx_http_mastra_auth_metadata_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    static ngx_str_t  acao = ngx_string("Access-Control-Allow-Origin");
    static ngx_str_t  any = ngx_string("*");

    /* browser-based MCP clients read it from another origin */

    if (ngx_http_mastra_auth_add_header(r, &acao, &any, &h) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;

    if (body == NULL) {
        r->header_only = 1;
        r->headers_out.content_length_n = 0;
        return ngx_http_send_header(r);
    }

    r->headers_out.content_length_n = body->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_mastra_auth_cleanup_doc(void *data)
{
    ma_resource_doc_free(data);
}
