#!/usr/bin/perl

# nginx-mastra-auth: the key-set presets (docs/providers.md) against key servers
# of our own over HTTPS (a CA made at test time):
#   auth0    https://DOMAIN/.well-known/jwks.json, iss https://DOMAIN/, aud
#            from mastra_auth_audience or AUTH0_AUDIENCE, domain also from
#            AUTH0_DOMAIN, RS256
#   clerk    https://DOMAIN/.well-known/jwks.json, iss https://DOMAIN, RS256,
#            token also from cookie __session
#   oidc     ISSUER/.well-known/openid-configuration, whose "issuer" must be
#            the configured one exactly, then its jwks_uri; iss checked
#   supabase iss https://PROJECT.supabase.co/auth/v1, aud authenticated,
#            ES256 and RS256 (+HS256 with mastra_auth_secret)
#   firebase iss https://securetoken.google.com/PROJECT, aud PROJECT, RS256
# supabase and firebase fetch from fixed hosts on the internet: here their
# checks are tested with mastra_auth_jwks_uri, which overrides the URL.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;

my $ca = Mastra::KeyServer::CA->new;

my $A = Mastra::KeyServer->new(ca => $ca);    # auth0
my $C = Mastra::KeyServer->new(ca => $ca);    # clerk
my $O = Mastra::KeyServer->new(ca => $ca);    # oidc, supabase, firebase

my $CA = $ca->file;
my $WK = '/.well-known/jwks.json';
my $DISCOVERY = '/.well-known/openid-configuration';

# auth0: an RS256 key and an EC key (RS256 only: the EC key never counts)
my $a_rsa = rsa_key();
my $a_ec = ec_key('P-256');
$A->put($WK, jwks(jwk($a_rsa, kid => 'a0', alg => 'RS256', use => 'sig'),
    jwk($a_ec, kid => 'a-ec')));

my $c_rsa = rsa_key();
$C->put($WK, jwks(jwk($c_rsa, kid => 'c0')));

# oidc: discovery at the root, keys elsewhere on the host
my $o_ec = ec_key('P-256');
my $o_rsa = rsa_key();
my $o_ed = ed_key();
my $OISS = 'https://' . $O->host;
$O->put($DISCOVERY, json({ issuer => $OISS, jwks_uri => $O->url('/oidc/keys.json') }));
$O->put('/oidc/keys.json', jwks(jwk($o_ec, kid => 'o-ec'), jwk($o_rsa, kid => 'o-rsa'),
    jwk($o_ed, kid => 'o-ed')));

# oidc variants, each an issuer with a path on the same host
$O->put("/bad-iss$DISCOVERY",
    json({ issuer => "$OISS/other", jwks_uri => $O->url('/oidc/keys.json') }));
$O->put("/bad-keys$DISCOVERY",
    json({ issuer => "$OISS/bad-keys", jwks_uri => $O->url('/bad-keys/keys.json') }));
$O->put('/bad-keys/keys.json', jwks(jwk($o_ec, kid => 'o-ec')));
$O->mode('/bad-keys/keys.json', 'status 500');
$O->put("/slash$DISCOVERY",
    json({ issuer => "$OISS/slash/", jwks_uri => $O->url('/slash/keys.json') }));
$O->put('/slash/keys.json', jwks(jwk($o_ec, kid => 'o-ec')));

# supabase, firebase
my $s_ec = ec_key('P-256');
my $s_rsa = rsa_key();
my $s_ed = ed_key();
my $s_384 = ec_key('P-384');
$O->put('/supa.json', jwks(jwk($s_ec, kid => 's-ec'), jwk($s_rsa, kid => 's-rsa'),
    jwk($s_ed, kid => 's-ed'), jwk($s_384, kid => 's-384')));

my $f_rsa = rsa_key();
my $f_ec = ec_key('P-256');
$O->put('/fire.json', jwks(jwk($f_rsa, kid => 'f0'), jwk($f_ec, kid => 'f-ec')));

my $PROJECT = 'abcdefghijklmnopqrst';
my $FIRE = 'my-proj-123';
my $SUPA_SECRET = random_secret(40);

###############################################################################

my $t = Mastra::Nginx->new->env(
    AUTH0_DOMAIN   => $A->host,
    AUTH0_AUDIENCE => 'env-audience',
);

