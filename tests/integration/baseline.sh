#!/bin/bash
# Only new leaks fail CI: --baseline=OLD.json with --error-exitcode, as a CI job sees it. A
# program run natively exits 0; under memplumber with --error-exitcode=7 and no baseline it
# exits 7 (its leaks) under --leak-check=full, and 0 without it (as valgrind, whose default is
# summary: loss records are no errors then); with a baseline of an earlier run of itself it exits 0 and every loss
# record and error is reported known (text, JSON, SARIF baselineState, valgrind XML); a new leak
# or a new heap error makes it exit 7 and is reported new; a rebuild with lines inserted above
# the allocations (other line numbers, other addresses) still matches the baseline; a missing,
# unparsable or wrong baseline stops memplumber with status 2 before the program starts, naming
# the file and what is wrong. `memplumber merge` of the per-process reports of a run adds up
# identical records (merged totals = the sum of the inputs') and its output works as a baseline;
# a bad input is refused by name. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc is missing"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cd "$T" || exit 1
cat >prog.c.in <<'EOF'
#include <stdlib.h>
#include <string.h>
void *keep;
/*PAD*/
static char *copy_name(const char *s)
{
    return strdup(s);
}
static void *make_table(size_t n)
{
    return calloc(n, 8);
}
int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    char *a = copy_name("alpha");
    a = NULL;
    keep = malloc(100);
    if (strchr(what, 'n')) {          /* a new leak */
        void *t = make_table(4);
        t = NULL;
    }
    if (strchr(what, 'e')) {          /* a new heap error */
        char *p = malloc(3);
        free(p);
        free(p);
    }
    return 0;
}
EOF
sed 's|/\*PAD\*/||' prog.c.in >prog.c
gcc -g -O0 -o prog prog.c || { echo "skip: cannot compile"; exit 77; }
# The same source file with lines inserted above the allocations, in another directory.
mkdir v2
sed 's|/\*PAD\*/|static int unrelated1;\nstatic int unrelated2;\nint use_them(void) { return unrelated1 + unrelated2; }|' prog.c.in >v2/prog.c
gcc -g -O0 -o prog2 v2/prog.c || { echo "skip: cannot compile"; exit 77; }

# run EXPECTED_STATUS LABEL args...: memplumber's status must be EXPECTED_STATUS
run() {
    local want=$1 label=$2; shift 2
    "$M" "$@" >"$T/$label.out" 2>&1
    local rc=$?
    [ "$rc" = "$want" ] || bad "$label: status $rc, expected $want: $(tail -4 "$T/$label.out")"
}

./prog n; [ $? = 0 ] || bad "the program run natively does not exit 0"
run 0 old --json=old.json ./prog
run 0 nobase --error-exitcode=7 ./prog
run 7 nobasefull --leak-check=full --error-exitcode=7 ./prog
run 0 same --baseline=old.json --error-exitcode=7 --json=same.json --sarif=same.sarif --xml=yes --xml-file=same.xml --log-fd=2 ./prog
grep -q 'definitely lost in loss record .* \[known: in the baseline\]' same.out || bad "same: the text does not say the record is known: $(grep 'loss record' same.out)"
grep -q 'BASELINE: 0 new loss records, 2 known; 0 new error contexts, 0 known' same.out || bad "same: BASELINE line: $(grep BASELINE same.out)"
run 7 newleak --baseline=old.json --error-exitcode=7 --json=newleak.json --sarif=newleak.sarif --xml=yes --xml-file=newleak.xml --log-fd=2 ./prog n
grep -q '32 bytes in 1 blocks are definitely lost in loss record .* \[new: not in the baseline\]' newleak.out || bad "newleak: the new record is not marked new: $(grep 'loss record' newleak.out)"
grep -q '6 bytes in 1 blocks are definitely lost in loss record .* \[known: in the baseline\]' newleak.out || bad "newleak: the old record is not marked known"
grep -q 'blocks are definitely lost in loss record [0-9]* of [0-9]* \[new: not in the baseline\]</text>' newleak.xml || bad "newleak: the XML does not say which record is new"
run 7 newerr --baseline=old.json --error-exitcode=7 --json=newerr.json ./prog e
grep -q 'Invalid free() .*double_free.* \[new: not in the baseline\]' newerr.out || bad "newerr: the heap error's line does not say it is new: $(grep 'Invalid free' newerr.out)"
run 0 noexit --baseline=old.json ./prog ne
# The same leaks after a rebuild that moved every line and address.
run 0 moved --baseline=old.json --error-exitcode=7 --json=moved.json ./prog2
grep -q '\[new' moved.out && bad "moved: a record is new after lines were inserted above it: $(grep 'loss record' moved.out)"
# The baseline's gate counts new loss records under the default leak_check (failing on new
# leaks is its point) and under full; under an explicit summary (or no) loss records are never
# errors, as in valgrind: only a new heap error fails.
run 7 fullnew --baseline=old.json --leak-check=full --error-exitcode=7 ./prog n
run 0 sumsame --baseline=old.json --leak-check=summary --error-exitcode=7 ./prog
run 0 sumnew --baseline=old.json --leak-check=summary --error-exitcode=7 ./prog n
grep -q 'ERROR SUMMARY: 0 errors' sumnew.out || bad "sumnew: ERROR SUMMARY: $(grep 'ERROR SUMMARY' sumnew.out)"
run 7 sumnewerr --baseline=old.json --leak-check=summary --error-exitcode=7 ./prog e

