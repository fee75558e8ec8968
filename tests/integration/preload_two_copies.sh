#!/bin/bash
# Two copies of libmemplumber.so in one process: an installed memplumber and a build tree's (a
# service unit with LD_PRELOAD=/usr/local/lib/libmemplumber.so, then `./build/memplumber prog`,
# or a program that re-execs itself with another copy added to LD_PRELOAD). The loader keeps
# both (different paths): the first owns the program's malloc, and its "next" malloc, found with
# dlsym(RTLD_NEXT), was the second copy's, which tracked and reported the same blocks again and
# made a forked child die of SIGSEGV. The program must run as natively (status, stdout, the
# child's status), with one report per process, whose verdicts are right.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
L=$ROOT/build/libmemplumber.so
[ -x "$M" ] && [ -f "$L" ] || { echo "skip: build/ is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED
export HOME=$T/home MEMPLUMBER_SYMBOL_CACHE=no
mkdir -p "$HOME" "$T/copy"
cp "$ROOT/build/libmemplumber.so" "$ROOT/build/libmemplumber-report.so" "$T/copy/"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

cat >"$T/prog.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void on_usr1(int s) { (void)s; }
int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    char *volatile lost = malloc(33);
    lost = 0;
    char *s = strdup("kept");
    free(s);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *volatile c = malloc(11);
        c = 0;
        exit(4);
    }
    int st = 0;
    waitpid(p, &st, 0);
    printf("child %s %d\n", WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 5;
}
EOF2
gcc -g -O0 -o "$T/prog" "$T/prog.c" || { echo "skip: cannot compile"; exit 77; }

"$T/prog" >"$T/native.out" 2>/dev/null
nst=$?
[ "$nst" = 5 ] && grep -qx 'child exited 4' "$T/native.out" || { echo "skip: native run: $nst"; exit 77; }

verdicts() { # dir: each report's definitely lost, still reachable and allocation count, sorted
    python3 - "$1" <<'EOF2'
import glob, json, sys
out = []
for f in glob.glob(sys.argv[1] + '/mp*.json'):
    s = json.load(open(f))['summary']
    out.append((s['definitely_lost']['bytes'], s['still_reachable']['bytes'],
                s['total_allocated']['blocks']))
print(sorted(out))
EOF2
}

# The reference: one copy of the library.
ref=$(mktemp -d -p "$T")
(cd "$ref" && timeout 30 env LD_PRELOAD="$L" MEMPLUMBER_OPTIONS="json=$ref/mp%p.json" "$T/prog" >out 2>err)
[ $? = "$nst" ] && cmp -s "$ref/out" "$T/native.out" || { echo "FAIL: one copy alone: $(cat "$ref/out")"; exit 1; }
want=$(verdicts "$ref")

check() { # name dir status
    local name=$1 d=$2 st=$3
    [ "$st" = "$nst" ] || bad "$name: status $st, natively $nst"
    cmp -s "$d/out" "$T/native.out" || bad "$name: stdout differs: $(head -c 300 "$d/out")"
    local n
    n=$(ls "$d"/mp*.json 2>/dev/null | wc -l)
    [ "$n" = 2 ] || bad "$name: $n JSON reports, want 2 (parent and child): $(ls "$d")"
    local got
    got=$(verdicts "$d")
    [ "$got" = "$want" ] || bad "$name: reports (definitely lost, still reachable, allocations) $got, with one copy $want"
}

# Both copies preloaded by hand, in both orders.
for order in "$L:$T/copy/libmemplumber.so" "$T/copy/libmemplumber.so:$L"; do
    d=$(mktemp -d -p "$T")
    (cd "$d" && timeout 30 env LD_PRELOAD="$order" MEMPLUMBER_OPTIONS="json=$d/mp%p.json" "$T/prog" >out 2>err)
    check "LD_PRELOAD=$order" "$d" $?
done
# The command started with another copy already in LD_PRELOAD.
d=$(mktemp -d -p "$T")
(cd "$d" && timeout 30 env LD_PRELOAD="$T/copy/libmemplumber.so" "$M" --json="$d/mp%p.json" "$T/prog" >out 2>err)
check "LD_PRELOAD=copy memplumber" "$d" $?

[ $fail = 0 ] && echo "pass: two copies of the library: the program runs as natively, one report per process"
exit $fail
