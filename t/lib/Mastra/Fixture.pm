package Mastra::Fixture;

# nginx-mastra-auth: a real Mastra server for the tests (t/fixtures/mastra:
# @mastra/core, @mastra/hono, @mastra/auth on @hono/node-server, installed
# with npm ci by ./build.sh test, run with the node 22 binary the fixture's
# own "node" dependency brings).
#
#   my $why = Mastra::Fixture::unavailable();   # undef when usable
#   plan(skip_all => $why) if $why;
#
#   my $m = Mastra::Fixture->start($t, 5, auth => { type => 'jwt', secret => $S });
#   $t->request(uri => '/api/agents', port => 5);   # straight at Mastra
#   $m->stop;                                        # also on DESTROY
#
# start($t, N, %config) runs t/fixtures/mastra/server.mjs on $t->port(N) with
# %config (see server.mjs: auth, routes), its output in $t->testdir/mastra-N.log.
# start_all($t, [N, %config], ...) starts several at once (they boot in
# parallel) and waits for all of them.
#
# node_script($t, $file, @args): runs a node script with the fixture's node
# 22 (NODE_PATH set to the fixture's node_modules); (exit code, stdout, stderr).

use strict;
use warnings;

use Carp qw(croak);
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use Mastra::Nginx;

my $JSON = JSON::PP->new->canonical;

our $DIR = Mastra::Nginx::root() . '/t/fixtures/mastra';

sub dir { return $DIR }

sub node {
    for my $p ("$DIR/node_modules/node/bin/node", "$DIR/node_modules/.bin/node") {
        return $p if -x $p;
    }
    return undef;
}

# Why the fixture cannot run here, or undef.
sub unavailable {
    return "Mastra fixture not installed: run 'npm ci' in t/fixtures/mastra "
        . "(./build.sh test does)"
        unless -d "$DIR/node_modules/\@mastra/hono" && node();

    my $v = `'${\ node()}' --version 2>/dev/null`;
    return "the fixture's node does not run" unless $v && $v =~ /^v(\d+)\.(\d+)/;
    return "the fixture needs node >= 22.13, its node is $v"
        if $1 < 22 || ($1 == 22 && $2 < 13);

    return undef;
}

sub _env {
    # Mastra: no telemetry; the fixture never reads secrets from the
    # developer's shell.
    $ENV{MASTRA_TELEMETRY_DISABLED} = '1';
    $ENV{NODE_ENV} = 'test';
    delete @ENV{qw(JWT_AUTH_SECRET MASTRA_JWT_SECRET MASTRA_DEV)};
}

sub spawn {
    my ($class, $t, $n, %config) = @_;

    my $port = $t->port($n);
    $config{port} = $port;

    my $cfg = $t->testdir . "/mastra-$n.json";
    my $log = $t->testdir . "/mastra-$n.log";
    $t->write_file($cfg, $JSON->encode(\%config));

    my $node = node() or croak unavailable();

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        _env();
        chdir $DIR or die "chdir $DIR: $!";
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $log or die "$log: $!";
        open STDERR, '>&', \*STDOUT;
        exec $node, "$DIR/server.mjs", $cfg;
        exit 127;
    }

    return bless {
        t     => $t,
        n     => $n,
        port  => $port,
        pid   => $pid,
        log   => $log,
        owner => $$,
    }, $class;
}

# Waits for "mastra fixture listening on PORT" (30 s).
sub wait_ready {
    my ($self) = @_;
    my $deadline = time + 30;

    while (time < $deadline) {
        my $text = $self->{t}->read_file($self->{log});
        return $self if $text =~ /^mastra fixture listening on \Q$self->{port}\E$/m;

        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            my $st = $?;
            $self->{pid} = undef;
            $text = $self->{t}->read_file($self->{log});
            croak "the Mastra fixture on port $self->{port} exited (exit "
                . ($st >> 8) . ', signal ' . ($st & 127) . "):\n$text";
        }
        sleep 0.05;
    }

    croak "the Mastra fixture did not start in 30 s:\n"
        . $self->{t}->read_file($self->{log});
}

sub start {
    my ($class, $t, $n, %config) = @_;
    return ($class->start_all($t, [ $n, %config ]))[0];
}

# The ports are free when chosen, but another program may take one before
# node listens: such a fixture is started once more on a new port.
sub start_all {
    my ($class, $t, @specs) = @_;
    my @all = map { $class->spawn($t, @$_) } @specs;

    for my $i (0 .. $#all) {
        next if eval { $all[$i]->wait_ready; 1 };
        my $err = $@;
        die $err unless $all[$i]->log_text =~ /EADDRINUSE/;
        delete $t->{ports}{ $specs[$i][0] };
        $all[$i] = $class->spawn($t, @{ $specs[$i] })->wait_ready;
    }

    return @all;
}

sub port { return $_[0]->{port} }
sub n    { return $_[0]->{n} }
sub log_text { my ($self) = @_; return $self->{t}->read_file($self->{log}) }

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return $self;

    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }

    $self->{pid} = undef;
    return $self;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} == $$;
    $self->stop;
}

# node_script($t, $script_path, @args): (exit code, stdout, stderr)
sub node_script {
    my ($class, $t, $script, @args) = @_;

    my $node = node() or croak unavailable();
    my $base = $t->testdir . '/node-' . int(rand(1e9));

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        _env();
        $ENV{NODE_PATH} = "$DIR/node_modules";
        chdir $DIR or die "chdir $DIR: $!";
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$base.out" or die;
        open STDERR, '>', "$base.err" or die;
        exec $node, $script, @args;
        exit 127;
    }

    waitpid $pid, 0;
    my $rc = $? >> 8;

    return ($rc, $t->read_file("$base.out"), $t->read_file("$base.err"));
}

1;
