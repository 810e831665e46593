#!/usr/bin/perl

# nginx-mastra-auth: passing a request on without the credential nginx
# consumed.  $mastra_auth_args is $args without the token parameters of
# mastra_auth_token_source (Mastra's ?apiKey=), as sent or percent-encoded;
# $mastra_auth_uri is the normalized path escaped as proxy_pass escapes it,
# then "?" and $mastra_auth_args when there are any, for
# "proxy_pass http://upstream$mastra_auth_uri;".

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

    server {
        listen 127.0.0.1:%%PORT_9%%;
        location / {
            return 200 "request_uri=\$request_uri\\nargs=\$http_x_args\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;

        mastra_auth_provider jwt;
        mastra_auth_secret $S;

        location /api/ {
            mastra_auth_public /api/open;
            proxy_set_header X-Args \$mastra_auth_args;
            proxy_pass http://127.0.0.1:%%PORT_9%%\$mastra_auth_uri;
        }

        location /named/ {
            mastra_auth_token_source header query=token;
            proxy_set_header X-Args \$mastra_auth_args;
            proxy_pass http://127.0.0.1:%%PORT_9%%\$mastra_auth_uri;
        }
    }
}
EOF

my $tok = mint($S, claims());

sub seen {
    my ($uri, @h) = @_;
    my $r = $t->get($uri, @h);
    return $r->status . ' ' . ($r->echo->{request_uri} // '') . ' [' . ($r->echo->{args} // '') . ']';
}

is(seen("/api/x?apiKey=$tok&a=1&b=2"), '200 /api/x?a=1&b=2 [a=1&b=2]',
    '?apiKey= removed, the other arguments kept in order');
is(seen("/api/x?a=1&apiKey=$tok"), '200 /api/x?a=1 [a=1]', '?apiKey= last');
is(seen("/api/x?apiKey=$tok"), '200 /api/x []', 'only ?apiKey=: no "?" left');
is(seen('/api/x?a=1', Authorization => "Bearer $tok"), '200 /api/x?a=1 [a=1]',
    'a header token: the arguments unchanged');
is(seen('/api/x', Authorization => "Bearer $tok"), '200 /api/x []',
    'no arguments: no "?"');
is(seen("/api/x?a=1&api%4Bey=junk", Authorization => "Bearer $tok"),
    '200 /api/x?a=1 [a=1]', 'an encoded apiKey name is removed too');
is(seen("/api/x?apikey=1&apiKeyX=2", Authorization => "Bearer $tok"),
    '200 /api/x?apikey=1&apiKeyX=2 [apikey=1&apiKeyX=2]',
    'other names (another case, a longer name) are kept');
is(seen("/api/a%20b/c%3Fd?q=%20x", Authorization => "Bearer $tok"),
    '200 /api/a%20b/c%3Fd?q=%20x [q=%20x]',
    'the path is escaped again: an encoded "?" stays in the path');
is(seen('/api/x/../y?apiKey=junk&z'), '401  []',
    'a protected route refuses the bad token');
is(seen('/api/open?apiKey=junk&z=1'), '200 /api/open?z=1 [z=1]',
    'a public route: a token that was not taken is removed as well');

is(seen("/named/x?token=$tok&apiKey=keep"), '200 /named/x?apiKey=keep [apiKey=keep]',
    'query=token: the configured name is removed, apiKey is kept');

$t->finish;

done_testing;
