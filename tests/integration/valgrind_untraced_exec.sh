#!/bin/bash
# A program started by exec that valgrind would not trace (--trace-children=no, its default),
# here behind a libtool-style shell wrapper (`valgrind ./prog` where ./prog is a script that
# execs .libs/prog): valgrind runs it natively, so a double free or an invalid free makes glibc
# abort it, and a test harness (automake's LOG_COMPILER, CTest) sees the failure. memplumber
# observes it all the same, but must let it fail as it does natively: same status (SIGABRT),
# same glibc message, not a status of 0 because the bad free was caught and dropped. Under
# --trace-children=yes it is observed as valgrind observes it: --error-exitcode's status.
# Compared with the native run, and with valgrind 3.x when it is installed.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED VALGRIND_OPTS
export HOME=$T/home MEMPLUMBER_SYMBOL_CACHE=no
mkdir -p "$HOME" "$T/.libs"
fail=0
n=0
bad() { echo "FAIL: $*"; fail=1; }

cat >"$T/prog.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    char *p = malloc(24);
    strcpy(p, "x");
    puts("before");
    fflush(stdout);
    free(p);
    if (argc > 1 && !strcmp(argv[1], "double"))
        free(p); /* glibc's tcache check aborts here natively */
    else if (argc > 1 && (!strcmp(argv[1], "double40") || !strcmp(argv[1], "double5000")))
        {
        /* Sizes the writing of the error allocates itself (40: a tcache bin; 5000: from the
         * top chunk): glibc must still see the double free, not a block of memplumber's. */
        size_t n = argv[1][6] == '4' ? 40 : 5000;
        char *volatile q = malloc(n);
        memset(q, 'q', n);
        free(q);
        free(q);
    }
    else if (argc > 1 && !strcmp(argv[1], "interior"))
        {
        char *volatile q = malloc(40);
        free(q + 8); /* "free(): invalid pointer" natively */
    }
    else if (argc > 1 && !strcmp(argv[1], "realloc"))
        {
        char *volatile q = malloc(40);
        q = realloc(q + 8, 100); /* "realloc(): invalid pointer" natively */
        printf("%s\n", q ? "moved" : "failed");
    }
    else if (argc > 1 && !strcmp(argv[1], "reallocfreed"))
        {
        /* glibc does not check this: natively a block comes back */
        char *volatile q = malloc(40);
        free(q);
        q = realloc(q, 80);
        printf("%s\n", q ? "realloc ok" : "realloc failed");
    }
    puts("after");
    return 0;
}
EOF2
gcc -g -O0 -Wno-free-nonheap-object -o "$T/.libs/prog" "$T/prog.c" || { echo "skip: cannot compile"; exit 77; }
# What libtool writes for an uninstalled program, cut down: a bash script that execs the binary.
cat >"$T/prog" <<'EOF2'
#! /bin/bash
# prog - temporary wrapper script for .libs/prog
LD_LIBRARY_PATH="$(dirname "$0")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "$(dirname "$0")/.libs/prog" ${1+"$@"}
EOF2
chmod +x "$T/prog"

strip_own() { grep -v -e '^==[0-9]*==' -e '^memplumber:' "$1"; }

# cmp_native LABEL ARG OPTIONS...: memplumber OPTIONS ./prog ARG, as natively.
cmp_native() {
    local label=$1 arg=$2
    shift 2
    n=$((n + 1))
    { (cd "$T" && ./prog "$arg" >"$T/n.out" 2>"$T/n.err"); } 2>/dev/null; local nrc=$?
    { (cd "$T" && "$M" "$@" ./prog "$arg" >"$T/m.out" 2>"$T/m.err"); } 2>/dev/null; local mrc=$?
    [ "$nrc" = "$mrc" ] || bad "$label: status: native $nrc, memplumber $mrc ($(head -3 "$T/m.err" | tr '\n' ' '))"
    cmp -s "$T/n.out" "$T/m.out" || bad "$label: stdout: native '$(tr '\n' ' ' <"$T/n.out")', memplumber '$(tr '\n' ' ' <"$T/m.out")'"
    [ "$(strip_own "$T/n.err")" = "$(strip_own "$T/m.err")" ] ||
        bad "$label: stderr: native '$(strip_own "$T/n.err" | tr '\n' ' ')', memplumber '$(strip_own "$T/m.err" | tr '\n' ' ')'"
}
# cmp_vg LABEL ARG OPTIONS...: the same status as valgrind OPTIONS ./prog ARG.
cmp_vg() {
    local label=$1 arg=$2
    shift 2
    command -v valgrind >/dev/null || return 0
    n=$((n + 1))
    { (cd "$T" && valgrind "$@" ./prog "$arg" >"$T/v.out" 2>"$T/v.err"); } 2>/dev/null; local vrc=$?
    { (cd "$T" && "$M" "$@" ./prog "$arg" >"$T/m.out" 2>"$T/m.err"); } 2>/dev/null; local mrc=$?
    [ "$vrc" = "$mrc" ] || bad "$label: status: valgrind $vrc, memplumber $mrc"
}

for opts in "--leak-check=full --error-exitcode=1" "-q --leak-check=summary" \
            "--trace-children=no --error-exitcode=3"; do
    # shellcheck disable=SC2086
    cmp_native "double, $opts" double $opts
done
cmp_native "interior, --error-exitcode=1" interior --leak-check=full --error-exitcode=1
cmp_native "realloc of an interior pointer, --error-exitcode=1" realloc --leak-check=full --error-exitcode=1
cmp_native "plain, --error-exitcode=1" plain --leak-check=full --error-exitcode=1
cmp_native "double free of 40 bytes, --error-exitcode=1" double40 --leak-check=full --error-exitcode=1
cmp_native "realloc of a freed block of 40 bytes" reallocfreed --leak-check=full --error-exitcode=1
# 5000 bytes: glibc's message depends on where the chunk lies (memplumber's own allocations
# moved the top chunk): the status only.
n=$((n + 1))
{ (cd "$T" && ./prog double5000 >/dev/null 2>&1); } 2>/dev/null; nrc=$?
{ (cd "$T" && "$M" --leak-check=full --error-exitcode=1 ./prog double5000 >"$T/m.out" 2>&1); } 2>/dev/null; mrc=$?
[ "$nrc" = "$mrc" ] || bad "double free of 5000 bytes: status: native $nrc, memplumber $mrc ($(grep -v '^==' "$T/m.out" | head -3 | tr '\n' ' '))"
# valgrind is slow to start (3 s behind the wrapper): compared once.
cmp_vg "double, --error-exitcode=1" double --leak-check=full --error-exitcode=1
# Observed as valgrind observes it under --trace-children=yes: the error is reported, the
# program goes on, and --error-exitcode decides (valgrind exits with 1 here too).
n=$((n + 1))
(cd "$T" && "$M" --trace-children=yes --error-exitcode=1 ./prog double >/dev/null 2>&1)
rc=$?
[ $rc = 1 ] || bad "double, --trace-children=yes --error-exitcode=1: status $rc, not 1"
# The error is still reported, where the user reads the report.
{ (cd "$T" && "$M" --log-file="$T/log" ./prog double >/dev/null 2>&1); } 2>/dev/null
grep -q 'Invalid free() / delete / delete\[\] / realloc() (double_free' "$T/log" ||
    bad "the double free is not in the log: $(head -5 "$T/log" | tr '\n' ' ')"
n=$((n + 1))
[ $fail = 0 ] && echo "$n comparisons passed"
exit $fail
