#!/usr/bin/perl

# nginx-mastra-auth: remote key sets when the key server misbehaves
# (docs/providers.md, t/catalogue.t's rows J1-J5, J7): with no keys yet a
# request gets 503 {"error":"Authentication unavailable"} with Retry-After;
# once keys were had, the last good ones keep serving (stale-if-error);
# failures back off 1, 2, 4 ... s; only HTTP 200 counts, redirects are not
# followed, bodies over 1 MB are refused, TLS is verified; Cache-Control
# max-age wins over mastra_auth_jwks_refresh, clamped to 60 s at least; one
# fetch per key set for all workers; a fetch never stalls requests that need
# none.

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

# long enough for TLS handshakes on a loaded machine, short for the suite
my $TIMEOUT = 2;

my $ca = Mastra::KeyServer::CA->new;
my $other_ca = Mastra::KeyServer::CA->new(name => 'Another Test CA');

my $ks = Mastra::KeyServer->new(ca => $ca);
my $wrong = Mastra::KeyServer->new(ca => $ca, san => 'DNS:wrong.example');
my $down = Mastra::KeyServer->new(ca => $ca);
my $plain = Mastra::KeyServer->new;

# good at first, then restarted with a certificate that does not verify
my %FLIP = (
    flip_host => [ Mastra::KeyServer->new(ca => $ca), 'DNS:wrong.example', $ca ],
    flip_ca   => [ Mastra::KeyServer->new(ca => $ca), 'IP:127.0.0.1', $other_ca ],
);

my $key = ec_key('P-256');
my $GOOD = jwks(jwk($key, kid => 'k1'));
my $TOKEN = signed($key, 'ES256', claims(), kid => 'k1');
my @AUTH = (Authorization => "Bearer $TOKEN");

my $priv = rsa_key();
my $many = jwks(map { jwk($key, kid => "k$_") } 1 .. 101);
(my $many_line = $many) =~ s/\n//g;

# name => [ mode while failing, what the [error] line says ]
my %FAULT = (
    s500     => [ 'status 500', qr/HTTP status 500/ ],
    s404     => [ 'status 404', qr/HTTP status 404/ ],
    s302     => [ 'redirect ' . $ks->url('/target.json'), qr/HTTP status 302/ ],
    s204     => [ 'status 204', qr/HTTP status 204/ ],
    invalid  => [ 'invalid', qr/./ ],
    emptybody => [ 'body ', qr/./ ],
    nokeys   => [ 'body {"foo":1}', qr/./ ],
    keysobj  => [ 'body {"keys":{}}', qr/./ ],
    array    => [ 'body []', qr/./ ],
    empty    => [ 'empty', qr/no usable key/ ],
    enc      => [ 'body ' . jwks(jwk($key, kid => 'k1', use => 'enc')),
                  qr/no usable key/ ],
    private  => [ 'body ' . jwks(jwk($priv, kid => 'k1', private => 1)),
                  qr/no usable key/ ],
    toomany  => [ "body $many_line", qr/./ ],
    huge     => [ 'huge 5242880', qr/1 MB/ ],
    slow     => [ 'slow 4', qr/time/i ],
    drip     => [ 'drip 4', qr/time/i ],
    close    => [ 'close', qr/./ ],
    plain500 => [ 'status 500', qr/HTTP status 500/, $plain ],
);

# the server of a fault
sub srv { return $FAULT{ $_[0] } && $FAULT{ $_[0] }[2] || $ks }

my @CYCLE = sort keys %FAULT;

# failures without keys only: TLS that does not verify
my %TLS = (
    wronghost => [ $wrong->url('/jwks.json'), $ca->file ],
    untrusted => [ $ks->url('/untrusted.json'), $other_ca->file ],
    system    => [ $ks->url('/system.json'), undef ],
);

