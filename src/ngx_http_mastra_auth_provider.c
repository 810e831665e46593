
/*
 * nginx-mastra-auth: providers and their presets (docs/providers.md).
 *
 * At merge time each location gets what its provider needs: the static key
 * sets (jwt's shared secret as one oct key, files, a Supabase secret), the
 * remote key sets (registered once per URL in the main configuration) and a
 * JWS verifier with the provider's or preset's algorithms, issuer and
 * audience.  Explicit directives override presets.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


#define NGX_HTTP_MASTRA_AUTH_ALL_ALGORITHMS  ((1u << 13) - 1)


typedef struct {
    ngx_str_t                   url;        /* key set, or discovery document */
    ngx_str_t                   issuer;     /* iss, when the preset fixes it */
    ngx_str_t                   audience;   /* aud, when the preset fixes it */
    ngx_str_t                   discovery;  /* OIDC: issuer the document names */
    unsigned                    algorithms;
} ngx_http_mastra_auth_preset_t;


static ngx_int_t ngx_http_mastra_auth_jwt_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev,
    ngx_http_mastra_auth_loc_conf_t *conf);
static ngx_int_t ngx_http_mastra_auth_better_auth_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf,
    ngx_http_mastra_auth_preset_t *preset);
static ngx_int_t ngx_http_mastra_auth_preset(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf,
    ngx_http_mastra_auth_preset_t *preset);
static ngx_int_t ngx_http_mastra_auth_keys_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf,
    ngx_http_mastra_auth_preset_t *preset);
static ngx_int_t ngx_http_mastra_auth_jws_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *issuer,
    ngx_str_t *audience);
static ngx_int_t ngx_http_mastra_auth_env(ngx_conf_t *cf, const char *name,
    ngx_str_t *value);
static ngx_int_t ngx_http_mastra_auth_ma_list(ngx_conf_t *cf,
    ngx_array_t *list, ngx_str_t *fallback, const ma_str_t **out, size_t *n);
static ngx_int_t ngx_http_mastra_auth_secret_from_env(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, const char *provider,
    const char *first, const char *second);
static void ngx_http_mastra_auth_cleanup_jws(void *data);


static ngx_str_t  ngx_http_mastra_auth_firebase_jwks = ngx_string(
    "https://www.googleapis.com/service_accounts/v1/jwk/"
    "securetoken@system.gserviceaccount.com");


