#!/bin/bash
# `memplumber report PID` by root on a daemon that switched to the user nobody after start
# (tests/integration/live_setuid.c). The command creates the --json/--html/--pprof files and hands
# them over; the process must write to those descriptors, not reopen them through /proc/self/fd
# (which fails once the process is nobody's: "cannot write JSON report to '/proc/self/fd/4':
# Permission denied"). The reports count its 55 bytes lost; it exits 0 with its own output.
# (--report-thread=yes: it allocates too rarely to take a request up itself, and sleeps.)
# Then a daemon that chroots: its report without symbols, and the reason on its stderr.
# Needs root and a user nobody (else skipped). Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
    echo "skip: needs root and a user nobody"
    exit 77
fi
cc -O1 -g -o "$T/daemon" tests/integration/live_setuid.c || exit 1
chmod 755 "$T"
# The daemon loads the report library after it became nobody: from a checkout nobody cannot read
# (a clone in a private directory) it could give neither symbols nor JSON. The command and both
# libraries are run from a copy in the test's directory, which nobody can read.
mkdir "$T/bin" && cp "$ROOT/build/memplumber" "$ROOT/build/libmemplumber.so" \
    "$ROOT/build/libmemplumber-report.so" "$T/bin/" && chmod 755 "$T/bin" "$T/bin/"* || exit 1
MP=$T/bin/memplumber
mkdir "$T/run" && chmod 777 "$T/run"
rm -f "$T/ready"
"$MP" --report-on-exit=no --report-thread=yes -- "$T/daemon" "$T/run/ready" "$T/run/stop" >"$T/d.out" 2>"$T/d.err" &
MPPID=$!
for _ in $(seq 1 200); do
    [ -s "$T/run/ready" ] && break
    sleep 0.05
done
PID=$(pgrep -P "$MPPID" | head -1)
[ -n "$PID" ] || fail "the daemon did not start: $(cat "$T/d.err")"
timeout 30 "$MP" report "$PID" --json "$T/r.json" --html "$T/r.html" >"$T/r.out" 2>&1 ||
    fail "report --json --html: $(cat "$T/r.out")"
json_lost "$T/r.json" 55 || fail "the JSON report lacks the 55 bytes lost: $(head -c 300 "$T/r.json")"
grep -q "<html" "$T/r.html" || fail "no HTML report"
timeout 30 "$MP" report "$PID" >"$T/r.txt" 2>&1 || fail "report (text): $(cat "$T/r.txt")"
grep -q "55 bytes in 1 blocks are definitely lost" "$T/r.txt" || fail "text report: $(cat "$T/r.txt")"
grep -q "cannot write" "$T/d.err" && fail "the daemon's stderr: $(cat "$T/d.err")"
touch "$T/run/stop"
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st, expected 0"
[ "$(cat "$T/d.out")" = done ] || fail "the daemon printed: $(cat "$T/d.out")"

# A daemon that chroots into an empty directory, then is asked for a report: the report library
# cannot be loaded from inside, and its stderr says why (not "the memplumber command is not next
# to libmemplumber.so", which it is); the JSON report is still written, without symbols.
cat >"$T/jail.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    (void)argc;
    char *p = malloc(66);
    memset(p, 1, 66);
    p = NULL;
    if (chroot(argv[1]) || chdir("/"))
        return 2;
    printf("ready\n");
    fflush(stdout);
    char c;
    return (int)read(0, &c, 1) + 10; /* 10 at the end of its input */
}
C
cc -O0 -g -o "$T/jail" "$T/jail.c" || exit 1
mkdir "$T/empty"
(sleep 3 | "$MP" --report-on-exit=no --report-thread=yes -- "$T/jail" "$T/empty" >"$T/j.out" 2>"$T/j.err") &
JP=$!
for _ in $(seq 1 100); do grep -q ready "$T/j.out" && break; sleep 0.05; done
PID=$(pgrep -nx jail)
timeout 30 "$MP" report "$PID" --json "$T/j.json" >"$T/jr.out" 2>&1
json_lost "$T/j.json" 66 || fail "chroot: the JSON report lacks the 66 bytes lost: $(cat "$T/jr.out")"
wait "$JP"
grep -q "changed its root directory with chroot" "$T/j.err" || fail "chroot: the daemon's stderr: $(cat "$T/j.err")"
finish_status
