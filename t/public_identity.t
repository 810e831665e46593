#!/usr/bin/perl

# nginx-mastra-auth: a token sent to a public route.  The route stays public
# whatever the token says (never a 401, 403 or 503 there), but a token that
# is there is verified: a valid one sets the identity variables and
# $mastra_auth_forward_jwt as on a protected route, so that an upstream that
# wants a user on routes nginx leaves open (Mastra's built-in routes) gets
# one.  A token that fails leaves the identity empty and names its reason in
# $mastra_auth_error.  No token: no verification at all.  Key sets and
# Better Auth out of reach never refuse a public request either.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;
use Time::HiRes qw(time);

use Mastra::BetterAuth qw(signed_token);
use Mastra::Nginx;
use Mastra::Keys qw(:all);
use Mastra::KeyServer;
use Mastra::Token qw(:all);

my $S = random_secret(32);
my $F = random_secret(48);    # the forwarding secret

my $ks = Mastra::KeyServer->new;
my $ec = ec_key('P-256');
$ks->put('/jwks.json', jwks(jwk($ec, kid => 'e1')));
my $down = Mastra::KeyServer->new;
$down->down;

my $t = Mastra::Nginx->new;

my $FWD = <<'EOF';
            proxy_set_header X-Fwd $mastra_auth_forward_jwt;
            proxy_set_header X-Status $mastra_auth_status;
            proxy_set_header X-Error $mastra_auth_error;
            proxy_set_header X-User $mastra_auth_user;
            proxy_set_header X-Email $mastra_auth_email;
            proxy_set_header X-Role $mastra_auth_claim_role;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
