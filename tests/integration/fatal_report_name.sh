#!/bin/bash
# A report path with %p names the last report of a process PID (r.PID.json), the reports written
# while it runs PID.SEQ. A process that dies of a fatal signal (abort) writes its last report too:
# it must be r.PID.json, as an exit report, not r.PID.1.json (a CI step reading r.$pid.json for
# a crashed program found nothing). The same for a forked child that aborts, and for a child
# made by the raw clone3 system call (no glibc fork). Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED MEMPLUMBER_STDERR_ID
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
cat >"$T/ab.c" <<'EOF2'
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    (void)argc;
    long r;
    if (argv[1][0] == 'c') {
        struct clone_args ca;
        memset(&ca, 0, sizeof ca);
        ca.exit_signal = SIGCHLD;
        r = syscall(SYS_clone3, &ca, sizeof ca);
    } else {
        r = fork();
    }
    if (r == 0) {
        char *p = malloc(44);
        memset(p, 1, 44);
        p = NULL;
        abort();
    }
    int w;
    waitpid((pid_t)r, &w, 0);
    printf("%ld %d\n", r, WIFSIGNALED(w) ? WTERMSIG(w) : 0);
    fflush(stdout);
    abort();
}
EOF2
gcc -O0 -g -o "$T/ab" "$T/ab.c" || { echo "skip: no compiler"; exit 77; }
for how in fork clone3; do
    rm -rf "$T/r"
    mkdir "$T/r"
    out=$(cd "$T" && "$M" --json="$T/r/r.%p.json" ./ab "$how" 2>/dev/null)
    st=$?
    set -- $out
    child=$1 sig=$2
    [ "$st" = 134 ] || { echo "FAIL: $how: status $st, want 134 (SIGABRT)"; fail=1; }
    [ "$sig" = 6 ] || { echo "FAIL: $how: the child died of '$sig', want 6"; fail=1; }
    f="$T/r/r.$child.json"
    if [ ! -f "$f" ]; then
        echo "FAIL: $how: no $f for the aborted child; files: $(ls "$T/r" | tr '\n' ' ')"
        fail=1
    elif ! python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j["summary"]["definitely_lost"]["bytes"] != 44)' "$f"; then
        echo "FAIL: $how: $f does not show the child's 44 bytes definitely lost"
        fail=1
    fi
    n=$(ls "$T/r" | grep -c '\.[0-9]*\.[0-9]*\.json$')
    [ "$n" = 0 ] || { echo "FAIL: $how: PID.SEQ names for last reports: $(ls "$T/r" | tr '\n' ' ')"; fail=1; }
    [ "$(ls "$T/r" | wc -l)" = 2 ] || { echo "FAIL: $how: want 2 reports: $(ls "$T/r" | tr '\n' ' ')"; fail=1; }
done
[ $fail = 0 ] && echo "PASS"
exit $fail
