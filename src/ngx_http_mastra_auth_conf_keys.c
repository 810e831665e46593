
/*
 * nginx-mastra-auth: keys and secrets: mastra_auth_secret, _algorithms,
 * _jwks_uri (and the Better Auth URLs), _jwks_file, _ca_file, _forward_jwt
 * and _verify_cache.  Files are read now, by the master, and parsed now: a
 * bad one fails nginx -t.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


char *
ngx_http_mastra_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (alcf->secret.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_read_secret(cf, cmd, &value[1], &alcf->secret)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_secret;
    cln->data = &alcf->secret;

    alcf->secret_where = ngx_http_mastra_auth_where(cf);
    if (alcf->secret_where.data == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_mastra_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    u_char      *p;
    size_t       len;
    ma_str_t     name;
    unsigned     bit;
    ngx_str_t   *value, where;
    ngx_uint_t   i;

    if (alcf->algorithms != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    alcf->algorithms = 0;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        name.data = (const char *) value[i].data;
        name.len = value[i].len;

        bit = ma_algorithm_bit(name);

        if (bit == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": unknown algorithm \"%V\" (HS256, "
                               "HS384, HS512, RS256, RS384, RS512, PS256, "
                               "PS384, PS512, ES256, ES384, ES512, EdDSA)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        alcf->algorithms |= bit;
    }

    /* "file:line (RS256 ES256)": merge-time errors name the values too */

    where = ngx_http_mastra_auth_where(cf);
    if (where.data == NULL) {
        return NGX_CONF_ERROR;
    }

    len = where.len + 2;
    for (i = 1; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    alcf->algorithms_where.data = p;
    p = ngx_sprintf(p, "%V (", &where);

    for (i = 1; i < cf->args->nelts; i++) {
        p = ngx_sprintf(p, i > 1 ? " %V" : "%V", &value[i]);
    }

    *p++ = ')';
    alcf->algorithms_where.len = p - alcf->algorithms_where.data;

    return NGX_CONF_OK;
}


/*
 * http:// or https:// only: never file:, never anything else.  A list for
 * mastra_auth_jwks_uri, one URL (no trailing slash kept) for
 * mastra_auth_better_auth_url and mastra_auth_better_auth_public_url.
 */

char *
ngx_http_mastra_auth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t   *value, *url;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (!(value[i].len > 7
              && ngx_strncasecmp(value[i].data, (u_char *) "http://", 7) == 0)
            && !(value[i].len > 8
                 && ngx_strncasecmp(value[i].data, (u_char *) "https://", 8)
                    == 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is not an http:// or "
                               "https:// URL", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                better_auth_url)
        || cmd->offset == offsetof(ngx_http_mastra_auth_loc_conf_t,
                                   better_auth_public_url))
    {
        url = (ngx_str_t *) ((char *) conf + cmd->offset);

        if (url->data) {
            return "is duplicate";
        }

        *url = value[1];

        while (url->len && url->data[url->len - 1] == '/') {
            url->len--;
        }

        return NGX_CONF_OK;
    }

    return ngx_http_mastra_auth_str_list(cf, cmd, conf);
}


/* a JWK Set or a PEM public key, parsed now: a bad file fails nginx -t */

