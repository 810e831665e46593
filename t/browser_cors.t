#!/usr/bin/perl

# nginx-mastra-auth: CORS in a real browser.  Headless Chromium loads a page
# from one origin (a server block of this nginx) whose script fetch()es the
# API on another origin (another port) and writes what it read into the
# page; the test reads the page Chromium dumps (docs/answers.md, CORS).
# The credentialed case uses a session of the real Better Auth fixture
# (skipped, with the reason, when t/fixtures/better-auth is not installed).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);
use Mastra::BetterAuth;

my ($chromium) = grep { -x } map { "$_/chromium" } split /:/, $ENV{PATH};
plan(skip_all => 'chromium is not installed (Debian package "chromium"; '
    . './build.sh installs it)') unless $chromium;

my $S = random_secret(32);

my $t = Mastra::Nginx->new;
my $dir = $t->testdir;

mkdir "$dir/html";

# Better Auth's session cookie, sent by the browser with credentials
my $ba = Mastra::BetterAuth->missing ? undef
    : Mastra::BetterAuth->new(secret => $S);
my $session = $ba ? $ba->sign_up('browser@example.com', 'password1234', 'Bea')
    : undef;
my $ba_locations = !$ba ? '' : <<"EOF";
        location /ba/ {
            mastra_auth_provider better-auth;
            mastra_auth_better_auth_url ${\ $ba->url};
            proxy_set_header X-User \$mastra_auth_email;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location = /login {
            add_header Access-Control-Allow-Origin \$http_origin always;
            add_header Access-Control-Allow-Credentials true always;
            add_header Set-Cookie "$session->{cookie_name}=$session->{cookie}; Path=/; HttpOnly; SameSite=Lax";
            return 204;
        }
EOF

# the upstream: answers as Mastra would (its own CORS headers, its own
# preflights), and logs every method it sees
$t->write_file_expand('nginx.conf', <<"EOF");
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    log_format methods '\$request_method \$request_uri';

    server {
        listen 127.0.0.1:%%PORT_1%%;
        root %%TESTDIR%%/html;
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /api/ {
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /off/ {
            mastra_auth_cors off;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

        location /answer/ {
            mastra_auth_preflight answer;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }

$ba_locations
    }

    server {
        listen 127.0.0.1:%%PORT_9%%;
        access_log %%TESTDIR%%/upstream.log methods;

        add_header Access-Control-Allow-Origin \$http_origin always;
        add_header Access-Control-Allow-Credentials true always;

        location / {
            if (\$request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin \$http_origin always;
                add_header Access-Control-Allow-Headers "Authorization"
                    always;
                return 204;
            }

            default_type application/json;
            return 200 '{"agents":["weather"],"user":"\$http_x_user"}';
        }
    }
}
EOF

$t->run;

my $api = 'http://127.0.0.1:' . $t->port(2);
my $page = 'http://127.0.0.1:' . $t->port(1);
my $admin = mint($S, claims());

# a page whose script fetches $url with $init and writes what it read
sub page {
    my ($name, $url, $init, $before) = @_;
    my $init_js = JSON::PP->new->canonical->encode($init || {});
    $before = $before ? "fetch('$before', { credentials: 'include' }).then(() =>" : '(';

    $t->write_file("html/$name.html", <<"EOF");
<!DOCTYPE html>
<html><body><pre id="out">pending</pre>
<script>
const out = document.getElementById('out');
$before fetch('$url', $init_js))
  .then(async (r) => {
    const body = await r.text();
    out.textContent = JSON.stringify({ status: r.status, body: body,
      www: r.headers.get('WWW-Authenticate') });
  })
  .catch((e) => { out.textContent = JSON.stringify({ rejected: String(e) }); });
</script>
</body></html>
EOF
}

# what the script of page $name wrote, as a hash
sub browse {
    my ($name) = @_;
    my $profile = tempdir(CLEANUP => 1);

    my @cmd = ('timeout', '60', $chromium, '--headless', '--no-sandbox',
        '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update',
        '--disable-sync', "--user-data-dir=$profile",
        '--virtual-time-budget=10000', '--dump-dom', "$page/$name.html");

    open(my $fh, '-|', join(' ', map { "'$_'" } @cmd) . " 2>$dir/chromium.log")
        or die "cannot run chromium: $!";
    my $dom = do { local $/; <$fh> };
    close $fh;

    my ($text) = ($dom // '') =~ m{<pre id="out">(.*?)</pre>}s;
    return { dom => $dom } unless defined $text;

    $text =~ s/&lt;/</g;
    $text =~ s/&gt;/>/g;
    $text =~ s/&quot;/"/g;
    $text =~ s/&amp;/&/g;

    my $got = eval { decode_json($text) };
    return $got || { text => $text };
}

sub show { return JSON::PP->new->canonical->encode($_[0]) }

###############################################################################

page('notoken', "$api/api/agents");
my $r = browse('notoken');
is($r->{status}, 401, 'no token: the script reads 401') or diag(show($r));
is($r->{body}, '{"error":"Authentication required"}',
    'no token: the script reads the JSON body');
is($r->{www}, 'Bearer realm="mastra"',
    'no token: the script reads WWW-Authenticate');

page('token', "$api/api/agents",
    { headers => { Authorization => "Bearer $admin" } });
$r = browse('token');
is($r->{status}, 200, 'valid token: 200') or diag(show($r));
like($r->{body} // '', qr/"agents":\["weather"\]/,
    'valid token: the script reads the upstream\'s answer');

page('off', "$api/off/agents");
$r = browse('off');
ok(defined $r->{rejected}, 'cors off: fetch rejects') or diag(show($r));
like($r->{rejected} // '', qr/TypeError/, 'cors off: a network error');

page('badtoken', "$api/api/agents",
    { headers => { Authorization => 'Bearer x.y.z' } });
$r = browse('badtoken');
is(($r->{status} // '-') . ' ' . ($r->{www} // '-'),
    '401 Bearer realm="mastra", error="invalid_token"',
    'invalid token after the upstream\'s preflight: the 401 is readable')
    or diag(show($r));

page('answer', "$api/answer/agents",
    { headers => { Authorization => "Bearer $admin" } });
$r = browse('answer');
is($r->{status}, 200, 'preflight answer: the fetch with Authorization succeeds')
    or diag(show($r));
like($r->{body} // '', qr/"agents"/, 'preflight answer: the upstream answered');

SKIP: {
    skip(Mastra::BetterAuth->missing, 4) unless $ba;

    page('bacookie', "$api/ba/agents", { credentials => 'include' },
        "$api/login");
    $r = browse('bacookie');
    is($r->{status}, 200, 'Better Auth session cookie, credentials include: 200')
        or diag(show($r));
    like($r->{body} // '', qr/"user":"browser\@example.com"/,
        'Better Auth: the upstream answered for the signed-in user');

    page('banocookie', "$api/ba/agents", { credentials => 'include' });
    $r = browse('banocookie');
    is($r->{status}, 401, 'Better Auth without the cookie: 401 is readable')
        or diag(show($r));
    is($r->{body}, '{"error":"Authentication required"}',
        'Better Auth without the cookie: the JSON body');
}

my $log = $t->read_file('upstream.log');
like($log, qr{^OPTIONS /api/agents$}m,
    'preflight pass: the upstream saw the OPTIONS (the log shows them)');
like($log, qr{^GET /answer/agents$}m, 'preflight answer: the GET reached it');
unlike($log, qr{^OPTIONS /answer/}m,
    'preflight answer: the upstream saw no OPTIONS');

done_testing();
