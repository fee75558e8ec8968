#!/bin/sh
# mp_unwind against gdb's backtrace on -O2 -fomit-frame-pointer code: a program prints the PCs
# mp_unwind gives from a point, gdb stops at the same point and prints `bt`; the function names
# (addr2line on PC-1 for ours) must match frame for frame up to main.
# Exit 0 on match, 1 with a diff otherwise, 77 (skip) when gdb or addr2line is missing.
set -eu
command -v gdb >/dev/null 2>&1 || { echo "unwind_vs_gdb: gdb not found, skipped"; exit 77; }
command -v addr2line >/dev/null 2>&1 || { echo "unwind_vs_gdb: addr2line not found, skipped"; exit 77; }
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/prog.c" <<'EOF'
#include <alloca.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "preload/record/unwind.h"
#define NOINLINE __attribute__((noinline))
static volatile int sink_v;
static void sink(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

NOINLINE void bp_here(void) { __asm__ volatile("" ::: "memory"); }

/* like the hook: a frame-pointer frame hands its caller's registers to mp_unwind */
NOINLINE void report(void)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    uintptr_t pcs[64];
    int n = mp_unwind(&r, pcs, 64);
    for (int i = 0; i < n; i++)
        printf("%#lx\n", (unsigned long)pcs[i]);
    fflush(stdout);
    bp_here();
}

NOINLINE int leaf(int a) { report(); return a + sink_v; }
NOINLINE int big(int a) { char b[50000]; memset(b, a, sizeof b); sink(b); return leaf(a) + b[77]; }
NOINLINE int drap(int n) {
    char v[n]; __attribute__((aligned(64))) char al[64];
    memset(v, 1, (size_t)n); al[0] = v[0]; sink(v); sink(al);
    return big(n) + al[0] + v[n - 1];
}
NOINLINE int with_alloca(int n) { char *p = alloca((size_t)n); memset(p, 0, (size_t)n); sink(p); return drap(n + sink_v) + p[1]; }
NOINLINE int rec(int d) { volatile char pad[24]; pad[0] = (char)d; int r = d ? rec(d - 1) : with_alloca(40 + sink_v); return r + pad[0]; }
static int (*volatile rec_ptr)(int) = rec;
NOINLINE int top(void) { return rec_ptr(3) + sink_v; }
int main(void) { mp_unwind_init(); return top() == 12345; }
EOF

gcc -std=gnu11 -D_GNU_SOURCE -I"$root/src" -I"$root/include" -g -O2 -fomit-frame-pointer -no-pie \
    "$tmp/prog.c" "$root/src/preload/record/unwind.c" "$root/src/common/arena.c" "$root/src/common/lock.c" -o "$tmp/prog" -ldl -lpthread
"$tmp/prog" >"$tmp/pcs.txt"

# ours: names of the frames up to main
: >"$tmp/ours.txt"
while read -r pc; do
    name=$(addr2line -f -e "$tmp/prog" "$(printf '%#x' $((pc - 1)))" | head -n 1)
    echo "$name" >>"$tmp/ours.txt"
    [ "$name" = main ] && break
done <"$tmp/pcs.txt"

# gdb: frames #2 (the caller of report) .. main
gdb -batch -nx -ex 'set pagination off' -ex 'break bp_here' -ex run -ex bt "$tmp/prog" \
    >"$tmp/gdb.out" 2>&1 || true
sed -n 's/^#\([0-9][0-9]*\) \{1,\}\(0x[0-9a-f]* in \)\{0,1\}\([A-Za-z_][A-Za-z0-9_.]*\) .*/\1 \3/p' \
    "$tmp/gdb.out" | awk '$1 >= 2 { print $2; if ($2 == "main") exit }' >"$tmp/theirs.txt"

if [ ! -s "$tmp/theirs.txt" ]; then
    echo "unwind_vs_gdb: gdb gave no backtrace (ptrace not allowed?), skipped"
    sed -n '1,20p' "$tmp/gdb.out"
    exit 77
fi
if diff -u "$tmp/theirs.txt" "$tmp/ours.txt"; then
    echo "unwind_vs_gdb: $(wc -l <"$tmp/ours.txt") frames match gdb: $(tr "\n" " " <"$tmp/ours.txt")"
    exit 0
fi
echo "unwind_vs_gdb: FAIL (--- gdb, +++ mp_unwind)"
exit 1
