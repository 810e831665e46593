package Mastra::Nginx;

# nginx-mastra-auth: our own nginx test harness, in the style of nginx's test
# suite (nginx-tests' lib/Test/Nginx.pm): a fresh prefix directory per
# instance, a configuration template with %%TEST_GLOBALS%%-style expansion,
# backends run in-process (extra server{} blocks), a raw HTTP client that can
# send any bytes, and a check that error.log holds no [alert], [crit] or
# [emerg] line.
#
#   my $t = Mastra::Nginx->new;
#   $t->write_file_expand('nginx.conf', $conf)->run;
#   my $r = $t->get('/api/agents', Authorization => "Bearer $token");
#   is($r->status, 200);
#   $t->finish;            # stops nginx, asserts a clean error.log
#
# Template variables:
#   %%TEST_GLOBALS%%       load_module, daemon, master_process, worker_processes,
#                          pid and error_log (info) in the prefix directory
#   %%TEST_GLOBALS_HTTP%%  temp paths and access_log in the prefix directory
#   %%PORT_N%%             a free TCP port on 127.0.0.1, one per N; PORT_1 is
#                          the port the request helpers use unless told
#   %%TESTDIR%%            the prefix directory (no trailing slash)
#   %%MODULE%%             the module's path
#   %%ECHO_SERVER%%        a server{} on %%PORT_9%% that answers 200 with what it
#                          received, one "key=value" line each (Response::echo)
#   %%AUTH_PROXY%%         inside a location: forwards the $mastra_auth_*
#                          variables to the echo server, proxies to it, and adds
#                          X-Auth-Status / X-Auth-Error to every answer (also
#                          to refusals), which Response::outcome reads
#
# Environment:
#   MASTRA_AUTH_MODULE     the module to load (default build/ngx_http_mastra_auth_module.so)
#   TEST_NGINX_BINARY      nginx (default /usr/sbin/nginx); Mastra::Nginx::version()
#                          is its version as a number (1.25.1: 1025001)
#   TEST_NGINX_LEAVE=1     keep the prefix directories and print their paths
#   MASTRA_AUTH_NGINX_ENV  "NAME=VALUE NAME=VALUE": added to nginx's environment
#                          only (./build.sh asan: LD_PRELOAD of the sanitizer
#                          runtime, ASAN_OPTIONS, UBSAN_OPTIONS)
#   MASTRA_AUTH_VALGRIND   a directory: nginx runs under valgrind memcheck, one
#                          log per process there (./build.sh valgrind), and the
#                          harness waits longer for nginx to start and stop
#
# nginx is started with MASTRA_JWT_SECRET, JWT_AUTH_SECRET, BETTER_AUTH_SECRET
# and AUTH_SECRET removed from its environment, so that the developer's shell
# never changes a result; env() sets what a test needs.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../../..');
our $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';

my @SCRUBBED_ENV = qw(MASTRA_JWT_SECRET JWT_AUTH_SECRET BETTER_AUTH_SECRET
    AUTH_SECRET);

# Under valgrind nginx starts, reloads and exits many times slower.
our $VALGRIND = $ENV{MASTRA_AUTH_VALGRIND};
our $SLOW = $VALGRIND ? 10 : 1;

sub nginx_command {
    return ($NGINX) unless $VALGRIND;
    return ('valgrind', '--tool=memcheck', '--error-exitcode=99',
        '--leak-check=full', '--errors-for-leak-kinds=definite',
        '--show-leak-kinds=definite', '--track-fds=no', '--trace-children=yes',
        '--num-callers=30', "--log-file=$VALGRIND/valgrind.%p.log",
        "--suppressions=$ROOT/t/valgrind/nginx.supp", $NGINX);
}

# nginx may answer and close while a large request is still being sent
$SIG{PIPE} = 'IGNORE';

# The nginx's version as C code reads nginx_version: 1.25.1 is 1025001.
# Where nginx itself changed, a test says what each version does.
my $VERSION;

sub version {
    return $VERSION if defined $VERSION;
    my $v = `$NGINX -v 2>&1`;
    croak "nginx -v: no version in: $v" unless $v =~ m{nginx/(\d+)\.(\d+)\.(\d+)};
    return $VERSION = $1 * 1000000 + $2 * 1000 + $3;
}

