#!/usr/bin/perl

# nginx-mastra-auth: the whole MCP authorization flow with a real
# authorization server (docs/mcp.md): Better Auth with its oauth-provider
# plugin (t/fixtures/better-auth/oauth-server.mjs), a Mastra MCP server
# behind nginx, and the official MCP TypeScript SDK.  The SDK discovers the
# metadata through nginx, goes on to the authorization server, registers,
# runs the authorization-code flow with PKCE and the resource parameter for
# a signed-up user, and lists the tools through nginx, which verifies the
# access token with the authorization server's keys (provider oidc).  A
# token issued for another resource gets 401, one without the scope 403
# with the step-up challenge.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;

use Mastra::BetterAuth;
use Mastra::Fixture;
use Mastra::Nginx;
use Mastra::OAuthServer;
use Mastra::Token qw(b64u_decode split_token);

my $why = Mastra::Fixture::unavailable() || Mastra::BetterAuth->missing;
plan(skip_all => $why) if $why;

my $JSON = JSON::PP->new->canonical;
my $t = Mastra::Nginx->new;

my $base = 'http://127.0.0.1:' . $t->port(1);
my $RESOURCE = "$base/api/mcp/weather/mcp";
my $OTHER = "$base/api/mcp/other/mcp";
my $METADATA = "$base/.well-known/oauth-protected-resource/api/mcp/weather/mcp";

my $as = Mastra::OAuthServer->new($t, resources => [ $RESOURCE, $OTHER ]);
my $m = Mastra::Fixture->start($t, 5, mcp => JSON::PP::true);
my $ISSUER = $as->issuer;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    mastra_auth_zone mastra_auth:1m;

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /api/mcp/weather/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $ISSUER;
            mastra_auth_resource $RESOURCE;
            mastra_auth_scope mcp:tools;
            mastra_auth_token_source header;
            proxy_set_header X-Mastra-User \$mastra_auth_user;
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_5%%;
        }

        # the same resource, verified with the key set alone
        location /jwks/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri $ISSUER/jwks;
            mastra_auth_issuer $ISSUER;
            mastra_auth_resource $RESOURCE;
            mastra_auth_scope mcp:tools;
            mastra_auth_token_source header;
            add_header X-Auth-Status \$mastra_auth_status always;
            add_header X-Auth-Error \$mastra_auth_error always;
            proxy_pass http://127.0.0.1:%%PORT_5%%/echo/hits;
        }

        # the same resource with the better-auth provider: its keys, the
        # plugin's issuer; a session is no token for the resource
        location /ba/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url ${\ $as->url};
            mastra_auth_secret ${\ $as->secret};
            mastra_auth_resource $RESOURCE;
            mastra_auth_scope mcp:tools;
            add_header X-Auth-Status \$mastra_auth_status always;
            add_header X-Auth-Error \$mastra_auth_error always;
            proxy_pass http://127.0.0.1:%%PORT_5%%/echo/hits;
        }

        location /.well-known/oauth-protected-resource {
            mastra_auth_resource_metadata;
        }
    }
}
EOF

my $script = Mastra::Fixture::dir() . '/mcp-client.mjs';

sub sdk {
    my (%request) = @_;
    my $file = $t->testdir . '/mcp-request-' . int(rand(1e9)) . '.json';
    $t->write_file($file, $JSON->encode(\%request));
    my ($rc, $out, $err) = Mastra::Fixture->node_script($t, $script, $file);
    my $res = eval { $JSON->decode($out) };
    diag("mcp-client.mjs exit $rc:\n$out\n$err") unless $rc == 0 && $res;
    return $res || {};
}