ngx_int_t
ngx_http_mastra_auth_provider_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev, ngx_http_mastra_auth_loc_conf_t *conf)
{
    ngx_http_mastra_auth_preset_t  preset;

    switch (conf->provider) {

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_OFF:
        return NGX_OK;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT:
        return ngx_http_mastra_auth_jwt_setup(cf, prev, conf);

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_BETTER_AUTH:
        ngx_memzero(&preset, sizeof(ngx_http_mastra_auth_preset_t));

        if (ngx_http_mastra_auth_better_auth_setup(cf, conf, &preset)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_mastra_auth_keys_setup(cf, conf, &preset);

    default:
        ngx_memzero(&preset, sizeof(ngx_http_mastra_auth_preset_t));

        if (ngx_http_mastra_auth_preset(cf, conf, &preset) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_mastra_auth_keys_setup(cf, conf, &preset);
    }
}


/*
 * MastraJwtAuth: one shared secret, HS256 unless widened.  The secret is a
 * key set of one oct key, verified as every key set is (the same cache,
 * algorithm pinning and claims); a fixed supply: no key ever comes later.
 */

static ngx_int_t
ngx_http_mastra_auth_jwt_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *prev, ngx_http_mastra_auth_loc_conf_t *conf)
{
    char                  err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t              secret;
    ma_keyset_t         **keys;
    ngx_pool_cleanup_t   *cln;

    if (conf->algorithms == NGX_CONF_UNSET_UINT) {
        conf->algorithms = MA_ALG_HS256;
    }

    if (conf->algorithms & ~MA_ALG_HMAC) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_algorithms\" in %V: provider \"jwt\" "
                      "verifies HS256, HS384 and HS512 only",
                      &conf->algorithms_where);
        return NGX_ERROR;
    }

    /*
     * Reuse the parent's key set and verifier when nothing they depend on
     * changed here: one verifier per distinct configuration, not per
     * location.
     */

    if (prev->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_JWT
        && prev->jws_verifier != NULL
        && conf->secret.data == prev->secret.data
        && conf->algorithms == prev->algorithms
        && conf->leeway == prev->leeway
        && conf->issuers == prev->issuers
        && conf->audiences == prev->audiences
        && conf->resource.data == prev->resource.data)
    {
        conf->static_keys = prev->static_keys;
        conf->remote_keys = prev->remote_keys;
        conf->jws_verifier = prev->jws_verifier;
        return NGX_OK;
    }

    if (conf->secret.data == NULL
        && ngx_http_mastra_auth_secret_from_env(cf, conf, "jwt",
                                                "MASTRA_JWT_SECRET",
                                                "JWT_AUTH_SECRET")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    conf->static_keys = ngx_array_create(cf->pool, 1, sizeof(ma_keyset_t *));
    if (conf->static_keys == NULL) {
        return NGX_ERROR;
    }

    keys = ngx_array_push(conf->static_keys);
    if (keys == NULL) {
        return NGX_ERROR;
    }

    conf->remote_keys = ngx_array_create(cf->pool, 1,
                                     sizeof(ngx_http_mastra_auth_keyset_t *));
    if (conf->remote_keys == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    secret.data = (const char *) conf->secret.data;
    secret.len = conf->secret.len;

    if (ma_keyset_from_secret(secret, conf->algorithms, keys, err,
                              sizeof(err))
        != MA_OK)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_secret\" from %V: %s "
                      "(\"mastra_auth_algorithms\" decides the length)",
                      &conf->secret_where, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_keyset;
    cln->data = *keys;

    return ngx_http_mastra_auth_jws_setup(cf, conf, NULL, NULL);
}


/*
 * The secret from the first of two environment variables that is set
 * (jwt: MASTRA_JWT_SECRET, the module's own name, then JWT_AUTH_SECRET,
 * MastraJwtAuth's own; better-auth: BETTER_AUTH_SECRET, then AUTH_SECRET,
 * Better Auth's order).  The master reads its environment while loading
 * the configuration, so the secret needs no "env" directive.
 */

static ngx_int_t
ngx_http_mastra_auth_secret_from_env(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, const char *provider,
    const char *first, const char *second)
{
    ngx_pool_cleanup_t  *cln;

    if (ngx_process == NGX_PROCESS_SIGNALLER) {
        /* "nginx -s": see ngx_http_mastra_auth_signaller_secret() */
        return ngx_http_mastra_auth_signaller_secret(cf, &conf->secret);
    }

    if (ngx_http_mastra_auth_env(cf, first, &conf->secret) != NGX_OK
        || (conf->secret.data == NULL
            && ngx_http_mastra_auth_env(cf, second, &conf->secret) != NGX_OK))
    {
        return NGX_ERROR;
    }

    if (conf->secret.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_provider %s\" in %V needs "
                      "\"mastra_auth_secret\", or %s or %s in the environment",
                      provider, &conf->provider_where, first, second);
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_secret;
    cln->data = &conf->secret;

    ngx_str_set(&conf->secret_where, "the environment");

    return NGX_OK;
}


/*
 * Better Auth: sessions asked of the server (URL, base path, get-session),
 * its secret for the signed session token and the cookie cache, and its
 * JWT plugin's keys at URL/BASE_PATH/jwks (iss = aud = the public URL,
 * else URL).
 */

static ngx_int_t
ngx_http_mastra_auth_better_auth_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_http_mastra_auth_preset_t *p)
{
    u_char                            *s;
    ma_str_t                           url, secret;
    ngx_http_mastra_auth_main_conf_t  *amcf;

    if (conf->better_auth_url.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_provider better-auth\" in %V needs "
                      "\"mastra_auth_better_auth_url\"",
                      &conf->provider_where);
        return NGX_ERROR;
    }

    if (conf->secret.data == NULL
        && ngx_http_mastra_auth_secret_from_env(cf, conf, "better-auth",
                                                "BETTER_AUTH_SECRET",
                                                "AUTH_SECRET")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    url.data = (const char *) conf->better_auth_url.data;
    url.len = conf->better_auth_url.len;
    secret.data = (const char *) conf->secret.data;
    secret.len = conf->secret.len;

    if (!ma_ba_session_key_base(url, secret, conf->session_key_base)) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_provider better-auth\" in %V: "
                      "OpenSSL could not hash the session key",
                      &conf->provider_where);
        return NGX_ERROR;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mastra_auth_module);
    amcf->sessions = 1;

    /* get-session and the JWT plugin's jwks, under the base path */

    s = ngx_pnalloc(cf->pool, 2 * (conf->better_auth_url.len
                                   + conf->ba_base_path.len)
                              + sizeof("/get-session") + sizeof("/jwks"));
    if (s == NULL) {
        return NGX_ERROR;
    }

    conf->ba_get_session.data = s;
    s = ngx_sprintf(s, "%V%V/get-session", &conf->better_auth_url,
                    &conf->ba_base_path);
    conf->ba_get_session.len = s - conf->ba_get_session.data;

    p->url.data = s;
    s = ngx_sprintf(s, "%V%V/jwks", &conf->better_auth_url,
                    &conf->ba_base_path);
    p->url.len = s - p->url.data;

    /*
     * The JWT plugin's iss and aud are Better Auth's baseURL: the address
     * users sign in at, which may not be the one nginx asks on.
     */

    if (conf->better_auth_public_url.len) {
        p->issuer = conf->better_auth_public_url;
        p->audience = conf->better_auth_public_url;

    } else {
        p->issuer = conf->better_auth_url;
        p->audience = conf->better_auth_url;
    }

    if (ngx_http_mastra_auth_better_auth_issuer(cf, conf, &p->issuer)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p->algorithms = NGX_HTTP_MASTRA_AUTH_ALL_ALGORITHMS & ~MA_ALG_HMAC;

    return NGX_OK;
}


