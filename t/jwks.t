#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_provider jwks against a key server of our
# own (HTTPS with a CA made at test time, and plain HTTP): every algorithm,
# each key pinned to its type, curve and own "alg" (RFC 8725 3.1), issuer and
# audience, the RSA-public-key-as-HMAC-secret forgery (t/catalogue.t's K1-K4),
# what a remote set may not publish (K6), key rotation without a reload
# (J6, J8) and a kid shared by two key sets (J9).  See docs/providers.md.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use MIME::Base64 qw(encode_base64url decode_base64url);
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;

###############################################################################
# keys, made now

my $rsa1 = rsa_key();                  # no "alg": RS* and PS*
my $rsa_rs = rsa_key();                # "alg": "RS256"
my $stranger = rsa_key();              # published nowhere
my $ec256 = ec_key('P-256');
my $ec384 = ec_key('P-384');
my $ec521 = ec_key('P-521');
my $ed = ed_key();

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);
my $plain = Mastra::KeyServer->new;

my $rsa1_jwk = jwk($rsa1, kid => 'rsa1');

$ks->put('/main.json', jwks(
    $rsa1_jwk,
    jwk($rsa_rs, kid => 'rsa-rs256', alg => 'RS256', use => 'sig'),
    jwk($ec256, kid => 'ec256'),
    jwk($ec384, kid => 'ec384'),
    jwk($ec521, kid => 'ec521', alg => 'ES512'),
    jwk($ed, kid => 'ed', alg => 'EdDSA'),
));

# K6: what a remote set may not publish, beside one good key
my $priv = rsa_key();
my $small = rsa_key(1024);
my $dup1 = ec_key('P-256');
my $dup2 = ec_key('P-256');
my $enc = ec_key('P-256');
my $good = ec_key('P-256');
my $oct = random_secret(64);

$ks->put('/k6.json', jwks(
    jwk($priv, kid => 'priv', private => 1),
    { kty => 'oct', kid => 'oct', k => encode_base64url($oct) },
    jwk($small, kid => 'small'),
    jwk($dup1, kid => 'dup'),
    jwk($dup2, kid => 'dup'),
    jwk($enc, kid => 'enc', use => 'enc'),
    jwk($good, kid => 'good'),
));

# rotation
my $rot1 = ec_key('P-256');
my $rot2 = ec_key('P-256');
my $rot3 = ec_key('P-256');
$ks->put('/rot.json', jwks(jwk($rot1, kid => 'k1')));

# J9: two sets, one kid
my $setA = rsa_key();
my $setB = ec_key('P-256');
$ks->put('/a.json', jwks(jwk($setA, kid => 'shared')));
$ks->put('/b.json', jwks(jwk($setB, kid => 'shared')));

# plain HTTP
my $plain_key = ed_key();
$plain->put('/jwks.json', jwks(jwk($plain_key, kid => 'p1')));

###############################################################################

my $t = Mastra::Nginx->new;

# a local set: a PEM key (no kid: any kid) and an oct key (local sets may)
$t->write_file('rsa1.pem', $rsa1->export_key_pem('public'));
$t->write_file('local.json', jwks(
    { kty => 'oct', kid => 'local-oct', k => encode_base64url($oct) }));

my $CA = $ca->file;
my $MAIN = $ks->url('/main.json');

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwks;
        mastra_auth_ca_file $CA;
        mastra_auth_jwks_timeout 1s;
        mastra_auth_jwks_uri $MAIN;

        location /all/ {
            %%AUTH_PROXY%%
        }

        location /rs256/ {
            mastra_auth_algorithms RS256;
            %%AUTH_PROXY%%
        }

        location /claims/ {
            mastra_auth_issuer https://issuer.test https://other.test;
            mastra_auth_audience api-1 api-2;
            %%AUTH_PROXY%%
        }

        location /k6/ {
            mastra_auth_jwks_uri ${\ $ks->url('/k6.json')};
            %%AUTH_PROXY%%
        }

        location /rot/ {
            mastra_auth_jwks_uri ${\ $ks->url('/rot.json')};
            %%AUTH_PROXY%%
        }

        location /a/ {
            mastra_auth_jwks_uri ${\ $ks->url('/a.json')};
            %%AUTH_PROXY%%
        }

        location /b/ {
            mastra_auth_jwks_uri ${\ $ks->url('/b.json')};
            %%AUTH_PROXY%%
        }

        location /ab/ {
            mastra_auth_jwks_uri ${\ $ks->url('/a.json')}
                                 ${\ $ks->url('/b.json')};
            %%AUTH_PROXY%%
        }

        location /plain/ {
            mastra_auth_jwks_uri ${\ $plain->url('/jwks.json')};
            %%AUTH_PROXY%%
        }

    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location /pem/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/rsa1.pem;
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

