#!/bin/bash
# `memplumber valgrind ./prog` (a CI step that wraps every command in memplumber, and a test
# that runs valgrind itself; or LD_PRELOAD=libmemplumber.so set for a whole job). valgrind runs
# the program on its own CPU and replaces malloc itself; libmemplumber.so, passed on to the
# program in LD_PRELOAD, saw no allocation at all and wrote "All heap blocks were freed -- no
# leaks are possible", and valgrind flagged memplumber's own exit-time stack walk (reads of
# words valgrind calls uninitialised), so --error-exitcode changed the status of a clean
# program. memplumber must stay out of a program valgrind runs: valgrind's status, output and
# verdicts as without memplumber, no report of memplumber's for it, and one line that says why.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
L=$ROOT/build/libmemplumber.so
[ -x "$M" ] && [ -f "$L" ] || { echo "skip: build/ is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
command -v valgrind >/dev/null || { echo "skip: valgrind is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED VALGRIND_OPTS
export HOME=$T/home MEMPLUMBER_SYMBOL_CACHE=no
mkdir -p "$HOME"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

cat >"$T/prog.c" <<'EOF2'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void *run(void *a) { char *p = malloc(40); strcpy(p, "thread"); puts(p); free(p); return a; }
int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    pthread_join(t, NULL);
    char *keep = malloc(16);
    if (argc > 1 && !strcmp(argv[1], "leak"))
        keep = NULL; /* definitely lost */
    else
        free(keep);
    printf("done\n");
    return 3;
}
EOF2
gcc -g -O0 -pthread -o "$T/prog" "$T/prog.c" || { echo "skip: cannot compile"; exit 77; }

strip_own() { grep -v -e '^==[0-9]*==' -e '^memplumber:' "$1"; }
VG="valgrind -q --error-exitcode=9 --leak-check=full --log-file=vg.log"

for arg in clean leak; do
    n=$T/native-$arg
    mkdir -p "$n"
    (cd "$n" && timeout 60 $VG "$T/prog" $arg >out 2>err)
    nst=$?
    want=3
    [ $arg = leak ] && want=9
    [ "$nst" = $want ] || { echo "skip: valgrind alone: status $nst, want $want"; exit 77; }
    for how in cli preload; do
        d=$T/$how-$arg
        mkdir -p "$d"
        if [ $how = cli ]; then
            (cd "$d" && timeout 60 "$M" --json="$d/mp%p.json" $VG "$T/prog" $arg >out 2>err)
        else
            (cd "$d" && timeout 60 env LD_PRELOAD="$L" MEMPLUMBER_OPTIONS="json=$d/mp%p.json" $VG "$T/prog" $arg >out 2>err)
        fi
        st=$?
        [ "$st" = "$nst" ] || bad "$how $arg: status $st, valgrind alone $nst ($(cat "$d/vg.log" | head -8))"
        cmp -s "$d/out" "$n/out" || bad "$how $arg: stdout differs"
        [ "$(strip_own "$d/err")" = "$(strip_own "$n/err")" ] || bad "$how $arg: stderr differs: $(head -c 400 "$d/err")"
        grep -q 'memplumber: .*valgrind' "$d/err" || bad "$how $arg: no line saying why memplumber is not observing: $(head -c 400 "$d/err")"
        grep -q -e 'HEAP SUMMARY' "$d/err" && bad "$how $arg: a memplumber report on stderr: $(head -c 400 "$d/err")"
        ls "$d"/mp*.json >/dev/null 2>&1 && bad "$how $arg: memplumber wrote a report for the program valgrind runs: $(ls "$d")"
        # valgrind's own verdicts are the ones of the run without memplumber.
        [ "$(grep -c 'definitely lost in loss record' "$d/vg.log")" = "$(grep -c 'definitely lost in loss record' "$n/vg.log")" ] ||
            bad "$how $arg: valgrind's loss records differ: $(head -20 "$d/vg.log")"
    done
done

[ $fail = 0 ] && echo "pass: memplumber stays out of programs valgrind runs"
exit $fail
