#!/bin/bash
# Programs that link a sanitizer runtime replacing malloc (gcc's -fsanitize=address, thread and
# leak through libasan/libtsan/liblsan.so; gcc's -static-libasan and clang's static runtimes;
# libasan in LD_PRELOAD) cannot run with libmemplumber.so preloaded (ASan: "runtime does not
# come first", exit 1, or a crash). The command must say so in one warning line, run them
# unobserved (no report), and pass their output and exit status through, as natively. A plain
# program is observed (the report check is meaningful). Compilers that cannot build a variant
# skip it. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
if [ ! -x "$M" ] || [ ! -f "$ROOT/build/libmemplumber.so" ]; then
    echo "skip: build/memplumber or build/libmemplumber.so is missing (make)"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD ASAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS
cat >"$T/leak.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
char *volatile keep;
int main(void)
{
    keep = malloc(7);
    keep[0] = 1;
    keep = 0; /* leaked */
    puts("hello");
    return 4;
}
CEOF

fails=0
tested=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# check NAME WARNING-TEXT [ENV=VALUE...] -- PROGRAM: native vs memplumber.
check() {
    local name=$1 want=$2
    shift 2
    local envs=()
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    rm -f "$T/r.json"
    env "${envs[@]}" "$@" >"$T/n.out" 2>"$T/n.err"
    local nst=$?
    env "${envs[@]}" "$M" --json="$T/r.json" "$@" >"$T/m.out" 2>"$T/m.err"
    local mst=$?
    tested=$((tested + 1))
    [ "$mst" = "$nst" ] || fail "$name: status $mst, native $nst; stderr: $(head -5 "$T/m.err")"
    cmp -s "$T/n.out" "$T/m.out" || fail "$name: stdout differs: '$(cat "$T/m.out")' vs '$(cat "$T/n.out")'"
    [ ! -e "$T/r.json" ] || fail "$name: a report was written: the program ran observed"
    local mp
    mp=$(grep -c '^memplumber:' "$T/m.err")
    [ "$mp" = 1 ] && head -1 "$T/m.err" | grep -q "memplumber: warning: .*$want.*cannot observe" ||
        fail "$name: expected one memplumber warning naming $want first, got: $(grep '^memplumber:' "$T/m.err")"
    # The program's own diagnostics are there as natively (pids and addresses aside).
    local norm='s/==[0-9]*==/==PID==/g; s/0x[0-9a-f]*/ADDR/g'
    diff <(tail -n +2 "$T/m.err" | sed "$norm") <(sed "$norm" "$T/n.err") >/dev/null ||
        fail "$name: the program's stderr differs from the native one"
}

# build NAME COMPILER FLAGS...: $T/NAME, or a note and 1 when the compiler cannot.
build() {
    local name=$1
    shift
    if ! "$@" -o "$T/$name" "$T/leak.c" 2>"$T/cc.err" || ! "$T/$name" >/dev/null 2>&1 &&
        [ $? -ge 126 ]; then
        echo "note: $name not tested: $* cannot build or run it"
        return 1
    fi
}

if build plain cc -O0; then
    rm -f "$T/r.json"
    "$M" --json="$T/r.json" "$T/plain" >/dev/null 2>&1
    [ -s "$T/r.json" ] || fail "control: a plain program was not observed (no report)"
    asan=$(cc -print-file-name=libasan.so)
    if [ -f "$asan" ]; then
        check "libasan in LD_PRELOAD" "AddressSanitizer" "LD_PRELOAD=$asan" -- "$T/plain"
    fi
fi
build gcc_asan gcc -fsanitize=address && check "gcc -fsanitize=address" AddressSanitizer -- "$T/gcc_asan"
build gcc_asan_static gcc -fsanitize=address -static-libasan &&
    check "gcc -fsanitize=address -static-libasan" AddressSanitizer -- "$T/gcc_asan_static"
build gcc_tsan gcc -fsanitize=thread && check "gcc -fsanitize=thread" ThreadSanitizer -- "$T/gcc_tsan"
build gcc_lsan gcc -fsanitize=leak && check "gcc -fsanitize=leak" LeakSanitizer -- "$T/gcc_lsan"
if command -v clang >/dev/null; then
    build clang_asan clang -fsanitize=address && check "clang -fsanitize=address" AddressSanitizer -- "$T/clang_asan"
    build clang_tsan clang -fsanitize=thread && check "clang -fsanitize=thread" ThreadSanitizer -- "$T/clang_tsan"
    build clang_msan clang -fsanitize=memory && check "clang -fsanitize=memory" MemorySanitizer -- "$T/clang_msan"
fi
# A script whose interpreter is sanitized is not observed either (the interpreter is what runs).
if [ -x "$T/gcc_asan" ]; then
    printf '#!%s\n' "$T/gcc_asan" >"$T/script"
    chmod +x "$T/script"
    check "script run by a sanitized interpreter" AddressSanitizer -- "$T/script"
fi

if [ "$tested" = 0 ]; then
    echo "skip: no sanitized program could be built"
    exit 77
fi
[ "$fails" = 0 ] || exit 1
echo "ok ($tested sanitized programs)"
