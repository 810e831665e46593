#!/usr/bin/perl

# nginx-mastra-auth: Better Auth as teams configure it, against the real
# server (t/fixtures/better-auth, Mastra::BetterAuth) started each way: a
# cookie prefix, its own cookie names, another base path, secure cookies,
# each cookie-cache strategy (compact, jwt, jwe), a cookie cache large
# enough to be chunked, and a version bump.  In each: sign-up and sign-in
# through nginx, the session cookie passes (get-session asked under the
# base path, with the cookie under the server's name), the cookie cache
# answers with no get-session call while valid, tampering with any cookie
# (the session token, the cache, any of its chunks) is a 401 with no call,
# and the log names the cookie and why, never its value.  Also: a chunk sent
# twice is not read, and the jwt plugin's own cookie cache (signed with its
# keys) is not read but never refused: get-session is asked for both.
#
# Needs `npm ci` in t/fixtures/better-auth (./build.sh test does it); skips
# without it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(random_secret);
use Mastra::BetterAuth qw(pct);

plan skip_all => Mastra::BetterAuth->missing if Mastra::BetterAuth->missing;

###############################################################################

my $SECRET = random_secret(48);

# name => [ server options, nginx directives, what the cookies are called ]
my @CASES = (
    [ prefix => { cookie_prefix => 'myapp' },
        'mastra_auth_better_auth_cookie_prefix myapp;' ],
    [ names => { token_cookie => 'sid', data_cookie => 'sdata' },
        "mastra_auth_better_auth_cookie_name session_token sid;\n"
        . '        mastra_auth_better_auth_cookie_name session_data sdata;' ],
    [ base_path => { base_path => '/auth/v1' },
        'mastra_auth_better_auth_base_path /auth/v1/;' ],
    [ secure => { secure_cookies => 1 },
        'mastra_auth_better_auth_secure_cookies on;' ],
    [ jwt => { cache_strategy => 'jwt' }, '' ],
    [ jwe => { cache_strategy => 'jwe', cookie_prefix => 'enc' },
        'mastra_auth_better_auth_cookie_prefix enc;' ],
    [ version => { cache_version => '1' },
        'mastra_auth_better_auth_cookie_cache_version 1;' ],
);

my (%ba, %port);
my $n = 1;

for my $case (@CASES) {
    my ($name, $options) = @$case;
    $ba{$name} = Mastra::BetterAuth->new(secret => $SECRET, %$options);
    $port{$name} = $n++;
}

my $t = Mastra::Nginx->new;
my $servers = '';

for my $case (@CASES) {
    my ($name, $options, $directives) = @$case;
    my $url = $ba{$name}->url;
    my $base = $ba{$name}->base_path;
    my $port = $port{$name};

    $servers .= <<"EOF";
    server {
        listen 127.0.0.1:%%PORT_$port%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $url;
        mastra_auth_secret          $SECRET;
        $directives

        # Better Auth itself, unauthenticated
        location $base/ {
            mastra_auth_provider off;
            proxy_pass $url;
        }

        location /api/ {
            %%AUTH_PROXY%%
        }

        # the version bumped: what a reload with the new directive gives
        location /bumped/ {
            mastra_auth_better_auth_cookie_cache_version 2;
            %%AUTH_PROXY%%
        }

        # only the plain names
        location /plain/ {
            mastra_auth_better_auth_secure_cookies off;
            %%AUTH_PROXY%%
        }

        # both cookie names accepted (the default)
        location /auto/ {
            mastra_auth_better_auth_secure_cookies auto;
            %%AUTH_PROXY%%
        }
    }

EOF
}

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    # a chunked cookie cache is larger than nginx's default buffers
    large_client_header_buffers 4 64k;
    proxy_buffer_size 64k;
    proxy_buffers 8 64k;
    proxy_busy_buffers_size 128k;

    %%ECHO_SERVER%%

$servers
}
EOF

###############################################################################
# helpers

my $users = 0;
my $PASSWORD = 'password-1234-abcd';
my @secrets;    # every credential the tests handled: never in the log

sub req {
    my ($name, $uri, $cookie) = @_;
    return $t->request(uri => $uri, port => $port{$name},
        headers => [ Cookie => $cookie ]);
}

