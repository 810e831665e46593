#!/usr/bin/perl

# nginx-mastra-auth: authorization after authentication
# (docs/routes-and-rules.md): mastra_auth_claim checks (Mastra's authorizeUser)
# and mastra_auth_rule (Mastra's rules, an allow-list); t/catalogue.t's rows
# C8, P5-P7.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my $t = Mastra::Nginx->new;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /verified/ {
            mastra_auth_claim user.emailVerified = true;
            %%AUTH_PROXY%%
        }

        location /email/ {
            mastra_auth_claim email ~ "\@example\\.com\\z";
            %%AUTH_PROXY%%
        }

        location /notemail/ {
            mastra_auth_claim email !~ "\@evil\\.com\\z";
            %%AUTH_PROXY%%
        }

        location /eq/ {
            mastra_auth_claim tier != free;
            mastra_auth_claim level = 3;
            %%AUTH_PROXY%%
        }

        location /has/ {
            mastra_auth_claim roles has admin;
            mastra_auth_claim roles !has banned;
            %%AUTH_PROXY%%
        }

        location /quoted/ {
            mastra_auth_claim '"https://example.com/roles"' has editor;
            %%AUTH_PROXY%%
        }

        location /nested/ {
            mastra_auth_claim org.team.id = blue;
            %%AUTH_PROXY%%
        }

        location /var/ {
            mastra_auth_claim tenant = \$http_x_tenant;
            %%AUTH_PROXY%%
        }

        location /varre/ {
            mastra_auth_claim email ~ "\@acme\.io\$";
            %%AUTH_PROXY%%
        }

        location /varnre/ {
            mastra_auth_claim email !~ "\$http_x_re";
            %%AUTH_PROXY%%
        }

        location /expclaim/ {
            mastra_auth_claim exp ~ "^[0-9]+\\z";
            mastra_auth_claim nbf !has 0;
            %%AUTH_PROXY%%
        }

        location /api/ {
            mastra_auth_public /api/health;
            mastra_auth_rule /api/agents GET allow;
            mastra_auth_rule /api/agents/:agentId GET allow;
            mastra_auth_rule /api/agents/:agentId/generate POST permissions has "agent:\$mastra_auth_param_agentId";
            mastra_auth_rule /api/tools GET,POST allow;
            mastra_auth_rule /api/admin/* * role = admin;
            mastra_auth_rule /api/reports/* GET role = analyst;
            mastra_auth_rule /api/reports/* GET role = admin;
            %%AUTH_PROXY%%
        }

        location /rulesclaims/ {
            mastra_auth_claim active = true;
            mastra_auth_rule /rulesclaims/* * allow;
            %%AUTH_PROXY%%
        }

        location /slashes/ {
            mastra_auth_encoded_slashes allow;
            mastra_auth_rule /slashes/agents/:agentId/generate POST permissions has "agent:\$mastra_auth_param_agentId";
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_rule /s/* GET allow;
        mastra_auth_claim role = admin;

        location /s/ {
            %%AUTH_PROXY%%
        }

        location /own/ {
            mastra_auth_rule /own/* GET role = user;
            mastra_auth_claim sub = user-1;
            %%AUTH_PROXY%%
        }
    }
}
EOF

sub tok { return mint($S, claims(@_)) }

sub check {
    my ($method, $uri, $token, $expect, $name, @headers) = @_;
    my $fields = my @f = split / /, $expect;
    my $r = $t->request(method => $method, uri => $uri,
        headers => [ ($token ? (Authorization => "Bearer $token") : ()),
            @headers ]);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome($fields), $expect, $name);
    return $r;
}

my $OK = '200 ok -';
my $DENY = '403 forbidden claim_failed';
my $RULE = '403 forbidden rule_denied';

###############################################################################
# claims

# C8: Mastra's "email verified" authorizeUser
check(GET => '/verified/', tok(user => { emailVerified => JSON::PP::true }),
    $OK, 'C8 user.emailVerified = true');
my $r = check(GET => '/verified/', tok(user => { emailVerified => JSON::PP::false }),
    $DENY, 'C8 user.emailVerified false');
is($r->body, '{"error":"Access denied"}', 'C8 403 body');
check(GET => '/verified/', tok(), $DENY, 'C8 user absent');
check(GET => '/verified/', tok(user => {}), $DENY, 'C8 user.emailVerified absent');
check(GET => '/verified/', tok(user => 'x'), $DENY, 'C8 user not an object');
check(GET => '/verified/', tok(emailVerified => JSON::PP::true), $DENY,
    'C8 top-level emailVerified is not user.emailVerified');
check(GET => '/verified/', tok('user.emailVerified' => JSON::PP::true), $DENY,
    'C8 a dotted name is a path, not a name');
check(GET => '/verified/', undef, '401 missing token_missing',
    'claims come after authentication');

# regex
check(GET => '/email/', tok(email => 'a@example.com'), $OK, '~ matches');
check(GET => '/email/', tok(email => 'a@example.org'), $DENY, '~ no match');
check(GET => '/email/', tok(email => 'a@example.com.evil.org'), $DENY,
    '~ anchored');
check(GET => '/email/', tok(email => 'a@exampleXcom'), $DENY,
    '~ escaped dot');
check(GET => '/email/', tok(), $DENY, '~ absent claim fails');
check(GET => '/notemail/', tok(email => 'a@example.com'), $OK, '!~ no match');
check(GET => '/notemail/', tok(email => 'a@evil.com'), $DENY, '!~ match');
check(GET => '/notemail/', tok(), $OK, '!~ absent claim passes');

# = and !=, numbers as JSON text
check(GET => '/eq/', tok(tier => 'pro', level => 3), $OK, '!= and = hold');
check(GET => '/eq/', tok(tier => 'free', level => 3), $DENY, '!= fails');
check(GET => '/eq/', tok(level => 3), $OK, '!= absent claim passes');
check(GET => '/eq/', tok(tier => 'pro', level => 4), $DENY, '= fails');
check(GET => '/eq/', tok(tier => 'pro'), $DENY, '= absent claim fails');
check(GET => '/eq/', tok(tier => 'pro', level => 3.5), $DENY, '= 3.5 is not 3');
check(GET => '/eq/', tok(tier => 'pro', level => 'x3'), $DENY, '= x3 is not 3');

# has and !has
check(GET => '/has/', tok(roles => [qw(user admin)]), $OK, 'has in an array');
check(GET => '/has/', tok(roles => 'admin'), $OK, 'has on a string equal');
check(GET => '/has/', tok(roles => [qw(user)]), $DENY, 'has: not in the array');
check(GET => '/has/', tok(roles => 'administrator'), $DENY,
    'has on a string: equality, not substring');
check(GET => '/has/', tok(roles => ['user,admin']), $DENY,
    'has: elements are not split on commas');
check(GET => '/has/', tok(roles => 'user,admin'), $DENY,
    'has on a string: not split on commas');
check(GET => '/has/', tok(), $DENY, 'has: absent claim fails');
check(GET => '/has/', tok(roles => [qw(admin banned)]), $DENY,
    '!has: element present');

# quoted whole names
check(GET => '/quoted/', tok('https://example.com/roles' => ['editor']), $OK,
    'quoted name taken whole');
check(GET => '/quoted/', tok('https://example.com/roles' => ['viewer']), $DENY,
    'quoted name, value missing');
check(GET => '/quoted/',
    tok('https://example' => { 'com/roles' => ['editor'] }), $DENY,
    'quoted name is not split on dots');

# nested paths
check(GET => '/nested/', tok(org => { team => { id => 'blue' } }), $OK,
    'org.team.id');
check(GET => '/nested/', tok(org => { team => { id => 'red' } }), $DENY,
    'org.team.id differs');
check(GET => '/nested/', tok(org => { team => [ { id => 'blue' } ] }), $DENY,
    'org.team is an array, not an object');

# values with variables
check(GET => '/var/', tok(tenant => 'acme'), $OK, '= $http_x_tenant',
    'X-Tenant' => 'acme');
check(GET => '/var/', tok(tenant => 'acme'), $DENY, '= $http_x_tenant differs',
    'X-Tenant' => 'other');
check(GET => '/var/', tok(tenant => 'acme'), $DENY,
    '= $http_x_tenant empty');
check(GET => '/var/', tok(), $DENY, '= $http_x_tenant empty, claim absent');
# a regex is taken literally, as everywhere in nginx: "$" anchors, it names
# no variable
check(GET => '/varre/', tok(email => 'a@acme.io'), $OK,
    '~ with a literal "$" anchor');
check(GET => '/varre/', tok(email => 'a@acme.io.evil'), $DENY,
    '~ with a literal "$" anchor, suffix refused');

check(GET => '/varnre/', tok(email => 'a@ok.io'), $OK,
    '!~ "$http_x_re" is a literal regex, not a variable', 'X-Re' => 'ok');
check(GET => '/varnre/', tok(email => 'a$http_x_re'), $OK,
    '!~ "$http_x_re": "$" anchors, so the literal text does not match');

# a check that names exp or nbf does not replace their validation
check(GET => '/expclaim/', tok(), $OK, 'claim on exp: valid token');
check(GET => '/expclaim/', tok(exp => time - 10), '401 expired token_expired',
    'claim on exp: an expired token is still refused');
check(GET => '/expclaim/', tok(nbf => time + 600), '401 invalid token_not_yet_valid',
    'claim on nbf: a future nbf is still refused');

###############################################################################
# rules: an allow-list

my $user = tok(permissions => ['agent:mine'], role => 'user');
my $admin = tok(role => 'admin');

check(GET => '/api/health', undef, '200 public', 'public route skips rules');
check(GET => '/api/agents', undef, '401 missing token_missing',
    'rules come after authentication');
check(GET => '/api/agents', $user, $OK, 'GET /api/agents allowed');
check(POST => '/api/agents', $user, $RULE, 'POST /api/agents: no rule');
check(GET => '/api/agents/x', $user, $OK, 'GET /api/agents/:agentId allowed');
check(DELETE => '/api/agents/x', $user, $RULE, 'DELETE /api/agents/x: no rule');
$r = check(POST => '/api/agents/mine/generate', $user, $OK,
    'per-agent rule: own agent');
check(POST => '/api/agents/victim/generate', $user, $RULE,
    'per-agent rule: other agent');
check(POST => '/api/agents/mine/generate', $admin, $RULE,
    'per-agent rule: no permissions claim');
check(GET => '/api/agents/mine/generate', $user, $RULE,
    'per-agent rule: method not listed');
check(POST => '/api/agents/min/generate', $user, $RULE,
    'per-agent rule: prefix of the permitted agent');
check(POST => '/api/agents/mine/generate',
    tok(permissions => ['agent:mine/x', 'agent:min']), $RULE,
    'per-agent rule: near misses in permissions');

check(GET => '/api/tools', $user, $OK, 'GET,POST: GET');
check(POST => '/api/tools', $user, $OK, 'GET,POST: POST');
check(PUT => '/api/tools', $user, $RULE, 'GET,POST: PUT');
check(GET => '/api/admin/stats', $admin, $OK, 'role = admin, *');
check(DELETE => '/api/admin/stats', $admin, $OK, 'role = admin, any method');
check(GET => '/api/admin/stats', $user, $RULE, 'role = user on admin route');
check(GET => '/api/reports/q1', tok(role => 'analyst'), $OK,
    'two rules: the first allows');
check(GET => '/api/reports/q1', $admin, $OK, 'two rules: the second allows');
check(GET => '/api/reports/q1', $user, $RULE, 'two rules: none allows');
check(GET => '/api/unknown', $admin, $RULE, 'no rule matches the path: 403');
check(GET => '/api/agents/x/y', $admin, $RULE, 'no rule matches: deeper path');

# P5: the Node/nginx differential must not lift a rule
check(POST => '/api/agents/mine/..\\victim/generate', $user,
    '400 invalid bad_path', 'P5 raw backslash: 400');
check(POST => '/api/agents/mine/..%5Cvictim/generate', $user,
    '400 invalid bad_path', 'P5 %5C: 400');
check(POST => '/api/agents/mine/../victim/generate', $user, $RULE,
    'P5 resolved dot-dot: victim checked');

# P6: %2F in a parameter
check(POST => '/api/agents/mine%2Fx/generate', $user, '400 invalid bad_path',
    'P6 %2F refused');
check(POST => '/slashes/agents/a%2Fb/generate', tok(permissions => ['agent:a/b']),
    $RULE, 'P6 %2F allowed: 5 segments, no rule matches, 403');
check(POST => '/slashes/agents/mine/generate', $user, $OK,
    'P6 control: the rule allows its own agent');

# P7: percent-encoded letters decide alike
$user = tok(permissions => ['agent:agent1']);
check(POST => '/api/agents/agent1/generate', $user, $OK, 'P7 agent1');
check(POST => '/api/agents/%61gent1/generate', $user, $OK, 'P7 %61gent1');
check(POST => '/api/agents/%61gent2/generate', $user, $RULE, 'P7 %61gent2');

# claims first, then rules
check(GET => '/rulesclaims/x', tok(active => JSON::PP::true), $OK,
    'claim holds, rule allows');
check(GET => '/rulesclaims/x', tok(active => JSON::PP::false), $DENY,
    'claim fails before an allowing rule');

# inheritance: a lower-level list replaces the inherited one
$r = $t->request(uri => '/s/x', port => 2,
    headers => [ Authorization => 'Bearer ' . tok(role => 'admin') ]);
is($r->outcome, $OK, 'inherited rule and claim hold');
$r = $t->request(uri => '/s/x', port => 2,
    headers => [ Authorization => 'Bearer ' . tok(role => 'user') ]);
is($r->outcome, $DENY, 'inherited claim applies');
$r = $t->request(uri => '/s/x', port => 2, method => 'POST',
    headers => [ Authorization => 'Bearer ' . tok(role => 'admin') ]);
is($r->outcome, $RULE, 'inherited rule applies');
$r = $t->request(uri => '/own/x', port => 2,
    headers => [ Authorization => 'Bearer ' . tok(role => 'user') ]);
is($r->outcome, $OK, 'location rules and claims replace the inherited ones');
$r = $t->request(uri => '/own/x', port => 2,
    headers => [ Authorization => 'Bearer ' . tok(role => 'admin') ]);
is($r->outcome, $RULE, 'the location rule decides, not the inherited one');
$r = $t->request(uri => '/own/x', port => 2,
    headers => [ Authorization => 'Bearer ' . tok(role => 'user', sub => 'x') ]);
is($r->outcome, $DENY, 'the location claim decides');

# the example of docs/routes-and-rules.md loads as written: "$" ends the regex
my $spec_example = <<'EOF';
%%TEST_GLOBALS%%
events {
}
http {
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret %%SECRET%%;
            mastra_auth_claim email ~ "@example\.com$";
        }
    }
}
EOF

$t->config_ok($spec_example =~ s/%%SECRET%%/$S/r,
    'documented example: mastra_auth_claim email ~ "@example\.com$"');

$t->finish;

done_testing;
