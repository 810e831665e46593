
/*
 * nginx-mastra-auth: the Better Auth server's settings: cookie prefix and
 * names, base path, cookie cache version, checked for the header or URL
 * they go into.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static ngx_int_t ngx_http_mastra_auth_better_auth_value(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *value);


/*
 * What a team set on its Better Auth server: a cookie prefix or name (a
 * cookie-name token of RFC 6265), the base path (absolute, no trailing
 * slash kept), the cookie cache's version (printable, no spaces).
 */

char *
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

char *
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
