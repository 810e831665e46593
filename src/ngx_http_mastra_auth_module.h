
/*
 * nginx-mastra-auth: types shared by the shim's files.
 */


#ifndef _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_
#define _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <mastra_auth/api.h>


#define NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF   0
#define NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT   1

#define NGX_HTTP_MASTRA_AUTH_SOURCE_HEADER  0
#define NGX_HTTP_MASTRA_AUTH_SOURCE_QUERY   1
#define NGX_HTTP_MASTRA_AUTH_SOURCE_COOKIE  2

#define NGX_HTTP_MASTRA_AUTH_DEFAULT_PROTECTED  0
#define NGX_HTTP_MASTRA_AUTH_DEFAULT_PUBLIC     1

#define NGX_HTTP_MASTRA_AUTH_PREFLIGHT_PASS          0
#define NGX_HTTP_MASTRA_AUTH_PREFLIGHT_AUTHENTICATE  1

#define NGX_HTTP_MASTRA_AUTH_MODE_ENFORCE  0
#define NGX_HTTP_MASTRA_AUTH_MODE_OBSERVE  1

#define NGX_HTTP_MASTRA_AUTH_SLASHES_REFUSE  0
#define NGX_HTTP_MASTRA_AUTH_SLASHES_ALLOW   1


/* $mastra_auth_status values, in the order of SPEC section 5 */
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
    time_t                      leeway;
    ngx_array_t                *issuers;           /* ngx_str_t */
    ngx_array_t                *audiences;         /* ngx_str_t */
    ngx_array_t                *claims;            /* check_t */

    ngx_array_t                *sources;           /* source_t */
    ngx_array_t                *public_routes;     /* route_t */
    ngx_array_t                *protected_routes;  /* route_t */
    ngx_uint_t                  default_access;
    ngx_array_t                *rules;             /* rule_t */

    ngx_uint_t                  preflight;
    ngx_str_t                   realm;
    ngx_uint_t                  mode;
    ngx_flag_t                  dev_playground;
    ngx_uint_t                  encoded_slashes;

    /* derived at merge time */
    ma_verifier_t              *verifier;
    ngx_str_t                   challenge_missing;    /* WWW-Authenticate values */
    ngx_str_t                   challenge_invalid;
    ngx_str_t                   challenge_forbidden;
} ngx_http_mastra_auth_loc_conf_t;


/* per request: what the check decided, read by the variables */
typedef struct {
    ngx_http_mastra_auth_outcome_e  outcome;
    ma_status_t                 reason;            /* MA_OK when none */
    ngx_str_t                   token_source;
    ma_identity_t              *identity;          /* set once verify ran */
    ngx_uint_t                  verified;          /* identity holds claims */
    ma_params_t                 params;            /* of the deciding entry */
} ngx_http_mastra_auth_ctx_t;


/* ngx_http_mastra_auth_token.c */
ngx_int_t ngx_http_mastra_auth_find_token(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx,
    ngx_str_t *token);
ngx_table_elt_t *ngx_http_mastra_auth_header(ngx_http_request_t *r,
    ngx_str_t *name);

/* ngx_http_mastra_auth_variables.c */
ngx_int_t ngx_http_mastra_auth_add_variables(ngx_conf_t *cf);

/* ngx_http_mastra_auth_response.c */
ngx_int_t ngx_http_mastra_auth_refuse(ngx_http_request_t *r,
    ngx_http_mastra_auth_loc_conf_t *alcf, ngx_http_mastra_auth_ctx_t *ctx);
ngx_int_t ngx_http_mastra_auth_status_code(ngx_http_mastra_auth_ctx_t *ctx);

/* ngx_http_mastra_auth_handler.c */
ngx_int_t ngx_http_mastra_auth_handler(ngx_http_request_t *r);


extern ngx_module_t  ngx_http_mastra_auth_module;


#endif /* _NGX_HTTP_MASTRA_AUTH_MODULE_H_INCLUDED_ */