sub module_path {
    return $ENV{MASTRA_AUTH_MODULE}
        || "$ROOT/build/ngx_http_mastra_auth_module.so";
}

sub root { return $ROOT }

sub new {
    my ($class) = @_;

    my $module = module_path();
    croak "nginx-mastra-auth module not found at $module "
        . "(build it with ./build.sh, or set MASTRA_AUTH_MODULE)"
        unless -f $module;
    croak "nginx not found at $NGINX" unless -x $NGINX;

    my $dir = tempdir('mastra-auth-test-XXXXXXXX', TMPDIR => 1, CLEANUP => 0);

    # Workers run as "nobody" when the master runs as root: let them in.
    chmod 0755, $dir;

    # The prefix as nginx lays it out: an nginx built with the default
    # paths (not Debian's: --error-log-path=stderr, logs in /var/log/nginx)
    # opens logs/error.log before it reads the configuration, and
    # logs/access.log where the configuration names no access_log.
    mkdir "$dir/logs" or croak "mkdir $dir/logs: $!";

    my $self = bless {
        dir     => $dir,
        module  => abs_path($module),
        ports   => {},
        env     => {},
        pid     => undef,
        nconfig => 0,
        owner   => $$,
    }, $class;

    return $self;
}

sub testdir { return $_[0]->{dir} }

# env(NAME => VALUE, ...): the environment nginx starts with (undef removes)
sub env {
    my ($self, %env) = @_;
    @{ $self->{env} }{ keys %env } = values %env;
    return $self;
}

# A free TCP port on 127.0.0.1 for the symbolic number N, stable per instance.
sub port {
    my ($self, $n) = @_;
    $n = 1 unless defined $n;

    return $self->{ports}{$n} if exists $self->{ports}{$n};

    my %taken = map { $_ => 1 } values %{ $self->{ports} };

    for (1 .. 100) {
        my $s = IO::Socket::INET->new(
            Proto     => 'tcp',
            LocalAddr => '127.0.0.1',
            LocalPort => 0,
            Listen    => 1,
        ) or next;
        my $port = $s->sockport;
        close $s;
        next if $taken{$port};
        return $self->{ports}{$n} = $port;
    }

    croak "no free port";
}

sub test_globals {
    my ($self) = @_;
    my $d = $self->{dir};

    # nginx keeps only the variables "env" names for a new binary (USR2):
    # an upgraded master under ./build.sh asan needs its runtime too.
    my $keep = join '', map { "env " . (split /=/, $_, 2)[0] . ";\n" }
        split ' ', $ENV{MASTRA_AUTH_NGINX_ENV} || '';

    return <<"EOF";
${keep}load_module $self->{module};
daemon on;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
EOF
}

sub test_globals_http {
    my ($self) = @_;
    my $d = $self->{dir};

    return <<"EOF";
client_body_temp_path $d/client_body_temp;
proxy_temp_path $d/proxy_temp;
fastcgi_temp_path $d/fastcgi_temp;
uwsgi_temp_path $d/uwsgi_temp;
scgi_temp_path $d/scgi_temp;
access_log $d/access.log;
EOF
}

# The in-process backend: echoes the request and the forwarded variables.
sub echo_server {
    return <<'EOF';
server {
        listen 127.0.0.1:%%PORT_9%%;
        large_client_header_buffers 4 1m;
        location / {
            return 200 "backend=echo
method=$request_method
request_uri=$request_uri
args=$args
status=$http_x_auth_status
error=$http_x_auth_error
user=$http_x_auth_user
email=$http_x_auth_email
provider=$http_x_auth_provider
source=$http_x_auth_source
";
        }
    }
EOF
}

sub auth_proxy {
    return <<'EOF';
proxy_set_header X-Auth-Status   $mastra_auth_status;
            proxy_set_header X-Auth-Error    $mastra_auth_error;
            proxy_set_header X-Auth-User     $mastra_auth_user;
            proxy_set_header X-Auth-Email    $mastra_auth_email;
            proxy_set_header X-Auth-Provider $mastra_auth_provider;
            proxy_set_header X-Auth-Source   $mastra_auth_token_source;
            add_header X-Auth-Status $mastra_auth_status always;
            add_header X-Auth-Error  $mastra_auth_error always;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
EOF
}

