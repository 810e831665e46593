#!/usr/bin/perl

# nginx-mastra-auth: the manual says what the code does.  Every directive
# of the module's command tables appears in docs/directives.md under its own
# heading with Syntax, Default and Context lines, the Syntax naming the
# directive and the Context matching the command's context flags
# (NGX_HTTP_MASTRA_AUTH_CONF: http, server, location; NGX_HTTP_MAIN_CONF
# alone: http); every variable of the variables table (prefix variables as
# $mastra_auth_claim_NAME) appears in docs/variables.md; every
# conf-examples/*.conf is named in docs/ or README.md.  The sources are
# parsed here, so a directive or variable added without its documentation
# fails this test.  No nginx is needed.

use strict;
use warnings;

use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "cannot read $path: $!";
    local $/;
    return scalar <$fh>;
}

# The command tables: each ngx_command_t array's entries of the form
#   { ngx_string("mastra_auth_NAME"),
#     FLAGS|NGX_CONF_...,
my %directives;

for my $file (glob "$root/src/ngx_http_mastra_auth_*.c") {
    my $src = slurp($file);

    while ($src =~ /ngx_command_t\s+\w+\[\]\s*=\s*\{(.*?)\n\};/sg) {
        my $table = $1;

        while ($table =~ /\{\s*ngx_string\("(mastra_auth_\w+)"\),\s*([^,]+),/sg)
        {
            my ($name, $flags) = ($1, $2);
            my @ctx;

            if ($flags =~ /NGX_HTTP_MASTRA_AUTH_CONF/) {
                @ctx = qw(http server location);

            } else {
                push @ctx, 'http' if $flags =~ /NGX_HTTP_MAIN_CONF/;
                push @ctx, 'server' if $flags =~ /NGX_HTTP_SRV_CONF/;
                push @ctx, 'location' if $flags =~ /NGX_HTTP_LOC_CONF/;
            }

            $directives{$name} = join ', ', @ctx;
        }
    }
}

# A parser that finds nothing would pass everything below.
cmp_ok(scalar keys %directives, '>=', 30, 'command tables parsed')
    or diag('found: ' . join(' ', sort keys %directives));
is($directives{mastra_auth_zone}, 'http', 'mastra_auth_zone is http only');
is($directives{mastra_auth_provider}, 'http, server, location',
   'mastra_auth_provider is everywhere');

# docs/directives.md: one "## NAME" section per directive, holding
#   Syntax:  NAME ...;
#   Default: ...
#   Context: ...
my $manual = slurp("$root/docs/directives.md");
my %section;

for my $part (split /^(?=## )/m, $manual) {
    $section{$1} = $part if $part =~ /\A## (mastra_auth_\w+)\s*\n/;
}

for my $name (sort keys %directives) {
    my $text = $section{$name};

    ok(defined $text, "$name has a section in docs/directives.md") or next;

    like($text, qr/^Syntax:\s+\Q$name\E\b.*;/m, "$name: Syntax");
    like($text, qr/^Default:\s+\S/m, "$name: Default");

    my ($ctx) = $text =~ /^Context:\s+(.*?)\s*$/m;
    is($ctx, $directives{$name}, "$name: Context matches the flags");
}

for my $name (sort keys %section) {
    ok(exists $directives{$name}, "documented $name exists in the code");
}

# The variables table of the variables source: plain names, and prefix
# names given through a macro (NGX_HTTP_VAR_PREFIX) as $PREFIXNAME.
my $vsrc = slurp("$root/src/ngx_http_mastra_auth_variables.c");
my %macro = $vsrc =~ /#define\s+(\w+)\s+"([^"]+)"/g;
my ($vtable) = $vsrc =~
    /ngx_http_variable_t\s+ngx_http_mastra_auth_vars\[\]\s*=\s*\{(.*?)\n\};/s;

ok(defined $vtable, 'variables table found') or $vtable = '';

my @variables;

while ($vtable =~ /\{\s*ngx_string\(("?)(\w+)"?\),.*?\}/sg) {
    my ($quoted, $name, $entry) = ($1, $2, $&);

    $name = $macro{$name} // die "unknown macro $name" unless $quoted;
    $name .= 'NAME' if $entry =~ /NGX_HTTP_VAR_PREFIX/;
    push @variables, $name;
}

cmp_ok(scalar @variables, '>=', 10, 'variables parsed')
    or diag("found: @variables");
ok((grep { $_ eq 'mastra_auth_claim_NAME' } @variables),
   'prefix variables are seen');

my $vdoc = slurp("$root/docs/variables.md");

for my $name (@variables) {
    like($vdoc, qr/`\$\Q$name\E`/, "\$$name in docs/variables.md");
}

# Every example configuration is referenced from the manual or README.
my $docs = join '', map { slurp($_) } "$root/README.md",
                                      glob "$root/docs/*.md";
my @examples = map { m{([^/]+\.conf)$} } glob "$root/conf-examples/*.conf";

ok(@examples, 'conf-examples/ holds examples');

for my $example (@examples) {
    like($docs, qr{conf-examples/\Q$example\E}, "$example is referenced");
}

done_testing();
