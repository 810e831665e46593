package Mastra::OAuthServer;

# nginx-mastra-auth: a real OAuth 2.1 authorization server for the tests
# (t/fixtures/better-auth/oauth-server.mjs: Better Auth with its
# oauth-provider and jwt plugins, memory adapter), run with the node 22 of
# the better-auth fixture.
#
#   plan skip_all => Mastra::BetterAuth->missing if Mastra::BetterAuth->missing;
#   my $as = Mastra::OAuthServer->new($t, resources => [ URL, ... ]);
#   $as->url      http://127.0.0.1:PORT (the user signs up there)
#   $as->issuer   http://127.0.0.1:PORT/api/auth
#   $as->secret   its BETTER_AUTH_SECRET
#   $as->get($path)   HTTP::Tiny answer, straight to the server
#   $as->stop     (also on DESTROY)
#
# Its output goes to $t->testdir/oauth-server.log.

use strict;
use warnings;

use Carp qw(croak);
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep time);

use Mastra::BetterAuth;
use Mastra::Token qw(random_secret);

sub new {
    my ($class, $t, %o) = @_;

    my $self = bless {
        t     => $t,
        port  => Mastra::BetterAuth::free_port(),
        secret => random_secret(48),
        log   => $t->testdir . '/oauth-server.log',
        owner => $$,
    }, $class;

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        POSIX::setsid();
        chdir $Mastra::BetterAuth::FIXTURE or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{log};
        open STDERR, '>&', \*STDOUT;
        $ENV{NODE_ENV} = 'test';
        delete @ENV{qw(BETTER_AUTH_URL BETTER_AUTH_SECRET BETTER_AUTH_SECRETS)};
        { exec $Mastra::BetterAuth::NODE,
            "$Mastra::BetterAuth::FIXTURE/oauth-server.mjs",
            '--port', $self->{port}, '--secret', $self->{secret},
            map { ('--resource', $_) } @{ $o{resources} || [] }; }
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    my $deadline = time + 30;
    while (time < $deadline) {
        return $self if $t->read_file($self->{log}) =~ /^listening \Q$self->{port}\E$/m;
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            $self->{pid} = undef;
            croak "the authorization server exited at start:\n"
                . $t->read_file($self->{log});
        }
        sleep 0.05;
    }

    croak "the authorization server did not start:\n" . $t->read_file($self->{log});
}

sub url    { return "http://127.0.0.1:$_[0]->{port}" }
sub secret { return $_[0]->{secret} }
sub issuer { return $_[0]->url . '/api/auth' }
sub log_text { return $_[0]->{t}->read_file($_[0]->{log}) }

sub get {
    my ($self, $path) = @_;
    return HTTP::Tiny->new(timeout => 10)->get($self->url . $path);
}

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return $self;

    Mastra::BetterAuth::stop_process_group($pid);
    $self->{pid} = undef;
    return $self;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} == $$;
    $self->stop;
}

1;
