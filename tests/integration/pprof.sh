#!/bin/bash
# --pprof=FILE read back by decoders that share no code with memplumber's writer: python3's gzip and
# a protobuf decoder written here from profile.proto's field numbers, and `go tool pprof` (Debian
# golang-go) when present. Two programs: examples/leaky.c (one leak of each kind) and one whose
# malloc call sits in an always_inline function (a location with two lines). For every loss record
# of the JSON report written by the same run there must be exactly one sample with the same kind
# and allocator labels, the same values (leaked_* for lost kinds, live_* for still reachable) and
# the same stack: function, file and line of every frame, inlined frames as extra lines of one
# location, innermost first; the numeric labels oldest_age_s and newest_age_s, and in a report of
# what is new (a third program: memplumber_report_now, more leaks, memplumber_report_new) the
# labels bytes_increase and blocks_increase, as the JSON report of the same check says. Also: the
# sample types and the default, string 0, unique ids, the comments; go tool pprof's -top total and
# -traces -lines frames.
# Exit 0 = pass, 1 = fail, 77 = skipped (no gcc or python3).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
MP=${MEMPLUMBER:-$ROOT/build/memplumber}
if ! command -v gcc >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: needs gcc and python3"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT

cat >"$T/inl.c" <<'EOF'
#include <stdlib.h>
static void *keep[2];
static inline __attribute__((always_inline)) void *make(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}
__attribute__((noinline)) void *outer(size_t n)
{
    void *p = make(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}
int main(void)
{
    for (int i = 0; i < 5; i++)
        outer(100);             /* definitely lost, 5 blocks */
    keep[0] = outer(7);         /* still reachable */
    keep[1] = outer(9);
    return 0;
}
EOF
cat >"$T/new.c" <<'EOF'
/* Two checks through memplumber.h: everything, then only what is new (3 more blocks of one
 * stack, one block of a new stack): the second report's records carry their increase. */
#include <stdlib.h>
#include <unistd.h>
#include "memplumber.h"
static void *keep[16];
__attribute__((noinline)) static void *grow(void) { void *p = malloc(40); __asm__ volatile("" : : "r"(p) : "memory"); return p; }
__attribute__((noinline)) static void *late(void) { void *p = malloc(7); __asm__ volatile("" : : "r"(p) : "memory"); return p; }
int main(void)
{
    for (int i = 0; i < 5; i++)
        grow();                 /* lost */
    keep[0] = grow();
    memplumber_report_now();
    for (int i = 0; i < 3; i++)
        grow();
    late();
    sleep(2);                   /* ages of 2 s and more in the second report */
    memplumber_report_new();
    return 0;
}
EOF
gcc -O2 -g "$ROOT/examples/leaky.c" -o "$T/leaky" || exit 1
gcc -O1 -g -I"$ROOT/include" "$T/new.c" -o "$T/new" || exit 1
gcc -O2 -g "$T/inl.c" -o "$T/inl" || exit 1

fail=0
# new: the second on-demand report (PID.2, only what is new) is the one checked
"$MP" --pprof="$T/n.%p.pb.gz" --json="$T/n.%p.json" --report-on-exit=no -- "$T/new" >"$T/new.out" 2>&1
for f in "$T"/n.*.2.pb.gz; do cp "$f" "$T/new.pb.gz"; done
for f in "$T"/n.*.2.json; do cp "$f" "$T/new.json"; done
for prog in leaky inl new; do
    [ $prog != new ] && "$MP" --pprof="$T/$prog.pb.gz" --json="$T/$prog.json" -- "$T/$prog" >"$T/$prog.out" 2>&1
    if [ ! -s "$T/$prog.pb.gz" ] || [ ! -s "$T/$prog.json" ]; then
        echo "FAIL: $prog: no profile or JSON report written"; cat "$T/$prog.out"; fail=1; continue
    fi
    python3 - "$T/$prog.pb.gz" "$T/$prog.json" "$T/$prog" <<'EOF' || fail=1
import gzip, json, sys
from collections import Counter

raw = gzip.open(sys.argv[1]).read()
report = json.load(open(sys.argv[2]))
prog = sys.argv[3]
bad = []

def fields(buf):
    """protobuf wire format -> list of (field number, value); value: int or bytes."""
    out, i = [], 0
    def varint():
        nonlocal i
        v = s = 0
        while True:
            b = buf[i]; i += 1
            v |= (b & 0x7f) << s; s += 7
            if b < 0x80:
                return v
    while i < len(buf):
        key = varint()
        f, w = key >> 3, key & 7
        if w == 0:
            out.append((f, varint()))
        elif w == 2:
            n = varint(); out.append((f, buf[i:i + n])); i += n
        elif w == 1:
            out.append((f, int.from_bytes(buf[i:i + 8], 'little'))); i += 8
        elif w == 5:
            out.append((f, int.from_bytes(buf[i:i + 4], 'little'))); i += 4
        else:
            raise ValueError('wire type %d' % w)
    return out

def ints(v):
    """A repeated integer field: packed (bytes) or one value."""
    if isinstance(v, int):
        return [v]
    res, i = [], 0
    while i < len(v):
        x = s = 0
        while True:
            b = v[i]; i += 1
            x |= (b & 0x7f) << s; s += 7
            if b < 0x80:
                break
        res.append(x)
    return res

def msg(buf):
    d = {}
    for f, v in fields(buf):
        d.setdefault(f, []).append(v)
    return d

def one(d, f, default=0):
    return d.get(f, [default])[-1]

prof = msg(raw)
strings = [s.decode('utf-8') for s in prof.get(6, [])]
if not strings or strings[0] != '':
    bad.append('string table does not start with ""')
S = lambda i: strings[i]
types = [(S(one(m, 1)), S(one(m, 2))) for m in map(msg, prof.get(1, []))]
want_types = [('leaked_objects', 'count'), ('leaked_space', 'bytes'),
              ('live_objects', 'count'), ('live_space', 'bytes')]
if types != want_types:
    bad.append('sample types %r, want %r' % (types, want_types))
if S(one(prof, 14)) != 'leaked_space':
    bad.append('default sample type %r' % S(one(prof, 14)))
comments = [S(c) for c in prof.get(13, [])]
if not any('memplumber report' in c for c in comments) or not any(prog in c for c in comments):
    bad.append('comments %r lack the report head or the command line' % comments)

funcs, locs, maps = {}, {}, {}
for m in map(msg, prof.get(5, [])):
    fid = one(m, 1)
    if fid in funcs or fid == 0:
        bad.append('function id %d repeated or zero' % fid)
    funcs[fid] = (S(one(m, 2)), S(one(m, 4)))
for m in map(msg, prof.get(3, [])):
    maps[one(m, 1)] = S(one(m, 5))
for m in map(msg, prof.get(4, [])):
    lid = one(m, 1)
    if lid in locs or lid == 0:
        bad.append('location id %d repeated or zero' % lid)
    if one(m, 2) and one(m, 2) not in maps:
        bad.append('location %d names mapping %d, which is not in the profile' % (lid, one(m, 2)))
    lines = []
    for ln in map(msg, m.get(4, [])):
        name, file = funcs[one(ln, 1)]
        lines.append((name, file or None, one(ln, 2) or None))
    locs[lid] = (one(m, 3), lines)

samples = Counter()
for m in map(msg, prof.get(2, [])):
    ids = [x for v in m.get(1, []) for x in ints(v)]
    vals = [x for v in m.get(2, []) for x in ints(v)]
    labels, nums = {}, {}
    for l in map(msg, m.get(3, [])):
        if 2 not in l:  # numeric (num 0 is left out, as protobuf does): int64 in two's complement
            v = one(l, 3)
            nums[S(one(l, 1))] = (v - (1 << 64) if v >= 1 << 63 else v, S(one(l, 4)))
        else:
            labels[S(one(l, 1))] = S(one(l, 2))
    frames = tuple(fr for i in ids for fr in locs[i][1])
    extra = (nums.get('oldest_age_s'), nums.get('newest_age_s'), nums.get('bytes_increase'),
             nums.get('blocks_increase'))
    samples[(labels.get('kind'), labels.get('allocator'), tuple(vals), frames, extra)] += 1

want = Counter()
for r in report['leaks']:
    live = r['kind'] == 'still_reachable'
    vals = (0, 0, r['blocks'], r['bytes']) if live else (r['blocks'], r['bytes'], 0, 0)
    frames = tuple((f['function'] if f['function'] else '%s+0x?' % f['module'], f['file'],
                    f['line']) for f in r['stack'])
    inc = ((r['bytes_increase'], 'bytes'), (r['blocks_increase'], 'count')) if report.get('only_new') \
        else (None, None)
    want[(r['kind'], r['allocator'], vals, frames,
          ((r['oldest_age_s'], 'seconds'), (r['newest_age_s'], 'seconds')) + inc)] += 1

# Frames without a function are named after module+offset in the profile; compare the module part.
def norm(key):
    k, a, v, fr, x = key
    return (k, a, v, tuple((n.split('+0x')[0] + '+0x?' if '+0x' in n else n, f, l) for n, f, l in fr), x)
got = Counter({norm(k): c for k, c in samples.items()})
if got != want:
    bad.append('samples differ from the JSON report\n  only in profile: %r\n  only in JSON: %r'
               % (list((got - want).elements()), list((want - got).elements())))
if not report['leaks']:
    bad.append('the JSON report has no loss record')
if prog.endswith('/new') and not any(r['oldest_age_s'] >= 2 for r in report['leaks']):
    bad.append('no record of the second report is 2 s old')
if prog.endswith('/new') and not report.get('only_new'):
    bad.append('the second report of new is not a report of what is new')
if report.get('only_new') and not any(r['bytes_increase'] for r in report['leaks']):
    bad.append('a report of what is new without any increase')
# inl: the malloc call inside the always_inline function is one location with two lines.
if prog.endswith('/inl'):
    two = [l for _, l in locs.values() if [x[0] for x in l] == ['make', 'outer']]
    if not two:
        bad.append('no location with the lines make (inlined) + outer: %r' % list(locs.values()))
for b in bad:
    print('FAIL: %s: %s' % (prog, b))
sys.exit(1 if bad else 0)
EOF
    # go tool pprof, an independent reader used by the tools people run.
    if command -v go >/dev/null; then
        export GOCACHE=$T/gocache GOPATH=$T/gopath HOME=$T
        top=$(go tool pprof -top "$T/$prog.pb.gz" 2>&1)
        lost=$(python3 -c 'import json,sys
print(sum(r["bytes"] for r in json.load(open(sys.argv[1]))["leaks"] if r["kind"] != "still_reachable"))' "$T/$prog.json")
        if ! grep -q "^Type: leaked_space" <<<"$top" ||
           ! grep -q "Showing nodes accounting for ${lost}B, 100% of ${lost}B total" <<<"$top"; then
            echo "FAIL: $prog: go tool pprof -top does not show ${lost}B leaked:"; echo "$top"; fail=1
        fi
        traces=$(go tool pprof -traces -lines -sample_index=live_space "$T/$prog.pb.gz" 2>&1)
        # every still-reachable stack's innermost program frame, as file:line, appears
        want=$(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["leaks"]:
    if r["kind"] == "still_reachable":
        f = [f for f in r["stack"] if f["file"] and "/examples/" in f["file"] or f["file"] and sys.argv[2] in f["file"]][0]
        print("%s %s:%d" % (f["function"], f["file"], f["line"]))' "$T/$prog.json" "$T")
        while IFS= read -r w; do
            [ -z "$w" ] && continue
            if ! grep -qF "$w" <<<"$traces"; then
                echo "FAIL: $prog: go tool pprof -traces lacks '$w':"; echo "$traces"; fail=1
            fi
        done <<<"$want"
    else
        echo "note: go is not installed: go tool pprof part skipped"
    fi
done
exit $fail