sub outcome {
    my ($uri, $token, $fields) = @_;
    return $t->bearer($uri, $token)->outcome($fields);
}

sub ok_token {
    my ($uri, $token, $name) = @_;
    my $r = $t->bearer($uri, $token);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome, '200 ok -', $name) or diag($r->raw);
    return $r;
}

sub refused {
    my ($uri, $token, $error, $name) = @_;
    my $got = outcome($uri, $token);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $error) {
        like($got, qr/^401 invalid $error$/, $name);
    } else {
        is($got, "401 invalid $error", $name);
    }
}

###############################################################################
# every algorithm, from a set fetched once

my $r = ok_token('/all/', signed($rsa1, 'RS256', claims(), kid => 'rsa1'),
    'RS256');
is($r->echo->{provider}, 'jwks', '$mastra_auth_provider is jwks');
is($r->echo->{user}, 'user-1', 'sub forwarded');

ok_token('/all/', signed($rsa1, $_, claims(), kid => 'rsa1'), $_)
    for qw(RS384 RS512 PS256 PS384 PS512);
ok_token('/all/', signed($ec256, 'ES256', claims(), kid => 'ec256'), 'ES256');
ok_token('/all/', signed($ec384, 'ES384', claims(), kid => 'ec384'), 'ES384');
ok_token('/all/', signed($ec521, 'ES512', claims(), kid => 'ec521'), 'ES512');
ok_token('/all/', signed($ed, 'EdDSA', claims(), kid => 'ed'), 'EdDSA');
ok_token('/all/', signed($rsa_rs, 'RS256', claims(), kid => 'rsa-rs256'),
    'RS256 with the key whose alg is RS256');

is($ks->hits('/main.json'), 1, 'eleven tokens, one fetch of the set');

for my $case (
    [ $rsa1, 'RS256', 'rsa1' ], [ $rsa1, 'PS384', 'rsa1' ],
    [ $ec256, 'ES256', 'ec256' ], [ $ec521, 'ES512', 'ec521' ],
    [ $ed, 'EdDSA', 'ed' ],
) {
    my ($pk, $alg, $kid) = @$case;
    my $tok = signed($pk, $alg, claims(), kid => $kid);
    refused('/all/', flip_bit($tok, 8), 'bad_signature',
        "$alg: a flipped signature bit is refused");
}

refused('/all/', signed($stranger, 'RS256', claims(), kid => 'rsa1'),
    'bad_signature', 'RS256 by an unpublished key under a published kid');

# no kid: every key of the token's type is tried (K8)
ok_token('/all/', signed($ec384, 'ES384', claims()), 'ES384 without a kid');
ok_token('/all/', signed($rsa1, 'PS256', claims()), 'PS256 without a kid');
refused('/all/', signed($stranger, 'RS256', claims()), 'bad_signature',
    'no kid, unpublished key: refused');

###############################################################################
# keys pinned to their type, curve and alg (K3, K4)

refused('/all/', signed($rsa1, 'RS256', claims(), kid => 'ec256'),
    'algorithm_not_allowed', 'RS256 token naming an EC key');
refused('/all/', signed($ec256, 'ES256', claims(), kid => 'rsa1'),
    'algorithm_not_allowed', 'ES256 token naming an RSA key');
refused('/all/', signed($ec256, 'ES256', claims(), kid => 'ec384'),
    'algorithm_not_allowed', 'ES256 token naming a P-384 key');