# get-session calls at the server of case $name while $code runs
sub calls {
    my ($name, $code) = @_;
    my $before = $ba{$name}->get_session_hits;
    $code->();
    return $ba{$name}->get_session_hits - $before;
}

# one character of $v changed (in its middle, a base64url letter or digit)
sub flip {
    my ($v) = @_;
    my $i = int(length($v) / 2);
    $i++ while substr($v, $i, 1) !~ /[A-Za-z0-9]/;
    my $c = substr($v, $i, 1);
    substr($v, $i, 1) = $c eq 'A' ? 'B' : 'A';
    return $v;
}

sub keep {
    my ($s) = @_;
    push @secrets, $s->{raw}, $s->{cookie}, map { $_->[1] } @{ $s->{data_chunks} };
    return $s;
}

# signed up through nginx, then signed in again (a second session)
sub sign_up {
    my ($name, $who, $display) = @_;
    $users++;
    my $email = "$who-$users\@example.com";
    my $ba = $ba{$name}->via('http://127.0.0.1:' . $t->port($port{$name}));
    my $up = keep($ba->sign_up($email, $PASSWORD, $display || $who));
    my $in = keep($ba->sign_in($email, $PASSWORD));
    $ba->via(undef);
    return ($up, $in);
}

sub both {
    my ($s) = @_;
    return "$s->{cookie_name}=$s->{cookie}; $s->{data_cookie}";
}

###############################################################################
# every configuration: cookies, calls, tampering

my $BIG = 'B' x 6000;    # a user name that makes the cookie cache chunked

for my $case (@CASES) {
    my ($name) = @$case;
    my $ba = $ba{$name};
    my $token_name = $ba->token_name;
    my $data_name = $ba->data_name;

    my ($s, $s2) = sign_up($name, "user-$name");

    is($s->{cookie_name}, $token_name, "$name: the session cookie is $token_name");
    is(scalar @{ $s->{data_chunks} }, 1, "$name: one cookie cache cookie, $data_name")
        or diag(explain($s->{data_chunks}));

    # the cookie cache answers alone, while it is valid
    is(calls($name, sub {
        my $r = req($name, '/api/x', both($s));
        is($r->outcome(2), '200 ok', "$name: session and cookie cache: 200");
        is($r->echo->{user}, $s->{user}{id}, "$name: the cookie cache's user");
        is(req($name, '/api/y', both($s2))->outcome(2), '200 ok',
            "$name: the sign-in's session and cookie cache: 200");
    }), 0, "$name: the cookie cache answers, no get-session call");

    # the session cookie alone: get-session, under the base path, with the
    # cookie under the name the server reads
    my ($alone) = sign_up($name, "alone-$name");
    is(calls($name, sub {
        my $r = req($name, '/api/x', "$alone->{cookie_name}=$alone->{cookie}");
        is($r->outcome(2), '200 ok', "$name: the session cookie alone: 200");
        is($r->echo->{user}, $alone->{user}{id}, "$name: the session cookie alone: user");
    }), 1, "$name: the session cookie alone: one get-session call");

    # tampering: the session token, the cookie cache
    my ($t1) = sign_up($name, "tamper-$name");
    my $bad_token = "$t1->{cookie_name}=" . pct(flip(join '.', $t1->{raw},
        (split /\./, $t1->{token}, 2)[1]));
    my $bad_data = "$t1->{data_chunks}[0][0]=" . flip($t1->{data_chunks}[0][1]);
    is(calls($name, sub {
        is(req($name, '/api/x', "$bad_token; $t1->{data_cookie}")->outcome(2),
            '401 invalid', "$name: a tampered session token: 401");
        is(req($name, '/api/x', "$t1->{cookie_name}=$t1->{cookie}; $bad_data")->outcome(2),
            '401 invalid', "$name: a tampered cookie cache: 401");
    }), 0, "$name: tampering: no get-session call");

    ok($t->grep_log(qr/cookie "\Q$data_name\E" (?:has a signature that does not hold|is a JWE that does not decrypt|is not a)/),
        "$name: the log names the cache cookie and why");
    ok($t->grep_log(qr/cookie "\Q$token_name\E" has a signature that does not hold/),
        "$name: the log names the session cookie and why");

    # a cookie cache too large for one cookie: chunked, and read as one
    my ($big) = sign_up($name, "big-$name", $BIG);
    my @chunks = @{ $big->{data_chunks} };
    ok(@chunks > 1, "$name: a large cookie cache comes in " . scalar(@chunks) . ' chunks');
    is($chunks[1][0], "$data_name.1", "$name: chunks are $data_name.0, .1, ...");
    is(calls($name, sub {
        my $r = req($name, '/api/x', both($big));
        is($r->outcome(2), '200 ok', "$name: a chunked cookie cache: 200");
        is($r->echo->{user}, $big->{user}{id}, "$name: a chunked cookie cache: user");
    }), 0, "$name: a chunked cookie cache: no get-session call");

    my $cookie = "$big->{cookie_name}=$big->{cookie}";
    is(calls($name, sub {
        for my $i (0 .. $#chunks) {
            my @c = map { [ @$_ ] } @chunks;
            $c[$i][1] = flip($c[$i][1]);
            is(req($name, '/api/x', join('; ', $cookie, map { "$_->[0]=$_->[1]" } @c))
                ->outcome(2), '401 invalid', "$name: chunk $i tampered: 401");
        }
        is(req($name, '/api/x', "$cookie; $chunks[0][0]=$chunks[0][1]")->outcome(2),
            '401 invalid', "$name: the first chunk alone: 401");
    }), 0, "$name: chunks tampered: no get-session call");
}

