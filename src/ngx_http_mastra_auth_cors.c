
/*
 * nginx-mastra-auth: CORS on the answers the module gives (docs/answers.md).
 *
 * A browser lets a script read a cross-origin answer only when it carries
 * CORS headers.  Mastra's own server adds them to its 401s; so do we, to the
 * refusals nginx gives in its place and, with "mastra_auth_preflight
 * answer", to the preflights nginx answers itself.
 *
 * The request's Origin is reflected only when it is one well-formed origin
 * (scheme "://" host [":" port]): a header value with control characters,
 * spaces, commas, a path, or the opaque origin "null" (sandboxed frames,
 * file: pages, redirects: any page may send it) is never reflected with
 * credentials.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


#define NGX_HTTP_MASTRA_AUTH_ORIGIN_MAX  1024


static ngx_int_t ngx_http_mastra_auth_origin_valid(ngx_str_t *origin);
static ngx_table_elt_t *ngx_http_mastra_auth_cors_origin_of(
    ngx_http_request_t *r, ngx_http_mastra_auth_loc_conf_t *alcf,
    ngx_uint_t *present);
static ngx_int_t ngx_http_mastra_auth_header_list_valid(ngx_str_t *value);
static ngx_int_t ngx_http_mastra_auth_cors_add(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);


static ngx_str_t  ngx_http_mastra_auth_origin = ngx_string("Origin");
static ngx_str_t  ngx_http_mastra_auth_acrh =
    ngx_string("Access-Control-Request-Headers");

static ngx_str_t  ngx_http_mastra_auth_acao =
    ngx_string("Access-Control-Allow-Origin");
static ngx_str_t  ngx_http_mastra_auth_acac =
    ngx_string("Access-Control-Allow-Credentials");
static ngx_str_t  ngx_http_mastra_auth_aceh =
    ngx_string("Access-Control-Expose-Headers");
static ngx_str_t  ngx_http_mastra_auth_acam =
    ngx_string("Access-Control-Allow-Methods");
static ngx_str_t  ngx_http_mastra_auth_acah =
    ngx_string("Access-Control-Allow-Headers");
static ngx_str_t  ngx_http_mastra_auth_acma =
    ngx_string("Access-Control-Max-Age");
static ngx_str_t  ngx_http_mastra_auth_vary = ngx_string("Vary");

static ngx_str_t  ngx_http_mastra_auth_true = ngx_string("true");
static ngx_str_t  ngx_http_mastra_auth_vary_origin = ngx_string("Origin");
static ngx_str_t  ngx_http_mastra_auth_exposed =
    ngx_string("Content-Length, X-Requested-With, WWW-Authenticate");

/* what Mastra's server answers to a preflight */
static ngx_str_t  ngx_http_mastra_auth_methods =
    ngx_string("GET, POST, PUT, PATCH, DELETE, OPTIONS");
static ngx_str_t  ngx_http_mastra_auth_allowed =
    ngx_string("Content-Type, Authorization, A2A-Version, "
               "x-mastra-client-type, x-mastra-dev-playground");
static ngx_str_t  ngx_http_mastra_auth_max_age = ngx_string("3600");


/* mastra_auth_cors_origin ORIGIN ...: each one checked at nginx -t */

