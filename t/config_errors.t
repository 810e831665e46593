#!/usr/bin/perl

# nginx-mastra-auth: configuration errors (docs/directives.md): every bad value
# fails nginx -t with an [emerg] that names the directive, the value, and the
# file:line of the directive (marked #HERE below).  Secrets and providers:
# provider_secret.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(random_secret);

my $S = random_secret(64);

my $t = Mastra::Nginx->new;

# a location holding the directive(s) under test
sub loc {
    my ($body) = @_;
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
$body
        }
    }
}
EOF
}

# every directive at every level, inherited and overridden: accepted
$t->config_ok(<<"EOF", 'every directive in http, server and location');
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%

    mastra_auth_provider jwt;
    mastra_auth_secret $S;
    mastra_auth_algorithms HS256 HS384 HS512;
    mastra_auth_leeway 30s;
    mastra_auth_issuer https://a.example/ https://b.example/;
    mastra_auth_audience api other;
    mastra_auth_claim role = admin;
    mastra_auth_token_source header query=apiKey cookie=jwt;
    mastra_auth_public /api/health GET;
    mastra_auth_protected /api/*;
    mastra_auth_default protected;
    mastra_auth_rule /api/* * allow;
    mastra_auth_preflight pass;
    mastra_auth_realm mastra;
    mastra_auth_mode enforce;
    mastra_auth_dev_playground off;
    mastra_auth_encoded_slashes refuse;
    mastra_auth_resource https://mcp.example.com/;
    mastra_auth_authorization_server https://as.example.com/ https://as2.example.com/;
    mastra_auth_scope a b;
    mastra_auth_resource_name "http level";

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_algorithms HS512;
        mastra_auth_leeway 1m;
        mastra_auth_issuer https://c.example/;
        mastra_auth_audience api;
        mastra_auth_claim email ~ "\@example\\.com\\z";
        mastra_auth_token_source cookie=session;
        mastra_auth_public /x;
        mastra_auth_protected /y POST;
        mastra_auth_default public;
        mastra_auth_rule /x GET,POST role != guest;
        mastra_auth_preflight authenticate;
        mastra_auth_realm "server realm";
        mastra_auth_mode observe;
        mastra_auth_dev_playground off;
        mastra_auth_encoded_slashes allow;
        mastra_auth_resource https://mcp.example.com/api;
        mastra_auth_authorization_server https://as.example.com/;
        mastra_auth_scope mcp:tools;
        mastra_auth_resource_name "Mastra tools";

        location / {
            mastra_auth_provider off;
        }

        location /.well-known/oauth-protected-resource/ {
            mastra_auth_resource_metadata;
        }

        location /a/ {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_algorithms HS384;
            mastra_auth_leeway 0;
            mastra_auth_issuer iss;
            mastra_auth_audience aud;
            mastra_auth_claim '"https://example.com/roles"' has editor;
            mastra_auth_claim user.emailVerified = true;
            mastra_auth_claim tenant = \$http_x_tenant;
            mastra_auth_claim roles !has banned;
            mastra_auth_claim name !~ "^bot";
            mastra_auth_token_source query=token header;
            mastra_auth_public /a/:id? GET HEAD;
            mastra_auth_protected /a/*? ;
            mastra_auth_default protected;
            mastra_auth_rule /a/agents/:agentId/generate POST permissions has "agent:\$mastra_auth_param_agentId";
            mastra_auth_rule /a/** * allow;
            mastra_auth_preflight pass;
            mastra_auth_realm "a realm";
            mastra_auth_mode enforce;
            mastra_auth_encoded_slashes refuse;
            mastra_auth_resource https://mcp.example.com/a;
            mastra_auth_authorization_server https://as3.example.com/;
            mastra_auth_scope c;
            mastra_auth_resource_name a;
        }
    }
}
EOF

# algorithms
for my $alg ('none', 'RS256', 'ES256', 'PS256', 'EdDSA', 'hs256', 'HS256x', 'HS1') {
    $t->config_fails(loc("            mastra_auth_algorithms HS256 $alg; #HERE"),
        qr/mastra_auth_algorithms.*\Q$alg\E/, "algorithms: $alg refused");
}

# leeway
$t->config_fails(loc('            mastra_auth_leeway abc; #HERE'),
    qr/^(?=.*"mastra_auth_leeway")(?=.*"abc")/, 'leeway: not a time, both named');
$t->config_fails(loc('            mastra_auth_leeway -5s; #HERE'),
    qr/mastra_auth_leeway/, 'leeway: negative');

# claims
$t->config_fails(loc('            mastra_auth_claim role equals admin; #HERE'),
    qr/mastra_auth_claim.*equals/, 'claim: unknown operator');
$t->config_fails(loc('            mastra_auth_claim role == admin; #HERE'),
    qr/mastra_auth_claim.*==/, 'claim: "==" is not an operator');
$t->config_fails(loc('            mastra_auth_claim email ~ "(unclosed"; #HERE'),
    qr/mastra_auth_claim.*\(unclosed/, 'claim: bad regex');
$t->config_fails(loc('            mastra_auth_claim email !~ "a{2,1}"; #HERE'),
    qr/mastra_auth_claim/, 'claim: bad regex for !~');
$t->config_fails(loc('            mastra_auth_claim role =; #HERE'),
    qr/mastra_auth_claim/, 'claim: missing value');
$t->config_fails(loc('            mastra_auth_claim role = admin extra; #HERE'),
    qr/mastra_auth_claim/, 'claim: too many arguments');
$t->config_fails(loc('            mastra_auth_claim "" = admin; #HERE'),
    qr/mastra_auth_claim/, 'claim: empty name');

# rules
$t->config_fails(loc('            mastra_auth_rule /x GET deny; #HERE'),
    qr/mastra_auth_rule.*deny/, 'rule: "deny" is not "allow"');
$t->config_fails(loc('            mastra_auth_rule /x GET role like admin; #HERE'),
    qr/mastra_auth_rule.*like/, 'rule: unknown operator');
$t->config_fails(loc('            mastra_auth_rule /x GET role ~ "("; #HERE'),
    qr/mastra_auth_rule/, 'rule: bad regex');
$t->config_fails(loc('            mastra_auth_rule x GET allow; #HERE'),
    qr/mastra_auth_rule.*"x"/, 'rule: pattern without a leading slash');
$t->config_fails(loc('            mastra_auth_rule /x allow; #HERE'),
    qr/mastra_auth_rule/, 'rule: methods missing');
$t->config_fails(loc('            mastra_auth_rule /x GET role = ; #HERE'),
    qr/mastra_auth_rule/, 'rule: value missing');

# token sources
for my $src ('query', 'query=', 'cookie', 'cookie=', 'bogus', 'header=x',
    'Header')
{
    $t->config_fails(loc("            mastra_auth_token_source $src; #HERE"),
        qr/mastra_auth_token_source.*"\Q$src\E"/, "token source: $src refused");
}

# route patterns
for my $p ('api/health', '/api//x', '/api/*x', '/api/**x', '/api/:', '/api/:-x',
    '')
{
    $t->config_fails(loc(qq(            mastra_auth_public "$p"; #HERE)),
        qr/mastra_auth_public.*"\Q$p\E"/, "public: pattern '$p' refused");
}
$t->config_fails(loc('            mastra_auth_protected api; #HERE'),
    qr/mastra_auth_protected.*"api"/, 'protected: pattern without a slash');

# enumerations and flags
for my $case ([ 'mastra_auth_preflight', 'maybe' ], [ 'mastra_auth_mode', 'audit' ],
    [ 'mastra_auth_default', 'open' ], [ 'mastra_auth_dev_playground', 'yes' ],
    [ 'mastra_auth_encoded_slashes', 'maybe' ])
{
    my ($d, $v) = @$case;
    $t->config_fails(loc("            $d $v; #HERE"),
        qr/^(?=.*"\Q$d\E")(?=.*"\Q$v\E")/, "$d $v refused, both named");
}

# what a team set on its Better Auth server: names, paths and versions that
# Better Auth could not have; the value shown is the one refused
for my $case (
    [ 'mastra_auth_better_auth_secure_cookies', 'maybe', 'maybe' ],
    [ 'mastra_auth_better_auth_cookie_prefix', '"my;app"', 'my;app' ],
    [ 'mastra_auth_better_auth_cookie_prefix', '"my app"', 'my app' ],
    [ 'mastra_auth_better_auth_cookie_prefix', '""', '' ],
    [ 'mastra_auth_better_auth_cookie_name', 'session_id sid', 'session_id' ],
    [ 'mastra_auth_better_auth_cookie_name', 'session_token "s=id"', 's=id' ],
    [ 'mastra_auth_better_auth_base_path', 'api/auth', 'api/auth' ],
    [ 'mastra_auth_better_auth_base_path', '"/api/auth?x=1"', '/api/auth?x=1' ],
    [ 'mastra_auth_better_auth_cookie_cache_version', '"v 2"', 'v 2' ],
    [ 'mastra_auth_better_auth_cookie_cache_version', '""', '' ])
{
    my ($d, $v, $shown) = @$case;
    $t->config_fails(loc("            $d $v; #HERE"),
        qr/^(?=.*"\Q$d\E")(?=.*"\Q$shown\E")/, "$d $v refused, both named");
}
$t->config_fails(loc('            mastra_auth_better_auth_cookie_prefix a; '
    . 'mastra_auth_better_auth_cookie_prefix b; #HERE'),
    qr/mastra_auth_better_auth_cookie_prefix.*duplicate/, 'cookie prefix twice');
$t->config_fails(loc('            mastra_auth_better_auth_cookie_name session_data a; '
    . 'mastra_auth_better_auth_cookie_name session_data b; #HERE'),
    qr/mastra_auth_better_auth_cookie_name.*duplicate/, 'a cookie name twice');
$t->config_ok(loc(<<'EOF'), 'Better Auth settings: accepted');
            mastra_auth_better_auth_cookie_prefix myapp;
            mastra_auth_better_auth_cookie_name session_token sid;
            mastra_auth_better_auth_cookie_name session_data __Host-data;
            mastra_auth_better_auth_base_path /auth/v1/;
            mastra_auth_better_auth_secure_cookies on;
            mastra_auth_better_auth_cookie_cache_version 2026-12;
EOF

# realm: it goes into a quoted-string (RFC 7235)
$t->config_fails(loc(q(            mastra_auth_realm 'a"b'; #HERE)),
    qr/mastra_auth_realm/, 'realm with a double quote refused');
$t->config_fails(loc(q(            mastra_auth_realm "a\\\\b"; #HERE)),
    qr/mastra_auth_realm/, 'realm with a backslash refused');

# arguments and duplicates
$t->config_fails(loc('            mastra_auth_issuer; #HERE'),
    qr/mastra_auth_issuer/, 'issuer without a value');
$t->config_fails(loc('            mastra_auth_audience; #HERE'),
    qr/mastra_auth_audience/, 'audience without a value');
$t->config_fails(loc('            mastra_auth_secret a b; #HERE'),
    qr/mastra_auth_secret/, 'secret with two values');
$t->config_fails(loc('            mastra_auth_provider jwt; #HERE'),
    qr/mastra_auth_provider.*duplicate/, 'provider twice in a location');
$t->config_fails(loc('            mastra_auth_realm a; mastra_auth_realm b; #HERE'),
    qr/mastra_auth_realm.*duplicate/, 'realm twice in a location');

# OAuth protected resources (docs/mcp.md)
for my $case (
    [ '/api/mcp', 'not an absolute' ],
    [ 'mcp.example.com/mcp', 'not an absolute' ],
    [ 'ftp://mcp.example.com/mcp', 'not an absolute' ],
    [ 'https://', 'no host' ],
    [ 'https:///mcp', 'no host' ],
    [ 'https://mcp.example.com/mcp#x', 'fragment' ],
    [ 'https://mcp.example.com/mcp?x=1', 'query' ],
    [ 'https://user:pw@mcp.example.com/mcp', 'user information' ],
    [ 'https://mcp.example.com/a%zz', 'percent escape' ],
    [ 'https://mcp.example.com/a"b', 'character' ],
    [ 'https://mcp.example.com/a\\\\b', 'character' ],
    [ 'https://mcp.example.com/a b', 'character' ])
{
    my ($v, $why) = @$case;
    (my $shown = $v) =~ s/\\\\/\\/g;
    $t->config_fails(loc(qq(            mastra_auth_resource '$v'; #HERE)),
        qr/^(?=.*"mastra_auth_resource")(?=.*"\Q$shown\E")(?=.*\Q$why\E)/,
        "resource $v refused: $why");
}
$t->config_fails(loc('            mastra_auth_authorization_server https://a.example/ '
    . 'https://b.example/?tenant=1; #HERE'),
    qr/^(?=.*"mastra_auth_authorization_server")(?=.*"https:\/\/b\.example\/\?tenant=1")/,
    'authorization server with a query refused');
$t->config_fails(loc('            mastra_auth_authorization_server issuer; #HERE'),
    qr/"mastra_auth_authorization_server".*"issuer"/,
    'authorization server not a URL refused');
for my $v (q('a"b'), q("a\\\\b"), q("a b"), q(""), qq("caf\x{c3}\x{a9}")) {
    $t->config_fails(loc("            mastra_auth_scope read $v; #HERE"),
        qr/"mastra_auth_scope".*invalid scope/, "scope $v refused");
}
$t->config_fails(loc('            mastra_auth_resource https://a.example/x; '
    . 'mastra_auth_resource https://a.example/y; #HERE'),
    qr/mastra_auth_resource.*duplicate/, 'resource twice in a location');
$t->config_fails(loc('            mastra_auth_resource_name a; mastra_auth_resource_name b; #HERE'),
    qr/mastra_auth_resource_name.*duplicate/, 'resource name twice');
$t->config_fails(loc('            mastra_auth_resource_name ""; #HERE'),
    qr/mastra_auth_resource_name.*empty/, 'empty resource name');
$t->config_fails(loc("            mastra_auth_resource https://a.example/x; #HERE\n"
    . "            mastra_auth_authorization_server https://as.example;\n"
    . "            mastra_auth_resource_name \"bad \xff byte\";"),
    qr/"mastra_auth_resource_name".*UTF-8/, 'resource name not in UTF-8');
$t->config_fails(loc('            mastra_auth_resource https://a.example/x; #HERE'),
    qr/"mastra_auth_resource".*needs "mastra_auth_authorization_server"/,
    'jwt names no issuer: the authorization server is needed');
$t->config_ok(loc("            mastra_auth_resource https://a.example/x;\n"
    . "            mastra_auth_issuer https://as.example;"),
    'jwt with an issuer: the authorization server is the issuer');

# the metadata location: in a location, with a resource in its server
sub server {
    my ($body) = @_;
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    server {
        listen 127.0.0.1:%%PORT_1%%;
        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_authorization_server https://as.example;
$body
    }
    server {
        listen 127.0.0.1:%%PORT_2%%;
        location /api/ {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_authorization_server https://as.example;
            mastra_auth_resource https://other.example/api;
        }
    }
}
EOF
}
$t->config_fails(server(<<'EOF'),
        location /.well-known/oauth-protected-resource/ {
            mastra_auth_resource_metadata; #HERE
        }
EOF
    qr/"mastra_auth_resource_metadata".*no location of this server/,
    'metadata without a resource in its server (another server has one)');
$t->config_fails(server(<<'EOF'),
        location /api/ {
            mastra_auth_provider off;
            mastra_auth_resource https://a.example/api;
        }
        location /.well-known/oauth-protected-resource/ {
            mastra_auth_resource_metadata; #HERE
        }
EOF
    qr/"mastra_auth_resource_metadata".*no location of this server/,
    'metadata: a resource no location checks does not count');
$t->config_fails(server(<<'EOF'),
        mastra_auth_resource_metadata; #HERE
EOF
    qr/"mastra_auth_resource_metadata" directive is not allowed here/,
    'metadata in a server block: not allowed');
$t->config_fails(server(<<'EOF'),
        location /a/ {
            mastra_auth_resource https://a.example/api;
            mastra_auth_scope read;
        }
        location /b/ {
            mastra_auth_resource https://a.example/api; #HERE
            mastra_auth_scope write;
        }
EOF
    qr/"mastra_auth_resource" "https:\/\/a\.example\/api".*described differently/,
    'one resource, two descriptions');
$t->config_fails(server(<<'EOF'),
        location /a/ {
            mastra_auth_resource https://a.example/api;
        }
        location /b/ {
            mastra_auth_resource https://b.example/api; #HERE
        }
EOF
    qr/"mastra_auth_resource" "https:\/\/b\.example\/api".*same metadata path/,
    'two resources, one metadata path');
$t->config_ok(server(<<'EOF'), 'a server-level resource seen by every location');
        mastra_auth_resource https://a.example/api;
        mastra_auth_scope read;
        location /a/ {
        }
        location /b/ {
            mastra_auth_claim role = admin;
        }
        location /health {
            mastra_auth_provider off;
        }
        location /.well-known/oauth-protected-resource/ {
            mastra_auth_resource_metadata;
        }
EOF

# contexts
$t->config_fails(<<'EOF', qr/mastra_auth_provider.*not allowed here/,
%%TEST_GLOBALS%%
mastra_auth_provider jwt; #HERE
events {
}
http {
}
EOF
    'not allowed in the main context');

$t->config_fails(<<'EOF', qr/mastra_auth_bogus/, 'unknown directive');
%%TEST_GLOBALS%%
events {
}
http {
    mastra_auth_bogus on; #HERE
}
EOF

$t->finish;

done_testing;
