
/*
 * nginx-mastra-auth: routes, rules and claims: mastra_auth_public, _protected,
 * _rule, _claim and _token_source, compiled now (patterns, regexes) so that
 * a bad one fails nginx -t.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_compile_check(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *path, ngx_str_t *op, ngx_str_t *value,
    ngx_http_mastra_auth_check_t *check);
static ngx_int_t ngx_http_mastra_auth_compile_pattern(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *text, ma_pattern_t **pattern);
static ngx_int_t ngx_http_mastra_auth_add_methods(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_array_t **methods, ngx_str_t *value,
    ngx_uint_t split_commas);


char *
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


char *
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


char *
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

char *
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
