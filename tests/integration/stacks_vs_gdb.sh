#!/usr/bin/env bash
# The stack memplumber records for an allocation (JSON report, every fast path on) must be the
# stack gdb's `bt` shows at that malloc call, frame for frame, on -O2 code without frame pointers
# (a chain with big frames, alloca, recursion, a call through a pointer, and a C++ frame).
# Exit 0 = match, 1 = mismatch (both printed), 77 = skipped (gdb or python3 missing).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v gdb >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
[ -x "$root/build/memplumber" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.cc" <<'SRC'
#include <alloca.h>
#include <cstdlib>
#include <cstring>
#define NOINLINE __attribute__((noinline))
volatile int sink_v;
void *volatile keep_sink;
NOINLINE void *leaf(size_t n) { void *p = malloc(n); keep_sink = 0; return p; }
NOINLINE void *big_frame(size_t n) { volatile char buf[3000]; buf[0] = (char)n; void *p = leaf(n); return (char *)p + (buf[0] & 0); }
NOINLINE void *with_alloca(size_t n) { char *a = (char *)alloca(64 + (n & 7)); memset(a, 1, 64); sink_v = a[3]; return big_frame(n); }
NOINLINE void *rec(int d, size_t n) { volatile int pad[4]; pad[0] = d; if (d) return rec(d - 1, n); return with_alloca(n + (size_t)(pad[0] & 0)); }
static void *(*volatile fptr)(int, size_t) = rec;
namespace ns { struct widget { NOINLINE static void *make(size_t n) { return fptr(3, n); } }; }
int main() { void *p = ns::widget::make(12345); p = 0; sink_v = 0; return 0; }
SRC
g++ -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls "$tmp/prog.cc" -o "$tmp/prog" || exit 1

"$root/build/memplumber" --json "$tmp/r.json" -- "$tmp/prog" 2>/dev/null
python3 - "$tmp/r.json" >"$tmp/ours.txt" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
recs = [l for l in r["leaks"] if l["bytes"] == 12345]
if not recs:
    sys.exit("no 12345-byte record in the report")
for f in recs[0]["stack"]:
    name = (f.get("function") or "??").split("(")[0]
    print(name)
    if name == "main":
        break
PY

gdb -batch -nx -ex 'set breakpoint pending on' -ex 'break malloc if $rdi == 12345' -ex run -ex bt \
    "$tmp/prog" 2>/dev/null | grep -E '^#[0-9]' >"$tmp/bt.txt"
# gdb: "#1  0x... in leaf (n=12345) at ..." or "#1  leaf (n=...) at ..."; drop frame #0 (malloc)
sed -E 's/^#[0-9]+ +(0x[0-9a-f]+ in )?//; s/ \(.*//; s/^([A-Za-z_:0-9]+).*/\1/' "$tmp/bt.txt" | tail -n +2 |
    awk '{print} $0=="main"{exit}' >"$tmp/gdb.txt"
if [ ! -s "$tmp/gdb.txt" ]; then
    echo "gdb produced no backtrace"; exit 77
fi
if diff -u "$tmp/gdb.txt" "$tmp/ours.txt"; then
    echo "stacks match gdb: $(tr '\n' ' ' <"$tmp/ours.txt")"
    exit 0
fi
echo "memplumber's recorded stack differs from gdb's bt (- gdb, + memplumber)"
exit 1
