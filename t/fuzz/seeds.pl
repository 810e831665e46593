#!/usr/bin/perl
# Seed corpora for the libFuzzer targets, made at run time (no binary
# blobs committed): seeds.pl DIR writes DIR/<target>/seed-N.

use strict;
use warnings;

use Crypt::JWT qw(encode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::RSA;
use Crypt::PK::Ed25519;
use File::Path qw(make_path);
use JSON::PP qw(encode_json);
use MIME::Base64 qw(encode_base64url);

my $dir = shift or die "usage: $0 DIR\n";
my $secret = '0123456789abcdef' x 4;

my $rsa = Crypt::PK::RSA->new; $rsa->generate_key(256, 65537);
my $ec = Crypt::PK::ECC->new; $ec->generate_key('secp256r1');
my $ed = Crypt::PK::Ed25519->new; $ed->generate_key;
my @jwks = map { my $j = $_->export_key_jwk('public', 1); $j->{kid} = "k$_"; $j }
    ($rsa, $ec, $ed);
$jwks[$_]{kid} = "k$_" for 0 .. $#jwks;

my $claims = { sub => 'u1', email => 'a@example.com', iss => 'iss', aud => 'aud',
    exp => 1800000060, iat => 1799999000, roles => ['a', 'b'], user => { emailVerified => JSON::PP::true } };
my @tokens = (
    encode_jwt(payload => $claims, alg => 'HS256', key => $secret),
    encode_jwt(payload => $claims, alg => 'HS512', key => $secret),
    encode_jwt(payload => $claims, alg => 'RS256', key => $rsa, extra_headers => { kid => 'k0' }),
    encode_jwt(payload => $claims, alg => 'ES256', key => $ec),
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.',
);

# a self-signed CA certificate, as mastra_auth_ca_file holds (openssl CLI)
sub certificate {
    my $pem = `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=seed -keyout /dev/null 2>/dev/null`;
    die "openssl req failed\n" unless $pem =~ /BEGIN CERTIFICATE/;
    return $pem;
}

my $inner = '{"session":{"expiresAt":"2027-02-01T00:00:00.000Z","token":"tok","userId":"u1","id":"s1"},'
    . '"user":{"id":"u1","email":"a@example.com","emailVerified":true},"updatedAt":1,"version":"1"}';

my %seeds = (
    token => [ @tokens ],
    base64url => [ 'eyJhbGciOiJIUzI1NiJ9', 'QQ', 'QR', 'AAAA', '', 'a-_b' ],
    json => [ encode_json($claims), '{"alg":"HS256","kid":"k1"}', '{"a":[[[{}]]],"b":"\u00e9"}', '{"a":1,"a":2}' ],
    jwks => [ encode_json({ keys => \@jwks }), $rsa->export_key_pem('public'),
        encode_json({ keys => [ { kty => 'oct', k => 'AAAA' } ] }), certificate() ],
    pattern => [ "/api/agents/:agentId/generate\n/api/agents/a1/generate", "/api/*\n/api/x/y",
        "/a/:p?/*?\n/a", "/files/:name.json\n/files/x.json" ],
    # NAME\nTEXT: NAME looked up in TEXT as a query argument and a cookie
    request_text => [ "x\n/api/a%2Fb?x=1", "apiKey\nBearer abc.def.ghi", "apiKey\napiKey=a&apiKey=b&c",
        "better-auth.session_token\na=1; better-auth.session_token=\"tok.sig\"; b=2",
        "t\nt=%41%2g; t=", "/a/b//../c%2f?x", "__Secure-t\nt=1;__Secure-t=%7B%22a%22%7D" ],
    # the session object of a cookie cache (signed by the target), cookies, answers
    better_auth => [ 'tok.' . ('A' x 43) . '=', encode_base64url("{\"session\":$inner,\"expiresAt\":1800000300000,\"signature\":\"x\"}"),
        '{"session":{"expiresAt":"2030-01-01T00:00:00.000Z"},"user":{"id":"u1"}}', 'null', $inner,
        encode_base64url('{"alg":"HS256"}') . '.' . encode_base64url($inner) . '.' . ('A' x 43),
        encode_base64url('{"alg":"dir","enc":"A256CBC-HS512","kid":"k"}') . '..' . ('A' x 22) . '.'
            . ('A' x 43) . '.' . ('A' x 43) ],
    # PATH\nVALUE\nPAYLOAD: conditions on a verified token or a session
    condition => [ "roles\na\n" . encode_json($claims), "user.emailVerified\ntrue\n" . encode_json($claims),
        "\"https://x/roles\"\n^adm.*\$\n" . encode_json({ 'https://x/roles' => ['admin', 'user'], sub => 'u1' }),
        "email\n\@example\\.com\$\n" . encode_json($claims), "exp\n1800000060\n" . encode_json($claims),
        "user.id\nu1\n$inner", "session.userId\nu(\n$inner", "sub\n\n{\"sub\":\"a\\u0000b\"}" ],
);

for my $target (sort keys %seeds) {
    make_path("$dir/$target");
    my $n = 0;
    for my $seed (@{ $seeds{$target} }) {
        open my $fh, '>:raw', "$dir/$target/seed-" . $n++ or die "$dir/$target: $!";
        print {$fh} $seed;
        close $fh;
    }
}
