#!/usr/bin/perl

# nginx-mastra-auth: OAuth protected resources (docs/mcp.md): the 401
# challenges with resource_metadata and scope, audience binding, the
# insufficient_scope 403, and the RFC 9728 metadata location (every field,
# escaping, two resources on one server, the bare path, HEAD, 404, methods,
# never checked).  The SDK and a real authorization server: mcp_sdk.t,
# mcp_oauth.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP ();

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(rsa_key jwk jwks signed);

my $S = random_secret(32);
my $JSON = JSON::PP->new->utf8;

my $t = Mastra::Nginx->new;

my $rsa = rsa_key();
$t->write_file('keys.json', jwks(jwk($rsa, kid => 'k1')));

my $WEATHER = 'https://mcp.example.com/api/mcp/weather/mcp';
my $NOTES = 'https://mcp.example.com/api/mcp/notes/mcp';
my $WEATHER_MD = 'https://mcp.example.com/.well-known/oauth-protected-resource'
    . '/api/mcp/weather/mcp';
my $NOTES_MD = 'https://mcp.example.com/.well-known/oauth-protected-resource'
    . '/api/mcp/notes/mcp';
my $ROOT = 'http://127.0.0.1:' . $t->port(2);

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_authorization_server https://auth.example.com/ https://backup.example.com;

        location /api/mcp/weather/ {
            mastra_auth_resource $WEATHER;
            mastra_auth_scope mcp:tools mcp:read;
            mastra_auth_resource_name 'Weather "MCP" \\\\ \x{c3}\x{a9}t\x{c3}\x{a9}';
            %%AUTH_PROXY%%
        }

        location /api/mcp/notes/ {
            mastra_auth_resource $NOTES;
            mastra_auth_token_source header cookie=notes;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /api/mcp/other-audience/ {
            mastra_auth_resource $WEATHER;
            mastra_auth_scope mcp:tools mcp:read;
            mastra_auth_resource_name 'Weather "MCP" \\\\ \x{c3}\x{a9}t\x{c3}\x{a9}';
            mastra_auth_audience other;
            %%AUTH_PROXY%%
        }

        location /api/scope-only/ {
            mastra_auth_scope admin;
            mastra_auth_realm "scoped";
            %%AUTH_PROXY%%
        }

        location /api/ {
            %%AUTH_PROXY%%
        }

        # the counters, to see the step-up refusals counted by their reason
        location = /metrics {
            mastra_auth_provider off;
            mastra_auth_metrics;
        }

        # inherits "jwt" from the server: never checked all the same
        location /.well-known/oauth-protected-resource {
            mastra_auth_resource_metadata;
        }
    }

    # one resource at the root of its origin, keys from a file; the
    # authorization server is the issuer
    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/keys.json;
            mastra_auth_issuer https://issuer.example.com;
            mastra_auth_resource $ROOT;
            %%AUTH_PROXY%%
        }

        location = /.well-known/oauth-protected-resource {
            mastra_auth_resource_metadata;
        }
    }

    # default authorization servers: the Auth0 tenant, the OIDC issuer;
    # Better Auth sessions are bound to no resource
    server {
        listen 127.0.0.1:%%PORT_3%%;

        location /auth0/ {
            mastra_auth_provider auth0;
            mastra_auth_domain tenant.auth0.com;
            mastra_auth_resource https://api.example.com/auth0;
            %%AUTH_PROXY%%
        }

        location /oidc/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer https://id.example.com/realms/x;
            mastra_auth_resource https://api.example.com/oidc;
            %%AUTH_PROXY%%
        }

        location /ba/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url http://127.0.0.1:%%PORT_8%%;
            mastra_auth_secret $S;
            mastra_auth_resource https://api.example.com/ba;
            %%AUTH_PROXY%%
        }

        location /.well-known/oauth-protected-resource/ {
            mastra_auth_resource_metadata;
        }
    }
}
EOF

sub token { return mint($S, claims(@_)) }

###############################################################################
# 401: the challenge points at the metadata and names the scopes

my $r = $t->get('/api/mcp/weather/mcp');
is($r->status, 401, 'no token: 401');
is($r->body, '{"error":"Authentication required"}', 'no token: body');
is($r->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", scope="mcp:tools mcp:read", resource_metadata="$WEATHER_MD"),
    'no token: challenge with scope and resource_metadata');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => 'someone-else',
    scope => 'mcp:tools mcp:read'));
