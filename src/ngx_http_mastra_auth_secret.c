
/*
 * nginx-mastra-auth: secrets and files read at configuration time (a literal,
 * env:NAME, file:PATH), never logged, zeroed when the pool goes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


/*
 * A literal, "env:NAME" or "file:PATH" (read now, by the master: workers
 * need not be able to open it); never logged.  Errors name the directive
 * the line holds (mastra_auth_secret, mastra_auth_forward_jwt).
 */

ngx_int_t
ngx_http_mastra_auth_read_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, ngx_str_t *secret)
{
    u_char     *env;
    ngx_str_t   name;

    if (ngx_process == NGX_PROCESS_SIGNALLER
        && ((value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0)
            || (value->len > 5 && ngx_strncmp(value->data, "file:", 5) == 0)))
    {
        return ngx_http_mastra_auth_signaller_secret(cf, secret);
    }

    if (value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0) {
        env = (u_char *) getenv((char *) value->data + 4);

        if (env == NULL || *env == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": environment variable \"%s\" is not "
                               "set or empty", &cmd->name, value->data + 4);
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

        if (ngx_http_mastra_auth_read_file(cf, cmd, &name, secret)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* editors end files with a newline; it is not part of the secret */

        if (secret->len && secret->data[secret->len - 1] == '\n') {
            secret->len--;
            if (secret->len && secret->data[secret->len - 1] == '\r') {
                secret->len--;
            }
        }

        if (secret->len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is empty", &cmd->name, &name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    *secret = *value;

    return NGX_OK;
}


/*
 * "nginx -s reload|quit|stop|reopen" parses the configuration only to find
 * the pid file, in the shell of whoever sends the signal: that process
 * never verifies a token, so it neither needs nor reads the secrets
 * (env:, file:, the providers' environment variables).  It gets bytes that
 * pass every length check instead.  "nginx -t" and the master read them.
 */

ngx_int_t
ngx_http_mastra_auth_signaller_secret(ngx_conf_t *cf, ngx_str_t *secret)
{
    secret->len = 64;
    secret->data = ngx_pnalloc(cf->pool, secret->len);
    if (secret->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memset(secret->data, 'x', secret->len);

    return NGX_OK;
}


/* a whole file of at most 1 MB, read at configuration time */

ngx_int_t
ngx_http_mastra_auth_read_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path, ngx_str_t *content)
{
    ssize_t           n;
    ngx_str_t         name;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    static const off_t  max_size = 1024 * 1024;

    name = *path;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = name;
    file.log = cf->log;

    file.fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": " ngx_open_file_n " \"%V\" failed",
                           &cmd->name, &name);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || !ngx_is_file(&fi)
        || ngx_file_size(&fi) > max_size)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%V\" is not a readable file of at "
                           "most 1m", &cmd->name, &name);
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    content->data = ngx_pnalloc(cf->pool, (size_t) ngx_file_size(&fi) + 1);
    if (content->data == NULL) {
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, content->data, (size_t) ngx_file_size(&fi), 0);
    ngx_close_file(file.fd);

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": cannot read \"%V\"", &cmd->name, &name);
        return NGX_ERROR;
    }

    content->len = n;

    return NGX_OK;
}


void
ngx_http_mastra_auth_cleanup_secret(void *data)
{
    ngx_str_t  *secret = data;

    if (secret->data) {
        ngx_explicit_memzero(secret->data, secret->len);
    }
}
