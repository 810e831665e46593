#!/usr/bin/perl

# nginx-mastra-auth: reloads and a binary upgrade under load.  Two
# workers verify tokens against a remote key set (our HTTPS key server,
# refreshed every second) while wrk sends valid and invalid tokens, nginx is
# reloaded 5 times, the key set rotates (k1, then k1+k2, then k2 alone) and
# the binary is upgraded (USR2, WINCH, QUIT).  Counts only, no timings:
#
#   - valid tokens: every answer 2xx; invalid ones: every answer 401
#   - wrk's socket errors: only nginx's closing of keep-alive connections
#     when a worker shuts down (see "What wrk may count" below)
#   - the shared zone survives every reload: the key set's generations run
#     1, 2, 3 ... across all reloads (a new zone starts again at 1), one per
#     fetch, and the fetches stay at about one per refresh (no refetch storm)
#   - a key set fetch, or a Better Auth get-session question, in flight when
#     a reload starts is not lost: the worker that posted it stays until it
#     completes and stores what it brought
#   - no [alert], [crit] or [emerg]; no token in error.log
#
# Without wrk, only parts 1 and 2 run (what is in flight at a reload).
#
# What wrk may count.  A worker that is shutting down (reload, or WINCH in an
# upgrade) closes its idle keep-alive connections, and closes each busy one
# once its current answer is sent, without "Connection: close" (the header
# was decided before; ngx_http_finalize_connection checks ngx_exiting).  wrk
# writes its next request at once on a keep-alive connection, so it sees
# each such close as one read or write error, and reconnects to a new worker
# (the old ones stopped listening before closing).  HTTP allows a server to
# close an idle persistent connection at any time; this is nginx's, not the
# module's, and happens once per connection per worker shutdown, rarely
# twice: a reconnect can land on the other old worker in the moment before
# it closes its listeners (CI once saw 5 errors for 2 connections and 2
# reloads).  So:
#   - keep-alive wrk: no connect or timeout errors, read + write errors at
#     most 2 x connections x (reloads + upgrades) of the phase (measured: a
#     wrk whose connections are always busy usually reaches connections x
#     shutdowns, 2 x 10 for 10 reloads, with or without this module)
#   - a wrk that sends "Connection: close" (a new connection per request,
#     never idle in nginx): no socket error of any kind

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;
use Mastra::BetterAuth qw(signed_token pct);

# the load needs wrk; parts 1 and 2 do not
my ($WRK) = grep { -x } map { "$_/wrk" } split /:/, $ENV{PATH} || '';

my $CONNS = 2;          # per wrk; three wrk at a time on a small machine

###############################################################################
# keys and tokens

my $k1 = ec_key('P-256');
my $k2 = ec_key('P-256');
my $k3 = ec_key('P-256');    # published, never signs
my $kx = ec_key('P-256');    # never published

my %T = (
    k1        => signed($k1, 'ES256', claims(), kid => 'k1'),
    k2        => signed($k2, 'ES256', claims(), kid => 'k2'),
    kx        => signed($kx, 'ES256', claims(), kid => 'kx'),     # unknown kid
    kx_as_k1  => signed($kx, 'ES256', claims(), kid => 'k1'),     # wrong key
    kx_as_k2  => signed($kx, 'ES256', claims(), kid => 'k2'),
    kx_nokid  => signed($kx, 'ES256', claims()),                  # tries all
);
$T{k1_badsig} = flip_bit($T{k1}, 7);
$T{k2_badsig} = flip_bit($T{k2}, 7);

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);

$ks->put('/jwks.json', jwks(jwk($k1, kid => 'k1')));
$ks->put('/inflight.json', jwks(jwk($k1, kid => 'k1')));

my $URL = $ks->url('/jwks.json');
my $INFLIGHT = $ks->url('/inflight.json');

