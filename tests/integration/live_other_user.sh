#!/bin/bash
# `memplumber report PID` on a process started as another user (nobody) that made itself not
# dumpable (prctl(PR_SET_DUMPABLE, 0)): its /proc files are then root's.
# - nobody asking: the message says the process is not dumpable and to ask as root (it said
#   "a process of another user?", about a process of the same user);
# - root asking: the report comes (the command looked for a rendezvous named after root's uid,
#   while the process names it after the user it started as, and said "does not answer");
# - the program's own sleep (usleep, in nanosleep: a thread memplumber cannot look at) is not
#   interrupted, and it ends as natively.
# Needs root, a user nobody and setpriv (else skipped). Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
    echo "skip: needs root, a user nobody and setpriv"
    exit 77
fi
NOBODY=$(id -u nobody)
AS_NOBODY="setpriv --reuid=$NOBODY --regid=$(id -g nobody) --clear-groups"
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    prctl(PR_SET_DUMPABLE, 0);
    char *p = malloc(21);
    memset(p, 1, 21);
    p = NULL;
    FILE *f = fopen(argv[1], "w");
    fputs("1\n", f);
    fclose(f);
    int naps = 0;
    while (access(argv[2], F_OK)) {
        if (usleep(20000) != 0)
            printf("usleep interrupted\n");
        naps++;
    }
    printf("done\n");
    return 0;
}
C
chmod 755 "$T"
mkdir "$T/bin" "$T/run" && cp "$ROOT/build/memplumber" "$ROOT/build/libmemplumber.so" \
    "$ROOT/build/libmemplumber-report.so" "$T/bin/" && chmod 755 "$T/bin" "$T/bin/"* && chmod 777 "$T/run" || exit 1
cc -O0 -g -o "$T/bin/prog" "$T/prog.c" || exit 1
MP=$T/bin/memplumber
$AS_NOBODY "$MP" --report-on-exit=no --report-thread=yes -- "$T/bin/prog" "$T/run/ready" "$T/run/stop" \
    >"$T/p.out" 2>"$T/p.err" &
MPPID=$!
for _ in $(seq 1 200); do
    [ -s "$T/run/ready" ] && break
    sleep 0.05
done
PID=$(pgrep -P "$MPPID" | head -1)
[ -n "$PID" ] || fail "the program did not start: $(cat "$T/p.err")"

$AS_NOBODY timeout 10 "$MP" report "$PID" >"$T/n.out" 2>&1 && fail "nobody: a report without root?"
grep -q "is not dumpable" "$T/n.out" || fail "nobody: the message does not say why: $(cat "$T/n.out")"

timeout 10 "$MP" report "$PID" >"$T/r.out" 2>&1 || fail "root: $(cat "$T/r.out")"
grep -q "21 bytes in 1 blocks are definitely lost" "$T/r.out" || fail "root: $(head -c 600 "$T/r.out")"

touch "$T/run/stop"
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st, expected 0"
[ "$(cat "$T/p.out")" = done ] || fail "the program printed: $(cat "$T/p.out")"
finish_status