sub expand {
    my ($self, $text) = @_;

    $text =~ s/%%ECHO_SERVER%%/echo_server()/ge;
    $text =~ s/%%AUTH_PROXY%%/auth_proxy()/ge;
    $text =~ s/%%TEST_GLOBALS%%/$self->test_globals/ge;
    $text =~ s/%%TEST_GLOBALS_HTTP%%/$self->test_globals_http/ge;
    $text =~ s/%%PORT_(\d+)%%/$self->port($1)/ge;
    $text =~ s/%%TESTDIR%%/$self->{dir}/g;
    $text =~ s/%%MODULE%%/$self->{module}/g;

    return $text;
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";

    open my $fh, '>', $path or croak "cannot write $path: $!";
    binmode $fh;
    print $fh $content;
    close $fh or croak "cannot write $path: $!";

    return $self;
}

sub write_file_expand {
    my ($self, $name, $content) = @_;
    return $self->write_file($name, $self->expand($content));
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";

    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $content = <$fh>;
    close $fh;

    return defined $content ? $content : '';
}

# exec_nginx($stderr_file, @args): runs nginx with @args in the instance's
# environment; (exit code, stderr text).
sub exec_nginx {
    my ($self, $stderr_file, @args) = @_;

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/stdout.log";
        open STDERR, '>', $stderr_file;

        delete @ENV{@SCRUBBED_ENV};

        for my $pair (split ' ', $ENV{MASTRA_AUTH_NGINX_ENV} || '') {
            my ($k, $v) = split /=/, $pair, 2;
            $ENV{$k} = $v if defined $v;
        }

        while (my ($k, $v) = each %{ $self->{env} }) {
            if (defined $v) {
                $ENV{$k} = $v;
            } else {
                delete $ENV{$k};
            }
        }

        exec nginx_command(), @args;
        exit 127;
    }

    waitpid $pid, 0;
    my $rc = $? >> 8;

    return ($rc, $self->read_file($stderr_file));
}

# Starts nginx on nginx.conf (or the file named) and waits until every port
# the configuration listens on accepts connections.
sub run {
    my ($self, $conf) = @_;
    $conf = 'nginx.conf' unless defined $conf;

    croak "nginx already running" if $self->{pid};

    my $d = $self->{dir};
    my ($rc, $stderr) = $self->exec_nginx("$d/start.stderr", '-p', "$d/",
        '-c', "$d/$conf");

    if ($rc != 0) {
        # under valgrind the daemonizing parent can fail (--error-exitcode)
        # after the master started: stop what runs
        my $until = $VALGRIND ? time + 5 : 0;
        while (1) {
            if ($self->read_file('nginx.pid') =~ /^(\d+)/) {
                $self->{pid} = $1;
                $self->stop;
                last;
            }
            last if time >= $until;
            sleep 0.1;
        }
        croak "nginx failed to start (exit $rc):\n$stderr"
            . $self->read_file('error.log');
    }

    my $deadline = time + 10 * $SLOW;
    my $pid;

    while (time < $deadline) {
        my $p = $self->read_file('nginx.pid');
        if ($p =~ /^(\d+)/) {
            $pid = $1;
            last;
        }
        sleep 0.02;
    }

    croak "nginx did not write its pid file:\n" . $self->read_file('error.log')
        unless $pid;

    $self->{pid} = $pid;

    my $text = $self->read_file($conf);
    my @ports = $text =~ /^\s*listen\s+127\.0\.0\.1:(\d+)/mg;

    for my $port (@ports) {
        while (1) {
            my $s = IO::Socket::INET->new(
                Proto    => 'tcp',
                PeerAddr => "127.0.0.1:$port",
            );
            if ($s) {
                close $s;
                last;
            }
            croak "nginx does not accept on port $port:\n"
                . $self->read_file('error.log')
                if time > $deadline;
            sleep 0.02;
        }
    }

    return $self;
}

sub running { return defined $_[0]->{pid} }

# Live (non-zombie) children of $ppid, from /proc.
sub _children {
    my ($ppid) = @_;
    my @kids;

    for my $file (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $file or next;
        my $stat = <$fh>;
        close $fh;
        next unless defined $stat && $stat =~ /^(\d+) \(.*\) (\S) (\d+) /s;
        push @kids, $1 if $3 == $ppid && $2 ne 'Z';
    }

    return @kids;
}