# a stand-in for Better Auth's get-session (part 2)
my $SECRET = random_secret(48);
my $ba = Mastra::KeyServer->new;
my $GET_SESSION = '/api/auth/get-session';
$ba->put($GET_SESSION, json({
    session => { id => 's1', token => 'tok1', userId => 'u1',
                 expiresAt => '2099-01-01T00:00:00.000Z' },
    user    => { id => 'u1', email => 'u1@example.com' },
}));
my $COOKIE = 'better-auth.session_token=' . pct(signed_token($SECRET, 'tok1'));

###############################################################################
# nginx: two workers; $pid in the access log tells which worker answered

my $t = Mastra::Nginx->new;

my $conf = $t->expand(<<"EOF");
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    log_format pids '\$pid \$uri \$status';

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        access_log %%TESTDIR%%/pids.log pids;

        mastra_auth_ca_file ${\ $ca->file};
        mastra_auth_jwks_refresh 1s;

        location /api/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri $URL;
            %%AUTH_PROXY%%
        }

        location /inflight/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri $INFLIGHT;
            %%AUTH_PROXY%%
        }

        location /ba/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url ${\ $ba->url('')};
            mastra_auth_secret $SECRET;
            mastra_auth_jwks_timeout 3s;
            %%AUTH_PROXY%%
        }
    }
}
EOF
$conf =~ s/^worker_processes 1;/worker_processes 2;/m or die 'no worker_processes';
$t->write_file('nginx.conf', $conf)->run;

# "fetched" lines of a key set: [pid, generation] each
sub fetched {
    my ($url) = @_;
    return map { /^\S+ \S+ \[info\] (\d+)#.*key set "\Q$url\E" fetched: \d+ keys?, generation (\d+)( \(unchanged\))?/
                     ? [ $1, $2, !$3 ] : () }
        split /\n/, $t->error_log;
}

###############################################################################
# part 1: a key set fetch in flight when a reload starts is not lost.  The set
# grows k2 while a (slow) refresh runs in the background; the reload comes
# before it completes.  The exiting worker must store what it brought: right
# after the reload a k2 token verifies.  (Were it lost, the slot would say
# "fetching" until the fetch counts as lost, 2 x timeout + 10 s: no refresh
# meanwhile, and a request with an unknown kid waits, then gets 401.)

is($t->bearer('/inflight/1', $T{k1})->outcome, '200 ok -', 'in flight: k1 verifies');
is($ks->hits('/inflight.json'), 1, 'in flight: one fetch');

$ks->put('/inflight.json', jwks(jwk($k1, kid => 'k1'), jwk($k2, kid => 'k2')));
$ks->mode('/inflight.json', 'slow 2');
sleep 1.1;    # the refresh is due

my %before = map { $_ => 1 } $t->workers;
is($t->bearer('/inflight/2', $T{k1})->outcome, '200 ok -',
    'in flight: the last good keys serve while the refresh runs');
is($ks->wait_hits('/inflight.json', 2, 5), 2, 'in flight: the refresh started');

$t->reload;
$ks->mode('/inflight.json', undef);

is($t->bearer('/inflight/3', $T{k2})->outcome, '200 ok -',
    'in flight: after the reload, the key that fetch brought verifies');
my @gen2 = grep { $_->[1] == 2 } fetched($INFLIGHT);
ok(@gen2 == 1 && $before{ $gen2[0][0] },
    'in flight: generation 2 was stored by a worker of before the reload')
    or diag(explain [ fetched($INFLIGHT) ]);

###############################################################################
# part 2: the same for a Better Auth get-session question.  The request that
# asked is gone (its client gave up), so only the question keeps the worker;
# the answer must be stored, not lost with the worker (were it lost, the
# session would stay "being asked" for 2 x timeout + 10 s, and every request
# with it would wait 2 x timeout + 1 s, then get 503).

$ba->mode($GET_SESSION, 'slow 2');

my $client = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port(1))
    or die "connect: $!";
print $client "GET /ba/1 HTTP/1.1\r\nHost: localhost\r\nCookie: $COOKIE\r\n\r\n";
is($ba->wait_hits($GET_SESSION, 1, 5), 1, 'session: get-session asked');
close $client;

