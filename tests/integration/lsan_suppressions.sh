#!/bin/bash
# LeakSanitizer suppression files, read by memplumber as LeakSanitizer reads them. One program
# with a leak of a distinct size in each kind of place (a C function, C++ methods in a namespace,
# a file under third_party/, a shared library loaded as libfoo.so.1, functions
# whose names differ only at the end), and several suppression files written the way real
# projects write them (comments, blank lines, CRLF line ends, indentation, leak:libfoo.so for a
# loaded libfoo.so.1, '*', '^', '$'). For each file the set of leaks left must be the one
# LeakSanitizer itself (gcc -fsanitize=leak, the same suppression file) leaves. Then an entry
# that matched nothing is warned about, and malformed files stop the run before the program
# starts. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB LSAN_OPTIONS ASAN_OPTIONS
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
mkdir -p "$T/src/third_party/zlibish" "$T/lib"
cat >"$T/src/foo_cache.c" <<'EOF'
#include <stdlib.h>
__attribute__((noinline)) void *foo_cache_new(void) { void *p = malloc(101); return p ? (void *)1 : p; }
EOF
cat >"$T/src/third_party/zlibish/inflate.c" <<'EOF'
#include <stdlib.h>
__attribute__((noinline)) int zi_inflate_init(void) { void *p = malloc(102); return p != 0; }
EOF
cat >"$T/src/parser.cc" <<'EOF'
#include <cstdlib>
#include <cstring>
namespace net {
struct Parser {
    __attribute__((noinline)) int parse(int n);
    __attribute__((noinline)) static int parse_header(const char *s);
};
void *volatile sink;
int Parser::parse(int n) { char *p = new char[103]; std::memset(p, n, 103); sink = p; sink = 0; return n; }
int Parser::parse_header(const char *s) { char *p = (char *)std::malloc(18); std::memcpy(p, s, 18); sink = p; sink = 0; return s[0]; }
}
extern "C" __attribute__((noinline)) int global_init(void) { void *p = std::malloc(104); return p != 0; }
extern "C" __attribute__((noinline)) int global_init_late(void) { void *p = std::malloc(105); return p != 0; }
extern "C" __attribute__((noinline)) int make_cache_for_foo(void) { void *p = std::malloc(106); return p != 0; }
extern "C" __attribute__((noinline)) int make_cache_for_bar(void) { void *p = std::malloc(107); return p != 0; }
extern "C" void *foo_cache_new(void);
extern "C" int zi_inflate_init(void);
__attribute__((noinline)) static void scrub(void) { volatile char junk[8192]; for (unsigned i = 0; i < sizeof junk; i++) junk[i] = 0; }
int main()
{
    int r = 0;
    r += foo_cache_new() != 0;
    r += zi_inflate_init();
    r += net::Parser().parse(1);
    r += net::Parser::parse_header("a header of 18 b.");
    r += global_init();
    r += global_init_late();
    r += make_cache_for_foo();
    r += make_cache_for_bar();
    scrub();
    return r == 12345;
}
EOF
build() {  # build DIR EXTRA-FLAGS
    mkdir -p "$1" &&
    gcc -g -O1 -fno-omit-frame-pointer -fPIC -shared -Wl,-soname,libfoo.so.1 -o "$1/libfoo.so.1" "$T/src/foo_cache.c" $2 &&
    gcc -g -O1 -fno-omit-frame-pointer -c -o "$1/inflate.o" "$T/src/third_party/zlibish/inflate.c" $2 &&
    g++ -g -O1 -fno-omit-frame-pointer -o "$1/prog" "$T/src/parser.cc" "$1/inflate.o" \
        -L"$1" -l:libfoo.so.1 -Wl,-rpath,"$1" $2
}
build "$T/mp" "" || { echo "skip: cannot compile the test program"; exit 77; }
build "$T/lsan" "-fsanitize=leak" || { echo "skip: gcc cannot build with -fsanitize=leak"; exit 77; }
"$T/lsan/prog" >/dev/null 2>"$T/probe.txt"
grep -q "Direct leak of 101" "$T/probe.txt" ||
    { echo "skip: LeakSanitizer does not work here: $(head -c 300 "$T/probe.txt")"; exit 77; }

# The sizes of the leaks a run reports (direct leaks / definitely lost), sorted.
lsan_sizes() {  # SUPPFILE
    LSAN_OPTIONS="suppressions=$1:print_suppressions=0" "$T/lsan/prog" >/dev/null 2>"$T/lsan.txt"
    if grep -q "failed to parse" "$T/lsan.txt"; then
        echo "refused"
        return
    fi
    echo $(sed -n 's/^Direct leak of \([0-9]*\) byte.*/\1/p' "$T/lsan.txt" | sort -n)
}
mp_sizes() {  # SUPPFILE
    (cd / && "$M" --suppressions="$1" --json="$T/r.json" -- "$T/mp/prog" >/dev/null 2>"$T/mp.txt")
    python3 - "$T/r.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(' '.join(str(x) for x in sorted(l['bytes'] for l in r['leaks'] if l['kind'] == 'definitely_lost')))
EOF
}