# HUP, then wait until new workers run and the old ones have exited.
sub reload {
    my ($self) = @_;
    my $pid = $self->{pid} or croak "nginx not running";

    my %old = map { $_ => 1 } _children($pid);
    kill 'HUP', $pid;

    my $deadline = time + 10 * $SLOW;
    while (time < $deadline) {
        my @now = _children($pid);
        my @new = grep { !$old{$_} } @now;
        return $self if @new && !grep { $old{$_} } @now;
        sleep 0.02;
    }

    croak "nginx did not reload:\n" . $self->read_file('error.log');
}

# The pids of the master's live workers.
sub workers {
    my ($self) = @_;
    my $pid = $self->{pid} or croak "nginx not running";
    return _children($pid);
}

# A binary upgrade with the same binary, as nginx documents it: USR2 (a new
# master beside the old one, on the same listening sockets), WINCH (the old
# workers finish gracefully), QUIT (the old master exits); waits for each
# step.  The new master has shared zones of its own.
sub upgrade {
    my ($self) = @_;
    my $old = $self->{pid} or croak "nginx not running";
    my $d = $self->{dir};
    my $nworkers = () = _children($old);
    my ($new, $deadline);

    kill 'USR2', $old;

    $deadline = time + 10;
    while (time < $deadline) {
        if (-e "$d/nginx.pid.oldbin"
            && $self->read_file('nginx.pid') =~ /^(\d+)/ && $1 != $old)
        {
            $new = $1;
            my @kids = _children($new);
            last if @kids >= $nworkers;
        }
        sleep 0.02;
    }

    unless ($new && _children($new) >= $nworkers) {
        kill 'QUIT', $new if $new;
        croak "nginx: no new master with $nworkers workers after USR2:\n"
            . $self->read_file('error.log');
    }

    # from now on, stop() ends the new master
    $self->{pid} = $new;

    # the new master is a child of the old one too
    my $old_workers = sub { grep { $_ != $new } _children($old) };

    kill 'WINCH', $old;

    $deadline = time + 10;
    sleep 0.02 while $old_workers->() && time < $deadline;
    if ($old_workers->()) {
        kill 'QUIT', $old;
        croak "nginx: the old workers did not exit after WINCH";
    }

    kill 'QUIT', $old;

    $deadline = time + 10;
    sleep 0.02 while _alive($old) && time < $deadline;
    croak "nginx: the old master did not exit after QUIT" if _alive($old);

    return $self;
}

# The daemonized master is not our child: once it exits it may stay a zombie
# until init reaps it, so a zombie counts as gone.
sub _alive {
    my ($pid) = @_;

    return 0 unless kill 0, $pid;

    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh>;
        close $fh;
        return 0 if defined $stat && $stat =~ /^\d+ \(.*\) Z/s;
    }

    return 1;
}

# QUIT, then wait for the master to exit (TERM/KILL after 10 s).
sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return $self;

    kill 'QUIT', $pid;

    my $deadline = time + 10 * $SLOW;
    while (_alive($pid) && time < $deadline) {
        sleep 0.01;
    }

    if (_alive($pid)) {
        kill 'TERM', $pid;
        sleep 0.5;
        kill 'KILL', $pid if _alive($pid);
    }

    $self->{pid} = undef;
    return $self;
}

# nginx -t on $conf (expanded); (exit code, stderr text).  Each call writes
# its own file, test-N.conf, so that file names in messages can be checked.
sub test_config {
    my ($self, $conf, %opt) = @_;

    my $n = ++$self->{nconfig};
    my $name = $opt{name} || "test-$n.conf";
    my $path = "$self->{dir}/$name";

    $self->write_file($path, $self->expand($conf));

    my ($rc, $stderr) = $self->exec_nginx("$self->{dir}/test-$n.stderr", '-t',
        '-p', "$self->{dir}/", '-c', $path);

    return wantarray ? ($rc, $stderr, $path) : $rc;
}

# config_ok($conf, $name): nginx -t accepts $conf.
sub config_ok {
    my ($self, $conf, $name) = @_;

    my ($rc, $stderr) = $self->test_config($conf);

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok($rc == 0 && $stderr =~ /test is successful/, $name)
        || diag("exit $rc:\n$stderr");
}