refused('/all/', signed($ec384, 'ES384', claims(), kid => 'ec256'),
    'algorithm_not_allowed', 'ES384 token naming a P-256 key');
refused('/all/', signed($ed, 'EdDSA', claims(), kid => 'rsa1'),
    'algorithm_not_allowed', 'EdDSA token naming an RSA key');
refused('/all/', signed($rsa_rs, 'PS256', claims(), kid => 'rsa-rs256'),
    'algorithm_not_allowed', 'key alg RS256, token PS256: refused');
refused('/all/', signed($rsa_rs, 'RS384', claims(), kid => 'rsa-rs256'),
    'algorithm_not_allowed', 'key alg RS256, token RS384: refused');

# mastra_auth_algorithms restricts the location
ok_token('/rs256/', signed($rsa1, 'RS256', claims(), kid => 'rsa1'),
    'RS256 only: RS256 passes');
refused('/rs256/', signed($rsa1, $_->[1], claims(), kid => $_->[2]),
    'algorithm_not_allowed', "RS256 only: $_->[1] refused")
    for [ undef, 'PS256', 'rsa1' ], [ undef, 'RS512', 'rsa1' ];
refused('/rs256/', signed($ec256, 'ES256', claims(), kid => 'ec256'),
    'algorithm_not_allowed', 'RS256 only: ES256 refused');
refused('/rs256/', signed($ed, 'EdDSA', claims(), kid => 'ed'),
    'algorithm_not_allowed', 'RS256 only: EdDSA refused');

###############################################################################
# K1: HS256 signed with the RSA public key, in every shape an attacker has

my %pub = (
    'PEM (SPKI)'   => $rsa1->export_key_pem('public_x509'),
    'PEM (PKCS#1)' => $rsa1->export_key_pem('public'),
    'DER (SPKI)'   => $rsa1->export_key_der('public_x509'),
    'DER (PKCS#1)' => $rsa1->export_key_der('public'),
    'JWK JSON'     => json($rsa1_jwk),
    'JWK JSON (exported)' => $rsa1->export_key_jwk('public'),
    'raw n'        => decode_base64url($rsa1_jwk->{n}),
    'n base64url'  => $rsa1_jwk->{n},
);

for my $shape (sort keys %pub) {
    for my $kid ('rsa1', undef) {
        my %h = (alg => 'HS256', typ => 'JWT');
        $h{kid} = $kid if defined $kid;
        my $forged = craft($pub{$shape}, \%h, claims());
        refused('/all/', $forged,
            qr/(?:algorithm_not_allowed|bad_signature)/,
            "HS256 keyed with the RSA public key ($shape), "
            . (defined $kid ? 'kid rsa1' : 'no kid'));
    }
}

# the same through the HS384/HS512 doors
for my $alg (qw(HS384 HS512)) {
    my $forged = craft($pub{'PEM (SPKI)'}, { alg => $alg, kid => 'rsa1' },
        claims(), alg => $alg);
    refused('/all/', $forged, qr/(?:algorithm_not_allowed|bad_signature)/,
        "$alg keyed with the RSA public key PEM");
}

###############################################################################
# issuer and audience

my %iss = (iss => 'https://issuer.test', aud => 'api-2');

ok_token('/claims/', signed($ec256, 'ES256', claims(%iss), kid => 'ec256'),
    'issuer and audience match');
ok_token('/claims/', signed($ec256, 'ES256',
        claims(iss => 'https://other.test', aud => [ 'x', 'api-1' ]),
        kid => 'ec256'),
    'second issuer, audience array holding a configured one');
refused('/claims/', signed($ec256, 'ES256',
        claims(%iss, iss => 'https://issuer.test/'), kid => 'ec256'),
    'issuer_mismatch', 'issuer with a trailing slash');
refused('/claims/', signed($ec256, 'ES256',
        claims(%iss, iss => 'https://evil.test'), kid => 'ec256'),
    'issuer_mismatch', 'other issuer');
refused('/claims/', signed($ec256, 'ES256', claims(%iss, iss => undef),
        kid => 'ec256'),
    'issuer_mismatch', 'no issuer');
