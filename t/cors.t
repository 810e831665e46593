#!/usr/bin/perl

# nginx-mastra-auth: CORS headers on the answers the module gives
# (mastra_auth_cors, mastra_auth_cors_origin) and preflights nginx answers
# itself (mastra_auth_preflight answer); docs/answers.md.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);

my $S = random_secret(32);
my $stranger = ec_key('P-256');

my $t = Mastra::Nginx->new;

mkdir $t->testdir . '/html';
$t->write_file('html/err.html', "custom page\n");

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

        location /api/ {
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /off/ {
            mastra_auth_cors off;
            mastra_auth_preflight authenticate;
            %%AUTH_PROXY%%
        }

        location /listed/ {
            mastra_auth_cors_origin https://App.Example http://127.0.0.1:3000;
            %%AUTH_PROXY%%
        }

        location /errpage/ {
            error_page 401 /err.html;
            %%AUTH_PROXY%%
        }

        location = /err.html {
            mastra_auth_provider off;
            root %%TESTDIR%%/html;
        }

        location /answer/ {
            mastra_auth_preflight answer;
            %%AUTH_PROXY%%
        }

        location /answerlisted/ {
            mastra_auth_preflight answer;
            mastra_auth_cors_origin https://app.example;
            %%AUTH_PROXY%%
        }

        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location /down/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_timeout 1s;
            mastra_auth_jwks_uri http://127.0.0.1:%%PORT_8%%/keys.json;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $admin = mint($S, claims(role => 'admin'));
my $user = mint($S, claims(role => 'user'));
my $O = 'https://app.example';
my $EXPOSE = 'Content-Length, X-Requested-With, WWW-Authenticate';

sub req {
    my ($method, $uri, @headers) = @_;
    return $t->request(method => $method, uri => $uri, headers => \@headers);
}

# the four CORS headers of a refusal, as one string
sub cors_of {
    my ($r) = @_;
    return join ' | ', map { $r->header($_) // '-' }
        'Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials',
        'Access-Control-Expose-Headers', 'Vary';
}

my $FULL = "$O | true | $EXPOSE | Origin";
my $NONE = '- | - | - | -';

###############################################################################
# every code the module answers

my $r = req(GET => '/api/x', Origin => $O);
is($r->status, 401, '401: status');
is(cors_of($r), $FULL, '401: CORS headers');
like($r->body, qr/Authentication required/, '401: the body stays');

$r = req(GET => '/api/x', Origin => $O, Authorization => "Bearer $user");
is($r->status . ' ' . cors_of($r), "403 $FULL", '403: CORS headers');

$r = req(GET => '/api/a%2Fb', Origin => $O);
is($r->status . ' ' . cors_of($r), "400 $FULL", '400: CORS headers');

$r = $t->request(uri => '/down/x', port => 2, headers => [ Origin => $O,
    Authorization => 'Bearer ' . signed($stranger, 'ES256', claims(), kid => 'k1') ]);
is($r->status . ' ' . cors_of($r), "503 $FULL", '503: CORS headers')
    or diag($r->raw);
like($r->header('Retry-After') // '', qr/^\d+$/, '503: Retry-After stays');

$r = req(GET => '/api/x', Origin => $O, Authorization => "Bearer $admin");
is($r->status . ' ' . cors_of($r), "200 $NONE",
    'a passed request: the module adds nothing');

# no Origin, no header at all
$r = req(GET => '/api/x');
is($r->status . ' ' . cors_of($r), "401 $NONE", 'no Origin: no CORS header');

# the value reflected is the request's own, once
$r = req(GET => '/api/x', Origin => 'http://localhost:3000');
is($r->header('Access-Control-Allow-Origin'), 'http://localhost:3000',
    'another origin is reflected');
is(scalar(my @v = $r->header('Vary')), 1, 'Vary: one line');

# what is never reflected
for my $bad ('null', '*', 'https://app.example/path', 'https://a.example, https://b.example',
    'https://a.example x', 'javascript:alert(1)', 'https://', "https://a\x01b.example")
{
    (my $name = $bad) =~ s/([^ -~])/sprintf('\\x%02x', ord $1)/ge;
    $r = req(GET => '/api/x', Origin => $bad);
    is($r->status . ' ' . cors_of($r), "401 - | - | - | Origin",
        "Origin '$name': not reflected");
}

$r = req(GET => '/api/x', Origin => $O, Origin => 'https://evil.example');
is(cors_of($r), '- | - | - | Origin', 'two Origin headers: none reflected');

# HEAD
$r = $t->http("HEAD /api/x HTTP/1.1\r\nHost: localhost\r\nOrigin: $O\r\n"
    . "Connection: close\r\n\r\n");
is($r->status . ' ' . cors_of($r), "401 $FULL", 'HEAD: CORS headers');
is($r->body, '', 'HEAD: no body');

# error_page keeps them, as it keeps the challenge
$r = req(GET => '/errpage/x', Origin => $O);
is($r->status . ' ' . cors_of($r), "401 $FULL", 'error_page: CORS headers');
is($r->body, "custom page\n", 'error_page: its body');

# satisfy any: another module may grant access, so nothing is added
$r = req(GET => '/any/x', Origin => $O);
is($r->status . ' ' . cors_of($r), "200 $NONE",
    'satisfy any: granted by allow, no CORS header of ours');

# off
$r = req(GET => '/off/x', Origin => $O);
is($r->status . ' ' . cors_of($r), "401 $NONE", 'cors off: no CORS header');

###############################################################################
# mastra_auth_cors_origin

for my $o ('https://app.example', 'HTTPS://APP.EXAMPLE', 'http://127.0.0.1:3000') {
    $r = req(GET => '/listed/x', Origin => $o);
    is(cors_of($r), "$o | true | $EXPOSE | Origin", "listed origin $o");
}

for my $o ('https://app.example:443', 'http://app.example', 'https://app.example.evil',
    'http://127.0.0.1:30000', 'https://evil.example')
{
    $r = req(GET => '/listed/x', Origin => $o);
    is($r->status . ' ' . cors_of($r), '401 - | - | - | Origin',
        "unlisted origin $o: no CORS header");
}

###############################################################################
# mastra_auth_preflight answer

my @PRE = ('Access-Control-Request-Method' => 'POST',
    'Access-Control-Request-Headers' => 'authorization, x-custom');

sub preflight_of {
    my ($r) = @_;
    return join ' | ', map { $r->header($_) // '-' }
        'Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials',
        'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
        'Access-Control-Max-Age', 'Vary';
}

my $BASE = 'Content-Type, Authorization, A2A-Version, x-mastra-client-type, '
    . 'x-mastra-dev-playground';
my $METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

$r = req(OPTIONS => '/answer/x', Origin => $O, @PRE);
is($r->status, 204, 'answer: 204');
unlike($r->raw, qr/backend=/, 'answer: the upstream did not answer');
is(preflight_of($r), "$O | true | $METHODS | $BASE | 3600 | Origin",
    'answer: the preflight headers (no requested headers for an unlisted list)');
is($r->body, '', 'answer: no body');

$r = req(OPTIONS => '/answerlisted/x', Origin => $O, @PRE);
is(preflight_of($r),
    "$O | true | $METHODS | $BASE, authorization, x-custom | 3600 | Origin",
    'answer, listed origin: the requested headers are allowed too');

$r = req(OPTIONS => '/answerlisted/x', Origin => $O,
    'Access-Control-Request-Method' => 'POST',
    'Access-Control-Request-Headers' => 'a;b');
is(preflight_of($r), "$O | true | $METHODS | $BASE | 3600 | Origin",
    'answer: requested headers that are not names are not echoed');

$r = req(OPTIONS => '/answerlisted/x', Origin => 'https://evil.example', @PRE);
is($r->status . ' ' . preflight_of($r), '204 - | - | - | - | - | Origin',
    'answer, unlisted origin: 204 without CORS headers');

$r = req(OPTIONS => '/answer/x', Origin => $O);
is($r->status, 401, 'answer: OPTIONS without Access-Control-Request-Method is '
    . 'no preflight');

$r = req(OPTIONS => '/api/x', Origin => $O, @PRE);
is($r->status, 200, 'pass (default): the upstream answers the preflight');
like($r->body, qr/method=OPTIONS/, 'pass: the upstream saw the OPTIONS');

$r = req(OPTIONS => '/off/x', Origin => $O, @PRE);
is($r->status . ' ' . cors_of($r), "401 $NONE",
    'authenticate with cors off: a bare 401');

###############################################################################
# configuration errors name the directive and the value

for my $bad ('null', '*', 'https://app.example/', 'app.example',
    'https://app.example/api', 'https://user@app.example')
{
    $t->config_fails(<<"EOF",
%%TEST_GLOBALS%%
events {
}
http {
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_cors_origin https://ok.example "$bad";
        }
    }
}
EOF
        qr/mastra_auth_cors_origin.*invalid origin "\Q$bad\E"/,
        "config: origin '$bad' refused at nginx -t");
}

for my $bad ([ 'mastra_auth_cors', 'on' ], [ 'mastra_auth_preflight', 'reply' ]) {
    $t->config_fails(<<"EOF",
%%TEST_GLOBALS%%
events {
}
http {
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            $bad->[0] $bad->[1];
        }
    }
}
EOF
        qr/\Q$bad->[0]\E.*invalid value "\Q$bad->[1]\E"/,
        "config: $bad->[0] $bad->[1] refused");
}

$t->check_error_log;

done_testing();
