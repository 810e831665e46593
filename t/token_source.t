#!/usr/bin/perl

# nginx-mastra-auth: where the token comes from (mastra_auth_token_source;
# t/catalogue.t's rows X1-X7): mastra_auth_token_source, default "header
# query=apiKey", first source holding a token wins, no fallback.

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

        location /default/ {
            %%AUTH_PROXY%%
        }

        location /header/ {
            mastra_auth_token_source header;
            %%AUTH_PROXY%%
        }

        location /cookie/ {
            mastra_auth_token_source cookie=session;
            %%AUTH_PROXY%%
        }

        location /order/ {
            mastra_auth_token_source query=token cookie=jwt header;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $good = mint($S, claims(sub => 'src-user'));
my $bad = mint(random_secret(32), claims());
my $now = time;

sub outcome {
    my ($uri, @headers) = @_;
    return $t->get($uri, @headers);
}

sub check {
    my ($r, $expect, $name) = @_;
    my $fields = my @f = split / /, $expect;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome($fields), $expect, $name);
    return $r;
}

sub pct { my ($s) = @_; $s =~ s/([^A-Za-z0-9])/sprintf '%%%02X', ord $1/ge; $s }

# X1
my $r = check(outcome('/default/'), '401 missing token_missing',
    'X1 no Authorization');

# X2: scheme in any case, one or more spaces
$r = check(outcome('/default/', Authorization => "Bearer $good"), '200 ok -',
    'X2 Bearer');
is($r->echo->{source}, 'header', 'X2 token source header');
is($r->echo->{user}, 'src-user', 'X2 user');
check(outcome('/default/', Authorization => "bearer $good"), '200 ok',
    'X2 bearer');
check(outcome('/default/', Authorization => "BEARER $good"), '200 ok',
    'X2 BEARER');
check(outcome('/default/', Authorization => "bEaReR $good"), '200 ok',
    'X2 bEaReR');
check(outcome('/default/', Authorization => "Bearer  $good"), '200 ok',
    'X2 two spaces');
check(outcome('/default/', Authorization => "Bearer     $good"), '200 ok',
    'X2 five spaces');

# X3: not a bearer credential: the next source, else missing
check(outcome('/default/', Authorization => "Bearer\t$good"),
    '401 missing token_missing', 'X3 Bearer TAB token');
check(outcome('/default/', Authorization => 'Basic dXNlcjpwYXNz'),
    '401 missing token_missing', 'X3 Basic');
check(outcome('/default/', Authorization => "Bearer$good"),
    '401 missing token_missing', 'X3 Bearerx');
check(outcome('/default/', Authorization => $good),
    '401 missing token_missing', 'X3 token without a scheme');
check(outcome('/default/', Authorization => "Token $good"),
    '401 missing token_missing', 'X3 other scheme');
check(outcome('/default/', Authorization => 'Bearer'),
    '401 missing token_missing', 'X3 scheme alone');
$r = check(outcome("/default/?apiKey=$good", Authorization => 'Basic dXNlcjpwYXNz'),
    '200 ok', 'X3 Basic header, token in ?apiKey=: the next source');
is($r->echo->{source}, 'query', 'X3 token source query');

# X4: nginx itself refuses a second Authorization header
$r = outcome('/default/', Authorization => "Bearer $good",
    Authorization => "Bearer $good");
is($r->status, 400, 'X4 two Authorization headers: 400 from nginx');
$r = outcome('/default/', Authorization => "Bearer $bad",
    Authorization => "Bearer $good");
is($r->status, 400, 'X4 two Authorization headers, first bad: 400');

# X5: the first source holding a token wins, no fallback
check(outcome("/default/?apiKey=$good", Authorization => "Bearer $bad"),
    '401 invalid bad_signature', 'X5 bad header token, good ?apiKey=');
check(outcome("/default/?apiKey=$bad", Authorization => "Bearer $good"),
    '200 ok', 'X5 good header token, bad ?apiKey=');
check(outcome("/default/?apiKey=garbage", Authorization => "Bearer $good"),
    '200 ok', 'X5 header first in the default order');

# X6: query lookup
$r = check(outcome("/default/?apiKey=$good"), '200 ok', '?apiKey= passes');
is($r->echo->{source}, 'query', '?apiKey=: token source query');
check(outcome("/default/?a=1&apiKey=$good&b=2"), '200 ok',
    '?apiKey= among other arguments');
check(outcome('/default/?apiKey='), '401 missing token_missing',
    'X6 ?apiKey= empty is absent');
check(outcome('/default/?apiKey'), '401 missing token_missing',
    'X6 ?apiKey without = is absent');
check(outcome("/default/?apiKey=$good&apiKey=$good"), '401 invalid',
    'X6 ?apiKey twice (same value)');
check(outcome("/default/?apiKey=a&apiKey=b"), '401 invalid',
    'X6 ?apiKey=a&apiKey=b');
check(outcome("/default/?apikey=$good"), '401 missing token_missing',
    'X6 ?apikey= (case) is absent');
