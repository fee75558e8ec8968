#!/bin/bash
# The CI snippets of docs/MANUAL.md ("Only new leaks fail CI"), run as written: the commands of
# the baseline example, of the GitHub Actions workflow's `run:` steps and of the GitLab CI job's
# `script:`/`after_script:` (those that are memplumber's, mkdir and make; `uses:` steps are
# GitHub's own), read from the manual and executed in a small project whose `make check` runs two
# test programs. With the baseline recorded, the test step exits 0; after a change that adds a
# leak it fails, and the merged report says which record is new; the merged SARIF log validates
# against the SARIF 2.1.0 schema when python3-jsonschema is there. Exit 0 = pass, 1 = fail,
# 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
[ -x "$ROOT/build/memplumber" ] || { echo "skip: build/memplumber is missing (make)"; exit 77; }
for c in gcc make python3; do
    command -v $c >/dev/null || { echo "skip: $c is missing"; exit 77; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
export PATH="$ROOT/build:$PATH"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The commands of each snippet, one per line.
python3 - "$ROOT/docs/MANUAL.md" "$T" <<'EOF' || { echo "FAIL: cannot read the snippets from docs/MANUAL.md"; exit 1; }
import re, sys
text = open(sys.argv[1]).read(); out = sys.argv[2]
def section(title):
    i = text.index(title)
    j = text.find('\n## ', i + len(title))
    k = text.find('\n### ', i + len(title))
    ends = [x for x in (j, k) if x > 0]
    return text[i:min(ends) if ends else len(text)]
def keep(cmd):
    return cmd.split()[0] in ('memplumber', 'mkdir', 'make')
# the indented example at the top of the section
base = section('## Only new leaks fail CI')
block = re.search(r'\n((?:    .*\n)+)', base).group(1)
cmds = [l.strip() for l in block.splitlines() if l.strip() and not l.strip().startswith('#')]
open(out + '/baseline.cmds', 'w').write('\n'.join(c for c in cmds if keep(c)) + '\n')
# GitHub: run: values (one line, or the lines of a | block)
gh = re.search(r'```yaml\n(.*?)```', section('### GitHub Actions'), re.S).group(1)
cmds = []
lines = gh.splitlines()
for n, l in enumerate(lines):
    m = re.match(r'(\s*)(?:- )?run: (.*)$', l)
    if not m:
        continue
    if m.group(2).strip() != '|':
        cmds.append(m.group(2).split('#')[0].strip())
        continue
    ind = None
    for l2 in lines[n + 1:]:
        if not l2.strip():
            break
        i2 = len(l2) - len(l2.lstrip())
        if ind is None:
            ind = i2
        if i2 < ind:
            break
        cmds.append(l2.strip())
open(out + '/github.cmds', 'w').write('\n'.join(c for c in cmds if keep(c)) + '\n')
gl = re.search(r'```yaml\n(.*?)```', section('### GitLab CI'), re.S).group(1)
cmds = [m.group(1).strip() for m in re.finditer(r'^\s+- (.*)$', gl, re.M)]
open(out + '/gitlab.cmds', 'w').write('\n'.join(c for c in cmds if keep(c)) + '\n')
for f in ('baseline', 'github', 'gitlab'):
    body = open('%s/%s.cmds' % (out, f)).read()
    if 'memplumber' not in body:
        print('no memplumber command in the %s snippet' % f); sys.exit(1)
EOF
grep -q -- '--baseline=' "$T/github.cmds" && grep -q 'memplumber merge' "$T/github.cmds" ||
    bad "the GitHub snippet lacks the baseline run or the merge: $(cat "$T/github.cmds")"
grep -q -- '--baseline=' "$T/gitlab.cmds" && grep -q 'memplumber merge' "$T/gitlab.cmds" ||
    bad "the GitLab snippet lacks the baseline run or the merge: $(cat "$T/gitlab.cmds")"

# A small project: `make` builds two test programs, `make check` runs them.
P=$T/proj
mkdir -p "$P"
cat >"$P/t1.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
static char *name(void) { return strdup("a known leak"); }
int main(void) { char *s = name(); s = NULL; return 0; }
EOF
cat >"$P/t2.c" <<'EOF'
#include <stdlib.h>
int main(void)
{
    void *p = malloc(16);
    free(p);
#ifdef NEW_LEAK
    p = malloc(40);
    p = NULL;
#endif
    return 0;
}
EOF
printf 'CFLAGS = -g -O0\nall: t1 t2\ncheck: all\n\t./t1\n\t./t2\n.PHONY: all check\n' >"$P/Makefile"
(cd "$P" && make -s >/dev/null) || { echo "skip: cannot build the project"; exit 77; }

# run_cmds FILE LABEL: run each command in the project as a CI runner would (stop at the first
# failure, as `script:` does); the status of the first failing command, else 0
run_cmds() {
    local file=$1 label=$2 rc=0
    while IFS= read -r cmd; do
        [ -n "$cmd" ] || continue
        (cd "$P" && CI_PROJECT_DIR=$P bash -c "$cmd") >"$T/$label.log" 2>&1
        rc=$?
        [ $rc = 0 ] || { echo "$cmd" >"$T/$label.failed"; return $rc; }
    done <"$file"
    return 0
}
merges() { grep '^memplumber merge' "$1" >"$1.merge"; run_cmds "$1.merge" "$2-merge"; }

run_cmds "$T/baseline.cmds" baseline; rc=$?
[ $rc = 0 ] || bad "baseline example: '$(cat "$T/baseline.failed" 2>/dev/null)' exited $rc: $(tail -3 "$T/baseline.log")"
[ -s "$P/.memplumber-baseline.json" ] || bad "the baseline example wrote no .memplumber-baseline.json"

for ci in github gitlab; do
    rm -rf "$P/leaks" "$P/leaks.json" "$P/leaks.sarif"
    (cd "$P" && make -s >/dev/null)
    run_cmds "$T/$ci.cmds" "$ci-same"; rc=$?
    [ $rc = 0 ] || bad "$ci: with only known leaks '$(cat "$T/$ci-same.failed")' exited $rc: $(tail -3 "$T/$ci-same.log")"
    [ -s "$P/leaks.json" ] && [ -s "$P/leaks.sarif" ] || bad "$ci: no merged leaks.json / leaks.sarif"
    cp "$P/leaks.sarif" "$T/$ci-same.sarif"
    # A change that adds a leak: the test step fails; the after-steps still merge the reports.
    rm -rf "$P/leaks" "$P/leaks.json" "$P/leaks.sarif"
    (cd "$P" && rm -f t2 && make -s CFLAGS='-g -O0 -DNEW_LEAK' >/dev/null)
    run_cmds "$T/$ci.cmds" "$ci-new"; rc=$?
    [ $rc != 0 ] || bad "$ci: a new leak did not fail the job"
    merges "$T/$ci.cmds" "$ci" || bad "$ci: merging after the failed step failed: $(tail -3 "$T/$ci-merge.log")"
    python3 - "$P/leaks.json" <<'EOF' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
# (make's own still-reachable records may differ between runs; they never fail the job)
new = [(r['kind'], r['bytes'], r['stack'][0]['function']) for r in d['leaks']
       if r.get('baseline') == 'new' and r['kind'] != 'still_reachable']
if new != [('definitely_lost', 40, 'main')] or d['baseline']['new_leaks'] < 1:
    print('FAIL: new records in the merged report:', new, d['baseline']); sys.exit(1)
EOF
    cp "$P/leaks.sarif" "$T/$ci-new.sarif"
    (cd "$P" && rm -f t2 && make -s >/dev/null)
done

PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
if [ -n "$PY" ]; then
    "$PY" - "$ROOT/tests/integration/sarif/sarif-schema-2.1.0.json" "$T"/*.sarif <<'EOF' || fail=1
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(s)(s, format_checker=jsonschema.FormatChecker())
for f in sys.argv[2:]:
    e = list(v.iter_errors(json.load(open(f))))
    if e:
        print('FAIL: %s is not valid SARIF 2.1.0: %s' % (f, e[0].message[:200])); sys.exit(1)
EOF
else
    echo "note: python3-jsonschema missing, the merged SARIF logs were not validated"
fi
[ $fail = 0 ] && echo "CI snippets: known leaks pass, a new leak fails, merged reports written"
exit $fail