is($r->outcome, '401 invalid audience_mismatch', 'token for another audience: 401');
is($r->body, '{"error":"Invalid or expired token"}', 'another audience: body');
is($r->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", error="invalid_token", scope="mcp:tools mcp:read", )
    . qq(resource_metadata="$WEATHER_MD"), 'another audience: invalid_token challenge');

$r = $t->bearer('/api/mcp/weather/mcp', token(scope => 'mcp:tools mcp:read'));
is($r->outcome, '401 invalid audience_mismatch', 'token without aud: 401');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => "$WEATHER/",
    scope => 'mcp:tools mcp:read'));
is($r->outcome, '401 invalid audience_mismatch',
    'aud with a trailing slash more: not the resource');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => $NOTES,
    scope => 'mcp:tools mcp:read'));
is($r->outcome, '401 invalid audience_mismatch',
    'token for the other resource of the server: 401');

###############################################################################
# the resource in aud, and every scope: passes

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => $WEATHER,
    scope => 'openid mcp:read mcp:tools'));
is($r->outcome, '200 ok -', 'aud = resource, scope claim: 200');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => [ 'x', $WEATHER ],
    scp => [ 'mcp:tools', 'mcp:read' ]));
is($r->outcome, '200 ok -', 'aud array holding the resource, scp array: 200');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => $WEATHER,
    scp => 'mcp:read mcp:tools'));
is($r->outcome, '200 ok -', 'scp as a space-separated string: 200');

$r = $t->get('/api/mcp/weather/mcp?apiKey='
    . token(aud => $WEATHER, scope => 'mcp:tools mcp:read'));
is($r->outcome, '200 ok -', 'token in the query: the resource holds too');

###############################################################################
# 403 insufficient_scope: the step-up challenge

my $step_up = qq(Bearer realm="mastra", error="insufficient_scope", )
    . qq(scope="mcp:tools mcp:read", resource_metadata="$WEATHER_MD");

sub scope_refusals {
    my $m = $t->request(method => 'GET', uri => '/metrics');
    die 'metrics: ' . $m->status unless $m->status == 200;
    $m->body =~ /^mastra_auth_refusals_total\{reason="scope_missing"\} (\d+)$/m
        or die "no scope_missing series\n" . $m->body;
    return $1;
}
my $scope_refusals_before = scope_refusals();

for my $case (
    [ 'mcp:tools', 'one of two scopes' ],
    [ 'mcp:toolsx mcp:read', 'a scope that only starts like one' ],
    [ '', 'an empty scope' ],
    [ undef, 'no scope claim' ],
    [ [ 'mcp:tools', 'mcp:read' ], 'scope as an array (not the scope claim form)' ],
    [ 'mcp:tools,mcp:read', 'comma-separated' ])
{
    my ($scope, $name) = @$case;
    $r = $t->bearer('/api/mcp/weather/mcp', token(aud => $WEATHER,
        scope => $scope));
    is($r->outcome, '403 forbidden scope_missing', "$name: 403");
    is($r->body, '{"error":"Access denied"}', "$name: body");
    is($r->header('WWW-Authenticate'), $step_up, "$name: step-up challenge");
}
is(scope_refusals() - $scope_refusals_before, 6,
    'the six step-up refusals are counted as scope_missing');

$r = $t->bearer('/api/mcp/weather/mcp', token(aud => $WEATHER,
    scp => [ 'mcp:tools' ], scope => 'mcp:read'));
is($r->outcome, '200 ok -', 'scope and scp together grant both');

# a claim check is not a scope: its 403 names no scope
$r = $t->bearer('/api/mcp/notes/mcp', token(aud => $NOTES, role => 'user'));
is($r->outcome, '403 forbidden claim_failed', 'claim fails: 403');
is($r->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", error="insufficient_scope", resource_metadata="$NOTES_MD"),
    'claim fails: no scope in the challenge');
$r = $t->bearer('/api/mcp/notes/mcp', token(aud => $NOTES, role => 'admin'));
is($r->outcome, '200 ok -', 'notes: aud and claim hold: 200');
is($t->get('/api/mcp/notes/mcp')->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", resource_metadata="$NOTES_MD"),
    'no scopes: the 401 names none');

# scopes without a resource
$r = $t->bearer('/api/scope-only/x', token());
is($r->outcome, '403 forbidden scope_missing', 'scope without resource: 403');
is($r->header('WWW-Authenticate'),
    'Bearer realm="scoped", error="insufficient_scope", scope="admin"',
    'scope without resource: challenge without resource_metadata');
