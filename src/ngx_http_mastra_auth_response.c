
/*
 * nginx-mastra-auth: refusals (docs/answers.md).
 *
 * A refusal carries Mastra's JSON body and an RFC 6750 challenge.  When the
 * user configured an error_page for the code, or "satisfy any" lets another
 * access module decide, the bare code goes back to nginx instead, so that
 * nginx's own machinery answers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_has_error_page(ngx_http_request_t *r,
    ngx_int_t code);
static ngx_int_t ngx_http_mastra_auth_send_json(ngx_http_request_t *r,
    ngx_int_t code, ngx_str_t *body);


static ngx_str_t  ngx_http_mastra_auth_body_missing =
    ngx_string("{\"error\":\"Authentication required\"}");
static ngx_str_t  ngx_http_mastra_auth_body_invalid =
    ngx_string("{\"error\":\"Invalid or expired token\"}");
static ngx_str_t  ngx_http_mastra_auth_body_forbidden =
    ngx_string("{\"error\":\"Access denied\"}");
static ngx_str_t  ngx_http_mastra_auth_body_unavailable =
    ngx_string("{\"error\":\"Authentication unavailable\"}");
static ngx_str_t  ngx_http_mastra_auth_body_bad_path =
    ngx_string("{\"error\":\"Invalid request path\"}");

static ngx_str_t  ngx_http_mastra_auth_www_authenticate =
    ngx_string("WWW-Authenticate");
static ngx_str_t  ngx_http_mastra_auth_retry_after = ngx_string("Retry-After");


ngx_int_t
ngx_http_mastra_auth_status_code(ngx_http_mastra_auth_ctx_t *ctx)
{
    switch (ctx->outcome) {

    case ngx_http_mastra_auth_forbidden:
        return NGX_HTTP_FORBIDDEN;

    case ngx_http_mastra_auth_unavailable:
        return NGX_HTTP_SERVICE_UNAVAILABLE;

    default:
        return ctx->reason == MA_BAD_PATH ? NGX_HTTP_BAD_REQUEST
                                          : NGX_HTTP_UNAUTHORIZED;
    }
}


ngx_int_t
ngx_http_mastra_auth_refuse(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx)
{
    ngx_int_t                  code;
    ngx_str_t                 *body, *challenge, retry;
    ngx_table_elt_t           *h;
    ngx_http_core_loc_conf_t  *clcf;

    code = ngx_http_mastra_auth_status_code(ctx);
    challenge = NULL;

    switch (ctx->outcome) {

    case ngx_http_mastra_auth_missing:
        body = &ngx_http_mastra_auth_body_missing;
        challenge = &alcf->challenge_missing;
        break;

    case ngx_http_mastra_auth_forbidden:
        body = &ngx_http_mastra_auth_body_forbidden;
        challenge = (ctx->reason == MA_SCOPE_MISSING
                     && alcf->challenge_scope.len)
                    ? &alcf->challenge_scope : &alcf->challenge_forbidden;
        break;

    case ngx_http_mastra_auth_unavailable:
        body = &ngx_http_mastra_auth_body_unavailable;

        /* when the key server will be asked again */

        retry.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (retry.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        retry.len = ngx_sprintf(retry.data, "%T",
                                ngx_max(ctx->retry_after, 1))
                    - retry.data;

        if (ngx_http_mastra_auth_add_header(r,
                &ngx_http_mastra_auth_retry_after, &retry, &h)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        break;

    default:
        if (ctx->reason == MA_BAD_PATH) {
            body = &ngx_http_mastra_auth_body_bad_path;

        } else {
            body = &ngx_http_mastra_auth_body_invalid;
            challenge = &alcf->challenge_invalid;
        }

        break;
    }

    if (challenge) {
        if (ngx_http_mastra_auth_add_header(r,
                &ngx_http_mastra_auth_www_authenticate, challenge, &h)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.www_authenticate = h;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
        /*
         * Another access module may yet grant access: CORS headers left in
         * the response would then double those of the upstream's answer.
         */
        return code;
    }

    /* an error_page answer keeps them, as it keeps WWW-Authenticate */

    if (ngx_http_mastra_auth_cors_headers(r, alcf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_mastra_auth_has_error_page(r, code)) {
        return code;
    }

    return ngx_http_mastra_auth_send_json(r, code, body);
}


static ngx_int_t
ngx_http_mastra_auth_has_error_page(ngx_http_request_t *r, ngx_int_t code)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages == NULL || r->error_page) {
        return 0;
    }

    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (err_page[i].status == code) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_mastra_auth_add_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value, ngx_table_elt_t **h)
{
    *h = ngx_list_push(&r->headers_out.headers);
    if (*h == NULL) {
        return NGX_ERROR;
    }

    (*h)->hash = 1;
    (*h)->key = *name;
    (*h)->value = *value;

#if (nginx_version >= 1023000)
    /*
     * Since 1.23.0 a header nginx knows may be a list of lines; as nginx's
     * own modules do, ours is the only line.  "satisfy any" walks this list
     * to drop WWW-Authenticate when another module grants access.
     */
    (*h)->next = NULL;
#endif

    return NGX_OK;
}


/*
 * The response is sent and the request finalized here; NGX_DONE tells the
 * access phase that the request is finished (as a content handler would).
 */

static ngx_int_t
ngx_http_mastra_auth_send_json(ngx_http_request_t *r, ngx_int_t code,
    ngx_str_t *body)
{
    ngx_buf_t    *b;
    ngx_int_t     rc;
    ngx_chain_t   out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = code;
    r->headers_out.content_length_n = body->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return NGX_DONE;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}
