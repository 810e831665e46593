
/*
 * nginx-mastra-auth: the generic directive handlers: lists, enums and times
 * that name the directive and the bad value, the realm, the dev
 * playground flag, and "file:line" for errors found at merge time.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_parse_time(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_uint_t is_sec, ngx_int_t *t);


/* one or more strings; a list set at a lower level replaces the inherited */

char *
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


char *
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


char *
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


/* ngx_conf_set_enum_slot(), with the directive and the choices named */

char *
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


char *
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


char *
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
