#!/usr/bin/perl

# nginx-mastra-auth: what a token must be (docs/security.md,
# docs/answers.md; t/catalogue.t's rows T, H, S and C).  Every bad token below
# is signed with the right secret over the bytes actually sent, unless the row
# is about the signature, so that only the defect under test can refuse it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use MIME::Base64 qw(encode_base64);

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(64);
my $EVIL = random_secret(64);

my $t = Mastra::Nginx->new;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    # a "key server" that must never be asked (jku, x5u)
    server {
        listen 127.0.0.1:%%PORT_5%%;
        access_log %%TESTDIR%%/fetch.log;
        location / {
            return 200 '{"keys":[]}';
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        large_client_header_buffers 4 1m;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /hs256/ {
            %%AUTH_PROXY%%
        }

        location /all/ {
            mastra_auth_algorithms HS256 HS384 HS512;
            %%AUTH_PROXY%%
        }

        location /hs512/ {
            mastra_auth_algorithms HS512;
            %%AUTH_PROXY%%
        }

        location /leeway/ {
            mastra_auth_leeway 60s;
            %%AUTH_PROXY%%
        }

        location /iss/ {
            mastra_auth_issuer https://issuer.example/ https://second.example;
            %%AUTH_PROXY%%
        }

        location /aud/ {
            mastra_auth_audience api://mastra other;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my @sent;

# Sends $token as a bearer token to $uri; the response.
sub send_token {
    my ($uri, $token) = @_;
    push @sent, $token;
    return $t->bearer($uri, $token);
}

# outcome of a bearer request, "STATUS AUTH_STATUS [ERROR]"
sub bearer_is {
    my ($uri, $token, $expect, $name) = @_;
    my $fields = my @fields = split / /, $expect;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is(send_token($uri, $token)->outcome($fields), $expect, $name);
}

my $now = time;
my $H = b64u('{"alg":"HS256","typ":"JWT"}');
my $P = b64u(json(claims()));
my $good = sign($S, "$H.$P");

# the baseline: the test is only worth something if a good token passes

bearer_is('/hs256/', $good, '200 ok -', 'good token passes');
bearer_is('/hs256/', mint($S, claims()), '200 ok', 'Crypt::JWT token passes');

###############################################################################
# T1: structure

bearer_is('/hs256/', 'a.b', '401 invalid token_malformed', 'T1 two parts');
bearer_is('/hs256/', "$good.d.e", '401 invalid token_malformed',
    'T1 five parts (JWE shape)');
bearer_is('/hs256/', "$good.", '401 invalid token_malformed',
    'T1 trailing dot');
bearer_is('/hs256/', sign($S, "$H."), '401 invalid token_malformed',
    'T1 empty payload (detached)');
bearer_is('/hs256/', sign($S, "$H..$P"), '401 invalid token_malformed',
    'T1 h..p.s');
bearer_is('/hs256/', sign($S, ".$P"), '401 invalid token_malformed',
    'T1 empty header');
bearer_is('/hs256/', '..', '401 invalid token_malformed', 'T1 only dots');
bearer_is('/hs256/', $H, '401 invalid token_malformed', 'T1 one part');

is($t->http("GET /hs256/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Authorization: Bearer \r\n\r\n")->outcome,
    '401 missing token_missing', 'T1 "Bearer " with no token');

# T2: empty signature

bearer_is('/hs256/', "$H.$P.", '401 invalid', 'T2 empty signature');
bearer_is('/all/', b64u('{"alg":"HS512"}') . ".$P.", '401 invalid',
    'T2 empty signature, HS512');

###############################################################################
# T3: strict base64url

# a segment with padding, standard alphabet, whitespace, non-canonical bits
sub padded {
    my ($seg) = @_;
    return $seg . ('=' x ((4 - length($seg) % 4) % 4));
}

{
    my $h = b64u('{"alg":"HS256","x":"1"}');    # 23 bytes: 31 chars
    my $p = b64u(json(claims(x => 'ab')));
    ok(length($h) % 4, 'T3 header needs padding');
    bearer_is('/hs256/', sign($S, padded($h) . ".$p"), '401 invalid',
        'T3 padded header');

    my ($pp) = grep { length($_) % 4 }
        map { b64u(json(claims(pad => 'x' x $_))) } 1 .. 3;
    bearer_is('/hs256/', sign($S, "$H." . padded($pp)), '401 invalid',
        'T3 padded payload');

    my ($h1, $p1, $s1) = split_token($good);
    my $spad = padded($s1);
    isnt($spad, $s1, 'T3 HS256 signature needs padding');
    bearer_is('/hs256/', "$h1.$p1.$spad", '401 invalid',
        'T3 padded signature');
}

# the standard alphabet: "+" and "/" where base64url has "-" and "_"
for my $c ('+', '/') {
    my $payload;
    for my $i (0 .. 40) {
        my $j = json(claims(q => ('?' x $i) . '>>>???~~~'));
        if (encode_base64($j, '') =~ /\Q$c\E/) {
            $payload = $j;
            last;
        }
    }
    ok(defined $payload, "T3 a payload whose base64 holds '$c'");
    my $std = encode_base64($payload, '');
    $std =~ s/=+$//;
    bearer_is('/hs256/', sign($S, "$H.$std"), '401 invalid',
        "T3 standard alphabet '$c' in payload");
}

# whitespace inside a segment (via the query, where any byte can be sent)
for my $ws (['%20', 'space'], ['%0D%0A', 'CRLF'], ['%09', 'tab']) {
    my ($enc, $what) = @$ws;
    my $raw = { '%20' => ' ', '%0D%0A' => "\r\n", '%09' => "\t" }->{$enc};
    my $half = int(length($P) / 2);
    my $p = substr($P, 0, $half) . $raw . substr($P, $half);
    my $tok = sign($S, "$H.$p");
    (my $q = $tok) =~ s/\Q$raw\E/$enc/;
    push @sent, $tok;
    is($t->get("/hs256/?apiKey=$q")->outcome(2), '401 invalid',
        "T3 $what inside the payload segment");
}

# non-canonical trailing bits: the same bytes, another last character
sub noncanonical {
    my ($seg) = @_;
    my $alphabet = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
    my $unused = { 2 => 4, 3 => 2 }->{ length($seg) % 4 } or return;
    my $i = index $alphabet, substr($seg, -1);
    return substr($seg, 0, -1) . substr($alphabet, $i | 1, 1);
}

{
    my ($h) = grep { length($_) % 4 }
        map { b64u('{"alg":"HS256","x":"' . ('y' x $_) . '"}') } 1 .. 3;
    my $nh = noncanonical($h);
    is(b64u_decode($nh), b64u_decode($h), 'T3 header twin decodes alike');
    bearer_is('/hs256/', sign($S, "$nh.$P"), '401 invalid',
        'T3 non-canonical last character, header');

    my ($p) = grep { length($_) % 4 }
        map { b64u(json(claims(pad => 'x' x $_))) } 1 .. 3;
    bearer_is('/hs256/', sign($S, "$H." . noncanonical($p)), '401 invalid',
        'T3 non-canonical last character, payload');

    # the signature: the decoded MAC is the right one, only its text differs
    my ($h1, $p1, $s1) = split_token($good);
    my $ns = noncanonical($s1);
    isnt($ns, $s1, 'T3 signature has a twin');
    is(b64u_decode($ns), b64u_decode($s1), 'T3 signature twin decodes alike');
    bearer_is('/hs256/', "$h1.$p1.$ns", '401 invalid',
        'T3 non-canonical last character, signature');
}

###############################################################################
# T4: JSON

my %bad_json = (
    'header is an array'           => [ '[]',                       undef ],
    'header is a string'           => [ '"x"',                      undef ],
    'header is null'               => [ 'null',                     undef ],
    'bytes after the header'       => [ '{"alg":"HS256"}x',          undef ],
    'second object after header'   => [ '{"alg":"HS256"}{}',         undef ],
    'NUL after the header'         => [ "{\"alg\":\"HS256\"}\0",     undef ],
    'header not closed'            => [ '{"alg":"HS256"',            undef ],
    'invalid UTF-8 in header'      => [ "{\"alg\":\"HS256\",\"x\":\"\xff\"}", undef ],
    'overlong UTF-8 in header'     => [ "{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}", undef ],
    'payload is an array'          => [ undef, '[]' ],
    'payload is a string'          => [ undef, '"x"' ],
    'payload is a number'          => [ undef, '123' ],
    'payload is null'              => [ undef, 'null' ],
    'payload is empty'             => [ undef, '' ],
    'bytes after the payload'      => [ undef, '{"sub":"a"}x' ],
    'NUL after the payload'        => [ undef, "{\"sub\":\"a\"}\0" ],
    'NUL inside the payload'       => [ undef, "{\"sub\":\"a\"\0,\"x\":1}" ],
    'payload not closed'           => [ undef, '{"sub":"a"' ],
    'invalid UTF-8 in payload'     => [ undef, "{\"sub\":\"\xfe\xff\"}" ],
    'lone surrogate escape'        => [ undef, '{"sub":"\ud800"}' ],
    'single quotes in payload'     => [ undef, "{'sub':'a'}" ],
    'trailing comma in payload'    => [ undef, '{"sub":"a",}' ],
);

for my $name (sort keys %bad_json) {
    my ($h, $p) = @{ $bad_json{$name} };
    $h = '{"alg":"HS256"}' unless defined $h;
    $p = json(claims()) unless defined $p;
    bearer_is('/hs256/', sign($S, b64u($h) . '.' . b64u($p)), '401 invalid',
        "T4 $name");
}

# JSON serialization of a JWS instead of the compact one
{
    my ($h, $p, $s) = split_token($good);
    my $json = json({ protected => $h, payload => $p, signature => $s });
    bearer_is('/hs256/', b64u($json), '401 invalid', 'T4 JSON serialization');
    push @sent, $json;
    is($t->get('/hs256/?apiKey=' . join '', map { sprintf '%%%02X', ord }
            split //, $json)->outcome(2), '401 invalid',
        'T4 JSON serialization, raw');
}

###############################################################################
# T5: size

{
    # a token of exactly N bytes: filler in a claim, and a kid to fine-tune
    my $sized = sub {
        my ($n) = @_;
        for my $k (0 .. 3) {
            for my $f (int(($n - 200) * 3 / 4) - 80 .. $n) {
                my $h = b64u(json({ alg => 'HS256', kid => 'k' x $k }));
                my $p = b64u(json(claims(fill => 'f' x $f)));
                my $tok = sign($S, "$h.$p");
                return $tok if length $tok == $n;
                last if length $tok > $n;
            }
        }
        die "no token of $n bytes";
    };

    bearer_is('/hs256/', $sized->(16384), '200 ok', 'T5 16384-byte token passes');
    bearer_is('/hs256/', $sized->(16385), '401 invalid',
        'T5 16385-byte token refused');

    my $big = sign($S, "$H." . b64u(json(claims(fill => 'f' x 48000))));
    ok(length $big > 64000, 'T5 64 KB token made');
    bearer_is('/hs256/', $big, '401 invalid', 'T5 64 KB token refused');

    bearer_is('/hs256/', '.' x 100_000, '401 invalid', 'T5 100k dots');

    my $r = send_token('/hs256/', '.' x 1_000_000);
    ok($r->status == 401 || $r->status == 400,
        'T5 1 MB of dots: refused (401, or 400 from nginx core)')
        or diag($r->status);

    my $deep = '{"sub":"a","x":' . ('[' x 100_000) . (']' x 100_000) . '}';
    bearer_is('/hs256/', sign($S, "$H." . b64u($deep)), '401 invalid',
        'T5 100k nested arrays');

    # within the size limit, but nested far too deep
    $deep = '{"sub":"a","exp":' . ($now + 3600) . ',"x":'
        . ('[' x 5000) . (']' x 5000) . '}';
    bearer_is('/hs256/', sign($S, "$H." . b64u($deep)), '401 invalid',
        'T5 5000 nested arrays');
    $deep = '{"sub":"a","exp":' . ($now + 3600) . ',"x":'
        . ('{"a":' x 3000) . '1' . ('}' x 3000) . '}';
    bearer_is('/hs256/', sign($S, "$H." . b64u($deep)), '401 invalid',
        'T5 3000 nested objects');

    bearer_is('/hs256/', $good, '200 ok', 'T5 nginx still serves');
}

###############################################################################
# H1, H2: alg

for my $alg ('', '123', 'null', '["HS256"]', '"hs256"', '"HS256 "', '" HS256"',
    '"ES256K"', '"HS256\u0000"', '"RS256"', '"ES256"', '"EdDSA"', '{}', 'true')
{
    my $h = length $alg ? qq({"alg":$alg}) : '{"typ":"JWT"}';
    bearer_is('/all/', sign($S, b64u($h) . ".$P"), '401 invalid',
        "H1 alg $h");
}

for my $none ('none', 'None', 'NONE', 'nOnE') {
    my $h = b64u(qq({"alg":"$none","typ":"JWT"}));
    bearer_is('/all/', "$h.$P.", '401 invalid', "H2 alg $none, no signature");
    bearer_is('/all/', sign($S, "$h.$P"), '401 invalid',
        "H2 alg $none, HS256 signature");
}

# the allowed set is exact: HS384 where only HS256 is allowed
bearer_is('/hs256/', mint($S, claims(), alg => 'HS384'),
    '401 invalid algorithm_not_allowed', 'S6 HS384 token, HS256 location');
bearer_is('/hs256/', mint($S, claims(), alg => 'HS512'),
    '401 invalid algorithm_not_allowed', 'S6 HS512 token, HS256 location');
bearer_is('/hs512/', $good, '401 invalid algorithm_not_allowed',
    'S6 HS256 token, HS512 location');
bearer_is('/all/', mint($S, claims(), alg => 'HS384'), '200 ok',
    'HS384 token where allowed');
bearer_is('/all/', mint($S, claims(), alg => 'HS512'), '200 ok',
    'HS512 token where allowed');
bearer_is('/hs512/', mint($S, claims(), alg => 'HS512'), '200 ok',
    'HS512 token, HS512 location');

# header and MAC disagree
{
    my $h384 = b64u('{"alg":"HS384"}');
    bearer_is('/all/', sign($S, "$h384.$P", 'HS256'),
        '401 invalid bad_signature', 'S6 alg HS384 with an HS256 MAC');
    bearer_is('/all/', sign($S, "$H.$P", 'HS512'),
        '401 invalid bad_signature', 'S6 alg HS256 with an HS512 MAC');
    my $h512 = b64u('{"alg":"HS512"}');
    my $mac = mac($S, "$h512.$P", 'HS512');
    bearer_is('/all/', "$h512.$P." . b64u(substr $mac, 0, 32),
        '401 invalid bad_signature', 'S5 HS512 MAC cut to 32 bytes');
}

###############################################################################
# H3: duplicate names

for my $case (
    [ '{"alg":"HS256","alg":"HS256"}', undef ],
    [ '{"alg":"none","alg":"HS256"}',  undef ],
    [ '{"alg":"HS256","alg":"none"}',  undef ],
    [ '{"alg":"HS256","\u0061lg":"none"}', undef ],
    [ '{"alg":"HS256","typ":"JWT","typ":"JWT"}', undef ],
    [ undef, '{"sub":"a","sub":"b","exp":' . ($now + 3600) . '}' ],
    [ undef, '{"sub":"a","exp":' . ($now - 10) . ',"exp":' . ($now + 3600) . '}' ],
    [ undef, '{"sub":"a","\u0073ub":"b"}' ],
    [ undef, '{"sub":"a","user":{"id":"1","id":"2"}}' ],
    )
{
    my ($h, $p) = @$case;
    my $name = defined $h ? "header $h" : "payload $p";
    $h = '{"alg":"HS256"}' unless defined $h;
    $p = json(claims()) unless defined $p;
    bearer_is('/hs256/', sign($S, b64u($h) . '.' . b64u($p)), '401 invalid',
        "H3 duplicate name, $name");
}

###############################################################################
# H4, H7: extensions and JWE headers

for my $extra ('"crit":["exp"]', '"crit":[]', '"crit":"b64"', '"b64":false',
    '"b64":false,"crit":["b64"]', '"b64":true', '"enc":"A256GCM"',
    '"zip":"DEF"', '"p2c":1000')
{
    my $h = b64u(qq({"alg":"HS256",$extra}));
    bearer_is('/hs256/', sign($S, "$h.$P"), '401 invalid', "H4/H7 $extra");
}

###############################################################################
# H5: keys carried by the token never count, and are never fetched

{
    my $k = b64u($EVIL);
    my $jwk = { kty => 'oct', k => $k };
    my $url = 'http://127.0.0.1:' . $t->port(5) . '/jwks.json';

    for my $hdr ({ jwk => $jwk }, { jku => $url }, { x5u => $url },
        { x5c => [ encode_base64('not a certificate', '') ] },
        { jwk => $jwk, kid => 'attacker' })
    {
        my $tok = craft($EVIL, { alg => 'HS256', %$hdr }, claims());
        bearer_is('/hs256/', $tok, '401 invalid',
            'H5 attacker key in ' . join(',', sort keys %$hdr));
    }

    is($t->read_file('fetch.log'), '', 'H5 no key was fetched');
}

###############################################################################
# H6: kid

for my $kid ('../../dev/null', "' OR 1=1--", "\0", 'k' x 10240,
    'http://127.0.0.1/jwks')
{
    my $tok = craft($EVIL, { alg => 'HS256', kid => $kid }, claims());
    bearer_is('/hs256/', $tok, '401 invalid',
        'H6 attacker token, kid ' . (length $kid > 40 ? 'of 10 KB' : "'$kid'"));
}

for my $kid ('123', '{}', '[]', 'null', '"' . ('k' x 10240) . '"') {
    bearer_is('/hs256/', sign($S, b64u(qq({"alg":"HS256","kid":$kid})) . ".$P"),
        '401 invalid', 'H6 kid ' . (length $kid > 40 ? 'of 10 KB' : $kid));
}

###############################################################################
# S1: every bit flip and every truncation of the signature

for my $alg ('HS256', 'HS384', 'HS512') {
    my $uri = $alg eq 'HS256' ? '/hs256/' : '/all/';
    my $tok = mint($S, claims(), alg => $alg);
    my ($h, $p, $s) = split_token($tok);
    my $bits = length(b64u_decode($s)) * 8;

    my @passed;
    for my $bit (0 .. $bits - 1) {
        my $r = send_token($uri, flip_bit($tok, $bit));
        push @passed, "$bit:" . $r->status if $r->status != 401;
    }
    ok(!@passed, "S1 $alg: each of $bits bit flips refused")
        or diag("not refused: @passed");

    @passed = ();
    for my $n (1 .. length($s) - 1) {
        my $r = send_token($uri, "$h.$p." . substr($s, 0, $n));
        push @passed, "$n:" . $r->status if $r->status != 401;
    }
    ok(!@passed, "S1 $alg: each truncation of the signature refused")
        or diag("not refused: @passed");

    @passed = ();
    my $mac = b64u_decode($s);
    for my $n (1 .. length($mac) - 1) {
        my $r = send_token($uri, "$h.$p." . b64u(substr $mac, 0, $n));
        push @passed, "$n:" . $r->status if $r->status != 401;
    }
    ok(!@passed, "S1/S5 $alg: each truncation of the MAC refused")
        or diag("not refused: @passed");

    bearer_is($uri, $tok, '200 ok', "S1 $alg: the untouched token passes");
}

# S5: a MAC over the padded header, the header sent unpadded
{
    my $h = b64u('{"alg":"HS256","x":"1"}');
    my $mac = mac($S, padded($h) . ".$P");
    bearer_is('/hs256/', "$h.$P." . b64u($mac), '401 invalid bad_signature',
        'S5 MAC over the re-encoded (padded) header');
}

# S6: a payload byte changed, signature kept
{
    my ($h, $p, $s) = split_token($good);
    my $claims = claims(sub => 'admin-1');
    my $p2 = b64u(json($claims));
    bearer_is('/hs256/', "$h.$p2.$s", '401 invalid bad_signature',
        'S6 payload changed, signature kept');
    bearer_is('/hs256/', mint($EVIL, claims()), '401 invalid bad_signature',
        'S6 signed with another secret');
    bearer_is('/hs256/', mint(substr($S, 0, 32), claims()),
        '401 invalid bad_signature', 'S6 signed with a prefix of the secret');
}

###############################################################################
# C1: exp

bearer_is('/hs256/', mint($S, claims(exp => $now - 1)),
    '401 expired token_expired', 'C1 exp = now - 1');
bearer_is('/hs256/', mint($S, claims(exp => $now)),
    '401 expired token_expired', 'C1 exp = now');
bearer_is('/hs256/', mint($S, claims(exp => 0)),
    '401 expired token_expired', 'C1 exp = 0');
bearer_is('/leeway/', mint($S, claims(exp => $now - 30)), '200 ok',
    'C1 exp = now - 30, leeway 60');
bearer_is('/leeway/', mint($S, claims(exp => $now - 60)),
    '401 expired token_expired', 'C1 exp = now - 60, leeway 60');
bearer_is('/hs256/', mint($S, claims(exp => $now + 30 * 86400 + 0.5)), '200 ok',
    'C1 fractional exp in the future');
bearer_is('/hs256/', mint($S, claims(exp => $now + 30)), '200 ok',
    'C1 exp = now + 30');
bearer_is('/hs256/', mint($S, claims(exp => undef)), '200 ok', 'C1 no exp');
bearer_is('/hs256/', mint($S, claims(exp => 253402300000)), '200 ok',
    'C1 exp in the year 9999');

# C3: exp not a number in range

for my $exp ('"9999999999"', '"2030-01-01"', 'true', 'false', 'null', '[]',
    '{}', '1e300', '-1', '253402400000', '"' . ($now + 3600) . '"')
{
    my $p = b64u(qq({"sub":"a","exp":$exp}));
    bearer_is('/hs256/', sign($S, "$H.$p"), '401', "C3 exp $exp");
}

for my $claim ('nbf', 'iat') {
    for my $v ('"0"', 'true', 'null', '[]', '1e300', '-1', '"x"') {
        my $p = b64u(qq({"sub":"a","exp":@{[ $now + 3600 ]},"$claim":$v}));
        bearer_is('/hs256/', sign($S, "$H.$p"), '401 invalid', "C3 $claim $v");
    }
}

# C2: nbf

bearer_is('/leeway/', mint($S, claims(nbf => $now + 120)),
    '401 invalid token_not_yet_valid', 'C2 nbf = now + 120, leeway 60');
bearer_is('/leeway/', mint($S, claims(nbf => $now + 30)), '200 ok',
    'C2 nbf = now + 30, leeway 60');
bearer_is('/hs256/', mint($S, claims(nbf => $now + 30)),
    '401 invalid token_not_yet_valid', 'C2 nbf = now + 30, leeway 0');
bearer_is('/hs256/', mint($S, claims(nbf => $now)), '200 ok', 'C2 nbf = now');
bearer_is('/hs256/', mint($S, claims(nbf => $now - 5.5)), '200 ok',
    'C2 fractional nbf in the past');

# C4: iat, sub

bearer_is('/leeway/', mint($S, claims(iat => $now + 3600)), '401 invalid',
    'C4 iat = now + 3600, leeway 60');
bearer_is('/leeway/', mint($S, claims(iat => $now + 30)), '200 ok',
    'C4 iat = now + 30, leeway 60');
bearer_is('/hs256/', mint($S, claims(iat => $now + 30)), '401 invalid',
    'C4 iat = now + 30, leeway 0');
bearer_is('/hs256/', mint($S, claims(iat => $now)), '200 ok', 'C4 iat = now');
bearer_is('/hs256/', mint($S, claims(iat => undef)), '200 ok', 'C4 no iat');

for my $sub ('123', 'null', '["a"]', '{"id":"a"}', 'true') {
    my $p = b64u(qq({"sub":$sub,"exp":@{[ $now + 3600 ]}}));
    bearer_is('/hs256/', sign($S, "$H.$p"), '401 invalid', "C4 sub $sub");
}

# C5: iss

bearer_is('/iss/', mint($S, claims(iss => 'https://issuer.example/')), '200 ok',
    'C5 iss exact');
bearer_is('/iss/', mint($S, claims(iss => 'https://second.example')), '200 ok',
    'C5 second configured iss');

for my $iss ('"https://issuer.example"', '"https://issuer.example/x"',
    '"https://issuer.exampl"', '"xhttps://issuer.example/"',
    '"HTTPS://issuer.example/"', '"https://issuer.example/ "',
    '"https://second.example/"', '["https://issuer.example/"]', '123', 'null',
    '""')
{
    my $p = b64u(qq({"sub":"a","exp":@{[ $now + 3600 ]},"iss":$iss}));
    my $expect = $iss =~ /^"/ ? '401 invalid issuer_mismatch' : '401 invalid';
    bearer_is('/iss/', sign($S, "$H.$p"), $expect, "C5 iss $iss");
}

bearer_is('/iss/', mint($S, claims()), '401 invalid issuer_mismatch',
    'C5 no iss where one is configured');
bearer_is('/hs256/', mint($S, claims(iss => 'anyone')), '200 ok',
    'C5 any iss where none is configured');

# C6, C7: aud

bearer_is('/aud/', mint($S, claims(aud => 'api://mastra')), '200 ok',
    'C6 aud string');
bearer_is('/aud/', mint($S, claims(aud => 'other')), '200 ok',
    'C6 aud, second configured value');
bearer_is('/aud/', mint($S, claims(aud => [ 'x', 'api://mastra', 'y' ])),
    '200 ok', 'C6 aud array holding the configured value');

for my $aud ('[]', '[123]', '"API://mastra"', '"api://mastra "', '["x"]',
    '"api://mastr"', '""')
{
    my $p = b64u(qq({"sub":"a","exp":@{[ $now + 3600 ]},"aud":$aud}));
    bearer_is('/aud/', sign($S, "$H.$p"), '401 invalid', "C7 aud $aud");
}

bearer_is('/aud/', mint($S, claims(aud => 'nope')),
    '401 invalid audience_mismatch', 'C7 aud mismatch reason');
bearer_is('/aud/', mint($S, claims()), '401 invalid audience_mismatch',
    'C7 no aud where one is configured');
bearer_is('/aud/', sign($S, "$H." . b64u(qq({"sub":"a","aud":123}))),
    '401 invalid', 'C7 aud a number');

###############################################################################
# a little fuzzing: random tokens and mutated, re-signed ones never crash a
# worker, and random bytes never pass

{
    my $seed = $ENV{TEST_SEED} || int(rand 2**31);
    srand $seed;

    my @alphabet = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_', '.');
    my @bad;

    for (1 .. 300) {
        my $tok = join '', map { $alphabet[rand @alphabet] } 1 .. 1 + int(rand 300);
        my $st = send_token('/all/', $tok)->status;
        push @bad, "$tok:$st" if $st != 401;
    }
    ok(!@bad, 'random base64url-and-dot strings refused') or diag("seed $seed: @bad");

    @bad = ();
    for (1 .. 200) {
        my $raw = join '', map { chr rand 256 } 1 .. 1 + int(rand 200);
        (my $q = $raw) =~ s/(.)/sprintf '%%%02X', ord $1/gse;
        push @sent, $raw;
        my $st = $t->get("/all/?apiKey=$q")->status;
        push @bad, $st if $st != 401;
    }
    ok(!@bad, 'random bytes as a query token refused') or diag("seed $seed: @bad");

    # mutated JSON, signed over what is sent: anything but 200/401 is a bug
    @bad = ();
    my $json = json(claims(role => 'x', list => [ 1, 'a', { b => JSON::PP::true } ]));
    for (1 .. 300) {
        my $p = $json;
        for (0 .. int(rand 4)) {
            substr($p, int(rand length $p), 1) = chr(32 + int(rand 95));
        }
        my $h = rand() < 0.2 ? '{"alg":"HS256",' . substr($p, 1) : '{"alg":"HS256"}';
        my $st = send_token('/all/', sign($S, b64u($h) . '.' . b64u($p)))->status;
        push @bad, "$st:$p" if $st != 200 && $st != 401;
    }
    ok(!@bad, 'mutated, re-signed JSON: 200 or 401, nothing else')
        or diag("seed $seed: @bad");

    bearer_is('/hs256/', $good, '200 ok', 'fuzzing: nginx still serves');
}

###############################################################################
# the log: one info line per refusal, never a token

{
    # the module's own lines, whatever nginx adds to them
    my $lines = join "\n", $t->grep_log(qr/mastra_auth/);
    my @sigs = grep { length >= 20 }
        map { (split_token($_))[2] // '' } grep { defined } @sent;
    my @found = grep { index($lines, $_) >= 0 } @sigs;
    ok(!@found, 'no signature of a sent token in a mastra_auth log line')
        or diag(scalar(@found) . " found, e.g. $found[0]");
    $t->log_lacks($S, 'the secret is not in error.log');
    ok(scalar($t->grep_log(qr/\[info\].*token_expired/)),
        'an info line names token_expired');
}

$t->finish;

done_testing;
