#!/usr/bin/perl

# nginx-mastra-auth: the $mastra_auth_* variables (docs/variables.md), read by
# proxy_set_header (forwarded to an echo backend), map and log_format.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my @VARS = (
    [ status   => '$mastra_auth_status' ],
    [ user     => '$mastra_auth_user' ],
    [ email    => '$mastra_auth_email' ],
    [ provider => '$mastra_auth_provider' ],
    [ source   => '$mastra_auth_token_source' ],
    [ error    => '$mastra_auth_error' ],
    [ payload  => '$mastra_auth_payload' ],
    [ c_role   => '$mastra_auth_claim_role' ],
    [ c_num    => '$mastra_auth_claim_num' ],
    [ c_float  => '$mastra_auth_claim_float' ],
    [ c_true   => '$mastra_auth_claim_yes' ],
    [ c_false  => '$mastra_auth_claim_no' ],
    [ c_null   => '$mastra_auth_claim_nothing' ],
    [ c_arr    => '$mastra_auth_claim_arr' ],
    [ c_commas => '$mastra_auth_claim_commas' ],
    [ c_mixed  => '$mastra_auth_claim_mixed' ],
    [ c_obj    => '$mastra_auth_claim_obj' ],
    [ c_absent => '$mastra_auth_claim_absent' ],
    [ c_camel  => '$mastra_auth_claim_emailverified' ],
    [ c_foo    => '$mastra_auth_claim_foo' ],
    [ c_bar    => '$mastra_auth_claim_bar' ],
    [ c_big    => '$mastra_auth_claim_big' ],
    [ c_utf    => '$mastra_auth_claim_utf' ],
    [ c_quote  => '$mastra_auth_claim_quote' ],
    [ c_sub    => '$mastra_auth_claim_sub' ],
    [ c_nested => '$mastra_auth_claim_user' ],
    [ p_item   => '$mastra_auth_param_itemId' ],
    [ p_agent  => '$mastra_auth_param_agentid' ],
    [ p_rid    => '$mastra_auth_param_rid' ],
    [ mapped   => '$role_class' ],
);

# header names with "-" (nginx ignores names with "_"), read back as $http_x_v_*
my $FWD = join "\n",
    (map { (my $h = $_->[0]) =~ tr/_/-/; "            proxy_set_header X-V-$h $_->[1];" } @VARS),
    '            proxy_pass http://127.0.0.1:%%PORT_3%%;';
my $ECHO = join '', (map { "$_->[0]=\$http_x_v_$_->[0]\n" } @VARS),
    "injected=\$http_x_injected\n";
$ECHO =~ s/"/\\"/g;

my $t = Mastra::Nginx->new;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    map \$mastra_auth_claim_role \$role_class {
        admin    staff;
        default  guest;
    }

    log_format vars '\$request_uri status=\$mastra_auth_status '
                    'error=\$mastra_auth_error user=\$mastra_auth_user '
                    'source=\$mastra_auth_token_source';

    server {
        listen 127.0.0.1:%%PORT_3%%;
        large_client_header_buffers 4 64k;

        location / {
            return 200 "$ECHO";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        access_log %%TESTDIR%%/vars.log vars;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /api/ {
            mastra_auth_token_source header query=apiKey cookie=c;
            mastra_auth_public /api/items/:itemId;
            mastra_auth_protected /api/agents/:agentId/run;
$FWD
        }

        location /rules/ {
            mastra_auth_rule /rules/:rid GET allow;
$FWD
        }

        location /enforce/ {
            mastra_auth_claim role = admin;
$FWD
        }

        location /obs/ {
            mastra_auth_mode observe;
            mastra_auth_claim role = admin;
$FWD
        }

        location /obsiss/ {
            mastra_auth_mode observe;
            mastra_auth_issuer https://good.example/;
            mastra_auth_audience mastra;
$FWD
        }

        location /obsrule/ {
            mastra_auth_mode observe;
            mastra_auth_rule /obsrule/:rid POST allow;
$FWD
        }

        location /off/ {
            mastra_auth_provider off;
$FWD
        }
    }
}
EOF

my $now = time;