srv($_)->put("/$_.json", $GOOD) for @CYCLE, qw(target untrusted system backoff);
$FLIP{$_}[0]->put('/jwks.json', $GOOD) for keys %FLIP;
$ks->put('/cc0.json', $GOOD, 'Cache-Control' => 'public, max-age=0');
$ks->put('/cc30.json', $GOOD, 'Cache-Control' => 'max-age=30, must-revalidate');
$ks->put('/nocc.json', $GOOD);
srv($_)->mode("/$_.json", $FAULT{$_}[0]) for @CYCLE;
$ks->mode('/backoff.json', 'status 503');
$wrong->put('/jwks.json', $GOOD);
$down->put('/jwks.json', $GOOD);
$down->down;

sub url_of {
    my ($name) = @_;
    return $TLS{$name}[0] if $TLS{$name};
    return $down->url('/jwks.json') if $name eq 'refused';
    return $FLIP{$name}[0]->url('/jwks.json') if $FLIP{$name};
    return srv($name)->url("/$name.json");
}

###############################################################################
# part 1: one worker, one location per fault

my $t = Mastra::Nginx->new;
$t->write_file('local.json', $GOOD);

my $CA = $ca->file;
my $locations = '';

for my $name (@CYCLE, 'refused', 'backoff', 'cc0', 'cc30', 'nocc', sort(keys %TLS),
    sort keys %FLIP)
{
    my $ca_file = $TLS{$name} ? $TLS{$name}[1] : $CA;
    $locations .= "        location /f/$name/ {\n"
        . "            mastra_auth_provider jwks;\n"
        . "            mastra_auth_jwks_uri " . url_of($name) . ";\n"
        . ($ca_file ? "            mastra_auth_ca_file $ca_file;\n" : '')
        . "            %%AUTH_PROXY%%\n"
        . "        }\n\n";
}

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_jwks_timeout ${TIMEOUT}s;
        mastra_auth_jwks_refresh 1s;

$locations
        location /public/ {
            mastra_auth_provider off;
            %%AUTH_PROXY%%
        }

        location /local/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/local.json;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my @NAMES = (@CYCLE, 'refused');

# phases 2 and 3 also have the servers whose certificate goes bad
my @NAMES23 = (@NAMES, sort keys %FLIP);

sub request_all {
    my (@names) = @_;
    my @r = parallel($t, map { [ "/f/$_/", @AUTH ] } @names);
    return map { $names[$_] => $r[$_] } 0 .. $#names;
}

sub failed_line {
    my ($name, $state) = @_;
    my $url = quotemeta url_of($name);
    return $t->grep_log(qr/\[error\] .*mastra_auth: key set "$url" fetch failed: .*; $state; next try in \d+ s/);
}

###############################################################################
# phase 1: no keys yet: 503 with Retry-After, and a worker still serving

my @names1 = (@NAMES, 'backoff', sort keys %TLS);
my @specs = ((map { [ "/f/$_/", @AUTH ] } @names1),
    [ '/public/' ], [ '/local/', @AUTH ]);
my @r = parallel($t, @specs);
my ($public, $local) = splice @r, -2;
my %r = map { $names1[$_] => $r[$_] } 0 .. $#names1;

my $slowest = (sort { $b <=> $a } map { $_->{elapsed} } values %r)[0];

is($public->outcome(2), '200 off', 'J1: public route answers during the fetches');
is($local->outcome, '200 ok -', 'J1: local keys verify during the fetches');
cmp_ok($public->{elapsed}, '<', 1, 'J1: public route answered at once')
    or diag("public $public->{elapsed} s");
cmp_ok($local->{elapsed}, '<', 1, 'J1: local-key route answered at once');
cmp_ok($slowest, '>=', $TIMEOUT - 0.1,
    "J1: ... while a fetch hung for the $TIMEOUT s timeout");
cmp_ok($slowest, '<', 2 * $TIMEOUT + 1.5,
    'J1: the waiting requests were answered after the timeout');