###############################################################################
# what each setting changes

# a prefix: the default names are not the server's
{
    my ($s) = sign_up('prefix', 'default-names');
    (my $default = both($s)) =~ s/myapp\./better-auth./g;
    is(calls('prefix', sub {
        is(req('prefix', '/api/x', $default)->outcome(2), '401 missing',
            'prefix: cookies under the default names: no token');
    }), 0, 'prefix: default names: no call');
}

# secure cookies "on": only the __Secure- names; "auto": both
{
    my ($s) = sign_up('secure', 'plain-names');
    like($s->{cookie_name}, qr/^__Secure-better-auth\./, 'secure: __Secure- names');
    (my $plain = "$s->{cookie_name}=$s->{cookie}") =~ s/^__Secure-//;
    is(req('secure', '/api/x', $plain)->outcome(2), '401 missing',
        'secure on: the plain name is not read');
    is(calls('secure', sub {
        is(req('secure', '/auto/x', $plain)->outcome(2), '401 invalid',
            'secure auto: the plain name is read, forwarded as sent: the server refuses it');
    }), 1, 'secure auto: the plain name: get-session asked');
    is(calls('secure', sub {
        is(req('secure', '/auto/x', both($s))->outcome(2), '200 ok',
            'secure auto: __Secure- names with the cookie cache: 200');
    }), 0, 'secure auto: the __Secure- cookie cache answers');

    is(req('secure', '/plain/x', both($s))->outcome(2), '401 missing',
        'secure off: the __Secure- names are not read');
    my ($p) = sign_up('prefix', 'plain');
    is(calls('prefix', sub {
        is(req('prefix', '/plain/x', both($p))->outcome(2), '200 ok',
            'secure off: the plain names with the cookie cache: 200');
    }), 0, 'secure off: the plain cookie cache answers');

    # the bearer plugin's header: forwarded under the one name of "on"
    my ($b) = sign_up('secure', 'bearer');
    is(calls('secure', sub {
        is($t->bearer('/api/x', $b->{token}, port => $port{secure})->outcome(2), '200 ok',
            'secure on: the bearer token: 200');
    }), 1, 'secure on: the bearer token: get-session asked');
}

# another base path: the JWT plugin's keys under it too
{
    my ($s) = sign_up('base_path', 'jwt-user');
    my $jwt = $ba{base_path}->jwt($s);
    my $before = $ba{base_path}->hits('/auth/v1/jwks');
    is($t->bearer('/api/x', $jwt, port => $port{base_path})->outcome(2), '200 ok',
        'base path: a JWT of the jwt plugin: 200');
    ok($ba{base_path}->hits('/auth/v1/jwks') > $before, 'base path: jwks asked under it');
    is($ba{base_path}->hits('/api/auth/get-session') + $ba{base_path}->hits('/api/auth/jwks'),
        0, 'base path: nothing asked under /api/auth');
}

