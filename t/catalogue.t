#!/usr/bin/perl

# nginx-mastra-auth: the bad-input catalogue in one table (docs/security.md).
# The catalogue is this file: each row carries a group, an id and a name that
# says what the case is.  The ids group related cases and are what other
# tests cite ("t/catalogue.t's rows J1-J5"):
#
#   T  token form (parts, base64url, size, JSON)    H  JOSE header members
#   S  signatures                                   C  claims and times
#   K  keys and algorithm pinning                   J  key sets and key servers
#   X  where the token comes from                   P  paths and route lists
#   CK Better Auth cookies and session tokens
#
# Many of these inputs are also tested, piecemeal and with variants, in
# tokens.t, jwks.t, presets.t, token_source.t, routes.t and better_auth.t;
# here each is one named row:
#
#   [ GROUP, ID, NAME, REQUEST, EXPECT ]
#
# EXPECT is "STATUS AUTH_STATUS REASON" as %%AUTH_PROXY%% reports them
# ($status, $mastra_auth_status, $mastra_auth_error; "-" for none, as when
# nginx itself answers before the module runs).  The expected outcomes come
# from docs/answers.md (status, body) and from the reason codes' meanings
# (docs/security.md "Tokens: what is refused", docs/providers.md,
# docs/routes-and-rules.md "Paths"); where the outcome is not the module's
# own refusal, or differs from what a stricter reading would expect, the row
# says "deviation:" and names the page that documents it.
#
# Every row also asserts: no [alert], [crit] or [emerg] line was written
# while it ran; each token (and every secret nginx holds) is absent from
# error.log; and a refusal by the module logged exactly one "refused" line
# naming the expected reason.  The exhaustive bit-flip and truncation loops
# are unit tests (t/unit/catalogue_test.cpp); here a sample of them runs
# end to end.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use File::Temp qw(tempdir);
use Math::BigInt;
use MIME::Base64 qw(encode_base64 encode_base64url decode_base64url);

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::Keys qw(:all);
use Mastra::KeyServer;
use Mastra::BetterAuth qw(signed_token pct);

###############################################################################
# secrets and keys, made now

my $S = random_secret(64);         # the jwt provider's secret
my $SUPA = random_secret(40);      # the supabase legacy HS256 secret
my $BA = random_secret(40);        # the Better Auth secret
my $MIXOCT = random_secret(64);    # an oct key in a local set
my $OCT = random_secret(64);       # an oct key a remote set publishes
my $EVIL = random_secret(64);      # the attacker's
my @SECRETS = ($S, $SUPA, $BA, $MIXOCT, $OCT);

my $rsa1 = rsa_key();              # no "alg": RS* and PS*
my $rsa_rs = rsa_key();            # "alg": "RS256"
my $ec256 = ec_key('P-256');
my $ec384 = ec_key('P-384');
my $ec521 = ec_key('P-521');
my $ed = ed_key();
my $enc = ec_key('P-256');         # "use": "enc"
my $ko = ec_key('P-256');          # "key_ops": ["encrypt"]
my $evil_rsa = rsa_key();          # the attacker's, published nowhere
my $evil_ec = ec_key('P-256');
my $priv = rsa_key();              # published with its private members
my $dup1 = ec_key('P-256');        # two keys, one kid
my $dup2 = ec_key('P-256');
my $a0 = rsa_key();                # auth0 / clerk
my $a_ec = ec_key('P-256');
my $s_rsa = rsa_key();             # supabase
my $s_ec = ec_key('P-256');

my $ca = Mastra::KeyServer::CA->new;
my $ks = Mastra::KeyServer->new(ca => $ca);

my $rsa1_jwk = jwk($rsa1, kid => 'rsa1');
$ks->put('/main.json', jwks(
    $rsa1_jwk,
    jwk($rsa_rs, kid => 'rsa-rs256', alg => 'RS256', use => 'sig'),
    jwk($ec256, kid => 'ec256'),
    jwk($ec384, kid => 'ec384'),
    jwk($ec521, kid => 'ec521', alg => 'ES512'),
    jwk($ed, kid => 'ed', alg => 'EdDSA'),
    jwk($enc, kid => 'enc', use => 'enc'),
    jwk($ko, kid => 'ko', key_ops => ['encrypt']),
));
$ks->put('/k6.json', jwks(
    jwk($priv, kid => 'priv', private => 1),
    { kty => 'oct', kid => 'oct', k => encode_base64url($OCT) },
    jwk($dup1, kid => 'dup'),
    jwk($dup2, kid => 'dup'),
    jwk($ec256, kid => 'good'),
));
$ks->put('/.well-known/jwks.json', jwks(
    jwk($a0, kid => 'a0', alg => 'RS256', use => 'sig'),
    jwk($a_ec, kid => 'a-ec'),
));
$ks->put('/supa.json', jwks(jwk($s_rsa, kid => 's-rsa'), jwk($s_ec, kid => 's-ec')));

my $PROJECT = 'abcdefghijklmnopqrst';
my $SUPA_ISS = "https://$PROJECT.supabase.co/auth/v1";
my $AUD0 = 'https://api.test';

###############################################################################
# nginx: one server per kind of check

my $t = Mastra::Nginx->new;

$t->write_file('rsa1.pem', $rsa1->export_key_pem('public_x509'));
$t->write_file('ec256.pem', $ec256->export_key_pem('public'));
$t->write_file('mixed.json', jwks(jwk($rsa1, kid => 'm-rsa'),
    { kty => 'oct', kid => 'm-oct', k => encode_base64url($MIXOCT) }));

my $CA = $ca->file;
my $KSHOST = $ks->host;

# the fake Better Auth: get-session answers a session for the session tokens
# named below (matched inside the Cookie header the module sends), else null
my %BA_USER = (map { ($_ => "ba-$_") } qw(alice bob));
my %BA_TOKEN = map { ($_ => lc(random_secret(24)) . $_) } keys %BA_USER;

my $ba_map = join "\n", map {
    my $u = $_;
    qq(        "~$BA_TOKEN{$u}" '{"session":{"id":"s-$u","userId":"ba-$u",)
        . qq("token":"$BA_TOKEN{$u}","expiresAt":"2999-01-01T00:00:00.000Z"},)
        . qq("user":{"id":"ba-$u","email":"$u\@example.com","emailVerified":true}}';)
} sort keys %BA_USER;

