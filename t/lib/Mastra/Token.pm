package Mastra::Token;

# Tokens for the tests: good ones minted with Crypt::JWT, bad ones built by
# hand (base64url of any header/payload text, HMAC with Digest::SHA, then
# corrupted as a test needs).  Secrets are random, made at test time.

use strict;
use warnings;

use Carp qw(croak);
use Crypt::JWT qw(encode_jwt);
use Crypt::PRNG qw(random_bytes);
use Digest::SHA qw(hmac_sha256 hmac_sha384 hmac_sha512);
use Exporter qw(import);
use JSON::PP ();
use MIME::Base64 qw(encode_base64url decode_base64url);

our @EXPORT_OK = qw(
    random_secret mint claims b64u b64u_decode json mac sign craft
    flip_bit with_signature split_token
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $JSON = JSON::PP->new->canonical->allow_nonref;

# A random secret of $len printable bytes (hex text, so that it can be
# written into nginx.conf as a literal).
sub random_secret {
    my ($len) = @_;
    $len = 64 unless defined $len;
    my $hex = unpack 'H*', random_bytes(int($len / 2) + 1);
    return substr $hex, 0, $len;
}

# Default claims for a valid token, overridden/extended by %extra; a key
# given as undef is removed.
sub claims {
    my (%extra) = @_;
    my $now = time;
    my %c = (
        sub => 'user-1',
        iat => $now,
        exp => $now + 3600,
    );
    while (my ($k, $v) = each %extra) {
        if (defined $v) {
            $c{$k} = $v;
        } else {
            delete $c{$k};
        }
    }
    return \%c;
}

# mint($secret, \%claims, alg => 'HS256', header => {kid => ...})
sub mint {
    my ($secret, $claims, %o) = @_;
    return encode_jwt(
        payload       => $claims || claims(),
        key           => $secret,
        alg           => $o{alg} || 'HS256',
        extra_headers => $o{header} || {},
    );
}

sub b64u { return encode_base64url($_[0]) }

sub b64u_decode { return decode_base64url($_[0]) }

sub json { return $JSON->encode($_[0]) }

my %MAC = (
    HS256 => \&hmac_sha256,
    HS384 => \&hmac_sha384,
    HS512 => \&hmac_sha512,
);

# The raw HMAC of $input.
sub mac {
    my ($secret, $input, $alg) = @_;
    my $f = $MAC{ $alg || 'HS256' } or croak "no HMAC for $alg";
    return $f->($input, $secret);
}

# "$input.<b64u MAC over exactly these bytes>"
sub sign {
    my ($secret, $input, $alg) = @_;
    return $input . '.' . b64u(mac($secret, $input, $alg));
}

# craft($secret, $header, $payload, alg => 'HS256'): header and payload are
# JSON text (taken as is) or references (encoded); signed over the received
# bytes, so that only what the test changed can make it fail.
sub craft {
    my ($secret, $header, $payload, %o) = @_;
    $header = json($header) if ref $header;
    $payload = json($payload) if ref $payload;
    return sign($secret, b64u($header) . '.' . b64u($payload), $o{alg});
}

sub split_token { return split /\./, $_[0], -1 }

# The token with the signature's decoded byte string replaced.
sub with_signature {
    my ($token, $sig) = @_;
    my ($h, $p) = split_token($token);
    return "$h.$p." . b64u($sig);
}

# The token with bit $bit of its decoded signature flipped.
sub flip_bit {
    my ($token, $bit) = @_;
    my ($h, $p, $s) = split_token($token);
    my $sig = b64u_decode($s);
    vec($sig, $bit, 1) ^= 1;
    return "$h.$p." . b64u($sig);
}

1;