python3 - <<'EOF' || fail=1
import json
ok = True
def bad(m):
    global ok; ok = False; print('FAIL:', m)
def load(n): return json.load(open(n + '.json'))
def fns(r): return [f['function'] for f in r['stack']]
for name in ('same', 'moved'):
    d = load(name)
    if d['baseline'] is None or d['baseline']['new_leaks'] or d['baseline']['new_errors']:
        bad('%s: baseline summary %r' % (name, d['baseline']))
    if any(r.get('baseline') != 'known' for r in d['leaks'] + d['errors']):
        bad('%s: a record is not known: %r' % (name, [(r['kind'], r.get('baseline')) for r in d['leaks']]))
d = load('newleak')
for r in d['leaks']:
    want = 'new' if 'make_table' in fns(r) else 'known'
    if r.get('baseline') != want:
        bad('newleak: %s %s is %r, expected %s' % (r['kind'], fns(r), r.get('baseline'), want))
if d['baseline']['new_leaks'] != 1:
    bad('newleak: baseline summary %r' % d['baseline'])
d = load('newerr')
if [e.get('baseline') for e in d['errors']] != ['new'] or any(r['baseline'] != 'known' for r in d['leaks']):
    bad('newerr: errors %r' % [(e['kind'], e.get('baseline')) for e in d['errors']])
s = json.load(open('newleak.sarif'))
st = sorted((r['baselineState'], 'make_table' in json.dumps(r['codeFlows'])) for r in s['runs'][0]['results'])
if st != [('new', True), ('unchanged', False)]:
    bad('newleak.sarif baselineState %r' % st)
if load('old')['baseline'] is not None:
    bad('a report without --baseline has "baseline": %r' % load('old')['baseline'])
EOF

# A baseline that cannot be used stops memplumber before the program starts.
refuse() {
    local label=$1 file=$2 want=$3
    rm -f ran
    out=$("$M" --baseline="$file" --error-exitcode=7 -- sh -c 'touch ran' 2>&1)
    rc=$?
    [ $rc = 2 ] || bad "$label: status $rc, expected 2 ($out)"
    [ -e ran ] && bad "$label: the program ran"
    echo "$out" | grep -q "baseline '$file'" || bad "$label: the message does not name the file: $out"
    echo "$out" | grep -q -- "$want" || bad "$label: the message does not say '$want': $out"
}
refuse missing missing.json 'No such file'
printf '{"format": "memplumber-report", "version": 1,\n "leaks": [\n' >cut.json
refuse truncated cut.json 'line 3, column 1: unexpected end'
echo '{"results": []}' >other.json
refuse other other.json 'not a memplumber JSON report'
sed 's/"version": 1/"version": 2/' old.json >v2.json
refuse version v2.json 'version is not 1'
sed '0,/"kind": "definitely_lost"/s//"kind": "lost"/' old.json >kind.json
refuse kind kind.json 'leaks\[[0-9]\]: "kind" is not one of'
out=$(MEMPLUMBER_OPTIONS=baseline=$T/missing.json LD_PRELOAD=$ROOT/build/libmemplumber.so ./prog 2>&1); rc=$?
{ [ $rc = 2 ] && echo "$out" | grep -q "baseline=$T/missing.json: cannot read the file: no such file"; } ||
    bad "MEMPLUMBER_OPTIONS baseline of a missing file: status $rc, '$out'"

