#!/usr/bin/perl

# nginx-mastra-auth: the answers (docs/answers.md): status, JSON body,
# WWW-Authenticate (RFC 6750 section 3), realm, HEAD, error_page, satisfy,
# and the one info line per refusal that never holds the token.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my $t = Mastra::Nginx->new;

mkdir $t->testdir . '/html';
$t->write_file('html/custom401.html', "custom 401 page\n");
$t->write_file('html/custom403.html', "custom 403 page\n");

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

        location /realm/ {
            mastra_auth_realm "my api";
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /errpage/ {
            error_page 401 /custom401.html;
            error_page 403 /custom403.html;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location = /custom401.html {
            mastra_auth_provider off;
            root %%TESTDIR%%/html;
        }

        location = /custom403.html {
            mastra_auth_provider off;
            root %%TESTDIR%%/html;
        }

        location /named/ {
            error_page 401 = \@login;
            %%AUTH_PROXY%%
        }

        location \@login {
            return 302 /login;
        }

        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            %%AUTH_PROXY%%
        }

        location /anydeny/ {
            satisfy any;
            deny all;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /alldeny/ {
            satisfy all;
            deny all;
            %%AUTH_PROXY%%
        }

        location /allallow/ {
            satisfy all;
            allow 127.0.0.1;
            deny all;
            %%AUTH_PROXY%%
        }

        location /ret/ {
            return 200 "returned\\n";
        }
    }
}
EOF

my $now = time;
my $admin = mint($S, claims(role => 'admin'));
my $user = mint($S, claims(role => 'user'));
my $expired = mint($S, claims(exp => $now - 10));
my $forged = mint(random_secret(32), claims(role => 'admin'));

my %ANSWER = (
    missing => [ 401, '{"error":"Authentication required"}', '' ],
    invalid => [ 401, '{"error":"Invalid or expired token"}',
        ', error="invalid_token"' ],
    forbidden => [ 403, '{"error":"Access denied"}',
        ', error="insufficient_scope"' ],
);

sub answer_is {
    my ($r, $kind, $name, %o) = @_;
    my ($status, $body, $err) = @{ $ANSWER{$kind} };
    my $realm = defined $o{realm} ? $o{realm} : 'mastra';

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    is($r->status, $status, "$name: status");
    like($r->header('content-type'), qr{^application/json(?:;|$)},
        "$name: content type");
    is($r->header('www-authenticate'), qq{Bearer realm="$realm"$err},
        "$name: WWW-Authenticate");

    if ($o{head}) {
        is($r->body, '', "$name: no body");
        is($r->header('content-length'), length $body,
            "$name: Content-Length of the GET body");
    } else {
        is($r->body, $body, "$name: body");
        is($r->header('content-length'), length $body, "$name: Content-Length");
    }
}

sub req {
    my ($method, $uri, $token) = @_;
    return $t->request(method => $method, uri => $uri,
        headers => [ $token ? (Authorization => "Bearer $token") : () ]);
}

# the three refusals
answer_is(req(GET => '/api/x'), 'missing', 'no token');
answer_is(req(GET => '/api/x', $forged), 'invalid', 'bad signature');
answer_is(req(GET => '/api/x', $expired), 'invalid', 'expired');
answer_is(req(GET => '/api/x', 'a.b'), 'invalid', 'malformed');
answer_is(req(GET => '/api/x', $user), 'forbidden', 'claim fails');
answer_is(req(POST => '/api/x', $user), 'forbidden', 'claim fails, POST');
is(req(GET => '/api/x', $admin)->status, 200, 'control: admin passes');

# realm
answer_is(req(GET => '/realm/x'), 'missing', 'realm, no token',
    realm => 'my api');
answer_is(req(GET => '/realm/x', $forged), 'invalid', 'realm, invalid',
    realm => 'my api');
answer_is(req(GET => '/realm/x', $user), 'forbidden', 'realm, forbidden',
    realm => 'my api');

# HEAD: same status and headers, no body (P10)
answer_is(req(HEAD => '/api/x'), 'missing', 'HEAD no token', head => 1);
answer_is(req(HEAD => '/api/x', $expired), 'invalid', 'P10 HEAD expired',
    head => 1);
answer_is(req(HEAD => '/api/x', $user), 'forbidden', 'HEAD forbidden',
    head => 1);
is(req(HEAD => '/api/x', $admin)->status, 200, 'HEAD admin passes');

# bad path: 400 JSON
{
    my $r = req(GET => '/api/a%2Fb', $admin);
    is($r->status, 400, 'bad path: 400');
    is($r->body, '{"error":"Invalid request path"}', 'bad path: body');
    like($r->header('content-type'), qr{^application/json}, 'bad path: type');
    is($r->header('www-authenticate'), undef, 'bad path: no challenge');
    $r = req(HEAD => '/api/a%2Fb');
    is($r->status . '|' . $r->body, '400|', 'bad path: HEAD, no body');
}

