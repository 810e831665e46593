#!/usr/bin/perl

# nginx-mastra-auth: files a configuration names are read by the master when
# it loads the configuration, as nginx reads ssl_trusted_certificate: a CA
# file, a key file and file: secrets that only root can read (in a 0700
# directory) serve while the workers run as nobody, who cannot open them;
# the CA's text goes to libcurl from memory for a key set over HTTPS, OIDC
# discovery and Better Auth's get-session alike.  A CA file that is missing,
# not a file, empty, or holds no certificate or a broken one fails nginx -t
# naming the directive and the file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;
use Mastra::BetterAuth qw(signed_token);

plan skip_all => 'needs root: workers must run as another user'
    unless $> == 0;

my (undef, undef, $NOBODY) = getpwnam('nobody')
    or plan skip_all => 'no user nobody';
my $NOGROUP = getgrnam('nogroup') ? 'nogroup' : 'nobody';

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);

my $rsa = rsa_key();
my $ec = ec_key('P-256');
my $SECRET = random_secret(48);
my $FORWARD = random_secret(48);
my $BA_SECRET = random_secret(48);

$ks->put('/jwks.json', jwks(jwk($rsa, kid => 'r1')));

# OIDC discovery on the same host, under a path of its own
my $ISS = $ks->url('/oidc');
$ks->put('/oidc/.well-known/openid-configuration',
    json({ issuer => $ISS, jwks_uri => $ks->url('/oidc/keys.json') }));
$ks->put('/oidc/keys.json', jwks(jwk($ec, kid => 'e1')));

# Better Auth's get-session, answering for one session
my $SESSION = 'session-token-1';
$ks->put('/api/auth/get-session', json({
    session => { token => $SESSION, userId => 'ba-user',
                 expiresAt => '2999-01-01T00:00:00.000Z' },
    user    => { id => 'ba-user', email => 'ba@example.com' },
}));

my $t = Mastra::Nginx->new;
my $D = $t->testdir;

# root's own: a 0700 directory, 0600 files
mkdir "$D/private" or die "$D/private: $!";
chmod 0700, "$D/private";
copy($ca->file, "$D/private/ca.pem") or die "ca.pem: $!";
$t->write_file('private/key.pem', $ec->export_key_pem('public'));
$t->write_file('private/secret.txt', "$SECRET\n");
$t->write_file('private/forward.txt', "$FORWARD\n");
$t->write_file('private/ba-secret.txt', "$BA_SECRET\n");
chmod 0600, glob "$D/private/*";

my $KS = $ks->url('/jwks.json');
my $BA = $ks->url('/');
$BA =~ s{/$}{};

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%
user nobody $NOGROUP;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_ca_file $D/private/ca.pem;
        mastra_auth_jwks_timeout 3s;

        location /remote/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri $KS;
            %%AUTH_PROXY%%
        }

        location /oidc/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $ISS;
            %%AUTH_PROXY%%
        }

        location /better-auth/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url $BA;
            mastra_auth_secret file:$D/private/ba-secret.txt;
            %%AUTH_PROXY%%
        }

        location /key-file/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file $D/private/key.pem;
            %%AUTH_PROXY%%
        }

        location /secret/ {
            mastra_auth_provider jwt;
            mastra_auth_secret file:$D/private/secret.txt;
            mastra_auth_forward_jwt file:$D/private/forward.txt;
            %%AUTH_PROXY%%
        }

        # what a worker can read of the directory itself
        location /peek/ {
            mastra_auth_provider off;
            alias $D/private/;
        }
    }
}
EOF

###############################################################################

sub worker_uids {
    my @pids;
    for (1 .. 100) {    # the master starts them after it listens
        last if @pids = $t->workers;
        select undef, undef, undef, 0.05;
    }
    my @uids;
    for my $pid (@pids) {
        open my $fh, '<', "/proc/$pid/status" or next;
        # Uid: real, effective, saved, file system
        push @uids, map { /^Uid:\s+\d+\s+(\d+)/ ? $1 : () } <$fh>;
    }
    return @uids;
}

sub is_outcome {
    my ($uri, $token, $expect, $name) = @_;
    my $r = $t->bearer($uri, $token);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome, $expect, $name) or diag($r->raw, $t->error_log);
    return $r;
}

is($t->get('/peek/ca.pem')->status, 403,
    'a worker cannot open the CA file (403 for it as a static file)');
is($t->get('/peek/secret.txt')->status, 403, 'nor the secret file');

# the worker that answered has dropped root
my @uids = worker_uids();
ok(@uids && !grep({ $_ != $NOBODY } @uids), 'workers run as nobody')
    or diag("uids @uids");

is($t->get('/remote/')->outcome, '401 missing token_missing',
    'key set over https: no token, 401');
is_outcome('/remote/', signed($rsa, 'RS256', claims(), kid => 'r1'),
    '200 ok -', 'key set over https with the root-only CA: 200');
is($ks->hits('/jwks.json'), 1, 'the key set was fetched');

is_outcome('/oidc/', signed($ec, 'ES256', claims(iss => $ISS), kid => 'e1'),
    '200 ok -', 'OIDC discovery over https with the root-only CA: 200');
is($ks->hits('/oidc/.well-known/openid-configuration'), 1,
    'the discovery document was fetched');