/*
 * The cookie names the server uses, as Better Auth makes them: the name set
 * for the cookie, else PREFIX.session_token and PREFIX.session_data; with
 * secure cookies "__Secure-" before.  "auto" accepts both (the server
 * decides by its base URL's scheme); "on" and "off" only one.
 */

ngx_int_t
ngx_http_mastra_auth_better_auth_names(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf)
{
    u_char      *s;
    ngx_str_t   *name, *out;
    ngx_uint_t   i, k;

    static ngx_str_t  suffix[2] = {
        ngx_string(".session_token"),
        ngx_string(".session_data")
    };

    for (k = 0; k < 2; k++) {
        name = k ? &conf->ba_data_name : &conf->ba_token_name;
        out = k ? conf->ba_data_cookies : conf->ba_token_cookies;

        s = ngx_pnalloc(cf->pool, 2 * (sizeof("__Secure-") - 1
                                       + conf->ba_cookie_prefix.len
                                       + suffix[k].len + name->len));
        if (s == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < 2; i++) {
            if ((i == 0 && conf->ba_secure_cookies
                           == NGX_HTTP_MASTRA_AUTH_BA_SECURE_OFF)
                || (i == 1 && conf->ba_secure_cookies
                              == NGX_HTTP_MASTRA_AUTH_BA_SECURE_ON))
            {
                ngx_str_null(&out[i]);
                continue;
            }

            out[i].data = s;

            if (i == 0) {
                s = ngx_cpymem(s, "__Secure-", sizeof("__Secure-") - 1);
            }

            if (name->len) {
                s = ngx_cpymem(s, name->data, name->len);

            } else {
                s = ngx_sprintf(s, "%V%V", &conf->ba_cookie_prefix,
                                &suffix[k]);
            }

            out[i].len = s - out[i].data;
        }
    }

    return NGX_OK;
}


/* what each preset fills in; explicit directives win (keys_setup) */

