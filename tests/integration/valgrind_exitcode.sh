#!/bin/bash
# --error-exitcode as valgrind applies it, compared with valgrind 3.x run on the same command
# line: the exit status and the ERROR SUMMARY line must be equal.
#  - loss records are errors only under an explicit --leak-check=full (valgrind's default is
#    summary; memplumber's prints the records but counts them the same way), never under
#    summary or no, and always under --xml=yes (which forces a full leak check);
#  - a helper started with exec (system()) keeps its own status unless --trace-children=yes;
#    a forked child applies it, --child-silent-after-fork=yes included (its check runs silently);
#  - --exit-on-first-error=yes stops the program at its first heap error with that status.
# Exit 0 = pass, 1 = fail, 77 = skipped (no valgrind).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
command -v valgrind >/dev/null || { echo "skip: valgrind is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
n=0
bad() { echo "FAIL: $*"; fail=1; }

cat >"$T/leak.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *s = malloc(40);
    memset(s, 'x', 40);
    s = NULL;
    return 0;
}
EOF
# runs its argument through system() and prints the status it saw
cat >"$T/runner.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int st = system(argv[1]);
    printf("helper exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
EOF
# a forked child leaks and exits 3; the parent prints the status it saw
cat >"$T/forkstatus.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *p = malloc(64);
        memset(p, 'c', 64);
        p = NULL;
        _exit(3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("worker exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
EOF
cat >"$T/errthen.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    char *p = malloc(4);
    free(p);
    free(p);
    puts("after error");
    return 0;
}
EOF
# 1,500 invalid frees from one call site: the counts in the ERROR SUMMARY are written without
# thousands separators, as valgrind writes them ("1500 errors", not "1,500")
cat >"$T/manyerr.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) static void bad_free(void *p) { free(p); __asm__ volatile("" ::: "memory"); }
int main(void)
{
    static char not_heap[16];
    for (int i = 0; i < 1500; i++)
        bad_free(not_heap + 8);
    puts("after errors");
    return 0;
}
EOF
for p in leak runner forkstatus errthen manyerr; do
    gcc -g -O0 -o "$T/$p" "$T/$p.c" || { echo "skip: cannot compile $p"; exit 77; }
done

# compare LABEL OPTIONS... -- PROGRAM...: status, stdout and the ERROR SUMMARY of the process
# started (the last one written; under --xml=yes valgrind writes none to stderr: status only)
compare() {
    local label=$1; shift
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    n=$((n + 1))
    (cd "$T" && valgrind "${opts[@]}" "$@" >"$T/vg.out" 2>"$T/vg.err"); local vrc=$?
    (cd "$T" && "$M" "${opts[@]}" "$@" >"$T/mp.out" 2>"$T/mp.err"); local mrc=$?
    local vsum msum
    vsum=$(grep -o 'ERROR SUMMARY: [0-9,]* errors from [0-9,]* contexts' "$T/vg.err" | tail -1)
    msum=$(grep -o 'ERROR SUMMARY: [0-9,]* errors from [0-9,]* contexts' "$T/mp.err" | tail -1)
    [ "$vrc" = "$mrc" ] || bad "$label: status: valgrind $vrc, memplumber $mrc"
    [[ " ${opts[*]} " == *" --xml=yes "* ]] || [ "$vsum" = "$msum" ] ||
        bad "$label: valgrind '$vsum', memplumber '$msum'"
    cmp -s "$T/vg.out" "$T/mp.out" ||
        bad "$label: stdout: valgrind '$(cat "$T/vg.out")', memplumber '$(cat "$T/mp.out")'"
    echo "$label: status $mrc, $msum"
}

# 1. loss records and the leak check level
compare "default" --error-exitcode=5 -- ./leak
compare "full" --leak-check=full --error-exitcode=5 -- ./leak
compare "yes" --leak-check=yes --error-exitcode=5 -- ./leak
compare "summary" --leak-check=summary --error-exitcode=5 -- ./leak
compare "no" --leak-check=no --error-exitcode=5 -- ./leak
compare "full, definite not an error" --leak-check=full --errors-for-leak-kinds=possible --error-exitcode=5 -- ./leak
compare "xml, summary" --leak-check=summary --xml=yes --xml-file=x.xml --error-exitcode=5 -- ./leak
grep -q '<kind>Leak_DefinitelyLost</kind>' "$T/x.xml" || bad "xml, summary: no loss record in the XML"
compare "xml, no" --leak-check=no --xml=yes --xml-file=x.xml --error-exitcode=5 -- ./leak
grep -q '<kind>Leak_DefinitelyLost</kind>' "$T/x.xml" || bad "xml, no: no loss record in the XML"
compare "xml, default" --xml=yes --xml-file=x.xml --error-exitcode=5 -- ./leak
# 2. programs started with exec
compare "system(), default" --leak-check=full --error-exitcode=5 -- ./runner ./leak
compare "system(), --trace-children=yes" --trace-children=yes --leak-check=full --error-exitcode=5 -- ./runner ./leak
# 3. forked children
compare "fork" --leak-check=full --error-exitcode=5 -- ./forkstatus
compare "fork, silent" --child-silent-after-fork=yes --leak-check=full --error-exitcode=5 -- ./forkstatus
compare "fork, silent, summary" --child-silent-after-fork=yes --leak-check=summary --error-exitcode=5 -- ./forkstatus
# 4. --exit-on-first-error
compare "exit on first error" --exit-on-first-error=yes --error-exitcode=7 -- ./errthen
compare "heap error, no exit on first error" --error-exitcode=7 -- ./errthen
compare "1500 errors from one site" --error-exitcode=7 -- ./manyerr

# The silent child writes nothing: one report (the parent's).
"$M" --child-silent-after-fork=yes --leak-check=full --error-exitcode=5 "$T/forkstatus" >/dev/null 2>"$T/mp.err"
[ "$(grep -c 'ERROR SUMMARY' "$T/mp.err")" = 1 ] || bad "silent child wrote a report: $(cat "$T/mp.err")"
# The exec'd helper still reports by default (memplumber follows exec), with its own status.
"$M" --leak-check=full --error-exitcode=5 "$T/runner" "$T/leak" >"$T/mp.out" 2>"$T/mp.err"
grep -q 'definitely lost in loss record' "$T/mp.err" || bad "the exec'd helper did not report"
grep -q 'helper exited with 0' "$T/mp.out" || bad "exec'd helper: $(cat "$T/mp.out")"
# MEMPLUMBER_OPTIONS=follow_exec=yes is an explicit request too.
MEMPLUMBER_OPTIONS=follow_exec=yes "$M" --leak-check=full --error-exitcode=5 "$T/runner" "$T/leak" >"$T/mp.out" 2>/dev/null
grep -q 'helper exited with 5' "$T/mp.out" || bad "follow_exec=yes in MEMPLUMBER_OPTIONS: $(cat "$T/mp.out")"

[ $fail = 0 ] && echo "$n comparisons with valgrind passed"
exit $fail