is($t->get('/api/scope-only/x')->header('WWW-Authenticate'),
    'Bearer realm="scoped", scope="admin"', 'scope without resource: 401');
is($t->bearer('/api/scope-only/x', token(scope => 'admin'))->outcome,
    '200 ok -', 'scope without resource: granted');

# mastra_auth_audience wins over the resource
$r = $t->bearer('/api/mcp/other-audience/x', token(aud => 'other',
    scope => 'mcp:tools mcp:read'));
is($r->outcome, '200 ok -', 'mastra_auth_audience set: its audience passes');
$r = $t->bearer('/api/mcp/other-audience/x', token(aud => $WEATHER,
    scope => 'mcp:tools mcp:read'));
is($r->outcome, '401 invalid audience_mismatch',
    'mastra_auth_audience set: the resource alone is not enough');

# elsewhere on the server nothing changed
$r = $t->get('/api/x');
is($r->header('WWW-Authenticate'), 'Bearer realm="mastra"',
    'a location without resource: the plain challenge');
is($t->bearer('/api/x', token())->outcome, '200 ok -',
    'a location without resource: no audience asked');

###############################################################################
# the metadata documents

sub doc_ok {
    my ($uri, $want, $name, %o) = @_;
    my $res = $t->request(uri => $uri, port => $o{port},
        headers => [ $o{auth} ? (Authorization => $o{auth}) : () ]);
    is($res->status, 200, "$name: 200");
    is($res->header('Content-Type'), 'application/json', "$name: JSON");
    is($res->header('Access-Control-Allow-Origin'), '*', "$name: any origin");
    is_deeply(eval { $JSON->decode($res->body) }, $want, "$name: document")
        or diag($res->body);
    return $res;
}

my %weather_doc = (
    resource => $WEATHER,
    authorization_servers => [ 'https://auth.example.com/', 'https://backup.example.com' ],
    scopes_supported => [ 'mcp:tools', 'mcp:read' ],
    bearer_methods_supported => [ 'header', 'query' ],
    resource_name => "Weather \"MCP\" \\ \x{e9}t\x{e9}",
);

$r = doc_ok('/.well-known/oauth-protected-resource/api/mcp/weather/mcp',
    \%weather_doc, 'weather metadata');