my %claims = (
    sub     => 'user-42',
    email   => 'u42@example.com',
    role    => 'admin',
    num     => 42,
    float   => 1.5,
    yes     => JSON::PP::true,
    no      => JSON::PP::false,
    nothing => undef,
    arr     => [ 'a', 'b' ],
    commas  => [ 'a,b', 'c' ],
    mixed   => [ 1, 'a' ],
    obj     => { k => 'v', n => 1 },
    emailVerified => JSON::PP::true,
    Foo     => 'upper',
    foo     => 'lower',
    Bar     => 'B',
    big     => 12345678901,
    utf     => "h\x{e9}llo",
    quote   => 'a"b',
    user    => { id => 'u', emailVerified => JSON::PP::false },
    iat     => $now,
    exp     => $now + 3600,
);

# claims() would drop the undef "nothing": build the payload by hand
my $token = sign($S, b64u('{"alg":"HS256","typ":"JWT"}') . '.'
    . b64u(JSON::PP->new->canonical->utf8->encode(\%claims)));

sub vars {
    my ($uri, @headers) = @_;
    my $r = $t->get($uri, @headers);
    return wantarray ? ($r->echo, $r) : $r->echo;
}

my ($v, $r) = vars('/api/x', Authorization => "Bearer $token");
is($r->status, 200, 'valid token passes');
is($v->{status}, 'ok', '$mastra_auth_status ok');
is($v->{user}, 'user-42', '$mastra_auth_user is sub');
is($v->{email}, 'u42@example.com', '$mastra_auth_email');
is($v->{provider}, 'jwt', '$mastra_auth_provider');
is($v->{source}, 'header', '$mastra_auth_token_source header');
is($v->{error}, '', '$mastra_auth_error empty when ok');
is($v->{c_role}, 'admin', 'claim: string as is');
is($v->{c_num}, '42', 'claim: integer as JSON text');
is($v->{c_float}, '1.5', 'claim: float as JSON text');
is($v->{c_true}, 'true', 'claim: true');
is($v->{c_false}, 'false', 'claim: false');
is($v->{c_null}, 'null', 'claim: null as JSON text');
is($v->{c_arr}, 'a,b', 'claim: array of strings joined with ","');
is($v->{c_commas}, 'a,b,c', 'claim: array of strings holding commas');
is($v->{c_mixed}, '[1,"a"]', 'claim: mixed array as compact JSON');
is($v->{c_obj}, '{"k":"v","n":1}', 'claim: object as compact JSON');
is($v->{c_absent}, '', 'claim: absent is empty');
is($v->{c_camel}, 'true', 'claim: emailVerified read as emailverified');
is($v->{c_foo}, 'lower', 'claim: exact name first (foo, not Foo)');
is($v->{c_bar}, 'B', 'claim: then any case (Bar)');
is($v->{c_big}, '12345678901', 'claim: large integer');
is($v->{c_utf}, "h\xc3\xa9llo", 'claim: UTF-8 string as is');
is($v->{c_quote}, 'a"b', 'claim: string with a quote as is');
is($v->{c_sub}, 'user-42', 'claim: sub');
is($v->{c_nested}, '{"emailVerified":false,"id":"u"}',
    'claim: nested object as compact JSON');
is($v->{p_item}, '', 'no route parameter');
is($v->{mapped}, 'staff', 'claim usable in map');

{
    my $payload = eval { JSON::PP->new->utf8->decode($v->{payload}) };
    ok($payload, '$mastra_auth_payload is JSON') or diag($v->{payload});
    is_deeply($payload, JSON::PP->new->utf8->decode(
            JSON::PP->new->canonical->utf8->encode(\%claims)),
        '$mastra_auth_payload holds the verified claims');
    unlike($v->{payload}, qr/[\n\r\t]|[,:] /, '$mastra_auth_payload is compact');
}

# sources
$v = vars("/api/x?apiKey=$token");
is("$v->{status} $v->{source} $v->{user}", 'ok query user-42', 'source query');
$v = vars('/api/x', Cookie => "c=$token");
is("$v->{status} $v->{source} $v->{user}", 'ok cookie user-42', 'source cookie');

# parameters
$v = vars('/api/items/42');
is("$v->{status} $v->{p_item}", 'public 42', 'public route: $mastra_auth_param_itemId');
is("$v->{user}$v->{source}$v->{error}", '', 'public route: no identity');
$v = vars('/api/agents/agent-7/run', Authorization => "Bearer $token");
is("$v->{status} $v->{p_agent}", 'ok agent-7',
    'protected route: $mastra_auth_param_agentId');
$v = vars('/api/agents/%61gent-8/run', Authorization => "Bearer $token");
is($v->{p_agent}, 'agent-8', 'parameter from the decoded $uri');
$v = vars('/rules/r-9', Authorization => "Bearer $token");
is("$v->{status} $v->{p_rid}", 'ok r-9', 'the deciding rule: $mastra_auth_param_rid');

