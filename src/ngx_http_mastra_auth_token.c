
/*
 * nginx-mastra-auth: finding the token (mastra_auth_token_source).
 *
 * Sources are tried in the configured order and the first one that holds a
 * token wins: a bad header token is not "repaired" by a good ?apiKey=.  A
 * source that holds its name twice is ambiguous and refused, never guessed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_from_header(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_int_t ngx_http_mastra_auth_from_query(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *token);
static ngx_int_t ngx_http_mastra_auth_from_cookie(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ngx_str_t *token);
static ngx_int_t ngx_http_mastra_auth_decode(ngx_http_request_t *r,
    ma_str_t raw, ngx_str_t *token);


static ngx_str_t  ngx_http_mastra_auth_source_names[] = {
    ngx_string("header"),
    ngx_string("query"),
    ngx_string("cookie")
};


/*
 * NGX_OK: *token found (ctx->token_source set); NGX_DECLINED: no source has
 * one; NGX_ABORT: a source is ambiguous or badly encoded; NGX_ERROR: memory.
 */

ngx_int_t
ngx_http_mastra_auth_find_token(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *token)
{
    ngx_int_t                       rc;
    ngx_uint_t                      i;
    ngx_http_mastra_auth_source_t  *source;

    source = alcf->sources->elts;

    for (i = 0; i < alcf->sources->nelts; i++) {

        switch (source[i].type) {

        case NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER:
            rc = ngx_http_mastra_auth_from_header(r, token);
            break;

        case NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY:
            rc = ngx_http_mastra_auth_from_query(r, &source[i].name, token);
            break;

        default: /* NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE */
            rc = ngx_http_mastra_auth_from_cookie(r, ctx, &source[i].name,
                                                  token);
            break;
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        ctx->token_source = ngx_http_mastra_auth_source_names[source[i].type];

        if (source[i].type == NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE) {
            ctx->token_cookie = source[i].name;
        }

        return rc;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_mastra_auth_from_header(ngx_http_request_t *r, ngx_str_t *token)
{
    ma_str_t          value, found;
    ngx_table_elt_t  *h;

    /*
     * nginx itself refuses a second Authorization header (400), so there is
     * exactly one to look at.
     */

    h = r->headers_in.authorization;
    if (h == NULL) {
        return NGX_DECLINED;
    }

    value.data = (const char *) h->value.data;
    value.len = h->value.len;

    if (!ma_bearer_token(value, &found)) {
        return NGX_DECLINED;
    }

    token->data = (u_char *) found.data;
    token->len = found.len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_from_query(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *token)
{
    int       n;
    ma_str_t  args, key, raw;

    /* not ngx_http_arg(): it ignores case, and ?apikey= is not ?apiKey= */

    args.data = (const char *) r->args.data;
    args.len = r->args.len;
    key.data = (const char *) name->data;
    key.len = name->len;

    n = ma_query_arg(args, key, &raw);

    if (n == 0) {
        return NGX_DECLINED;
    }

    if (n > 1) {
        return NGX_ABORT;
    }

    return ngx_http_mastra_auth_decode(r, raw, token);
}


static ngx_int_t
ngx_http_mastra_auth_from_cookie(ngx_http_request_t *r,
    ngx_http_mastra_auth_ctx_t *ctx, ngx_str_t *name, ngx_str_t *token)
{
    ma_str_t    raw;
    ngx_int_t   rc;
    ngx_uint_t  n;

    n = ngx_http_mastra_auth_cookie(r, name, &raw);

    if (n == 0 || raw.len == 0) {
        return NGX_DECLINED;
    }

    /* a refusal's log line says which cookie and why */

    if (n > 1) {
        ctx->why_cookie = *name;
        ctx->why.data = "came twice";
        ctx->why.len = sizeof("came twice") - 1;
        return NGX_ABORT;
    }

    rc = ngx_http_mastra_auth_decode(r, raw, token);

    if (rc == NGX_ABORT) {
        ctx->why_cookie = *name;
        ctx->why.data = "is not percent-encoded";
        ctx->why.len = sizeof("is not percent-encoded") - 1;
    }

    return rc;
}


/*
 * How many times the cookie NAME occurs over all of the request's Cookie
 * header lines (HTTP/2 clients send one line per cookie, HTTP/1.1 clients
 * may send several); *raw is the first occurrence's value as sent.  nginx
 * 1.23.0 turned the array of Cookie lines into a linked list: this is the
 * one place that knows.
 */

ngx_uint_t
ngx_http_mastra_auth_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ma_str_t *raw)
{
    int               n;
    ma_str_t          header, key, value;
    ngx_uint_t        total;
    ngx_table_elt_t  *h;
#if (nginx_version < 1023000)
    ngx_uint_t        i;
    ngx_table_elt_t **lines;
#endif

    key.data = (const char *) name->data;
    key.len = name->len;

    raw->data = NULL;
    raw->len = 0;
    total = 0;

#if (nginx_version >= 1023000)
    for (h = r->headers_in.cookie; h; h = h->next) {
#else
    lines = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = lines[i];
#endif
        header.data = (const char *) h->value.data;
        header.len = h->value.len;

        n = ma_cookie_value(header, key, &value);

        if (n > 0 && total == 0) {
            *raw = value;
        }

        total += n;
    }

    return total;
}


/* query and cookie values are percent-decoded exactly once */

static ngx_int_t
ngx_http_mastra_auth_decode(ngx_http_request_t *r, ma_str_t raw,
    ngx_str_t *token)
{
    long     n;
    u_char  *p;

    p = ngx_pnalloc(r->pool, raw.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ma_percent_decode(raw, (char *) p);
    if (n < 0) {
        return NGX_ABORT;
    }

    token->data = p;
    token->len = (size_t) n;

    return n > 0 ? NGX_OK : NGX_ABORT;
}


/* a request header by name, ignoring case; the first one */

ngx_table_elt_t *
ngx_http_mastra_auth_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}