# a version bump stops the old cookie caches
{
    my ($old) = sign_up('version', 'before-bump');
    is(calls('version', sub {
        is(req('version', '/api/x', both($old))->outcome(2), '200 ok',
            'version 1: its cookie cache: 200');
    }), 0, 'version 1: the cookie cache answers');

    $ba{version}->cache_version('2');
    my ($new) = sign_up('version', 'after-bump');

    is(calls('version', sub {
        my $r = req('version', '/bumped/x', both($old));
        is($r->outcome(2), '200 ok', 'bumped: an old cookie cache: 200 from get-session');
        is($r->echo->{user}, $old->{user}{id}, 'bumped: an old cookie cache: its user');
    }), 1, 'bumped: an old cookie cache is not used: get-session asked');
    is(scalar(() = $t->grep_log(qr/cookie "better-auth\.session_data" is of another version/)),
        1, 'bumped: the log says which cookie and why, once');

    is(calls('version', sub {
        is(req('version', '/bumped/x', both($new))->outcome(2), '200 ok',
            'bumped: a new cookie cache: 200');
    }), 0, 'bumped: a new cookie cache answers');

    is(calls('version', sub {
        is(req('version', '/api/x', both($new))->outcome(2), '200 ok',
            'version 1 still configured: a version 2 cache: 200 from get-session');
    }), 1, 'version 1 still configured: a version 2 cache is not used');
}

# a cookie cache chunk sent twice: ambiguous, not read; get-session is asked
{
    my ($s) = sign_up('names', 'twice', $BIG);
    my @c = @{ $s->{data_chunks} };
    is(calls('names', sub {
        my $r = req('names', '/api/x', both($s) . "; $c[1][0]=$c[1][1]");
        is($r->outcome(2), '200 ok', 'a chunk sent twice: 200 from get-session');
        is($r->echo->{user}, $s->{user}{id}, 'a chunk sent twice: the session\'s user');
    }), 1, 'a chunk sent twice: not read, get-session asked');
    ok($t->grep_log(qr/cookie "sdata\.1" came twice: not read/),
        'a chunk sent twice: the log says which and why');
}

# the jwt plugin's sessionCookieCache signs the cache with the plugin's keys
# (EdDSA): not read, never refused for it; the session is asked for
{
    my $plugin = Mastra::BetterAuth->new(secret => $SECRET, cache_strategy => 'jwt',
        jwt_cookie_cache => 1);
    my $p = Mastra::Nginx->new;
    my $url = $plugin->url;
    $p->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $url;
        mastra_auth_secret          $SECRET;

        location / {
            %%AUTH_PROXY%%
        }
    }
}
EOF
    my $s = $plugin->sign_up('plugin@example.com', $PASSWORD, 'plugin');
    like((split /\./, $s->{data})[0], qr/^eyJhbGciOiJFZERTQSI/,
        'jwt plugin cookie cache: an EdDSA JWT');
    my $before = $plugin->get_session_hits;
    my $r = $p->request(uri => '/api/x', headers => [ Cookie => both($s) ]);
    is($r->outcome(2), '200 ok', 'jwt plugin cookie cache: 200 from get-session');
    is($plugin->get_session_hits - $before, 1, 'jwt plugin cookie cache: get-session asked');
    ok($p->grep_log(qr/cookie "better-auth\.session_data" is a JWT signed with the jwt plugin's keys: not read/),
        'jwt plugin cookie cache: the log says why it is not read');
    $p->finish;
    $plugin->stop;
}

###############################################################################
# the log: which cookie and why, never a value

{
    my $log = $t->error_log;
    my @leaked = grep { length > 8 && index($log, $_) >= 0 } @secrets;
    is(scalar @leaked, 0, 'no session token or cookie cache value in the log');
}

$t->finish;
$_->stop for values %ba;

done_testing;
