#!/bin/bash
# dlopen of libraries with initial-exec TLS, which glibc places in the surplus of the static TLS
# area: the largest one that loads natively must load under memplumber too, and the next one must
# fail the same way ("cannot allocate memory in static TLS block", dlerror's text). glibc rounds
# the static area to 64 bytes and the rest joins the surplus: libmemplumber.so's own TLS block
# was 1824 bytes, so a program had up to 32 bytes less room under memplumber than natively.
# Also checks that the block is a multiple of 64 bytes (runtime.c's MP_TLS_PAD).
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
L=$ROOT/build/libmemplumber.so
[ -x "$M" ] && [ -f "$L" ] || { echo "skip: build/ is missing (make)"; exit 77; }
command -v gcc >/dev/null && command -v readelf >/dev/null || { echo "skip: gcc or readelf missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED GLIBC_TUNABLES LD_AUDIT
export HOME=$T/home MEMPLUMBER_SYMBOL_CACHE=no
mkdir -p "$HOME"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

memsz=$(readelf -lW "$L" | awk '$1 == "TLS" { print $6 }')
[ -n "$memsz" ] && memsz=$((memsz))
[ -n "$memsz" ] && [ $((memsz % 64)) = 0 ] ||
    bad "libmemplumber.so's TLS block is $memsz bytes, not a multiple of 64: change MP_TLS_PAD in src/preload/runtime/runtime.c by $(( (64 - memsz % 64) % 64 )) (mod 64)"

cd "$T" || exit 1
cat >lib.c <<'EOF2'
#include <stdlib.h>
__thread char big[SIZE] __attribute__((tls_model("initial-exec")));
int use(void) { big[SIZE - 1] = 1; char *p = malloc(10); free(p); return big[SIZE - 1]; }
EOF2
cat >prog.c <<'EOF2'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        printf("fail: %s\n", dlerror());
        return 1;
    }
    int (*u)(void) = (int (*)(void))dlsym(h, "use");
    printf("ok %d\n", u());
    return 0;
}
EOF2
gcc -g -O0 -o prog prog.c -ldl || { echo "skip: cannot build"; exit 77; }
lib() { [ -f "lib$1.so" ] || gcc -shared -fPIC -DSIZE="$1" -o "lib$1.so" lib.c; }
loads() { lib "$1" && ./prog "./lib$1.so" >/dev/null 2>&1; }
# the largest size (a multiple of 8) that loads natively, between 8 and 64 KiB
lo=8 hi=65536
loads $lo || { echo "skip: no static TLS surplus at all"; exit 77; }
loads $hi && { echo "skip: the surplus is larger than 64 KiB"; exit 77; }
while [ $((hi - lo)) -gt 8 ]; do
    mid=$(( (lo + hi) / 16 * 8 ))
    if loads $mid; then lo=$mid; else hi=$mid; fi
done
for s in $lo $hi; do
    lib $s
    ./prog "./lib$s.so" >n.out 2>/dev/null
    nrc=$?
    "$M" --json=r.json ./prog "./lib$s.so" >m.out 2>m.err
    mrc=$?
    [ "$nrc" = "$mrc" ] || bad "size $s: status $mrc under memplumber, $nrc natively: $(cat m.out)"
    cmp -s n.out m.out || bad "size $s: stdout '$(cat m.out)' under memplumber, '$(cat n.out)' natively"
    [ -s r.json ] || bad "size $s: no report"
    rm -f r.json
done
exit $fail
