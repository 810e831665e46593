#!/usr/bin/perl

# nginx-mastra-auth: conf-examples/mastra.conf as shipped, in front of a real
# Mastra server that runs MastraJwtAuth with the forwarding secret, driven by
# @mastra/client-js.  Only what a user would change is changed: the module's
# path, the two ports, the pid file's place, and the secrets (in the
# environment, as the example asks).  listAgents(), getAgent(id).details()
# and custom routes (outside /api: Mastra reserves it) work with a token that allows
# them and are refused without one (by nginx on protected routes, by Mastra
# on the routes nginx leaves public); a ?apiKey= token does not reach Mastra.

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

my $S = random_secret(48);    # the users' tokens (MASTRA_JWT_SECRET)
my $F = random_secret(48);    # nginx -> Mastra (MASTRA_FORWARD_SECRET)

my $t = Mastra::Nginx->new->env(MASTRA_JWT_SECRET => $S,
    MASTRA_FORWARD_SECRET => $F);

my $m = Mastra::Fixture->start($t, 5,
    auth => { type => 'jwt', secret => $F },
    routes => [
        { path => '/custom/report', method => 'GET' },
        { path => '/custom/stats/:day', method => 'GET' },
    ]);

my $conf = $t->read_file(Mastra::Nginx->root . '/conf-examples/mastra.conf');
my $port = $t->port(1);
my $mport = $m->port;
my $dir = $t->testdir;
my $module = Mastra::Nginx::module_path();

ok($conf =~ s{^load_module \S+;}{load_module $module;}m, 'the load_module line');
ok($conf =~ s{listen 127\.0\.0\.1:8080;}{listen 127.0.0.1:$port;}, 'the port');
ok($conf =~ s{server 127\.0\.0\.1:4111;}{server 127.0.0.1:$mport;}, 'Mastra\'s port');
ok($conf =~ s{^pid\s+\S+;}{pid $dir/nginx.pid;}m, 'the pid file, where the test harness looks');
mkdir "$dir/logs";
$t->write_file('nginx.conf', $conf)->run;

my $base = "http://127.0.0.1:$port";
my $script = Mastra::Fixture::dir() . '/client.mjs';
my @ROUTES = ('/custom/report', '/custom/stats/monday');

sub client {
    my ($token) = @_;
    my ($rc, $out, $err) = Mastra::Fixture->node_script($t, $script, $base,
        defined $token ? $token : '-', @ROUTES);
    my $res = eval { JSON::PP->new->decode($out) };
    diag("client exit $rc:\n$out\n$err") unless $rc == 0 && $res;
    return $res || {};
}

sub user { my ($r) = @_; return ($r->{value} || {})->{user} || {} }

###############################################################################
# A token that allows them: everything works, and Mastra knows the user.

my $good = mint($S, claims(sub => 'ada', email => 'ada@example.com',
    permissions => [ 'agent:echo-agent' ]));
my $res = client($good);

ok($res->{listAgents}{ok}, 'listAgents() with a token: 200')
    or diag(explain $res->{listAgents});
is_deeply($res->{listAgents}{value}, [ 'echo-agent' ], 'Mastra\'s agents');
ok($res->{agentDetails}{ok}, 'getAgent(id).details() with a token allowed by the per-agent rule: 200')
    or diag(explain $res->{agentDetails});
is($res->{agentDetails}{value}{name}, 'Echo Agent', 'the agent\'s details');

for my $path (@ROUTES) {
    my $r = $res->{routes}{$path} || {};
    ok($r->{ok}, "custom route $path with a token: 200") or diag(explain $r);
    is(user($r)->{sub}, 'ada', "custom route $path: Mastra sees the user");
    is(user($r)->{iss}, 'nginx-mastra-auth', "custom route $path: through the forwarded token");
}

###############################################################################
# Without a token: refused.

$res = client(undef);
is($res->{listAgents}{status}, 401, 'listAgents() without a token: 401');
is($res->{agentDetails}{status}, 401, 'details() without a token: 401');
for my $path (@ROUTES) {
    is(($res->{routes}{$path} || {})->{status}, 401, "custom route $path without a token: 401");
}

# a token the per-agent rule refuses
$res = client(mint($S, claims(permissions => [ 'agent:other' ])));
ok($res->{listAgents}{ok}, 'another user may list the agents');
is($res->{agentDetails}{status}, 403, 'but not read echo-agent: 403');
is_deeply($res->{agentDetails}{body}, { error => 'Access denied' }, 'nginx\'s 403 body');

###############################################################################
# Public routes: nginx lets them through and still forwards a valid user.

my $r = $t->request(uri => '/api', headers => [ Authorization => "Bearer $good" ]);
isnt($r->status, 401, 'GET /api (public) with a token is not refused');
is($t->get('/api/auth/x')->header('www-authenticate'), undef,
    'a public route without a token: nginx refuses nothing');

###############################################################################
# ?apiKey=: verified by nginx, not passed on to Mastra.

$r = $t->get("/custom/report?apiKey=$good&x=1");
is($r->status, 200, '?apiKey= on a custom route: 200');
my $echo = eval { JSON::PP->new->decode($r->body) } || {};
is($echo->{user}{sub}, 'ada', 'Mastra sees the user');
is($echo->{path}, '/custom/report', 'the path as sent');
is($echo->{query}, '?x=1', 'the other arguments reach Mastra, the token does not');

my $access = $t->read_file("$dir/logs/access.log");
like($access, qr{"GET /custom/report" 200 auth=ok error= user="ada"},
    'the example\'s access log line');

$t->finish;

unlike($t->read_file("$dir/logs/error.log"), qr/\Q$good\E/, 'no token in the error log');
unlike($m->log_text, qr/Unhandled|TypeError|ReferenceError/, 'Mastra logged no crash');

done_testing;