# config_fails($conf, $re, $name): nginx -t refuses $conf with an [emerg]
# line matching $re.  When a line of $conf carries the marker "#HERE", the
# same [emerg] line must also name "FILE:LINE" of that line.
sub config_fails {
    my ($self, $conf, $re, $name) = @_;

    my ($rc, $stderr, $path) = $self->test_config($conf);

    my $where = '';
    my @lines = split /\n/, $self->read_file($path);
    for my $i (0 .. $#lines) {
        if ($lines[$i] =~ /#HERE/) {
            $where = "$path:" . ($i + 1);
            last;
        }
    }

    my @emerg = grep { /\[emerg\]/ } split /\n/, $stderr;
    my $found = grep {
        $_ =~ $re && ($where eq '' || /\Q$where\E(?!\d)/)
    } @emerg;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok($rc != 0 && $found, $name)
        || diag("exit $rc, want [emerg] =~ $re"
            . ($where ? " in $where" : '') . ", got:\n$stderr");
}

###############################################################################
# HTTP client: raw sockets, any bytes.

# http($raw_request_bytes, port => N, timeout => S): a Mastra::Nginx::Response
sub http {
    my ($self, $request, %opt) = @_;

    my $port = $self->port(defined $opt{port} ? $opt{port} : 1);
    my $timeout = $opt{timeout} || ($VALGRIND ? 30 : 10);

    my $s = IO::Socket::INET->new(
        Proto    => 'tcp',
        PeerAddr => "127.0.0.1:$port",
        Timeout  => $timeout,
    ) or croak "cannot connect to 127.0.0.1:$port: $!";

    binmode $s;
    $s->autoflush(1);

    my $off = 0;
    while ($off < length $request) {
        my $n = syswrite($s, $request, length($request) - $off, $off);
        last unless defined $n;    # nginx may answer and close early
        $off += $n;
    }

    my $sel = IO::Select->new($s);
    my $raw = '';

    while (1) {
        last unless $sel->can_read($timeout);
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }

    close $s;

    return Mastra::Nginx::Response->parse($raw, head => ($request =~ /^HEAD / ? 1 : 0));
}

# pipelined(@raw_requests): all sent at once on one connection (the last
# should close it); the responses, split by Content-Length.
sub pipelined {
    my ($self, @requests) = @_;
    my $raw = $self->http(join('', @requests))->raw;
    return Mastra::Nginx::Response->parse_all($raw);
}

# request(method => M, uri => U, headers => [name => value, ...],
#         body => B, version => 'HTTP/1.1', host => H, port => N)
sub request {
    my ($self, %o) = @_;

    my $method = defined $o{method} ? $o{method} : 'GET';
    my $version = defined $o{version} ? $o{version} : 'HTTP/1.1';
    my $host = defined $o{host} ? $o{host} : 'localhost';
    my @h = @{ $o{headers} || [] };

    my $req = "$method $o{uri} $version\r\n";
    $req .= "Host: $host\r\n" if length $host;
    $req .= "Connection: close\r\n";

    while (@h) {
        my ($k, $v) = splice @h, 0, 2;
        $req .= "$k: $v\r\n";
    }

    if (defined $o{body}) {
        $req .= "Content-Length: " . length($o{body}) . "\r\n";
    }

    $req .= "\r\n";
    $req .= $o{body} if defined $o{body};

    return $self->http($req, port => $o{port});
}

# get($uri, header => value, ...)
sub get {
    my ($self, $uri, @headers) = @_;
    return $self->request(method => 'GET', uri => $uri, headers => \@headers);
}

# method($method, $uri, header => value, ...)
sub method {
    my ($self, $method, $uri, @headers) = @_;
    return $self->request(method => $method, uri => $uri,
        headers => \@headers);
}

# bearer($uri, $token, [method => M, headers => [...], port => N])
sub bearer {
    my ($self, $uri, $token, %o) = @_;
    return $self->request(
        method  => $o{method} || 'GET',
        uri     => $uri,
        port    => $o{port},
        headers => [ Authorization => "Bearer $token", @{ $o{headers} || [] } ],
    );
}

###############################################################################
# Logs.

sub error_log { return $_[0]->read_file('error.log') }

# Lines of a log (error.log unless told) matching a regex.
sub grep_log {
    my ($self, $re, $file) = @_;
    my $text = $self->read_file(defined $file ? $file : 'error.log');
    return grep { /$re/ } split /\n/, $text;
}

