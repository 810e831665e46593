#!/usr/bin/perl

# nginx-mastra-auth: the token sources over HTTP/2 (TLS, curl --http2) and
# over HTTP/1.1 with two Cookie lines, on every nginx version: a token in a
# cookie, a Better Auth session cookie among other cookies, a Bearer header.
#
# HTTP/2 clients send each cookie as a field of its own; nginx joins them
# into one Cookie line.  HTTP/1.1 clients may send several Cookie lines,
# which nginx keeps apart (an array before 1.23.0, a linked list since): the
# module reads them all, and a cookie found twice is ambiguous either way.
#
# How HTTP/2 is switched on differs by version: "listen ... ssl http2" before
# nginx 1.25.1, "http2 on;" since (the old form only warns there).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::BetterAuth;

my $S = random_secret(32);

my $t = Mastra::Nginx->new;
my $d = $t->testdir;

# A certificate for 127.0.0.1, made for this run (openssl's progress
# dashes kept out of the TAP output).
system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    . " -nodes -days 1 -subj /CN=127.0.0.1"
    . " -addext subjectAltName=IP:127.0.0.1"
    . " -keyout $d/key.pem -out $d/cert.pem 2>$d/openssl.log") == 0
    or BAIL_OUT('openssl req: ' . $t->read_file('openssl.log'));

# HTTP/2 over TLS on PORT, as this nginx spells it
sub listen_h2 {
    my ($port) = @_;
    return Mastra::Nginx::version() >= 1025001
        ? "listen 127.0.0.1:$port ssl;\n        http2 on;"
        : "listen 127.0.0.1:$port ssl http2;";
}

my $ba = Mastra::BetterAuth->missing ? undef
    : Mastra::BetterAuth->new(secret => $S . $S);
my ($BA, $ba_server) = ('', '');

if ($ba) {
    $BA = $ba->url;
    my $h2 = listen_h2('%%PORT_4%%');
    $ba_server = <<"EOF";
    server {
        listen 127.0.0.1:%%PORT_3%%;
        $h2
        ssl_certificate     $d/cert.pem;
        ssl_certificate_key $d/key.pem;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $BA;
        mastra_auth_secret          $S$S;

        location / {
            %%AUTH_PROXY%%
        }
    }
EOF
}

my $h2 = listen_h2('%%PORT_2%%');

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;
        $h2
        ssl_certificate     $d/cert.pem;
        ssl_certificate_key $d/key.pem;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /header/ {
            mastra_auth_token_source header;
            %%AUTH_PROXY%%
        }

        location /cookie/ {
            mastra_auth_token_source cookie=session;
            %%AUTH_PROXY%%
        }
    }

$ba_server
}
EOF

# curl(VERSION, PORT, URI, [header lines]): over TLS with curl --http2 or
# --http1.1 (each header line as given: several Cookie lines stay several
# fields); the answer, and the HTTP version curl says it spoke.
sub curl {
    my ($version, $port, $uri, @lines) = @_;

    my @cmd = ('curl', '-sS', $version eq '2' ? '--http2' : '--http1.1',
        '--cacert', "$d/cert.pem", '--max-time', '10',
        '-D', "$d/curl.head", '-o', "$d/curl.body", '-w', '%{http_version}',
        map({ ('-H', $_) } @lines), "https://127.0.0.1:" . $t->port($port) . $uri);

    open my $fh, '-|', @cmd or die "curl: $!";
    my $spoke = do { local $/; <$fh> };
    close $fh;

    my $head = $t->read_file('curl.head');
    my $body = $t->read_file('curl.body');

    # "HTTP/2 200" as the parser reads a status line
    $head =~ s{^HTTP/2 }{HTTP/2.0 };

    return (Mastra::Nginx::Response->parse($head . $body), $spoke);
}

