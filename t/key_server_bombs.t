#!/usr/bin/perl

# nginx-mastra-auth: key-server faults once keys are held
# (docs/providers.md; t/catalogue.t's rows J2-J4), among them gzip bombs: a
# body of a few KB with Content-Encoding: gzip (or "gzip, gzip") that inflates
# to 256 MB or 2 GB.  The module never asks for a content coding and never
# inflates one, so such a body is just bytes that are not a JWK Set.
#
# t/key_server_faults.t covers each fault before and after keys were had;
# here every fault below gets the same four checks at once:
#   - the worker keeps serving other requests while the refresh fails;
#   - the last good keys are kept (a good token passes);
#   - nothing forged passes: whatever the faulty answer would carry is the
#     attacker's key set, and a token signed with it stays refused;
#   - error.log says what happened exactly once per attempt, with the reason.
#
# Faults: connection refused, slower than mastra_auth_jwks_timeout, HTTP 500,
# 302 (never followed), invalid JSON, a 5 MB body, an empty set, gzip bombs,
# TLS with the wrong host name, TLS from an untrusted CA.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Compress::Raw::Zlib;
use Compress::Zlib ();
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;

my $TIMEOUT = 2;

my $ca = Mastra::KeyServer::CA->new;
my $other_ca = Mastra::KeyServer::CA->new(name => 'Another Test CA');

my $ks = Mastra::KeyServer->new(ca => $ca);
my $refused = Mastra::KeyServer->new(ca => $ca);
my $wronghost = Mastra::KeyServer->new(ca => $ca);
my $untrusted = Mastra::KeyServer->new(ca => $ca);

my $good = ec_key('P-256');
my $evil = ec_key('P-256');
my $GOOD = jwks(jwk($good, kid => 'k1'));
my $EVIL = jwks(jwk($evil, kid => 'k1'));

my $TOKEN = signed($good, 'ES256', claims(), kid => 'k1');
my $FORGED = signed($evil, 'ES256', claims(), kid => 'k1');

###############################################################################
# gzip bombs, made here: the attacker's set, then MiB after MiB of spaces
# (still valid JSON), one deflated MiB repeated; each deflate block ends with
# a full flush, so the copies stand alone.  CRC-32 and size are right: a
# client that inflates gets a valid JWK Set of that size.

sub gzip_padded {
    my ($head, $mib) = @_;

    my ($d, $st) = Compress::Raw::Zlib::Deflate->new(
        -WindowBits => -MAX_WBITS, -Level => Z_BEST_COMPRESSION, -AppendOutput => 1);
    die "deflate: $st" unless $d;

    my ($first, $block, $tail) = ('', '', '');
    my $spaces = ' ' x (1 << 20);
    $d->deflate($head, $first) == Z_OK or die 'deflate';
    $d->flush($first, Z_FULL_FLUSH) == Z_OK or die 'flush';
    $d->deflate($spaces, $block) == Z_OK or die 'deflate';
    $d->flush($block, Z_FULL_FLUSH) == Z_OK or die 'flush';
    $d->flush($tail, Z_FINISH) == Z_OK or die 'finish';

    # CRC-32 of $mib MiB of spaces, by doubling
    my ($crc, $len) = (undef, 0);
    my ($p_crc, $p_len) = (Compress::Raw::Zlib::crc32($spaces), 1 << 20);
    for (my $k = $mib; $k; $k >>= 1) {
        if ($k & 1) {
            $crc = defined $crc
                ? Compress::Raw::Zlib::crc32_combine($crc, $p_crc, $p_len) : $p_crc;
            $len += $p_len;
        }
        $p_crc = Compress::Raw::Zlib::crc32_combine($p_crc, $p_crc, $p_len);
        $p_len *= 2;
    }
    $crc = Compress::Raw::Zlib::crc32_combine(Compress::Raw::Zlib::crc32($head), $crc, $len);

    return "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" . $first . ($block x $mib) . $tail
        . pack('VV', $crc, ($len + length $head) % 2**32);
}

my $BOMB = gzip_padded($EVIL, 256);                               # 256 MiB
my $BOMB2 = Compress::Zlib::memGzip(gzip_padded($EVIL, 2048));    # 2 GiB, twice gzipped

