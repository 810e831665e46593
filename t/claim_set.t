#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_claim_set $variable claim.path; binds a
# variable to a claim path (dots between levels, a name in double quotes
# taken whole), with the text rules of $mastra_auth_claim_NAME: strings as
# they are, numbers and booleans as JSON text, arrays of strings joined
# with ",", other values as compact JSON, empty when absent or when no
# token was verified; control bytes percent-encoded so that a claim cannot
# add a header upstream.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my @BIND = (
    [ verified => 'user.emailVerified' ],
    [ uid      => 'user.id' ],
    [ deep     => 'a.b.c' ],
    [ roles    => q('"https://example.com/roles"') ],
    [ dotted   => q('"a.b"') ],
    [ obj      => 'user.meta' ],
    [ num      => 'user.n' ],
    [ crlf     => 'user.name' ],
    [ absent   => 'user.nothing' ],
    [ through  => 'user.id.more' ],
    [ top      => 'sub' ],
);

my $BINDS = join "\n", map { "    mastra_auth_claim_set \$c_$_->[0] $_->[1];" } @BIND;
my $FWD = join "\n", map {
    (my $h = $_->[0]) =~ tr/_/-/;
    "            proxy_set_header X-C-$h \$c_$_->[0];"
} @BIND;
my $ECHO = join '', map { "$_->[0]=\$http_x_c_$_->[0]\\n" } @BIND;

my $t = Mastra::Nginx->new;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

$BINDS

    server {
        listen 127.0.0.1:%%PORT_9%%;
        location / {
            return 200 "$ECHO";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $S;
            mastra_auth_public /open;
            mastra_auth_claim_set \$c_in_location user.id;
            proxy_set_header X-In-Location \$c_in_location;
$FWD
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }
    }
}
EOF

my $token = mint($S, claims(
    sub => 'u-1',
    user => {
        id => 'u-1',
        emailVerified => JSON::PP::true,
        meta => { plan => 'pro', seats => 3 },
        n => 42,
        name => "Ada\r\nX-Injected: 1",
    },
    a => { b => { c => [ 'x', 'y' ] } },
    'https://example.com/roles' => [ 'admin', 'editor' ],
    'a.b' => 'dotted name',
));

my $e = $t->bearer('/x', $token)->echo;

is($e->{verified}, 'true', 'user.emailVerified: a boolean as JSON text');
is($e->{uid}, 'u-1', 'user.id: a string as it is');
is($e->{deep}, 'x,y', 'a.b.c: three levels, an array of strings joined');
is($e->{roles}, 'admin,editor', 'a quoted name with dots and slashes');
is($e->{dotted}, 'dotted name', '"a.b" is one claim, not a path');
is($e->{obj}, '{"plan":"pro","seats":3}', 'an object as compact JSON');
is($e->{num}, '42', 'a number as JSON text');
is($e->{crlf}, 'Ada%0D%0AX-Injected: 1', 'control bytes percent-encoded');
is($e->{absent}, '', 'an absent claim: empty');
is($e->{through}, '', 'a path through a string: empty');
is($e->{top}, 'u-1', 'a top-level claim');

my $r = $t->bearer('/x', $token);
unlike($r->raw, qr/^X-Injected/mi, 'no header was added');

# the binding made in a location is the same variable everywhere
$e = $t->bearer('/open', $token)->echo;
is($e->{uid}, 'u-1', 'a public route with a valid token: bound');

$e = $t->get('/open')->echo;
is(join('', map { $e->{$_->[0]} } @BIND), '', 'no token: every bound variable is empty');

$e = $t->bearer('/open', mint(random_secret(32), claims(user => { id => 'x' })))->echo;
is($e->{uid}, '', 'a token that failed: empty');

$t->finish;

###############################################################################
# Configuration errors name the directive and the value.

my $conf = sub {
    my ($line) = @_;
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
$line
    server {
        listen 127.0.0.1:%%PORT_1%%;
    }
}
EOF
};

$t->config_fails($conf->('    mastra_auth_claim_set $v a..b; #HERE'),
    qr/mastra_auth_claim_set.*"a\.\.b"/, 'an empty level is refused');
$t->config_fails($conf->(qq(    mastra_auth_claim_set \$v '"a'; #HERE)),
    qr/mastra_auth_claim_set/, 'an unterminated quote is refused');
$t->config_fails($conf->('    mastra_auth_claim_set v sub; #HERE'),
    qr/mastra_auth_claim_set.*invalid variable name "v"/,
    'a name without $ is refused');
$t->config_fails($conf->("    mastra_auth_claim_set \$v sub;\n"
    . '    mastra_auth_claim_set $v email; #HERE'),
    qr/mastra_auth_claim_set.*"\$v" is bound already/,
    'a variable bound twice is refused');
$t->config_fails($conf->('    mastra_auth_claim_set $mastra_auth_user sub; #HERE'),
    qr/mastra_auth_claim_set.*"\$mastra_auth_user" is a name of the module/,
    'a variable of the module is refused');
$t->config_fails($conf->('    mastra_auth_claim_set $uri sub; #HERE'),
    qr/duplicate "uri" variable/, 'a variable of nginx is refused');
$t->config_ok($conf->('    mastra_auth_claim_set $v user.id;'),
    'a valid binding passes nginx -t');

done_testing;
