#!/bin/bash
# libmemplumber-report.so as shipped, from a C++ program built with -O2 (as libmemplumber.so
# uses it: dlopen + dlsym): demangled names via the program's __cxa_demangle
# ("ns::Box<int>::make(int)"), an always_inline function expanded as an inlined frame, '<' and
# '&' of template names escaped in the HTML report's data, and the text report's frames. Built with g++ and, when
# present, with clang++ (different DWARF for inlines). Exit 0 = pass, 1 = fail, 77 = skipped
# (no build/libmemplumber-report.so, no C++ compiler or no python3).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
LIB=$ROOT/build/libmemplumber-report.so
if [ ! -f "$LIB" ]; then
    echo "skip: $LIB is missing (make build/libmemplumber-report.so)"
    exit 77
fi
if ! command -v g++ >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: needs g++ and python3"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT

cat >"$T/report_cxx.cc" <<'EOF'
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <string>
#include "common/kinds.h"
#include "common/model.h"

static uintptr_t pcs[2];
static unsigned lines[3];

__attribute__((noinline)) uintptr_t grab() { return (uintptr_t)__builtin_return_address(0); }

namespace ns {
template <class T> struct Box {
    __attribute__((noinline)) static void make(T) {
        pcs[0] = grab(); lines[0] = __LINE__;
        pcs[1] = (uintptr_t)__builtin_return_address(0);
        __asm__ volatile("" ::: "memory");
    }
};
inline __attribute__((always_inline)) void helper() {
    Box<int>::make(1); lines[1] = __LINE__;
    __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) void run() {
    helper(); lines[2] = __LINE__;
    __asm__ volatile("" ::: "memory");
}
}

static mp_module mods[256];
static char paths[256][4096];
static size_t nmods;

static int cb(dl_phdr_info *info, size_t, void *) {
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
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
        mods[nmods].path = paths[nmods];
        mods[nmods].base = info->dlpi_addr;
        mods[nmods].lo = info->dlpi_addr + ph->p_vaddr;
        mods[nmods].hi = mods[nmods].lo + ph->p_memsz;
        nmods++;
    }
    return 0;
}

int main(int argc, char **argv) {
    std::string keep(argv[0]);  /* a real C++ program: libstdc++ (and __cxa_demangle) loaded */
    ns::run();
    dl_iterate_phdr(cb, NULL);
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int (*write_report)(const mp_report_input *) =
        (int (*)(const mp_report_input *))dlsym(h, "mp_report_write");
    static mp_stack stacks[2];
    stacks[1].pcs = pcs;
    stacks[1].n = 2;
    static mp_loss_record rec;
    rec.kind = MP_LEAK_DEFINITE;
    rec.allocator = MP_ALLOC_NEW;
    rec.bytes = 24;
    rec.blocks = 1;
    rec.stack = 1;
    mp_report_input in;
    memset(&in, 0, sizeof in);
    in.abi = MP_REPORT_ABI;
    in.pid = 7;
    in.argc = 1;
    in.argv = argv;
    in.lost[MP_LEAK_DEFINITE].bytes = 24;
    in.lost[MP_LEAK_DEFINITE].blocks = 1;
    in.records = &rec;
    in.nrecords = 1;
    in.stacks = stacks;
    in.nstacks = 2;
    in.modules = mods;
    in.nmodules = nmods;
    in.opt.text_fd = 1;
    in.opt.err_fd = 2;
    in.opt.json_path = argv[2];
    in.opt.html_path = argv[3];
    in.opt.show_kinds = 7;
    in.opt.leak_check = 2;
    in.opt.text_prefix_pid = 1;
    int rc = write_report ? write_report(&in) : -1;
    printf("LINES %u %u %u %zu\n", lines[0], lines[1], lines[2], keep.size());
    return rc ? 1 : 0;
}
EOF

pass=0
fail=0
check() {   # check NAME COMPILER
    local name=$1 cxx=$2 d=$T/$1
    mkdir -p "$d"
    if ! $cxx -O2 -g -Isrc -Iinclude -o "$d/prog" "$T/report_cxx.cc" -ldl 2>"$d/cc.txt"; then
        echo "FAIL $name: compile"; cat "$d/cc.txt"; fail=$((fail + 1)); return
    fi
    if ! "$d/prog" "$LIB" "$d/r.json" "$d/r.html" >"$d/out.txt" 2>&1; then
        echo "FAIL $name: the program failed"; cat "$d/out.txt"; fail=$((fail + 1)); return
    fi
    read -r _ l0 l1 l2 _ < <(grep '^LINES ' "$d/out.txt")
    local exp_text="==7==    at 0x[0-9a-f]*: ns::Box<int>::make(int) (report_cxx.cc:$l0)"
    if grep -q "^$exp_text\$" "$d/out.txt"; then pass=$((pass + 1)); else
        echo "FAIL $name: text frame: expected '$exp_text' in:"; cat "$d/out.txt"; fail=$((fail + 1)); fi
    if grep -q "^==7==    by 0x[0-9a-f]*: ns::helper() (report_cxx.cc:$l1) \[inlined\]\$" "$d/out.txt"; then
        pass=$((pass + 1)); else
        echo "FAIL $name: inlined text frame at line $l1:"; cat "$d/out.txt"; fail=$((fail + 1)); fi
    if python3 - "$d/r.json" "$l0" "$l1" "$l2" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
got = [(f['function'], os.path.basename(f['file'] or ''), f['line'], f['inlined'])
       for f in d['leaks'][0]['stack']]
want = [('ns::Box<int>::make(int)', 'report_cxx.cc', int(sys.argv[2]), False),
        ('ns::helper()', 'report_cxx.cc', int(sys.argv[3]), True),
        ('ns::run()', 'report_cxx.cc', int(sys.argv[4]), False)]
if got[:3] != want:
    print('expected', want, '\ngot     ', got)
    sys.exit(1)
EOF
    then pass=$((pass + 1)); else echo "FAIL $name: JSON frames"; fail=$((fail + 1)); fi
    # the page's data is JSON inside <script>: < > & are written \u003c \u003e \u0026
    if grep -qF 'ns::Box\u003cint\u003e::make(int)' "$d/r.html" && ! grep -q 'Box<int>' "$d/r.html"; then
        pass=$((pass + 1)); else echo "FAIL $name: HTML escaping of template names"; fail=$((fail + 1)); fi
}

check gxx g++
if command -v clang++ >/dev/null; then
    check clangxx clang++
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
