package Mastra::BetterAuth;

# nginx-mastra-auth: a real Better Auth server for the tests
# (t/fixtures/better-auth/server.mjs: better-auth 1.7.x, memory adapter,
# emailAndPassword, the bearer and jwt plugins, the "compact" cookie cache,
# mounted at /api/auth), run with the node 22 binary that `npm ci` in the
# fixture brings.
#
#   plan skip_all => Mastra::BetterAuth->missing if Mastra::BetterAuth->missing;
#   my $ba = Mastra::BetterAuth->new(secret => $secret);   # started
#       (also port => N, expires_in => SECONDS: session.expiresIn, and what
#       teams change: base_path => '/auth', cookie_prefix => 'myapp',
#       token_cookie => NAME, data_cookie => NAME, secure_cookies => 1,
#       cache_strategy => 'compact' | 'jwt' | 'jwe', cache_version => V,
#       jwt_cookie_cache => 1: the jwt plugin signs the "jwt" cache,
#       base_url => URL: Better Auth's baseURL, when users reach it
#       through nginx)
#   $ba->via($url)   sign-up, sign-in and sign-out through $url (nginx)
#                    from now on; via(undef): straight to the server
#   $ba->cache_version($v)  bumps cookieCache.version (needs cache_version)
#   $ba->front($nginx_url)   all of Better Auth's own routes through nginx
#                    from now on, with nginx as the Origin (base_url)
#   my $s = $ba->sign_up('a@example.com', 'password1234', 'Alice');
#   $s->{token}      TOKEN.SIG as the bearer plugin's set-auth-token header gives it
#   $s->{cookie}     the session_token cookie's value as Set-Cookie sends it
#                    (TOKEN.SIG percent-encoded: what a browser sends back)
#   $s->{cookie_name} better-auth.session_token (http base URL: no __Secure-)
#   $s->{data}       the better-auth.session_data cookie's value (chunks joined)
#   $s->{data_name}  better-auth.session_data
#   $s->{data_chunks} [ [name, value], ... ] the cookie cache as set: one
#                    cookie, or session_data.0, .1, ... when it was chunked
#   $s->{data_cookie} those as a Cookie header value
#   $s->{user}       the user object of the answer ({id, email, ...})
#   $s->{raw}        TOKEN alone
#   $ba->sign_in($email, $password)              same shape
#   $ba->sign_out($s)                            the status (200)
#   $ba->jwt($s)                                 a JWT from /api/auth/token
#   $ba->verify_email($email)                    user.emailVerified = true
#   $ba->get_session(Header => value, ...)       decoded answer (undef for null)
#   $ba->hits('/api/auth/get-session')           requests for the path so far
#   $ba->mode('hang')                            how get-session answers: normal,
#                                                500, 401, hang, null
#   $ba->stop; $ba->start                        (the memory database is lost)
#
# Every request the server receives is one line "METHOD PATH" in its log.
#
# Better Auth's formats, by hand (exported on request):
#   signed_token($secret, $token)   TOKEN.SIG, SIG = base64(HMAC-SHA256(secret, TOKEN))
#                                   with padding (better-call's signCookieValue)
#   data_parts($session_data)       (inner JSON text, expiresAt, signature) of a
#                                   "compact" cookie cache value
#   data_make($secret, $inner, $expiresAt [, $signature])
#                                   a "compact" cookie cache value; the signature
#                                   is base64url-nopad HMAC-SHA256(secret, inner
#                                   text with ,"expiresAt":N before its last })
#   pct($value)                     percent-encoded as encodeURIComponent does

use strict;
use warnings;

use Carp qw(croak);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use Digest::SHA qw(hmac_sha256);
use Exporter qw(import);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64 encode_base64url decode_base64url);
use POSIX ();
use Time::HiRes qw(sleep time);

use Mastra::Nginx;

our @EXPORT_OK = qw(signed_token data_parts data_make pct);

our $FIXTURE = Mastra::Nginx::root() . '/t/fixtures/better-auth';
our $NODE = "$FIXTURE/node_modules/.bin/node";

