#!/usr/bin/perl

# nginx-mastra-auth: route lists (docs/routes-and-rules.md;
# t/catalogue.t's rows P1-P4, P8, P9): Mastra's matcher on nginx's normalized
# $uri, public wins, neither list -> mastra_auth_default, backslash and %2F ->
# 400.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my $t = Mastra::Nginx->new;

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

        location / {
            mastra_auth_public /api/health;
            mastra_auth_public /api/public/*;
            mastra_auth_public /api/items/:id;
            mastra_auth_public /api/opt/:id?;
            mastra_auth_public /api/docs/*?;
            mastra_auth_public /api/files/:name.json;
            mastra_auth_public /api/v1.0/status;
            mastra_auth_public /api/tuple GET POST;
            mastra_auth_public /api/both;
            mastra_auth_protected /api/both;
            mastra_auth_public /mid/*/end;
            mastra_auth_public /api/star/**;
            %%AUTH_PROXY%%
        }

        location /slashes/ {
            mastra_auth_encoded_slashes allow;
            mastra_auth_public /slashes/public/*;
            %%AUTH_PROXY%%
        }

        location /refuse/ {
            mastra_auth_encoded_slashes refuse;
            mastra_auth_public /refuse/*;
            %%AUTH_PROXY%%
        }

        location /def/ {
            mastra_auth_default public;
            mastra_auth_protected /def/secure/*;
            mastra_auth_protected /def/things POST;
            %%AUTH_PROXY%%
        }

        location /defprot/ {
            mastra_auth_default protected;
            mastra_auth_public /defprot/open;
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_public /inh/a;
        mastra_auth_public /inh2/a;

        location /inh/ {
            mastra_auth_public /inh/b;
            %%AUTH_PROXY%%
        }

        location /inh2/ {
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $good = mint($S, claims());

sub req {
    my ($method, $uri, %o) = @_;
    my @h = $o{token} ? (Authorization => "Bearer $o{token}") : ();
    return $t->request(method => $method, uri => $uri, headers => \@h,
        port => $o{port});
}

sub route_is {
    my ($uri, $expect, $name, %o) = @_;
    my $fields = my @f = split / /, $expect;
    my $r = req($o{method} || 'GET', $uri, %o);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome($fields), $expect, $name || "$uri: $expect");
    return $r;
}

my $PUB = '200 public';
my $MISS = '401 missing';
my $BAD = '400 invalid bad_path';

# the baseline
route_is('/api/agents', '401 missing token_missing', 'protected path, no token');
route_is('/api/agents', '200 ok', 'protected path, token', token => $good);

# P1
route_is('/api/health', $PUB, 'P1 exact public path');
route_is('/api/health/', $PUB, 'P1 one trailing slash ignored');
route_is('/API/health', $PUB, 'P1 case-insensitive');
route_is('/api/HEALTH', $PUB, 'P1 case-insensitive, last segment');
route_is('/api/health;x', $MISS, 'P1 ";x" is part of the segment');
route_is('/api/healthx', $MISS, 'P1 longer segment');
route_is('/api/healt', $MISS, 'P1 shorter segment');
route_is('/api/health/x', $MISS, 'P1 one more segment');
route_is('/api/health//', $PUB, 'P1 two trailing slashes, merged by nginx');
route_is('/api', $MISS, '/api matches neither list: protected');
route_is('/', $MISS, '/ matches neither list: protected');

# P2: nginx normalizes, the decision follows
route_is('//api//health', $PUB, 'P2 merged slashes');
route_is('/api/x/../health', $PUB, 'P2 dot-dot resolved');
route_is('/api/./health', $PUB, 'P2 dot resolved');
route_is('/api/%68ealth', $PUB, 'P2 percent-encoded letter decoded');

# P3: climbing out of a public prefix
route_is('/api/health/../agents', $MISS, 'P3 /api/health/../agents');
route_is('/api/public/../agents', $MISS, 'P3 /api/public/../agents');
route_is('/api/health%2F..%2Fagents', $BAD, 'P3 %2F..%2F');
route_is('/api/public/%2e%2e/agents', $MISS, 'P3 %2e%2e');
route_is('/api/public/%2E%2E/agents', $MISS, 'P3 %2E%2E');
route_is('/api/public/.%2e/agents', $MISS, 'P3 .%2e');
route_is('/api/public;/../agents', $MISS, 'P3 public;/../');

# P4: backslashes, raw or encoded
my $r = route_is('/api/public/..\\agents', $BAD, 'P4 raw backslash');
is($r->body, '{"error":"Invalid request path"}', 'P4 body');
like($r->header('content-type'), qr{^application/json}, 'P4 content type');
route_is('/api/public/..%5Cagents', $BAD, 'P4 %5C');
route_is('/api/public/..%5cagents', $BAD, 'P4 %5c');
route_is('/api/health\\', $BAD, 'P4 trailing backslash');
route_is('/api/public/..\\agents', $BAD, 'P4 refused even with a token',
    token => $good);
route_is('/api/agents?x=\\', $MISS, 'P4 backslash in the query only: not a path');

# encoded slashes
route_is('/api/public/a%2Fb', $BAD, '%2F refused');
route_is('/api/public/a%2fb', $BAD, '%2f refused');
route_is('/api/agents%2F', $BAD, '%2F at the end refused', token => $good);
route_is('/api/health?x=%2F', $PUB, '%2F in the query only');
route_is('/refuse/a%2Fb', $BAD, 'mastra_auth_encoded_slashes refuse');
route_is('/slashes/public/a%2Fb', $PUB, 'encoded_slashes allow: %2F passes');
route_is('/slashes/x%2Fy', '401 missing token_missing',
    'encoded_slashes allow: then the route rules decide');
route_is('/slashes/x%2Fy', '200 ok', 'encoded_slashes allow: with a token',
    token => $good);
route_is('/slashes/public/%5C', $BAD,
    'encoded_slashes allow: a backslash is still refused');

# P8: the query string and fragments never take part
route_is('/api/agents?x=/api/health', $MISS, 'P8 public path in the query');
route_is('/api/agents?/api/health', $MISS, 'P8 ?/api/health');
route_is('/api/agents#/../health', $MISS, 'P8 #/../health');
route_is('/api/public/x%23/../../agents', $MISS, 'P8 %23/../../');
route_is('/api/health?x=1', $PUB, 'P8 query on a public path');
route_is('/api/health?/../agents', $PUB, 'P8 /../ in the query');

# P9: NUL
$r = req('GET', '/api/health%00');
is($r->status, 400, 'P9 %00: 400');
$r = req('GET', '/api/public/x%00y', token => $good);
is($r->status, 400, 'P9 %00 with a token: 400');

# wildcards
route_is('/api/public', $MISS, '* needs the slash: /api/public');
route_is('/api/public/', $PUB, '* matches /api/public/');
route_is('/api/public/x', $PUB, '* matches one segment');
route_is('/api/public/x/y/z', $PUB, '* matches several segments');
route_is('/API/PUBLIC/X', $PUB, '* case-insensitive prefix');
route_is('/api/publicx/y', $MISS, '* after a literal is not a prefix');
route_is('/api/docs', $PUB, '*? optional: /api/docs');
route_is('/api/docs/', $PUB, '*? optional: /api/docs/');
route_is('/api/docs/a/b', $PUB, '*? optional: /api/docs/a/b');
route_is('/api/docsx', $MISS, '*? optional: /api/docsx');
route_is('/api/star/a/b', $PUB, '** as *');
route_is('/api/star', $MISS, '** as *: needs the slash');
route_is('/mid/x/end', $PUB, '* in the middle: one segment');
route_is('/mid/x/y/end', $PUB, '* in the middle crosses "/"');
route_is('/mid/end', $MISS, '* in the middle: needs a segment');
route_is('/mid/x/endx', $MISS, '* in the middle: literal after it');

# parameters
route_is('/api/items/42', $PUB, ':id matches one segment');
route_is('/api/items/42/', $PUB, ':id with a trailing slash');
route_is('/api/items', $MISS, ':id needs a segment');
route_is('/api/items/', $MISS, ':id needs a non-empty segment');
route_is('/api/items/42/x', $MISS, ':id is one segment only');
route_is('/api/opt', $PUB, ':id? absent');
route_is('/api/opt/1', $PUB, ':id? present');
route_is('/api/opt/1/2', $MISS, ':id? one segment only');
route_is('/api/files/report.json', $PUB, ':name.json');
route_is('/api/files/report.JSON', $PUB, ':name.json case-insensitive');
route_is('/api/files/report.txt', $MISS, ':name.json, other extension');
route_is('/api/files/.json', $MISS, ':name.json needs a name');

# literals are literal (Mastra's regex would let "." match any character)
route_is('/api/v1.0/status', $PUB, 'literal with a dot');
route_is('/api/v1x0/status', $MISS, 'the dot is not a regex wildcard');

# method tuples, exact
route_is('/api/tuple', $PUB, 'tuple GET', method => 'GET');
route_is('/api/tuple', $PUB, 'tuple POST', method => 'POST');
route_is('/api/tuple', $MISS, 'tuple: DELETE not listed', method => 'DELETE');
route_is('/api/tuple', $MISS, 'tuple: PUT not listed', method => 'PUT');
route_is('/api/tuple', $MISS, 'tuple: custom method not listed',
    method => 'PURGE');

# public wins over protected
route_is('/api/both', $PUB, 'public and protected: public wins');

# mastra_auth_default
route_is('/def/x', $PUB, 'default public: unlisted path');
route_is('/def/secure/x', $MISS, 'default public: protected entry');
route_is('/def/secure/x', '200 ok', 'default public: protected entry, token',
    token => $good);
route_is('/def/secure', $PUB, 'default public: /def/secure/* needs the slash');
route_is('/def/things', $PUB, 'default public: protected entry for POST, GET',
    method => 'GET');
route_is('/def/things', $MISS, 'default public: protected entry for POST',
    method => 'POST');
route_is('/defprot/x', $MISS, 'default protected: unlisted path');
route_is('/defprot/open', $PUB, 'default protected: public entry');

# a list at a lower level replaces the inherited one
route_is('/inh/a', $MISS, 'location list replaces the server list', port => 2);
route_is('/inh/b', $PUB, 'location list applies', port => 2);
route_is('/inh2/a', $PUB, 'server list inherited', port => 2);
route_is('/inh2/b', $MISS, 'inherited list: other path protected', port => 2);

$t->finish;

done_testing;
