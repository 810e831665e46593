#!/usr/bin/perl

# nginx-mastra-auth: mastra_auth_provider and where the HMAC secret comes
# from (docs/directives.md#mastra_auth_secret): a literal, env:NAME, file:PATH
# (one trailing newline stripped), else MASTRA_JWT_SECRET, else
# JWT_AUTH_SECRET; the length floor follows the strongest allowed algorithm
# (RFC 7518 section 3.2).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $LIT = random_secret(32);
my $ENVS = random_secret(40);
my $FILE = random_secret(33);
my $FILE2 = random_secret(34);
my $FILE3 = random_secret(35);
my $S48 = random_secret(48);
my $S64 = random_secret(64);

###############################################################################
# literal, env:, file:, algorithms, inheritance

my $t = Mastra::Nginx->new->env(MY_TEST_SECRET => $ENVS);

$t->write_file('secret.txt', "$FILE\n");
$t->write_file('secret2.txt', "$FILE2\n\n");
$t->write_file('secret3.txt', $FILE3);

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
        mastra_auth_secret $LIT;

        location /literal/ {
            %%AUTH_PROXY%%
        }

        location /env/ {
            mastra_auth_secret env:MY_TEST_SECRET;
            %%AUTH_PROXY%%
        }

        location /file/ {
            mastra_auth_secret file:%%TESTDIR%%/secret.txt;
            %%AUTH_PROXY%%
        }

        location /file2/ {
            mastra_auth_secret file:%%TESTDIR%%/secret2.txt;
            %%AUTH_PROXY%%
        }

        location /file3/ {
            mastra_auth_secret file:%%TESTDIR%%/secret3.txt;
            %%AUTH_PROXY%%
        }

        location /hs384/ {
            mastra_auth_algorithms HS384;
            mastra_auth_secret $S48;
            %%AUTH_PROXY%%
        }

        location /hs512/ {
            mastra_auth_algorithms HS256 HS512;
            mastra_auth_secret $S64;
            %%AUTH_PROXY%%
        }

        location /off/ {
            mastra_auth_provider off;
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            %%AUTH_PROXY%%
        }
    }
}
EOF

sub tok { my ($secret, $alg) = @_; return mint($secret, claims(), alg => $alg) }

sub is_outcome {
    my ($uri, $token, $expect, $name) = @_;
    my $fields = my @f = split / /, $expect;
    my $r = defined $token ? $t->bearer($uri, $token) : $t->get($uri);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome($fields), $expect, $name);
    return $r;
}

my $r = is_outcome('/literal/', tok($LIT), '200 ok -', 'literal secret');
is($r->echo->{provider}, 'jwt', '$mastra_auth_provider is jwt');
is($r->echo->{user}, 'user-1', 'user forwarded');
is_outcome('/literal/', tok($ENVS), '401 invalid bad_signature',
    'literal secret: other secret refused');
is_outcome('/literal/', undef, '401 missing token_missing',
    'literal secret: no token');

is_outcome('/env/', tok($ENVS), '200 ok', 'env:NAME');
is_outcome('/env/', tok($LIT), '401 invalid bad_signature',
    'env:NAME replaces the inherited secret');

is_outcome('/file/', tok($FILE), '200 ok', 'file:PATH, trailing newline stripped');
is_outcome('/file/', tok("$FILE\n"), '401 invalid bad_signature',
    'file:PATH, the newline is not part of the secret');
is_outcome('/file2/', tok("$FILE2\n"), '200 ok',
    'file:PATH, only one trailing newline stripped');
is_outcome('/file2/', tok($FILE2), '401 invalid bad_signature',
    'file:PATH, the second newline stays');
is_outcome('/file3/', tok($FILE3), '200 ok', 'file:PATH without a newline');

is_outcome('/hs384/', tok($S48, 'HS384'), '200 ok', 'HS384 with a 48-byte secret');
is_outcome('/hs384/', tok($S48, 'HS256'), '401 invalid algorithm_not_allowed',
    'HS384 only: HS256 refused');
is_outcome('/hs512/', tok($S64, 'HS512'), '200 ok', 'HS512 with a 64-byte secret');
is_outcome('/hs512/', tok($S64, 'HS256'), '200 ok', 'HS256 HS512: HS256 passes');
is_outcome('/hs512/', tok($S64, 'HS384'), '401 invalid algorithm_not_allowed',
    'HS256 HS512: HS384 refused');
is_outcome('/literal/', tok($LIT, 'HS384'), '401 invalid algorithm_not_allowed',
    'default algorithms: HS256 only');

is_outcome('/off/', undef, '200 off', 'provider off in a location');
is_outcome('/off/', 'garbage', '200 off', 'provider off ignores tokens');

