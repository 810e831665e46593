#!/usr/bin/perl

# nginx-mastra-auth: a Mastra MCP server (@mastra/mcp MCPServer, served by
# Mastra at /api/mcp/weather/mcp) behind nginx as an OAuth protected
# resource, used by the official MCP TypeScript SDK (docs/mcp.md).  With a
# token for the resource the SDK's Client lists and calls the tool through
# nginx; without one, or with one for another resource, or lacking the scope,
# it is refused; the SDK's own discovery reads the challenge and finds the
# metadata through nginx.  The real authorization server: mcp_oauth.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;

use Mastra::Fixture;
use Mastra::Nginx;
use Mastra::Token qw(:all);

my $why = Mastra::Fixture::unavailable();
plan(skip_all => $why) if $why;

my $S = random_secret(32);
my $JSON = JSON::PP->new->canonical;
my $t = Mastra::Nginx->new;

my $m = Mastra::Fixture->start($t, 5, mcp => JSON::PP::true);

my $base = 'http://127.0.0.1:' . $t->port(1);
my $RESOURCE = "$base/api/mcp/weather/mcp";
my $METADATA = "$base/.well-known/oauth-protected-resource/api/mcp/weather/mcp";
my $AS = 'https://auth.example.com/api/auth';

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /api/mcp/weather/ {
            mastra_auth_resource $RESOURCE;
            mastra_auth_authorization_server $AS;
            mastra_auth_scope mcp:tools;
            mastra_auth_resource_name "Weather";
            mastra_auth_token_source header;
            proxy_set_header X-Mastra-User \$mastra_auth_user;
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_5%%;
        }

        location /echo/ {
            mastra_auth_provider off;
            proxy_pass http://127.0.0.1:%%PORT_5%%;
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

sub token { return mint($S, claims(@_)) }

# a token for the resource: the SDK lists and calls the tool through nginx
my $good = token(aud => $RESOURCE, scope => 'mcp:tools');
my $r = sdk(mode => 'tools', url => $RESOURCE, token => $good);
ok($r->{ok}, 'with a token: connected') or diag($JSON->encode($r));
is_deeply($r->{tools}, [ 'getWeather' ], 'the tool of the MCPServer is listed');
is($r->{text}, 'Weather in Paris: sunny', 'the tool is called');

my $seen = $JSON->decode($t->get('/echo/mcp-auth')->body);
is($seen->{authorization}, "Bearer $good", 'Mastra got the request with the token');

# refused: the SDK throws, Mastra sees nothing more
$r = sdk(mode => 'tools', url => $RESOURCE, token => undef);
ok(!$r->{ok}, 'without a token: refused');
like($r->{message}, qr/Error POSTing to endpoint: \{"error":"Authentication required"\}/,
    'without a token: the SDK shows our 401 body') or diag($JSON->encode($r));

$r = sdk(mode => 'tools', url => $RESOURCE,
    token => token(aud => "$base/api/mcp/other/mcp", scope => 'mcp:tools'));
ok(!$r->{ok}, 'a token for another resource: refused');
like($r->{message}, qr/\{"error":"Invalid or expired token"\}/,
    'a token for another resource: 401') or diag($JSON->encode($r));

$r = sdk(mode => 'tools', url => $RESOURCE, token => token(aud => $RESOURCE,
    scope => 'openid'));
ok(!$r->{ok}, 'a token without the scope: refused');
like($r->{message}, qr/\{"error":"Access denied"\}/,
    'a token without the scope: 403') or diag($JSON->encode($r));

# the SDK's discovery: challenge, then the metadata through nginx
$r = sdk(mode => 'discover', url => $RESOURCE);
is($r->{status}, 401, 'discovery: the initialize request gets 401');
is($r->{body}, '{"error":"Authentication required"}', 'discovery: the JSON body');
is_deeply($r->{challenge}, {
    resourceMetadataUrl => $METADATA,
    scope => 'mcp:tools',
    error => undef,
}, 'discovery: the SDK reads resource_metadata and scope from the challenge');
my $want = {
    resource => $RESOURCE,
    authorization_servers => [ $AS ],
    scopes_supported => [ 'mcp:tools' ],
    bearer_methods_supported => [ 'header' ],
    resource_name => 'Weather',
};
is_deeply($r->{metadata}, $want,
    'discovery: the metadata, with the URL of the challenge');
is_deeply($r->{metadataByItself}, $want,
    'discovery: the metadata, from the well-known URL the SDK builds');

$r = sdk(mode => 'discover', url => $RESOURCE, token => token(aud => $RESOURCE));
is($r->{status}, 403, 'step-up: a token without the scope gets 403');
is_deeply($r->{challenge}, {
    resourceMetadataUrl => $METADATA,
    scope => 'mcp:tools',
    error => 'insufficient_scope',
}, 'step-up: the SDK reads insufficient_scope and the scope');

$r = sdk(mode => 'discover', url => $RESOURCE, token => token(aud => 'x',
    scope => 'mcp:tools'));
is($r->{status}, 401, 'another audience: 401');
is($r->{challenge}{error}, 'invalid_token', 'another audience: invalid_token');

$m->stop;
$t->finish;

done_testing;