for my $name (@names1) {
    my $res = $r{$name};
    is($res->outcome, '503 unavailable keys_unavailable', "$name: 503 with no keys")
        or diag($res->raw);
    is($res->body, '{"error":"Authentication unavailable"}', "$name: JSON body");
    like($res->header('Retry-After'), qr/^[1-9]\d*$/, "$name: Retry-After");
    ok(scalar failed_line($name, 'no keys yet'),
        "$name: [error] fetch failed ... no keys yet");
}

for my $name (sort keys %FAULT) {
    my $why = $FAULT{$name}[1];
    my $url = quotemeta url_of($name);
    ok(scalar $t->grep_log(qr/key set "$url" fetch failed: [^;]*$why/),
        "$name: the reason is logged") or diag(join "\n", failed_line($name, '.*'));
}

# Fetched once: a second fetch here can only come from a waiting request
# that polled just after a second boundary ("next try in 1 s" counts whole
# seconds of ngx_time(), so it may be due a few ms after the failure).
for my $name (@CYCLE, 'backoff') {
    my $n = srv($name)->hits("/$name.json");
    ok($n >= 1 && $n <= 2, "$name: fetched (once; twice across a second boundary)")
        or diag("$n fetches");
}
is($ks->hits('/target.json'), 0, 's302: the redirect was not followed');
is($wrong->hits, 0, 'wronghost: no request past the TLS handshake');
is($ks->hits('/untrusted.json'), 0, 'untrusted CA: no request past the TLS handshake');
is($ks->hits('/system.json'), 0,
    'system store does not trust the test CA: no request');

###############################################################################
# phase 2: the key server answers again: keys come without a reload, at the
# first request after the backoff

srv($_)->mode("/$_.json", undef) for @CYCLE;
$ks->mode('/huge.json', 'huge 1048576');    # exactly 1 MB: allowed
$down->up;

sleep 1.1;

my %ok;
my $deadline = time + 6;
while (time < $deadline) {
    my @todo = grep { !$ok{$_} } @NAMES23 or last;
    %r = request_all(@todo);
    $ok{$_} = $r{$_} for grep { $r{$_}->outcome eq '200 ok -' } @todo;
    sleep 0.25;
}

for my $name (@NAMES23) {
    ok($ok{$name}, "$name: recovered by itself, no reload");
}
ok($ok{huge}, 'huge: a set of exactly 1 MB is accepted');
cmp_ok($down->hits('/jwks.json'), '>=', 1, 'refused: fetched once the server is back');

# the backoff doubles: 1 s, then 2 s; within it, no fetch and no wait
my $before = $ks->hits('/backoff.json');
$deadline = time + 4;
while (time < $deadline) {
    %r = request_all('backoff');
    last if $ks->hits('/backoff.json') > $before;
    sleep 0.2;
}
is($r{backoff}->outcome, '503 unavailable keys_unavailable', 'backoff: 503 again');
is($ks->hits('/backoff.json'), $before + 1, 'backoff: tried again after the backoff');
$before = $ks->hits('/backoff.json');
my ($last) = reverse $t->grep_log(
    qr/key set "\Q${\ url_of('backoff')}\E" fetch failed: /);
like($last, qr/next try in [248] s/, 'backoff: the next try is 2 s (or more) away');
my $t0 = time;
%r = request_all('backoff');
my $took = time - $t0;
is($r{backoff}->outcome, '503 unavailable keys_unavailable',
    'backoff: 503 within the backoff');
cmp_ok($r{backoff}->header('Retry-After'), '>=', 1, 'backoff: Retry-After');
is($ks->hits('/backoff.json'), $before, 'backoff: no fetch within the backoff');
cmp_ok($took, '<', 1, 'backoff: answered without waiting');

###############################################################################
# phase 3: the refresh is due and the server fails again: the last good
# keys keep serving, nobody waits for the refresh

