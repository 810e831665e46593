#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_metrics (docs/metrics.md).  Known traffic to
# nginx with several worker processes, then exact counts in one scrape: every
# outcome of $mastra_auth_status and reason of $mastra_auth_error, each client
# request counted once (an error_page redirect, a named location, an
# auth_request subrequest, observe mode, a public route, satisfy any, a
# preflight nginx answers), the verified-token cache, a key server's fetches
# (ok, unchanged, error) labelled with the configured URL without its query,
# Better Auth's get-session (a real Better Auth server) and its session
# cache.  The counters survive nginx -s reload; HEAD, 405 with Allow; a
# metrics location inherits a provider like any location; the output passes
# promtool check metrics (a label with a quote and a backslash too), and a
# real Prometheus server scraping nginx answers its HTTP API with the counts
# sent.  Without mastra_auth_zone the default zone is made; with one, that
# one is used.
#
# promtool and prometheus come from Debian's prometheus package (./build.sh
# test installs it): without them this test fails.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;
use Mastra::BetterAuth qw(signed_token);

my $PROMTOOL = '/usr/bin/promtool';
my $PROMETHEUS = '/usr/bin/prometheus';

ok(-x $PROMTOOL, 'promtool is installed (Debian package prometheus)');
ok(-x $PROMETHEUS, 'prometheus is installed (Debian package prometheus)');

my $SECRET = random_secret(64);
my $BA_SECRET = random_secret(48);

my $ec = ec_key('P-256');

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);

# the query would be a credential: the label must not show it
my $KS_PATH = '/k.json?access_token=SEKRETQUERY';
$ks->put($KS_PATH, jwks(jwk($ec, kid => 'k1')));
my $KS_URL = $ks->url($KS_PATH);
my $KS_LABEL = $ks->url('/k.json');
my $CA = $ca->file;

my $BA_MISSING = Mastra::BetterAuth->missing;
my $ba = $BA_MISSING ? undef : Mastra::BetterAuth->new(secret => $BA_SECRET);
my $BA = $ba ? $ba->url : 'http://127.0.0.1:1';

my $t = Mastra::Nginx->new;

