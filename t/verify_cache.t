#!/usr/bin/perl

# nginx-mastra-auth: the verified-token cache, mastra_auth_verify_cache
# (docs/performance.md).  A hit skips only the signature: claims at the current
# time, claim conditions with per-request values and route params are
# evaluated on every request; an entry never outlives the token's exp, never
# answers for another location's settings, never survives a key rotation
# (a refetch that changes the set), and the cache stays within its size.
# Hits and misses are read from nginx's debug log (Debian builds nginx
# --with-debug).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;

my $SECRET = random_secret(64);

my $k1 = ec_key('P-256');
my $k2 = ec_key('P-256');

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);
$ks->put('/rot.json', jwks(jwk($k1, kid => 'k1')));

my $t = Mastra::Nginx->new;

my $CA = $ca->file;
my $ROT = $ks->url('/rot.json');

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;
        error_log %%TESTDIR%%/debug.log debug;

        mastra_auth_provider jwt;
        mastra_auth_secret $SECRET;

        location /c/ {
            add_header X-Cache \$mastra_auth_cache_status always;
            %%AUTH_PROXY%%
        }

        location /off/ {
            mastra_auth_verify_cache off;
            add_header X-Cache \$mastra_auth_cache_status always;
            %%AUTH_PROXY%%
        }

        location /aud-x/ {
            mastra_auth_audience x;
            %%AUTH_PROXY%%
        }

        location /aud-y/ {
            mastra_auth_audience y;
            %%AUTH_PROXY%%
        }

        location /role/ {
            mastra_auth_claim role = \$http_x_want_role;
            %%AUTH_PROXY%%
        }

        location /api/ {
            mastra_auth_protected /api/agents/:agentId/generate;
            add_header X-Agent \$mastra_auth_param_agentId always;
            %%AUTH_PROXY%%
        }

        location /rot/ {
            mastra_auth_provider jwks;
            mastra_auth_ca_file $CA;
            mastra_auth_jwks_uri $ROT;
            mastra_auth_jwks_refresh 1s;
            %%AUTH_PROXY%%
        }
    }
}
EOF