EOF

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    mastra_auth_zone mastra_auth:1m;

    server {
        listen 127.0.0.1:%%PORT_9%%;
        location / {
            return 200 "status=\$http_x_status\\nerror=\$http_x_error\\nuser=\$http_x_user\\nemail=\$http_x_email\\nrole=\$http_x_role\\nfwd=\$http_x_fwd\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /jwt/ {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_public /jwt/open/*;
            mastra_auth_claim role != banned;
            mastra_auth_rule /jwt/* * role = admin;
            mastra_auth_forward_jwt $F claims=role;
$FWD
        }

        location /default/ {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_default public;
            mastra_auth_protected /default/closed;
            mastra_auth_forward_jwt $F;
$FWD
        }

        location /keys/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri ${\ $ks->url('/jwks.json')};
            mastra_auth_jwks_timeout 2s;
            mastra_auth_public /keys/open;
$FWD
        }

        location /nokeys/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri ${\ $down->url('/jwks.json')};
            mastra_auth_jwks_timeout 1s;
            mastra_auth_public /nokeys/open;
$FWD
        }

        location /ba/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url http://127.0.0.1:%%PORT_8%%;
            mastra_auth_secret $S;
            mastra_auth_jwks_timeout 1s;
            mastra_auth_public /ba/open;
$FWD
        }
    }
}
EOF

sub tok { return mint($S, claims(email => 'ada@example.com', role => 'editor', @_)) }

sub get {
    my ($uri, $token) = @_;
    my $r = defined $token ? $t->bearer($uri, $token) : $t->get($uri);
    return ($r, $r->echo);
}

###############################################################################
# A valid token on a public route: the identity, as on a protected one.

my $good = tok();
my ($r, $e) = get('/jwt/open/x', $good);
is($r->status, 200, 'public route, valid token: 200');
is($e->{status}, 'public', 'status stays public');
is($e->{error}, '', 'no error');
is($e->{user}, 'user-1', 'the user is set');
is($e->{email}, 'ada@example.com', 'the e-mail is set');
is($e->{role}, 'editor', 'claim variables are set');
my @parts = split /\./, $e->{fwd} || '';
is(scalar @parts, 3, 'a forwarded token is minted');
my $payload = eval { JSON::PP->new->decode(b64u_decode($parts[1] || '')) } || {};
is($payload->{sub}, 'user-1', 'the forwarded token names the user');
is($payload->{role}, 'editor', 'and carries the listed claims');

# the rule (role = admin) does not refuse the editor here: public wins
is($t->bearer('/jwt/closed', $good)->status, 403,
    'the same token is refused by the rule on a protected route');

# ?apiKey= counts as on a protected route
($r, $e) = get("/jwt/open/x?apiKey=$good");
is($e->{user}, 'user-1', 'public route, ?apiKey= token: the user is set');

###############################################################################
# No token: public, nothing set, nothing verified.

($r, $e) = get('/jwt/open/x');
is($r->status, 200, 'public route, no token: 200');
is($e->{status} . '|' . $e->{error} . '|' . $e->{user} . '|' . $e->{fwd},
    'public|||', 'no token: public, no error, no user, nothing forwarded');

###############################################################################
# Tokens that fail: public, no identity, the reason in $mastra_auth_error.

my %BAD = (
    bad_signature   => mint(random_secret(32), claims()),
    token_expired   => tok(exp => time - 60),
    token_malformed => 'not-a-token',
    claim_failed    => tok(role => 'banned'),
);

for my $reason (sort keys %BAD) {
    ($r, $e) = get('/jwt/open/x', $BAD{$reason});
    is($r->status, 200, "$reason on a public route: 200");
    is(join('|', @$e{qw(status error user email role fwd)}),
        "public|$reason||||", "$reason: public, reason named, no identity, "
        . 'nothing forwarded');
}

($r, $e) = get('/jwt/open/x?apiKey=a&apiKey=b');
is($r->status . ' ' . $e->{status} . ' ' . $e->{error},
    '200 public token_malformed', 'two ?apiKey=: public, token_malformed');

###############################################################################
# mastra_auth_default public: the unlisted routes behave the same way.

($r, $e) = get('/default/anything', $good);
is($r->status . ' ' . $e->{status} . ' ' . $e->{user}, '200 public user-1',
    'default public: a valid token sets the user');
ok(length $e->{fwd}, 'default public: a token is forwarded');
($r, $e) = get('/default/anything', $BAD{bad_signature});
is($r->status . ' ' . $e->{status} . ' ' . $e->{error} . ' [' . $e->{user} . ']',
    '200 public bad_signature []', 'default public: a bad token is not taken');
is($t->get('/default/closed')->status, 401, 'the protected entry still refuses');

###############################################################################
# Key sets: a public request may wait for a first fetch, as a protected one
# does; when there are no keys it passes, public, never 503.

my $es = signed($ec, 'ES256', claims(), kid => 'e1');
($r, $e) = get('/keys/open', $es);
is($r->status . ' ' . $e->{status} . ' ' . $e->{user}, '200 public user-1',
    'key set fetched for a public request: the user is set');

is($t->get('/keys/open')->status, 200, 'no token: 200');

my $before = $ks->hits('/jwks.json');
get('/keys/open', signed($ec, 'ES256', claims(), kid => 'e1'));
is($ks->hits('/jwks.json'), $before, 'a known kid: no fetch');

my $start = time;
($r, $e) = get('/nokeys/open', $es);
is($r->status, 200, 'key server down: the public request still passes');
is($e->{status} . ' ' . $e->{error} . ' [' . $e->{user} . ']',
    'public keys_unavailable []', 'key server down: public, keys_unavailable');
ok(!defined $r->header('retry-after'), 'no Retry-After on a public answer');
cmp_ok(time - $start, '<', 8, 'the wait is bounded');

($r, $e) = get('/nokeys/open');
is($r->status . ' ' . $e->{status} . ' ' . $e->{error}, '200 public ',
    'key server down, no token: public, no error');

is($t->bearer('/nokeys/closed', $es)->status, 503,
    'key server down: a protected route answers 503');

###############################################################################
# Better Auth out of reach: a session token on a public route passes.

my $session = 'abcdefghijklmnopqrstuvwxyz012345';
my $signed = signed_token($S, $session);
($r, $e) = get('/ba/open', $signed);
is($r->status, 200, 'Better Auth down: a session on a public route passes');
is($e->{status} . ' [' . $e->{user} . ']', 'public []',
    'Better Auth down: public, no user');
isnt($e->{error}, '', 'Better Auth down: the reason is named');

($r, $e) = get('/ba/open', "$session.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
is($r->status . ' ' . $e->{status} . ' ' . $e->{error},
    '200 public session_invalid', 'a badly signed session: public, no call');

is($t->bearer('/ba/closed', $signed)->status, 503,
    'Better Auth down: a protected route answers 503');

$t->finish;

unlike($t->error_log, qr/\Q$good\E/, 'the token is never logged');

done_testing;
