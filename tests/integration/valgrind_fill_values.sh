#!/bin/bash
# --malloc-fill and --free-fill take the byte as valgrind reads it, hexadecimal with or without
# 0x (--malloc-fill=55 is 0x55, --malloc-fill=ff is 0xff): a program reading a new block and a
# freed one sees the same bytes under memplumber as under valgrind 3.19 (it used to get 55 read
# as decimal, 0x37, without a word). 'none', the documented "no fill", is accepted on the
# command line and in MEMPLUMBER_OPTIONS. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
LIB=$ROOT/build/libmemplumber.so
[ -x "$M" ] && [ -e "$LIB" ] || { echo "skip: build/memplumber or build/libmemplumber.so is missing"; exit 77; }
command -v valgrind >/dev/null || { echo "skip: valgrind is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID VALGRIND_OPTS
cat >"$T/fill.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    unsigned char *volatile p = malloc(64);
    printf("new %02x\n", p[10]);
    free(p);
    printf("freed %02x\n", p[40]); /* after free: what --free-fill wrote (valgrind reports the read) */
    return 0;
}
C
gcc -O0 -o "$T/fill" "$T/fill.c" || { echo "skip: cannot build the test program"; exit 77; }
fail=0
for v in 55 ff 0xAB; do
    vg=$(valgrind -q --malloc-fill=$v --free-fill=$v "$T/fill" 2>/dev/null)
    mp=$("$M" -q --malloc-fill=$v --free-fill=$v "$T/fill" 2>"$T/err")
    if [ -z "$vg" ] || [ "$vg" != "$mp" ]; then
        echo "FAIL: --malloc-fill=$v --free-fill=$v: valgrind '$vg', memplumber '$mp' ($(head -c 300 "$T/err"))"
        fail=1
    fi
done
"$M" -q --malloc-fill=none --free-fill=none "$T/fill" >/dev/null 2>"$T/err" ||
    { echo "FAIL: --malloc-fill=none refused: $(head -c 300 "$T/err")"; fail=1; }
MEMPLUMBER_OPTIONS=malloc_fill=none:free_fill=none:verbosity=0 LD_PRELOAD=$LIB "$T/fill" >/dev/null 2>"$T/err" ||
    { echo "FAIL: malloc_fill=none refused in MEMPLUMBER_OPTIONS: $(head -c 300 "$T/err")"; fail=1; }
[ $fail = 0 ] && echo pass
exit $fail
