#!/bin/bash
# --leak-check-heuristics, each heuristic on its own and in sets, against valgrind: a C++ program
# holds one block per heuristic (a copy-on-write std::string's characters, a length64 block, a
# new[] array of objects with destructors, a secondary base of an object with multiple
# inheritance), each known only through the interior pointer that heuristic accepts, plus a
# possibly lost holder pointing to a new[] array through its +8 pointer. For all, none, every
# heuristic alone, two pairs and the default, memplumber's verdicts (loss-record headlines:
# kind, bytes, blocks) and LEAK SUMMARY (with valgrind's "of which reachable via heuristic"
# lines) equal valgrind's, line for line; the spellings of the earlier yes/no option (--heuristics,
# --no-heuristics, heuristics=no in MEMPLUMBER_OPTIONS) give all and none; a set valgrind
# refuses is refused before the program starts, naming the valid heuristics.
# Skipped without valgrind: the expected lines are valgrind's own.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v valgrind >/dev/null || { echo "skip: valgrind is not installed (scripts/install-deps --test)"; exit 77; }
command -v g++ >/dev/null || { echo "skip: g++ is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB VALGRIND_OPTS
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
n=0

cat >"$T/heur.cc" <<'EOF'
#include <cstdlib>
#include <cstring>
#include <cstdio>
#define NOINLINE __attribute__((noinline))
struct rep { size_t length, capacity; int refcount; };
struct Obj {
    long a, b;
    Obj() : a(1), b(2) {}
    ~Obj() { a = 0; __asm__ volatile("" ::: "memory"); }
};
struct A { long a = 1; virtual ~A() {} virtual long fa() { return a; } };
struct B { long b = 2; virtual ~B() {} virtual long fb() { return b; } };
struct C : A, B { long c = 3; long fb() override { return c; } };
char *volatile g_chars;   /* stdstring: 73 bytes */
char *volatile g_len64;   /* length64 (newarray fits too): 136 bytes */
Obj *volatile g_objs;     /* newarray only: 72 bytes */
B *volatile g_b;          /* multipleinheritance: 40 bytes */
char *volatile g_hold;    /* no heuristic's shape: 48 bytes, possibly lost */
NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}
NOINLINE void make_string()
{
    char *block = (char *)malloc(sizeof(rep) + 48 + 1);
    rep *r = (rep *)block;
    r->length = 10;
    r->capacity = 48;
    r->refcount = 0;
    memcpy(block + sizeof(rep), "0123456789", 11);
    g_chars = block + sizeof(rep);
}
NOINLINE void make_len64()
{
    char *block = (char *)malloc(136);
    memset(block, 0x11, 136);
    *(unsigned long *)block = 128;
    g_len64 = block + 8;
}
NOINLINE void make_array() { g_objs = new Obj[4]; __asm__ volatile("" ::: "memory"); }
NOINLINE void make_derived() { g_b = new C; __asm__ volatile("" ::: "memory"); }
/* The array (40 bytes) is possibly lost whatever the set (its holder is), yet valgrind counts it
 * under newarray when newarray is in the set. */
NOINLINE void make_holder()
{
    char *h = (char *)malloc(48);
    memset(h, 0, 48);
    Obj *arr = new Obj[2];
    memcpy(h + 32, &arr, sizeof arr);
    g_hold = h + 16;
}
int main()
{
    make_holder();
    make_string();
    make_len64();
    make_array();
    make_derived();
    scrub_stack();
    FILE *f = fopen(getenv("RAN"), "w");
    if (f)
        fclose(f);
    return 0;
}
EOF
g++ -g -O2 -o "$T/heur" "$T/heur.cc" || { echo "skip: cannot compile"; exit 77; }
export RAN=$T/ran

