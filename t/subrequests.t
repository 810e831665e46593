#!/usr/bin/perl

# nginx-mastra-auth: subrequests are not checked again (docs/installing.md), an
# internal redirect runs the check of the location it lands in.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Mastra::Nginx;
use Mastra::Token qw(:all);

my $S = random_secret(32);

my $t = Mastra::Nginx->new;

mkdir $t->testdir . '/html';
mkdir $t->testdir . '/html/ssi';
$t->write_file('html/ssi/page.html',
    "before\n<!--#include virtual=\"/secret/data\" -->after\n");

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

        # the main request is checked; its auth_request subrequest goes to a
        # location whose claim the token fails: checked again, it would 403
        location /main/ {
            auth_request /authcheck;
            %%AUTH_PROXY%%
        }

        location = /authcheck {
            internal;
            mastra_auth_claim role = admin;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_pass http://127.0.0.1:%%PORT_9%%/authcheck;
        }

        location /ssi/ {
            mastra_auth_public /ssi/*;
            ssi on;
            root %%TESTDIR%%/html;
        }

        location /secret/ {
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }

        location /redir/ {
            mastra_auth_provider off;
            rewrite ^/redir/(.*)\$ /secret/\$1 last;
        }

        location /tryfiles/ {
            mastra_auth_provider off;
            root %%TESTDIR%%/html;
            try_files \$uri \@protected;
        }

        location \@protected {
            mastra_auth_claim role = admin;
            %%AUTH_PROXY%%
        }
    }
}
EOF

my $user = mint($S, claims(role => 'user'));
my $admin = mint($S, claims(role => 'admin'));

sub req {
    my ($uri, $token) = @_;
    return $t->get($uri, $token ? (Authorization => "Bearer $token") : ());
}

# auth_request
is(req('/main/x', $user)->status, 200,
    'auth_request subrequest not checked again');
is(req('/main/x')->status, 401, 'auth_request location: main request checked');
is(req('/main/x', mint(random_secret(32), claims()))->status, 401,
    'auth_request location: bad token refused');

# SSI include of a protected location from a public page
my $r = req('/ssi/page.html');
is($r->status, 200, 'SSI page is public');
like($r->body, qr/^before\nbackend=echo\n.*after\n\z/s,
    'SSI include subrequest not checked again');
is(req('/secret/data')->status, 401, 'the included location is protected');
is(req('/secret/data', $user)->status, 403, 'the included location checks claims');

# internal redirects land in a checked location
is(req('/redir/data')->status, 401, 'rewrite ... last: checked, no token');
is(req('/redir/data', $user)->status, 403, 'rewrite ... last: claim checked');
is(req('/redir/data', $admin)->status, 200, 'rewrite ... last: valid token');
is(req('/tryfiles/none')->status, 401, 'try_files to a named location: checked');
is(req('/tryfiles/none', $admin)->status, 200,
    'try_files to a named location: valid token');

$t->finish;

done_testing;
