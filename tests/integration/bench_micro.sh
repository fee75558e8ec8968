#!/bin/bash
# The micro-benchmarks in bench/ (micro_unwind.c, micro_report.c, micro_churn.c) still build from
# the current sources, with the commands their headers give, and run: they are built by hand
# only, and an interface change (mp_unwind_set_stack, the report's xml_fd) once broke two of them
# without a test noticing. Tiny sizes: this checks that they work, not how fast.
# Exit 0 = pass, 1 = fail, 77 = skipped (no gcc, or libdw-dev missing for micro_report).
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v gcc >/dev/null || { echo "skip: no gcc"; exit 77; }

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# micro_unwind: unwind.c and what it uses, with the preload library's flags (its header)
built=1
for f in src/preload/record/unwind.c src/common/arena.c src/common/lock.c; do
    gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -Isrc -Iinclude -fPIC -fvisibility=hidden \
        -fomit-frame-pointer -fno-tree-slp-vectorize -fno-stack-protector \
        -ftls-model=initial-exec -c "$f" -o "$T/$(basename "$f" .c).o" || built=0
done
if [ $built = 1 ] && gcc -std=gnu11 -O2 -fomit-frame-pointer -D_GNU_SOURCE -Isrc -Iinclude \
        bench/micro_unwind.c "$T/unwind.o" "$T/arena.o" "$T/lock.o" -o "$T/micro_unwind" \
        -ldl -lpthread; then
    out=$("$T/micro_unwind" 2000 0 2>&1)
    if [ $? = 0 ] && grep -Eq '^mp_unwind +[0-9.]+ ns/capture +[0-9]+ frames' <<<"$out"; then ok
    else bad "micro_unwind ran but printed: $out"; fi
else
    bad "micro_unwind does not build"
fi

# micro_churn: one file (its header)
if gcc -O2 -g -fomit-frame-pointer -pthread -Ibench -o "$T/micro_churn" bench/micro_churn.c; then
    out=$("$T/micro_churn" 2000 1 2>&1)
    if [ $? = 0 ] && grep -Eq 'ns' <<<"$out"; then ok
    else bad "micro_churn ran but printed: $out"; fi
else
    bad "micro_churn does not build"
fi

# micro_report: the report library's sources (its header); needs libdw/libelf headers
if [ ! -e /usr/include/elfutils/libdw.h ]; then
    echo "skip micro_report: libdw-dev is not installed"
elif gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -Isrc -Iinclude bench/micro_report.c src/report/[a-z]*.c \
        src/report/html_page.S src/common/[a-z]*.c -ldw -lelf -lz -ldl -lpthread \
        -o "$T/micro_report"; then
    out=$(cd "$T" && ./micro_report 200 8 2>&1)
    if [ $? = 0 ] && grep -q 'mp_report_write (JSON only): .* rc 0' <<<"$out" &&
            ! grep -q 'error' <<<"$out"; then ok
    else bad "micro_report ran but printed: $out"; fi
else
    bad "micro_report does not build"
fi

echo "bench_micro: $pass passed, $fail failed"
[ $fail = 0 ]
