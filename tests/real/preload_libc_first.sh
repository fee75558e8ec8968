# A script that puts libc.so.6 itself in front of LD_PRELOAD (LD_PRELOAD=libc.so.6:$LD_PRELOAD):
# the program it starts must still run, with its own output and status, and memplumber says it
# sees nothing there (libc's malloc takes the calls) instead of stopping the program with
# "cannot find the real malloc/free" and status 2.
. "$(dirname "$0")/_lib.sh"
need ldd
need sed
LIBC=$(ldd /bin/sh | sed -n 's/.*=> \(\/[^ ]*libc\.so\.6\) .*/\1/p' | head -n 1)
[ -n "$LIBC" ] || skip "ldd does not list libc.so.6 for /bin/sh"
script='LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" sh -c "echo from the child; exit 3"; echo "status $?"'
native=$(bash -c "$script" "$LIBC" 2>&1)
mp=$("$MEMPLUMBER" --json "$WORK/r.%p.json" -- bash -c "$script" "$LIBC" 2>"$WORK/mp.err")
[ "$native" = "from the child
status 3" ] || fail "native run printed: $native"
[ "$mp" = "$native" ] || { cat "$WORK/mp.err" | grep -v '^==' | head -5; fail "under memplumber: '$mp', natively: '$native'"; }
grep -q "cannot find the real" "$WORK/mp.err" && fail "memplumber stopped the child: $(grep -m1 'cannot find' "$WORK/mp.err")"
grep -q "malloc in this process is libc.so.6's" "$WORK/mp.err" || fail "no warning that libc.so.6 comes first: $(grep -v '^==' "$WORK/mp.err" | head -3)"
exit 0