$t->write_file_expand('nginx.conf', <<"EOF")->run;
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    mastra_auth_zone catalogue:1m;

    %%ECHO_SERVER%%

    # jwt: tokens, claims, token sources
    server {
        listen 127.0.0.1:%%PORT_1%%;
        large_client_header_buffers 4 1m;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /hs/ {
            %%AUTH_PROXY%%
        }

        location /hsall/ {
            mastra_auth_algorithms HS256 HS384 HS512;
            %%AUTH_PROXY%%
        }

        location /iss/ {
            mastra_auth_issuer https://issuer.example/;
            %%AUTH_PROXY%%
        }

        location /aud/ {
            mastra_auth_audience api://mastra;
            %%AUTH_PROXY%%
        }

        location /cookie/ {
            mastra_auth_token_source cookie=session;
            %%AUTH_PROXY%%
        }
    }

    # key sets: remote, local files, presets
    server {
        listen 127.0.0.1:%%PORT_2%%;
        large_client_header_buffers 4 1m;

        mastra_auth_ca_file $CA;
        mastra_auth_jwks_timeout 2s;

        location /jwks/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri ${\ $ks->url('/main.json')};
            %%AUTH_PROXY%%
        }

        location /k6/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_uri ${\ $ks->url('/k6.json')};
            %%AUTH_PROXY%%
        }

        location /pem/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/rsa1.pem;
            %%AUTH_PROXY%%
        }

        location /ecpem/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/ec256.pem;
            %%AUTH_PROXY%%
        }

        location /mixed/ {
            mastra_auth_provider jwks;
            mastra_auth_jwks_file %%TESTDIR%%/mixed.json;
            %%AUTH_PROXY%%
        }

        location /auth0/ {
            mastra_auth_provider auth0;
            mastra_auth_domain $KSHOST;
            mastra_auth_audience $AUD0;
            %%AUTH_PROXY%%
        }

        location /clerk/ {
            mastra_auth_provider clerk;
            mastra_auth_domain $KSHOST;
            %%AUTH_PROXY%%
        }

        location /supabase/ {
            mastra_auth_provider supabase;
            mastra_auth_project $PROJECT;
            mastra_auth_jwks_uri ${\ $ks->url('/supa.json')};
            mastra_auth_secret $SUPA;
            %%AUTH_PROXY%%
        }
    }

    # routes: Mastra's default public ones, all else protected
    server {
        listen 127.0.0.1:%%PORT_3%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location / {
            mastra_auth_public /api/health;
            mastra_auth_public /api/public/*;
            %%AUTH_PROXY%%
        }
    }

    # nginx's default header buffers (4 8k)
    server {
        listen 127.0.0.1:%%PORT_4%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;
        mastra_auth_token_source header cookie=session;

        location / {
            %%AUTH_PROXY%%
        }
    }

    # a "key server" that must never be asked (jku, x5u)
    server {
        listen 127.0.0.1:%%PORT_5%%;
        access_log %%TESTDIR%%/never.log;
        location / {
            return 200 '{"keys":[]}';
        }
    }

    # Better Auth sessions, against the fake below
    server {
        listen 127.0.0.1:%%PORT_6%%;

        mastra_auth_provider        better-auth;
        mastra_auth_better_auth_url http://127.0.0.1:%%PORT_7%%;
        mastra_auth_secret          $BA;
        mastra_auth_jwks_timeout    2s;

        location / {
            %%AUTH_PROXY%%
        }
    }

    map \$http_cookie \$ba_session {
$ba_map
        default 'null';
    }

    server {
        listen 127.0.0.1:%%PORT_7%%;
        access_log %%TESTDIR%%/ba.log;

        location = /api/auth/get-session {
            default_type application/json;
            return 200 \$ba_session;
        }
    }
}
EOF

my %PORT = (jwt => 1, jwks => 2, paths => 3, small => 4, ba => 6);

###############################################################################
# token makers

my $NOW = time;
my $H = b64u('{"alg":"HS256","typ":"JWT"}');
my $P = b64u(json(claims()));
my $GOOD = sign($S, "$H.$P");

# HS* with the jwt secret, header and payload as given (JSON text or refs)
sub hs {
    my ($header, $payload, $alg) = @_;
    $header = { alg => $alg || 'HS256' } unless defined $header;
    $payload = claims() unless defined $payload;
    return craft($S, $header, $payload, alg => $alg);
}

# an HMAC token keyed with any bytes (key confusion)
sub keyed {
    my ($key, $header) = @_;
    return craft($key, $header, claims());
}

# a payload with exactly one claim replaced by raw JSON text
sub with_claim {
    my ($name, $json) = @_;
    my %c = %{ claims() };
    delete $c{$name};
    my $text = json(\%c);
    $text =~ s/\}$/,"$name":$json}/;
    return $text;
}

sub sig_of { return b64u_decode((split_token($_[0]))[2]) }

# the token with its decoded signature cut to $n bytes
sub cut_sig {
    my ($token, $n) = @_;
    return with_signature($token, substr(sig_of($token), 0, $n));
}

sub pem_pub { return $_[0]->export_key_pem('public_x509') }

# a JWS over $header with the raw signature a sub makes from the input
sub custom {
    my ($header, $sign) = @_;
    my $input = b64u(json($header)) . '.' . b64u(json(claims()));
    return "$input." . b64u($sign->($input));
}

# ECDSA P-256 group order
my $N256 = Math::BigInt->from_hex(
    'FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

sub int32 {
    my ($bi) = @_;
    my $hex = substr($bi->as_hex, 2);
    $hex = ('0' x (64 - length $hex)) . $hex;
    return pack 'H*', $hex;
}

# an X.509 certificate (DER) for the attacker's key, for the x5c header
sub attacker_cert {
    my ($pk) = @_;
    my $dir = tempdir('mastra-x5c-XXXXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $fh, '>', "$dir/k.pem" or die $!;
    print $fh $pk->export_key_pem('private');
    close $fh;
    system('openssl', 'req', '-x509', '-new', '-key', "$dir/k.pem",
        '-subj', '/CN=attacker', '-days', '1', '-outform', 'DER',
        '-out', "$dir/c.der") == 0 or die 'openssl req failed';
    open $fh, '<', "$dir/c.der" or die $!;
    binmode $fh;
    local $/;
    my $der = <$fh>;
    close $fh;
    return $der;
}

###############################################################################
# requests

# bearer(SERVER, URI, TOKEN): Authorization: Bearer TOKEN
sub bearer {
    my ($srv, $uri, $token) = @_;
    return { srv => $srv, uri => $uri,
        headers => [ Authorization => "Bearer $token" ], tokens => [$token] };
}

# hdr(SERVER, URI, [headers], [tokens to look for in the log])
sub hdr {
    my ($srv, $uri, $headers, $tokens) = @_;
    return { srv => $srv, uri => $uri, headers => $headers,
        tokens => $tokens || [] };
}

# raw(SERVER, BYTES, [tokens])
sub raw {
    my ($srv, $bytes, $tokens) = @_;
    return { srv => $srv, raw => $bytes, tokens => $tokens || [] };
}

my $INVALID = '401 invalid';
my $MALFORMED = '401 invalid token_malformed';
my $BADSIG = '401 invalid bad_signature';
my $NOTALLOWED = '401 invalid algorithm_not_allowed';
my $UNKNOWN = '401 invalid unknown_key';
my $MISSING = '401 missing token_missing';
my $OK = '200 ok -';
my $PUBLIC = '200 public -';
my $BADPATH = '400 invalid bad_path';
my $CORE400 = '400 - -';              # nginx answers before any module
my $SESSION = '401 invalid session_invalid';

my @CASES;

sub row {
    my ($group, $id, $name, $req, $expect, %o) = @_;
    push @CASES, { group => $group, id => $id, name => $name, req => $req,
        expect => $expect, %o };
}

###############################################################################
# token syntax (T1-T5)

{
    my $g = 'token syntax';
    my ($h, $p, $s) = split_token($GOOD);

    row($g, 'T1', 'baseline: a good HS256 token passes', bearer(jwt => '/hs/', $GOOD), $OK);
    row($g, 'T1', 'empty ("Bearer " and nothing)',
        raw(jwt => "GET /hs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            . "Authorization: Bearer \r\n\r\n"), $MISSING);
    row($g, 'T1', 'one part', bearer(jwt => '/hs/', $h), $MALFORMED);
    row($g, 'T1', 'two parts (h.p)', bearer(jwt => '/hs/', "$h.$p"), $MALFORMED);
    row($g, 'T1', 'four parts', bearer(jwt => '/hs/', "$GOOD.$s"), $MALFORMED);
    row($g, 'T1', 'five parts (JWE compact shape)',
        bearer(jwt => '/hs/', "$GOOD.$s.$s"), $MALFORMED);
    row($g, 'T1', 'trailing dot', bearer(jwt => '/hs/', "$GOOD."), $MALFORMED);
    row($g, 'T1', 'detached payload (h..s)',
        bearer(jwt => '/hs/', sign($S, "$h.")), $MALFORMED);
    row($g, 'T1', 'h..p.s', bearer(jwt => '/hs/', sign($S, "$h..$p")), $MALFORMED);
    row($g, 'T1', 'only dots', bearer(jwt => '/hs/', '..'), $MALFORMED);

    row($g, 'T2', 'empty signature, HS256', bearer(jwt => '/hs/', "$h.$p."),
        $MALFORMED);
    my $rs = signed($rsa1, 'RS256', claims(), kid => 'rsa1');
    my $es = signed($ec256, 'ES256', claims(), kid => 'ec256');
    row($g, 'T2', 'empty signature, RS256',
        bearer(jwks => '/jwks/', join('.', (split_token($rs))[0, 1]) . '.'), $MALFORMED);
    row($g, 'T2', 'empty signature, ES256',
        bearer(jwks => '/jwks/', join('.', (split_token($es))[0, 1]) . '.'), $MALFORMED);

    my $pad = sub { $_[0] . ('=' x ((4 - length($_[0]) % 4) % 4)) };
    my $h31 = b64u('{"alg":"HS256","x":"1"}');
    row($g, 'T3', "padding '=' on the signature",
        bearer(jwt => '/hs/', "$h.$p." . $pad->($s)), $MALFORMED);
    row($g, 'T3', "padding '=' on the header (signed over the padded bytes)",
        bearer(jwt => '/hs/', sign($S, $pad->($h31) . ".$p")), $MALFORMED);

    # the standard alphabet's "+" and "/" where base64url has "-" and "_"
    for my $c ('+', '/') {
        my ($json) = grep { encode_base64($_, '') =~ /\Q$c\E/ }
            map { json(claims(q => ('?' x $_) . '>>>???~~~')) } 0 .. 40;
        (my $std = encode_base64($json, '')) =~ s/=+$//;
        row($g, 'T3', "standard base64 '$c' in the payload",
            bearer(jwt => '/hs/', sign($S, "$h.$std")), $MALFORMED);
    }

    for my $c ('*', '!', '~', '$') {
        my $half = int(length($p) / 2);
        my $bad = substr($p, 0, $half) . $c . substr($p, $half + 1);
        row($g, 'T3', "non-alphabet byte '$c' in the payload",
            bearer(jwt => '/hs/', sign($S, "$h.$bad")), $MALFORMED);
    }

    # bytes no header can carry, through the query (percent-decoded once)
    for my $b ([ '%FF', 'byte 0xFF' ], [ '%00', 'NUL' ], [ '%20', 'space' ],
        [ '%0D%0A', 'CRLF' ])
    {
        my ($esc, $what) = @$b;
        (my $raw = $esc) =~ s/%([0-9A-F]{2})/chr hex $1/ge;
        my $half = int(length($p) / 2);
        my $tok = sign($S, "$h." . substr($p, 0, $half) . $raw . substr($p, $half));
        (my $q = $tok) =~ s/\Q$raw\E/$esc/;
        row($g, 'T3', "$what inside the payload (?apiKey=)",
            { srv => 'jwt', uri => "/hs/?apiKey=$q", tokens => [$tok, $q] }, $MALFORMED);
    }

    # same bytes, another last character (non-canonical trailing bits)
    my $alphabet = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
    my $twin = substr($s, 0, -1)
        . substr($alphabet, index($alphabet, substr($s, -1)) | 1, 1);
    row($g, 'T3', 'non-canonical last character of the signature',
        bearer(jwt => '/hs/', "$h.$p.$twin"), $MALFORMED);

    row($g, 'T4', 'header is a JSON array',
        bearer(jwt => '/hs/', sign($S, b64u('[]') . ".$p")), $MALFORMED);
    row($g, 'T4', 'bytes after the header object',
        bearer(jwt => '/hs/', sign($S, b64u('{"alg":"HS256"}x') . ".$p")), $MALFORMED);
    row($g, 'T4', 'invalid UTF-8 in the payload',
        bearer(jwt => '/hs/', sign($S, "$h." . b64u("{\"sub\":\"\xfe\xff\"}"))),
        $MALFORMED);
    row($g, 'T4', 'JWS JSON serialization',
        bearer(jwt => '/hs/', b64u(json({ protected => $h, payload => $p,
            signature => $s }))), $MALFORMED);

    my $fill = sign($S, "$h." . b64u(json(claims(fill => 'f' x 48000))));
    row($g, 'T5', '64 KB token', bearer(jwt => '/hs/', $fill), $MALFORMED,
        check => sub { cmp_ok(length $fill, '>', 64000, "$_[0]: the token is over 64 KB") });
    row($g, 'T5', '64 KB token, default header buffers: nginx answers 400 (494)',
        bearer(small => '/', $fill), $CORE400,
        deviation => 'nginx core refuses the header line before the module runs');
    row($g, 'T5', 'Bearer and 1 MB of dots', bearer(jwt => '/hs/', '.' x 1_000_000),
        $MALFORMED);
    row($g, 'T5', '100k nested arrays in the payload',
        bearer(jwt => '/hs/', sign($S, "$h." . b64u('{"sub":"a","x":'
            . ('[' x 100_000) . (']' x 100_000) . '}'))), $MALFORMED);

    # docs/security.md: at most 32 levels of nesting, the payload object being one
    my $nest = sub {
        my ($levels) = @_;
        my $c = json(claims());
        $c =~ s/\}$/,"x":${\ ('[' x ($levels - 1)) }${\ (']' x ($levels - 1)) }}/;
        return sign($S, "$h." . b64u($c));
    };
    row($g, 'T5', 'payload nested 32 levels deep passes', bearer(jwt => '/hs/', $nest->(32)),
        $OK);
    row($g, 'T5', 'payload nested 33 levels deep', bearer(jwt => '/hs/', $nest->(33)),
        $MALFORMED);
    row($g, 'T5', 'header nested 33 levels deep',
        bearer(jwt => '/hs/', sign($S, b64u('{"alg":"HS256","x":' . ('[' x 32)
            . (']' x 32) . '}') . ".$p")), $MALFORMED);
}

###############################################################################
# header (H1-H7)

{
    my $g = 'header';

    row($g, 'H1', 'alg missing', bearer(jwt => '/hsall/', hs('{"typ":"JWT"}')), $MALFORMED);
    row($g, 'H1', "alg $_->[0]", bearer(jwt => '/hsall/', hs(qq({"alg":$_->[0]}))), $_->[1])
        for [ '123', $MALFORMED ], [ 'null', $MALFORMED ], [ '["HS256"]', $MALFORMED ],
        [ '{}', $MALFORMED ], [ 'true', $MALFORMED ],
        [ '"hs256"', $NOTALLOWED ], [ '"Hs256"', $NOTALLOWED ], [ '"HS256 "', $NOTALLOWED ],
        [ '"ES256K"', $NOTALLOWED ], [ '"HS256\u0000"', $NOTALLOWED ];

    for my $none ('none', 'None', 'NONE', 'nOnE') {
        row($g, 'H2', "alg $none, HS256 signature",
            bearer(jwt => '/hsall/', hs({ alg => $none })), $NOTALLOWED);
        row($g, 'H2', "alg $none, HS256 signature, key-set location",
            bearer(jwks => '/jwks/', hs({ alg => $none })), $NOTALLOWED);
    }
    row($g, 'H2', 'alg none without a signature (h.p.)',
        bearer(jwt => '/hsall/', b64u('{"alg":"none"}') . '.' . b64u(json(claims())) . '.'),
        $MALFORMED);

    row($g, 'H3', 'duplicate alg (none, then HS256)',
        bearer(jwt => '/hs/', hs('{"alg":"none","alg":"HS256"}')), $MALFORMED);
    row($g, 'H3', 'duplicate alg (HS256 twice)',
        bearer(jwt => '/hs/', hs('{"alg":"HS256","alg":"HS256"}')), $MALFORMED);
    row($g, 'H3', 'duplicate alg, one name escaped (\u0061lg)',
        bearer(jwt => '/hs/', hs('{"alg":"HS256","\u0061lg":"none"}')), $MALFORMED);
    row($g, 'H3', 'duplicate kid',
        bearer(jwt => '/hs/', hs('{"alg":"HS256","kid":"a","kid":"b"}')), $MALFORMED);
    row($g, 'H3', 'duplicate claim (sub twice)',
        bearer(jwt => '/hs/', hs(undef, '{"sub":"a","sub":"admin","exp":'
            . ($NOW + 3600) . '}')), $MALFORMED);
    row($g, 'H3', 'duplicate claim (exp past, then future)',
        bearer(jwt => '/hs/', hs(undef, '{"sub":"a","exp":' . ($NOW - 10) . ',"exp":'
            . ($NOW + 3600) . '}')), $MALFORMED);

    row($g, 'H4', "header $_", bearer(jwt => '/hs/', hs(qq({"alg":"HS256",$_}))), $MALFORMED)
        for '"crit":["exp"]', '"crit":[]', '"crit":"b64"', '"b64":false',
        '"b64":false,"crit":["b64"]';
    # b64:false with the payload really unencoded (RFC 7797 signing input)
    {
        my $hb = b64u('{"alg":"HS256","b64":false,"crit":["b64"]}');
        my $raw = '{"sub":"x"}';
        my $mac = b64u(mac($S, "$hb.$raw"));
        row($g, 'H4', 'b64:false token as RFC 7797 builds it (h..s, detached)',
            bearer(jwt => '/hs/', "$hb..$mac"), $MALFORMED);
    }

    # H5: a key in the token never selects a key; an attacker signs with
    # the key it embeds
    my $never = 'http://127.0.0.1:' . $t->port(5) . '/jwks.json';
    my $evil_jwk = jwk($evil_rsa);
    my $cert = attacker_cert($evil_rsa);

    row($g, 'H5', 'jwk: oct key embedded, HS256 signed with it (jwt)',
        bearer(jwt => '/hs/', craft($EVIL, { alg => 'HS256',
            jwk => { kty => 'oct', k => b64u($EVIL) } }, claims())), $BADSIG);
    row($g, 'H5', 'jku: attacker URL, HS256 signed with another secret (jwt)',
        bearer(jwt => '/hs/', craft($EVIL, { alg => 'HS256', jku => $never }, claims())),
        $BADSIG);
    row($g, 'H5', 'jwk: attacker RSA key embedded, kid of a real key',
        bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), kid => 'rsa1',
            jwk => $evil_jwk)), $BADSIG);
    row($g, 'H5', 'jwk: attacker RSA key embedded, no kid',
        bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), jwk => $evil_jwk)),
        $BADSIG);
    row($g, 'H5', 'jwk: attacker EC key embedded, no kid',
        bearer(jwks => '/jwks/', signed($evil_ec, 'ES256', claims(), jwk => jwk($evil_ec))),
        $BADSIG);
    row($g, 'H5', 'jku: attacker set URL, attacker kid',
        bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), kid => 'evil-1',
            jku => $never)), $UNKNOWN);
    row($g, 'H5', 'x5u: attacker certificate URL, kid of a real key',
        bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), kid => 'rsa1',
            x5u => $never)), $BADSIG);
    row($g, 'H5', 'x5c: attacker certificate, kid of a real key',
        bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), kid => 'rsa1',
            x5c => [ encode_base64($cert, '') ])), $BADSIG);
    row($g, 'H5', 'x5c: attacker certificate, no kid (PEM location)',
        bearer(jwks => '/pem/', signed($evil_rsa, 'RS256', claims(),
            x5c => [ encode_base64($cert, '') ])), $BADSIG,
        check => sub {
            is($t->read_file('never.log'), '', "$_[0]: no jku/x5u URL was ever fetched");
        });

    # H6: kid is an opaque string; an unknown one costs at most one refetch
    # per set per 30 s
    my $h6_hits;
    my @kids = ('../../dev/null', "' OR 1=1--", "a\0b", 'http://127.0.0.1/jwks',
        "x\r\n2024/01/01 00:00:00 [alert] 1#1: forged line");
    for my $i (0 .. $#kids) {
        my $kid = $kids[$i];
        (my $shown = $kid) =~ s/([\x00-\x1f])/sprintf '\\x%02x', ord $1/ge;
        row($g, 'H6', "kid '$shown'",
            bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256', claims(), kid => $kid)),
            $UNKNOWN,
            before => $i == 0 ? sub { $h6_hits = $ks->hits('/main.json') } : undef,
            check => $i == $#kids ? sub {
                cmp_ok($ks->hits('/main.json') - $h6_hits, '<=', 1,
                    "$_[0]: five unknown kids, at most one refetch");
            } : undef);
    }
    row($g, 'H6', "kid '../../dev/null' on a jwt location (kid ignored, MAC checked)",
        bearer(jwt => '/hs/', craft($EVIL, { alg => 'HS256', kid => '../../dev/null' },
            claims())), $BADSIG);
    row($g, 'H6', 'kid of 10 KB', bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256',
        claims(), kid => 'k' x 10240)), $MALFORMED);
    row($g, 'H6', 'kid of 257 bytes', bearer(jwks => '/jwks/', signed($evil_rsa, 'RS256',
        claims(), kid => 'k' x 257)), $MALFORMED);
    row($g, 'H6', "kid $_", bearer(jwt => '/hs/', hs(qq({"alg":"HS256","kid":$_}))),
        $MALFORMED) for '123', '{}', 'null';

    row($g, 'H7', "JWE header member $_",
        bearer(jwt => '/hs/', hs(qq({"alg":"HS256",$_}))), $MALFORMED)
        for '"enc":"A256GCM"', '"zip":"DEF"', '"p2c":1000';
    {
        my $jwe = join '.', b64u('{"alg":"RSA-OAEP","enc":"A256GCM"}'),
            map { b64u(random_secret(32)) } 1 .. 4;
        row($g, 'H7', 'JWE compact token (5 parts, enc)',
            bearer(jwks => '/jwks/', $jwe), $MALFORMED);
    }
}

###############################################################################
# key confusion (K1-K8)

{
    my $g = 'key confusion';

    my %rsa_forms = (
        'PEM (SPKI)'   => $rsa1->export_key_pem('public_x509'),
        'PEM (PKCS#1)' => $rsa1->export_key_pem('public'),
        'DER (SPKI)'   => $rsa1->export_key_der('public_x509'),
        'JWK JSON'     => json($rsa1_jwk),
        'raw n'        => decode_base64url($rsa1_jwk->{n}),
    );
    for my $form (sort keys %rsa_forms) {
        row($g, 'K1', "HS256 keyed with the RSA public key ($form), kid rsa1, jwks_uri",
            bearer(jwks => '/jwks/', keyed($rsa_forms{$form}, { alg => 'HS256',
                kid => 'rsa1' })), $NOTALLOWED);
        row($g, 'K1', "HS256 keyed with the RSA public key ($form), no kid, jwks_uri",
            bearer(jwks => '/jwks/', keyed($rsa_forms{$form}, { alg => 'HS256' })),
            $NOTALLOWED);
    }
    row($g, 'K1', 'HS256 keyed with the PEM file itself, jwks_file PEM',
        bearer(jwks => '/pem/', keyed($t->read_file('rsa1.pem'), { alg => 'HS256' })),
        $NOTALLOWED);
    row($g, 'K1', 'HS256 keyed with the RSA key as DER, jwks_file PEM',
        bearer(jwks => '/pem/', keyed($rsa_forms{'DER (SPKI)'}, { alg => 'HS256' })),
        $NOTALLOWED);
    row($g, 'K1', 'HS256 keyed with the auth0 key (PEM), kid a0, auth0 preset',
        bearer(jwks => '/auth0/', keyed(pem_pub($a0), { alg => 'HS256', kid => 'a0' })),
        $NOTALLOWED);
    row($g, 'K1', 'HS256 keyed with the clerk key (JWK JSON), no kid, clerk preset',
        bearer(jwks => '/clerk/', keyed(json(jwk($a0, kid => 'a0', alg => 'RS256',
            use => 'sig')), { alg => 'HS256' })), $NOTALLOWED);
    # supabase allows HS256 (its legacy secret): the RSA key never keys an HMAC
    my %supa = (iss => $SUPA_ISS, aud => 'authenticated');
    row($g, 'K1', 'HS256 keyed with the supabase RSA key (PEM), kid s-rsa, supabase',
        bearer(jwks => '/supabase/', craft(pem_pub($s_rsa), { alg => 'HS256',
            kid => 's-rsa' }, claims(%supa))), $BADSIG);
    row($g, 'K1', 'HS256 keyed with the supabase RSA key (PEM), no kid, supabase',
        bearer(jwks => '/supabase/', craft(pem_pub($s_rsa), { alg => 'HS256' },
            claims(%supa))), $BADSIG);
    row($g, 'K1', 'control: HS256 with the supabase legacy secret passes',
        bearer(jwks => '/supabase/', craft($SUPA, { alg => 'HS256' }, claims(%supa))), $OK);

    my $ec = jwk($ec256);
    my $point = "\x04" . decode_base64url($ec->{x}) . decode_base64url($ec->{y});
    row($g, 'K2', 'HS256 keyed with the EC public point (04||x||y), kid ec256',
        bearer(jwks => '/jwks/', keyed($point, { alg => 'HS256', kid => 'ec256' })),
        $NOTALLOWED);
    row($g, 'K2', 'HS256 keyed with the EC PEM, jwks_file EC PEM',
        bearer(jwks => '/ecpem/', keyed($t->read_file('ec256.pem'), { alg => 'HS256' })),
        $NOTALLOWED);
    row($g, 'K2', 'HS256 keyed with the EC key (JWK JSON), no kid',
        bearer(jwks => '/jwks/', keyed(json($ec), { alg => 'HS256' })), $NOTALLOWED);

    row($g, 'K3', 'RS256 token naming an EC key',
        bearer(jwks => '/jwks/', signed($rsa1, 'RS256', claims(), kid => 'ec256')),
        $NOTALLOWED);
    row($g, 'K3', 'ES256 token naming an RSA key',
        bearer(jwks => '/jwks/', signed($ec256, 'ES256', claims(), kid => 'rsa1')),
        $NOTALLOWED);
    row($g, 'K3', 'ES256 token naming a P-384 key',
        bearer(jwks => '/jwks/', signed($ec256, 'ES256', claims(), kid => 'ec384')),
        $NOTALLOWED);
    row($g, 'K3', 'ES384 token naming a P-256 key',
        bearer(jwks => '/jwks/', signed($ec384, 'ES384', claims(), kid => 'ec256')),
        $NOTALLOWED);
    row($g, 'K3', 'EdDSA token naming an RSA key',
        bearer(jwks => '/jwks/', signed($ed, 'EdDSA', claims(), kid => 'rsa1')), $NOTALLOWED);
    row($g, 'K3', 'RS256 token against an EC PEM file',
        bearer(jwks => '/ecpem/', signed($rsa1, 'RS256', claims())), $NOTALLOWED);
    row($g, 'K3', 'ES256 token, auth0 preset (RS256 only), EC key of the set',
        bearer(jwks => '/auth0/', signed($a_ec, 'ES256', claims(iss => "https://$KSHOST/",
            aud => $AUD0), kid => 'a-ec')), $NOTALLOWED);

    row($g, 'K4', 'key alg RS256, token PS256 signed by that key',
        bearer(jwks => '/jwks/', signed($rsa_rs, 'PS256', claims(), kid => 'rsa-rs256')),
        $NOTALLOWED);
    row($g, 'K4', 'key alg ES512, token ES256 naming it',
        bearer(jwks => '/jwks/', signed($ec256, 'ES256', claims(), kid => 'ec521')),
        $NOTALLOWED);
    row($g, 'K4', 'HS256 keyed with the RSA PEM vs an alg-less RSA key + an oct key, no kid',
        bearer(jwks => '/mixed/', keyed(pem_pub($rsa1), { alg => 'HS256' })), $BADSIG);
    row($g, 'K4', 'HS256 keyed with the RSA PEM vs the same set, kid of the RSA key',
        bearer(jwks => '/mixed/', keyed(pem_pub($rsa1), { alg => 'HS256', kid => 'm-rsa' })),
        $NOTALLOWED);

    row($g, 'K5', 'key with use "enc" (skipped)',
        bearer(jwks => '/jwks/', signed($enc, 'ES256', claims(), kid => 'enc')), $UNKNOWN);
    row($g, 'K5', 'key with key_ops ["encrypt"] (skipped)',
        bearer(jwks => '/jwks/', signed($ko, 'ES256', claims(), kid => 'ko')), $UNKNOWN);

    row($g, 'K6', 'remote key published with d, p, q (skipped)',
        bearer(jwks => '/k6/', signed($priv, 'RS256', claims(), kid => 'priv')), $UNKNOWN);
    row($g, 'K6', 'remote kty oct (skipped), HS256 with its k',
        bearer(jwks => '/k6/', craft($OCT, { alg => 'HS256', kid => 'oct' }, claims())),
        $UNKNOWN);
    row($g, 'K6', 'remote kty oct (skipped), HS256 with its k, no kid',
        bearer(jwks => '/k6/', craft($OCT, { alg => 'HS256' }, claims())), $NOTALLOWED);
    row($g, 'K6', 'duplicate kid, the first key',
        bearer(jwks => '/k6/', signed($dup1, 'ES256', claims(), kid => 'dup')), $NOTALLOWED,
        check => sub {
            my $url = quotemeta $ks->url('/k6.json');
            is(scalar $t->grep_log(qr/\[warn\] .*mastra_auth: key set "$url": skipped kid "dup": held by more than one key/),
                $ks->hits('/k6.json'), "$_[0]: one [warn] line per fetch names the ambiguous kid");
        });
    row($g, 'K6', 'duplicate kid, the second key',
        bearer(jwks => '/k6/', signed($dup2, 'ES256', claims(), kid => 'dup')), $NOTALLOWED);
    row($g, 'K6', 'duplicate-kid key, token without a kid',
        bearer(jwks => '/k6/', signed($dup1, 'ES256', claims())), $BADSIG);

    row($g, 'K8', 'control: valid ES384 token without a kid',
        bearer(jwks => '/jwks/', signed($ec384, 'ES384', claims())), $OK);
    row($g, 'K8', 'control: alg "Ed25519" (RFC 9864) with an EdDSA key',
        bearer(jwks => '/jwks/', custom({ alg => 'Ed25519', kid => 'ed' },
            sub { $ed->sign_message($_[0]) })), $OK);
}

###############################################################################
# signatures (S1-S6): a sample of flips and cuts end to end

{
    my $g = 'signatures';

    my @algs = (
        [ HS256 => '/hsall/', undef ], [ HS384 => '/hsall/', undef ],
        [ HS512 => '/hsall/', undef ], [ RS256 => '/jwks/', $rsa1, 'rsa1' ],
        [ PS256 => '/jwks/', $rsa1, 'rsa1' ], [ ES256 => '/jwks/', $ec256, 'ec256' ],
        [ ES384 => '/jwks/', $ec384, 'ec384' ], [ ES512 => '/jwks/', $ec521, 'ec521' ],
        [ EdDSA => '/jwks/', $ed, 'ed' ],
    );

    for my $a (@algs) {
        my ($alg, $uri, $pk, $kid) = @$a;
        my $srv = $uri eq '/hsall/' ? 'jwt' : 'jwks';
        my $tok = $pk ? signed($pk, $alg, claims(), kid => $kid)
                      : mint($S, claims(), alg => $alg);
        my $bits = 8 * length sig_of($tok);
        row($g, 'S1', "$alg: control, the untouched token passes",
            bearer($srv => $uri, $tok), $OK);
        for my $bit (0, int($bits / 2) + 3, $bits - 1) {
            row($g, 'S1', "$alg: bit $bit of $bits flipped",
                bearer($srv => $uri, flip_bit($tok, $bit)), $BADSIG);
        }
        row($g, 'S1', "$alg: last byte cut", bearer($srv => $uri,
            cut_sig($tok, $bits / 8 - 1)), $BADSIG);
        row($g, 'S1', "$alg: half the signature",
            bearer($srv => $uri, cut_sig($tok, int($bits / 16))), $BADSIG);
        row($g, 'S1', "$alg: one byte appended",
            bearer($srv => $uri, with_signature($tok, sig_of($tok) . "\0")), $BADSIG);
    }

    my $hdr = { alg => 'ES256', kid => 'ec256' };
    row($g, 'S2', 'ES256 r = s = 0', bearer(jwks => '/jwks/', custom($hdr,
        sub { "\0" x 64 })), $BADSIG);
    row($g, 'S2', 'ES256 r = s = n', bearer(jwks => '/jwks/', custom($hdr,
        sub { int32($N256) x 2 })), $BADSIG);
    row($g, 'S2', 'ES256 r = s = n, a DER-encoded zero pair (MAYCAQACAQA)',
        bearer(jwks => '/jwks/', custom($hdr, sub { decode_base64url('MAYCAQACAQA') })),
        $BADSIG);
    row($g, 'S2', 'ES256 signature in DER instead of R||S',
        bearer(jwks => '/jwks/', custom($hdr, sub { $ec256->sign_message($_[0], 'SHA256') })),
        $BADSIG);
    row($g, 'S2', 'ES256 signature as 00||r||00||s (66 bytes)',
        bearer(jwks => '/jwks/', custom($hdr, sub {
            my $rs = $ec256->sign_message_rfc7518($_[0], 'SHA256');
            "\0" . substr($rs, 0, 32) . "\0" . substr($rs, 32);
        })), $BADSIG);
    row($g, 'S3', 'ES256 high-S twin of a valid signature passes',
        bearer(jwks => '/jwks/', custom($hdr, sub {
            my $rs = $ec256->sign_message_rfc7518($_[0], 'SHA256');
            my $sv = Math::BigInt->from_hex(unpack 'H*', substr($rs, 32));
            substr($rs, 0, 32) . int32($N256->copy->bsub($sv));
        })), $OK);

    my $ps = { alg => 'PS256', kid => 'rsa1' };
    for my $salt (0, 20, 64) {
        row($g, 'S4', "PS256 with a salt of $salt bytes (32 required)",
            bearer(jwks => '/jwks/', custom($ps,
                sub { $rsa1->sign_message($_[0], 'SHA256', 'pss', $salt) })), $BADSIG);
    }
    row($g, 'S4', 'control: PS256 with a 32-byte salt passes',
        bearer(jwks => '/jwks/', custom($ps,
            sub { $rsa1->sign_message($_[0], 'SHA256', 'pss', 32) })), $OK);
    row($g, 'S4', 'RS256 signature with a leading 00 (257 bytes)',
        bearer(jwks => '/jwks/', custom({ alg => 'RS256', kid => 'rsa1' },
            sub { "\0" . $rsa1->sign_message($_[0], 'SHA256', 'v1.5') })), $BADSIG);

    my $h5 = mint($S, claims());
    row($g, 'S5', 'HS256 tag truncated to 16 bytes', bearer(jwt => '/hs/', cut_sig($h5, 16)),
        $BADSIG);
    row($g, 'S5', 'HS512 tag truncated to 32 bytes (an HS256 length)',
        bearer(jwt => '/hsall/', cut_sig(mint($S, claims(), alg => 'HS512'), 32)), $BADSIG);
    row($g, 'S6', 'header HS384, MAC HS256 with the same key',
        bearer(jwt => '/hsall/', sign($S, b64u('{"alg":"HS384"}') . '.'
            . b64u(json(claims())), 'HS256')), $BADSIG);
    {
        my ($hh, undef, $ss) = split_token($h5);
        row($g, 'S6', 'payload changed, signature kept',
            bearer(jwt => '/hs/', "$hh." . b64u(json(claims(sub => 'admin'))) . ".$ss"),
            $BADSIG);
    }
}

###############################################################################
# claims (C1-C7)

{
    my $g = 'claims';

    for my $c ([ exp => '"9999999999"' ], [ exp => '"2030-01-01"' ], [ exp => 'true' ],
        [ exp => 'null' ], [ exp => '1e300' ], [ exp => '-1' ], [ exp => '[]' ],
        [ nbf => '"0"' ], [ nbf => 'false' ], [ nbf => '1e300' ],
        [ iat => '"' . $NOW . '"' ], [ iat => 'true' ], [ iat => '99999999999999999999' ])
    {
        my ($name, $v) = @$c;
        row($g, 'C3', "$name = $v", bearer(jwt => '/hs/', hs(undef, with_claim($name, $v))),
            $MALFORMED);
    }
    row($g, 'C1', 'exp = now - 1', bearer(jwt => '/hs/', hs(undef, claims(exp => $NOW - 1))),
        '401 expired token_expired');
    row($g, 'C2', 'nbf = now + 120',
        bearer(jwt => '/hs/', hs(undef, claims(nbf => $NOW + 120))),
        '401 invalid token_not_yet_valid');
    row($g, 'C4', 'iat = now + 3600',
        bearer(jwt => '/hs/', hs(undef, claims(iat => $NOW + 3600))),
        '401 invalid token_not_yet_valid');

    # configured: https://issuer.example/
    for my $iss ('https://issuer.example', 'https://issuer.example//',
        'https://issuer.example/x', 'https://issuer.exampl', 'https://issuer.example.evil/',
        'xhttps://issuer.example/', 'HTTPS://issuer.example/')
    {
        row($g, 'C5', "iss \"$iss\"", bearer(jwt => '/iss/',
            hs(undef, claims(iss => $iss))), '401 invalid issuer_mismatch');
    }
    row($g, 'C5', "iss $_", bearer(jwt => '/iss/', hs(undef, with_claim(iss => $_))),
        $MALFORMED) for '["https://issuer.example/"]', '123';
    row($g, 'C5', 'control: iss exact',
        bearer(jwt => '/iss/', hs(undef, claims(iss => 'https://issuer.example/'))), $OK);

    # configured: api://mastra
    row($g, 'C7', 'aud []', bearer(jwt => '/aud/', hs(undef, with_claim(aud => '[]'))),
        '401 invalid audience_mismatch');
    row($g, 'C7', "aud $_", bearer(jwt => '/aud/', hs(undef, with_claim(aud => $_))),
        $MALFORMED) for '[123]', '123', '["api://mastra",1]';
    row($g, 'C7', 'aud "API://mastra" (case)',
        bearer(jwt => '/aud/', hs(undef, claims(aud => 'API://mastra'))),
        '401 invalid audience_mismatch');
    row($g, 'C6', 'control: aud array holding the configured value',
        bearer(jwt => '/aud/', hs(undef, claims(aud => [ 'x', 'api://mastra' ]))), $OK);
}

###############################################################################
# transport (X1-X7)

{
    my $g = 'transport';
    my $bad = mint($EVIL, claims());

    row($g, 'X1', 'no Authorization', hdr(jwt => '/hs/', []), $MISSING);
    my $dup = mint($S, claims(sub => 'x4'));
    row($g, 'X4', 'two Authorization headers: nginx answers 400',
        hdr(jwt => '/hs/', [ Authorization => "Bearer $dup",
            Authorization => "Bearer $dup" ], [$dup]), $CORE400,
        deviation => 'the module would answer 401; nginx refuses the request first, and '
            . 'at info logs both values itself (docs/security.md, docs/answers.md)',
        core_logs => qr/\[info\] .*client sent duplicate header line: "Authorization: /);
    row($g, 'X2', 'scheme in lower case, two spaces',
        hdr(jwt => '/hs/', [ Authorization => "bearer  $GOOD" ], [$GOOD]), $OK);
    row($g, 'X2', 'scheme in upper case, six spaces',
        hdr(jwt => '/hs/', [ Authorization => "BEARER      $GOOD" ], [$GOOD]), $OK);
    row($g, 'X2', 'spaces before the scheme and after the token (nginx trims them)',
        hdr(jwt => '/hs/', [ Authorization => "   Bearer $GOOD   " ], [$GOOD]), $OK);
    row($g, 'X3', 'tab between scheme and token: no bearer credential',
        hdr(jwt => '/hs/', [ Authorization => "Bearer\t$GOOD" ], [$GOOD]), $MISSING);
    row($g, 'X3', 'no space between scheme and token',
        hdr(jwt => '/hs/', [ Authorization => "Bearer$GOOD" ], [$GOOD]), $MISSING);
    row($g, 'X3', 'a space inside the token',
        hdr(jwt => '/hs/', [ Authorization => "Bearer $GOOD x" ], [$GOOD]), $MALFORMED);
    row($g, 'X5', 'token in header (forged) and query (good): the header wins',
        { srv => 'jwt', uri => "/hs/?apiKey=$GOOD",
          headers => [ Authorization => "Bearer $bad" ], tokens => [ $bad, $GOOD ] },
        $BADSIG);
    row($g, 'X5', 'token in header (good) and query (forged): the header wins',
        { srv => 'jwt', uri => "/hs/?apiKey=$bad",
          headers => [ Authorization => "Bearer $GOOD" ], tokens => [ $bad, $GOOD ] }, $OK);
    row($g, 'X6', 'apiKey given twice',
        { srv => 'jwt', uri => "/hs/?apiKey=$GOOD&apiKey=$GOOD", tokens => [$GOOD] },
        $MALFORMED);
}

###############################################################################
# cookies (CK1-CK6): a cookie token source on the jwt provider, then Better
# Auth session cookies against a fake get-session

{
    my $g = 'cookies';
    my $bad = mint($EVIL, claims());
    my $filler = join '; ', map { sprintf 'c%03d=%s', $_, 'v' x 30 } 1 .. 220;

    row($g, 'CK1', 'jwt cookie with a bad signature',
        hdr(jwt => '/cookie/', [ Cookie => "session=$bad" ], [$bad]), $BADSIG);
    row($g, 'CK4', 'jwt cookie twice in one header (good, then bad)',
        hdr(jwt => '/cookie/', [ Cookie => "session=$GOOD; session=$bad" ], [ $GOOD, $bad ]),
        $MALFORMED);
    row($g, 'CK4', 'jwt cookie twice, in two Cookie headers',
        hdr(jwt => '/cookie/', [ Cookie => "session=$GOOD", Cookie => "session=$GOOD" ],
            [$GOOD]), $MALFORMED);
    row($g, 'CK6', 'jwt cookie name in another case (Session=)',
        hdr(jwt => '/cookie/', [ Cookie => "Session=$GOOD" ], [$GOOD]), $MISSING);
    row($g, 'CK6', '8 KB of cookies, the session last',
        hdr(jwt => '/cookie/', [ Cookie => "$filler; session=$GOOD" ], [$GOOD]), $OK,
        check => sub { cmp_ok(length $filler, '>', 8000, "$_[0]: over 8 KB of cookies") });
    row($g, 'CK6', '8 KB of cookies in two headers, default header buffers',
        hdr(small => '/', [ Cookie => substr($filler, 0, 4000) . '; x=1',
            Cookie => substr($filler, 4002) . "; session=$GOOD" ], [$GOOD]), $OK);

    my %tok = map { ($_ => signed_token($BA, $BA_TOKEN{$_})) } keys %BA_TOKEN;
    my $forged = signed_token($EVIL, $BA_TOKEN{alice});
    my $plain = 'better-auth.session_token';
    my $secure = "__Secure-$plain";

    row($g, 'CK1', 'Better Auth cookie with a bad signature (no call)',
        hdr(ba => '/', [ Cookie => "$plain=" . pct($forged) ], [$forged]), $SESSION,
        calls => 0);
    row($g, 'CK1', 'Better Auth bearer token with a bad signature (no call)',
        bearer(ba => '/', $forged), $SESSION, calls => 0);
    row($g, 'CK2', 'Better Auth signature of 43 characters (no call)',
        hdr(ba => '/', [ Cookie => "$plain=" . pct(substr($tok{alice}, 0, -1)) ],
            [ $tok{alice} ]), $SESSION, calls => 0);
    row($g, 'CK1', 'control: a good Better Auth session cookie passes (one call)',
        hdr(ba => '/', [ Cookie => "$plain=" . pct($tok{alice}) ], [ $tok{alice} ]), $OK,
        calls => 1, user => 'ba-alice');
    row($g, 'CK4', 'Better Auth cookie twice (good, then forged; no call)',
        hdr(ba => '/', [ Cookie => "$plain=" . pct($tok{alice}) . "; $plain=" . pct($forged) ],
            [ $tok{alice}, $forged ]), $MALFORMED, calls => 0);
    row($g, 'CK5', '__Secure- forged, plain good: no fallback (no call)',
        hdr(ba => '/', [ Cookie => "$secure=" . pct($forged) . "; $plain=" . pct($tok{alice}) ],
            [ $tok{alice}, $forged ]), $SESSION, calls => 0);
    row($g, 'CK5', '__Secure- and plain, both good: __Secure- wins',
        hdr(ba => '/', [ Cookie => "$plain=" . pct($tok{alice}) . "; $secure=" . pct($tok{bob}) ],
            [ $tok{alice}, $tok{bob} ]), $OK, calls => 1, user => 'ba-bob');
    row($g, 'CK6', 'Better-Auth.session_token (case): no token',
        hdr(ba => '/', [ Cookie => "Better-Auth.session_token=" . pct($tok{alice}) ],
            [ $tok{alice} ]), $MISSING, calls => 0);
    row($g, 'CK6', 'Better Auth session after 8 KB of cookies in two headers (cached: no call)',
        hdr(ba => '/', [ Cookie => substr($filler, 0, 4000),
            Cookie => substr($filler, 4002) . "; $plain=" . pct($tok{alice}) ], [ $tok{alice} ]),
        $OK, calls => 0, user => 'ba-alice');
    my $first = mint($S, claims(sub => 'ck6'));
    row($g, 'CK6', 'one Cookie header over 8 KB, the session first: nginx answers 400 (494)',
        hdr(small => '/', [ Cookie => "session=$first; $filler" ], [$first]), $CORE400,
        deviation => 'nginx refuses the header line before the module runs, and at info '
            . 'quotes its first 2 KB (docs/answers.md)',
        core_logs => qr/\[info\] .*client sent too long header line: "Cookie: session=/);
}

###############################################################################
# paths (P1-P9): public /api/health and /api/public/*, all else protected

{
    my $g = 'paths';
    my $p = sub { my ($uri, @o) = @_; return { srv => 'paths', uri => $uri, @o } };

    row($g, 'P1', '/api/health (public)', $p->('/api/health'), $PUBLIC);
    row($g, 'P1', '/API/HEALTH: matching ignores case',
        $p->('/API/HEALTH'), $PUBLIC,
        deviation => 'an exact matcher would answer 401 (missing); Mastra\'s matches '
            . 'case-insensitively (docs/routes-and-rules.md)');
    row($g, 'P1', '/api/health/: one trailing slash ignored', $p->('/api/health/'), $PUBLIC,
        deviation => 'an exact matcher would answer 401 (missing); Mastra\'s ignores '
            . 'one trailing slash (docs/routes-and-rules.md)');
    row($g, 'P1', '/api/health;x: ";" is part of the segment', $p->('/api/health;x'),
        $MISSING);
    row($g, 'P2', '/api/x/../health: dot segments resolved', $p->('/api/x/../health'),
        $PUBLIC);
    row($g, 'P2', '//api//health: slashes merged', $p->('//api//health'), $PUBLIC);
    row($g, 'P3', '/api/health/../agents', $p->('/api/health/../agents'), $MISSING);
    row($g, 'P3', '/api/public/%2e%2e/agents', $p->('/api/public/%2e%2e/agents'), $MISSING);
    row($g, 'P3', '/api/public;/../agents', $p->('/api/public;/../agents'), $MISSING);
    row($g, 'P3', '/api/health%2F..%2Fagents', $p->('/api/health%2F..%2Fagents'), $BADPATH);
    row($g, 'P3', '/api/public/a%2fb (lower-case escape)', $p->('/api/public/a%2fb'),
        $BADPATH);
    row($g, 'P3', '/api/agents%2F with a valid token',
        { %{ bearer(paths => '/api/agents%2F', $GOOD) } }, $BADPATH);
    row($g, 'P4', '/api/public/..\\agents (raw backslash)',
        $p->('/api/public/..\\agents'), $BADPATH);
    row($g, 'P4', '/api/public/..%5Cagents', $p->('/api/public/..%5Cagents'), $BADPATH);
    row($g, 'P4', '//-then-.. (/api/agents//../public/x) while slashes merge',
        $p->('/api/agents//../public/x'), $BADPATH);
    row($g, 'P8', '/api/agents#/../health', $p->('/api/agents#/../health'), $MISSING);
    row($g, 'P8', '/api/public/x%23/../../agents', $p->('/api/public/x%23/../../agents'),
        $MISSING);
    row($g, 'P8', '/api/agents?x=/api/health: the query takes no part',
        $p->('/api/agents?x=/api/health'), $MISSING);
    row($g, 'P9', '/api/health%00: nginx answers 400', $p->('/api/health%00'), $CORE400,
        deviation => 'nginx refuses %00 itself (docs/routes-and-rules.md "Paths")');
    row($g, 'P9', '/api/public/x%00y with a valid token: nginx answers 400',
        bearer(paths => '/api/public/x%00y', $GOOD), $CORE400,
        deviation => 'nginx refuses %00 itself (docs/routes-and-rules.md "Paths")');
    my $q = mint($S, claims(sub => 'p9'));
    row($g, 'P9', '/api/health%00?apiKey=TOKEN: nginx answers 400',
        { srv => 'paths', uri => "/api/health%00?apiKey=$q", tokens => [$q] }, $CORE400,
        deviation => 'nginx refuses %00 itself, and at info logs the request line with '
            . 'its query (docs/routes-and-rules.md, docs/answers.md)',
        core_logs => qr/\[info\] .*client sent invalid request while reading client request line.* request: "GET \/api\/health%00\?apiKey=/);
}

###############################################################################
# the run

sub calls_now {
    return scalar grep { m{/api/auth/get-session} } split /\n/, $t->read_file('ba.log');
}

my %groups;
$groups{ $_->{group} }++ for @CASES;
note(sprintf '%d catalogue cases: %s', scalar @CASES,
    join ', ', map { "$_ $groups{$_}" } sort keys %groups);

for my $c (@CASES) {
    my $label = "[$c->{group}] $c->{id} $c->{name}";
    $label .= " (deviation: $c->{deviation})" if $c->{deviation};

    $c->{before}->() if $c->{before};

    my $offset = length $t->error_log;
    my $calls = calls_now();
    my $req = $c->{req};
    my $port = $PORT{ $req->{srv} } or die "no server $req->{srv}";

    my $r = defined $req->{raw}
        ? $t->http($req->{raw}, port => $port)
        : $t->request(method => $req->{method} || 'GET', uri => $req->{uri},
            headers => $req->{headers} || [], port => $port);

    is($r->outcome(3), $c->{expect}, "$label: $c->{expect}") or diag($r->raw =~ s/\r\n\r\n.*//sr);

    my $log = substr $t->error_log, $offset;
    my @bad = grep { /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(?:alert|crit|emerg)\]/ }
        split /\n/, $log;
    ok(!@bad, "$label: no [alert], [crit] or [emerg]") or diag(join "\n", @bad);

    # the row's tokens, and every secret; where nginx itself logs a token
    # (core_logs), only in that nginx line, never in one of ours
    my $all = $t->error_log;
    my @lines = split /\n/, $all;
    my @leaks;
    for my $s (@{ $req->{tokens} || [] }, @SECRETS) {
        next unless length($s) >= 8;
        my @where = grep { index($_, $s) >= 0 } @lines;
        @where = grep { !/$c->{core_logs}/ || /mastra_auth/ } @where if $c->{core_logs};
        push @leaks, $s if @where;
    }
    ok(!@leaks, "$label: no token or secret in error.log"
        . ($c->{core_logs} ? ' but for the nginx line' : ''))
        or diag('found: ' . substr($leaks[0], 0, 60) . '...');
    if ($c->{core_logs}) {
        ok(scalar(grep { /$c->{core_logs}/ } split /\n/, $log),
            "$label: deviation asserted: nginx itself logged it");
    }

    my (undef, undef, $reason) = split / /, $c->{expect};
    if ($reason ne '-' && $c->{expect} !~ /^400 - /) {
        my @lines = grep { /mastra_auth: refused request: reason "\Q$reason\E"/ }
            split /\n/, $log;
        is(scalar @lines, 1, "$label: one refusal line names $reason");
    }

    if (defined $c->{calls}) {
        is(calls_now() - $calls, $c->{calls}, "$label: get-session asked $c->{calls} time(s)");
    }
    if (defined $c->{user}) {
        is($r->echo->{user}, $c->{user}, "$label: user $c->{user}");
    }

    $c->{check}->($label) if $c->{check};
}

$t->finish;

note(sprintf 'catalogue: %d named cases in %d groups', scalar @CASES, scalar keys %groups);

done_testing;
