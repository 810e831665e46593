/*
 * The C seam for OAuth protected resources (docs/mcp.md): RFC 9728
 * metadata, RFC 6750 challenge parameters, and the scope check.  Same rules
 * as api.h: views in, status out, no exception crosses.
 */

#ifndef MASTRA_AUTH_RESOURCE_H
#define MASTRA_AUTH_RESOURCE_H

#include <mastra_auth/api.h>

#ifdef __cplusplus
extern "C" {
#endif


/*
 * Checks an absolute http(s) URL without query or fragment (a resource
 * identifier, RFC 8707 section 2; an issuer, RFC 8414 section 2).  MA_OK, or
 * MA_CONFIG_INVALID with a reason in err.
 */
ma_status_t ma_resource_url_check(ma_str_t url, char *err, size_t errlen);

/*
 * The metadata URL of a resource (RFC 9728 section 3.1): its origin, then
 * "/.well-known/oauth-protected-resource", then its path when not "/".
 * out gets url.len + 40 bytes at most; returns the length written.
 * path_offset: where the URL's path starts in out.
 */
#define MA_RESOURCE_METADATA_EXTRA  40

size_t ma_resource_metadata_url(ma_str_t url, char *out, size_t *path_offset);

/* 1 if the text is a scope-token of RFC 6749 section 3.3, else 0. */
int ma_scope_token_check(ma_str_t scope);

/*
 * A quoted-string of RFC 9110 section 5.6.4: the value between double
 * quotes, '"' and '\' escaped with a backslash; bytes outside qdtext (other
 * controls than HTAB) become '?'.  out gets 2 * in.len + 2 bytes at most;
 * returns the length written.
 */
size_t ma_quoted_string(ma_str_t in, char *out);


/* the RFC 9728 document of one resource */

typedef struct ma_resource_doc_s  ma_resource_doc_t;

typedef struct {
    ma_str_t         resource;
    const ma_str_t  *authorization_servers;
    size_t           nauthorization_servers;
    const ma_str_t  *scopes;                  /* scopes_supported */
    size_t           nscopes;
    const ma_str_t  *bearer_methods;          /* "header", "query" */
    size_t           nbearer_methods;
    ma_str_t         resource_name;           /* empty: no field */
} ma_resource_doc_options_t;

/* MA_CONFIG_INVALID with a reason in err (e.g. a name not in UTF-8). */
ma_status_t ma_resource_doc_create(const ma_resource_doc_options_t *options,
    ma_resource_doc_t **out, char *err, size_t errlen);
void ma_resource_doc_free(ma_resource_doc_t *doc);

/* The document as compact JSON; valid as long as doc. */
ma_str_t ma_resource_doc_text(const ma_resource_doc_t *doc);


/*
 * 1 if the claims (a verified payload, as ma_identity_payload gives it) grant
 * every scope: in the "scope" claim (space-separated) or the "scp" claim
 * (an array of strings, or a space-separated string); else 0.
 */
int ma_scopes_granted(ma_str_t claims, const ma_str_t *scopes, size_t n);


#ifdef __cplusplus
}
#endif

#endif /* MASTRA_AUTH_RESOURCE_H */