my $r = is_outcome('/better-auth/', signed_token($BA_SECRET, $SESSION),
    '200 ok -', 'Better Auth get-session over https with the root-only CA '
    . 'and a root-only secret file: 200');
is($r->echo->{user}, 'ba-user', 'the user of the get-session answer');
is($ks->hits('/api/auth/get-session'), 1, 'get-session was asked');

is_outcome('/key-file/', signed($ec, 'ES256', claims()), '200 ok -',
    'a root-only key file: 200');
is_outcome('/secret/', mint($SECRET), '200 ok -',
    'a root-only secret file (and forward_jwt secret file): 200');
is_outcome('/secret/', mint(random_secret(48)),
    '401 invalid bad_signature', 'another secret: 401');

# the master reads them again on reload; the new workers cannot either
$t->reload;
is_outcome('/secret/', mint($SECRET), '200 ok -', 'after a reload: the secret');
@uids = worker_uids();
ok(@uids && !grep({ $_ != $NOBODY } @uids),
    'after a reload, workers run as nobody') or diag("uids @uids");
is_outcome('/key-file/', signed($ec, 'ES256', claims()), '200 ok -',
    'after a reload: the key file');

# a kid the key set did not have: a worker of the new configuration fetches
$ks->put('/jwks.json', jwks(jwk($rsa, kid => 'r1'), jwk($ec, kid => 'e2')));
is_outcome('/remote/', signed($ec, 'ES256', claims(), kid => 'e2'),
    '200 ok -', 'after a reload: an unknown kid refetches with the CA');
is($ks->hits('/jwks.json'), 2, 'the key set was fetched again');

unlike($t->error_log, qr/fetch failed|certificate/,
    'no failed fetch, no certificate error');

$t->finish;

###############################################################################
# the files' errors at nginx -t (as root, the 0700 directory is no error)

my $c = Mastra::Nginx->new;
my $C = $c->testdir;

sub conf {
    my ($body, $provider) = @_;
    $provider ||= 'jwks';
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
            mastra_auth_provider $provider;
            mastra_auth_jwks_uri https://127.0.0.1/jwks.json;
$body
        }
    }
}
EOF
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

my $pem = slurp($ca->file);
my $other = slurp(Mastra::KeyServer::CA->new(name => 'Other CA')->file);

# a character that is not base64 in the body
(my $broken = $pem) =~ s/^(MII.{20})/$1!/m;
my $cut = substr $pem, 0, int(length($pem) / 2);
my $key = $ec->export_key_pem('private');

mkdir "$C/private";
chmod 0700, "$C/private";
$c->write_file('private/ca.pem', $pem);
chmod 0600, "$C/private/ca.pem";
$c->write_file('bundle.pem', "# one\n$pem\nthe other\n=========\n$other");

$c->config_ok(conf("            mastra_auth_ca_file $C/private/ca.pem;"),
    'a root-only CA file: nginx -t passes');
$c->config_ok(conf("            mastra_auth_ca_file $C/bundle.pem;"),
    'a bundle of two CAs with text around them');

my %BAD = (
    'empty.pem'  => [ '', 'the file is empty' ],
    'text.pem'   => [ "not a certificate\n", 'no certificate in the file' ],
    'key.pem'    => [ $key, 'no certificate in the file' ],
    'broken.pem' => [ $broken, 'not PEM certificates' ],
    'cut.pem'    => [ $cut, 'not PEM certificates' ],
    'second.pem' => [ $other . $broken, 'not PEM certificates' ],
);

for my $name (sort keys %BAD) {
    $c->write_file($name, $BAD{$name}[0]);
    $c->config_fails(conf("            mastra_auth_ca_file $C/$name; #HERE"),
        qr/"mastra_auth_ca_file": "\Q$C\/$name\E": \Q$BAD{$name}[1]\E/,
        "CA file $name: emerg naming the directive and the file");
}

$c->config_fails(conf("            mastra_auth_ca_file $C/no-such.pem; #HERE"),
    qr/"mastra_auth_ca_file": open\(\) "\Q$C\/no-such.pem\E" failed/,
    'a missing CA file: emerg');
$c->config_fails(conf("            mastra_auth_ca_file $C/private; #HERE"),
    qr/"mastra_auth_ca_file": "\Q$C\/private\E" is not a readable file/,
    'a directory as the CA file: emerg');
$c->config_fails(conf(<<"EOF"),
            mastra_auth_jwks_file $C/private; #HERE
EOF
    qr/"mastra_auth_jwks_file": "\Q$C\/private\E" is not a readable file/,
    'a directory as the key file: emerg');
$c->config_fails(conf(<<"EOF"),
            mastra_auth_forward_jwt file:$C/private; #HERE
EOF
    qr/"mastra_auth_forward_jwt": "\Q$C\/private\E" is not a readable file/,
    'a directory as the forward_jwt secret file: emerg');
$c->write_file('private/secret.txt', random_secret(48));
chmod 0600, "$C/private/secret.txt";
$c->config_ok(conf(<<"EOF", 'jwt'),
            mastra_auth_secret file:$C/private/secret.txt;
EOF
    'a root-only secret file: nginx -t passes');
$c->config_fails(conf(<<"EOF", 'jwt'),
            mastra_auth_secret file:$C/private; #HERE
EOF
    qr/"mastra_auth_secret": "\Q$C\/private\E" is not a readable file/,
    'a directory as the secret file: emerg');

$c->finish;

done_testing;