# lines FILE: loss-record headlines and the LEAK SUMMARY, without the ==pid== prefix
lines() {
    grep -E 'are (definitely|indirectly|possibly) lost in loss record|still reachable in loss record|LEAK SUMMARY:|(definitely|indirectly|possibly) lost:|still reachable:|of which reachable via heuristic:|^==[0-9]+== +(stdstring|length64|newarray|multipleinheritance) *:|suppressed:' "$1" |
        sed -E 's/^==[0-9]+== //; s/ \(allocated by [^)]*\)$//'
}
# compare NAME "valgrind args" "memplumber args" [memplumber environment]
compare() {
    local name=$1 vargs=$2 margs=$3 menv=${4:-}
    valgrind --leak-check=full --show-leak-kinds=all $vargs "$T/heur" >/dev/null 2>"$T/vg.txt"
    env $menv "$M" --leak-check=full --show-leak-kinds=all $margs "$T/heur" >/dev/null 2>"$T/mp.txt"
    n=$((n + 1))
    if ! grep -q 'LEAK SUMMARY' "$T/vg.txt"; then
        echo "FAIL: $name: valgrind wrote no LEAK SUMMARY"
        sed 's/^/      /' "$T/vg.txt" | tail -5
        fail=1
    elif [ "$(lines "$T/vg.txt")" != "$(lines "$T/mp.txt")" ]; then
        echo "FAIL: $name: memplumber's verdicts differ from valgrind's (< valgrind, > memplumber)"
        diff <(lines "$T/vg.txt") <(lines "$T/mp.txt") | sed 's/^/      /'
        fail=1
    fi
}
for set in all none stdstring length64 newarray multipleinheritance length64,multipleinheritance \
           stdstring,newarray; do
    compare "--leak-check-heuristics=$set" "--leak-check-heuristics=$set" "--leak-check-heuristics=$set"
done
compare "default (all)" "" ""
# memplumber's own spellings, including those of the earlier yes/no option
compare "--heuristics=newarray,stdstring" "--leak-check-heuristics=stdstring,newarray" "--heuristics=newarray,stdstring"
compare "--heuristics" "--leak-check-heuristics=all" "--heuristics"
compare "--no-heuristics" "--leak-check-heuristics=none" "--no-heuristics"
compare "--heuristics=no" "--leak-check-heuristics=none" "--heuristics=no"
compare "MEMPLUMBER_OPTIONS=heuristics=length64" "--leak-check-heuristics=length64" "" MEMPLUMBER_OPTIONS=heuristics=length64
compare "MEMPLUMBER_OPTIONS=heuristics=yes" "--leak-check-heuristics=all" "" MEMPLUMBER_OPTIONS=heuristics=yes

# Sets valgrind refuses: refused before the program starts, the message naming the valid names.
for bad in bogus stdstring,bogus all,none stdstring,all ""; do
    n=$((n + 1))
    rm -f "$RAN"
    valgrind --leak-check-heuristics="$bad" "$T/heur" >/dev/null 2>"$T/vg.txt"
    vrc=$?
    "$M" --leak-check-heuristics="$bad" "$T/heur" >/dev/null 2>"$T/mp.txt"
    mrc=$?
    if [ $vrc = 0 ]; then
        echo "FAIL: valgrind accepted --leak-check-heuristics='$bad' (the test's premise)"
        fail=1
    fi
    if [ $mrc = 0 ] || [ -e "$RAN" ]; then
        echo "FAIL: --leak-check-heuristics='$bad': status $mrc, program ran: $([ -e "$RAN" ] && echo yes || echo no)"
        fail=1
    elif ! grep -q 'stdstring, length64, newarray, multipleinheritance, or all, or none' "$T/mp.txt"; then
        echo "FAIL: --leak-check-heuristics='$bad': the message does not name the valid sets:"
        sed 's/^/      /' "$T/mp.txt"
        fail=1
    fi
done
n=$((n + 1))
rm -f "$RAN"
if MEMPLUMBER_OPTIONS=heuristics=stdstring,bogus "$M" "$T/heur" >/dev/null 2>"$T/mp.txt" || [ -e "$RAN" ]; then
    echo "FAIL: MEMPLUMBER_OPTIONS=heuristics=stdstring,bogus was not refused before the program started"
    fail=1
fi

[ $fail = 0 ] && echo "ok: $n checks"
exit $fail