my $AH = $A->host;
my $CH = $C->host;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_ca_file $CA;
        mastra_auth_jwks_timeout 1s;

        location /auth0/ {
            mastra_auth_provider auth0;
            mastra_auth_domain $AH;
            mastra_auth_audience https://api.test;
            %%AUTH_PROXY%%
        }

        location /auth0-env/ {
            mastra_auth_provider auth0;
            %%AUTH_PROXY%%
        }

        location /auth0-env-aud/ {
            mastra_auth_provider auth0;
            mastra_auth_domain $AH;
            %%AUTH_PROXY%%
        }

        location /clerk/ {
            mastra_auth_provider clerk;
            mastra_auth_domain $CH;
            %%AUTH_PROXY%%
        }

        location /oidc/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS;
            %%AUTH_PROXY%%
        }

        location /oidc-aud/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS;
            mastra_auth_audience my-client;
            %%AUTH_PROXY%%
        }

        location /oidc-bad-iss/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS/bad-iss;
            %%AUTH_PROXY%%
        }

        location /oidc-bad-keys/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS/bad-keys;
            %%AUTH_PROXY%%
        }

        location /oidc-slash/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS/slash/;
            %%AUTH_PROXY%%
        }

        location /supa/ {
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
            mastra_auth_jwks_uri ${\ $O->url('/supa.json')};
            %%AUTH_PROXY%%
        }

        location /supa-secret/ {
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
            mastra_auth_jwks_uri ${\ $O->url('/supa.json')};
            mastra_auth_secret $SUPA_SECRET;
            %%AUTH_PROXY%%
        }

        location /fire/ {
            mastra_auth_provider firebase;
            mastra_auth_project $FIRE;
            mastra_auth_jwks_uri ${\ $O->url('/fire.json')};
            %%AUTH_PROXY%%
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        mastra_auth_ca_file $CA;
        mastra_auth_provider clerk;
        mastra_auth_domain $CH;

        location / {
            %%AUTH_PROXY%%
        }
    }
}
EOF

sub is_outcome {
    my ($uri, $token, $expect, $name, %o) = @_;
    my $r = $t->bearer($uri, $token, %o);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome, $expect, $name) or diag($r->raw);
    return $r;
}

my $forged = craft($a_rsa->export_key_pem('public_x509'),
    { alg => 'HS256', kid => 'a0' }, claims());

###############################################################################
# auth0

my $AISS = "https://$AH/";
my %a = (iss => $AISS, aud => 'https://api.test');

my $r = is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a), kid => 'a0'),
    '200 ok -', 'auth0: RS256 token of the tenant');
is($r->echo->{provider}, 'auth0', 'auth0: $mastra_auth_provider');
is($A->hits($WK), 1, 'auth0: fetched https://DOMAIN/.well-known/jwks.json');

is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, aud => [ 'x', 'https://api.test' ]),
        kid => 'a0'), '200 ok -', 'auth0: audience among others');
is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, iss => "https://$AH"), kid => 'a0'),
    '401 invalid issuer_mismatch', 'auth0: issuer without the trailing slash');
is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, iss => 'https://evil.test/'),
        kid => 'a0'), '401 invalid issuer_mismatch', 'auth0: other issuer');
is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, aud => 'https://other.test'),
        kid => 'a0'), '401 invalid audience_mismatch', 'auth0: other audience');
is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, aud => undef), kid => 'a0'),
    '401 invalid audience_mismatch', 'auth0: no audience');
is_outcome('/auth0/', signed($a_ec, 'ES256', claims(%a), kid => 'a-ec'),
    '401 invalid algorithm_not_allowed', 'auth0: ES256 refused (RS256 only)');
is_outcome('/auth0/', signed($a_rsa, 'PS256', claims(%a), kid => 'a0'),
    '401 invalid algorithm_not_allowed', 'auth0: PS256 refused (RS256 only)');
is_outcome('/auth0/', $forged, '401 invalid algorithm_not_allowed',
    'auth0: HS256 keyed with the RSA public key refused');

# the environment: AUTH0_DOMAIN and AUTH0_AUDIENCE
is_outcome('/auth0-env/', signed($a_rsa, 'RS256', claims(%a, aud => 'env-audience'),
        kid => 'a0'), '200 ok -', 'auth0: domain and audience from the environment');
is_outcome('/auth0-env/', signed($a_rsa, 'RS256', claims(%a), kid => 'a0'),
    '401 invalid audience_mismatch', 'auth0: AUTH0_AUDIENCE is the audience');
is_outcome('/auth0-env-aud/', signed($a_rsa, 'RS256', claims(%a, aud => 'env-audience'),
        kid => 'a0'), '200 ok -', 'auth0: directive domain, AUTH0_AUDIENCE');