cmp_ok(length $BOMB, '<', 300_000, 'gzip bomb: ' . length($BOMB) . ' bytes for 256 MiB');
cmp_ok(length $BOMB2, '<', 20_000, 'stacked gzip bomb: ' . length($BOMB2) . ' bytes for 2 GiB');
{
    # the bomb is what it says: it inflates to the attacker's set (checked
    # on the 256 MiB one, in 1 MiB steps)
    my ($i) = Compress::Raw::Zlib::Inflate->new(-WindowBits => WANT_GZIP, -Bufsize => 1 << 20,
        -LimitOutput => 1);
    my ($in, $out, $total, $start) = ($BOMB, '', 0, undef);
    my $st;
    do {
        $out = '';
        $st = $i->inflate($in, $out);
        $start = substr($out, 0, length $EVIL) unless defined $start;
        $total += length $out;
    } while ($st == Z_OK || $st == Z_BUF_ERROR) && length $in && length $out;
    is($start, $EVIL, 'gzip bomb: inflates to the attacker\'s key set ...');
    is($total, length($EVIL) + 256 * (1 << 20), '... followed by 256 MiB of spaces');
}

###############################################################################
# the faults: name => [ server, path, how to break it, reason in the log ]

my %FAULT = (
    refused   => [ $refused, '/jwks.json', sub { $refused->down },
                   qr/connect|refused/i ],
    slow      => [ $ks, '/slow.json', sub { $ks->put('/slow.json', $EVIL)->mode('/slow.json', 'slow 4') },
                   qr/time/i ],
    s500      => [ $ks, '/s500.json', sub { $ks->put('/s500.json', $EVIL)->mode('/s500.json', 'status 500') },
                   qr/^HTTP status 500$/ ],
    s302      => [ $ks, '/s302.json', sub { $ks->mode('/s302.json', 'redirect ' . $ks->url('/target.json')) },
                   qr/^HTTP status 302$/ ],
    invalid   => [ $ks, '/invalid.json', sub { $ks->mode('/invalid.json', 'invalid') },
                   qr/^not a JWK Set$/ ],
    huge5mb   => [ $ks, '/huge5mb.json', sub { $ks->put('/huge5mb.json', $EVIL)->mode('/huge5mb.json', 'huge 5242880') },
                   qr/^body larger than 1 MB$/ ],
    empty     => [ $ks, '/empty.json', sub { $ks->mode('/empty.json', 'empty') },
                   qr/^no usable key in the set$/ ],
    gzip      => [ $ks, '/gzip.json', sub { $ks->put('/gzip.json', $BOMB, 'Content-Encoding' => 'gzip') },
                   qr/^not a JWK Set$/ ],
    gzip2     => [ $ks, '/gzip2.json', sub { $ks->put('/gzip2.json', $BOMB2, 'Content-Encoding' => 'gzip, gzip') },
                   qr/^not a JWK Set$/ ],
    wronghost => [ $wronghost, '/jwks.json', sub { $wronghost->down->reissue('DNS:wrong.example')->up },
                   qr/SSL|certificate/ ],
    untrusted => [ $untrusted, '/jwks.json', sub { $untrusted->down->reissue('IP:127.0.0.1', ca => $other_ca)->up },
                   qr/SSL|certificate/ ],
);
my @NAMES = sort keys %FAULT;

# faults answered over HTTP: each attempt is one request the server logs
my @HTTP = grep { $FAULT{$_}[0] == $ks } @NAMES;

$FAULT{$_}[0]->put($FAULT{$_}[1], $GOOD) for @NAMES;
$ks->put('/target.json', $EVIL);

sub url_of { return $FAULT{ $_[0] }[0]->url($FAULT{ $_[0] }[1]) }

###############################################################################

my $t = Mastra::Nginx->new;
$t->write_file('local.json', $GOOD);

my $locations = join '', map {
    "        location /f/$_/ {\n"
    . "            mastra_auth_provider jwks;\n"
    . "            mastra_auth_jwks_uri " . url_of($_) . ";\n"
    . "            %%AUTH_PROXY%%\n"
    . "        }\n\n"
} @NAMES;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_ca_file ${\ $ca->file};
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

sub request_all {
    my ($token, @names) = @_;
    my @r = parallel($t, map { [ "/f/$_/", Authorization => "Bearer $token" ] } @names);
    return map { $names[$_] => $r[$_] } 0 .. $#names;
}

# [info] lines of the fetches of a set that succeeded
sub fetched_lines {
    my ($name) = @_;
    my $url = quotemeta url_of($name);
    return $t->grep_log(qr/mastra_auth: key set "$url" fetched: /);
}

sub failed_lines {
    my ($name) = @_;
    my $url = quotemeta url_of($name);
    return $t->grep_log(qr/mastra_auth: key set "$url" fetch failed: /);
}

###############################################################################
# the good keys

my %r = request_all($TOKEN, @NAMES);
is($r{$_}->outcome, '200 ok -', "$_: good keys fetched, token passes") for @NAMES;
%r = request_all($FORGED, @NAMES);
is($r{$_}->outcome, '401 invalid bad_signature', "$_: forged token refused") for @NAMES;
ok(!$t->grep_log(qr/fetch failed/), 'no fetch failed yet');

