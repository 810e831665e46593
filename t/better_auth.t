#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_provider better-auth against a real Better
# Auth server (t/fixtures/better-auth: better-auth 1.7.x, memory adapter,
# bearer and jwt plugins, the "compact" cookie cache; Mastra::BetterAuth).
# docs/better-auth.md, and t/catalogue.t's rows CK1-CK8: the session cookie and
# the bearer plugin's token, a forged signature refused with no call,
# get-session asked once and its answer cached (also negative), a sign-out seen
# within mastra_auth_session_cache, the cookie cache answering alone (even with
# Better Auth stopped; a forged one refused with no call), the jwt plugin's
# EdDSA tokens, the emailVerified claim, and 503 when Better Auth cannot
# answer.
#
# Needs `npm ci` in t/fixtures/better-auth (./build.sh test does it); skips
# without it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use Test::More;
use Time::HiRes qw(sleep time);

use Mastra::Nginx;
use Mastra::Token qw(random_secret);
use Mastra::BetterAuth qw(signed_token data_parts data_make pct);

plan skip_all => Mastra::BetterAuth->missing if Mastra::BetterAuth->missing;

###############################################################################

my $SECRET = random_secret(48);
my $OTHER = random_secret(48);

my $ba = Mastra::BetterAuth->new(secret => $SECRET);
my $BA = $ba->url;

# a second one whose sessions last 2 seconds (session.expiresIn)
my $brief = Mastra::BetterAuth->new(secret => $SECRET, expires_in => 2);
my $BRIEF = $brief->url;

my $t = Mastra::Nginx->new->env(BETTER_AUTH_SECRET => $SECRET);

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $BA;
        mastra_auth_secret          $SECRET;
        mastra_auth_jwks_timeout    1s;

        # Better Auth itself, unauthenticated (as conf-examples/better-auth.conf)
        location /api/auth/ {
            mastra_auth_provider off;
            proxy_pass $BA;
        }

        # mastra_auth_session_cache: the default (30s)
        location /api/ {
            %%AUTH_PROXY%%
        }

        location /short/ {
            mastra_auth_session_cache 2s;
            %%AUTH_PROXY%%
        }

        location /verified/ {
            mastra_auth_claim user.emailVerified = true;
            %%AUTH_PROXY%%
        }

        # the session as the upstream may see it
        location /payload/ {
            proxy_set_header X-Payload \$mastra_auth_payload;
            proxy_pass http://127.0.0.1:%%PORT_8%%;
        }

        location /wrong-secret/ {
            mastra_auth_secret $OTHER;
            %%AUTH_PROXY%%
        }

        # another Better Auth server, the same secret (nothing listens
        # there): the zone's answers of \$BA never answer for it
        location /other-server/ {
            mastra_auth_better_auth_url http://127.0.0.1:%%PORT_7%%;
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8%%;
        location / {
            return 200 \$http_x_payload;
        }
    }

    # the secret from the environment (BETTER_AUTH_SECRET)
    server {
        listen 127.0.0.1:%%PORT_2%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $BA;

        location / {
            %%AUTH_PROXY%%
        }
    }

    # Better Auth with 2-second sessions, the default session cache (30s)
    server {
        listen 127.0.0.1:%%PORT_3%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url $BRIEF;
        mastra_auth_secret          $SECRET;

        location / {
            %%AUTH_PROXY%%
        }
    }
}
EOF

###############################################################################
# helpers

my $users = 0;
my $PASSWORD = 'password-1234-abcd';

# a new user, signed up (and so signed in): its session
sub fresh {
    my ($name) = @_;
    $users++;
    return $ba->sign_up("$name-$users\@example.com", $PASSWORD, $name);
}

# a well-signed token Better Auth never issued
sub unknown_token {
    return signed_token($SECRET, random_secret(32));
}

