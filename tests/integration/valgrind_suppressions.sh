#!/bin/bash
# Suppression files written by hand the way valgrind users write them, and what a tool reading
# the report concludes: (1) a file with comments, blank lines, CRLF lines, a name with spaces, no
# trailing newline, fun: with ? and *, ..., obj: with wildcards and match-leak-kinds, whose
# entries end "fun:main / obj:*libc.so*" (the frame below main is in libc in valgrind: it used to
# match nothing); (2) the ERROR SUMMARY's "(suppressed: N from M)" counts as valgrind's: loss
# records only when they would count as errors (leak-check=full, kind in errors-for-leak-kinds),
# each record one context, heap errors by occurrence from their distinct contexts (it used to
# count every suppressed record, indirect and reachable ones too, from the suppressions used).
# Expected values are valgrind 3.19's; when valgrind is installed they are checked against it
# too. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB VALGRIND_OPTS
export MEMPLUMBER_SYMBOL_CACHE=no
cat >"$T/prog.c" <<'C'
#include <stdlib.h>
#include <string.h>
struct node { struct node *a, *b; };
void *keep;
__attribute__((noinline)) static void *mk(size_t n) { return malloc(n); }
__attribute__((noinline)) static void bad(char *p) { free(p); }
int main(void)
{
    struct node *n = mk(sizeof *n);       /* definite, with two indirect blocks */
    n->a = mk(24);
    n->b = mk(24);
    n = NULL;
    char *s = strdup("lost");             /* definite */
    s = NULL;
    keep = mk(100);                       /* reachable */
    char *volatile q = malloc(40);        /* possible: only an interior pointer is left */
    keep = (char *)keep + 0;
    static char *inner;
    inner = q + 8;
    q = NULL;
    for (int i = 0; i < 3; i++) {         /* one double free context, 3 occurrences */
        char *volatile p = malloc(8);
        free(p);
        bad(p);
    }
    return 0;
}
C
gcc -O0 -g -o "$T/prog" "$T/prog.c" || { echo "skip: cannot build the test program"; exit 77; }
# Every entry of this file matches in valgrind 3.19.
printf '%s' '# hand-written, as valgrind users write them

{
   the strdup one, named with spaces
   Memcheck:Leak
   match-leak-kinds: definite
   fun:m?lloc
   fun:str*
   ...
   fun:main
   obj:*/libc.so*
}
# a CRLF entry
{
   crlf
   Memcheck:Leak
   match-leak-kinds: possible
   obj:*vgpreload_memcheck*
   fun:main
   obj:*libc.so.?
}
{
   double free
   Memcheck:Free
   fun:free
   fun:bad
   ...
}' | sed '/^# a CRLF entry/,$ s/$/\r/' | head -c -1 >"$T/hand.supp"
fail=0
# summary LINE OPTIONS...: the "suppressed:" and ERROR SUMMARY lines of a run, without ==PID==
summary() {
    local tool=$1
    shift
    "$tool" "$@" "$T/prog" 2>&1 >/dev/null | sed -n 's/^==[0-9]*== *//; /^suppressed:\|^ERROR SUMMARY/p'
}
check() {
    local expected=$1
    shift
    local got
    got=$(summary "$M" "$@")
    if [ "$got" != "$expected" ]; then
        echo "FAIL: memplumber $*:"; echo "expected:"; echo "$expected"; echo "actual:"; echo "$got"
        fail=1
    fi
    if command -v valgrind >/dev/null; then
        got=$(summary valgrind "$@")
        if [ "$got" != "$expected" ]; then
            echo "FAIL: valgrind $* (the expectation is wrong):"; echo "$got"; fail=1
        fi
    fi
}
check "suppressed: 45 bytes in 2 blocks
ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 5 from 3)" \
    --leak-check=full "--suppressions=$T/hand.supp"
# Every record suppressed (with valgrind's gen-suppressions output for this program: one
# entry per record): only definite and possible ones count as suppressed errors, and none
# under --leak-check=summary.
printf '{\n a\n Memcheck:Leak\n fun:*alloc\n ...\n fun:main\n}\n' >"$T/all.supp"
check "suppressed: 209 bytes in 6 blocks
ERROR SUMMARY: 3 errors from 1 contexts (suppressed: 3 from 3)" \
    --leak-check=full "--suppressions=$T/all.supp"
check "suppressed: 209 bytes in 6 blocks
ERROR SUMMARY: 3 errors from 1 contexts (suppressed: 0 from 0)" \
    --leak-check=summary "--suppressions=$T/all.supp"
# --gen-suppressions output pasted as it is: two leaks made in main at two lines give two
# identical entries; the second never matches (the first wins), which is no stale entry and
# must not be warned about as one ("matched nothing"); valgrind says nothing either.
cat >"$T/two.c" <<'C'
#include <stdlib.h>
int main(void)
{
    char *volatile a = malloc(10);
    a = 0;
    char *volatile b = malloc(20);
    b = 0;
    return 0;
}
C
gcc -O0 -g -o "$T/two" "$T/two.c" || { echo "skip: cannot build the test program"; exit 77; }
"$M" --leak-check=full --gen-suppressions=all "$T/two" 2>&1 >/dev/null | grep -v '^==' >"$T/two.supp"
"$M" --leak-check=full --suppressions="$T/two.supp" "$T/two" >/dev/null 2>"$T/err"
if [ "$(grep -c '^{' "$T/two.supp")" != 2 ] || ! grep -q 'suppressed: 30 bytes in 2 blocks' "$T/err" ||
    grep -q 'matched nothing' "$T/err"; then
    echo "FAIL: generated suppressions with a duplicate fed back:"; cat "$T/two.supp" "$T/err"; fail=1
fi
# A suppression file whose name has a ',' (valgrind reads --suppressions=VALUE as one file;
# memplumber's list separates files with ','): refused, saying why, instead of "cannot read the
# suppression file 'odd'".
mkdir -p "$T/odd,dir"
cp "$T/all.supp" "$T/odd,dir/a,b.supp"
"$M" "--suppressions=$T/odd,dir/a,b.supp" "$T/prog" >/dev/null 2>"$T/err"
rc=$?
if [ $rc != 2 ] || ! grep -q "separates suppression files with ',', so it cannot read '$T/odd,dir/a,b.supp' as one file" "$T/err"; then
    echo "FAIL: --suppressions= a file with ',' in its name: status $rc, $(head -c 300 "$T/err")"
    fail=1
fi
[ $fail = 0 ] && echo pass
exit $fail