char *
ngx_http_mastra_auth_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t   *value, *origin;
    ngx_uint_t   i;

    if (alcf->cors_origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->cors_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(ngx_str_t));
    if (alcf->cors_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (!ngx_http_mastra_auth_origin_valid(&value[i])) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid origin \"%V\", expected "
                               "scheme://host or scheme://host:port",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        origin = ngx_array_push(alcf->cors_origins);
        if (origin == NULL) {
            return NGX_CONF_ERROR;
        }

        *origin = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * A serialized origin: scheme "://" host [":" port], with no path, no
 * user part and nothing a header line could be split on.  "null" and "*"
 * fail here.
 */

static ngx_int_t
ngx_http_mastra_auth_origin_valid(ngx_str_t *origin)
{
    u_char      c, *p, *last;
    ngx_uint_t  n;

    if (origin->len == 0 || origin->len > NGX_HTTP_MASTRA_AUTH_ORIGIN_MAX) {
        return 0;
    }

    p = origin->data;
    last = p + origin->len;

    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */

    c = (u_char) (*p | 0x20);
    if (c < 'a' || c > 'z') {
        return 0;
    }

    for (p++; p < last && *p != ':'; p++) {
        c = (u_char) (*p | 0x20);

        if (!((c >= 'a' && c <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '+' || *p == '-' || *p == '.'))
        {
            return 0;
        }
    }

    if (last - p < 4 || ngx_strncmp(p, "://", 3) != 0) {
        return 0;
    }

    /* host and port: letters, digits, "-", ".", "_", and "[", "]", ":" */

    n = 0;

    for (p += 3; p < last; p++, n++) {
        c = (u_char) (*p | 0x20);

        if (!((c >= 'a' && c <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '-' || *p == '.' || *p == '_' || *p == '['
              || *p == ']' || *p == ':'))
        {
            return 0;
        }
    }

    return n > 0;
}


/*
 * The request's Origin when CORS headers may carry it: exactly one Origin
 * header, well formed, and listed if mastra_auth_cors_origin lists any.
 * *present tells whether the request had an Origin at all.
 */

static ngx_table_elt_t *
ngx_http_mastra_auth_cors_origin_of(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_uint_t *present)
{
    ngx_str_t        *listed;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == ngx_http_mastra_auth_origin.len
            && ngx_strncasecmp(h[i].key.data,
                               ngx_http_mastra_auth_origin.data,
                               ngx_http_mastra_auth_origin.len) == 0)
        {
            found = &h[i];
            n++;
        }
    }

    *present = (n > 0);

    /* two Origin headers: no browser sends them; reflect neither */

    if (n != 1 || !ngx_http_mastra_auth_origin_valid(&found->value)) {
        return NULL;
    }

    if (alcf->cors_origins == NULL) {
        return found;
    }

    /* scheme and host compare without case; the port is digits */

    listed = alcf->cors_origins->elts;

    for (i = 0; i < alcf->cors_origins->nelts; i++) {
        if (listed[i].len == found->value.len
            && ngx_strncasecmp(listed[i].data, found->value.data,
                               found->value.len) == 0)
        {
            return found;
        }
    }

    return NULL;
}


/* the CORS headers of a refusal; none without an Origin or when off */

ngx_int_t
ngx_http_mastra_auth_cors_headers(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf)
{
    ngx_uint_t        present;
    ngx_table_elt_t  *origin;

    if (alcf->cors == NGX_HTTP_MASTRA_AUTH_CORS_OFF) {
        return NGX_OK;
    }

    origin = ngx_http_mastra_auth_cors_origin_of(r, alcf, &present);

    if (!present) {
        return NGX_OK;
    }

    /* the answer depends on Origin even when it carries no CORS header */

    if (ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_vary,
                                      &ngx_http_mastra_auth_vary_origin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (origin == NULL) {
        return NGX_OK;
    }

    if (ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acao,
                                      &origin->value) != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acac,
                                         &ngx_http_mastra_auth_true) != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_aceh,
                                         &ngx_http_mastra_auth_exposed)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * "mastra_auth_preflight answer": a 204 from nginx, the upstream never
 * sees the OPTIONS.  An origin that may not be reflected gets the 204
 * without CORS headers, which the browser treats as a refusal.
 */

ngx_int_t
ngx_http_mastra_auth_preflight_answer(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf)
{
    u_char           *p;
    ngx_int_t         rc;
    ngx_str_t         allowed;
    ngx_uint_t        present;
    ngx_table_elt_t  *origin, *asked;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    origin = ngx_http_mastra_auth_cors_origin_of(r, alcf, &present);

    if (ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_vary,
                                      &ngx_http_mastra_auth_vary_origin)
        != NGX_OK)
    {
        goto failed;
    }

    if (origin == NULL) {
        goto send;
    }

    allowed = ngx_http_mastra_auth_allowed;

    /*
     * The headers the page asks for are granted only to a listed origin,
     * and only when the list is plain header names.
     */

    asked = ngx_http_mastra_auth_header(r, &ngx_http_mastra_auth_acrh);

    if (alcf->cors_origins != NULL && asked != NULL && asked->value.len
        && ngx_http_mastra_auth_header_list_valid(&asked->value))
    {
        allowed.len = ngx_http_mastra_auth_allowed.len + 2
                      + asked->value.len;
        allowed.data = ngx_pnalloc(r->pool, allowed.len);
        if (allowed.data == NULL) {
            goto failed;
        }

        p = ngx_cpymem(allowed.data, ngx_http_mastra_auth_allowed.data,
                       ngx_http_mastra_auth_allowed.len);
        p = ngx_cpymem(p, ", ", 2);
        ngx_memcpy(p, asked->value.data, asked->value.len);
    }

    if (ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acao,
                                      &origin->value) != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acac,
                                         &ngx_http_mastra_auth_true) != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acam,
                                         &ngx_http_mastra_auth_methods)
           != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acah,
                                         &allowed) != NGX_OK
        || ngx_http_mastra_auth_cors_add(r, &ngx_http_mastra_auth_acma,
                                         &ngx_http_mastra_auth_max_age)
           != NGX_OK)
    {
        goto failed;
    }

send:

    /* nginx's header filter sends a 204 without a body */

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;

failed:

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* header names separated by commas and spaces, nothing else */

static ngx_int_t
ngx_http_mastra_auth_header_list_valid(ngx_str_t *value)
{
    u_char  c, *p, *last;

    if (value->len > NGX_HTTP_MASTRA_AUTH_ORIGIN_MAX) {
        return 0;
    }

    last = value->data + value->len;

    for (p = value->data; p < last; p++) {
        c = (u_char) (*p | 0x20);

        if (!((c >= 'a' && c <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '-' || *p == '_' || *p == '.' || *p == ','
              || *p == ' '))
        {
            return 0;
        }
    }

    return 1;
}


static ngx_int_t
ngx_http_mastra_auth_cors_add(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    return ngx_http_mastra_auth_add_header(r, name, value, &h);
}