static ngx_int_t
ngx_http_mastra_auth_preset(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_http_mastra_auth_preset_t *p)
{
    u_char     *s;
    size_t      len;
    ngx_str_t   domain, audience, *issuer;

    issuer = NULL;

    switch (conf->provider) {

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_JWKS:
        if (conf->jwks_uris == NULL && conf->jwks_files == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider jwks\" in %V needs "
                          "\"mastra_auth_jwks_uri\" or "
                          "\"mastra_auth_jwks_file\"", &conf->provider_where);
            return NGX_ERROR;
        }

        /* every algorithm, each key pinned to what its type allows */
        p->algorithms = NGX_HTTP_MASTRA_AUTH_ALL_ALGORITHMS;
        return NGX_OK;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_AUTH0:
        domain = conf->domain;

        if (domain.len == 0
            && ngx_http_mastra_auth_env(cf, "AUTH0_DOMAIN", &domain) != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (domain.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider auth0\" in %V needs "
                          "\"mastra_auth_domain\" or AUTH0_DOMAIN in the "
                          "environment", &conf->provider_where);
            return NGX_ERROR;
        }

        /* with mastra_auth_resource, the resource is the audience */

        if (conf->audiences == NULL && conf->resource.len == 0) {
            if (ngx_http_mastra_auth_env(cf, "AUTH0_AUDIENCE", &audience)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (audience.len == 0) {
                ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                              "\"mastra_auth_provider auth0\" in %V needs "
                              "\"mastra_auth_audience\" or AUTH0_AUDIENCE in "
                              "the environment", &conf->provider_where);
                return NGX_ERROR;
            }

            p->audience = audience;
        }

        len = sizeof("https:///.well-known/jwks.json") + domain.len;
        break;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_CLERK:
        domain = conf->domain;

        if (domain.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider clerk\" in %V needs "
                          "\"mastra_auth_domain\" (the Clerk frontend API "
                          "host)", &conf->provider_where);
            return NGX_ERROR;
        }

        len = sizeof("https:///.well-known/jwks.json") + domain.len;
        break;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE:
    case NGX_HTTP_MASTRA_AUTH_PROVIDER_FIREBASE:
        if (conf->project.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider %s\" in %V needs "
                          "\"mastra_auth_project\"",
                          conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE
                          ? "supabase" : "firebase",
                          &conf->provider_where);
            return NGX_ERROR;
        }

        domain = conf->project;
        len = sizeof("https://.supabase.co/auth/v1/.well-known/jwks.json")
              + sizeof("https://securetoken.google.com/") + domain.len;
        break;

    default: /* NGX_HTTP_MASTRA_AUTH_PROVIDER_OIDC */
        if (conf->issuers == NULL || conf->issuers->nelts != 1) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_provider oidc\" in %V needs exactly "
                          "one \"mastra_auth_issuer\"", &conf->provider_where);
            return NGX_ERROR;
        }

        issuer = conf->issuers->elts;
        domain = *issuer;
        len = sizeof("/.well-known/openid-configuration") + domain.len;
        break;
    }

    s = ngx_pnalloc(cf->pool, 2 * len);
    if (s == NULL) {
        return NGX_ERROR;
    }

    switch (conf->provider) {

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_AUTH0:
        p->url.data = s;
        s = ngx_sprintf(s, "https://%V/.well-known/jwks.json", &domain);
        p->url.len = s - p->url.data;

        p->issuer.data = s;
        s = ngx_sprintf(s, "https://%V/", &domain);
        p->issuer.len = s - p->issuer.data;

        p->algorithms = MA_ALG_RS256;
        break;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_CLERK:
        p->url.data = s;
        s = ngx_sprintf(s, "https://%V/.well-known/jwks.json", &domain);
        p->url.len = s - p->url.data;

        p->issuer.data = s;
        s = ngx_sprintf(s, "https://%V", &domain);
        p->issuer.len = s - p->issuer.data;

        p->algorithms = MA_ALG_RS256;
        break;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE:
        p->url.data = s;
        s = ngx_sprintf(s, "https://%V.supabase.co/auth/v1/.well-known/jwks.json",
                        &domain);
        p->url.len = s - p->url.data;

        p->issuer.data = s;
        s = ngx_sprintf(s, "https://%V.supabase.co/auth/v1", &domain);
        p->issuer.len = s - p->issuer.data;

        ngx_str_set(&p->audience, "authenticated");

        /* asymmetric keys by their type, or the legacy HS256 secret */
        p->algorithms = MA_ALG_ES256 | MA_ALG_RS256
                        | (conf->secret.data ? MA_ALG_HS256 : 0);
        break;

    case NGX_HTTP_MASTRA_AUTH_PROVIDER_FIREBASE:
        p->url = ngx_http_mastra_auth_firebase_jwks;

        p->issuer.data = s;
        s = ngx_sprintf(s, "https://securetoken.google.com/%V", &domain);
        p->issuer.len = s - p->issuer.data;

        p->audience = domain;
        p->algorithms = MA_ALG_RS256;
        break;

    default: /* NGX_HTTP_MASTRA_AUTH_PROVIDER_OIDC */

        /* OpenID Connect Discovery 1.0 section 4: no doubled slash */

        if (domain.len && domain.data[domain.len - 1] == '/') {
            domain.len--;
        }

        p->url.data = s;
        s = ngx_sprintf(s, "%V/.well-known/openid-configuration", &domain);
        p->url.len = s - p->url.data;

        p->discovery = issuer[0];
        p->algorithms = NGX_HTTP_MASTRA_AUTH_ALL_ALGORITHMS & ~MA_ALG_HMAC;
        break;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mastra_auth_keys_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_http_mastra_auth_preset_t *p)
{
    char                             err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_str_t                         secret;
    ngx_str_t                       *uri, no_issuer;
    ngx_uint_t                       i;
    ma_keyset_t                    **keys, *secret_keys;
    ngx_pool_cleanup_t              *cln;
    ngx_http_mastra_auth_keyset_t  **remote;

    if (conf->algorithms == NGX_CONF_UNSET_UINT) {
        conf->algorithms = p->algorithms;
    }

    /* the default authorization server of mastra_auth_resource */
    conf->preset_issuer = p->discovery.len ? p->discovery : p->issuer;

    /* static keys: the files, and a Supabase legacy secret */

    conf->static_keys = ngx_array_create(cf->pool, 2, sizeof(ma_keyset_t *));
    if (conf->static_keys == NULL) {
        return NGX_ERROR;
    }

    if (conf->jwks_files) {
        keys = ngx_array_push_n(conf->static_keys, conf->jwks_files->nelts);
        if (keys == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(keys, conf->jwks_files->elts,
                   conf->jwks_files->nelts * sizeof(ma_keyset_t *));
    }

    if (conf->secret.data
        && conf->provider == NGX_HTTP_MASTRA_AUTH_PROVIDER_SUPABASE)
    {
        if (conf->secret.len < 32) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_secret\" from %V is shorter than "
                          "the 32 bytes HS256 needs (RFC 7518 3.2)",
                          &conf->secret_where);
            return NGX_ERROR;
        }

        secret.data = (const char *) conf->secret.data;
        secret.len = conf->secret.len;

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        if (ma_keyset_from_secret(secret, MA_ALG_HS256, &secret_keys, err,
                                  sizeof(err))
            != MA_OK)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"mastra_auth_secret\" from %V: %s",
                          &conf->secret_where, err);
            return NGX_ERROR;
        }

        cln->handler = ngx_http_mastra_auth_cleanup_keyset;
        cln->data = secret_keys;

        keys = ngx_array_push(conf->static_keys);
        if (keys == NULL) {
            return NGX_ERROR;
        }

        *keys = secret_keys;
    }

    /* remote keys: mastra_auth_jwks_uri wins over the preset's URL */

    conf->remote_keys = ngx_array_create(cf->pool, 2,
                                     sizeof(ngx_http_mastra_auth_keyset_t *));
    if (conf->remote_keys == NULL) {
        return NGX_ERROR;
    }

    ngx_str_null(&no_issuer);

    if (conf->jwks_uris) {
        uri = conf->jwks_uris->elts;

        for (i = 0; i < conf->jwks_uris->nelts; i++) {
            remote = ngx_array_push(conf->remote_keys);
            if (remote == NULL) {
                return NGX_ERROR;
            }

            *remote = ngx_http_mastra_auth_keyset_add(cf, &uri[i],
                                                      &conf->ca_file,
                                                      &conf->ca_pem,
                                                      &no_issuer,
                                                      conf->jwks_timeout,
                                                      conf->jwks_refresh);
            if (*remote == NULL) {
                return NGX_ERROR;
            }
        }

    } else if (p->url.len) {
        remote = ngx_array_push(conf->remote_keys);
        if (remote == NULL) {
            return NGX_ERROR;
        }

        *remote = ngx_http_mastra_auth_keyset_add(cf, &p->url, &conf->ca_file,
                                                  &conf->ca_pem, &p->discovery,
                                                  conf->jwks_timeout,
                                                  conf->jwks_refresh);
        if (*remote == NULL) {
            return NGX_ERROR;
        }
    }

    return ngx_http_mastra_auth_jws_setup(cf, conf, &p->issuer, &p->audience);
}