my $conf = <<"EOF";
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    # the traffic: reuseport spreads the connections over the workers
    server {
        listen 127.0.0.1:%%PORT_1%% reuseport;

        mastra_auth_provider jwt;
        mastra_auth_secret $SECRET;
        mastra_auth_public /api/health;

        add_header X-Pid \$pid always;
        add_header X-Auth-Status \$mastra_auth_status always;

        location /api/ {
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /admin/ {
            mastra_auth_claim role = admin;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /agents/ {
            mastra_auth_rule /agents/:id GET allow;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /observe/ {
            mastra_auth_mode observe;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        # the 401 goes to a location checked again: counted once
        location /ep/ {
            error_page 401 /ep-page;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location = /ep-page {
            mastra_auth_public /ep-page;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        # try_files to a named location, checked again: counted once
        location /tf/ {
            try_files /nonexistent \@named;
        }

        location \@named {
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        # the subrequest is not checked
        location /ar/ {
            auth_request /api/auth-check;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        # the module's refusal, then allow lets the request through
        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /cors/ {
            mastra_auth_preflight answer;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /ks/ {
            mastra_auth_provider jwks;
            mastra_auth_ca_file $CA;
            mastra_auth_jwks_uri $KS_URL;
            mastra_auth_jwks_refresh 1s;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }
    }

    # the metrics, on a listen of their own
    server {
        listen 127.0.0.1:%%PORT_2%%;

        location = /metrics {
            mastra_auth_metrics;
        }
    }

    # a provider inherited by the metrics location applies to it
    server {
        listen 127.0.0.1:%%PORT_3%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $SECRET;

        location = /metrics {
            mastra_auth_metrics;
        }

        location = /denied {
            deny all;
            mastra_auth_metrics;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_4%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $BA;
        mastra_auth_secret          $BA_SECRET;
        mastra_auth_jwks_timeout    2s;

        location / {
            add_header X-Auth-Status \$mastra_auth_status always;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }
    }
}
EOF

my $expanded = $t->expand($conf);
$expanded =~ s/worker_processes 1;/worker_processes 3;/
    or die "worker_processes not found in the test globals";
$t->write_file('nginx.conf', $expanded)->run;

###############################################################################
# helpers

my %want;          # "provider status" => count
my %refused;       # reason => count
my %observed;      # reason => count
my %pids;

sub scrape_raw {
    my (%o) = @_;
    return $t->request(method => $o{method} || 'GET', uri => $o{uri} || '/metrics',
        port => $o{port} || 2, headers => $o{headers} || []);
}

# the samples of one scrape: "name{labels}" => value
sub scrape {
    my $r = scrape_raw();
    die "metrics: $r->{status}" unless $r->status == 200;
    my %m;
    for my $line (split /\n/, $r->body) {
        next if $line =~ /^#/ || $line !~ /\S/;
        my ($k, $v) = $line =~ /^(\S+(?:\{.*\})?) (\S+)$/ or die "bad line: $line";
        $m{$k} = $v;
    }
    return \%m;
}

sub req_key { return qq(mastra_auth_requests_total{provider="$_[0]",status="$_[1]"}) }

# send N requests at once (one connection each), each expected to answer
# $code, and count what they should count
sub traffic {
    my (%o) = @_;
    my @specs = map { [ $o{uri}, @{ $o{headers} || [] } ] } 1 .. $o{n};
    my @got;
    while (my @batch = splice @specs, 0, 25) {
        push @got, collect(send_all($t, @batch));
    }
    my $ok = grep { $_->status == $o{code} } @got;
    is($ok, $o{n}, "$o{name}: $o{n} answers $o{code}");
    $pids{ $_->header('x-pid') // '' }++ for @got;
    $want{ "$o{provider} $o{status}" } += $o{n} if $o{status};
    $refused{ $o{reason} } += $o{n} if $o{reason};
    $observed{ $o{reason} } += $o{n} if $o{reason} && $o{observe};
    return @got;
}

my $tok = mint($SECRET, claims());
my $admin = mint($SECRET, claims(role => 'admin'));
my $expired = mint($SECRET, claims(exp => time - 100, iat => time - 200));
my $forged = flip_bit($tok, 5);
my $bearer = sub { [ Authorization => "Bearer $_[0]" ] };

###############################################################################
# before any traffic: every series of the providers in use is there, at 0

my $m0 = scrape();
for my $p (qw(jwt jwks better-auth)) {
    for my $s (qw(public ok missing invalid expired forbidden unavailable)) {
        is($m0->{ req_key($p, $s) }, 0, "$p $s: 0 before any traffic");
    }
}
ok(!grep(/provider="(?:auth0|clerk|off)"/, keys %$m0),
    'providers not in use, and "off", have no series');
is($m0->{'mastra_auth_zone_size_bytes'}, 10 * 1024 * 1024,
    'no mastra_auth_zone: the default zone (10m)');

###############################################################################
# the traffic

traffic(name => 'valid token', uri => '/api/x', headers => $bearer->($tok),
    n => 60, code => 200, provider => 'jwt', status => 'ok');
traffic(name => 'no token', uri => '/api/x',
    n => 45, code => 401, provider => 'jwt', status => 'missing',
    reason => 'token_missing');
traffic(name => 'forged token', uri => '/api/x', headers => $bearer->($forged),
    n => 33, code => 401, provider => 'jwt', status => 'invalid',
    reason => 'bad_signature');
traffic(name => 'expired token', uri => '/api/x', headers => $bearer->($expired),
    n => 21, code => 401, provider => 'jwt', status => 'expired',
    reason => 'token_expired');
traffic(name => 'claim fails', uri => '/admin/x', headers => $bearer->($tok),
    n => 15, code => 403, provider => 'jwt', status => 'forbidden',
    reason => 'claim_failed');
traffic(name => 'claim holds', uri => '/admin/x', headers => $bearer->($admin),
    n => 4, code => 200, provider => 'jwt', status => 'ok');
traffic(name => 'no rule allows', uri => '/agents/a/b', headers => $bearer->($tok),
    n => 7, code => 403, provider => 'jwt', status => 'forbidden',
    reason => 'rule_denied');
traffic(name => 'public route', uri => '/api/health',
    n => 27, code => 200, provider => 'jwt', status => 'public');
traffic(name => 'public route, a forged token', uri => '/api/health',
    headers => $bearer->($forged),
    n => 5, code => 200, provider => 'jwt', status => 'public');
traffic(name => 'observe mode, no token', uri => '/observe/x',
    n => 12, code => 200, provider => 'jwt', status => 'missing',
    reason => 'token_missing', observe => 1);
traffic(name => 'a path Node reads otherwise', uri => '/api/a%5Cb',
    n => 3, code => 400, provider => 'jwt', status => 'invalid',
    reason => 'bad_path');
traffic(name => 'error_page after a 401', uri => '/ep/x',
    n => 11, code => 401, provider => 'jwt', status => 'missing',
    reason => 'token_missing');
traffic(name => 'try_files to a named location', uri => '/tf/x',
    headers => $bearer->($tok),
    n => 9, code => 200, provider => 'jwt', status => 'ok');
traffic(name => 'auth_request subrequest', uri => '/ar/x',
    headers => $bearer->($tok),
    n => 8, code => 200, provider => 'jwt', status => 'ok');
traffic(name => 'satisfy any: refused, then allowed', uri => '/any/x',
    n => 6, code => 200, provider => 'jwt', status => 'missing',
    reason => 'token_missing');

my $pre = 0;
for (1 .. 4) {
    my $r = $t->request(method => 'OPTIONS', uri => '/cors/x', headers => [
        Origin => 'https://app.example', 'Access-Control-Request-Method' => 'POST' ]);
    $pre++ if $r->status == 204;
}
is($pre, 4, 'preflights answered by nginx: 204');
$want{'jwt public'} += 4;

ok(keys(%pids) >= 2, 'the traffic went to ' . keys(%pids) . ' worker processes')
    or diag explain \%pids;

# the metrics location behind a provider: a request there is checked too
is(scrape_raw(port => 3)->status, 401, 'inherited provider: no token, 401');
is(scrape_raw(port => 3, headers => $bearer->($tok))->status, 200,
    'inherited provider: a valid token, 200');
is(scrape_raw(port => 3, uri => '/denied', headers => $bearer->($tok))->status, 403,
    'deny all beside the module: 403');
$want{'jwt missing'}++;
$refused{token_missing}++;
$want{'jwt ok'} += 2;

###############################################################################
# exact counts, one scrape

sub check_counts {
    my ($m, $when) = @_;
    for my $s (qw(public ok missing invalid expired forbidden unavailable)) {
        is($m->{ req_key('jwt', $s) }, $want{"jwt $s"} // 0,
            "$when: requests_total jwt $s");
    }
    for my $reason (qw(token_missing token_malformed bad_signature token_expired
                       claim_failed rule_denied bad_path keys_unavailable))
    {
        is($m->{qq(mastra_auth_refusals_total{reason="$reason"})},
            $refused{$reason} // 0, "$when: refusals_total $reason");
        is($m->{qq(mastra_auth_observed_refusals_total{reason="$reason"})},
            $observed{$reason} // 0, "$when: observed_refusals_total $reason");
    }
    is($m->{mastra_auth_preflight_answers_total}, 4, "$when: preflight answers");
    is($m->{mastra_auth_errors_total}, 0, "$when: no check failed");
}

my $m1 = scrape();
check_counts($m1, 'after the traffic');

# the verified-token cache: every request that verified a token consulted
# it once (refusals too, and a forged token on a public route; a bad path
# never got that far); the tokens that never verify always miss
my $consulted = $want{'jwt ok'} + $want{'jwt expired'} + $want{'jwt invalid'}
    - 3 + 5 + $want{'jwt forbidden'};
is($m1->{mastra_auth_verify_cache_hits_total} + $m1->{mastra_auth_verify_cache_misses_total},
    $consulted, 'verify cache: hits + misses = the requests that verified a token');
cmp_ok($m1->{mastra_auth_verify_cache_misses_total}, '>=', 33 + 21 + 5,
    'verify cache: forged and expired tokens miss');
cmp_ok($m1->{mastra_auth_verify_cache_hits_total}, '>', 0, 'verify cache: hits');
cmp_ok($m1->{mastra_auth_verify_cache_entries}, '>=', 2,
    'verify cache: the valid tokens kept');
cmp_ok($m1->{mastra_auth_verify_cache_max_entries}, '>', 1000, 'verify cache: its capacity');

###############################################################################
# the key server: ok, then unchanged, then error; labelled without the query

my $ktok = signed($ec, 'ES256', claims(), kid => 'k1');
traffic(name => 'key set: valid token', uri => '/ks/x', headers => $bearer->($ktok),
    n => 5, code => 200, provider => 'jwks', status => 'ok');

sub wait_metric {
    my ($key, $value, $name) = @_;
    my $deadline = time + 20;
    my $m;
    while (time < $deadline) {
        $m = scrape();
        last if defined $m->{$key} && $m->{$key} == $value;
        sleep 0.1;
    }
    is($m->{$key}, $value, $name);
    return $m;
}

my $kl = qq(uri="$KS_LABEL");
my $before = time;
my $m2 = scrape();
is($m2->{"mastra_auth_key_set_fetches_total{$kl,result=\"ok\"}"}, 1, 'key set: one fetch, ok');
is($m2->{"mastra_auth_key_set_keys{$kl}"}, 1, 'key set: 1 key');
is($m2->{"mastra_auth_key_set_generation{$kl}"}, 1, 'key set: generation 1');
my $last = $m2->{"mastra_auth_key_set_last_success_timestamp_seconds{$kl}"};
ok($last > $before - 30 && $last <= time + 1, 'key set: last success is now');
is($m2->{"mastra_auth_key_set_fetch_duration_seconds_count{$kl}"}, 1,
    'key set: the fetch in its duration histogram');
is($m2->{"mastra_auth_key_set_fetch_duration_seconds_bucket{$kl,le=\"+Inf\"}"}, 1,
    'key set: +Inf bucket');

# the refresh (1s) brings the same document: unchanged, generation stays
sleep 1.1;
$t->bearer('/ks/x', $ktok);
$m2 = wait_metric("mastra_auth_key_set_fetches_total{$kl,result=\"unchanged\"}", 1,
    'key set: the refresh, unchanged');
is($m2->{"mastra_auth_key_set_generation{$kl}"}, 1, 'key set: still generation 1');
$want{'jwks ok'}++;

$ks->mode($KS_PATH, 'status 500');
sleep 1.1;
$t->bearer('/ks/x', $ktok);
$m2 = wait_metric("mastra_auth_key_set_fetches_total{$kl,result=\"error\"}", 1,
    'key set: the failed refresh, error');
is($m2->{"mastra_auth_key_set_keys{$kl}"}, 1, 'key set: the last good key kept');
is($m2->{"mastra_auth_key_set_fetches_total{$kl,result=\"ok\"}"}, 1, 'key set: ok stays 1');
$want{'jwks ok'}++;

my $text = scrape_raw()->body;
unlike($text, qr/SEKRETQUERY|access_token/, 'the key server URL shows without its query');
is(scalar(() = $text =~ /^mastra_auth_key_set_keys\{\Q$kl\E\}/mg), 1,
    'the key server: one series');

###############################################################################
# Better Auth: get-session asked once per credential, its answers counted

SKIP: {
    skip $BA_MISSING, 17 if $BA_MISSING;

    my $s = $ba->sign_up('m@example.com', 'password1234', 'M');
    my $ba_req = sub {
        my ($cred) = @_;
        return $t->request(uri => '/x', port => 4,
            headers => [ Authorization => "Bearer $cred" ]);
    };

    is($ba_req->($s->{token})->status, 200, 'Better Auth: a session, 200');
    is($ba_req->($s->{token})->status, 200, 'Better Auth: again, 200') for 1 .. 4;

    my $bogus = signed_token($BA_SECRET, 'no-such-session-token-000000000');
    is($ba_req->($bogus)->status, 401, 'Better Auth: no such session, 401');

    $ba->mode('500');
    my $other = signed_token($BA_SECRET, 'another-session-token-111111111');
    is($ba_req->($other)->status, 503, 'Better Auth answers 500: 503');
    $ba->mode('normal');

    is($ba->get_session_hits, 3, 'get-session asked three times');

    my $m3 = scrape();
    my $r = 'mastra_auth_better_auth_requests_total';
    is($m3->{qq($r\{result="session"\})}, 1, 'better_auth_requests_total session');
    is($m3->{qq($r\{result="none"\})}, 1, 'better_auth_requests_total none');
    is($m3->{qq($r\{result="error"\})}, 1, 'better_auth_requests_total error');
    is($m3->{mastra_auth_better_auth_request_duration_seconds_count}, 3,
        'get-session duration histogram: 3');
    is($m3->{mastra_auth_session_cache_hits_total}, 4, 'session cache: 4 hits');
    is($m3->{mastra_auth_session_cache_misses_total}, 3, 'session cache: 3 misses');
    is($m3->{ req_key('better-auth', 'ok') }, 5, 'better-auth ok: 5');
    is($m3->{ req_key('better-auth', 'invalid') }, 1, 'better-auth invalid: 1');
    is($m3->{ req_key('better-auth', 'unavailable') }, 1, 'better-auth unavailable: 1');
    $refused{session_invalid}++;
    $refused{better_auth_unavailable}++;
}

###############################################################################
# the answer itself: HEAD, 405, the content type, promtool

my $get = scrape_raw();
is($get->header('content-type'), 'text/plain; version=0.0.4', 'Content-Type');
my $head = scrape_raw(method => 'HEAD');
is($head->status, 200, 'HEAD: 200');
is($head->body, '', 'HEAD: no body');
is($head->header('content-length'), $get->header('content-length'),
    'HEAD: the length of the GET answer');
for my $method (qw(POST PUT DELETE)) {
    my $r = scrape_raw(method => $method);
    is($r->status, 405, "$method: 405");
    is($r->header('allow'), 'GET, HEAD', "$method: Allow: GET, HEAD");
}

my $dir = tempdir('mastra-metrics-XXXXXXXX', TMPDIR => 1, CLEANUP => 1);
open my $fh, '>', "$dir/metrics.txt" or die $!;
print $fh $get->body;
close $fh;
my $promtool = `$PROMTOOL check metrics < $dir/metrics.txt 2>&1`;
is($?, 0, 'promtool check metrics: exit 0');
is($promtool, '', 'promtool check metrics: nothing to say') or diag $promtool;

# every family has its HELP and TYPE
my %type = $get->body =~ /^# TYPE (\S+) (\S+)$/mg;
my %help = map { $_ => 1 } $get->body =~ /^# HELP (\S+) /mg;
for my $family (qw(mastra_auth_requests_total mastra_auth_refusals_total
    mastra_auth_verify_cache_hits_total mastra_auth_verify_cache_misses_total
    mastra_auth_verify_cache_entries mastra_auth_key_set_keys
    mastra_auth_key_set_generation mastra_auth_key_set_fetches_total
    mastra_auth_key_set_last_success_timestamp_seconds
    mastra_auth_better_auth_requests_total mastra_auth_session_cache_hits_total
    mastra_auth_session_cache_misses_total
    mastra_auth_better_auth_request_duration_seconds
    mastra_auth_key_set_fetch_duration_seconds mastra_auth_zone_size_bytes
    mastra_auth_zone_free_bytes))
{
    ok($help{$family} && $type{$family}, "$family: HELP and TYPE");
}

###############################################################################
# nginx -s reload: the counters go on

my $m4 = scrape();
$t->reload;
my $m5 = scrape();
is_deeply([ map { $m5->{$_} } sort grep { /_total\{/ || /_total$/ } keys %$m4 ],
    [ map { $m4->{$_} } sort grep { /_total\{/ || /_total$/ } keys %$m4 ],
    'after a reload: every counter as before');
check_counts($m5, 'after a reload');

traffic(name => 'after the reload', uri => '/api/x', headers => $bearer->($tok),
    n => 30, code => 200, provider => 'jwt', status => 'ok');
traffic(name => 'after the reload, no token', uri => '/api/x',
    n => 10, code => 401, provider => 'jwt', status => 'missing',
    reason => 'token_missing');
my $m6 = scrape();
check_counts($m6, 'after the reload and more traffic');

###############################################################################
# a real Prometheus scraping nginx: its HTTP API gives the counts sent

my $pdir = tempdir('mastra-prometheus-XXXXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pport = $t->port(5);
my $nport = $t->port(2);

open $fh, '>', "$pdir/prometheus.yml" or die $!;
print $fh <<"EOF";
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: nginx
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$nport']
EOF
close $fh;

my $ppid = fork // die "fork: $!";
if ($ppid == 0) {
    open STDOUT, '>', "$pdir/prometheus.log";
    open STDERR, '>&', \*STDOUT;
    exec($PROMETHEUS, "--config.file=$pdir/prometheus.yml",
        "--storage.tsdb.path=$pdir/data", "--web.listen-address=127.0.0.1:$pport",
        '--log.level=warn') or POSIX::_exit(127);
}

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new;

# one instant query: the value, or undef while there is no sample
sub query {
    my ($q) = @_;
    my $res = $http->get("http://127.0.0.1:$pport/api/v1/query?query="
        . join('', map { sprintf '%%%02X', ord } split //, $q));
    return undef unless $res->{success};
    my $d = eval { $json->decode($res->{content}) } or return undef;
    my $r = $d->{data}{result} or return undef;
    return @$r ? $r->[0]{value}[1] : undef;
}

# polled until a scrape happened (or a generous give-up time)
my $q_ok = 'mastra_auth_requests_total{provider="jwt",status="ok"}';
my $deadline = time + 60;
my $seen;
while (time < $deadline) {
    $seen = query($q_ok);
    last if defined $seen;
    sleep 0.2;
}

is($seen, $want{'jwt ok'}, 'Prometheus: requests_total jwt ok as sent')
    or diag $t->read_file("$pdir/prometheus.log");
is(query('mastra_auth_requests_total{provider="jwt",status="missing"}'),
    $want{'jwt missing'}, 'Prometheus: requests_total jwt missing as sent');
is(query('sum(mastra_auth_requests_total{provider="jwt"})'),
    (eval { my $n = 0; $n += $want{$_} for grep { /^jwt / } keys %want; $n }),
    'Prometheus: all jwt decisions');
is(query('mastra_auth_refusals_total{reason="bad_signature"}'), $refused{bad_signature},
    'Prometheus: refusals_total bad_signature');
is(query(qq(mastra_auth_key_set_fetches_total{uri="$KS_LABEL",result="unchanged"})), 1,
    'Prometheus: key set fetches unchanged, by uri');
is(query('up{job="nginx"}'), 1, 'Prometheus: the target is up');

kill 'TERM', $ppid;
waitpid $ppid, 0;

$t->finish;

###############################################################################
# a declared zone is the one used; a metrics location alone brings a zone

for my $case (['mastra_auth_zone counted:1m;', 1024 * 1024, 'a declared zone: its size'],
              ['', 10 * 1024 * 1024, 'only a metrics location: the default zone'])
{
    my ($zone, $size, $name) = @$case;
    my $u = Mastra::Nginx->new;
    $u->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%
    $zone

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /api/ {
            mastra_auth_provider jwt;
            mastra_auth_secret $SECRET;
            mastra_auth_verify_cache off;
            return 204;
        }

        location = /metrics {
            mastra_auth_metrics;
        }
    }
}
EOF
    my $body = $u->get('/metrics')->body;
    like($body, qr/^mastra_auth_zone_size_bytes $size$/m, $name);
    like($body, qr/^mastra_auth_requests_total\{provider="jwt",status="ok"\} 0$/m,
        "$name: the jwt series");
    $u->finish;
}

# a label holds the configured URL without user info, query and fragment,
# with its quote and backslash escaped as the format asks
{
    my $u = Mastra::Nginx->new;
    $u->write_file_expand('nginx.conf', <<'EOF')->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /api/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri 'http://user:pass@127.0.0.1:%%PORT_2%%/q"uo\\te.json?key=SEKRET#frag';
            return 204;
        }

        location = /metrics {
            mastra_auth_metrics;
        }
    }
}
EOF
    my $body = $u->get('/metrics')->body;
    my $port = $u->port(2);
    like($body, qr/^mastra_auth_key_set_keys\{uri="http:\/\/127\.0\.0\.1:$port\/q\\"uo\\\\te\.json"\} 0$/m,
        'label: no user info, no query, quote and backslash escaped');
    unlike($body, qr/SEKRET|user:pass|frag/, 'label: nothing of the credentials');
    open my $lf, '>', "$dir/label.txt" or die $!;
    print $lf $body;
    close $lf;
    my $out = `$PROMTOOL check metrics < $dir/label.txt 2>&1`;
    is($?, 0, 'label: promtool check metrics') or diag $out;
    $u->finish;
}

# configuration errors name the directive
my $c = Mastra::Nginx->new;
for my $case (
    ['http', "mastra_auth_metrics;\n    server { listen 127.0.0.1:%%PORT_1%%; }",
        qr/"mastra_auth_metrics" directive is not allowed here/],
    ['server', "server { listen 127.0.0.1:%%PORT_1%%; mastra_auth_metrics; }",
        qr/"mastra_auth_metrics" directive is not allowed here/],
    ['an argument', "server { listen 127.0.0.1:%%PORT_1%%; location / { mastra_auth_metrics on; } }",
        qr/invalid number of arguments in "mastra_auth_metrics"/],
    ['twice', "server { listen 127.0.0.1:%%PORT_1%%; location / { mastra_auth_metrics; mastra_auth_metrics; } }",
        qr/"mastra_auth_metrics" directive is duplicate/],
    ['beside proxy_pass', "server { listen 127.0.0.1:%%PORT_1%%; location / { proxy_pass http://127.0.0.1:1; mastra_auth_metrics; } }",
        qr/mastra_auth_metrics.*content handler/],
)
{
    my ($name, $body, $re) = @$case;
    $c->config_fails(<<"EOF", $re, "mastra_auth_metrics: $name");
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    $body
}
EOF
}

done_testing;
