#!/usr/bin/perl

# nginx-mastra-auth: static keys beside a remote key set.  A Supabase project
# moving to asymmetric keys runs its legacy HS256 secret beside its JWKS
# URL; a jwks location may hold a PEM key file beside a URL; an oidc
# location a key file beside its discovered set.  The static keys must never
# settle a token that the remote set may yet serve:
#   - the first token of the remote set passes on a fresh start (it waits
#     for the first fetch instead of being refused over the static keys);
#   - a rotated-in kid passes at once (the kid-miss refetch is made, even
#     though a kid-less static key could be tried);
#   - tokens of the static keys still pass;
#   - unknown kids cost at most one refetch per set per 30 s, and are
#     refused as unknown_key;
# with one worker and with two (the refetch is single-flight across them).

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
my $CA = $ca->file;

my $PROJECT = 'abcdefghijklmnop';
my $SISS = "https://$PROJECT.supabase.co/auth/v1";
my %SUPA = (iss => $SISS, aud => 'authenticated');
my $SECRET = random_secret(48);

my $pem_key = rsa_key();       # the key file: a PEM public key, no kid
my $stranger = ec_key('P-256');

sub is_outcome {
    my ($t, $uri, $token, $expect, $name) = @_;
    my $r = $t->bearer($uri, $token);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is($r->outcome, $expect, $name) or diag($r->raw);
    return $r;
}

for my $workers (1, 2) {
    my $w = "$workers worker" . ($workers > 1 ? 's' : '');

    # each scenario has its own set, so that one refetch window never
    # hides another
    my $ks = Mastra::KeyServer->new(ca => $ca);
    my (%first, %rot, %unk);

    for my $set (qw(supa jwks oidc)) {
        $first{$set} = ec_key('P-256');
        $rot{$set} = [ ec_key('P-256'), ec_key('P-256') ];
        $unk{$set} = ec_key('P-256');
        $ks->put("/$set-first.json", jwks(jwk($first{$set}, kid => "$set-first")));
        $ks->put("/$set-rot.json", jwks(jwk($rot{$set}[0], kid => "$set-old")));
        $ks->put("/$set-unk.json", jwks(jwk($unk{$set}, kid => "$set-unk")));
    }

    # oidc: discovery documents naming the sets
    my $OISS = 'https://' . $ks->host;
    for my $s (qw(first rot unk)) {
        $ks->put("/$s/.well-known/openid-configuration",
            json({ issuer => "$OISS/$s", jwks_uri => $ks->url("/oidc-$s.json") }));
    }

    my $t = Mastra::Nginx->new;
    $t->write_file('key.pem', $pem_key->export_key_pem('public_x509'));

    my $locations = '';
    for my $s (qw(first rot unk)) {
        $locations .= <<"EOF";
        location /supa-$s/ {
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
            mastra_auth_secret $SECRET;
            mastra_auth_jwks_uri ${\ $ks->url("/supa-$s.json")};
            %%AUTH_PROXY%%
        }

        location /jwks-$s/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/key.pem;
            mastra_auth_jwks_uri ${\ $ks->url("/jwks-$s.json")};
            %%AUTH_PROXY%%
        }

        location /oidc-$s/ {
            mastra_auth_provider oidc;
            mastra_auth_issuer $OISS/$s;
            mastra_auth_jwks_file %%TESTDIR%%/key.pem;
            %%AUTH_PROXY%%
        }

EOF
    }

    my $conf = $t->expand(<<"EOF");
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    mastra_auth_zone keys:1m;

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%% reuseport;

        mastra_auth_ca_file $CA;
        mastra_auth_jwks_timeout 3s;

