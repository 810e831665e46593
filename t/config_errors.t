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

        location / {
            mastra_auth_provider off;
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