my $gone = 0;
for (1 .. 100) {
    last if $gone = () = $t->grep_log(qr{^\d+ /ba/1 499$}, 'pids.log');
    sleep 0.05;
}
ok($gone, 'session: the request that asked is gone (499)');

$t->reload;
$ba->mode($GET_SESSION, 'status 500');    # a second question would fail

is($t->request(uri => '/ba/2', headers => [ Cookie => $COOKIE ])->outcome,
    '200 ok -', 'session: after the reload, the answer asked before it is used');
is($ba->hits($GET_SESSION), 1, 'session: not asked again');

if (!$WRK) {
    SKIP: {
        skip 'wrk not found (Debian package "wrk"; ./build.sh test installs it): '
            . 'no reloads under load', 1;
    }
    $t->finish;
    done_testing;
    exit;
}

###############################################################################
# wrk: one per class of requests, counting the answers by status class;
# done() writes the counts and wrk's own socket errors to a file

$t->write_file('count.lua', <<'EOF');
-- args: tokens file (one a line), output file, path prefix, "close" or "keep"
local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
end

function init(args)
    tokens = {}
    for line in io.lines(args[1]) do
        if #line > 0 then tokens[#tokens + 1] = line end
    end
    out = args[2]
    prefix = args[3]
    close = args[4] == "close"
    n = 0
    s2xx, s3xx, s4xx, s5xx, sother, s401 = 0, 0, 0, 0, 0, 0
end

function request()
    n = n + 1
    local h = { Authorization = "Bearer " .. tokens[(n - 1) % #tokens + 1] }
    if close then h["Connection"] = "close" end
    return wrk.format("GET", prefix .. n, h)
end

function response(status, headers, body)
    if status == 401 then s401 = s401 + 1 end
    if status >= 200 and status < 300 then s2xx = s2xx + 1
    elseif status >= 300 and status < 400 then s3xx = s3xx + 1
    elseif status >= 400 and status < 500 then s4xx = s4xx + 1
    elseif status >= 500 and status < 600 then s5xx = s5xx + 1
    else sother = sother + 1 end
end

function done(summary, latency, requests)
    local c = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, sother = 0, s401 = 0 }
    for _, t in ipairs(threads) do
        for k, _ in pairs(c) do c[k] = c[k] + t:get(k) end
    end
    local f = assert(io.open(threads[1]:get("out"), "w"))
    f:write("requests=", summary.requests, "\n")
    for k, v in pairs(c) do f:write(k, "=", v, "\n") end
    for k, v in pairs(summary.errors) do f:write("err_", k, "=", v, "\n") end
    f:close()
end
EOF

my $DIR = $t->testdir;
my $PORT = $t->port(1);
my @WRK;     # [pid, class] of the wrk processes running

sub wrk_start {
    my ($class, $mode, @tokens) = @_;

    $t->write_file("$class.tokens", join("\n", @tokens) . "\n");
    unlink "$DIR/$class.out";

    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$DIR/$class.stdout";
        open STDERR, '>&', \*STDOUT;
        exec $WRK, '-t1', "-c$CONNS", '-d300s', '--timeout', '10s',
            '-s', "$DIR/count.lua", "http://127.0.0.1:$PORT/",
            '--', "$DIR/$class.tokens", "$DIR/$class.out", "/api/$class/", $mode
            or POSIX::_exit(127);
    }

    push @WRK, [ $pid, $class ];
}

# SIGINT: wrk stops, reports and runs done(); its counts as a hash
sub wrk_stop_all {
    my %res;
    kill 'INT', $_->[0] for @WRK;
    for my $w (@WRK) {
        my ($pid, $class) = @$w;
        waitpid $pid, 0;
        my %c = map { /^(\w+)=(\d+)$/ ? ($1 => $2) : () }
            split /\n/, $t->read_file("$class.out");
        diag("wrk $class: exit $?, no counts:\n" . $t->read_file("$class.stdout"))
            unless defined $c{requests};
        $res{$class} = \%c;
    }
    @WRK = ();
    return \%res;
}

END {
    kill 'KILL', $_->[0] for @WRK;
    waitpid $_->[0], 0 for @WRK;
}