$r = $t->request(uri => '/anything', port => 2);
is($r->outcome(2), '200 off', 'no mastra_auth directive: status off');

$t->log_lacks($_, 'secret not logged') for $LIT, $ENVS, $FILE;

$t->finish;

###############################################################################
# default secrets from the environment

my $DEF_CONF = <<'EOF';
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;
        mastra_auth_provider jwt;

        location / {
            %%AUTH_PROXY%%
        }

        location /explicit/ {
            mastra_auth_secret %%EXPLICIT%%;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $MJS = random_secret(32);
my $JAS = random_secret(32);
my $EXPLICIT = random_secret(32);
(my $conf = $DEF_CONF) =~ s/%%EXPLICIT%%/$EXPLICIT/;

for my $case (
    [ 'MASTRA_JWT_SECRET', { MASTRA_JWT_SECRET => $MJS } ],
    [ 'JWT_AUTH_SECRET',   { JWT_AUTH_SECRET   => $JAS } ],
    [ 'both set',          { MASTRA_JWT_SECRET => $MJS, JWT_AUTH_SECRET => $JAS } ],
    )
{
    my ($what, $env) = @$case;

    my $d = Mastra::Nginx->new->env(%$env);
    $d->write_file_expand('nginx.conf', $conf)->run;

    my $want = exists $env->{MASTRA_JWT_SECRET} ? $MJS : $JAS;
    my $other = $want eq $MJS ? $JAS : $MJS;

    is($d->bearer('/api/x', tok($want))->outcome, '200 ok -',
        "$what: the default secret verifies");
    is($d->bearer('/api/x', tok($other))->outcome(2), '401 invalid',
        "$what: the other variable's secret does not");
    is($d->bearer('/explicit/', tok($EXPLICIT))->outcome, '200 ok -',
        "$what: mastra_auth_secret wins over the environment");
    is($d->bearer('/explicit/', tok($want))->outcome(2), '401 invalid',
        "$what: the environment is not used beside mastra_auth_secret");

    $d->finish;
}

###############################################################################
# reloads: secrets are read again, old configurations freed (and their
# secrets zeroed) without touching the new one

{
    my $E1 = random_secret(32);
    my $R1 = random_secret(32);
    my $F1 = random_secret(32);
    my $F2 = random_secret(32);
    my $L1 = random_secret(32);
    my $L2 = random_secret(32);

    my $rl = Mastra::Nginx->new->env(MASTRA_JWT_SECRET => $E1, MY_ROT => $R1);
    $rl->write_file('rotate.txt', "$F1\n");

    my $conf = <<'EOF';
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;
        mastra_auth_provider jwt;

        location /def/ {
            %%AUTH_PROXY%%
        }

        location /envn/ {
            mastra_auth_secret env:MY_ROT;
            %%AUTH_PROXY%%
        }

        location /file/ {
            mastra_auth_secret file:%%TESTDIR%%/rotate.txt;
            %%AUTH_PROXY%%
        }

        location /lit/ {
            mastra_auth_secret %%LITERAL%%;
            %%AUTH_PROXY%%
        }
    }
}
EOF

    $rl->write_file_expand('nginx.conf', $conf =~ s/%%LITERAL%%/$L1/r)->run;

    my $all = sub {
        my ($lit, $file, $when) = @_;
        my @got = map { $rl->bearer("/$_->[0]/", tok($_->[1]))->status }
            [ def => $E1 ], [ envn => $R1 ], [ file => $file ], [ lit => $lit ];
        is("@got", '200 200 200 200', "$when: every secret form verifies");
    };

    $all->($L1, $F1, 'first start');
    $rl->reload;
    $all->($L1, $F1, 'first reload');
    $rl->reload;
    $all->($L1, $F1, 'second reload');

    $rl->write_file('rotate.txt', "$F2\n");
    $rl->write_file_expand('nginx.conf', $conf =~ s/%%LITERAL%%/$L2/r);
    $rl->reload;

    $all->($L2, $F2, 'after rotation');
    is($rl->bearer('/file/', tok($F1))->status, 401, 'rotation: old file secret refused');
    is($rl->bearer('/lit/', tok($L1))->status, 401, 'rotation: old literal refused');

    $rl->finish;
}

###############################################################################
# nginx -t: the secret must exist and be long enough

my $c = Mastra::Nginx->new;

sub conf {
    my ($http) = @_;
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    server {
        listen 127.0.0.1:%%PORT_1%%;
$http
    }
}
EOF
}

$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt; #HERE
        }
EOF
    'no secret anywhere: emerg at the provider line');

$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        mastra_auth_provider jwt; #HERE
        location / {
        }
EOF
    'no secret anywhere, provider at server level: emerg');

$c->config_ok(conf(<<'EOF'), 'provider off needs no secret');
        mastra_auth_provider off;
        location / {
        }
