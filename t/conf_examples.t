#!/usr/bin/perl

# nginx-mastra-auth: every conf-examples/*.conf passes nginx -t (the manual
# promises it: docs/providers.md "Complete examples").  Each runs in a prefix of
# its own with modules/, logs/ and temp/, MASTRA_JWT_SECRET set, and the
# module's load_module line pointed at the module under test (added when
# missing). An empty conf-examples/ is a failure, not a skip.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Basename qw(basename);
use File::Copy qw(copy);
use File::Path qw(make_path);
use Test::More;

use Crypt::PK::ECC;
use Crypt::PK::RSA;
use JSON::PP qw(encode_json);

use Mastra::Nginx;
use Mastra::Token qw(random_secret);

# Public keys for the examples that read key files, made now (never
# committed): keys/jwks.json (EC P-256) and keys/public.pem (RSA 2048).
sub write_example_keys {
    my ($t, $dir) = @_;

    make_path($dir);

    my $ec = Crypt::PK::ECC->new;
    $ec->generate_key('secp256r1');
    my $jwk = $ec->export_key_jwk('public', 1);
    $jwk->{kid} = 'example-ec';
    $t->write_file("$dir/jwks.json", encode_json({ keys => [ $jwk ] }));

    my $rsa = Crypt::PK::RSA->new;
    $rsa->generate_key(256, 65537);
    $t->write_file("$dir/public.pem", $rsa->export_key_pem('public'));
}

my $dir = Mastra::Nginx->root . '/conf-examples';
my @files = sort glob "$dir/*.conf";

ok(scalar @files, "conf-examples/ holds configurations") or diag("none in $dir");

my $t = Mastra::Nginx->new->env(
    MASTRA_JWT_SECRET => random_secret(64),
    MASTRA_FORWARD_SECRET => random_secret(32),
    JWT_AUTH_SECRET   => random_secret(64),
    BETTER_AUTH_SECRET => random_secret(48),
);

my $module = Mastra::Nginx::module_path();

for my $file (@files) {
    my $name = basename($file, '.conf');
    my $prefix = $t->testdir . "/$name";

    make_path("$prefix/conf", "$prefix/logs", "$prefix/temp", "$prefix/modules");
    symlink $module, "$prefix/modules/ngx_http_mastra_auth_module.so";
    copy('/etc/nginx/mime.types', "$prefix/conf/mime.types")
        if -f '/etc/nginx/mime.types';

    write_example_keys($t, "$prefix/conf/keys");

    my $conf = $t->read_file($file);

    like($conf, qr/^\s*mastra_auth_provider\s/m, "$name: uses the module");

    # the module under test, wherever the example expects it
    my $n = $conf =~ s{^(\s*load_module\s+)\S*ngx_http_mastra_auth_module\.so\s*;}
                      {$1$module;}mg;
    $conf = "load_module $module;\n" . $conf
        if !$n && $conf =~ /mastra_auth_/;

    $t->write_file("$prefix/conf/$name.conf", $conf);

    my ($rc, $stderr) = $t->exec_nginx("$prefix/nginx-t.stderr", '-t',
        '-p', "$prefix/", '-c', "$prefix/conf/$name.conf");

    ok($rc == 0 && $stderr =~ /test is successful/, "$name: nginx -t passes")
        or diag($stderr);
    unlike($stderr, qr/\[(?:alert|crit|emerg)\]/, "$name: no alert, crit, emerg");
}

$t->finish;

done_testing;