is_outcome('/auth0/', signed($a_rsa, 'RS256', claims(%a, aud => 'env-audience'),
        kid => 'a0'), '401 invalid audience_mismatch',
    'auth0: mastra_auth_audience wins over AUTH0_AUDIENCE');
is($A->hits($WK), 1, 'auth0: one key set for the three locations, one fetch');

###############################################################################
# clerk

my $CISS = "https://$CH";

$r = is_outcome('/clerk/', signed($c_rsa, 'RS256', claims(iss => $CISS), kid => 'c0'),
    '200 ok -', 'clerk: RS256 token of the instance');
is($r->echo->{provider}, 'clerk', 'clerk: $mastra_auth_provider');
is($C->hits($WK), 1, 'clerk: fetched https://DOMAIN/.well-known/jwks.json');
is_outcome('/clerk/', signed($c_rsa, 'RS256', claims(iss => "$CISS/"), kid => 'c0'),
    '401 invalid issuer_mismatch', 'clerk: issuer with a trailing slash');
is_outcome('/clerk/', signed($c_rsa, 'RS256', claims(), kid => 'c0'),
    '401 invalid issuer_mismatch', 'clerk: no issuer');
is_outcome('/clerk/', signed($c_rsa, 'RS256', claims(iss => $CISS, aud => 'anything'),
        kid => 'c0'), '200 ok -', 'clerk: no audience check');
is_outcome('/clerk/', signed($c_rsa, 'RS512', claims(iss => $CISS), kid => 'c0'),
    '401 invalid algorithm_not_allowed', 'clerk: RS512 refused (RS256 only)');
is_outcome('/clerk/', signed($a_rsa, 'RS256', claims(iss => $CISS), kid => 'a0'),
    '401 invalid unknown_key', "clerk: the auth0 tenant's key is not clerk's");

$r = $t->get('/clerk/', Cookie => 'a=b; __session='
    . signed($c_rsa, 'RS256', claims(iss => $CISS), kid => 'c0'));
is($r->outcome, '200 ok -', 'clerk: token from the __session cookie');
is($r->echo->{source}, 'cookie', 'clerk: $mastra_auth_token_source cookie');
$r = $t->request(uri => '/x', port => 2, headers => [ Cookie => '__session='
    . signed($c_rsa, 'RS256', claims(iss => $CISS), kid => 'c0') ]);
is($r->outcome, '200 ok -', 'clerk set at server level: token from the __session cookie');
$r = $t->get('/auth0/', Cookie => '__session='
    . signed($a_rsa, 'RS256', claims(%a), kid => 'a0'));
is($r->outcome, '401 missing token_missing', 'auth0: the __session cookie is not read');

###############################################################################
# oidc

$r = is_outcome('/oidc/', signed($o_ec, 'ES256', claims(iss => $OISS), kid => 'o-ec'),
    '200 ok -', 'oidc: ES256 token of the issuer');
is($r->echo->{provider}, 'oidc', 'oidc: $mastra_auth_provider');
is($O->hits($DISCOVERY) . ' ' . $O->hits('/oidc/keys.json'), '1 1',
    'oidc: discovery document, then its jwks_uri, once each');
is_outcome('/oidc/', signed($o_rsa, 'RS256', claims(iss => $OISS), kid => 'o-rsa'),
    '200 ok -', 'oidc: RS256');
is_outcome('/oidc/', signed($o_rsa, 'PS512', claims(iss => $OISS), kid => 'o-rsa'),
    '200 ok -', 'oidc: PS512');
is_outcome('/oidc/', signed($o_ed, 'EdDSA', claims(iss => $OISS), kid => 'o-ed'),
    '200 ok -', 'oidc: EdDSA');
is_outcome('/oidc/', signed($o_ec, 'ES256', claims(iss => "$OISS/"), kid => 'o-ec'),
    '401 invalid issuer_mismatch', 'oidc: issuer with a trailing slash');
is_outcome('/oidc/', signed($o_ec, 'ES256', claims(), kid => 'o-ec'),
    '401 invalid issuer_mismatch', 'oidc: no issuer');
is_outcome('/oidc/', craft($o_rsa->export_key_pem('public_x509'),
        { alg => 'HS256', kid => 'o-rsa' }, claims(iss => $OISS)),
    '401 invalid algorithm_not_allowed', 'oidc: HS256 keyed with the RSA public key');
is_outcome('/oidc-aud/', signed($o_ec, 'ES256', claims(iss => $OISS, aud => 'my-client'),
        kid => 'o-ec'), '200 ok -', 'oidc with mastra_auth_audience: match');