# the requests above may have started a refresh (1 s): let it end (half a
# second without a fetch under way), so that no fetch meets a fault midway
my $deadline = time + 2 * $TIMEOUT + 5;
my %servers = map { ($_ => $FAULT{$_}[0]) } @NAMES;
sub settled {
    return !grep { $servers{$_}->hits($FAULT{$_}[1]) != fetched_lines($_) } @NAMES;
}
my $quiet = 0;
while (time < $deadline && $quiet < 5) {
    $quiet = settled() ? $quiet + 1 : 0;
    sleep 0.1;
}
ok(settled(), 'every fetch so far has ended, each with one [info] line');

###############################################################################
# the faults; the refresh (1 s) is then due

$FAULT{$_}[2]->() for @NAMES;
my %before = map { $_ => $servers{$_}->hits($FAULT{$_}[1]) } @NAMES;
my %fetched = map { $_ => scalar fetched_lines($_) } @NAMES;

sleep 1.1;

# the refresh starts with these requests, which the last good keys answer
%r = request_all($TOKEN, @NAMES);
is($r{$_}->outcome, '200 ok -', "$_: last good keys serve while the refresh runs")
    for @NAMES;

# the worker serves others while a fetch hangs: answered before the slow
# fetch gave up (ordering, not timing)
is($ks->wait_hits('/slow.json', $before{slow} + 1, 5), $before{slow} + 1,
    'slow: the refresh reached the server, which holds it');
ok(!failed_lines('slow'), 'slow: ... and the fetch has not failed yet');
is($t->get('/public/')->outcome(2), '200 off', 'a public route answers meanwhile');
is($t->bearer('/local/', $TOKEN)->outcome, '200 ok -', 'local keys verify meanwhile');
is($t->bearer('/local/', $FORGED)->outcome, '401 invalid bad_signature',
    'local keys refuse the forged token meanwhile');
ok(!failed_lines('slow'), 'slow: those answers came while the fetch still hung');

# each failed attempt logs one line, with its reason
sub attempts_logged {
    my ($name) = @_;
    my @lines = failed_lines($name);
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    ok(scalar @lines, "$name: the failure is logged");
    my @why = map { [ /fetch failed: ([^;]*); keeping the last good keys; next try in (\d+) s$/ ] } @lines;
    my @bad = grep { !defined $_->[0] || $_->[0] !~ $FAULT{$name}[3] } @why;
    ok(!@bad, "$name: [error] says why, and that the last good keys are kept")
        or diag(join "\n", @lines);
    is(scalar fetched_lines($name), $fetched{$name}, "$name: no attempt took the faulty answer");
    # one line per attempt: the backoff doubles from line to line
    is(join(' ', map { $_->[1] // '?' } @why), join(' ', map { 2**$_ } 0 .. $#why),
        "$name: one line per attempt (next try in 1, 2, 4 ... s)");
    if ($FAULT{$name}[0] == $ks) {
        is(@lines + fetched_lines($name), $ks->hits($FAULT{$name}[1]),
            "$name: one line per request the server had");
    }
}

# wait for the attempts under way (the slow one ends with its timeout)
sub all_logged {
    return !grep { !failed_lines($_)
        || ($FAULT{$_}[0] == $ks
            && failed_lines($_) + fetched_lines($_) != $ks->hits($FAULT{$_}[1])) } @NAMES;
}
$deadline = time + 2 * $TIMEOUT + 5;
sleep 0.1 until all_logged() || time > $deadline;

attempts_logged($_) for @NAMES;
is($ks->hits('/target.json'), 0, 's302: the redirect was not followed');
is($wronghost->hits, $before{wronghost}, 'wronghost: no request past the TLS handshake');
is($untrusted->hits, $before{untrusted}, 'untrusted: no request past the TLS handshake');

###############################################################################
# after the failed refresh: the last good keys, and nothing forged

%r = request_all($FORGED, @NAMES);
is($r{$_}->outcome, '401 invalid bad_signature', "$_: forged token refused after the failure")
    for @NAMES;
%r = request_all($TOKEN, @NAMES);
is($r{$_}->outcome, '200 ok -', "$_: last good keys kept after the failure") for @NAMES;

# the requests above may have made more attempts (after the backoff):
# still one line each
$deadline = time + 2 * $TIMEOUT + 5;
sleep 0.1 until all_logged() || time > $deadline;
attempts_logged($_) for @NAMES;

$t->log_lacks($TOKEN, 'the good token is not in error.log');
$t->log_lacks($FORGED, 'the forged token is not in error.log');

$t->finish;

done_testing;
