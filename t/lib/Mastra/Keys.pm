package Mastra::Keys;

# nginx-mastra-auth: asymmetric keys for the key-set tests, made at test time
# with CryptX (never committed), their public JWKs, key sets, tokens signed
# with them (Crypt::JWT signs every algorithm the module verifies), and
# requests sent to nginx all at once.
#
#   my $rsa = rsa_key();                 # 2048 bits
#   my $ec = ec_key('P-384');
#   my $set = jwks(jwk($rsa, kid => 'r1'), jwk($ec, kid => 'e1', alg => 'ES384'));
#   my $token = signed($rsa, 'PS256', claims(), kid => 'r1');

use strict;
use warnings;

use Carp qw(croak);
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::Ed25519;
use Crypt::PK::RSA;
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes qw(time);

use Mastra::Nginx;

our @EXPORT_OK = qw(rsa_key ec_key ed_key jwk jwks signed parallel send_all
    collect);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $JSON = JSON::PP->new->canonical;

my %CURVE = ('P-256' => 'secp256r1', 'P-384' => 'secp384r1',
    'P-521' => 'secp521r1');

# rsa_key($bits): a new RSA key (2048 bits unless told)
sub rsa_key {
    my ($bits) = @_;
    my $pk = Crypt::PK::RSA->new;
    $pk->generate_key(($bits || 2048) / 8, 65537);
    return $pk;
}

# ec_key('P-256' | 'P-384' | 'P-521')
sub ec_key {
    my ($crv) = @_;
    my $pk = Crypt::PK::ECC->new;
    $pk->generate_key($CURVE{ $crv || 'P-256' } or croak "no curve $crv");
    return $pk;
}

sub ed_key {
    my $pk = Crypt::PK::Ed25519->new;
    $pk->generate_key;
    return $pk;
}

# jwk($pk, kid => ..., alg => ..., private => 1, member => value, ...): the
# key's JWK as a hash; members given as undef are removed.
sub jwk {
    my ($pk, %o) = @_;
    my $private = delete $o{private};
    my $jwk = $pk->export_key_jwk($private ? 'private' : 'public', 1);
    while (my ($k, $v) = each %o) {
        if (defined $v) {
            $jwk->{$k} = $v;
        } else {
            delete $jwk->{$k};
        }
    }
    return $jwk;
}

# jwks(@jwk): a JWK Set as JSON text
sub jwks {
    return $JSON->encode({ keys => [@_] });
}

# signed($pk, $alg, \%claims, header => value, ...): a compact JWS
sub signed {
    my ($pk, $alg, $claims, %header) = @_;
    return encode_jwt(
        payload       => $claims,
        key           => $pk,
        alg           => $alg,
        extra_headers => \%header,
    );
}

# parallel($t, [$uri, header => value, ...], ...): sends every request at
# once, each on its own connection, then reads the answers; the responses in
# the order given, each with ->{elapsed} (seconds from the first send to the
# end of that answer).
sub parallel {
    my ($t, @specs) = @_;
    return collect(send_all($t, @specs));
}

# send_all($t, @specs): sends, returns a handle for collect()
sub send_all {
    my ($t, @specs) = @_;

    my $port = $t->port(1);
    my $h = { start => time, socks => [], raw => [], done => [] };

    for my $i (0 .. $#specs) {
        my ($uri, @hdr) = @{ $specs[$i] };
        my $req = "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
        while (@hdr) {
            my ($k, $v) = splice @hdr, 0, 2;
            $req .= "$k: $v\r\n";
        }
        $req .= "\r\n";

        my $s = IO::Socket::INET->new(
            Proto    => 'tcp',
            PeerAddr => "127.0.0.1:$port",
            Timeout  => 10,
        ) or croak "cannot connect to 127.0.0.1:$port: $!";
        binmode $s;
        syswrite $s, $req;
        $h->{socks}[$i] = $s;
        $h->{raw}[$i] = '';
    }

    return $h;
}

# collect($handle): the responses of send_all(), in order
sub collect {
    my ($h) = @_;

    my @socks = @{ $h->{socks} };
    my %index = map { ("$socks[$_]" => $_) } 0 .. $#socks;
    my $sel = IO::Select->new(@socks);
    my $deadline = time + 20;

    while ($sel->count && time < $deadline) {
        for my $s ($sel->can_read(0.5)) {
            my $i = $index{"$s"};
            my $n = sysread($s, my $buf, 65536);
            if ($n) {
                $h->{raw}[$i] .= $buf;
            } else {
                $h->{done}[$i] = time - $h->{start};
                $sel->remove($s);
                close $s;
            }
        }
    }

    return map {
        my $r = Mastra::Nginx::Response->parse($h->{raw}[$_]);
        $r->{elapsed} = defined $h->{done}[$_] ? $h->{done}[$_] : 99;
        $r;
    } 0 .. $#socks;
}

1;