printf '# nothing\n' >"$T/none.supp"
all_l=$(lsan_sizes "$T/none.supp"); all_m=$(mp_sizes "$T/none.supp")
if [ "$all_l" != "18 101 102 103 104 105 106 107" ]; then
    echo "skip: LeakSanitizer does not see every leak of the program: '$all_l'"; exit 77
fi
[ "$all_m" = "$all_l" ] || { echo "FAIL: without suppressions memplumber says '$all_m', LeakSanitizer '$all_l'"; fail=1; }

n=0
check() {  # NAME, file text on stdin
    n=$((n + 1))
    cat >"$T/s$n.supp"
    local l m
    l=$(lsan_sizes "$T/s$n.supp"); m=$(mp_sizes "$T/s$n.supp")
    if [ "$l" = refused ]; then
        echo "FAIL: $1: LeakSanitizer refuses the file (not a valid case)"; fail=1
    elif [ "$l" = "$all_l" ]; then
        echo "FAIL: $1: the file suppresses nothing under LeakSanitizer either (a useless case)"; fail=1
    elif [ "$m" != "$l" ]; then
        echo "FAIL: $1: memplumber leaves '$m', LeakSanitizer '$l'"; sed 's/^/    /' "$T/s$n.supp"; fail=1
    else
        echo "ok: $1: both leave '$l'"
    fi
}

# Chromium-style: comments, blank lines, a library, a directory, a C++ method by a part of its name.
check "library, directory, method" <<'EOF'
# Leaks in third-party code we do not own.

# libfoo's cache lives until exit (https://example.org/bug/123)
leak:libfoo.so
leak:third_party/zlibish

# net::Parser keeps its buffers
leak:net::Parser::parse
EOF
# Anchors: ^global_init$ is one function, not global_init_late; the file anchored at its end.
check "anchors" <<'EOF'
leak:^global_init$
leak:inflate.c$
EOF
# Wildcards: make_cache*foo, stars around a name, an anchored wildcard.
check "wildcards" <<'EOF'
leak:make_cache*foo
leak:*parse_header*
leak:^net::*(int)$
EOF
# Windows line ends, indentation, trailing blanks; a source file by base name.
printf '  # indented comment\r\n\tleak:foo_cache.c  \r\n   leak:global_init_l\r\n' | check "CRLF and blanks"
# The executable by its path (as LeakSanitizer's own test does), here the end of it.
printf 'leak:/prog$\n' | check "the executable"

# An entry that matched nothing is warned about at the report; the used ones are not.
printf 'leak:libfoo.so\nleak:no_such_function\n' >"$T/unused.supp"
(cd / && "$M" --suppressions="$T/unused.supp" -- "$T/mp/prog" >/dev/null 2>"$T/unused.txt")
if ! grep -q "memplumber: warning: suppression 'leak:no_such_function' ($T/unused.supp:2) matched nothing" "$T/unused.txt"; then
    echo "FAIL: no warning for the entry that matched nothing:"; grep -i warn "$T/unused.txt"; fail=1
elif grep -q "suppression 'leak:libfoo.so'" "$T/unused.txt"; then
    echo "FAIL: a warning for an entry that matched"; fail=1
else
    echo "ok: warning for the unused entry"
fi

# A long shared file: ten warnings at most, then how many more.
{ echo "leak:libfoo.so"; for k in $(seq 1 13); do echo "leak:gone_function_$k"; done; } >"$T/many.supp"
(cd / && "$M" --suppressions="$T/many.supp" -- "$T/mp/prog" >/dev/null 2>"$T/many.txt")
w=$(grep -c "memplumber: warning: suppression 'leak:gone_function_" "$T/many.txt")
if [ "$w" != 10 ] || ! grep -q "memplumber: warning: and 3 more suppressions matched nothing" "$T/many.txt"; then
    echo "FAIL: 13 unused entries gave $w warnings:"; grep warning "$T/many.txt"; fail=1
else
    echo "ok: 13 unused entries: 10 warnings and a count"
fi

# Malformed files: status 2 and a message naming file, line and what is valid, before the
# program runs (it would create a file).
bad() {  # NAME EXPECTED-MESSAGE, file text on stdin
    cat >"$T/bad.supp"
    rm -f "$T/ran"
    out=$("$M" --suppressions="$T/bad.supp" -- /bin/sh -c "touch $T/ran" 2>&1)
    rc=$?
    if [ $rc -ne 2 ] || [ -e "$T/ran" ] || [[ "$out" != *"$2"* ]]; then
        echo "FAIL: $1: status $rc, ran: $([ -e "$T/ran" ] && echo yes || echo no), said: $out"; fail=1
    else
        echo "ok: $1"
    fi
}
printf 'leak:a\nrace:b\n' | bad "a ThreadSanitizer line" "bad.supp:2: unknown suppression type 'race:'; expected leak: (LeakSanitizer's) or error:"
printf 'leak:a\nleak\n' | bad "no colon" "bad.supp:2: expected leak:PATTERN or error:PATTERN, found 'leak'"
printf 'leak:\n' | bad "empty template" "bad.supp:1: empty pattern after 'leak:'"
printf 'interceptor_via_fun:x\n' | bad "an ASan-only file" "bad.supp:1: cannot tell the format"
exit $fail
