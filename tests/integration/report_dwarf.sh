#!/bin/bash
# The report library's symbolizer on the debug-info layouts found in the wild, from one small
# -O2 program with an always_inline function: DWARF 5 and 4 (gcc), clang (no .debug_aranges),
# -gsplit-dwarf (.dwo), a separate debug file found through .gnu_debuglink, and a binary without
# debug info (names from .symtab, no lines). Each variant writes a JSON report through
# mp_report_write and python3 checks function, file basename, line and inlined per frame.
# Exit 0 = pass, 1 = fail, 77 = skipped (no build/libmemplumber-report.so, gcc or python3).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
if ! command -v gcc >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: needs gcc and python3"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT

cat >"$T/prog.c" <<'EOF'
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common/kinds.h"
#include "common/model.h"

static uintptr_t pcs[2];
static unsigned lines[3];

__attribute__((noinline)) uintptr_t grab(void) { return (uintptr_t)__builtin_return_address(0); }

static inline __attribute__((always_inline)) void inl(void)
{
    pcs[0] = grab(); lines[0] = __LINE__;
}

__attribute__((noinline)) void host(void)
{
    inl(); lines[1] = __LINE__;
    pcs[1] = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

static struct mp_module mods[256];
static char paths[256][4096];
static size_t nmods;

static int cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    (void)size;
    (void)arg;
    if (!name && nmods)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && nmods < 256; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (name)
            snprintf(paths[nmods], sizeof paths[0], "%s", name);
        else if (readlink("/proc/self/exe", paths[nmods], sizeof paths[0] - 1) < 0)
            continue;
        mods[nmods] = (struct mp_module){.path = paths[nmods], .base = info->dlpi_addr,
                                         .lo = info->dlpi_addr + ph->p_vaddr,
                                         .hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
        nmods++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    host(); lines[2] = __LINE__;
    __asm__ volatile("" ::: "memory");
    dl_iterate_phdr(cb, NULL);
    uintptr_t stack[2] = {pcs[0], pcs[1]};
    struct mp_stack stacks[2] = {{0}, {stack, 2, 0}};
    struct mp_loss_record rec = {MP_LEAK_DEFINITE, MP_ALLOC_MALLOC, 8, 1, 0, 0, 1, 0};
    struct mp_report_input in;
    memset(&in, 0, sizeof in);
    in.abi = MP_REPORT_ABI;
    in.argc = argc;
    in.argv = argv;
    in.records = &rec;
    in.nrecords = 1;
    in.stacks = stacks;
    in.nstacks = 2;
    in.modules = mods;
    in.nmodules = nmods;
    in.opt.text_fd = -1;
    in.opt.err_fd = 2;
    in.opt.json_path = argv[1];
    int rc = mp_report_write(&in);
    printf("%u %u %u\n", lines[0], lines[1], lines[2]);
    return rc ? 1 : 0;
}
EOF

# Linked against the library as built (its exported entry points only).
LIB=$ROOT/build/libmemplumber-report.so
if [ ! -f "$LIB" ]; then
    echo "skip: $LIB is missing (make build/libmemplumber-report.so)"
    exit 77
fi

pass=0
fail=0
# variant NAME [expect]: build $T/NAME/prog (by the commands in $build), run it, check frames.
# expect "full" = inl [inlined] / host / main with lines; "symtab" = host and main, no lines.
variant() {
    local name=$1 expect=$2 d=$T/$1
    mkdir -p "$d"
    if ! (cd "$d" && eval "$build") >"$d/build.txt" 2>&1; then
        echo "FAIL $name: build"; cat "$d/build.txt"; fail=$((fail + 1)); return
    fi
    if ! "$d/prog" "$d/r.json" >"$d/out.txt" 2>&1; then
        echo "FAIL $name: run"; cat "$d/out.txt"; fail=$((fail + 1)); return
    fi
    if python3 - "$d/r.json" "$expect" $(tail -1 "$d/out.txt") <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
expect, l0, l1, l2 = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
got = [(f['function'], os.path.basename(f['file'] or ''), f['line'], f['inlined'])
       for f in d['leaks'][0]['stack']]
if expect == 'full':
    want = [('inl', 'prog.c', l0, True), ('host', 'prog.c', l1, False), ('main', 'prog.c', l2, False)]
else:
    want = [('host', '', None, False), ('main', '', None, False)]
if got != want:
    print('expected', want, '\ngot     ', got)
    sys.exit(1)
EOF
    then pass=$((pass + 1)); else echo "FAIL $name"; fail=$((fail + 1)); fi
}

CC="-std=gnu11 -D_GNU_SOURCE -I$ROOT/src -I$ROOT/include"
LINK="$LIB -Wl,-rpath,$ROOT/build"
build="gcc $CC -O2 -g -o prog $T/prog.c $LINK"
variant gcc-dwarf5 full
build="gcc $CC -O2 -gdwarf-4 -o prog $T/prog.c $LINK"
variant gcc-dwarf4 full
build="gcc $CC -O2 -g -gsplit-dwarf -c $T/prog.c -o prog.o && gcc -o prog prog.o $LINK"
variant gcc-split-dwarf full
build="gcc $CC -O2 -g -o prog $T/prog.c $LINK && objcopy --only-keep-debug prog prog.debug &&
       objcopy --strip-debug --add-gnu-debuglink=prog.debug prog"
variant gnu-debuglink full
build="gcc $CC -O2 -g -o prog $T/prog.c $LINK && objcopy --strip-debug prog"
variant no-debug-info symtab
if command -v clang >/dev/null; then
    build="clang $CC -O2 -g -o prog $T/prog.c $LINK"
    variant clang full
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