sub check {
    my ($r, $expect, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $fields = my @f = split / /, $expect;
    return is($r->outcome($fields), $expect, $name);
}

my $good = mint($S, claims(sub => 'h2-user'));
my $other = mint($S, claims(sub => 'someone-else'));
my $bad = mint(random_secret(32), claims(sub => 'h2-user'));

for my $v ('2', '1.1') {
    my ($r, $spoke);

    # the Bearer header
    ($r, $spoke) = curl($v, 2, '/header/', "Authorization: Bearer $good");
    is($spoke, $v, "HTTP/$v spoken");
    check($r, '200 ok -', "HTTP/$v Bearer header");
    is($r->echo->{user}, 'h2-user', "HTTP/$v Bearer header: user");
    ($r) = curl($v, 2, '/header/', "Authorization: Bearer $bad");
    check($r, '401 invalid bad_signature', "HTTP/$v Bearer, bad signature");
    ($r) = curl($v, 2, '/header/');
    check($r, '401 missing token_missing', "HTTP/$v no Authorization");

    # the token in a cookie, among others, each cookie a field (line) of
    # its own
    ($r) = curl($v, 2, '/cookie/', 'Cookie: theme=dark',
        "Cookie: session=$good", 'Cookie: lang=en');
    check($r, '200 ok -', "HTTP/$v token cookie among three cookie fields");
    is($r->echo->{user}, 'h2-user', "HTTP/$v token cookie: user");
    is($r->echo->{source}, 'cookie', "HTTP/$v token cookie: source");
    ($r) = curl($v, 2, '/cookie/', 'Cookie: theme=dark; lang=en',
        "Cookie: a=1; session=$good");
    check($r, '200 ok', "HTTP/$v token cookie in the second of two fields");
    ($r) = curl($v, 2, '/cookie/', 'Cookie: theme=dark',
        "Cookie: session=$bad");
    check($r, '401 invalid bad_signature',
        "HTTP/$v bad token cookie in the second field");
    ($r) = curl($v, 2, '/cookie/', "Cookie: session=$good",
        "Cookie: session=$other");
    check($r, '401 invalid token_malformed',
        "HTTP/$v token cookie in two fields: ambiguous");
    ($r) = curl($v, 2, '/cookie/', 'Cookie: theme=dark', 'Cookie: lang=en');
    check($r, '401 missing token_missing', "HTTP/$v cookies, none the token");
}

# HTTP/1.1 in clear, two Cookie lines as the raw client sends them
my $r = $t->get('/cookie/', Cookie => 'theme=dark', Cookie => "session=$good");
check($r, '200 ok -', 'HTTP/1.1 clear: token cookie in the second line');
is($r->echo->{user}, 'h2-user', 'HTTP/1.1 clear: user');
$r = $t->get('/cookie/', Cookie => "session=$good", Cookie => "session=$good");
check($r, '401 invalid token_malformed',
    'HTTP/1.1 clear: the token cookie in both lines: ambiguous');

SKIP: {
    skip Mastra::BetterAuth->missing, 1 unless $ba;

    my $s = $ba->sign_up('h2@example.com', 'password1234', 'H2');
    my $session = "$s->{cookie_name}=$s->{cookie}";

    for my $v ('2', '1.1') {
        my ($r, $spoke) = curl($v, 4, '/api/x', 'Cookie: theme=dark',
            "Cookie: $session", 'Cookie: _ga=GA1.1.1; lang=en');
        is($spoke, $v, "Better Auth: HTTP/$v spoken");
        check($r, '200 ok -',
            "Better Auth: HTTP/$v session cookie among other cookie fields");
        is($r->echo->{email}, 'h2@example.com', "Better Auth: HTTP/$v email");

        ($r) = curl($v, 4, '/api/x', 'Cookie: theme=dark', 'Cookie: lang=en');
        check($r, '401 missing', "Better Auth: HTTP/$v no session cookie");
    }

    $r = $t->request(uri => '/api/x', port => 3,
        headers => [ Cookie => 'theme=dark', Cookie => "lang=en; $session" ]);
    check($r, '200 ok -',
        'Better Auth: HTTP/1.1 clear, session cookie in the second line');
    is($r->echo->{email}, 'h2@example.com', 'Better Auth: HTTP/1.1 clear email');

    $ba->stop;
}

$t->finish;

done_testing;
