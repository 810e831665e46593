#!/usr/bin/perl

# nginx-mastra-auth: the official client (@mastra/client-js) through nginx
# (docs/migrating-from-mastra.md).  nginx (provider jwt) guards a real Mastra
# server whose own auth is off; the client lists agents and reads one agent
# with a Bearer header (200), and without one or with a bad one it throws
# MastraClientError with our status and JSON body.  A per-agent rule shows a 403
# the same way.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;

use Mastra::Fixture;
use Mastra::Nginx;
use Mastra::Token qw(:all);

my $why = Mastra::Fixture::unavailable();
plan(skip_all => $why) if $why;

my $S = random_secret(32);
my $t = Mastra::Nginx->new;

my $m = Mastra::Fixture->start($t, 5);

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_public /api;
            mastra_auth_public /api/auth/*;
            mastra_auth_protected /api/*;
            mastra_auth_rule /api/agents GET allow;
            mastra_auth_rule /api/agents/:agentId GET agents has "\$mastra_auth_param_agentId";
            proxy_set_header X-Mastra-User \$mastra_auth_user;
            proxy_pass http://127.0.0.1:%%PORT_5%%;
        }
    }
}
EOF

my $base = 'http://127.0.0.1:' . $t->port(1);
my $script = Mastra::Fixture::dir() . '/client.mjs';

sub client {
    my ($token) = @_;
    my ($rc, $out, $err) = Mastra::Fixture->node_script($t, $script, $base,
        defined $token ? $token : '-');
    my $res = eval { JSON::PP->new->decode($out) };
    diag("client exit $rc:\n$out\n$err") unless $rc == 0 && $res;
    return $res || {};
}

# with a token that may read echo-agent
my $res = client(mint($S, claims(agents => [ 'echo-agent' ])));
ok($res->{listAgents}{ok}, 'listAgents with a Bearer header: 200')
    or diag(explain $res->{listAgents});
is_deeply($res->{listAgents}{value}, [ 'echo-agent' ], 'the agents Mastra has');
ok($res->{agentDetails}{ok}, 'getAgent(echo-agent).details(): 200');
is($res->{agentDetails}{value}{name}, 'Echo Agent', 'the agent\'s details (its name)');

# without a token
$res = client(undef);
my $l = $res->{listAgents};
ok(!$l->{ok}, 'listAgents without a token: the client throws');
is($l->{error}, 'MastraClientError', 'a MastraClientError');
is($l->{status}, 401, 'status 401');
is_deeply($l->{body}, { error => 'Authentication required' },
    'the body is nginx\'s JSON, parsed by the client');
is($res->{agentDetails}{status}, 401, 'details() without a token: 401');

# with a bad token
$res = client(flip_bit(mint($S, claims()), 3));
is($res->{listAgents}{status}, 401, 'listAgents with a bad signature: 401');
is_deeply($res->{listAgents}{body}, { error => 'Invalid or expired token' },
    'Mastra\'s invalid-token body');

# with an expired token
$res = client(mint($S, claims(iat => time - 7200, exp => time - 60)));
is($res->{listAgents}{status}, 401, 'listAgents with an expired token: 401');

# authenticated, but the per-agent rule refuses
$res = client(mint($S, claims(agents => [ 'other-agent' ])));
ok($res->{listAgents}{ok}, 'listAgents allowed by its rule');
is($res->{agentDetails}{status}, 403, 'details() of an agent not in the '
    . 'token: 403');
is_deeply($res->{agentDetails}{body}, { error => 'Access denied' },
    'the 403 body');

$t->finish;

unlike($m->log_text, qr/Unhandled|TypeError|ReferenceError/,
    'Mastra logged no crash');

done_testing;