# Why the fixture cannot run (a skip reason), or '' when it can.
sub missing {
    return "t/fixtures/better-auth is not installed (./build.sh test runs npm ci there)"
        unless -x $NODE && -d "$FIXTURE/node_modules/better-auth";
    return '';
}

sub free_port {
    my $s = IO::Socket::INET->new(
        Proto => 'tcp', LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
    ) or croak "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# new(secret => S, port => P, expires_in => SECONDS): started
sub new {
    my ($class, %o) = @_;

    croak 'secret required' unless defined $o{secret};

    my $dir = tempdir('mastra-better-auth-XXXXXXXX', TMPDIR => 1, CLEANUP => 0);

    my $self = bless {
        dir    => $dir,
        secret => $o{secret},
        port   => $o{port} || free_port(),
        expires_in => $o{expires_in},
        base_url => $o{base_url},
        base_path => $o{base_path} || '/api/auth',
        options => [
            ($o{base_path} ? ('--base-path', $o{base_path}) : ()),
            ($o{cookie_prefix} ? ('--cookie-prefix', $o{cookie_prefix}) : ()),
            ($o{token_cookie} ? ('--token-cookie', $o{token_cookie}) : ()),
            ($o{data_cookie} ? ('--data-cookie', $o{data_cookie}) : ()),
            ($o{secure_cookies} ? ('--secure-cookies') : ()),
            ($o{cache_strategy} ? ('--cache-strategy', $o{cache_strategy}) : ()),
            (defined $o{cache_version} ? ('--cache-version', $o{cache_version}) : ()),
            ($o{jwt_cookie_cache} ? ('--jwt-cookie-cache') : ()),
        ],
        token_name => ($o{secure_cookies} ? '__Secure-' : '')
            . ($o{token_cookie} || ($o{cookie_prefix} || 'better-auth') . '.session_token'),
        data_name => ($o{secure_cookies} ? '__Secure-' : '')
            . ($o{data_cookie} || ($o{cookie_prefix} || 'better-auth') . '.session_data'),
        via    => undef,
        pid    => undef,
        owner  => $$,
        http   => HTTP::Tiny->new(timeout => 10, max_redirect => 0,
            agent => 'mastra-auth-tests'),
        json   => JSON::PP->new->canonical,
    }, $class;

    $self->start;
    return $self;
}

# front($url): Better Auth's own routes (/api/auth/*) are asked through the
# proxy at $url from now on (undef: straight again)
sub front { $_[0]->{front} = $_[1]; return $_[0] }

sub port   { return $_[0]->{port} }
sub secret { return $_[0]->{secret} }
sub url    { return "http://127.0.0.1:$_[0]->{port}" }
sub log_file { return "$_[0]->{dir}/requests.log" }
sub base_path { return $_[0]->{base_path} }
sub token_name { return $_[0]->{token_name} }
sub data_name { return $_[0]->{data_name} }
sub via { $_[0]->{via} = $_[1]; return $_[0] }

sub start {
    my ($self) = @_;
    croak 'Better Auth already running' if $self->{pid};

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        POSIX::setsid();
        chdir $FIXTURE or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/server.out";
        open STDERR, '>&', \*STDOUT;
        $ENV{NODE_ENV} = 'test';
        delete $ENV{BETTER_AUTH_URL};
        delete $ENV{BETTER_AUTH_SECRETS};
        { exec $NODE, "$FIXTURE/server.mjs", '--port', $self->{port},
            '--secret', $self->{secret}, '--log', $self->log_file,
            ($self->{expires_in} ? ('--expires-in', $self->{expires_in}) : ()),
            ($self->{base_url} ? ('--base-url', $self->{base_url}) : ()),
            @{ $self->{options} }; }
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    my $deadline = time + 30;
    while (time < $deadline) {
        my $r = $self->{http}->get($self->url . '/__test/health');
        return $self if $r->{status} == 200;
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            $self->{pid} = undef;
            croak "Better Auth exited at start:\n" . $self->output;
        }
        sleep 0.1;
    }

    croak "Better Auth did not start:\n" . $self->output;
}

