#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_mode observe, CORS preflight
# (mastra_auth_preflight) and mastra_auth_dev_playground (docs/directives.md,
# docs/answers.md; t/catalogue.t's row P10).

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

        location /obs/ {
            mastra_auth_mode observe;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /enf/ {
            mastra_auth_mode enforce;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /pre/ {
            %%AUTH_PROXY%%
        }

        location /prepass/ {
            mastra_auth_preflight pass;
            %%AUTH_PROXY%%
        }

        location /preauth/ {
            mastra_auth_preflight authenticate;
            %%AUTH_PROXY%%
        }

        location /play/ {
            mastra_auth_dev_playground on;
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /noplay/ {
            mastra_auth_dev_playground off;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $now = time;
my $admin = mint($S, claims(role => 'admin'));
my $user = mint($S, claims(role => 'user'));
my $expired = mint($S, claims(role => 'admin', exp => $now - 10));
my $forged = mint(random_secret(32), claims(role => 'admin'));

sub check {
    my ($method, $uri, $expect, $name, @headers) = @_;
    my $fields = my @f = split / /, $expect;
    my $r = $t->request(method => $method, uri => $uri, headers => \@headers);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome($fields), $expect, $name);
    return $r;
}

sub bearer { return (Authorization => "Bearer $_[0]") }

###############################################################################
# observe: nothing refused, the variables tell

my $r = check(GET => '/obs/x', '200 missing token_missing', 'observe: no token');
is($r->echo->{backend}, 'echo', 'observe: the backend answered');
is($r->echo->{status}, 'missing', 'observe: status forwarded');
check(GET => '/obs/x', '200 invalid bad_signature', 'observe: bad signature',
    bearer($forged));
check(GET => '/obs/x', '200 invalid token_malformed', 'observe: malformed',
    bearer('x.y'));
check(GET => '/obs/x', '200 expired token_expired', 'observe: expired',
    bearer($expired));
$r = check(GET => '/obs/x', '200 forbidden claim_failed', 'observe: claim fails',
    bearer($user));
is($r->echo->{user}, 'user-1', 'observe: user of a verified token forwarded');
$r = check(GET => '/obs/x', '200 ok -', 'observe: valid', bearer($admin));
is($r->echo->{user}, 'user-1', 'observe: valid, user forwarded');
check(GET => '/obs/a%2Fb', '200 invalid bad_path', 'observe: bad path not refused');
check(GET => '/obs/a\\b', '200 invalid bad_path',
    'observe: backslash not refused');
check(HEAD => '/obs/x', '200 missing token_missing', 'observe: HEAD');
check(POST => '/obs/x', '200 missing token_missing', 'observe: POST');

ok(scalar($t->grep_log(qr/\[info\].*mastra_auth.*token_expired/)),
    'observe: the refusal it would have made is logged at info');

check(GET => '/enf/x', '401 missing token_missing', 'enforce: no token');
check(GET => '/enf/x', '403 forbidden claim_failed', 'enforce: claim fails',
    bearer($user));
check(GET => '/enf/x', '200 ok', 'enforce: valid', bearer($admin));

###############################################################################
# CORS preflight

my @PRE = (Origin => 'https://app.example', 'Access-Control-Request-Method' => 'POST');

for my $loc ('/pre/', '/prepass/') {
    my $what = $loc eq '/pre/' ? 'default' : 'pass';
    $r = check(OPTIONS => "${loc}x", '200 public', "preflight $what: passes", @PRE);
    is($r->echo->{method}, 'OPTIONS', "preflight $what: reached the backend");
    check(OPTIONS => "${loc}x", '200 public',
        "preflight $what: passes with a bad token", @PRE, bearer($forged));
    check(OPTIONS => "${loc}x", '200 public',
        "preflight $what: header names in lower case",
        origin => 'https://app.example', 'access-control-request-method' => 'GET');
    check(OPTIONS => "${loc}x", '401 missing',
        "preflight $what: OPTIONS with Origin only",
        Origin => 'https://app.example');
    check(OPTIONS => "${loc}x", '401 missing',
        "preflight $what: OPTIONS with Access-Control-Request-Method only",
        'Access-Control-Request-Method' => 'POST');
    check(OPTIONS => "${loc}x", '401 missing', "preflight $what: bare OPTIONS");
    check(GET => "${loc}x", '401 missing',
        "preflight $what: GET with preflight headers", @PRE);
    check(POST => "${loc}x", '401 missing',
        "preflight $what: POST with preflight headers", @PRE);
    check(OPTIONS => "${loc}a%2Fb", '400 invalid bad_path',
        "preflight $what: the path check comes first", @PRE);
}

check(OPTIONS => '/preauth/x', '401 missing token_missing',
    'preflight authenticate: needs a token', @PRE);
check(OPTIONS => '/preauth/x', '200 ok', 'preflight authenticate: with a token',
    @PRE, bearer($admin));

###############################################################################
# dev playground

my @PLAY = ('x-mastra-dev-playground' => 'true');

check(GET => '/play/x', '200 public', 'playground: header true passes', @PLAY);
check(POST => '/play/x', '200 public', 'playground: POST too', @PLAY);
check(GET => '/play/x', '200 public', 'playground: header name in any case',
    'X-Mastra-Dev-Playground' => 'true');
check(GET => '/play/x', '200 public', 'playground: before the token',
    @PLAY, bearer($forged));
check(GET => '/play/x', '200 public', 'playground: before the claims',
    @PLAY, bearer($user));
check(GET => '/play/x', '401 missing', 'playground: no header', ());
check(GET => '/play/x', '401 missing', 'playground: header false',
    'x-mastra-dev-playground' => 'false');
check(GET => '/play/x', '401 missing', 'playground: header 1',
    'x-mastra-dev-playground' => '1');
check(GET => '/play/x', '401 missing', 'playground: header yes',
    'x-mastra-dev-playground' => 'yes');
check(GET => '/play/x', '401 missing', 'playground: header truex',
    'x-mastra-dev-playground' => 'truex');
check(GET => '/play/x', '403 forbidden', 'playground: token path unchanged',
    bearer($user));
check(GET => '/play/a%2Fb', '400 invalid bad_path',
    'playground: the path check comes first', @PLAY);
check(GET => '/noplay/x', '401 missing', 'playground off: header ignored', @PLAY);
check(GET => '/pre/x', '401 missing', 'playground default off', @PLAY);

# configuration-time messages go where nginx's are: stderr of the start
ok(scalar($t->grep_log(qr/\[warn\].*mastra_auth_dev_playground/, 'start.stderr')),
    'playground on: a [warn] at start');

{
    my $conf = <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    server {
        listen 127.0.0.1:%%PORT_1%%;
        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        location / {
            mastra_auth_dev_playground %%PLAY%%;
        }
    }
}
EOF
    my ($rc, $err) = $t->test_config($conf =~ s/%%PLAY%%/off/r);
    is($rc, 0, 'playground off: nginx -t passes');
    unlike($err, qr/\[warn\].*playground/, 'playground off: no warn');
    ($rc, $err) = $t->test_config($conf =~ s/%%PLAY%%/on/r);
    is($rc, 0, 'playground on: nginx -t passes');
    like($err, qr/\[warn\].*mastra_auth_dev_playground/, 'playground on: warn');
}

$t->finish;

done_testing;