sub parts {
    my ($token) = @_;
    my ($h, $p) = split_token($token // '');
    return (eval { $JSON->decode(b64u_decode($h)) } || {},
        eval { $JSON->decode(b64u_decode($p)) } || {});
}

# discovery: the challenge, the metadata through nginx, then the
# authorization server's own metadata
my $r = sdk(mode => 'discover', url => $RESOURCE);
is($r->{status}, 401, 'discovery: 401');
is($r->{challenge}{resourceMetadataUrl}, $METADATA, 'discovery: resource_metadata');
is_deeply($r->{metadata}{authorization_servers}, [ $ISSUER ],
    'discovery: the authorization server is the oidc issuer');
is($r->{authorizationServer}{issuer}, $ISSUER,
    "discovery: the SDK reads the authorization server's metadata");
ok($r->{authorizationServer}{registration_endpoint},
    'discovery: it offers dynamic registration');
is_deeply($r->{authorizationServer}{code_challenge_methods_supported}, [ 'S256' ],
    'discovery: PKCE with S256');

# the flow: sign-up; connect without a token, the SDK's transport follows
# nginx's 401 (discovery from the challenge, registration, authorization
# request with PKCE and the resource); consent; finishAuth() (code -> token);
# then the tools through nginx with the token; then two more tokens for the
# same user: one for the other resource, one without the mcp:tools scope
$r = sdk(mode => 'oauth', url => $RESOURCE, as => $as->url,
    email => 'mcp-user@example.com', password => 'correct horse battery',
    also => [
        { resource => $OTHER, scope => 'mcp:tools' },
        { resource => $RESOURCE, scope => 'openid' },
    ]);

ok($r->{ok}, 'the SDK went through the whole flow and connected')
    or diag($JSON->encode($r));
is_deeply($r->{tools}, [ 'getWeather' ], 'the tools are listed through nginx');
is($r->{text}, 'Weather in Paris: sunny', 'the tool is called through nginx');

my ($authorize) = grep { $_->{authorizationUrl} } @{ $r->{steps} || [] };
is($authorize && $authorize->{connect}, 'UnauthorizedError',
    'connecting without a token: the SDK follows the 401 into the authorization flow');
is($r->{resourceMetadataUrl}, $METADATA,
    'the SDK took the metadata URL from the challenge');
is_deeply($r->{resourceMetadata}{authorization_servers}, [ $ISSUER ],
    'the SDK read the metadata through nginx');
my $url = $authorize ? $authorize->{authorizationUrl} : '';
like($url, qr/^\Q$ISSUER\E\/oauth2\/authorize\?/, 'authorization request at the issuer');
like($url, qr/[?&]resource=\Q${\ uri_escape($RESOURCE)}\E(&|$)/,
    'the authorization request names the resource');
like($url, qr/[?&]code_challenge_method=S256(&|$)/, 'PKCE S256');
like($url, qr/[?&]scope=mcp%3Atools(&|$)/,
    'the scope of the challenge is asked for');

my $access = $r->{tokens}{access_token};
my ($head, $claims) = parts($access);
note('access token header ' . $JSON->encode($head) . ', claims ' . $JSON->encode($claims));
is($claims->{iss}, $ISSUER, 'the access token: iss is the issuer');
is_deeply(ref $claims->{aud} ? $claims->{aud} : [ $claims->{aud} ], [ $RESOURCE ],
    'the access token: aud is the resource');
like(" $claims->{scope} ", qr/ mcp:tools /, 'the access token: scope holds mcp:tools');
ok($head->{kid}, 'the access token is signed with a key of the JWKS');
is($head->{alg}, 'EdDSA', "the access token: EdDSA, the jwt plugin's default");
is($head->{typ}, 'at+jwt', 'the access token: typ at+jwt (RFC 9068)');
ok($r->{client}{client_id}, 'the SDK registered its client dynamically');
ok((grep { $_->{consent} && $_->{consent} == 200 } @{ $r->{steps} || [] }),
    'the user consented at the plugin\'s consent endpoint');

my $seen = $t->request(uri => "/api/mcp/weather/mcp", headers => [
    Authorization => "Bearer $access", 'Content-Type' => 'application/json',
    Accept => 'application/json, text/event-stream' ], method => 'POST',
    body => '{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
isnt($seen->status, 401, 'the access token passes nginx');
isnt($seen->status, 403, 'the access token holds the scope');

my $res = $t->request(uri => '/jwks/', headers => [ Authorization => "Bearer $access" ]);
is($res->outcome, '200 ok -', 'provider jwks with the jwks_uri: the token passes');

$res = $t->request(uri => '/ba/', headers => [ Authorization => "Bearer $access" ]);
is($res->outcome, '200 ok -',
    "provider better-auth: the plugin's token passes (issuer with the base path)");
$res = $t->request(uri => '/ba/', headers => [ Cookie => $r->{cookie} ]);
is($res->outcome, '401 invalid audience_mismatch',
    "provider better-auth: the user's own session is refused for the resource");

# a token the same server issued for the other resource
my ($other_token) = $r->{also}[0]{access_token};
my (undef, $other_claims) = parts($other_token);
note('token for the other resource: ' . $JSON->encode($other_claims));
is_deeply(ref $other_claims->{aud} ? $other_claims->{aud} : [ $other_claims->{aud} ],
    [ $OTHER ], 'the other token: aud is the other resource');
$res = $t->request(uri => '/api/mcp/weather/mcp', method => 'POST',
    headers => [ Authorization => "Bearer $other_token" ], body => '{}');
is($res->status, 401, 'a token for another resource: 401');
is($res->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", error="invalid_token", scope="mcp:tools", resource_metadata="$METADATA"),
    'a token for another resource: invalid_token challenge');
is($t->grep_log(qr/reason "audience_mismatch"/) ? 1 : 0, 1,
    'a token for another resource: audience_mismatch logged');
is($t->request(uri => '/jwks/', headers => [ Authorization => "Bearer $other_token" ])
    ->outcome, '401 invalid audience_mismatch', 'provider jwks: the other token, 401');

# a token for this resource without the scope
my $narrow = $r->{also}[1]{access_token};
my (undef, $narrow_claims) = parts($narrow);
note('token without mcp:tools: ' . $JSON->encode($narrow_claims));
is($narrow_claims->{scope}, 'openid', 'the narrow token: scope openid only');
ok((grep { $_ eq $RESOURCE } ref $narrow_claims->{aud} ? @{ $narrow_claims->{aud} }
    : ($narrow_claims->{aud})), 'the narrow token: aud holds the resource');
$res = $t->request(uri => '/api/mcp/weather/mcp', method => 'POST',
    headers => [ Authorization => "Bearer $narrow" ], body => '{}');
is($res->status, 403, 'a token without the scope: 403');
is($res->body, '{"error":"Access denied"}', 'a token without the scope: body');
is($res->header('WWW-Authenticate'),
    qq(Bearer realm="mastra", error="insufficient_scope", scope="mcp:tools", resource_metadata="$METADATA"),
    'a token without the scope: the step-up challenge');
is_deeply($r->{stepUp}, { connect => 'UnauthorizedError', scope => 'mcp:tools',
    resource => $RESOURCE },
    'step-up: the SDK answers the 403 with a new authorization for the scope of the challenge')
    or diag($JSON->encode($r->{stepUp}));
is($t->request(uri => '/jwks/', headers => [ Authorization => "Bearer $narrow" ])
    ->outcome, '403 forbidden scope_missing', 'provider jwks: the narrow token, 403');

$m->stop;
$as->stop;
$t->finish;

done_testing;

sub uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}