is_outcome('/oidc-aud/', signed($o_ec, 'ES256', claims(iss => $OISS, aud => 'other'),
        kid => 'o-ec'), '401 invalid audience_mismatch',
    'oidc with mastra_auth_audience: mismatch');
is($O->hits($DISCOVERY), 1, 'oidc: two locations, one issuer, one discovery');

$r = is_outcome('/oidc-bad-iss/', signed($o_ec, 'ES256', claims(iss => "$OISS/bad-iss"),
        kid => 'o-ec'), '503 unavailable keys_unavailable',
    'oidc: discovery naming another issuer: 503');
like($r->header('Retry-After'), qr/^\d+$/, 'oidc: 503 with Retry-After');
is($O->hits('/oidc/keys.json'), 1,
    "oidc: the other issuer's jwks_uri was not fetched");
ok(scalar $t->grep_log(qr/\[error\] .*mastra_auth: key set "\Q$OISS\E\/bad-iss\/\.well-known\/openid-configuration" fetch failed: .*issuer.*; no keys yet/),
    'oidc: [error] says the discovery issuer differs');

is_outcome('/oidc-bad-keys/', signed($o_ec, 'ES256', claims(iss => "$OISS/bad-keys"),
        kid => 'o-ec'), '503 unavailable keys_unavailable',
    'oidc: jwks_uri answering 500: 503');