refused('/claims/', signed($ec256, 'ES256', claims(%iss, aud => 'api-3'),
        kid => 'ec256'),
    'audience_mismatch', 'other audience');
refused('/claims/', signed($ec256, 'ES256', claims(%iss, aud => []),
        kid => 'ec256'),
    'audience_mismatch', 'empty audience array');
refused('/claims/', signed($ec256, 'ES256', claims(%iss, aud => undef),
        kid => 'ec256'),
    'audience_mismatch', 'no audience');
refused('/claims/', signed($ec256, 'ES256', claims(%iss, aud => 'API-1'),
        kid => 'ec256'),
    'audience_mismatch', 'audience in another case');
is(outcome('/claims/', signed($ec256, 'ES256', claims(%iss, exp => time - 5),
        kid => 'ec256')),
    '401 expired token_expired', 'expired');

###############################################################################
# unknown kid: one refetch per set per 30 s (J6)

# the refetch is made slow: the request must wait for its end, not answer
# from the keys it had
my $before = $ks->hits('/main.json');
$ks->mode('/main.json', 'slow 0.4');
my $t0 = time;
refused('/all/', signed($stranger, 'RS256', claims(), kid => 'nope-1'),
    'unknown_key', 'unknown kid: 401 unknown_key');
my $waited = time - $t0;
is($ks->wait_hits('/main.json', $before + 1, 2), $before + 1,
    'unknown kid: one refetch');
cmp_ok($waited, '>=', 0.4, 'unknown kid: the request waited for the refetch');
$ks->mode('/main.json', undef);
refused('/all/', signed($stranger, 'RS256', claims(), kid => 'nope-2'),
    'unknown_key', 'second unknown kid within 30 s: 401');
refused('/rs256/', signed($stranger, 'RS256', claims(), kid => 'nope-3'),
    'unknown_key', 'third unknown kid, other location, same set: 401');
is($ks->hits('/main.json'), $before + 1,
    'second and third unknown kid within 30 s: no fetch');

###############################################################################
# K6: remote members with private parts or of kty oct are skipped; a kid
# published twice is unusable

ok_token('/k6/', signed($good, 'ES256', claims(), kid => 'good'),
    'K6 set: the good key verifies');
refused('/k6/', signed($priv, 'RS256', claims(), kid => 'priv'),
    'unknown_key', 'K6: key published with "d", "p", "q": skipped');
refused('/k6/', craft($oct, { alg => 'HS256', kid => 'oct' }, claims()),
    qr/(?:unknown_key|algorithm_not_allowed)/,
    'K6: remote kty oct: HS256 with its k refused');
refused('/k6/', craft($oct, { alg => 'HS256' }, claims()),
    qr/(?:unknown_key|algorithm_not_allowed)/,
    'K6: remote kty oct: HS256 with its k and no kid refused');
refused('/k6/', signed($small, 'RS256', claims(), kid => 'small'),
    'unknown_key', 'RSA 1024 bits: skipped');
refused('/k6/', signed($enc, 'ES256', claims(), kid => 'enc'),
    'unknown_key', 'use "enc": skipped');
refused('/k6/', signed($dup1, 'ES256', claims(), kid => 'dup'),
    qr/\w+/, 'duplicate kid: the first key is unusable');
refused('/k6/', signed($dup2, 'ES256', claims(), kid => 'dup'),
    qr/\w+/, 'duplicate kid: the second key is unusable');

my $K6 = quotemeta $ks->url('/k6.json');
for my $case ([ priv => qr/"d"|private/ ], [ oct => qr/oct/ ],
    [ small => qr/1024/ ], [ enc => qr/use|sig/ ])
{
    my ($kid, $why) = @$case;
    ok(scalar $t->grep_log(
            qr/\[warn\] .*mastra_auth: key set "$K6": skipped kid "$kid": .*$why/),
        "K6: [warn] names the skipped kid $kid and why");
}
ok(!$t->grep_log(qr/skipped kid "good"/), 'the good key is not skipped');
is($ks->hits('/k6.json'), 2, 'K6: one fetch and one refetch in all');

