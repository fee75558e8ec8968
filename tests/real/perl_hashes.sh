# A perl one-liner building and walking hashes under memplumber.
. "$(dirname "$0")/_lib.sh"
need perl
compare_run perl_hashes perl -e '
    my %h; $h{"k$_"} = { n => $_, sq => $_ * $_ } for 1 .. 50000;
    my $s = 0; $s += $h{$_}{sq} for keys %h;
    delete $h{"k$_"} for 1 .. 25000;
    my %count; $count{length $_}++ for keys %h;
    print "$s ", scalar(keys %h), " ", join(",", map { "$_=$count{$_}" } sort keys %count), "\n";
' || exit 1
