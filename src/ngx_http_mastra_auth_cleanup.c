
/*
 * nginx-mastra-auth: pool cleanups that free the core's handles made at
 * configuration time.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


void
ngx_http_mastra_auth_cleanup_condition(void *data)
{
    ma_condition_free(data);
}


void
ngx_http_mastra_auth_cleanup_forwarder(void *data)
{
    ma_forwarder_free(data);
}


void
ngx_http_mastra_auth_cleanup_keyset(void *data)
{
    ma_keyset_free(data);
}


void
ngx_http_mastra_auth_cleanup_identity(void *data)
{
    ma_identity_free(data);
}


void
ngx_http_mastra_auth_cleanup_pattern(void *data)
{
    ma_pattern_free(data);
}
