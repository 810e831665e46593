package Mastra::KeyServer;

# nginx-mastra-auth: a key server for the remote key-set tests.  A forked
# Perl server on 127.0.0.1, over HTTPS (a certificate from a CA made at test
# time with the openssl CLI, see Mastra::KeyServer::CA) or plain HTTP, one
# request per connection, each connection handled in a child of its own (a
# slow answer never holds the others up).  What it serves and how it
# misbehaves is read from files on every request, so a test changes them
# while nginx runs:
#
#   my $ca = Mastra::KeyServer::CA->new;
#   my $ks = Mastra::KeyServer->new(ca => $ca);        # https, SAN IP:127.0.0.1
#   $ks->put('/jwks.json', $jwks_text, 'Cache-Control' => 'max-age=600');
#   ... mastra_auth_jwks_uri ${\ $ks->url('/jwks.json')};
#   ... mastra_auth_ca_file ${\ $ca->file};
#   $ks->mode('/jwks.json', 'status 500');             # or for every path: mode(undef, ...)
#   is($ks->hits('/jwks.json'), 1);                     # requests for the path so far
#   $ks->down; ... $ks->up;                             # connections refused meanwhile
#   $ks->down; $ks->reissue('DNS:other.example'); $ks->up;  # a certificate that fails
#
# Modes (per path, else the server-wide one, else "ok"):
#   ok             200 with the file put() for the path (404 when none)
#   status N       status N, with the file as body (a valid key set: only
#                  the status may make a client refuse it)
#   redirect URL   302 to URL
#   slow S         wait S seconds, then as ok
#   drip S         headers and the first byte at once, the rest of the body
#                  a byte at a time spread over S seconds
#   invalid        200 with a body that is not JSON
#   huge N         200 with the file's key set padded to N bytes (still
#                  valid JSON, so that only the size may make it fail)
#   empty          200 {"keys":[]}
#   body TEXT      200 with TEXT (one line) as the body
#   close          accept, read the request, close without an answer
#
# Every request is logged to log.txt, one line "PATH MODE"; hits() counts
# them.  Certificates and keys exist only in temporary directories.

use strict;
use warnings;

use Carp qw(croak);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Socket qw(SOL_SOCKET SO_REUSEADDR);
use Time::HiRes qw(sleep time);

# new(ca => CA, san => 'IP:127.0.0.1')   https, certificate signed by CA
# new()                                  plain http
sub new {
    my ($class, %o) = @_;

    my $dir = tempdir('mastra-keyserver-XXXXXXXX', TMPDIR => 1, CLEANUP => 0);
    chmod 0755, $dir;
    mkdir "$dir/docs";
    mkdir "$dir/modes";

    my $self = bless {
        dir   => $dir,
        ca    => $o{ca},
        tls   => $o{ca} ? 1 : 0,
        port  => undef,
        pid   => undef,
        owner => $$,
    }, $class;

    if ($self->{tls}) {
        ($self->{cert}, $self->{key}) =
            $o{ca}->issue($dir, $o{san} || 'IP:127.0.0.1');
    }

    $self->_write("$dir/log.txt", '');
    $self->up;

    return $self;
}

sub dir  { return $_[0]->{dir} }
sub port { return $_[0]->{port} }
sub host { return "127.0.0.1:$_[0]->{port}" }

sub scheme { return $_[0]->{tls} ? 'https' : 'http' }

# url('/path'): the URL of a path on this server
sub url {
    my ($self, $path) = @_;
    $path = '/' unless defined $path;
    return $self->scheme . "://127.0.0.1:$self->{port}$path";
}

sub _name {
    my ($path) = @_;
    (my $name = $path) =~ s{[^A-Za-z0-9._-]}{_}g;
    return $name;
}

sub _write {
    my ($self, $path, $content) = @_;
    my $tmp = "$path.tmp.$$";
    open my $fh, '>', $tmp or croak "cannot write $tmp: $!";
    binmode $fh;
    print $fh $content;
    close $fh or croak "cannot write $tmp: $!";
    rename $tmp, $path or croak "cannot rename $tmp: $!";
}

sub _read {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    binmode $fh;
    local $/;
    my $text = <$fh>;
    close $fh;
    return defined $text ? $text : '';
}

# put($path, $body, Header => value, ...): what "ok" serves for $path;
# atomic (rename), so a request never sees half a file.
sub put {
    my ($self, $path, $body, @headers) = @_;
    my $name = _name($path);
    my $h = '';
    while (@headers) {
        my ($k, $v) = splice @headers, 0, 2;
        $h .= "$k: $v\r\n";
    }
    $self->_write("$self->{dir}/docs/$name.headers", $h);
    $self->_write("$self->{dir}/docs/$name", $body);
    return $self;
}