# pids.log, read as it grows: answers per worker, class and status
my ($LOG_OFF, $LOG_REST) = (0, '');
my %SERVED;     # pid => class => status => n
my %TOTAL;      # class => n

sub read_access {
    open my $fh, '<', "$DIR/pids.log" or return;
    seek $fh, $LOG_OFF, 0;
    local $/;
    my $new = <$fh>;
    close $fh;
    return unless defined $new && length $new;
    $LOG_OFF += length $new;
    $new = $LOG_REST . $new;
    $new =~ s/([^\n]*)\z//;
    $LOG_REST = $1;
    for (split /\n/, $new) {
        my ($pid, $class, $status) = m{^(\d+) /api/(\w+)/\d+ (\d+)$} or next;
        $SERVED{$pid}{$class}{$status}++;
        $TOTAL{$class}++;
    }
}

my @CLASSES = qw(keep close bad);

# wait until every class was answered by a worker not in %$old
sub served_by_new {
    my ($old, $what) = @_;
    my @missing;
    my $deadline = time + 30;
    while (1) {
        read_access();
        @missing = grep {
            my $c = $_;
            !grep { !$old->{$_} && $SERVED{$_}{$c} } keys %SERVED;
        } @CLASSES;
        last if !@missing || time > $deadline;
        sleep 0.05;
    }
    ok(!@missing, "$what: new workers answered every class under load")
        or diag("no answer from a new worker for: @missing");
}

# wait until every class had $n more answers
sub more_answers {
    my ($n) = @_;
    read_access();
    my %from = map { $_ => $TOTAL{$_} || 0 } @CLASSES;
    my $deadline = time + 30;
    while (time < $deadline) {
        read_access();
        last unless grep { ($TOTAL{$_} || 0) < $from{$_} + $n } @CLASSES;
        sleep 0.05;
    }
}

# probe($token, $status): one request at a time until it gets $status
sub probe {
    my ($token, $status) = @_;
    my $deadline = time + 20;
    my $got;
    while (time < $deadline) {
        $got = $t->bearer('/api/probe/1', $token)->status;
        return 1 if $got == $status;
        sleep 0.2;
    }
    diag("last answer $got");
    return 0;
}

my %PHASE;      # name => wrk counts
my %SHUTDOWNS;  # name => worker shutdowns (reloads, upgrades) under load

# phase($name, [valid tokens], [invalid tokens], @actions): three wrk (valid
# over keep-alive, valid with Connection: close, invalid over keep-alive)
# while each action runs; every action is followed by answers of every class
sub phase {
    my ($name, $valid, $invalid, @actions) = @_;

    read_access();
    %SERVED = ();

    wrk_start('keep', 'keep', @$valid);
    wrk_start('close', 'close', @$valid);
    wrk_start('bad', 'keep', @$invalid);

    more_answers(50);

    for my $action (@actions) {
        my %old = map { $_ => 1 } $t->workers, keys %SERVED;
        my ($what, $code) = @$action;
        my $hits = $ks->hits('/jwks.json');
        if ($what eq 'reload' || $what eq 'upgrade') {
            $t->$what;
            $SHUTDOWNS{$name}++;
            $what .= " $SHUTDOWNS{$name}" if $what eq 'reload';
            served_by_new(\%old, "$name: $what");
            # a refresh by the new workers, before the next action
            $hits = $ks->hits('/jwks.json');
        } else {
            $code->();
        }
        my $got = $ks->wait_hits('/jwks.json', $hits + 1, 10);
        ok($got > $hits, "$name: $what: then a fetch under load");
        more_answers(50);
    }

    # what stopping wrk may cut short (499) is not counted
    read_access();
    my %final = %SERVED;
    %SERVED = ();

    $PHASE{$name} = wrk_stop_all();
    $PHASE{$name}{served} = \%final;
}

my $t0 = time;
my $hits0 = $ks->hits('/jwks.json');
my @all_invalid = @T{qw(k1_badsig k2_badsig kx kx_as_k1 kx_as_k2 kx_nokid)};

