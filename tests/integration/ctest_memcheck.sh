#!/bin/bash
# CTest's memcheck with memplumber in valgrind's place: a small CMake project (a clean test, a
# leak with indirectly lost blocks, a double free, a still-reachable block) run with
# `ctest -T memcheck`, MEMORYCHECK_COMMAND=memplumber, MEMORYCHECK_TYPE=Valgrind and CTest's
# default valgrind options (-q --tool=memcheck --leak-check=yes --show-reachable=yes
# --num-callers=50 --log-file=...). CTest's own parser reads the logs; the defects it finds per
# test (Testing/*/DynamicAnalysis.xml) must be the expected ones and, when valgrind is
# installed, the same as with valgrind. Run twice, to catch a log that keeps the previous run.
# Exit 0 = pass, 1 = fail, 77 = skipped (no cmake/ctest: scripts/install-deps --test).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
for t in cmake ctest python3 cc; do
    command -v $t >/dev/null || { echo "skip: $t is not installed (scripts/install-deps --test)"; exit 77; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no

mkdir -p "$T/src"
cat >"$T/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.10)
project(mpct C)
include(CTest)
foreach(t clean leak doublefree reach)
  add_executable(t_${t} ${t}.c)
  add_test(NAME ${t} COMMAND t_${t})
endforeach()
EOF
cat >"$T/src/clean.c" <<'EOF'
#include <stdlib.h>
int main(void) { void *p = malloc(10); free(p); return 0; }
EOF
cat >"$T/src/leak.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
struct node { struct node *a, *b; };
int main(void)
{
    struct node *n = malloc(sizeof *n);
    n->a = malloc(24);
    n->b = malloc(24);
    n = NULL;
    char *s = strdup("lost");
    s = NULL;
    return 0;
}
EOF
cat >"$T/src/doublefree.c" <<'EOF'
#include <stdlib.h>
int main(void) { char *volatile p = malloc(8); free(p); free(p); return 0; }
EOF
cat >"$T/src/reach.c" <<'EOF'
#include <stdlib.h>
void *keep;
int main(void) { keep = malloc(100); return 0; }
EOF

cat >"$T/defects.py" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET
files = sorted(glob.glob(sys.argv[1] + '/Testing/*/DynamicAnalysis.xml'))
root = ET.parse(files[-1]).getroot()
tests = [t for t in root.iter('Test') if t.find('Name') is not None]
for t in sorted(tests, key=lambda t: t.findtext('Name')):
    d = sorted('%s=%s' % (x.get('type'), x.text) for x in t.iter('Defect') if x.get('type'))
    print(t.findtext('Name'), ' '.join(d) or 'none')
EOF

# defects CHECKER BUILDDIR: configure, build, ctest -T memcheck; prints "test type=count ..."
# per test, sorted.
defects() {
    local b=$2
    mkdir -p "$b"
    (cd "$b" && cmake -DMEMORYCHECK_COMMAND="$1" -DMEMORYCHECK_TYPE=Valgrind "$T/src" >cmake.log 2>&1 &&
        make >make.log 2>&1) || { echo "BUILD FAILED"; cat "$b/cmake.log" "$b/make.log"; return; }
    (cd "$b" && ctest -T memcheck >ctest.log 2>&1)
    python3 "$T/defects.py" "$b"
}

fail=0
# (CTest lists only the tests with defects: clean is absent.)
expected="doublefree FIM=1
leak Memory Leak=2
reach Potential Memory Leak=1"
got=$(defects "$M" "$T/mp")
if [ "$got" != "$expected" ]; then
    echo "FAIL: ctest -T memcheck with memplumber"
    echo "expected:"; echo "$expected"; echo "actual:"; echo "$got"
    cat "$T/mp/ctest.log"; cat "$T"/mp/Testing/Temporary/MemoryChecker.*.log
    fail=1
fi
# Second run in the same tree: the logs must not keep the first run's records.
(cd "$T/mp" && ctest -T memcheck >ctest2.log 2>&1)
got2=$(python3 "$T/defects.py" "$T/mp")
if [ "$got2" != "$expected" ]; then
    echo "FAIL: second ctest -T memcheck run"; echo "$got2"; fail=1
fi
if command -v valgrind >/dev/null; then
    vg=$(defects "$(command -v valgrind)" "$T/vg")
    if [ "$vg" != "$got" ]; then
        echo "FAIL: CTest finds other defects with valgrind than with memplumber"
        echo "valgrind:"; echo "$vg"; echo "memplumber:"; echo "$got"
        fail=1
    fi
else
    echo "note: valgrind not installed: compared with the expected defects only"
fi
[ $fail = 0 ] && echo "ok: ctest -T memcheck: $(echo "$got" | tr '\n' ';')"
exit $fail
