#!/bin/bash
# --log-file=FILE without %p, as CTest and scripts pass it: the file is opened when the program
# starts, as valgrind opens it, so a child the program forks adds its report to the same file
# after its parent's text (CTest reads only FILE: a forked child's leak is a defect there, as with
# valgrind), and the file is truncated once. A program that closes every descriptor before it
# forks gets the same: the child reopens the file by name and appends. Compared with valgrind's
# log when it is installed. Exit 0 = pass, 1 = fail, 77 = skipped.
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
cat >"$T/forkleak.c" <<'EOF'
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    char *a = malloc(17);
    strcpy(a, "parent");
    a = NULL;
    if (argc > 1) /* close every descriptor above stderr first, as daemons do */
        close_range(3, ~0U, 0);
    pid_t p = fork();
    if (p == 0) {
        char *b = malloc(23);
        strcpy(b, "child");
        b = NULL;
        return 0;
    }
    int st;
    waitpid(p, &st, 0);
    return 0;
}
EOF
gcc -g -O0 -o "$T/forkleak" "$T/forkleak.c" || { echo "skip: cannot compile"; exit 77; }
cd "$T" || exit 1
for variant in plain closeall; do
    rm -f mp.log*
    echo "old text that must go" >mp.log
    arg=; [ $variant = closeall ] && arg=x
    "$M" --leak-check=full --log-file="$T/mp.log" ./forkleak $arg 2>err.txt
    n=$(ls mp.log* | wc -l)
    [ "$n" = 1 ] || { echo "FAIL: $variant: $n log files ($(ls mp.log*)), want the one named"; fail=1; }
    [ "$(grep -c 'ERROR SUMMARY' mp.log)" = 2 ] || { echo "FAIL: $variant: not both processes' reports in mp.log:"; cat mp.log; fail=1; }
    grep -q "23 bytes in 1 blocks are definitely lost" mp.log || { echo "FAIL: $variant: the child's leak is not in mp.log"; fail=1; }
    grep -q "old text" mp.log && { echo "FAIL: $variant: the old content was not truncated"; fail=1; }
    [ -s err.txt ] && { echo "FAIL: $variant: text on stderr: $(head -3 err.txt)"; fail=1; }
done
if command -v valgrind >/dev/null; then
    valgrind --leak-check=full --log-file="$T/vg.log" ./forkleak >/dev/null 2>&1
    "$M" --leak-check=full --log-file="$T/mp.log" ./forkleak >/dev/null 2>&1
    v=$(grep -c 'definitely lost in loss record' vg.log) m=$(grep -c 'definitely lost in loss record' mp.log)
    [ "$v" = "$m" ] || { echo "FAIL: valgrind's log has $v definitely lost records, memplumber's $m"; fail=1; }
fi
[ $fail = 0 ] && echo "ok: a forked child's report goes to the same log file"
exit $fail
