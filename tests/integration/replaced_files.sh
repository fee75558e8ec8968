#!/usr/bin/env bash
# A program's files replaced or deleted on disk while it runs (a rebuild during a long test, a
# deploy or `apt upgrade` under a running server, a binary run from a memfd): its report must name
# the functions of the code that ran, as valgrind does (it reads symbols when the code is mapped),
# never those of the file now at that path. Three cases: the executable rebuilt in place, a
# shared library replaced by a new build (rename over it, as package managers do), and the
# executable deleted. The replacement builds put other functions at the same addresses.
# Exit 0 = pass, 1 = fail, 77 = skipped (gcc or python3 missing).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v gcc >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
[ -x "$root/build/memplumber" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# version 1: waits until the file "go" exists, then leaks from alpha_leak and lib_alpha
cat >"$tmp/v1.c" <<'SRC'
#include <stdlib.h>
#include <unistd.h>
#define NOINLINE __attribute__((noinline))
void *lib_alpha(size_t n);
void *volatile sink;
NOINLINE void *alpha_leak(size_t n) { void *p = malloc(n); sink = 0; return p; }
int main(int argc, char **argv)
{
    for (int i = 0; i < 3000 && access(argv[1], F_OK) != 0; i++)
        usleep(10000);
    sink = alpha_leak(1111);
    sink = lib_alpha(2222);
    sink = 0;
    return 0;
}
SRC
cat >"$tmp/lib1.c" <<'SRC'
#include <stdlib.h>
void *volatile lsink;
__attribute__((noinline)) void *lib_alpha(size_t n) { void *p = malloc(n); lsink = 0; return p; }
SRC
# version 2: the same shapes, other names
sed -e 's/alpha_leak/omega_wrong/g' "$tmp/v1.c" >"$tmp/v2.c"
sed -e 's/lib_alpha/lib_omega/g' "$tmp/lib1.c" >"$tmp/lib2.c"
# the replacement library keeps the old name exported too, so the program could still load it
echo 'void *lib_alpha(size_t n) { return lib_omega(n); }' >>"$tmp/lib2.c"

build() { # build DIR: prog and libx.so of version 1 in DIR
    mkdir -p "$1"
    gcc -O1 -g -shared -fPIC "$tmp/lib1.c" -o "$1/libx.so" || return 1
    gcc -O1 -g -fno-optimize-sibling-calls "$tmp/v1.c" -o "$1/prog" -L"$1" -lx -Wl,-rpath,"$1"
}

check() { # check JSON CASE: the two leaks are named after version 1's functions
    python3 - "$1" "$2" <<'PY'
import json, sys
path, case = sys.argv[1], sys.argv[2]
r = json.load(open(path))
want = {1111: "alpha_leak", 2222: "lib_alpha"}
ok = True
for size, fn in want.items():
    recs = [l for l in r["leaks"] if l["bytes"] == size]
    if not recs:
        print("%s: no %d-byte leak in the report" % (case, size)); ok = False; continue
    names = [f.get("function") or "??" for f in recs[0]["stack"]]
    if any("omega" in n for n in names):
        print("%s: %d-byte leak named after the replacement's code: %s" % (case, size, names)); ok = False
    elif names[0] != fn:
        print("%s: %d-byte leak's first frame is %s, not %s: %s" % (case, size, names[0], fn, names)); ok = False
    else:
        print("%s: %d bytes at %s" % (case, size, " <- ".join(names)))
sys.exit(0 if ok else 1)
PY
}

fail=0
for case in exe_rebuilt lib_replaced exe_deleted; do
    d="$tmp/$case"
    build "$d" || { echo "$case: build failed"; exit 1; }
    "$root/build/memplumber" --json="$tmp/$case.json" -- "$d/prog" "$tmp/$case.go" 2>"$tmp/$case.err" &
    pid=$!
    # wait until the program runs (its library is mapped), then change the files under it
    for i in $(seq 1 500); do
        grep -q "$d/libx.so" /proc/*/maps 2>/dev/null && break
        sleep 0.01
    done
    case $case in
    exe_rebuilt)
        rm -f "$d/prog"
        gcc -O1 -g -fno-optimize-sibling-calls "$tmp/v2.c" -o "$d/prog" -L"$d" -lx -Wl,-rpath,"$d" ||
            exit 1
        ;;
    lib_replaced)
        gcc -O1 -g -shared -fPIC "$tmp/lib2.c" -o "$d/libx.so.new" && mv -f "$d/libx.so.new" "$d/libx.so" ||
            exit 1
        ;;
    exe_deleted)
        rm -f "$d/prog"
        ;;
    esac
    touch "$tmp/$case.go"
    wait $pid || { echo "$case: exit status $?"; cat "$tmp/$case.err"; fail=1; continue; }
    check "$tmp/$case.json" "$case" || fail=1
done
exit $fail
