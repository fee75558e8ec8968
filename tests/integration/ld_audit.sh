#!/bin/bash
# A program run with an LD_AUDIT module (la_version, la_objopen that allocates and leaks in the
# audit namespace). With LD_AUDIT, glibc sets up static TLS before it loads the preloaded
# libraries, and libmemplumber.so's initial-exec TLS did not fit in the surplus left: the loader
# refused to start the program ("cannot allocate memory in static TLS block", status 127).
# When it did start, __libc_freeres at the exit report freed ld.so's early blocks, reported as
# three invalid frees the program never made. The program must run as natively (status, stdout,
# the audit module's stderr line, which the command's own process prints too), the report must have the program's leak and no errors.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: build/ is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED GLIBC_TUNABLES
export HOME=$T/home MEMPLUMBER_SYMBOL_CACHE=no
mkdir -p "$HOME"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cat >"$T/audit.c" <<'EOF2'
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int n;
unsigned int la_version(unsigned int v) { (void)v; char *p = malloc(64); strcpy(p, "x"); free(p); return LAV_CURRENT; }
unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie)
{
    (void)lmid; (void)cookie; n++;
    char *p = strdup(map->l_name); (void)p;
    return LA_FLG_BINDTO | LA_FLG_BINDFROM;
}
void la_preinit(uintptr_t *c) { (void)c; fprintf(stderr, "audit preinit %d\n", n > 0); }
EOF2
cat >"$T/prog.c" <<'EOF2'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    void *p = malloc(42);
    p = 0;
    void *h = dlopen("libm.so.6", RTLD_NOW);
    printf("h %d\n", h != 0);
    char *q = malloc(10);
    free(q);
    return 3;
}
EOF2
gcc -shared -fPIC -o "$T/libaudit.so" "$T/audit.c" && gcc -g -O0 -o "$T/prog" "$T/prog.c" -ldl ||
    { echo "skip: cannot build"; exit 77; }
cd "$T" || exit 1
LD_AUDIT=./libaudit.so ./prog >native.out 2>native.err
nrc=$?
LD_AUDIT=./libaudit.so "$M" --json=r.json ./prog >mp.out 2>mp.err
mrc=$?
[ "$nrc" = "$mrc" ] || bad "status $mrc under memplumber, $nrc natively: $(grep -v '^==' mp.err | head -3)"
cmp -s native.out mp.out || bad "stdout differs: $(cat mp.out)"
# The audit module also runs in the memplumber command's own process (as in valgrind's): its
# line comes once more.
grep -v -e '^==' -e '^memplumber:' mp.err | uniq | cmp -s native.err - || bad "stderr differs: $(head -3 mp.err)"
grep -q 'static TLS' mp.err && bad "the loader could not load the library: $(grep 'static TLS' mp.err)"
python3 - r.json <<'EOF2' || fail=1
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print('FAIL: no valid report: %s' % e); sys.exit(1)
ok = True
if j['summary']['definitely_lost']['bytes'] < 42 or not any(
        l['kind'] == 'definitely_lost' and l['bytes'] == 42 and
        any(f.get('function') == 'main' for f in l['stack']) for l in j['leaks']):
    print('FAIL: the 42-byte leak of main is not definitely lost: %s' % j['summary']); ok = False
if j['errors']:
    print('FAIL: errors the program never made: %s' % [(e['kind'], [f.get('function') for f in e['stack']][:3]) for e in j['errors']]); ok = False
sys.exit(0 if ok else 1)
EOF2
exit $fail