srv($_)->mode("/$_.json", $FAULT{$_}[0]) for @CYCLE;
$ks->mode('/huge.json', 'huge 1048577');    # one byte over
$down->down;
# (phase 2 may have refreshed these sets: count requests from the flip on)
my %flip_hits;
for my $name (keys %FLIP) {
    my ($server, $san, $issuer) = @{ $FLIP{$name} };
    $server->down;
    $flip_hits{$name} = $server->hits;
    $server->reissue($san, ca => $issuer)->up;
}

my %hits = map { $_ => srv($_)->hits("/$_.json") } @CYCLE;

sleep 1.1;

$t0 = time;
%r = request_all(@NAMES23);
$took = time - $t0;

for my $name (@NAMES23) {
    is($r{$name}->outcome, '200 ok -', "$name: stale keys serve while refreshing");
}
cmp_ok($took, '<', $TIMEOUT - 0.5, 'stale keys: nobody waited for the refresh');

$deadline = time + 2 * $TIMEOUT + 2;
my @missing;
while (1) {
    @missing = grep { !failed_line($_, 'keeping the last good keys') } @NAMES23;
    last if !@missing || time > $deadline;
    sleep 0.1;
}
ok(!@missing, 'each failed refresh logs "keeping the last good keys"')
    or diag("missing for: @missing");

my @bad = grep { srv($_)->hits("/$_.json") != $hits{$_} + 1 } @CYCLE;
ok(!@bad, 'one refresh attempt per set') or diag("not one fetch: @bad");

%r = request_all(@NAMES23);
for my $name (@NAMES23) {
    is($r{$name}->outcome, '200 ok -', "$name: last good keys kept after the failure");
}
like($t->error_log, qr/key set "\Q${\ url_of('huge')}\E" fetch failed: [^;]*1 MB; keeping/,
    'huge: one byte over 1 MB refused');
for my $name (sort keys %FLIP) {
    like($t->error_log,
        qr/key set "\Q${\ url_of($name)}\E" fetch failed: [^;]*(?:SSL|certificate)[^;]*; keeping/,
        "$name: TLS verification failed, last good keys kept");
    is($FLIP{$name}[0]->hits, $flip_hits{$name}, "$name: no request past the bad certificate");
}

###############################################################################
# Cache-Control: max-age wins over mastra_auth_jwks_refresh 1s, clamped to
# 60 s at least; without it the refresh is 1 s

%r = request_all(qw(cc0 cc30 nocc));
is(join(' ', map { $r{$_}->status } qw(cc0 cc30 nocc)), '200 200 200',
    'Cache-Control sets: keys');
sleep 1.1;
%r = request_all(qw(cc0 cc30 nocc));
is(join(' ', map { $r{$_}->status } qw(cc0 cc30 nocc)), '200 200 200',
    'Cache-Control sets: keys after 1 s');
is($ks->wait_hits('/nocc.json', 2, 2), 2, 'no Cache-Control: refreshed after 1 s');
is($ks->hits('/cc0.json'), 1, 'max-age=0: not refreshed (clamped to 60 s)');
is($ks->hits('/cc30.json'), 1, 'max-age=30: not refreshed (clamped to 60 s)');

$t->finish;

###############################################################################
# part 2: two workers, many requests, one fetch; a slow fetch stalls
# nobody else (J1, J7)

my $ks2 = Mastra::KeyServer->new(ca => $ca);
my $k2 = ec_key('P-256');
my $k3 = ec_key('P-256');
$ks2->put('/c.json', $GOOD);
$ks2->mode('/c.json', 'slow 3');

my $w = Mastra::Nginx->new;
$w->write_file('local.json', $GOOD);

my $conf = $w->expand(<<"EOF");
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    log_format pids '\$pid \$uri \$status';
    access_log %%TESTDIR%%/pids.log pids;

    mastra_auth_zone keys:1m;

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%% reuseport;

        location /api/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri ${\ $ks2->url('/c.json')};
            mastra_auth_ca_file $CA;
            mastra_auth_jwks_timeout 5s;
            %%AUTH_PROXY%%
        }

        location /public/ {
            return 200 "public\\n";
        }

        location /local/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/local.json;
            %%AUTH_PROXY%%
        }
    }
}
EOF
$conf =~ s/^worker_processes 1;/worker_processes 2;/m or die 'no worker_processes';
$w->write_file('nginx.conf', $conf)->run;