# merge: the per-process reports of a "test suite" (three processes), added up.
mkdir -p suite
# --trace-children=yes: the programs sh starts are observed as valgrind observes them then (a bad
# free is reported and dropped); without it they keep their native fate (glibc aborts 'prog ne').
"$M" --trace-children=yes --json=suite/%p.json -- sh -c './prog; ./prog n; ./prog ne; ./prog2 n' >/dev/null 2>&1
n=$(ls suite/*.json | wc -l)
[ "$n" -ge 4 ] || bad "the suite wrote $n reports, expected at least 4 (sh and each program)"
"$M" merge merged.json suite/*.json 2>merge.err || bad "merge failed: $(cat merge.err)"
python3 - suite merged.json <<'EOF' || fail=1
import json, sys, glob, collections
ins = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + '/*.json'))]
m = json.load(open(sys.argv[2]))
ok = True
for k, v in m['summary'].items():
    want = sum(d['summary'][k] if k == 'errors' else d['summary'][k]['bytes'] for d in ins)
    got = v if k == 'errors' else v['bytes']
    if got != want:
        ok = False; print('FAIL: merged summary %s %s, sum of the inputs %s' % (k, got, want))
want = collections.Counter(); blocks = collections.Counter(); reps = collections.Counter()
for d in ins:
    for r in d['leaks']:
        want[r['key']] += r['bytes']; blocks[r['key']] += r['blocks']
    for k in {r['key'] for r in d['leaks']}:
        reps[k] += 1    # "reports": in how many inputs the record is
got = {r['key']: (r['bytes'], r['blocks'], r['reports']) for r in m['leaks']}
exp = {k: (want[k], blocks[k], reps[k]) for k in want}
if got != exp:
    ok = False; print('FAIL: merged records (bytes, blocks, reports)', got, 'expected', exp)
strdup = [r for r in m['leaks'] if r['stack'] and r['stack'][0]['function'] == 'strdup']
if not strdup or strdup[0]['reports'] != 4 or strdup[0]['bytes'] != 24:
    ok = False; print('FAIL: the strdup leak of the four programs (prog and prog2) is not one record of 24 bytes:', [(r['bytes'], r['reports']) for r in strdup])
errs = [(e['kind'], e['count']) for e in m['errors']]
if errs != [('double_free', 1)]:
    ok = False; print('FAIL: merged errors', errs)
if len(m['merged_from']) != len(ins):
    ok = False; print('FAIL: merged_from', m['merged_from'])
sys.exit(0 if ok else 1)
EOF
run 0 mbase --baseline=merged.json --error-exitcode=7 ./prog ne
grep -q 'Invalid free() .*double_free.* \[known: in the baseline\]' mbase.out || bad "mbase: the heap error's line does not say it is known: $(grep 'Invalid free' mbase.out)"
echo '{"format": "memplumber-report", "version": 1, "leaks": [], "errors": [' >broken.json
out=$("$M" merge out.json suite/*.json broken.json 2>&1); rc=$?
{ [ $rc = 2 ] && echo "$out" | grep -q "'broken.json'" && [ ! -e out.json ]; } || bad "merge with a broken input: status $rc, '$out'"
out=$("$M" merge out.json nothere.json 2>&1); rc=$?
{ [ $rc = 2 ] && echo "$out" | grep -q "'nothere.json': cannot read it: No such file"; } || bad "merge of a missing input: status $rc, '$out'"

[ $fail = 0 ] && echo "baseline: known records pass, new leaks and errors fail; merge adds up $n reports"
exit $fail