# wait_log($re, $timeout, $file): grep_log, retried until a line matches or
# $timeout seconds (5 unless told) pass; for lines a background task (a key
# set refresh) writes after the request that started it has been answered.
sub wait_log {
    my ($self, $re, $timeout, $file) = @_;
    my $deadline = time + (defined $timeout ? $timeout : 5);
    while (1) {
        my @lines = $self->grep_log($re, $file);
        return @lines if @lines || time >= $deadline;
        sleep 0.05;
    }
}

# Asserts that no log file of the instance holds $string (e.g. a token).
sub log_lacks {
    my ($self, $string, $name, @files) = @_;
    @files = ('error.log') unless @files;

    my @found = grep { index($self->read_file($_), $string) >= 0 } @files;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok(!@found, $name || 'string not in ' . join(', ', @files))
        || diag("found in: @found");
}

# Asserts error.log holds no [alert], [crit] or [emerg] line.
sub check_error_log {
    my ($self, $name) = @_;

    # the level nginx writes after the time, not text quoted inside a line
    my @bad = $self->grep_log(
        qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?:alert|crit|emerg)\]});

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok(!@bad, $name || 'no alerts, crits or emergs in error.log')
        || diag(join "\n", @bad);
}

# The end of every test: stop nginx, then check error.log.
sub finish {
    my ($self) = @_;

    $self->stop;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return $self->check_error_log;
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

###############################################################################

package Mastra::Nginx::Response;

use strict;
use warnings;

sub parse {
    my ($class, $raw, %o) = @_;

    my $self = bless {
        raw     => $raw,
        status  => 0,
        reason  => '',
        headers => {},
        body    => '',
    }, $class;

    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    return $self unless defined $head && $head =~ m{^HTTP/\d\.\d (\d{3}) ?(.*)};

    $self->{status} = $1 + 0;
    $self->{reason} = $2;

    my @lines = split /\r\n/, $head;
    shift @lines;

    for my $line (@lines) {
        my ($k, $v) = $line =~ /^([^:]+):\s*(.*)$/ or next;
        push @{ $self->{headers}{ lc $k } }, $v;
    }

    $body = '' unless defined $body;

    if (!$o{head}
        && lc($self->header('transfer-encoding') || '') eq 'chunked')
    {
        my $decoded = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $decoded .= substr($body, 0, $len, '');
            $body =~ s/^\r\n//;
        }
        $body = $decoded;
    }

    $self->{body} = $body;

    return $self;
}

# Several responses from one connection; each must carry Content-Length.
sub parse_all {
    my ($class, $raw) = @_;
    my @all;

    while (length $raw) {
        my $end = index $raw, "\r\n\r\n";
        last if $end < 0;
        my $head = substr $raw, 0, $end + 4;
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        $len = 0 unless defined $len;
        push @all, $class->parse(substr($raw, 0, $end + 4 + $len, ''));
    }

    return @all;
}

sub status  { return $_[0]->{status} }
sub body    { return $_[0]->{body} }
sub raw     { return $_[0]->{raw} }

# In list context every value of the header; in scalar context the values
# joined with ", " (undef when absent), so that a duplicate shows.
sub header {
    my ($self, $name) = @_;
    my $v = $self->{headers}{ lc $name };

    return wantarray ? () : undef unless $v;
    return wantarray ? @$v : join(', ', @$v);
}

sub headers { return $_[0]->{headers} }

# "STATUS AUTH_STATUS AUTH_ERROR" from the X-Auth-* headers that %%AUTH_PROXY%%
# adds ("-" for an empty or absent one); outcome(2) leaves the error out.
sub outcome {
    my ($self, $fields) = @_;
    $fields = 3 unless defined $fields;

    my @f = ($self->{status},
        map { my $v = $self->header($_); defined $v && length $v ? $v : '-' }
            'x-auth-status', 'x-auth-error');

    return join ' ', @f[0 .. $fields - 1];
}

# The body of the echo backends: "key=value" lines as a hash.
sub echo {
    my ($self) = @_;
    my %h;

    for my $line (split /\n/, $self->{body}) {
        my ($k, $v) = split /=/, $line, 2;
        $h{$k} = defined $v ? $v : '' if defined $k;
    }

    return \%h;
}

1;
