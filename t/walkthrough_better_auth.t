#!/usr/bin/perl

# nginx-mastra-auth: conf-examples/better-auth.conf as shipped, with a real
# Better Auth server whose baseURL is nginx (users sign up and in through
# nginx) and a real Mastra server running MastraJwtAuth with the forwarding
# secret.  Only ports, the module's path, the pid file's place and the
# secrets are changed.  Sessions (bearer and cookie) and the jwt plugin's
# JWTs (iss = aud = the public URL) pass the one claim check
# user.emailVerified = true; the sign-in body's bare token is refused; a
# sign-out is seen for a credential not cached, and a copied cookie-cache
# pair keeps working, as in Better Auth; Better Auth out of reach is 503
# better_auth_unavailable.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;

use Mastra::BetterAuth qw(signed_token);
use Mastra::Fixture;
use Mastra::Nginx;
use Mastra::Token qw(:all);

my $why = Mastra::Fixture::unavailable() || Mastra::BetterAuth->missing;
plan(skip_all => $why) if $why;

my $B = random_secret(48);    # BETTER_AUTH_SECRET
my $F = random_secret(48);    # MASTRA_FORWARD_SECRET
my $PASSWORD = 'correct horse battery';

my $t = Mastra::Nginx->new->env(BETTER_AUTH_SECRET => $B,
    MASTRA_FORWARD_SECRET => $F);
my $front = 'http://127.0.0.1:' . $t->port(1);

my $ba = Mastra::BetterAuth->new(secret => $B, base_url => $front);
my $m = Mastra::Fixture->start($t, 5, auth => { type => 'jwt', secret => $F });

my $conf = $t->read_file(Mastra::Nginx->root . '/conf-examples/better-auth.conf');
my $dir = $t->testdir;
my ($port, $bport, $mport) = ($t->port(1), $ba->port, $m->port);
my $module = Mastra::Nginx::module_path();

ok($conf =~ s{^load_module \S+;}{load_module $module;}m, 'the load_module line');
# (the comments name the addresses too)
ok($conf =~ s{listen 127\.0\.0\.1:8080;}{listen 127.0.0.1:$port;}, 'nginx\'s port');
ok($conf =~ s{(public_url\s+)http://127\.0\.0\.1:8080;}{${1}$front;}, 'the public URL: nginx');
ok($conf =~ s{(better_auth_url\s+)http://127\.0\.0\.1:3000;}{${1}http://127.0.0.1:$bport;},
    'Better Auth\'s internal address');
ok($conf =~ s{server 127\.0\.0\.1:3000;}{server 127.0.0.1:$bport;}, 'the upstream of /api/auth/');
ok($conf =~ s{server 127\.0\.0\.1:4111;}{server 127.0.0.1:$mport;}, 'Mastra\'s port');
ok($conf =~ s{^pid\s+\S+;}{pid $dir/nginx.pid;}m, 'the pid file, where the test harness looks');
mkdir "$dir/logs";
$t->write_file('nginx.conf', $conf)->run;

$ba->front($front);

sub user_at {
    my ($r) = @_;
    my $e = eval { JSON::PP->new->decode($r->body) } || {};
    return $e->{user} || {};
}

sub bearer { return $t->bearer('/echo/user', $_[0]) }
sub cookies { return $t->get('/echo/user', Cookie => $_[0]) }

###############################################################################
# Sign-up through nginx: Better Auth trusts its own baseURL as Origin.

my $s = $ba->sign_up('ada@example.com', $PASSWORD, 'Ada');
like($s->{token}, qr/^\w+\.[A-Za-z0-9+\/]{43}=$/,
    'sign-up through nginx: set-auth-token is TOKEN.SIG');

my $r = bearer($s->{token});
is($r->status, 403, 'e-mail not verified: the claim check refuses the session');

my $jwt = $ba->jwt($s);
my $payload = JSON::PP->new->decode(b64u_decode((split /\./, $jwt)[1]));
is($payload->{iss}, $front, 'the JWT\'s iss is Better Auth\'s baseURL, nginx');
is(bearer($jwt)->status, 403, 'the JWT of an unverified user: the same claim check refuses it');

###############################################################################
# Verified: sessions and JWTs pass the one claim check.

$ba->verify_email('ada@example.com');
$s = $ba->sign_in('ada@example.com', $PASSWORD);

$r = bearer($s->{token});
is($r->status, 200, 'a verified user\'s session (bearer): 200');
is(user_at($r)->{sub}, $s->{user}{id}, 'Mastra sees the user id');
is(user_at($r)->{email}, 'ada@example.com', 'and the e-mail');

$r = cookies("$s->{cookie_name}=$s->{cookie}");
is($r->status, 200, 'the session cookie alone: 200');

$jwt = $ba->jwt($s);
$r = bearer($jwt);
is($r->status, 200, 'the jwt plugin\'s JWT: 200 (iss/aud = the public URL, user.emailVerified)');
is(user_at($r)->{sub}, $s->{user}{id}, 'the JWT\'s user is the session\'s');

# the sign-in body's token has no signature
my $raw = $ba->_decode($ba->_request('POST', '/api/auth/sign-in/email',
    json => { email => 'ada@example.com', password => $PASSWORD }))->{token};
ok($raw && $raw !~ /\./, 'the sign-in body holds the bare token');
is(bearer($raw)->status, 401, 'the body\'s token is refused: clients use set-auth-token');

is($t->get('/echo/user')->status, 401, 'no credential: 401');

# a public route (GET /api): the session is verified, not required
$t->bearer('/api', $s->{token});
$t->bearer('/api', signed_token($B, 'x' x 32));

my $access = $t->read_file("$dir/logs/access.log");
like($access, qr{"GET /api" \d+ auth=public error= user="\Q$s->{user}{id}\E" verified=true},
    'a public route with a session: public, and the user is known');
like($access, qr{"GET /api" \d+ auth=public error=session_invalid user="" verified=},
    'a public route with a session Better Auth does not know: public, session_invalid');
like($access, qr{"GET /echo/user" 200 auth=ok error= user="\Q$s->{user}{id}\E" verified=true},
    'the access log shows user.emailVerified through mastra_auth_claim_set');

###############################################################################
# Sign-out.

my $unused = $ba->sign_in('ada@example.com', $PASSWORD);   # never used yet
my $pair = "$unused->{cookie_name}=$unused->{cookie}; $unused->{data_name}=$unused->{data}";
ok(defined $unused->{data}, 'Better Auth set a cookie cache');
is($ba->sign_out($unused), 200, 'sign-out through nginx');

is(cookies("$unused->{cookie_name}=$unused->{cookie}")->status, 401,
    'after sign-out the session token is refused (it was not cached)');
is(cookies($pair)->status, 200,
    'a copied pair with the cookie cache still passes until the cache cookie expires');

###############################################################################
# Better Auth out of reach.

my $later = $ba->sign_in('ada@example.com', $PASSWORD);
$ba->stop;
$r = $t->request(uri => '/echo/user',
    headers => [ Authorization => "Bearer $later->{token}" ]);
is($r->status, 503, 'Better Auth down: 503');
like($t->read_file("$dir/logs/error.log"), qr/reason "better_auth_unavailable"/,
    'the reason is better_auth_unavailable');

$t->finish;

unlike($t->read_file("$dir/logs/error.log"), qr/\Q$s->{token}\E/, 'no token in the error log');
unlike($m->log_text, qr/Unhandled|TypeError|ReferenceError/, 'Mastra logged no crash');

done_testing;