# mode($path, $mode): undef $path sets the server-wide mode; undef $mode
# removes the path's own mode.
sub mode {
    my ($self, $path, $mode) = @_;
    my $file = defined $path ? "$self->{dir}/modes/" . _name($path)
                             : "$self->{dir}/mode";
    if (defined $mode) {
        $self->_write($file, $mode);
    } else {
        unlink $file;
    }
    return $self;
}

# The logged requests, as [path, mode] pairs.
sub requests {
    my ($self) = @_;
    my $log = _read("$self->{dir}/log.txt");
    return map { [ split / /, $_, 2 ] } grep { length } split /\n/, $log;
}

# hits($path): requests for $path so far (every path when undef)
sub hits {
    my ($self, $path) = @_;
    return scalar grep { !defined $path || $_->[0] eq $path } $self->requests;
}

# wait_hits($path, $n, $timeout): waits until hits($path) >= $n; hits()
sub wait_hits {
    my ($self, $path, $n, $timeout) = @_;
    my $deadline = time + (defined $timeout ? $timeout : 5);
    while ($self->hits($path) < $n && time < $deadline) {
        sleep 0.02;
    }
    return $self->hits($path);
}

# up(): listen (again, on the same port) and serve.
sub up {
    my ($self) = @_;
    return $self if $self->{pid};

    my $listen;
    for (1 .. 50) {
        $listen = IO::Socket::INET->new(
            Proto     => 'tcp',
            LocalAddr => '127.0.0.1',
            LocalPort => $self->{port} || 0,
            Listen    => 128,
            ReuseAddr => 1,
        ) and last;
        croak "key server: cannot listen: $!" unless $self->{port};
        sleep 0.05;
    }
    croak "key server: cannot listen again on $self->{port}: $!" unless $listen;

    $self->{port} = $listen->sockport;

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        setpgrp(0, 0);
        eval { $self->_serve($listen) };
        POSIX::_exit(0);
    }

    close $listen;
    $self->{pid} = $pid;

    return $self;
}

# reissue($san, ca => $ca): a new certificate (another name, another CA)
# for the next up(); a running server keeps its own until down().
sub reissue {
    my ($self, $san, %o) = @_;
    croak 'reissue: not an https key server' unless $self->{tls};
    my $ca = $o{ca} || $self->{ca};
    ($self->{cert}, $self->{key}) = $ca->issue($self->{dir}, $san);
    return $self;
}

# down(): stop listening; connections are refused until up().
sub down {
    my ($self) = @_;
    my $pid = $self->{pid} or return $self;

    # waitpid sets $?: at global destruction that would be the test's exit
    # code
    local $?;

    # the server and the children answering requests: one process group
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid $pid, 0;
    $self->{pid} = undef;

    return $self;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} == $$;
    $self->down;
    if ($ENV{TEST_NGINX_LEAVE}) {
        print STDERR "# kept $self->{dir}\n";
        return;
    }
    rmtree($self->{dir}) if $self->{dir} && -d $self->{dir};
}

###############################################################################
# The server process.

sub _serve {
    my ($self, $listen) = @_;

    $SIG{CHLD} = 'IGNORE';
    $SIG{PIPE} = 'IGNORE';

    require IO::Socket::SSL if $self->{tls};

    while (1) {
        my $c = $listen->accept or next;
        my $pid = fork;
        if (!defined $pid) {
            close $c;
            next;
        }
        if ($pid == 0) {
            close $listen;
            eval { $self->_connection($c) };
            POSIX::_exit(0);
        }
        close $c;
    }
}