check(outcome("/default/?APIKEY=$good"), '401 missing token_missing',
    'X6 ?APIKEY= is absent');
check(outcome("/default/?xapiKey=$good"), '401 missing token_missing',
    'X6 ?xapiKey= is another name');
check(outcome("/default/?apiKeyx=$good"), '401 missing token_missing',
    'X6 ?apiKeyx= is another name');
check(outcome("/default/?x=apiKey=$good"), '401 missing token_missing',
    'X6 apiKey= inside another value');

# X7: percent-decoded exactly once
check(outcome('/default/?apiKey=' . pct($good)), '200 ok',
    'X7 every byte percent-encoded');
(my $dots = $good) =~ s/\./%2E/g;
check(outcome("/default/?apiKey=$dots"), '200 ok', 'X7 h%2Ep%2Es');
(my $lower = $good) =~ s/\./%2e/g;
check(outcome("/default/?apiKey=$lower"), '200 ok', 'X7 h%2ep%2es');
(my $twice = $good) =~ s/\./%252E/g;
check(outcome("/default/?apiKey=$twice"), '401 invalid',
    'X7 double-encoded: decoded once only');
check(outcome("/default/?apiKey=$good%"), '401 invalid',
    'X7 a stray % is not a token character');
check(outcome("/default/?apiKey=${good}%00"), '401 invalid',
    'X7 %00 inside the value');
check(outcome('/default/?apiKey=%zz'), '401 invalid token_malformed',
    'X7 a bad escape is malformed, not absent');
check(outcome("/default/?apiKey=${good}%4"), '401 invalid',
    'X7 a cut escape at the end');
check(outcome("/default/?apiKey=$good", Cookie => 'apiKey=x'), '200 ok',
    'X7 a cookie of the same name is not the query');
check(outcome("/default/?api%4Bey=$good"), '401 missing token_missing',
    'X7 the name is not decoded');

# the header source alone ignores the query
check(outcome("/header/?apiKey=$good"), '401 missing token_missing',
    'header only: ?apiKey= ignored');
check(outcome('/header/', Authorization => "Bearer $good"), '200 ok',
    'header only: header');

# cookies
$r = check(outcome('/cookie/', Cookie => "session=$good"), '200 ok',
    'cookie=session');
is($r->echo->{source}, 'cookie', 'token source cookie');
check(outcome('/cookie/', Cookie => "a=1; session=$good; b=2"), '200 ok',
    'cookie among others');
check(outcome('/cookie/', Cookie => 'a=1', Cookie => "session=$good"),
    '200 ok', 'cookie in a second Cookie header');
check(outcome('/cookie/', Cookie => 'session=' . pct($good)), '200 ok',
    'cookie value percent-decoded');
check(outcome('/cookie/'), '401 missing token_missing', 'no cookie');
check(outcome('/cookie/', Cookie => 'session='), '401 missing token_missing',
    'empty cookie is absent');
check(outcome('/cookie/', Cookie => "xsession=$good"),
    '401 missing token_missing', 'cookie xsession is another name');
check(outcome('/cookie/', Cookie => "session=$bad; session=$good"),
    '401 invalid', 'cookie twice (first bad)');
check(outcome('/cookie/', Cookie => "session=$good", Cookie => "session=$good"),
    '401 invalid', 'cookie twice in two headers');
check(outcome('/cookie/', Authorization => "Bearer $good"),
    '401 missing token_missing', 'cookie only: header ignored');
check(outcome("/cookie/?apiKey=$good"), '401 missing token_missing',
    'cookie only: ?apiKey= ignored');

# configured order: query=token cookie=jwt header
$r = check(outcome("/order/?token=$good", Authorization => "Bearer $bad",
        Cookie => "jwt=$bad"), '200 ok', 'order: query first');
is($r->echo->{source}, 'query', 'order: source query');
check(outcome("/order/?token=$bad", Authorization => "Bearer $good"),
    '401 invalid bad_signature', 'order: bad query, good header: no fallback');
$r = check(outcome('/order/', Cookie => "jwt=$good", Authorization => "Bearer $bad"),
    '200 ok', 'order: cookie before header');
is($r->echo->{source}, 'cookie', 'order: source cookie');
check(outcome('/order/', Cookie => "jwt=$bad", Authorization => "Bearer $good"),
    '401 invalid bad_signature', 'order: bad cookie, good header: no fallback');
$r = check(outcome('/order/?token=', Authorization => "Bearer $good"),
    '200 ok', 'order: empty query value is absent, header used');
is($r->echo->{source}, 'header', 'order: source header');
check(outcome("/order/?apiKey=$good"), '401 missing token_missing',
    'order: apiKey is not configured here');

# query tokens must not reach the log through the module's refusal line
my $leak = mint(random_secret(32), claims(exp => $now - 100));
check(outcome("/default/?apiKey=$leak"), '401', 'expired query token refused');
my $sig = (split_token($leak))[2];
ok(!grep({ index($_, $sig) >= 0 } $t->grep_log(qr/mastra_auth/)),
    'the refusal line does not hold a query token');

$t->finish;

done_testing;