# provider off
$v = vars('/off/x', Authorization => "Bearer $token");
is("$v->{status}|$v->{user}|$v->{error}", 'off||', 'provider off: status off');

# every refusal code, seen through observe mode
my $bad_sig = mint(random_secret(32), claims(sub => 'mallory'));

for my $case (
    [ '/obs/x', [], 'missing token_missing', 'no token' ],
    [ '/obs/x', [ Authorization => 'Bearer a.b' ], 'invalid token_malformed',
        'malformed' ],
    [ '/obs/x', [ Authorization => "Bearer $bad_sig" ], 'invalid bad_signature',
        'bad signature' ],
    [ '/obs/x', [ Authorization => 'Bearer ' . mint($S, claims(exp => $now - 5)) ],
        'expired token_expired', 'expired' ],
    [ '/obs/x', [ Authorization => 'Bearer ' . mint($S, claims(nbf => $now + 300)) ],
        'invalid token_not_yet_valid', 'not yet valid' ],
    [ '/obs/x', [ Authorization => 'Bearer ' . mint($S, claims(), alg => 'HS384') ],
        'invalid algorithm_not_allowed', 'algorithm' ],
    [ '/obsiss/x', [ Authorization => 'Bearer '
                . mint($S, claims(iss => 'https://evil.example/', aud => 'mastra')) ],
        'invalid issuer_mismatch', 'issuer' ],
    [ '/obsiss/x', [ Authorization => 'Bearer '
                . mint($S, claims(iss => 'https://good.example/', aud => 'other')) ],
        'invalid audience_mismatch', 'audience' ],
    [ '/obs/x', [ Authorization => 'Bearer ' . mint($S, claims(role => 'user')) ],
        'forbidden claim_failed', 'claim' ],
    [ '/obsrule/r1', [ Authorization => 'Bearer ' . mint($S, claims()) ],
        'forbidden rule_denied', 'rule' ],
    [ '/obs/a%2Fb', [ Authorization => "Bearer $token" ], 'invalid bad_path',
        'bad path' ],
    [ '/obs/x', [ Authorization => "Bearer $token" ], 'ok ', 'ok' ],
    )
{
    my ($uri, $h, $expect, $name) = @$case;
    ($v, $r) = vars($uri, @$h);
    is("$r->{status} $v->{status} $v->{error}", "200 $expect",
        "observe: $name: \$mastra_auth_status \$mastra_auth_error");
}

$v = vars('/obs/x', Authorization => "Bearer $bad_sig");
is("$v->{user}|$v->{email}|$v->{payload}|$v->{c_sub}", '|||',
    'identity variables empty unless the token verified');
$v = vars('/obs/x', Authorization => 'Bearer ' . mint($S, claims(role => 'user')));
is("$v->{status} $v->{user} $v->{c_role}", 'forbidden user-1 user',
    'observe, claim failed: identity set (the token verified)');

# claim text with CR/LF must not become headers of the upstream request
for my $case ([ sub => "u\r\nX-Injected: sub" ], [ email => "a\@b.c\r\nX-Injected: email" ],
    [ role => "admin\nX-Injected: role" ], [ email => "a\@b.c\rX-Injected: cr" ])
{
    my ($claim, $value) = @$case;
    ($v, $r) = vars('/api/x',
        Authorization => 'Bearer ' . mint($S, claims($claim => $value)));
    ok($r->status != 200 || $v->{injected} eq '',
        "a newline in claim $claim does not inject an upstream header")
        or diag("upstream saw X-Injected: $v->{injected}");
}

# log_format sees the variables of refused requests too
vars('/enforce/one');
vars('/enforce/two', Authorization => "Bearer $bad_sig");
vars('/enforce/three', Authorization => 'Bearer ' . mint($S, claims(role => 'user')));
vars('/enforce/four?apiKey=' . mint($S, claims(role => 'admin', sub => 'logme')));

my $log = $t->read_file('vars.log');
like($log, qr{^/enforce/one status=missing error=token_missing user= source=$}m,
    'log_format: missing');
like($log, qr{^/enforce/two status=invalid error=bad_signature user= source=header$}m,
    'log_format: bad signature');
like($log, qr{^/enforce/three status=forbidden error=claim_failed user=user-1 source=header$}m,
    'log_format: forbidden');
like($log, qr{^/enforce/four\?apiKey=\S+ status=ok error= user=logme source=query$}m,
    'log_format: ok');

$t->finish;

done_testing;