/*
 * The location's JWS verifier: its algorithms, leeway, issuers and
 * audiences (the preset's when the directives set none).
 */

static ngx_int_t
ngx_http_mastra_auth_jws_setup(ngx_conf_t *cf,
    ngx_http_mastra_auth_loc_conf_t *conf, ngx_str_t *issuer,
    ngx_str_t *audience)
{
    char                 err[NGX_HTTP_MASTRA_AUTH_ERRLEN];
    ma_status_t          rc;
    ngx_pool_cleanup_t  *cln;
    ma_jws_options_t     options;

    ngx_memzero(&options, sizeof(ma_jws_options_t));

    options.algorithms = conf->algorithms;
    options.leeway = conf->leeway;
    if (ngx_http_mastra_auth_ma_list(cf, conf->issuers, issuer,
                                     &options.issuers, &options.nissuers)
        != NGX_OK
        || ngx_http_mastra_auth_ma_list(cf, conf->audiences,
                                        conf->resource.len ? &conf->resource
                                                           : audience,
                                        &options.audiences,
                                        &options.naudiences)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    rc = ma_jws_verifier_create(&options, &conf->jws_verifier, err,
                                sizeof(err));
    if (rc != MA_OK) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"mastra_auth_provider\" in %V: %s",
                      &conf->provider_where, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_mastra_auth_cleanup_jws;
    cln->data = conf->jws_verifier;

    return NGX_OK;
}


/* an environment variable read while the master loads the configuration */

static ngx_int_t
ngx_http_mastra_auth_env(ngx_conf_t *cf, const char *name, ngx_str_t *value)
{
    u_char     *env;
    ngx_str_t   s;

    ngx_str_null(value);

    env = (u_char *) getenv(name);

    if (env == NULL || *env == '\0') {
        return NGX_OK;
    }

    s.len = ngx_strlen(env);
    s.data = env;

    value->data = ngx_pstrdup(cf->pool, &s);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    value->len = s.len;

    return NGX_OK;
}


/* a list of ngx_str_t as ma_str_t; the fallback when the list is unset */

static ngx_int_t
ngx_http_mastra_auth_ma_list(ngx_conf_t *cf, ngx_array_t *list,
    ngx_str_t *fallback, const ma_str_t **out, size_t *n)
{
    ma_str_t    *a;
    ngx_str_t   *s;
    ngx_uint_t   i, count;

    *out = NULL;
    *n = 0;

    if (list == NULL && (fallback == NULL || fallback->len == 0)) {
        return NGX_OK;
    }

    s = list ? list->elts : fallback;
    count = list ? list->nelts : 1;

    a = ngx_palloc(cf->pool, count * sizeof(ma_str_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < count; i++) {
        a[i].data = (const char *) s[i].data;
        a[i].len = s[i].len;
    }

    *out = a;
    *n = count;

    return NGX_OK;
}


static void
ngx_http_mastra_auth_cleanup_jws(void *data)
{
    ma_jws_verifier_free(data);
}