# phase 1: set {k1}, then {k1, k2}; valid tokens by k1; reloads 1-3
phase('phase 1', [ $T{k1} ], [ @T{qw(k1_badsig kx kx_as_k1 kx_nokid)} ],
    [ 'reload' ],
    [ 'rotation to {k1, k2}' => sub {
        $ks->put('/jwks.json', jwks(jwk($k1, kid => 'k1'), jwk($k2, kid => 'k2')));
    } ],
    [ 'reload' ],
    [ 'reload' ]);

# k2 is published: once a k2 token verifies, every worker has that set
ok(probe($T{k2}, 200), 'k2 verifies once fetched');

# phase 2: valid tokens by k1 and k2; set {k2, k1, k3}; reloads 4-5
phase('phase 2', [ @T{qw(k1 k2)} ], [ @T{qw(k1_badsig k2_badsig kx kx_as_k1 kx_nokid)} ],
    [ 'reload' ],
    [ 'rotation to {k2, k1, k3}' => sub {
        $ks->put('/jwks.json', jwks(jwk($k2, kid => 'k2'), jwk($k1, kid => 'k1'),
            jwk($k3, kid => 'k3')));
    } ],
    [ 'reload' ]);

# k1 is withdrawn: once a k1 token fails, every worker has that set
$ks->put('/jwks.json', jwks(jwk($k2, kid => 'k2'), jwk($k3, kid => 'k3')));
ok(probe($T{k1}, 401), 'k1 refused once withdrawn');

# phase 3: valid tokens by k2, k1 now invalid; a binary upgrade
phase('phase 3', [ $T{k2} ], [ @T{qw(k1 k2_badsig kx kx_as_k2 kx_nokid)} ],
    [ 'upgrade' ]);
my %new_workers = map { $_ => 1 } $t->workers;

my $elapsed = time - $t0;

###############################################################################
# the counts

my $total_requests = 0;

for my $name (sort keys %PHASE) {
    my $p = $PHASE{$name};
    # A wrk connection meets an exiting worker at most twice a shutdown: its
    # keep-alive connection closed as it sends, and once more when its
    # reconnect was accepted by the other old worker just before that one
    # closed its listeners (CI saw 5 with 2 connections and 2 reloads).
    # Crashes are not hidden by this: they are [alert] lines, which finish()
    # refuses, and every answer's status is counted exactly above and below.
    my $bound = 2 * $CONNS * $SHUTDOWNS{$name};

    for my $class (qw(keep close)) {
        my $c = $p->{$class};
        $total_requests += $c->{requests} || 0;
        cmp_ok($c->{requests} || 0, '>', 0, "$name, valid ($class): requests sent");
        is($c->{s2xx}, $c->{requests}, "$name, valid ($class): every answer 2xx");
        is($c->{requests} - $c->{s2xx}, 0, "$name, valid ($class): non-2xx answers");
        is($c->{err_connect}, 0, "$name, valid ($class): no connect errors");
        is($c->{err_timeout}, 0, "$name, valid ($class): no timeouts");
        is($c->{err_status}, 0, "$name, valid ($class): no status errors");
    }

    my $keep = $p->{keep};
    cmp_ok($keep->{err_read} + $keep->{err_write}, '<=', $bound,
        "$name, valid (keep-alive): read/write errors at most two per connection "
        . "per worker shutdown ($bound)");

    my $close = $p->{close};
    is($close->{err_read} + $close->{err_write}, 0,
        "$name, valid (Connection: close): no read or write errors");

    my $bad = $p->{bad};
    $total_requests += $bad->{requests} || 0;
    cmp_ok($bad->{requests} || 0, '>', 0, "$name, invalid: requests sent");
    is($bad->{s2xx}, 0, "$name, invalid: no 2xx answer");
    is($bad->{s401}, $bad->{requests}, "$name, invalid: every answer 401");
    is($bad->{err_connect}, 0, "$name, invalid: no connect errors");
    is($bad->{err_timeout}, 0, "$name, invalid: no timeouts");
    cmp_ok($bad->{err_read} + $bad->{err_write}, '<=', $bound,
        "$name, invalid: read/write errors at most two per connection per "
        . "worker shutdown ($bound)");

    # what nginx logged, as a second witness
    my (%bad_status, $n);
    for my $pid (keys %{ $p->{served} }) {
        for my $class (@CLASSES) {
            my $want = $class eq 'bad' ? 401 : 200;
            while (my ($status, $count) = each %{ $p->{served}{$pid}{$class} || {} }) {
                $bad_status{"$class $status"} += $count if $status != $want;
            }
        }
    }
    ok(!%bad_status, "$name: access log: valid 200, invalid 401, nothing else")
        or diag(explain \%bad_status);

    note(sprintf '%s: valid %d + %d (keep-alive + close), invalid %d; '
        . 'non-2xx valid %d, 2xx invalid %d; socket errors keep %s, close %s, '
        . 'bad %s; %d worker shutdowns', $name,
        $keep->{requests}, $close->{requests}, $bad->{requests},
        $keep->{requests} - $keep->{s2xx} + $close->{requests} - $close->{s2xx},
        $bad->{s2xx},
        map({ my $c = $_; join '/', map { $c->{"err_$_"} } qw(connect read write timeout) }
            $keep, $close, $bad),
        $SHUTDOWNS{$name});
}

