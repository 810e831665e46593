#!/usr/bin/perl
# Keys and long-lived tokens for one benchmark run: writes the public keys
# into DIR and prints shell assignments (HS_SECRET, TOKEN_*).
use strict;
use warnings;
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::Ed25519;
use Crypt::PK::RSA;
use Crypt::PRNG qw(random_string);

my $dir = shift or die "usage: $0 DIR\n";
my $secret = random_string(48);
my $claims = { sub => 'bench-user', exp => time + 3600 };

my $rsa = Crypt::PK::RSA->new; $rsa->generate_key(256, 65537);
my $ec = Crypt::PK::ECC->new; $ec->generate_key('secp256r1');
my $ed = Crypt::PK::Ed25519->new; $ed->generate_key;

for ([rsa => $rsa], [ec => $ec], [ed => $ed]) {
    open my $fh, '>', "$dir/$_->[0].pem" or die $!;
    print {$fh} $_->[1]->export_key_pem('public');
}

print "HS_SECRET=$secret\n";
print 'TOKEN_HS256=', encode_jwt(payload => $claims, alg => 'HS256', key => $secret), "\n";
print 'TOKEN_RS256=', encode_jwt(payload => $claims, alg => 'RS256', key => $rsa), "\n";
print 'TOKEN_ES256=', encode_jwt(payload => $claims, alg => 'ES256', key => $ec), "\n";
print 'TOKEN_EDDSA=', encode_jwt(payload => $claims, alg => 'EdDSA', key => $ed), "\n";
