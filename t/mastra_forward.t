#!/usr/bin/perl

# nginx-mastra-auth: identity to the upstream (mastra_auth_forward_jwt,
# docs/migrating-from-mastra.md).
# nginx checks an Auth0-style RS256 token (mastra_auth_provider jwks with a
# key file made here, issuer and audience), mints a short HS256 token with
# mastra_auth_forward_jwt and forwards it as the Authorization of the
# request; a real Mastra server running plain MastraJwtAuth with the
# forwarding secret accepts it, and its echo route shows the user Mastra saw.
# A request with a bad token is refused at nginx and never reaches Mastra.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;

use Mastra::Fixture;
use Mastra::Keys qw(:all);
use Mastra::Nginx;
use Mastra::Token qw(:all);

my $why = Mastra::Fixture::unavailable();
plan(skip_all => $why) if $why;

my $ISS = 'https://tenant.example.com/';
my $AUD = 'https://api.example.com';
my $F = random_secret(64);    # the forwarding secret, nginx -> Mastra

my $t = Mastra::Nginx->new;

my $rsa = rsa_key();
my $other = rsa_key();
$t->write_file('jwks.json', jwks(jwk($rsa, kid => 'k1', alg => 'RS256', use => 'sig')));

my $m = Mastra::Fixture->start($t, 5,
    auth => { type => 'jwt', secret => $F },
    routes => [ { path => '/o/*', method => 'ALL',
        requiresAuth => JSON::PP::false } ]);

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location / {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/jwks.json;
            mastra_auth_issuer $ISS;
            mastra_auth_audience $AUD;
            mastra_auth_public /o/*;
            mastra_auth_forward_jwt $F ttl=30s claims=role,permissions;

            proxy_set_header Authorization "Bearer \$mastra_auth_forward_jwt";
            add_header X-Auth-Status \$mastra_auth_status always;
            add_header X-Upstream "\$upstream_addr" always;
            proxy_pass http://127.0.0.1:%%PORT_5%%;
        }

        location /default-ttl/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/jwks.json;
            mastra_auth_issuer $ISS;
            mastra_auth_audience $AUD;
            mastra_auth_forward_jwt $F;

            proxy_set_header Authorization "Bearer \$mastra_auth_forward_jwt";
            proxy_pass http://127.0.0.1:%%PORT_5%%/echo/;
        }
    }
}
EOF

my $now = time;

sub auth0 {
    my (%extra) = @_;
    my $key = delete $extra{key} || $rsa;
    my $alg = delete $extra{alg} || 'RS256';
    return signed($key, $alg, claims(
        sub => 'auth0|abc123',
        email => 'ada@example.com',
        iss => $ISS,
        aud => [ $AUD, "${ISS}userinfo" ],
        azp => 'client-1',
        scope => 'openid profile',
        role => 'editor',
        permissions => [ 'read:agents', 'run:agents' ],
        %extra,
    ), kid => 'k1', typ => 'JWT');
}

sub decode { return eval { JSON::PP->new->decode($_[0]) } || {} }

sub hits { return decode($t->request(uri => '/echo/hits', port => 5)->body) }

###############################################################################
# Accepted: nginx verifies RS256, Mastra verifies the forwarded HS256.

my $good = auth0();

my $r = $t->bearer('/echo/user', $good);
is($r->status, 200, 'RS256 token: nginx accepts, MastraJwtAuth accepts the '
    . 'forwarded token');
my $e = decode($r->body);
my $u = $e->{user} || {};
is($u->{sub}, 'auth0|abc123', 'Mastra sees the user id');
is($u->{email}, 'ada@example.com', 'Mastra sees the e-mail');
is($u->{iss}, 'nginx-mastra-auth', 'iss is nginx-mastra-auth');
is($u->{role}, 'editor', 'claims=role forwarded');
is_deeply($u->{permissions}, [ 'read:agents', 'run:agents' ],
    'claims=permissions forwarded (an array stays an array)');
ok(defined $u->{iat} && defined $u->{exp} && $u->{exp} - $u->{iat} == 30,
    'exp = iat + ttl (30 s)') or diag($r->body);
ok(abs($u->{iat} - time) <= 5, 'iat is now');
ok(!exists $u->{aud} && !exists $u->{azp} && !exists $u->{scope},
    'claims not listed are not forwarded') or diag($r->body);

$r = $t->bearer('/api/agents', $good);
is($r->status, 200, 'a built-in route: GET /api/agents through nginx');
like($r->body, qr/"echo-agent"/, 'Mastra lists its agent');

$r = $t->bearer('/api/agents/echo-agent', $good);
is($r->status, 200, 'a built-in route with :agentId');

$r = $t->request(uri => "/echo/user?apiKey=$good", port => 1);
is($r->status, 200, 'token in ?apiKey=: forwarded as the Authorization');
is(decode($r->body)->{user}{sub}, 'auth0|abc123', 'the same user');

$r = $t->bearer('/default-ttl/user', $good);
$u = decode($r->body)->{user} || {};
is($r->status, 200, 'mastra_auth_forward_jwt with the defaults');
ok(defined $u->{exp} && $u->{exp} - $u->{iat} == 60, 'default ttl 60 s');
ok(!exists $u->{role}, 'no claims= list: only sub and email');
is($u->{sub}, 'auth0|abc123', 'default ttl: the user id');

# the RS256 token straight at Mastra: MastraJwtAuth cannot verify it
$r = $t->request(uri => '/echo/user', port => 5,
    headers => [ Authorization => "Bearer $good" ]);
is($r->status, 401, 'straight at Mastra, the RS256 token is refused');

###############################################################################
# Refused at nginx: Mastra's echo never runs.

my $before = hits()->{'/echo/user'};
ok($before >= 3, "Mastra's echo route counted the accepted requests ($before)");

my %bad = (
    'no token'            => undef,
    'expired'             => auth0(exp => $now - 60, iat => $now - 3600),
    'other RSA key'       => auth0(key => $other),
    'wrong issuer'        => auth0(iss => 'https://evil.example.com/'),
    'wrong audience'      => auth0(aud => 'https://other.example.com'),
    'signature changed'   => flip_bit($good, 9),
    'HS256 with the forwarding secret' =>
        mint($F, claims(sub => 'auth0|abc123', iss => $ISS, aud => $AUD),
            header => { kid => 'k1' }),
    'a forwarded token replayed at nginx' => do {
        my $fwd = mint($F, claims(sub => 'auth0|abc123',
            iss => 'nginx-mastra-auth'));
        $fwd;
    },
    'alg none' => b64u('{"alg":"none","kid":"k1"}') . '.'
        . b64u(json(claims(iss => $ISS, aud => $AUD))) . '.',
);

for my $name (sort keys %bad) {
    my $tok = $bad{$name};
    $r = defined $tok ? $t->bearer('/echo/user', $tok)
        : $t->get('/echo/user');
    is($r->status, 401, "$name: 401 at nginx");
    like($r->header('www-authenticate') || '', qr/^Bearer realm="mastra"/,
        "$name: nginx's own answer (WWW-Authenticate)");
    is($r->header('x-upstream') || '', '', "$name: no upstream was contacted");
}

is(hits()->{'/echo/user'}, $before, 'Mastra\'s echo route ran for none of '
    . 'the refused requests');

###############################################################################
# A public route: no identity, so no token to forward.

$r = $t->get('/o/x');
is($r->status, 200, 'public route passes');
is(decode($r->body)->{user}, undef, 'Mastra sees no user on a public route');

$r = $t->bearer('/o/x', $good);
is($r->status, 200, 'public route with a token passes');

$t->finish;

unlike($m->log_text, qr/Unhandled|TypeError|ReferenceError/,
    'Mastra logged no crash');

done_testing;