sub _connection {
    my ($self, $c) = @_;

    if ($self->{tls}) {
        IO::Socket::SSL->start_SSL($c,
            SSL_server        => 1,
            SSL_cert_file     => $self->{cert},
            SSL_key_file      => $self->{key},
            SSL_startHandshake => 1,
            Timeout           => 5,
        ) or return;
    }

    binmode $c;

    my $req = '';
    my $deadline = time + 5;
    while ($req !~ /\r\n\r\n/ && time < $deadline) {
        my $n = sysread($c, my $buf, 8192);
        last unless $n;
        $req .= $buf;
    }

    my ($path) = $req =~ m{^[A-Z]+ (\S+) HTTP/} or return;

    my $d = $self->{dir};
    my $name = _name($path);
    my $mode = _read("$d/modes/$name");
    $mode = _read("$d/mode") unless defined $mode;
    $mode = 'ok' unless defined $mode && length $mode;
    $mode =~ s/\s+$//;

    # one line, one write(2) in append mode: lines never interleave
    open my $log, '>>', "$d/log.txt";
    syswrite $log, "$path $mode\n";
    close $log;

    my $body = _read("$d/docs/$name");
    my $extra = _read("$d/docs/$name.headers");
    $extra = '' unless defined $extra;

    my ($verb, $arg) = split / /, $mode, 2;

    if ($verb eq 'close') {
        close $c;
        return;
    }

    if ($verb eq 'slow') {
        sleep $arg;
        $verb = 'ok';
    }

    my $status = 200;
    my $headers = $extra;

    if ($verb eq 'ok' || $verb eq 'drip') {
        $status = 404 unless defined $body;

    } elsif ($verb eq 'status') {
        $status = $arg;

    } elsif ($verb eq 'redirect') {
        $status = 302;
        $headers .= "Location: $arg\r\n";

    } elsif ($verb eq 'invalid') {
        $body = '{"keys": [ {"kty": "RSA", this is not JSON';

    } elsif ($verb eq 'empty') {
        $body = '{"keys":[]}';

    } elsif ($verb eq 'body') {
        $body = defined $arg ? $arg : '';

    } elsif ($verb eq 'huge') {
        # {"pad":"xxx...","keys":[...]} of exactly $arg bytes
        $body = '{"keys":[]}' unless defined $body;
        my $rest = substr $body, 1;
        my $pad = $arg - length('{"pad":"",') - length($rest);
        $body = '{"pad":"' . ('x' x ($pad > 0 ? $pad : 0)) . '",' . $rest;
    }

    $body = '' unless defined $body;

    my %reason = (200 => 'OK', 302 => 'Found', 404 => 'Not Found',
        500 => 'Internal Server Error', 503 => 'Service Unavailable');

    my $head = "HTTP/1.1 $status " . ($reason{$status} || 'Status') . "\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n"
        . "Connection: close\r\n"
        . $headers . "\r\n";

    if ($verb eq 'drip' && length $body > 1) {
        _send($c, $head . substr($body, 0, 1));
        my $step = $arg / (length($body) - 1);
        for my $i (1 .. length($body) - 1) {
            sleep $step;
            _send($c, substr($body, $i, 1)) or last;
        }
    } else {
        _send($c, $head . $body);
    }

    # let the client read everything before the close
    if ($self->{tls}) {
        $c->close(SSL_fast_shutdown => 1);
    } else {
        shutdown $c, 1;
        my $sel = IO::Select->new($c);
        sysread($c, my $buf, 1) if $sel->can_read(2);
        close $c;
    }
}

sub _send {
    my ($c, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($c, $data, length($data) - $off, $off);
        return 0 unless defined $n && $n > 0;
        $off += $n;
    }
    return 1;
}

###############################################################################

package Mastra::KeyServer::CA;

# A certificate authority made at test time: an EC P-256 key and a
# self-signed CA certificate, made with the openssl CLI.  issue() makes a
# server certificate for a subjectAltName.

use strict;
use warnings;

use Carp qw(croak);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);

sub new {
    my ($class, %o) = @_;

    my $dir = tempdir('mastra-ca-XXXXXXXX', TMPDIR => 1, CLEANUP => 0);
    chmod 0755, $dir;

    my $self = bless { dir => $dir, owner => $$, serial => 0,
        name => $o{name} || 'Mastra Test CA' }, $class;

    _openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout',
        '-out', "$dir/ca.key");
    _openssl('req', '-x509', '-new', '-key', "$dir/ca.key", '-sha256',
        '-days', '2', '-subj', "/CN=$self->{name}",
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
        '-out', "$dir/ca.pem");
    chmod 0644, "$dir/ca.pem";

    return $self;
}

# the CA certificate, for mastra_auth_ca_file
sub file { return "$_[0]->{dir}/ca.pem" }

# issue($dir, $san): (cert file, key file) of a server certificate in $dir
sub issue {
    my ($self, $dir, $san) = @_;

    my $n = ++$self->{serial};
    my $key = "$dir/server-$n.key";
    my $csr = "$dir/server-$n.csr";
    my $crt = "$dir/server-$n.pem";
    my $ext = "$dir/server-$n.ext";

    open my $fh, '>', $ext or croak "$ext: $!";
    print $fh "subjectAltName=$san\n",
        "basicConstraints=critical,CA:FALSE\n",
        "keyUsage=critical,digitalSignature\n",
        "extendedKeyUsage=serverAuth\n";
    close $fh;

    _openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout',
        '-out', $key);
    _openssl('req', '-new', '-key', $key, '-subj', '/CN=mastra key server',
        '-out', $csr);
    _openssl('x509', '-req', '-in', $csr, '-CA', $self->file,
        '-CAkey', "$self->{dir}/ca.key", '-set_serial', int(rand(1e9)) + $n,
        '-days', '2', '-sha256', '-extfile', $ext, '-out', $crt);

    return ($crt, $key);
}

sub _openssl {
    my @args = @_;
    my $out = `openssl @{[ map { quotemeta } @args ]} 2>&1`;
    croak "openssl @args failed: $out" if $?;
    return $out;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{owner} == $$;
    return if $ENV{TEST_NGINX_LEAVE};
    rmtree($self->{dir}) if $self->{dir} && -d $self->{dir};
}

1;
