#!/usr/bin/perl

# nginx-mastra-auth: "nginx -s reload|reopen|quit|stop" parses the
# configuration in the shell that sends the signal, only to find the pid
# file.  That process reads no secret: it works in a shell that lacks the
# env: variables (and the providers' default ones) and cannot read a file:
# secret, while "nginx -t" and the master still check them.  Errors in a
# secret name the directive the line holds (mastra_auth_secret,
# mastra_auth_forward_jwt).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(48);
my $F = random_secret(32);
my $D = random_secret(32);
my $FILE = random_secret(32);

my $t = Mastra::Nginx->new;
$t->write_file('secret.txt', "$FILE\n");

my $CONF = <<"EOF";
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /env/ {
            mastra_auth_provider jwt;
            mastra_auth_secret env:SIGNALS_TEST_SECRET;
            mastra_auth_forward_jwt env:SIGNALS_TEST_FORWARD;
            add_header X-Generation "GEN" always;
            %%AUTH_PROXY%%
        }

        location /default/ {
            mastra_auth_provider jwt;
            %%AUTH_PROXY%%
        }

        location /file/ {
            mastra_auth_provider jwt;
            mastra_auth_secret file:%%TESTDIR%%/secret.txt;
            %%AUTH_PROXY%%
        }
    }

    %%ECHO_SERVER%%
}
EOF

sub conf {
    my ($gen) = @_;
    (my $c = $CONF) =~ s/GEN/$gen/;
    $t->write_file_expand('nginx.conf', $c);
}

my %ENVS = (SIGNALS_TEST_SECRET => $S, SIGNALS_TEST_FORWARD => $F,
    MASTRA_JWT_SECRET => $D);

conf('one');
$t->env(%ENVS)->run;

is($t->bearer('/env/x', mint($S, claims()))->outcome, '200 ok -',
    'the master read the env: secret');
is($t->bearer('/default/x', mint($D, claims()))->outcome, '200 ok -',
    'the master read MASTRA_JWT_SECRET');
is($t->bearer('/file/x', mint($FILE, claims()))->outcome, '200 ok -',
    'the master read the file: secret');

# nginx -s NAME in a shell without the secrets
sub signal {
    my ($name) = @_;
    my $d = $t->testdir;
    $t->env(map { $_ => undef } keys %ENVS);
    my @r = $t->exec_nginx("$d/signal-$name.stderr", '-p', "$d/", '-c',
        "$d/nginx.conf", '-s', $name);
    $t->env(%ENVS);
    return @r;
}

###############################################################################
# reload: the master reads the new configuration with its own environment.

conf('two');
my ($rc, $err) = signal('reload');
is($rc, 0, 'nginx -s reload without the secrets in the shell: exit 0')
    or diag($err);
unlike($err, qr/emerg/, 'no [emerg] from the signalling process');

my $deadline = time + 10;
my $gen = '';
while (time < $deadline) {
    $gen = $t->bearer('/env/x', mint($S, claims()))->header('x-generation') || '';
    last if $gen eq 'two';
    sleep 0.1;
}
is($gen, 'two', 'the master reloaded the new configuration');
is($t->bearer('/env/x', mint($S, claims()))->outcome, '200 ok -',
    'after the reload the env: secret still holds');
is($t->bearer('/env/x', mint('x' x 64, claims()))->status, 401,
    'the signaller\'s stand-in bytes are no secret of the master');
is($t->bearer('/default/x', mint($D, claims()))->outcome, '200 ok -',
    'after the reload MASTRA_JWT_SECRET still holds');

($rc, $err) = signal('reopen');
is($rc, 0, 'nginx -s reopen without the secrets: exit 0') or diag($err);

###############################################################################
# nginx -t still checks: an unset variable fails, naming the directive.

$t->env(map { $_ => undef } keys %ENVS);
($rc, $err) = $t->test_config($CONF);
isnt($rc, 0, 'nginx -t without the secrets fails');
like($err, qr/\[emerg\] (?:\d+#\d+: )?"mastra_auth_secret": environment variable "SIGNALS_TEST_SECRET" is not set/,
    'nginx -t names mastra_auth_secret and the variable');

$t->env(SIGNALS_TEST_SECRET => $S);
($rc, $err) = $t->test_config($CONF);
like($err, qr/\[emerg\] (?:\d+#\d+: )?"mastra_auth_forward_jwt": environment variable "SIGNALS_TEST_FORWARD" is not set/,
    'an unset variable in mastra_auth_forward_jwt names mastra_auth_forward_jwt');

$t->env(%ENVS);
(my $missing = $CONF) =~ s/mastra_auth_forward_jwt env:SIGNALS_TEST_FORWARD/mastra_auth_forward_jwt file:%%TESTDIR%%\/no-such-file/;
($rc, $err) = $t->test_config($missing);
like($err, qr/\[emerg\] .*"mastra_auth_forward_jwt".*no-such-file/,
    'a missing file: in mastra_auth_forward_jwt names mastra_auth_forward_jwt');
unlike($err, qr/mastra_auth_secret/, 'and not mastra_auth_secret');

($rc, $err) = $t->test_config($CONF);
is($rc, 0, 'nginx -t with the secrets passes') or diag($err);

###############################################################################
# quit: the master exits.

my $pid = $t->read_file('nginx.pid') =~ /(\d+)/ ? $1 : 0;
($rc, $err) = signal('quit');
is($rc, 0, 'nginx -s quit without the secrets: exit 0') or diag($err);
$deadline = time + 10;
sleep 0.05 while kill(0, $pid) && time < $deadline;
ok(!kill(0, $pid), 'the master exited');

$t->{pid} = undef;

# stop, on a new master
$t->run;
$pid = $t->read_file('nginx.pid') =~ /(\d+)/ ? $1 : 0;
($rc, $err) = signal('stop');
is($rc, 0, 'nginx -s stop without the secrets: exit 0') or diag($err);
$deadline = time + 10;
sleep 0.05 while kill(0, $pid) && time < $deadline;
ok(!kill(0, $pid), 'the master exited');
$t->{pid} = undef;

###############################################################################
# Starting without the secrets still fails: only the signaller skips them.

$t->env(map { $_ => undef } keys %ENVS);
ok(!eval { $t->run; 1 }, 'a master without the secrets does not start');
like($@, qr/SIGNALS_TEST_SECRET/, 'and says which variable is missing');

$t->env(%ENVS);
$t->check_error_log;

done_testing;