sub running { return defined $_[0]->{pid} }

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return $self;

    stop_process_group($pid);

    $self->{pid} = undef;
    return $self;
}

# A node server started in a process group of its own (setsid): TERM to the
# group, KILL after 5 s; the other fixtures' servers are stopped alike.
sub stop_process_group {
    my ($pid) = @_;

    kill 'TERM', -$pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.02;
    }
    if (kill 0, $pid) {
        kill 'KILL', -$pid;
        waitpid $pid, 0;
    }
}

sub output {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/server.out" or return '';
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

###############################################################################
# requests

sub _request {
    my ($self, $method, $path, %o) = @_;

    # Better Auth's own endpoints sit under its base path; they are asked
    # through nginx when a proxy is set: with front(), all of them, as a
    # browser would (nginx is the Origin, Better Auth's baseURL); with
    # via(), the requests that ask for it (sign-up, sign-in, sign-out)
    my $url = $self->url;
    my $origin = $self->url;
    if ($path =~ s{^/api/auth(?=/|$)}{$self->{base_path}}) {
        if ($self->{front}) {
            $url = $origin = $self->{front};
        } elsif ($self->{via} && $o{via}) {
            $url = $self->{via};
        }
    }

    my %h = (Origin => $origin, %{ $o{headers} || {} });
    my %args = (headers => \%h);
    if (exists $o{json}) {
        $h{'Content-Type'} = 'application/json';
        $args{content} = $self->{json}->encode($o{json});
    }

    return $self->{http}->request($method, $url . $path, \%args);
}

sub _decode {
    my ($self, $r) = @_;
    my $body = $r->{content};
    return undef unless defined $body && length $body;
    my $v = eval { JSON::PP->new->allow_nonref->decode($body) };
    return $v;
}

# The Set-Cookie headers of an answer: { name => value } (value as sent);
# in list context also the names in their order.
sub _set_cookies {
    my ($r) = @_;
    my $sc = $r->{headers}{'set-cookie'};
    my @all = ref $sc ? @$sc : defined $sc ? ($sc) : ();
    my (%c, @names);
    for (@all) {
        my ($nv) = split /;/, $_, 2;
        my ($n, $v) = split /=/, $nv, 2;
        push @names, $n unless exists $c{$n};
        $c{$n} = $v;
    }
    return wantarray ? (\%c, \@names) : \%c;
}

sub _session {
    my ($self, $r, $what) = @_;

    croak "Better Auth $what: $r->{status} $r->{content}"
        unless $r->{status} == 200;

    my ($c, $names) = _set_cookies($r);
    my $body = $self->_decode($r) || {};
    my $cookie_name = exists $c->{ $self->{token_name} } ? $self->{token_name} : undef;
    my $data_name = $self->{data_name};
    my $token = $r->{headers}{'set-auth-token'};

    croak "Better Auth $what: no session cookie" unless $cookie_name && $token;

    # the cookie cache: one cookie, or its chunks NAME.0, NAME.1, ...
    my @chunks;
    if (defined $c->{$data_name} && length $c->{$data_name}) {
        @chunks = ([ $data_name, $c->{$data_name} ]);
    } else {
        for (my $i = 0; defined $c->{"$data_name.$i"} && length $c->{"$data_name.$i"}; $i++) {
            push @chunks, [ "$data_name.$i", $c->{"$data_name.$i"} ];
        }
    }

    return {
        token       => $token,
        raw         => (split /\./, $token)[0],
        cookie      => $c->{$cookie_name},
        cookie_name => $cookie_name,
        data        => @chunks ? join('', map { $_->[1] } @chunks) : undef,
        data_name   => @chunks ? $data_name : undef,
        data_chunks => \@chunks,
        data_cookie => join('; ', map { "$_->[0]=$_->[1]" } @chunks),
        user        => $body->{user},
        email       => $body->{user} ? $body->{user}{email} : undef,
    };
}

sub sign_up {
    my ($self, $email, $password, $name) = @_;
    my $r = $self->_request('POST', '/api/auth/sign-up/email', via => 1, json => {
        email => $email, password => $password,
        name => defined $name ? $name : $email,
    });
    return $self->_session($r, 'sign-up');
}

sub sign_in {
    my ($self, $email, $password) = @_;
    my $r = $self->_request('POST', '/api/auth/sign-in/email', via => 1, json => {
        email => $email, password => $password,
    });
    return $self->_session($r, 'sign-in');
}

# sign_out($session): through the cookie, as a browser does; the status
sub sign_out {
    my ($self, $s) = @_;
    my $r = $self->_request('POST', '/api/auth/sign-out', via => 1, json => {},
        headers => { Cookie => "$s->{cookie_name}=$s->{cookie}" });
    return $r->{status};
}

# jwt($session): the jwt plugin's token for the session
sub jwt {
    my ($self, $s) = @_;
    my $r = $self->_request('GET', '/api/auth/token',
        headers => { Authorization => "Bearer $s->{token}" });
    croak "Better Auth token: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $self->_decode($r)->{token};
}

sub jwks {
    my ($self) = @_;
    my $r = $self->_request('GET', '/api/auth/jwks');
    croak "Better Auth jwks: $r->{status}" unless $r->{status} == 200;
    return $self->_decode($r);
}

sub get_session {
    my ($self, %headers) = @_;
    my $r = $self->_request('GET', '/api/auth/get-session', headers => \%headers);
    croak "Better Auth get-session: $r->{status}" unless $r->{status} == 200;
    return $self->_decode($r);
}

sub verify_email {
    my ($self, $email) = @_;
    my $r = $self->_request('POST', '/__test/verify-email', json => { email => $email });
    croak "verify-email: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $self->_decode($r);
}

sub cache_version {
    my ($self, $v) = @_;
    my $r = $self->_request('POST', '/__test/cache-version', json => { version => $v });
    croak "cache-version: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $self;
}

sub mode {
    my ($self, $mode) = @_;
    my $r = $self->_request('POST', '/__test/mode', json => { getSession => $mode });
    croak "mode: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $self;
}

###############################################################################
# the request log

sub requests {
    my ($self) = @_;
    open my $fh, '<', $self->log_file or return ();
    chomp(my @lines = <$fh>);
    return @lines;
}

# hits($path): requests for $path (any method) so far
sub hits {
    my ($self, $path) = @_;
    return scalar grep { (split / /, $_, 2)[1] eq $path } $self->requests;
}

sub get_session_hits { return $_[0]->hits("$_[0]->{base_path}/get-session") }

###############################################################################
# Better Auth's formats

sub signed_token {
    my ($secret, $token) = @_;
    my $sig = encode_base64(hmac_sha256($token, $secret), '');
    return "$token.$sig";
}

sub data_parts {
    my ($value) = @_;
    my $text = decode_base64url($value);
    my ($inner, $exp, $sig) =
        $text =~ /^\{"session":(\{.*\}),"expiresAt":(\d+),"signature":"([^"]*)"\}$/s
        or croak "not a compact session_data cookie: $text";
    return ($inner, $exp, $sig);
}

sub data_make {
    my ($secret, $inner, $exp, $sig) = @_;
    $sig = encode_base64url(hmac_sha256(
        substr($inner, 0, -1) . qq(,"expiresAt":$exp}), $secret))
        unless defined $sig;
    return encode_base64url(
        qq({"session":$inner,"expiresAt":$exp,"signature":"$sig"}));
}

sub pct {
    my ($v) = @_;
    $v =~ s/([^A-Za-z0-9\-_.!~*'()])/sprintf('%%%02X', ord $1)/ge;
    return $v;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} == $$;

    $self->stop;

    if ($ENV{TEST_NGINX_LEAVE}) {
        print STDERR "# kept $self->{dir}\n";
        return;
    }
    rmtree($self->{dir}) if $self->{dir} && -d $self->{dir};
}

1;