EOF

$c->config_ok(conf(<<'EOF'), 'no provider needs no secret');
        location / {
            mastra_auth_public /x;
        }
EOF

my $s31 = random_secret(31);
my $s32 = random_secret(32);
my $s47 = random_secret(47);
my $s63 = random_secret(63);

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $s31; #HERE
        }
EOF
    '31-byte secret: emerg naming mastra_auth_secret');

$c->config_ok(conf(<<"EOF"), '32-byte secret is enough for HS256');
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret $s32;
        }
EOF

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_(?:secret|algorithms)/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_algorithms HS256 HS384;
            mastra_auth_secret $s47; #HERE
        }
EOF
    '47-byte secret with HS384 allowed: emerg');

$c->config_ok(conf(<<"EOF"), '48-byte secret is enough for HS384');
        location / {
            mastra_auth_provider jwt;
            mastra_auth_algorithms HS256 HS384;
            mastra_auth_secret $S48;
        }
EOF

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_(?:secret|algorithms)/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_algorithms HS512;
            mastra_auth_secret $s63; #HERE
        }
EOF
    '63-byte secret with HS512 allowed: emerg');

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_(?:secret|algorithms)/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_algorithms HS256 HS512;
            mastra_auth_secret $S48; #HERE
        }
EOF
    '48-byte secret with HS512 allowed: emerg (strongest algorithm counts)');

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_(?:secret|algorithms)/,
        mastra_auth_provider jwt;
        mastra_auth_secret $s32; #HERE
        location / {
            mastra_auth_algorithms HS512;
        }
EOF
    'inherited 32-byte secret, HS512 in the location: emerg');

$c->config_ok(conf(<<"EOF"), '64-byte secret is enough for HS512');
        location / {
            mastra_auth_provider jwt;
            mastra_auth_algorithms HS512;
            mastra_auth_secret $S64;
        }
EOF

$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret ""; #HERE
        }
EOF
    'empty literal secret: emerg');

$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret env:MASTRA_TEST_UNSET_VARIABLE; #HERE
        }
EOF
    'env: naming an unset variable: emerg');

$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret file:%%TESTDIR%%/no-such-file; #HERE
        }
EOF
    'file: naming a missing file: emerg');

$c->write_file('short.txt', "$s31\n");
$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret file:%%TESTDIR%%/short.txt; #HERE
        }
EOF
    'file: with 31 bytes and a newline: emerg');

$c->env(MASTRA_JWT_SECRET => $s31);
$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret|MASTRA_JWT_SECRET/,
        location / {
            mastra_auth_provider jwt;
        }
EOF
    'MASTRA_JWT_SECRET of 31 bytes: emerg');

$c->env(MASTRA_JWT_SECRET => undef, JWT_AUTH_SECRET => $s31);
$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret|JWT_AUTH_SECRET/,
        location / {
            mastra_auth_provider jwt;
        }
EOF
    'JWT_AUTH_SECRET of 31 bytes: emerg');

$c->env(JWT_AUTH_SECRET => undef, MY_EMPTY => '');
$c->config_fails(conf(<<'EOF'), qr/mastra_auth_secret/,
        location / {
            mastra_auth_provider jwt;
            mastra_auth_secret env:MY_EMPTY; #HERE
        }
EOF
    'env: naming an empty variable: emerg');

$c->env(MY_EMPTY => undef);

# each preset names what it is missing, where the provider was set
for my $case (
    [ jwks => qr/mastra_auth_jwks_uri/ ],
    [ auth0 => qr/mastra_auth_domain|AUTH0_DOMAIN/ ],
    [ clerk => qr/mastra_auth_domain/ ],
    [ supabase => qr/mastra_auth_project/ ],
    [ firebase => qr/mastra_auth_project/ ],
    [ oidc => qr/mastra_auth_issuer/ ],
    [ 'better-auth' => qr/mastra_auth_better_auth_url/ ],
) {
    my ($provider, $re) = @$case;
    $c->config_fails(conf(<<"EOF"), $re,
        location / {
            mastra_auth_provider $provider; #HERE
        }
EOF
        "provider $provider without its settings: emerg naming them");
}

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_provider.*"bogus"/,
        location / {
            mastra_auth_provider bogus; #HERE
            mastra_auth_secret $s32;
        }
EOF
    'unknown provider: emerg naming it');

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_provider.*"JWT"/,
        location / {
            mastra_auth_provider JWT; #HERE
            mastra_auth_secret $s32;
        }
EOF
    'provider names are exact: JWT refused');

$c->log_lacks($s31, 'a refused secret is not logged', 'error.log',
    map { "test-$_.stderr" } 1 .. $c->{nconfig});

$c->finish;

done_testing;
