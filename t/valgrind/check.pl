#!/usr/bin/perl
# Reads the memcheck logs of ./build.sh valgrind (one per nginx process) and
# fails on any memory error (invalid read/write/free, uninitialised value,
# bad syscall argument, overlap) and on any definite leak whose stack holds
# our code (the shim or the core).  Definite leaks of nginx's own are
# counted and shown, not failed on.
#
#   perl t/valgrind/check.pl build/valgrind/valgrind.*.log

use strict;
use warnings;

my $OURS = qr{mastra_auth|\bma_[a-z_]+\b|src/core/|libmastra};
my $ERROR = qr{^(?:Invalid\ (?:read|write|free)|Mismatched\ free|Conditional\ jump|
    Use\ of\ uninitialised|Syscall\ param|Source\ and\ destination\ overlap|
    Argument\ '[^']*'\ of\ function|Process\ terminating)}x;

my ($processes, $errors, $ours, $theirs) = (0, 0, 0, 0);
my @shown;

for my $file (@ARGV) {
    open my $fh, '<', $file or die "$file: $!\n";
    my (@blocks, @block, $command);
    while (my $line = <$fh>) {
        next unless $line =~ s/^==\d+== ?//;
        chomp $line;
        $command = $1 if $line =~ /^Command: (.*)/;
        if ($line eq '') {
            push @blocks, [@block] if @block;
            @block = ();
        } else {
            push @block, $line;
        }
    }
    push @blocks, [@block] if @block;
    close $fh;
    $processes++;

    for my $b (@blocks) {
        my $text = join "\n", @$b;
        if ($b->[0] =~ $ERROR) {
            $errors++;
            push @shown, "$file ($command):\n$text";
        } elsif ($b->[0] =~ /are definitely lost in loss record/) {
            if ($text =~ $OURS) {
                $ours++;
                push @shown, "$file ($command):\n$text";
            } else {
                $theirs++;
                print "nginx's own definite leak, $file:\n$text\n\n" if $ENV{VERBOSE};
            }
        }
    }
}

print "$_\n\n" for @shown;
printf "valgrind: %d processes, %d memory errors, %d definite leaks from our code, "
    . "%d from nginx or libraries\n", $processes, $errors, $ours, $theirs;
exit(($errors || $ours || !$processes) ? 1 : 0);