like($r->body, qr/^\{"resource":"\Q$WEATHER\E","authorization_servers":/,
    'resource first, as configured');
like($r->body, qr/"resource_name":"Weather \\"MCP\\" \\\\ \x{c3}\x{a9}t\x{c3}\x{a9}"/,
    'name: quotes and backslash escaped, UTF-8 kept');
is($r->header('Content-Length'), length $r->body, 'Content-Length');

doc_ok('/.well-known/oauth-protected-resource/api/mcp/notes/mcp', {
    resource => $NOTES,
    authorization_servers => [ 'https://auth.example.com/', 'https://backup.example.com' ],
    bearer_methods_supported => [ 'header' ],
}, 'notes metadata: no scopes, a cookie is no bearer method');

doc_ok('/.well-known/oauth-protected-resource/api/mcp/weather/mcp',
    \%weather_doc, 'metadata with an invalid token: never checked',
    auth => 'Bearer not.a.token');

$r = $t->method('HEAD', '/.well-known/oauth-protected-resource/api/mcp/weather/mcp');
is($r->status, 200, 'HEAD: 200');
is($r->body, '', 'HEAD: no body');
ok($r->header('Content-Length') > 100, 'HEAD: the length of the document');
is($r->header('Access-Control-Allow-Origin'), '*', 'HEAD: any origin');

for my $uri ('/.well-known/oauth-protected-resource',
    '/.well-known/oauth-protected-resource/',
    '/.well-known/oauth-protected-resource/api/mcp/weather',
    '/.well-known/oauth-protected-resource/api/mcp/weather/mcp/',
    '/.well-known/oauth-protected-resource/api/mcp/weather/mcp/x',
    '/.well-known/oauth-protected-resource/API/mcp/weather/mcp',
    '/.well-known/oauth-protected-resourcex')
{
    $r = $t->get($uri);
    is($r->status, 404, "$uri: 404");
    is($r->body, '{"error":"Not found"}', "$uri: JSON body");
    is($r->header('Content-Type'), 'application/json', "$uri: JSON");
    is($r->header('Access-Control-Allow-Origin'), '*', "$uri: any origin");
}

$r = $t->get('/.well-known/oauth-protected-resource/api/mcp/weather/mcp?x=1');
is($r->status, 200, 'the query string takes no part');

$r = $t->get('/.well-known/oauth-protected-resource/api/mcp/%77eather/mcp');
is($r->status, 200, 'matched on the decoded path');

$r = $t->method('POST', '/.well-known/oauth-protected-resource/api/mcp/weather/mcp');
is($r->status, 405, 'POST: 405');
is($r->header('Allow'), 'GET, HEAD, OPTIONS', 'POST: Allow');
is($r->body, '{"error":"Method not allowed"}', 'POST: JSON body');

$r = $t->method('OPTIONS', '/.well-known/oauth-protected-resource/api/mcp/weather/mcp',
    Origin => 'https://app.example', 'Access-Control-Request-Method' => 'GET',
    'Access-Control-Request-Headers' => 'mcp-protocol-version');
is($r->status, 204, 'preflight: 204');
is($r->header('Access-Control-Allow-Origin'), '*', 'preflight: any origin');
is($r->header('Access-Control-Allow-Methods'), 'GET, HEAD, OPTIONS',
    'preflight: methods');
is($r->header('Access-Control-Allow-Headers'), 'MCP-Protocol-Version',
    'preflight: the MCP header');

# one resource: the bare path answers, at the root of the origin
my %root_doc = (
    resource => $ROOT,
    authorization_servers => [ 'https://issuer.example.com' ],
    bearer_methods_supported => [ 'header', 'query' ],
);
doc_ok('/.well-known/oauth-protected-resource', \%root_doc,
    'one resource: the bare path', port => 2);

$r = $t->request(uri => '/x', port => 2);
is($r->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", resource_metadata="$ROOT/.well-known/oauth-protected-resource"),
    'a resource without a path: the bare metadata URL');

$r = $t->request(uri => '/x', port => 2, headers => [ Authorization => 'Bearer '
    . signed($rsa, 'RS256', claims(iss => 'https://issuer.example.com',
        aud => $ROOT), kid => 'k1') ]);
is($r->outcome, '200 ok -', 'jwks provider: a token for the resource passes');

$r = $t->request(uri => '/x', port => 2, headers => [ Authorization => 'Bearer '
    . signed($rsa, 'RS256', claims(iss => 'https://issuer.example.com',
        aud => "$ROOT/"), kid => 'k1') ]);
is($r->outcome, '401 invalid audience_mismatch',
    'jwks provider: another audience refused');

# default authorization servers
doc_ok('/.well-known/oauth-protected-resource/auth0', {
    resource => 'https://api.example.com/auth0',
    authorization_servers => [ 'https://tenant.auth0.com/' ],
    bearer_methods_supported => [ 'header', 'query' ],
}, 'auth0: the tenant', port => 3);

doc_ok('/.well-known/oauth-protected-resource/oidc', {
    resource => 'https://api.example.com/oidc',
    authorization_servers => [ 'https://id.example.com/realms/x' ],
    bearer_methods_supported => [ 'header', 'query' ],
}, 'oidc: the issuer', port => 3);

my $ba = "http://127.0.0.1:" . $t->port(8);
doc_ok('/.well-known/oauth-protected-resource/ba', {
    resource => 'https://api.example.com/ba',
    authorization_servers => [ "$ba/api/auth" ],
    bearer_methods_supported => [ 'header' ],
}, 'better-auth: its URL with the base path (the oauth-provider issuer)', port => 3);

$r = $t->request(uri => '/.well-known/oauth-protected-resource/', port => 3);
is($r->status, 404, 'three resources: no bare path');

# Better Auth: a session is refused before Better Auth is asked (nothing
# listens there: asking would give 503)
$r = $t->request(uri => '/ba/x', port => 3,
    headers => [ Authorization => 'Bearer sessiontoken.signature' ]);
is($r->outcome, '401 invalid audience_mismatch',
    'better-auth: a session token is no token for the resource');
$r = $t->request(uri => '/ba/x', port => 3,
    headers => [ Cookie => 'better-auth.session_token=abc.def' ]);
is($r->outcome, '401 invalid audience_mismatch',
    'better-auth: a session cookie neither');
is($r->header('WWW-Authenticate'),
    'Bearer realm="mastra", error="invalid_token", '
    . 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/ba"',
    'better-auth: the challenge points at the metadata');

$t->finish;

done_testing;