is($O->hits('/bad-keys/keys.json'), 1, 'oidc: the jwks_uri was asked once');
ok(scalar $t->grep_log(qr/\[error\] .*mastra_auth: key set "\Q$OISS\E\/bad-keys\/.*fetch failed: .*500/),
    'oidc: [error] names the status of the jwks_uri');

is_outcome('/oidc-slash/', signed($o_ec, 'ES256', claims(iss => "$OISS/slash/"),
        kid => 'o-ec'), '200 ok -', 'oidc: issuer with a trailing slash, as configured');
is($O->hits("/slash$DISCOVERY"), 1,
    'oidc: trailing slash: discovery at ISSUER/.well-known/... (no doubled slash)');

###############################################################################
# supabase

my $SISS = "https://$PROJECT.supabase.co/auth/v1";
my %s = (iss => $SISS, aud => 'authenticated');

$r = is_outcome('/supa/', signed($s_ec, 'ES256', claims(%s), kid => 's-ec'),
    '200 ok -', 'supabase: ES256');
is($r->echo->{provider}, 'supabase', 'supabase: $mastra_auth_provider');
is_outcome('/supa/', signed($s_rsa, 'RS256', claims(%s), kid => 's-rsa'),
    '200 ok -', 'supabase: RS256');
is_outcome('/supa/', signed($s_rsa, 'PS256', claims(%s), kid => 's-rsa'),
    '401 invalid algorithm_not_allowed', 'supabase: PS256 refused');
is_outcome('/supa/', signed($s_ed, 'EdDSA', claims(%s), kid => 's-ed'),
    '401 invalid algorithm_not_allowed', 'supabase: EdDSA refused');
is_outcome('/supa/', signed($s_384, 'ES384', claims(%s), kid => 's-384'),
    '401 invalid algorithm_not_allowed', 'supabase: ES384 refused');
is_outcome('/supa/', signed($s_ec, 'ES256', claims(%s, aud => 'anon'), kid => 's-ec'),
    '401 invalid audience_mismatch', 'supabase: audience anon');
is_outcome('/supa/', signed($s_ec, 'ES256', claims(%s, aud => undef), kid => 's-ec'),
    '401 invalid audience_mismatch', 'supabase: no audience');
is_outcome('/supa/', signed($s_ec, 'ES256',
        claims(%s, iss => 'https://otherproject.supabase.co/auth/v1'), kid => 's-ec'),
    '401 invalid issuer_mismatch', 'supabase: other project');
is_outcome('/supa/', signed($s_ec, 'ES256', claims(%s, iss => "$SISS/"), kid => 's-ec'),
    '401 invalid issuer_mismatch', 'supabase: issuer with a trailing slash');
is_outcome('/supa/', mint($SUPA_SECRET, claims(%s)),
    '401 invalid algorithm_not_allowed', 'supabase without a secret: HS256 refused');

is_outcome('/supa-secret/', mint($SUPA_SECRET, claims(%s)), '200 ok -',
    'supabase with mastra_auth_secret: HS256 with the secret');
is_outcome('/supa-secret/', mint(random_secret(40), claims(%s)),
    '401 invalid bad_signature', 'supabase with a secret: HS256 with another secret');
is_outcome('/supa-secret/', mint($SUPA_SECRET, claims(%s, aud => 'anon')),
    '401 invalid audience_mismatch', 'supabase with a secret: HS256 still checks aud');
is_outcome('/supa-secret/', mint($SUPA_SECRET, claims(%s), alg => 'HS384'),
    '401 invalid algorithm_not_allowed', 'supabase with a secret: HS384 refused');
is_outcome('/supa-secret/', signed($s_ec, 'ES256', claims(%s), kid => 's-ec'),
    '200 ok -', 'supabase with a secret: ES256 still verifies');
{
    my $r = $t->bearer('/supa-secret/', craft($s_rsa->export_key_pem('public_x509'),
            { alg => 'HS256', kid => 's-rsa' }, claims(%s)));
    is($r->outcome(2), '401 invalid',
        'supabase with a secret: HS256 keyed with the RSA public key (kid s-rsa)');
    $r = $t->bearer('/supa-secret/', craft($s_rsa->export_key_pem('public_x509'),
            { alg => 'HS256' }, claims(%s)));
    is($r->outcome(2), '401 invalid',
        'supabase with a secret: HS256 keyed with the RSA public key (no kid)');
}
is($O->hits('/supa.json'), 1, 'supabase: two locations, one set, one fetch');

###############################################################################
# firebase

my %f = (iss => "https://securetoken.google.com/$FIRE", aud => $FIRE);

$r = is_outcome('/fire/', signed($f_rsa, 'RS256', claims(%f), kid => 'f0'),
    '200 ok -', 'firebase: RS256');
is($r->echo->{provider}, 'firebase', 'firebase: $mastra_auth_provider');
is_outcome('/fire/', signed($f_rsa, 'RS256', claims(%f, aud => 'other-proj'), kid => 'f0'),
    '401 invalid audience_mismatch', 'firebase: other audience');
is_outcome('/fire/', signed($f_rsa, 'RS256',
        claims(%f, iss => 'https://securetoken.google.com/other-proj'), kid => 'f0'),
    '401 invalid issuer_mismatch', 'firebase: other project as issuer');
is_outcome('/fire/', signed($f_rsa, 'RS256',
        claims(%f, iss => "https://securetoken.google.com/$FIRE/"), kid => 'f0'),
    '401 invalid issuer_mismatch', 'firebase: issuer with a trailing slash');
is_outcome('/fire/', signed($f_ec, 'ES256', claims(%f), kid => 'f-ec'),
    '401 invalid algorithm_not_allowed', 'firebase: ES256 refused (RS256 only)');
is_outcome('/fire/', signed($f_rsa, 'PS256', claims(%f), kid => 'f0'),
    '401 invalid algorithm_not_allowed', 'firebase: PS256 refused (RS256 only)');
is($O->hits('/fire.json'), 1, 'firebase: one fetch');

###############################################################################

my @failed = grep { !/bad-iss|bad-keys/ } $t->grep_log(qr/fetch failed/);
ok(!@failed, 'no fetch failed but the two broken issuers') or diag(join "\n", @failed);

$t->finish;

###############################################################################
# nginx -t: URLs, presets without a local key server

my $c = Mastra::Nginx->new;

sub conf {
    my ($loc) = @_;
    return <<"EOF";
%%TEST_GLOBALS%%
events {
}
http {
    %%TEST_GLOBALS_HTTP%%
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / {
$loc
        }
    }
}
EOF
}

$c->config_ok(conf(<<"EOF"), 'firebase with only its project');
            mastra_auth_provider firebase;
            mastra_auth_project $FIRE;
EOF
$c->config_ok(conf(<<"EOF"), 'supabase with only its project');
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
EOF

for my $url ('file:///etc/passwd', 'ftp://127.0.0.1/jwks.json',
    'gopher://127.0.0.1/', '/etc/passwd', 'https://', 'http:/x')
{
    $c->config_fails(conf(<<"EOF"), qr/mastra_auth_jwks_uri.*\Q$url\E/,
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri https://127.0.0.1/ok.json $url; #HERE
EOF
        "jwks_uri $url: emerg");
}

$c->config_fails(conf(<<"EOF"), qr/mastra_auth_ca_file/,
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri https://127.0.0.1/ok.json;
            mastra_auth_ca_file %%TESTDIR%%/no-such-ca.pem; #HERE
EOF
    'ca_file missing: emerg');

$c->finish;

done_testing;