# the contrast: a local set may hold an oct key; a PEM key has no kid and
# so matches any kid
my $hs = craft($oct, { alg => 'HS256', kid => 'local-oct' }, claims());
is($t->bearer('/local/', $hs, port => 2)->outcome, '200 ok -',
    'local set: oct key verifies HS256');
is($t->bearer('/pem/', signed($rsa1, 'RS256', claims(), kid => 'whatever'),
        port => 2)->outcome, '200 ok -',
    'local PEM key (no kid) matches any kid');
is($t->bearer('/pem/', craft(
            $rsa1->export_key_pem('public_x509'),
            { alg => 'HS256' }, claims()), port => 2)->outcome(2),
    '401 invalid', 'local PEM key: HS256 keyed with the PEM refused');

###############################################################################
# rotation: a new kid is accepted without a reload (J6); a key removed from
# the set stops verifying after the refetch (J8)

ok_token('/rot/', signed($rot1, 'ES256', claims(), kid => 'k1'),
    'rotation: k1 verifies');
is($ks->hits('/rot.json'), 1, 'rotation: one fetch');

$ks->put('/rot.json', jwks(jwk($rot2, kid => 'k2')));

ok_token('/rot/', signed($rot1, 'ES256', claims(), kid => 'k1'),
    'rotation: k1 still verifies from the cache');
is($ks->hits('/rot.json'), 1, 'rotation: a known kid fetches nothing');

# a slow key server: the k2 request must wait for the refetch it caused
$ks->mode('/rot.json', 'slow 0.4');
ok_token('/rot/', signed($rot2, 'ES256', claims(), kid => 'k2'),
    'rotation: new kid k2 verifies after one refetch, no reload');
$ks->mode('/rot.json', undef);
$ks->wait_hits('/rot.json', 2, 1);
sleep 0.5;    # a late fetch would end now: J8 below must not depend on it
is($ks->hits('/rot.json'), 2, 'rotation: the new kid cost one fetch');
refused('/rot/', signed($rot1, 'ES256', claims(), kid => 'k1'),
    'unknown_key', 'J8: k1, removed from the set, refused after the refetch');

$ks->put('/rot.json', jwks(jwk($rot2, kid => 'k2'), jwk($rot3, kid => 'k3')));

refused('/rot/', signed($rot3, 'ES256', claims(), kid => 'k3'),
    'unknown_key', 'J6: a second new kid within 30 s: 401');
is($ks->hits('/rot.json'), 2, 'J6: ... and no fetch');
ok_token('/rot/', signed($rot2, 'ES256', claims(), kid => 'k2'),
    'rotation: k2 still verifies');

###############################################################################
# J9: a kid published by two sets verifies only against its own set

my $tokA = signed($setA, 'RS256', claims(), kid => 'shared');
my $tokB = signed($setB, 'ES256', claims(), kid => 'shared');

ok_token('/a/', $tokA, 'J9: set A token where A is configured');
ok_token('/b/', $tokB, 'J9: set B token where B is configured');
refused('/b/', $tokA, qr/(?:bad_signature|algorithm_not_allowed)/,
    'J9: set A token where B is configured: 401');
refused('/a/', $tokB, qr/(?:bad_signature|algorithm_not_allowed)/,
    'J9: set B token where A is configured: 401');
ok_token('/ab/', $tokA, 'both sets united: A token verifies');
ok_token('/ab/', $tokB, 'both sets united: B token verifies');
is($ks->hits('/a.json') . ' ' . $ks->hits('/b.json'), '1 1',
    'J9: each set fetched once, shared by the locations naming it');

###############################################################################
# plain HTTP

ok_token('/plain/', signed($plain_key, 'EdDSA', claims(), kid => 'p1'),
    'plain http:// key server');
is($plain->hits('/jwks.json'), 1, 'plain: one fetch');

###############################################################################

like($t->error_log,
    qr/\[info\] .*mastra_auth: key set "\Q$MAIN\E" fetched: 6 keys, generation 1/,
    '[info] line for the first fetch, with the key count');
ok(!$t->grep_log(qr/fetch failed/), 'no fetch failed');

$t->finish;

done_testing;