# the key server: every fetch succeeded and was stored once.  The set is
# still refreshed every second, so count at a moment no fetch is in flight
# (the key server counts a request when it comes, the log line follows the
# answer); a lost fetch never lets the two meet.
my (@fetched, $hits);
for (1 .. 100) {
    $hits = $ks->hits('/jwks.json');
    @fetched = fetched($URL);
    last if @fetched == $hits && $ks->hits('/jwks.json') == $hits;
    sleep 0.1;
}
is(scalar @fetched, $hits, 'key server requests = "fetched" lines');
ok(!$t->grep_log(qr/fetch failed/), 'no failed fetch');

# the zone survived the 7 reloads: one sequence of generations up to the
# upgrade (a fetch that brought a changed set makes the next generation, an
# unchanged one keeps it); the new master's zone starts its own
sub one_sequence {
    my (@lines) = @_;
    my $last = 0;
    for my $l (@lines) {
        my ($generation, $changed) = @$l[1, 2];
        return "generation $generation after $last" if $changed && $generation != $last + 1;
        return "unchanged generation $generation after $last" if !$changed && $generation != $last;
        $last = $generation;
    }
    return "ok, up to $last";
}
my @zone2 = grep { $new_workers{ $_->[0] } } @fetched;
my @zone1 = grep { !$new_workers{ $_->[0] } } @fetched;
like(one_sequence(@zone1), qr/^ok/,
    'the zone survived every reload: generations 1..n, in order');
like(one_sequence(@zone2), qr/^ok/,
    'the upgraded master: a zone of its own, generations 1..n');
cmp_ok(scalar @zone2, '>=', 1, 'the upgraded master fetched the set');

# refreshes happened, and no more than: a refresh per second of run time
# (due 1 s after the last fetch, in whole seconds), per zone one more second
# and the first fetch, and per zone an unknown-kid refetch per 30 s.  A
# storm (a fetch per reload, or per worker) would add 5 to 10.
my $max = int($elapsed) + 2 * (1 + 1 + 1 + int($elapsed / 30));
cmp_ok($hits - $hits0, '>=', 3, 'the key set was refreshed during the run');
cmp_ok($hits, '<=', $max, "no refetch storm: at most $max fetches in ${\ int $elapsed} s");

note(sprintf 'requests %d in %.1f s; key set fetches %d (%d before the upgrade, '
    . '%d after), 5 reloads under load, 2 before', $total_requests, $elapsed,
    $hits, scalar @zone1, scalar @zone2);

$t->log_lacks($T{$_}, "token $_ not in error.log") for sort keys %T;
$t->log_lacks((split_token($T{$_}))[2], "signature of $_ not in error.log")
    for qw(k1 k2);

$t->finish;

done_testing;