$locations
    }
}
EOF
    $conf =~ s/^worker_processes 1;/worker_processes $workers;/m
        or die 'no worker_processes';
    $t->write_file('nginx.conf', $conf)->run;

    my %claims = (
        supa => sub { claims(%SUPA) },
        jwks => sub { claims() },
        oidc => sub { claims(iss => "$OISS/$_[0]") },
    );

    # a token of each kind of static key
    my %static = (
        supa => sub { mint($SECRET, claims(%SUPA)) },
        jwks => sub { signed($pem_key, 'RS256', claims()) },
        oidc => sub { signed($pem_key, 'RS256', claims(iss => "$OISS/$_[0]")) },
    );

    for my $set (qw(supa jwks oidc)) {
        my $doc = $set eq 'oidc' ? 1 : 0;   # oidc: discovery, then the set

        # fresh start: several first tokens at once, before any fetch; all
        # wait for the one fetch and pass
        my $token = signed($first{$set}, 'ES256', $claims{$set}->('first'),
            kid => "$set-first");
        my @r = parallel($t, map { [ "/$set-first/$_", Authorization => "Bearer $token" ] }
            1 .. 4);
        is(join(' ', map { $_->outcome } @r), join(' ', ('200 ok -') x 4),
            "$set, $w: the remote set's first tokens pass on a fresh start")
            or diag(join "\n", map { $_->raw } @r);
        is($ks->hits("/$set-first.json"), 1, "$set, $w: one fetch for them all");
        is_outcome($t, "/$set-first/", $static{$set}->('first'), '200 ok -',
            "$set, $w: a token of the static key passes");

        # a kid-less token of the remote set (no kid to select a key)
        is_outcome($t, "/$set-first/",
            signed($first{$set}, 'ES256', $claims{$set}->('first')), '200 ok -',
            "$set, $w: a remote key's token without a kid passes");

        # rotation: the set gains a kid; its tokens pass at once
        is_outcome($t, "/$set-rot/", signed($rot{$set}[0], 'ES256',
                $claims{$set}->('rot'), kid => "$set-old"), '200 ok -',
            "$set, $w: before the rotation");
        $ks->put("/$set-rot.json", jwks(jwk($rot{$set}[0], kid => "$set-old"),
            jwk($rot{$set}[1], kid => "$set-new")));
        my $before = $ks->hits("/$set-rot.json");
        is_outcome($t, "/$set-rot/", signed($rot{$set}[1], 'ES256',
                $claims{$set}->('rot'), kid => "$set-new"), '200 ok -',
            "$set, $w: a rotated-in kid passes at once");
        is($ks->hits("/$set-rot.json"), $before + 1, "$set, $w: by one refetch");
        is_outcome($t, "/$set-rot/", $static{$set}->('rot'), '200 ok -',
            "$set, $w: the static key still passes after the rotation");

        # unknown kids: twenty in a row (at once, over every worker) cost at
        # most one refetch, and are refused for the true reason
        is_outcome($t, "/$set-unk/", signed($unk{$set}, 'ES256',
                $claims{$set}->('unk'), kid => "$set-unk"), '200 ok -',
            "$set, $w: the set is loaded");
        $before = $ks->hits("/$set-unk.json");
        @r = parallel($t, map {
                [ "/$set-unk/$_", Authorization => 'Bearer ' . signed($stranger, 'ES256',
                    $claims{$set}->('unk'), kid => "nope-$_") ]
            } 1 .. 20);
        is(join(' ', map { $_->outcome } @r),
            join(' ', ('401 invalid unknown_key') x 20),
            "$set, $w: twenty unknown kids: 401 unknown_key")
            or diag(join "\n", map { $_->raw } @r);
        cmp_ok($ks->hits("/$set-unk.json") - $before, '<=', 1,
            "$set, $w: twenty unknown kids: at most one refetch");
        is_outcome($t, "/$set-unk/", signed($stranger, 'ES256', $claims{$set}->('unk'),
                kid => 'nope-21'),
            '401 invalid unknown_key', "$set, $w: and another later: refused");
        cmp_ok($ks->hits("/$set-unk.json") - $before, '<=', 1,
            "$set, $w: ... with no further refetch");

        # a kid-less token no key verifies is a bad signature, not a refetch
        $before = $ks->hits("/$set-unk.json");
        is_outcome($t, "/$set-unk/", signed($stranger, 'ES256', $claims{$set}->('unk')),
            '401 invalid bad_signature', "$set, $w: a stranger's token without a kid");
        is($ks->hits("/$set-unk.json"), $before, "$set, $w: ... asks for no refetch");

        # the static key cannot be made to vouch for a kid: a token naming
        # the remote key's kid but signed by another key is refused
        is_outcome($t, "/$set-unk/", signed($stranger, 'ES256', $claims{$set}->('unk'),
                kid => "$set-unk"),
            '401 invalid bad_signature', "$set, $w: a known kid with a wrong signature");
    }

    $t->finish;
}

# Supabase: the HS256 secret beside a key server that never answers
{
    my $t = Mastra::Nginx->new;
    my $down = Mastra::KeyServer->new(ca => $ca);
    my $url = $down->url('/supa.json');
    $down->down;
    $t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    %%ECHO_SERVER%%

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location /supa/ {
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
            mastra_auth_secret $SECRET;
            mastra_auth_ca_file $CA;
            mastra_auth_jwks_timeout 1s;
            mastra_auth_jwks_uri $url;
            %%AUTH_PROXY%%
        }
    }
}
EOF
    is_outcome($t, '/supa/', mint($SECRET, claims(%SUPA)), '200 ok -',
        'key server down: the legacy secret still serves');
    my $r = $t->bearer('/supa/', signed($stranger, 'ES256', claims(%SUPA), kid => 'k1'));
    is($r->outcome, '503 unavailable keys_unavailable',
        'key server down: a token only it could serve: 503') or diag($r->raw);
    like($r->header('Retry-After'), qr/^[1-9]\d*$/, 'key server down: Retry-After');
    is_outcome($t, '/supa/', mint(random_secret(48), claims(%SUPA)),
        '401 invalid bad_signature', 'key server down: HS256 with another secret: 401');
    $t->finish;
}

done_testing;