my $N = 40;
my $h = send_all($w, map { [ "/api/$_", @AUTH ] } 1 .. $N);

is($ks2->wait_hits('/c.json', 1, 3), 1, 'the slow fetch started');

my @quick;
for my $i (1 .. 6) {
    my $s = time;
    my $res = $w->get("/public/$i");
    push @quick, [ $res->status, time - $s ];
    $s = time;
    $res = $w->bearer("/local/$i", $TOKEN);
    push @quick, [ $res->status, time - $s ];
}
my @slow_ones = grep { $_->[0] != 200 || $_->[1] >= 1 } @quick;
ok(!@slow_ones, 'while the fetch hangs, routes that need no fetch answer at once')
    or diag(join ', ', map { "$_->[0] in $_->[1] s" } @quick);

@r = collect($h);
@bad = grep { $_->outcome ne '200 ok -' } @r;
ok(!@bad, "$N requests waiting for a first fetch: all 200")
    or diag(join ', ', map { $_->outcome } @bad);
cmp_ok((sort { $a <=> $b } map { $_->{elapsed} } @r)[0], '>=', 2.5,
    'they waited for the slow key server');
is($ks2->hits('/c.json'), 1, "$N requests, two workers: one fetch");

my %pids = map { (split / /)[0] => 1 } grep { m{ /api/} } split /\n/,
    $w->read_file('pids.log');
is(scalar keys %pids, 2, 'both workers served those requests');

# J7: a new kid, many requests at once in both workers: one refetch
$ks2->put('/c.json', jwks(jwk($key, kid => 'k1'), jwk($k2, kid => 'k2')));
$ks2->mode('/c.json', 'slow 0.5');

my $T2 = signed($k2, 'ES256', claims(), kid => 'k2');
@r = parallel($w, map { [ "/api/k2-$_", Authorization => "Bearer $T2" ] } 1 .. $N);
@bad = grep { $_->outcome ne '200 ok -' } @r;
ok(!@bad, "J7: $N requests with a new kid: all 200")
    or diag(scalar(@bad) . ' not 200: ' . $bad[0]->outcome);
is($ks2->wait_hits('/c.json', 2, 2), 2, "J7: $N requests with a new kid: one refetch");

%pids = map { (split / /)[0] => 1 } grep { m{ /api/k2-} } split /\n/,
    $w->read_file('pids.log');
is(scalar keys %pids, 2, 'J7: both workers served them');

# J6: another new kid within 30 s: 401, no fetch
$ks2->put('/c.json', jwks(jwk($key, kid => 'k1'), jwk($k2, kid => 'k2'),
    jwk($k3, kid => 'k3')));
$ks2->mode('/c.json', undef);
my $T3 = signed($k3, 'ES256', claims(), kid => 'k3');
@r = parallel($w, map { [ "/api/k3-$_", Authorization => "Bearer $T3" ] } 1 .. 10);
@bad = grep { $_->outcome ne '401 invalid unknown_key' } @r;
ok(!@bad, 'J6: a second new kid within 30 s: 401 unknown_key')
    or diag(join ', ', map { $_->outcome } @bad);
sleep 0.3;
is($ks2->hits('/c.json'), 2, 'J6: ... and no fetch');

# a reload keeps the keys of the zone: no refetch
$w->reload;
@r = parallel($w, map { [ "/api/r-$_", @AUTH ] } 1 .. 10);
@bad = grep { $_->outcome ne '200 ok -' } @r;
ok(!@bad, 'after a reload: keys still there') or diag($bad[0]->raw);
sleep 0.3;
is($ks2->hits('/c.json'), 2, 'after a reload: no fetch');

$w->finish;

done_testing;