sub cookie_req {
    my ($uri, $cookie, %o) = @_;
    return $t->request(uri => $uri, port => $o{port},
        headers => [ Cookie => $cookie ]);
}

sub session_cookie {
    my ($s) = @_;
    return "$s->{cookie_name}=$s->{cookie}";
}

sub bearer_req {
    my ($uri, $token) = @_;
    return $t->bearer($uri, $token);
}

# get-session calls made while $code runs (at $ba; at $brief)
sub calls_at {
    my ($server, $code) = @_;
    my $before = $server->get_session_hits;
    $code->();
    return $server->get_session_hits - $before;
}

sub calls(&) { return calls_at($ba, $_[0]) }
sub brief_calls(&) { return calls_at($brief, $_[0]) }

# $n copies of a raw request at once, each on its own connection: statuses
sub parallel {
    my ($n, $request) = @_;
    my @socks;

    for (1 .. $n) {
        my $s = IO::Socket::INET->new(
            Proto => 'tcp', PeerAddr => '127.0.0.1:' . $t->port(1),
        ) or die "connect: $!";
        $s->autoflush(1);
        syswrite $s, $request;
        push @socks, $s;
    }

    my @status;
    for my $s (@socks) {
        my $raw = '';
        my $sel = IO::Select->new($s);
        while ($sel->can_read(10)) {
            my $n = sysread($s, my $buf, 65536);
            last unless $n;
            $raw .= $buf;
        }
        close $s;
        push @status, Mastra::Nginx::Response->parse($raw)->status;
    }

    return @status;
}

###############################################################################
# what the fixture gives (the formats the module implements, checked against
# Better Auth itself)

my $alice = fresh('alice');
my $alice_id = $alice->{user}{id};

like($alice->{token}, qr{^[A-Za-z0-9]{32}\.[A-Za-z0-9+/]{43}=$},
    'set-auth-token: TOKEN.SIG, SIG standard base64 with padding');
is($alice->{token}, signed_token($SECRET, $alice->{raw}),
    'SIG = HMAC-SHA256(secret, TOKEN)');
is($alice->{cookie}, pct($alice->{token}),
    'the session cookie is TOKEN.SIG percent-encoded');
is($alice->{cookie_name}, 'better-auth.session_token', 'cookie name (http)');
is($alice->{data_name}, 'better-auth.session_data', 'cookie cache cookie name');

