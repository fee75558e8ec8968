#!/usr/bin/env bash
# A stripped executable has no symbol for main, yet its leak stacks must still end at main's
# frame, as valgrind shows them: libc's start-up code (__libc_start_call_main, ...) and _start
# below it are dropped (and never symbolized: that would load libc's debug information). With
# --show-below-main=yes they are kept. The same program unstripped gives the same frame count.
# Exit 0 = pass, 1 = fail, 77 = skipped (gcc, strip or python3 missing).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v gcc >/dev/null || exit 77
command -v strip >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
[ -x "$root/build/memplumber" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.c" <<'SRC'
#include <stdlib.h>
#define NOINLINE __attribute__((noinline))
void *volatile sink;
NOINLINE void *leaf(size_t n) { void *p = malloc(n); sink = 0; return p; }
NOINLINE void *mid(size_t n) { void *p = leaf(n); sink = 0; return p; }
int main(void) { void *p = mid(4321); p = 0; sink = p; return 0; }
SRC
gcc -O2 -g -fno-optimize-sibling-calls "$tmp/prog.c" -o "$tmp/prog" || exit 1
cp "$tmp/prog" "$tmp/prog-stripped" && strip -s "$tmp/prog-stripped" || exit 1

fail=0
for variant in prog prog-stripped; do
    for below in no yes; do
        "$root/build/memplumber" --show-below-main=$below --json "$tmp/$variant.$below.json" \
            -- "$tmp/$variant" 2>/dev/null
        python3 - "$tmp/$variant.$below.json" "$tmp/$variant" >"$tmp/$variant.$below.txt" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
recs = [l for l in r["leaks"] if l["bytes"] == 4321]
if not recs:
    sys.exit("%s: no 4321-byte record in the report" % sys.argv[1])
st = recs[0]["stack"]
mods = [f.get("module") or "" for f in st]
print(len(st), " ".join((f.get("function") or "??") for f in st))
below = sys.argv[1].endswith(".yes.json")
libc = [m for m in mods if "/libc.so" in m]
if not below:
    # the outermost frame is main's, in the program; no libc start-up frame remains
    if mods[-1] != sys.argv[2] or libc:
        sys.exit("%s: the stack does not end at main: %s" % (sys.argv[1], mods))
elif not libc:
    sys.exit("%s: --show-below-main=yes lost libc's start-up frames: %s" % (sys.argv[1], mods))
PY
    done
done
cat "$tmp"/*.txt
n_plain=$(cut -d' ' -f1 "$tmp/prog.no.txt")
n_stripped=$(cut -d' ' -f1 "$tmp/prog-stripped.no.txt")
if [ "$n_plain" != "$n_stripped" ]; then
    echo "stripped stack has $n_stripped frames, unstripped $n_plain"
    fail=1
fi
exit $fail