char *
ngx_http_mastra_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    size_t               k;
    ma_str_t             text, skipped;
    ngx_str_t           *value, content;
    ngx_uint_t           i;
    ma_status_t          rc;
    ma_keyset_t        **keys;
    ngx_pool_cleanup_t  *cln;

    if (alcf->jwks_files == NGX_CONF_UNSET_PTR) {
        alcf->jwks_files = ngx_array_create(cf->pool, 2, sizeof(ma_keyset_t *));
        if (alcf->jwks_files == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_http_mastra_auth_read_file(cf, cmd, &value[i], &content)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        keys = ngx_array_push(alcf->jwks_files);
        if (keys == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        text.data = (const char *) content.data;
        text.len = content.len;

        if (ngx_strlcasestrn(content.data, content.data + content.len,
                             (u_char *) "-----BEGIN", 10 - 1)
            != NULL)
        {
            rc = ma_keyset_parse_pem(text, keys, err, sizeof(err));

        } else {
            rc = ma_keyset_parse_jwks(text, 0, keys, err, sizeof(err));
        }

        if (rc != MA_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\": %s",
                               &cmd->name, &value[i], err);
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_mastra_auth_cleanup_keyset;
        cln->data = *keys;

        for (k = 0; k < ma_keyset_skipped_count(*keys); k++) {
            skipped = ma_keyset_skipped(*keys, k);
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"%V\": \"%V\": skipped %*s", &cmd->name,
                               &value[i], skipped.len, skipped.data);
        }

        if (ma_keyset_size(*keys) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" holds no usable key",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * Read now, by the master, as nginx reads ssl_trusted_certificate: workers
 * run as an unprivileged user that may not open the file, and get its text
 * (handed to libcurl from memory).  The path stays the key set's name.
 */

char *
ngx_http_mastra_auth_ca_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char        err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    size_t      certificates;
    ma_str_t    pem;
    ngx_str_t  *value;

    if (alcf->ca_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    alcf->ca_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &alcf->ca_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mastra_auth_read_file(cf, cmd, &alcf->ca_file, &alcf->ca_pem)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    pem.data = (const char *) alcf->ca_pem.data;
    pem.len = alcf->ca_pem.len;

    if (ma_ca_check(pem, &certificates, err, sizeof(err)) != MA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\": %s",
                           &cmd->name, &alcf->ca_file, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * mastra_auth_forward_jwt SECRET [ttl=TIME] [claims=NAME,...];
 * SECRET as for mastra_auth_secret: a literal, env:NAME or file:PATH.
 */

char *
ngx_http_mastra_auth_forward_jwt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    u_char              *p, *end, *start;
    time_t               ttl;
    ma_str_t             key, *claims;
    ngx_str_t           *value, secret, s;
    ngx_uint_t           i, n;
    ngx_pool_cleanup_t  *cln;

    if (alcf->forwarder != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_mastra_auth_read_secret(cf, cmd, &value[1], &secret)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    *(ngx_str_t *) cln->data = secret;
    cln->handler = ngx_http_mastra_auth_cleanup_secret;

    ttl = 60;
    claims = NULL;
    n = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            ttl = ngx_parse_time(&s, 1);

            if (ttl == (time_t) NGX_ERROR || ttl == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": invalid ttl \"%V\"",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "claims=", 7) == 0 && claims == NULL) {
            start = value[i].data + 7;
            end = value[i].data + value[i].len;

            claims = ngx_palloc(cf->pool, (end - start + 1) * sizeof(ma_str_t));
            if (claims == NULL) {
                return NGX_CONF_ERROR;
            }

            for (p = start; p <= end; p++) {
                if (p < end && *p != ',') {
                    continue;
                }

                if (p == start) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "\"%V\": invalid claim list \"%V\"",
                                       &cmd->name, &value[i]);
                    return NGX_CONF_ERROR;
                }

                claims[n].data = (const char *) start;
                claims[n].len = p - start;
                n++;
                start = p + 1;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid parameter \"%V\" "
                           "(ttl=TIME, claims=NAME,...)",
                           &cmd->name, &value[i]);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    key.data = (const char *) secret.data;
    key.len = secret.len;

    if (ma_forwarder_create(key, ttl, claims, n, &alcf->forwarder, err,
                            sizeof(err))
        != MA_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": %s",
                           &cmd->name, err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_forwarder;
    cln->data = alcf->forwarder;

    return NGX_CONF_OK;
}


/* mastra_auth_verify_cache SIZE | off */

char *
ngx_http_mastra_auth_verify_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mastra_auth_loc_conf_t *alcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (alcf->verify_cache != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->verify_cache = 0;
        return NGX_CONF_OK;
    }

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid value \"%V\" (a size of at "
                           "least %uz, like 1m, or off)",
                           &cmd->name, &value[1], ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    alcf->verify_cache = (size_t) size;

    return NGX_CONF_OK;
}