{
    my ($inner, $exp, $sig) = data_parts($alice->{data});
    is(data_make($SECRET, $inner, $exp), $alice->{data},
        'session_data: compact form, signature over the session text + expiresAt');
    like($inner, qr/^\{"session":\{.*"token":"\Q$alice->{raw}\E"/,
        'session_data holds the session token');
}

###############################################################################
# cookie and bearer sessions (docs/better-auth.md)

my $n = calls {
    my $r = cookie_req('/api/x', session_cookie($alice));
    is($r->outcome(2), '200 ok', 'cookie session: 200');
    is($r->echo->{user}, $alice_id, 'cookie session: user id forwarded');
    is($r->echo->{email}, $alice->{email}, 'cookie session: email forwarded');
    is($r->echo->{provider}, 'better-auth', 'provider better-auth');
    is($r->echo->{source}, 'cookie', 'token source: cookie');
};
is($n, 1, 'cookie session: get-session asked once');

is(calls { is(cookie_req('/api/x', session_cookie($alice))->outcome(2), '200 ok',
    'cookie session again: 200') }, 0, 'cookie session again: answered from the cache');

my $bob = fresh('bob');

$n = calls {
    my $r = bearer_req('/api/x', $bob->{token});
    is($r->outcome(2), '200 ok', 'bearer session (set-auth-token): 200');
    is($r->echo->{user}, $bob->{user}{id}, 'bearer session: user id forwarded');
    is($r->echo->{source}, 'header', 'token source: header');
};
is($n, 1, 'bearer session: get-session asked once');

# the bearer token and the cookie of one session are one credential
is(calls { is(cookie_req('/api/x', session_cookie($bob))->outcome(2), '200 ok',
    'bearer session, then its cookie: 200') }, 0,
    'cookie of a session cached through the bearer: no new call');

# Better Auth's bearer plugin decodes a percent-encoded token once
is(bearer_req('/api/x', pct($bob->{token}))->outcome(2), '200 ok',
    'bearer TOKEN.SIG percent-encoded (as the cookie): 200');

# the secret from BETTER_AUTH_SECRET
{
    my $r = cookie_req('/', session_cookie($alice), port => 2);
    is($r->outcome(2), '200 ok', 'secret from BETTER_AUTH_SECRET: 200');
    is($r->echo->{user}, $alice_id, 'secret from BETTER_AUTH_SECRET: user');
}

###############################################################################
# what claims and $mastra_auth_payload see: {"session":{...},"user":{...}},
# without the session token itself (Better Auth's bearer plugin accepts the
# bare TOKEN: in a header or a log it would be a credential)

{
    my $s = fresh('payload');
    for my $case (
        [ 'get-session', [ Authorization => "Bearer $s->{token}" ] ],
        [ 'session_data', [ Cookie => session_cookie($s) . "; $s->{data_name}=$s->{data}" ] ],
    ) {
        my $r = $t->request(uri => '/payload/x', headers => $case->[1]);
        my $p = eval { decode_json($r->body) } || {};
        is($p->{user}{id}, $s->{user}{id}, "payload ($case->[0]): user.id");
        is($p->{session}{userId}, $s->{user}{id}, "payload ($case->[0]): session.userId");
        ok(index($r->body, $s->{raw}) < 0,
            "payload ($case->[0]): the session token is not in it")
            or diag($r->body);
    }
}

###############################################################################
# forged, damaged and unknown tokens (CK1, CK2)

{
    my ($tok, $sig) = split /\./, $alice->{token};
    my $bad = substr($sig, 0, 10) . (substr($sig, 10, 1) eq 'A' ? 'B' : 'A')
        . substr($sig, 11);
    my $tampered = "$tok.$bad";

    is(calls {
        is(cookie_req('/api/x', "better-auth.session_token=" . pct($tampered))
            ->outcome(2), '401 invalid', 'CK1: cookie with a tampered signature: 401');
        is(bearer_req('/api/x', $tampered)->outcome(2), '401 invalid',
            'CK1: bearer with a tampered signature: 401');
        is(cookie_req('/api/x', 'better-auth.session_token='
            . pct(signed_token($OTHER, $tok)))->outcome(2), '401 invalid',
            'CK1: signed with another secret: 401');
        is(cookie_req('/wrong-secret/x', session_cookie($alice))->outcome(2),
            '401 invalid', 'a good cookie where nginx has another secret: 401');
    }, 0, 'CK1: no request reached Better Auth');

    # alice's answer is in the zone now: it is kept for this server and
    # secret only (a credential found there is not checked again)
    is(bearer_req('/api/x', $alice->{token})->outcome(2), '200 ok',
        'a session in the zone: 200');
    is(bearer_req('/other-server/x', $alice->{token})->outcome(2), '503 unavailable',
        'the same session where another Better Auth server is set: asked there (down: 503)');
    is(bearer_req('/wrong-secret/x', $alice->{token})->outcome(2), '401 invalid',
        'the same session where nginx has another secret: 401');
    is(bearer_req('/api/x', $tampered)->outcome(2), '401 invalid',
        'its tampered twin still: 401');

    my $sig43 = substr($sig, 0, 43);
    my $nopad = substr($sig, 0, 43) . 'A';
    is(calls {
        for my $case (
            [ "$tok.$sig43",                      'SIG of 43 characters' ],
            [ "$tok.$nopad",                      'SIG not ending "="' ],
            [ $tok,                               'no "."' ],
            [ "$tok.",                            'empty SIG' ],
            [ ".$sig",                            'empty TOKEN' ],
        ) {
            is(cookie_req('/api/x', 'better-auth.session_token=' . pct($case->[0]))
                ->outcome(1), '401', "CK2: $case->[1]: 401");
        }
        # double percent-encoded: decoded once it is still %3D, not "="
        is(cookie_req('/api/x', 'better-auth.session_token=' . pct(pct($alice->{token})))
            ->outcome(1), '401', 'CK2: value percent-encoded twice: 401');
    }, 0, 'CK2: no request reached Better Auth');
}

# a bearer session token without its signature: Better Auth's bearer plugin
# signs it itself (requireSignature defaults to false); the module wants
# TOKEN.SIG (docs/better-auth.md) and refuses it without asking
is(calls { is(bearer_req('/api/x', $alice->{raw})->outcome(1), '401',
    'bearer TOKEN without SIG: 401') }, 0, 'bearer TOKEN without SIG: no call');

{
    my $unknown = unknown_token();
    is(calls {
        is(cookie_req('/api/x', 'better-auth.session_token=' . pct($unknown))
            ->outcome(2), '401 invalid', 'unknown, well-signed token: 401');
    }, 1, 'unknown, well-signed token: get-session asked');
    is(calls {
        is(bearer_req('/api/x', $unknown)->outcome(2), '401 invalid',
            'unknown token again: 401');
    }, 0, 'unknown token again: the negative answer is cached');
}

###############################################################################
# CK3: the browser form is what every cookie test above sends

like($alice->{cookie}, qr/%3D$/, 'CK3: the cookie as Better Auth sets it ends in %3D');

###############################################################################
# CK4, CK5, CK6: cookie names and values

{
    my $good = session_cookie($alice);
    my $bad = 'better-auth.session_token='
        . pct(signed_token($OTHER, $alice->{raw}));

    is(calls {
        is(cookie_req('/api/x', "$bad; $good")->outcome(1), '401',
            'CK4: the session cookie twice, first bad: 401');
        is($t->request(uri => '/api/x', headers => [ Cookie => $bad, Cookie => $good ])
            ->outcome(1), '401', 'CK4: in two Cookie headers, first bad: 401');
    }, 0, 'CK4: Better Auth not asked');
    ok($t->grep_log(qr/reason "token_malformed".*cookie "better-auth\.session_token" came twice/),
        'CK4: the log says which cookie and why');

    my $r = cookie_req('/api/x', "__Secure-" . session_cookie($bob) . "; $good");
    is($r->outcome(2), '200 ok', 'CK5: __Secure- and plain session cookies: 200');
    is($r->echo->{user}, $bob->{user}{id}, 'CK5: the __Secure- cookie wins');

    is(cookie_req('/api/x', "__Secure-$bad; $good")->outcome(1), '401',
        'CK5: a bad __Secure- cookie is not passed over for the plain one');

    $r = cookie_req('/api/x', '__Secure-' . session_cookie($bob));
    is($r->outcome(2), '200 ok', 'CK5: the __Secure- cookie alone: 200');
    is($r->echo->{user}, $bob->{user}{id}, 'CK5: the __Secure- cookie alone: user');

    is(cookie_req('/api/x', "Better-Auth.session_token=$alice->{cookie}")->outcome(2),
        '401 missing', 'CK6: Better-Auth.session_token (case): no token');

    $r = cookie_req('/api/x', qq(better-auth.session_token="$alice->{cookie}"));
    like($r->outcome(1), qr/^(?:200|401)$/, 'CK6: a quoted value: 200 or 401')
        or diag($r->raw);
    note('CK6: a quoted value (Better Auth unquotes it): ' . $r->outcome);

    my $many = join '; ', map { "c$_=v$_" } 1 .. 200;
    $r = cookie_req('/api/x', "$many; $good");
    is($r->outcome(2), '200 ok', 'CK6: 200 other cookies and the session: 200');
    is($r->echo->{user}, $alice_id, 'CK6: 200 other cookies: user');
}

###############################################################################
# one session, 100 requests: one get-session call

{
    my $s = fresh('many');
    my $req = "GET /api/many HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . 'Cookie: ' . session_cookie($s) . "\r\n\r\n";
    my (@par, @seq);

    $n = calls {
        @par = parallel(50, $req);
        @seq = map { cookie_req('/api/many', session_cookie($s))->status } 1 .. 50;
    };

    is(scalar(grep { $_ == 200 } @par, @seq), 100, '100 requests, one session: 100 x 200')
        or diag("parallel: @par\nsequential: @seq");
    is($n, 1, '100 requests (50 at once, then 50): one get-session call');
}

###############################################################################
# the cookie cache: session_data answers alone (t/catalogue.t's CK7)

{
    my $s = fresh('cached');
    my $both = session_cookie($s) . "; $s->{data_name}=$s->{data}";

    is(calls {
        my $r = cookie_req('/api/x', $both);
        is($r->outcome(2), '200 ok', 'session_data with its session cookie: 200');
        is($r->echo->{user}, $s->{user}{id}, 'session_data: user id');
        is($r->echo->{email}, $s->{email}, 'session_data: email');
    }, 0, 'session_data: no get-session call');

    my ($inner, $exp, $sig) = data_parts($s->{data});
    my $now_ms = int(time * 1000);

    # CK7: a valid HMAC, but expiresAt past
    my $old = data_make($SECRET, $inner, $now_ms - 1000);
    is(calls {
        is(cookie_req('/api/x', session_cookie($s) . "; $s->{data_name}=$old")
            ->outcome(2), '200 ok', 'CK7: session_data expired: 200 from get-session');
    }, 1, 'CK7: session_data expired: ignored, get-session asked');

    # CK7: a tampered payload (the signature of the original): Better Auth
    # never wrote it, refused with no call
    my $s2 = fresh('tampered');
    my ($inner2, $exp2, $sig2) = data_parts($s2->{data});
    (my $evil = $inner2) =~ s/"email":"[^"]*"/"email":"evil\@example.com"/;
    my $forged = data_make($SECRET, $evil, $exp2, $sig2);
    is(calls {
        my $r = cookie_req('/api/x', session_cookie($s2) . "; $s2->{data_name}=$forged");
        is($r->outcome(2), '401 invalid', 'CK7: session_data tampered: 401');
        is($r->echo->{email}, undef, 'CK7: session_data tampered: its email not used');
    }, 0, 'CK7: session_data tampered: no get-session call');
    ok($t->grep_log(qr/cookie "better-auth\.session_data" has a signature that does not hold/),
        'CK7: session_data tampered: the log says which cookie and why');

    # a valid session_data of another session than the session cookie's
    my $s3 = fresh('mismatch');
    is(calls {
        my $r = cookie_req('/api/x', session_cookie($s3) . "; $s->{data_name}=$s->{data}");
        is($r->outcome(2), '200 ok', 'session_data of another session: 200');
        is($r->echo->{user}, $s3->{user}{id},
            'session_data of another session: the session cookie\'s user');
    }, 1, 'session_data of another session: ignored, get-session asked');

    # a valid session_data beside a session token whose signature fails:
    # refused before the cookie cache is read, with no call
    my ($tok, $tsig) = split /\./, $s->{token};
    my $bad = "$tok." . (substr($tsig, 0, 1) eq 'A' ? 'B' : 'A') . substr($tsig, 1);
    is(calls {
        is(cookie_req('/api/x', 'better-auth.session_token=' . pct($bad)
            . "; $s->{data_name}=$s->{data}")->outcome(2), '401 invalid',
            'session_data beside a tampered session token: 401');
    }, 0, 'session_data beside a tampered session token: no get-session call');

    # session_data without any session cookie is no credential
    is(cookie_req('/api/x', "$s->{data_name}=$s->{data}")->outcome(2), '401 missing',
        'session_data alone, no session cookie: 401');

    # the __Secure- name of the cookie cache
    my $s4 = fresh('secure-data');
    is(calls {
        is(cookie_req('/api/x', '__Secure-' . session_cookie($s4)
            . "; __Secure-$s4->{data_name}=$s4->{data}")->outcome(2), '200 ok',
            '__Secure-better-auth.session_data: 200');
    }, 0, '__Secure-better-auth.session_data: no call');
}

###############################################################################
# sign-out: refused within mastra_auth_session_cache (2s here); a cached
# session is not used past its expiresAt (a 2-second session, a 30s cache)

{
    my $s = fresh('leaver');

    my $b = $brief->sign_up('brief@example.com', $PASSWORD, 'brief');
    my $b_both = session_cookie($b) . "; $b->{data_name}=$b->{data}";
    is(brief_calls {
        is(cookie_req('/', session_cookie($b), port => 3)->outcome(2), '200 ok',
            '2-second session: 200');
        is(cookie_req('/', $b_both, port => 3)->outcome(2), '200 ok',
            '2-second session with its session_data: 200');
    }, 1, '2-second session: asked once');

    is(cookie_req('/short/x', session_cookie($s))->outcome(2), '200 ok',
        'signed in: 200');
    is($ba->sign_out($s), 200, 'signed out at Better Auth');
    is($ba->get_session(Cookie => session_cookie($s)), undef,
        'Better Auth: the session is gone');

    sleep 3.1;

    is(calls {
        is(cookie_req('/short/x', session_cookie($s))->outcome(2), '401 invalid',
            'after sign-out and session_cache: 401');
    }, 1, 'after session_cache: get-session asked again');

    is(brief_calls {
        is(cookie_req('/', session_cookie($b), port => 3)->outcome(2), '401 invalid',
            'past the session\'s expiresAt: 401');
    }, 1, 'past the session\'s expiresAt: asked again (cache ended with the session)');
    is(brief_calls {
        is(cookie_req('/', $b_both, port => 3)->outcome(2), '401 invalid',
            'past the session\'s expiresAt, with a session_data still fresh: 401');
    }, 0, 'session_data of an ended session: not trusted (the cached null answers)');
}

###############################################################################
# the jwt plugin's tokens (EdDSA, URL/api/auth/jwks, iss = aud = URL)

{
    my $s = fresh('jwt');
    my $jwt = $ba->jwt($s);
    like($jwt, qr/^eyJhbGciOiJFZERTQSIs/, 'jwt plugin: an EdDSA JWT');

    my $jwks = $ba->hits('/api/auth/jwks');

    is(calls {
        my $r = bearer_req('/api/x', $jwt);
        is($r->outcome(2), '200 ok', 'jwt plugin token: 200');
        is($r->echo->{user}, $s->{user}{id}, 'jwt plugin token: user = sub');
        is($r->echo->{email}, $s->{email}, 'jwt plugin token: email');
        is(bearer_req('/api/x', $jwt)->outcome(2), '200 ok', 'jwt plugin token again: 200');
    }, 0, 'jwt plugin token: verified locally, no get-session');

    is($ba->hits('/api/auth/jwks') - $jwks, 1, 'jwt plugin: jwks fetched once');

    my @p = split /\./, $jwt;
    my $sig = $p[2];
    substr($sig, 5, 1) = substr($sig, 5, 1) eq 'A' ? 'B' : 'A';
    is(bearer_req('/api/x', "$p[0].$p[1].$sig")->outcome(2), '401 invalid',
        'jwt plugin token, tampered signature: 401');
}

###############################################################################
# Mastra's authorizeUser as a claim: user.emailVerified = true

{
    my $s = fresh('verify');

    is(bearer_req('/verified/x', $s->{token})->outcome(2), '403 forbidden',
        'emailVerified false: 403');
    is(cookie_req('/verified/x', session_cookie($s) . "; $s->{data_name}=$s->{data}")
        ->outcome(2), '403 forbidden', 'emailVerified false (session_data): 403');

    # a session_data claiming emailVerified, not signed with the secret
    my ($inner, $exp, $sig) = data_parts($s->{data});
    (my $lie = $inner) =~ s/"emailVerified":false/"emailVerified":true/;
    is(cookie_req('/verified/x', session_cookie($s) . "; $s->{data_name}="
        . data_make($SECRET, $lie, $exp, $sig))->outcome(2), '401 invalid',
        'emailVerified true in a session_data with a bad signature: 401');

    ok($ba->verify_email($s->{email})->{emailVerified}, 'email verified at Better Auth');

    # the answer about the old session token is cached: a fresh sign-in
    my $s2 = $ba->sign_in($s->{email}, $PASSWORD);

    my $r = bearer_req('/verified/x', $s2->{token});
    is($r->outcome(2), '200 ok', 'emailVerified true: 200');
    is($r->echo->{user}, $s->{user}{id}, 'emailVerified true: user');

    is(calls {
        is(cookie_req('/verified/x', session_cookie($s2)
            . "; $s2->{data_name}=$s2->{data}")->outcome(2), '200 ok',
            'emailVerified true (session_data): 200');
    }, 0, 'emailVerified true (session_data): no call');
}

###############################################################################
# CK8: how get-session answers

{
    my %want = (
        'null' => '401 invalid',
        '401'  => '401 invalid',
        '500'  => '503 unavailable better_auth_unavailable',
        'hang' => '503 unavailable better_auth_unavailable',
    );

    for my $mode (qw(null 401 500 hang)) {
        $ba->mode($mode);
        my $start = time;
        my $r = bearer_req('/api/x', unknown_token());
        is($r->outcome($want{$mode} =~ /^503/ ? 3 : 2), $want{$mode},
            "CK8: get-session $mode: $want{$mode}");
        cmp_ok(time - $start, '<', 5, "CK8: get-session $mode: answered in time")
            if $mode eq 'hang';
    }

    $ba->mode('normal');
}

###############################################################################
# Better Auth down

{
    my $s = fresh('down');
    my $both = session_cookie($s) . "; $s->{data_name}=$s->{data}";

    # sign-in through nginx (Better Auth mounted unauthenticated at /api/auth/)
    my $r = $t->request(method => 'POST', uri => '/api/auth/sign-in/email',
        headers => [ 'Content-Type' => 'application/json', Origin => $BA ],
        body => qq({"email":"$s->{email}","password":"$PASSWORD"}));
    is($r->status, 200, 'sign-in through nginx at /api/auth/: 200');
    like($r->header('set-auth-token') || '', qr/^[A-Za-z0-9]{32}\./,
        'sign-in through nginx: set-auth-token passed on');

    $ba->stop;

    $r = cookie_req('/api/x', $both);
    is($r->outcome(2), '200 ok', 'Better Auth stopped: session_data alone answers');
    is($r->echo->{user}, $s->{user}{id}, 'Better Auth stopped: session_data user');

    is(bearer_req('/api/x', unknown_token())->outcome,
        '503 unavailable better_auth_unavailable',
        'Better Auth stopped, nothing cached: 503, a reason of its own');
    is(cookie_req('/api/x', session_cookie($s))->outcome,
        '503 unavailable better_auth_unavailable',
        'Better Auth stopped, a real session never asked about: 503');

    is(bearer_req('/api/x', signed_token($OTHER, 'x' x 32))->outcome(2), '401 invalid',
        'Better Auth stopped: a forged token is still 401');
}

$t->log_lacks($alice->{raw}, 'no session token in error.log');

$t->finish;

done_testing;