# an error_page for the code wins over our body
{
    my $r = req(GET => '/errpage/x');
    is($r->status, 401, 'error_page 401: status kept');
    is($r->body, "custom 401 page\n", 'error_page 401: its body');
    like($r->header('www-authenticate') // '', qr/^Bearer realm="mastra"/,
        'error_page 401: the challenge stays');

    $r = req(GET => '/errpage/x', $forged);
    is($r->status . ' ' . $r->body, "401 custom 401 page\n",
        'error_page 401: invalid token');

    $r = req(GET => '/errpage/x', $user);
    is($r->status . ' ' . $r->body, "403 custom 403 page\n",
        'error_page 403: its body');

    $r = req(GET => '/errpage/x', $admin);
    is($r->status, 200, 'error_page: admin passes');

    $r = req(GET => '/named/x');
    is($r->status, 302, 'error_page 401 = @named: the named location answers');
    like($r->header('location') // '', qr{/login$}, 'error_page: redirect');
}

# satisfy any: another access module may grant access
{
    my $r = req(GET => '/any/x');
    is($r->status, 200, 'satisfy any, allow 127.0.0.1: no token passes');
    is($r->echo->{backend}, 'echo', 'satisfy any: reached the backend');

    $r = req(GET => '/any/x', $forged);
    is($r->status, 200, 'satisfy any, allow 127.0.0.1: bad token passes');

    $r = req(GET => '/anydeny/x');
    is($r->status, 401, 'satisfy any, deny all: no token 401');
    is($r->header('www-authenticate'), 'Bearer realm="mastra"',
        'satisfy any, deny all: challenge');

    $r = req(GET => '/anydeny/x', $forged);
    is($r->status, 401, 'satisfy any, deny all: bad token 401');

    $r = req(GET => '/anydeny/x', $user);
    is($r->status, 403, 'satisfy any, deny all: claim fails 403');

    $r = req(GET => '/anydeny/x', $admin);
    is($r->status, 200, 'satisfy any, deny all: valid token passes');

    $r = req(GET => '/alldeny/x', $admin);
    is($r->status, 403, 'satisfy all, deny all: valid token still 403');

    $r = req(GET => '/allallow/x');
    is($r->status, 401, 'satisfy all, allow: no token 401');
    $r = req(GET => '/allallow/x', $admin);
    is($r->status, 200, 'satisfy all, allow: token passes');
}

# the rewrite phase runs before the check (documented in docs/installing.md)
is(req(GET => '/ret/x')->status, 200, 'return runs before the access phase');

# one info line per refusal: reason, kid, iss, alg; never the token
{
    my $kid = 'answers-kid-' . int(rand 1e9);
    my $tok = mint($S, claims(exp => $now - 10, iss => 'https://iss.answers/'),
        header => { kid => $kid });
    req(GET => '/api/x', $tok);

    my @lines = $t->grep_log(qr/\Q$kid\E/);
    is(scalar @lines, 1, 'one log line names the kid');
    my $line = $lines[0] // '';
    like($line, qr/\[info\]/, 'the line is at info');
    like($line, qr/token_expired/, 'the line names the reason');
    like($line, qr{https://iss\.answers/}, 'the line names iss');
    like($line, qr/HS256/, 'the line names alg');
    my $sig = (split_token($tok))[2];
    my ($h, $p) = split_token($tok);
    ok(index($line, $sig) < 0 && index($line, $p) < 0,
        'the line holds no part of the token');

    $kid = 'answers-kid-' . int(rand 1e9);
    $tok = mint($S, claims(role => 'user'), header => { kid => $kid });
    req(GET => '/api/x', $tok);
    @lines = $t->grep_log(qr/\Q$kid\E/);
    is(scalar @lines, 1, 'forbidden: one log line');
    like($lines[0] // '', qr/\[info\].*claim_failed/, 'forbidden: reason');

    @lines = $t->grep_log(qr/\[info\].*token_missing/);
    ok(scalar @lines >= 1, 'missing token: info line');
}

# keep-alive: each request on a connection is decided on its own
{
    my $req = sub {
        my ($uri, $token, $close) = @_;
        return "GET $uri HTTP/1.1\r\nHost: localhost\r\n"
            . ($token ? "Authorization: Bearer $token\r\n" : '')
            . ($close ? "Connection: close\r\n" : '') . "\r\n";
    };
    my @r = $t->pipelined($req->('/api/a', $admin), $req->('/api/b'),
        $req->('/api/c', $user), $req->('/api/d', $forged),
        $req->('/api/e', $admin, 1));
    is(join(' ', map { $_->status } @r), '200 401 403 401 200',
        'keep-alive: no decision carries over to the next request');
}

# header fields of a refused token cannot forge log lines
{
    my $mark = 'INJECTED' . int(rand 1e9);
    my $evil = random_secret(32);
    req(GET => '/api/x', craft($evil,
        { alg => 'HS256', kid => "k\n$mark-kid [alert] 1#1: x" },
        claims(iss => "i\r\n$mark-iss")));
    req(GET => '/api/x', craft($S, { alg => "HS512\n$mark-alg" }, claims()));
    my @forged = grep { /^\Q$mark\E/ } split /\n/, $t->error_log;
    ok(!@forged, 'no log line starts with header text') or diag("@forged");
    ok(scalar($t->grep_log(qr/\[info\].*mastra_auth.*\Q$mark\E-kid/)),
        'the kid is logged on the refusal line itself');
}

$t->log_lacks($S, 'secret not logged');
$t->log_lacks((split_token($admin))[2], 'token not logged');

$t->finish;

done_testing;
