#!/bin/bash
# SARIF for code scanning, as a code-scanning service reads it: every log memplumber writes (and
# `memplumber merge` combines) validates against the SARIF 2.1.0 JSON schema (the SARIF SDK's
# copy in tests/integration/sarif/, checked with python3-jsonschema; a broken copy of a log must
# fail the same check); the primary location of a leak through strdup() is the program's own
# line that called strdup, not libc's file, with the source root (%SRCROOT%, --sarif-root) made
# relative; files outside the root are absolute file:// URIs; no doubled directories
# (./string/./string/strdup.c); the whole stack is a codeFlow, outermost first; which kinds become
# results and their level follow --show-leak-kinds / --errors-for-leak-kinds; partialFingerprints
# are equal across two runs at different addresses (ASLR) and after a rebuild with a line
# inserted above the allocation, and differ between different leaks.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
SCHEMA=$ROOT/tests/integration/sarif/sarif-schema-2.1.0.json
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
# A python3 with jsonschema: the one first in PATH, else Debian's (python3-jsonschema).
PY=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "skip: no python3 with jsonschema (install python3-jsonschema: scripts/install-deps --test)"; exit 77; }
[ -f "$SCHEMA" ] || { echo "skip: the SARIF schema $SCHEMA is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
bad() { echo "FAIL: $*"; fail=1; }

P=$T/proj
mkdir -p "$P/src" "$P/build" "$T/other"
cat >"$P/src/prog.c.in" <<'EOF'
#include <stdlib.h>
#include <string.h>
void *keep;
static char *copy_name(const char *s)
{
    /*PAD*/
    return strdup(s);
}
static void *make_table(size_t n)
{
    return calloc(n, 8);
}
int main(int argc, char **argv)
{
    char *a = copy_name("alpha");
    a = NULL;
    void *t = make_table(4);
    t = NULL;
    keep = malloc(100);
    if (argc > 1) {
        char *p = malloc(3);
        free(p);
        free(p);
    }
    return 0;
}
EOF
sed 's|/\*PAD\*/||' "$P/src/prog.c.in" >"$P/src/prog.c"
(cd "$P" && gcc -g -O0 -o build/prog src/prog.c) || { echo "skip: cannot compile"; exit 77; }
STRDUP_LINE=$(grep -n 'return strdup' "$P/src/prog.c" | cut -d: -f1)

cat >"$T/check.py" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
V = jsonschema.validators.validator_for(schema)
V.check_schema(schema)
v = V(schema, format_checker=jsonschema.FormatChecker())
rc = 0
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    for e in errs[:5]:
        print('%s: %s at %s' % (path, e.message[:200], '/'.join(map(str, e.path))))
    if errs:
        rc = 1
sys.exit(rc)
EOF
valid() { "$PY" "$T/check.py" "$SCHEMA" "$@"; }

# 1. Default run from the project directory.
(cd "$P" && "$M" --sarif=r1.sarif --json=r1.json build/prog x 2>"$T/err1") ||
    bad "run 1 failed: $(tail -3 "$T/err1")"
valid "$P/r1.sarif" || bad "r1.sarif is not valid SARIF 2.1.0"
# The validator is not a rubber stamp: a level the schema does not allow must be caught.
sed 's/"level": "error"/"level": "fatal"/' "$P/r1.sarif" >"$T/broken.sarif"
valid "$T/broken.sarif" >/dev/null && bad "the schema check accepted a log with level 'fatal'"
grep -q '/\./' "$P/r1.json" "$P/r1.sarif" && bad "a path with a doubled './' directory: $(grep -o '"[^"]*/\./[^"]*"' "$P/r1.json" | head -2)"

"$PY" - "$P/r1.sarif" "$P" "$STRDUP_LINE" <<'EOF' || fail=1
import json, sys
d = json.load(open(sys.argv[1])); proj = sys.argv[2]; line = int(sys.argv[3])
run = d['runs'][0]
ok = True
def bad(m):
    global ok; ok = False; print('FAIL:', m)
base = run.get('originalUriBaseIds', {}).get('%SRCROOT%', {}).get('uri')
if base != 'file://' + proj + '/':
    bad('%%SRCROOT%% is %r, expected file://%s/' % (base, proj))
res = run['results']
kinds = sorted(r['ruleId'] for r in res)
if kinds != ['definitely-lost', 'definitely-lost', 'double-free']:
    bad('results %s: expected two definitely lost and the double free (no still reachable by default)' % kinds)
for r in res:
    loc = r['locations'][0]['physicalLocation']
    al = loc['artifactLocation']
    if al.get('uri') != 'src/prog.c' or al.get('uriBaseId') != '%SRCROOT%':
        bad('%s: primary location %r is not the program\'s src/prog.c under %%SRCROOT%%' % (r['message']['text'], al))
    if 'strdup' in json.dumps(r['codeFlows']) and loc['region']['startLine'] != line:
        bad('strdup leak: primary line %s, expected %d (the strdup call in copy_name)' % (loc['region'], line))
    if r['level'] != 'error':
        bad('%s: level %s, expected error (definite and heap errors count as errors)' % (r['ruleId'], r['level']))
    fp = r.get('partialFingerprints', {}).get('memplumberKey/v1', '')
    if len(fp) != 16:
        bad('no memplumberKey/v1 fingerprint: %r' % r.get('partialFingerprints'))
    if 'baselineState' in r:
        bad('baselineState without --baseline')
strdup = [r for r in res if 'strdup' in json.dumps(r['codeFlows'])]
if not strdup:
    bad('no result has strdup in its code flow')
else:
    locs = strdup[0]['codeFlows'][0]['threadFlows'][0]['locations']
    names = [l['location'].get('logicalLocations', [{}])[0].get('fullyQualifiedName') for l in locs]
    if names[:3] != ['main', 'copy_name', 'strdup']:
        bad('code flow %s, expected main, copy_name, strdup (outermost first)' % names)
    imp = [l.get('importance') for l in locs]
    if imp[:3] != ['essential', 'essential', 'unimportant']:
        bad('importance %s: the program\'s frames essential, libc\'s unimportant' % imp)
    uri = locs[2]['location'].get('physicalLocation', {}).get('artifactLocation', {}).get('uri', '')
    if 'string/' in uri and not uri.startswith('file:///'):
        bad('strdup frame points at a relative libc source file %r' % uri)
fps = [r['partialFingerprints']['memplumberKey/v1'] for r in res]
if len(set(fps)) != len(fps):
    bad('two different results share a fingerprint: %s' % fps)
sys.exit(0 if ok else 1)
EOF

# The JSON report's "key" is the SARIF fingerprint (one matching key).
"$PY" - "$P/r1.json" "$P/r1.sarif" <<'EOF' || fail=1
import json, sys
j = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
keys = {r['key'] for r in j['leaks'] if r['kind'] == 'definitely_lost'} | {e['key'] for e in j['errors']}
fps = {r['partialFingerprints']['memplumberKey/v1'] for r in s['runs'][0]['results']}
if keys != fps:
    print('FAIL: JSON keys %s differ from SARIF fingerprints %s' % (sorted(keys), sorted(fps))); sys.exit(1)
EOF

# 2. Same program, another run (ASLR), then a rebuild with a line inserted above the allocation.
(cd "$P" && "$M" --sarif=r2.sarif --json=r2.json build/prog x 2>/dev/null)
sed 's|/\*PAD\*/|volatile int unrelated = 1; (void)unrelated;\n    /* an unrelated line */|' "$P/src/prog.c.in" >"$P/src/prog.c"
(cd "$P" && gcc -g -O0 -o build/prog src/prog.c) || bad "cannot rebuild"
(cd "$P" && "$M" --sarif=r3.sarif --json=r3.json build/prog x 2>/dev/null)
valid "$P/r2.sarif" "$P/r3.sarif" || bad "r2/r3 not valid SARIF"
"$PY" - "$P" "$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo 2)" <<'EOF' || fail=1
import json, sys
p = sys.argv[1]; aslr = sys.argv[2] != '0'
def fp(n):
    d = json.load(open('%s/r%d.sarif' % (p, n)))
    return {(r['ruleId'], r['partialFingerprints']['memplumberKey/v1']): r['locations'][0]['physicalLocation']['region']['startLine'] for r in d['runs'][0]['results']}
def pcs(n):
    return [f['pc'] for l in json.load(open('%s/r%d.json' % (p, n)))['leaks'] for f in l['stack'] if f['function'] == 'main']
a, b, c = fp(1), fp(2), fp(3)
ok = True
if aslr and pcs(1) == pcs(2):
    print('FAIL: the two runs have the same addresses although ASLR is on: the test proves nothing'); ok = False
if set(a) != set(b):
    print('FAIL: fingerprints differ between two runs of the same program:', sorted(a), sorted(b)); ok = False
if set(a) != set(c):
    print('FAIL: fingerprints changed with a line inserted above the allocation:', sorted(a), sorted(c)); ok = False
if [a[k] for k in sorted(a)] == [c.get(k) for k in sorted(a)]:
    print('FAIL: the inserted line did not move any primary location (the test proves nothing)'); ok = False
if not aslr:
    print('note: ASLR is off here (randomize_va_space=0); addresses were equal')
sys.exit(0 if ok else 1)
EOF

# 3. --sarif-root: relative to another root, and outside the root.
(cd "$P" && "$M" --sarif=r4.sarif --sarif-root=src build/prog 2>/dev/null)
(cd "$P" && "$M" --sarif=r5.sarif --sarif-root="$T/other" build/prog 2>/dev/null)
valid "$P/r4.sarif" "$P/r5.sarif" || bad "r4/r5 not valid SARIF"
"$PY" - "$P" "$T" <<'EOF' || fail=1
import json, sys
p, t = sys.argv[1], sys.argv[2]
ok = True
d = json.load(open(p + '/r4.sarif'))['runs'][0]
al = d['results'][0]['locations'][0]['physicalLocation']['artifactLocation']
if al != {'uri': 'prog.c', 'uriBaseId': '%SRCROOT%'} or d['originalUriBaseIds']['%SRCROOT%']['uri'] != 'file://%s/src/' % p:
    print('FAIL: --sarif-root=src: %r, root %r' % (al, d['originalUriBaseIds'])); ok = False
d = json.load(open(p + '/r5.sarif'))['runs'][0]
al = d['results'][0]['locations'][0]['physicalLocation']['artifactLocation']
if al != {'uri': 'file://%s/src/prog.c' % p}:
    print('FAIL: a file outside --sarif-root: %r, expected an absolute file:// URI' % al); ok = False
sys.exit(0 if ok else 1)
EOF
out=$("$M" --sarif-root="$T/nonexistent" true 2>&1); rc=$?
{ [ $rc = 2 ] && echo "$out" | grep -q "sarif-root=$T/nonexistent"; } || bad "--sarif-root of a missing directory: status $rc, '$out'"

# 4. Kinds and levels follow --show-leak-kinds / --errors-for-leak-kinds.
(cd "$P" && "$M" --sarif=r6.sarif --show-leak-kinds=all build/prog 2>/dev/null)
(cd "$P" && "$M" --sarif=r7.sarif --errors-for-leak-kinds=none build/prog 2>/dev/null)
valid "$P/r6.sarif" "$P/r7.sarif" || bad "r6/r7 not valid SARIF"
"$PY" - "$P" <<'EOF' || fail=1
import json, sys
p = sys.argv[1]
lv = lambda n: sorted((r['ruleId'], r['level']) for r in json.load(open('%s/r%d.sarif' % (p, n)))['runs'][0]['results'])
ok = True
if ('still-reachable', 'note') not in lv(6):
    print('FAIL: --show-leak-kinds=all: no still-reachable note in', lv(6)); ok = False
if lv(7) != [('definitely-lost', 'warning')] * 2:
    print('FAIL: --errors-for-leak-kinds=none: expected definitely lost as warnings, got', lv(7)); ok = False
sys.exit(0 if ok else 1)
EOF

# 5. memplumber merge of SARIF logs: one valid run, the same leak once with its occurrences.
(cd "$P" && "$M" merge all.sarif r1.sarif r2.sarif r4.sarif 2>"$T/merr") || bad "merge of SARIF logs failed: $(cat "$T/merr")"
valid "$P/all.sarif" || bad "merged SARIF log is not valid"
"$PY" - "$P/all.sarif" <<'EOF' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
res = d['runs'][0]['results']
occ = sorted((r['ruleId'], r['occurrenceCount']) for r in res)
if occ != [('definitely-lost', 3), ('definitely-lost', 3), ('double-free', 2)]:
    print('FAIL: merged occurrences', occ); sys.exit(1)
if len(d['runs']) != 1 or len(d['runs'][0]['invocations']) != 3:
    print('FAIL: merged log should be one run with three invocations'); sys.exit(1)
EOF

[ $fail = 0 ] && echo "SARIF: schema-valid, primary location in src/prog.c:$STRDUP_LINE, fingerprints stable"
exit $fail