# the debug lines of the cache since the last call
my $seen = 0;
sub cache_lines {
    my @lines = $t->grep_log(qr/verified-token cache (?:hit|miss)/, 'debug.log');
    my @new = @lines[$seen .. $#lines];
    $seen = @lines;
    return join ' ', map { /cache (hit|miss)/ ? $1 : () } @new;
}

sub outcome {
    my ($uri, $token, %headers) = @_;
    return $t->bearer($uri, $token, headers => [%headers])->outcome;
}

###############################################################################
# a hit after the first verification; off means off

my $tok = mint($SECRET, claims());
cache_lines();

is(outcome('/c/', $tok), '200 ok -', 'first request: verified');
is(outcome('/c/', $tok), '200 ok -', 'second request: ok');
is(outcome('/c/', $tok), '200 ok -', 'third request: ok');
is(cache_lines(), 'miss hit hit', 'a miss, then hits');
is($t->bearer('/c/', $tok)->header('x-cache'), 'HIT', '$mastra_auth_cache_status: HIT');
is($t->bearer('/off/', $tok)->header('x-cache'), undef,
    '$mastra_auth_cache_status: empty with the cache off');
is($t->bearer('/c/', mint($SECRET, claims(sub => 'fresh')))->header('x-cache'), 'MISS',
    '$mastra_auth_cache_status: MISS');
cache_lines();

is(outcome('/off/', $tok), '200 ok -', 'cache off: verified');
is(outcome('/off/', $tok), '200 ok -', 'cache off: again');
is(cache_lines(), '', 'cache off: never consulted');

# another signature over the same claims is another token
my @p = split /\./, $tok;
my $sig = b64u_decode($p[2]);
substr($sig, 0, 1) = chr(ord(substr($sig, 0, 1)) ^ 1);
my $flipped = join '.', @p[0, 1], b64u($sig);
is(outcome('/c/', $flipped), '401 invalid bad_signature',
    'a cached token with one signature bit flipped: 401');
is(outcome('/c/', $flipped), '401 invalid bad_signature',
    '... and again: refusals are never cached');
is(cache_lines(), 'miss miss', 'the flipped token always misses');

###############################################################################
# never past exp: a cached token expires on time

my $short_exp = int(time) + 2;
my $short = mint($SECRET, claims(exp => $short_exp));
is(outcome('/c/', $short), '200 ok -', 'short-lived token: ok');
is(outcome('/c/', $short), '200 ok -', 'short-lived token: ok from the cache');
is(cache_lines(), 'miss hit', 'short-lived token cached');
sleep 0.1 while time() < $short_exp + 0.2;
is(outcome('/c/', $short), '401 expired token_expired',
    'past its exp the cached token is refused');
is(cache_lines(), 'miss', '... its entry is gone');

###############################################################################
# one location's result never answers for another's settings

my $aud = mint($SECRET, claims(aud => 'x'));
is(outcome('/aud-x/', $aud), '200 ok -', 'audience x where x is required');
is(outcome('/aud-x/', $aud), '200 ok -', '... from the cache');
is(outcome('/aud-y/', $aud), '401 invalid audience_mismatch',
    'the same token where y is required: refused');
is(cache_lines(), 'miss hit miss', 'the other location has its own scope');

###############################################################################
# what depends on the request is evaluated on every request

my $role = mint($SECRET, claims(role => 'user'));
is(outcome('/role/', $role, 'X-Want-Role' => 'user'), '200 ok -',
    'claim condition holds');
is(outcome('/role/', $role, 'X-Want-Role' => 'admin'),
    '403 forbidden claim_failed', 'same cached token, condition fails: 403');
is(outcome('/role/', $role, 'X-Want-Role' => 'user'), '200 ok -',
    'and holds again');
is(cache_lines(), 'miss hit hit', 'the condition was evaluated on hits');

# locations with the same settings share a verifier, so its results
my $agent = mint($SECRET, claims(sub => 'agent-user'));
my $r1 = $t->bearer('/api/agents/a1/generate', $agent);
my $r2 = $t->bearer('/api/agents/a2/generate', $agent);
is($r1->status . ' ' . $r2->status, '200 200', 'route: both agents');
is($r1->header('x-agent') . ' ' . $r2->header('x-agent'), 'a1 a2',
    'route: $mastra_auth_param_agentId per request');
is(cache_lines(), 'miss hit', 'route: second one a hit');
is(outcome('/c/', $agent), '200 ok -', 'same settings elsewhere in the server');
is(cache_lines(), 'hit', '... share the entry');

###############################################################################
# rotation: a key withdrawn from the set stops verifying at once, cached
# or not; an unchanged refetch keeps the cache

my $tk1 = signed($k1, 'ES256', claims(), kid => 'k1');
is(outcome('/rot/', $tk1), '200 ok -', 'rotation: k1 verifies');
is(outcome('/rot/', $tk1), '200 ok -', 'rotation: k1 from the cache');
is(cache_lines(), 'miss hit', 'rotation: k1 cached');

# the same document again: the generation stays, so do the entries
my $hits = $ks->hits('/rot.json');
sleep 1.1;
is(outcome('/rot/', $tk1), '200 ok -', 'rotation: refresh due');
$ks->wait_hits('/rot.json', $hits + 1, 5);
# the refresh logs once the fetch is applied, after the hit was counted
ok(scalar $t->wait_log(qr/generation 1 \(unchanged\)/),
    'an unchanged set keeps its generation');
is(outcome('/rot/', $tk1), '200 ok -', 'rotation: k1 after the refresh');
like(cache_lines(), qr/hit$/, 'rotation: still a hit after an unchanged refresh');

# k1 withdrawn
$ks->put('/rot.json', jwks(jwk($k2, kid => 'k2')));
$hits = $ks->hits('/rot.json');
sleep 1.1;
outcome('/rot/', $tk1);    # starts the refresh (served from k1 meanwhile)
$ks->wait_hits('/rot.json', $hits + 1, 5);
my $got;
for (1 .. 50) {
    $got = outcome('/rot/', $tk1);
    last if $got ne '200 ok -';
    sleep 0.05;
}
is($got, '401 invalid unknown_key',
    'rotation: the cached k1 token is refused once k1 left the set');
is(outcome('/rot/', signed($k2, 'ES256', claims(), kid => 'k2')), '200 ok -',
    'rotation: k2 verifies');

###############################################################################

$t->log_lacks($_, "no token in the logs") for $tok, $short, $role;
$t->check_error_log;

###############################################################################
# the size is a bound: with 4k the zone holds 32 entries, the oldest go
# first (one cache per zone: the largest size any location asks for)

my $s = Mastra::Nginx->new;

$s->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    mastra_auth_verify_cache 4k;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        error_log %%TESTDIR%%/debug.log debug;

        mastra_auth_provider jwt;
        mastra_auth_secret $SECRET;

        location / {
            %%AUTH_PROXY%%
        }
    }
}
EOF

sub small_lines {
    return join ' ', map { /cache (hit|miss)/ ? $1 : () }
        $s->grep_log(qr/verified-token cache (?:hit|miss)/, 'debug.log');
}

my @many = map { mint($SECRET, claims(sub => "user-$_")) } 1 .. 40;
my $all_ok = 1;
for my $m (@many) {
    $all_ok &&= $s->bearer('/', $m)->outcome eq '200 ok -';
}
ok($all_ok, '40 tokens through a 32-entry cache');
is(small_lines(), join(' ', ('miss') x 40), '40 misses');
is($s->bearer('/', $many[39])->outcome, '200 ok -', 'the newest token');
is($s->bearer('/', $many[8])->outcome, '200 ok -', 'the 32nd newest token');
is($s->bearer('/', $many[0])->outcome, '200 ok -', 'the oldest token');
like(small_lines(), qr/ hit hit miss$/,
    'the newest 32 are kept, the oldest was evicted');
$s->check_error_log;
$s->stop;

###############################################################################
# the directive

$t->config_fails(<<'EOF', qr/"mastra_auth_verify_cache": invalid value "1k"/, 'a cache smaller than a page names the directive and the line');
%%TEST_GLOBALS%%
events {}
http {
    mastra_auth_verify_cache 1k;  #HERE
}
EOF

$t->config_fails(<<'EOF', qr/"mastra_auth_verify_cache": invalid value "lots"/, 'a cache size that is no size');
%%TEST_GLOBALS%%
events {}
http {
    mastra_auth_verify_cache lots;
}
EOF

$t->config_fails(<<'EOF', qr/"mastra_auth_verify_cache" directive is duplicate/, 'twice at one level');
%%TEST_GLOBALS%%
events {}
http {
    mastra_auth_verify_cache 1m;
    mastra_auth_verify_cache off;
}
EOF

done_testing;
