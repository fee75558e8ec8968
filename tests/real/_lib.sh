# Helpers sourced by tests/real/*.sh (files named _* are not tests). A test runs a real program
# natively and under memplumber and requires: the same exit status, the same stdout, valid JSON
# reports (format "memplumber-report", one per process), and the same stderr once memplumber's
# report lines (==PID== ...) are taken out.
# Environment from tests/run: ROOT, MEMPLUMBER. Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MEMPLUMBER=${MEMPLUMBER:-$ROOT/build/memplumber}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || echo python3)

skip() { echo "$*"; exit 77; }
fail() { echo "$*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }

[ -x "$MEMPLUMBER" ] || fail "$MEMPLUMBER is not built"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memplumber-real.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# No user or system configuration may change what the programs print.
export HOME=$WORK/home LC_ALL=C GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"

# compare_run NAME CMD...: runs CMD in the current directory natively, then under memplumber, and
# checks them against each other. If the test defines reset_state, it runs before each of the two.
compare_run() {
    local name=$1 native_rc mp_rc
    shift
    if declare -F reset_state >/dev/null; then reset_state; fi
    "$@" >"$WORK/$name.native.out" 2>"$WORK/$name.native.err" </dev/null
    native_rc=$?
    if declare -F reset_state >/dev/null; then reset_state; fi
    "$MEMPLUMBER" --json "$WORK/$name.%p.json" -- "$@" >"$WORK/$name.mp.out" 2>"$WORK/$name.mp.err" </dev/null
    mp_rc=$?
    if [ "$native_rc" != "$mp_rc" ]; then
        echo "$name: exit status $mp_rc under memplumber, $native_rc natively"
        echo "stderr under memplumber (tail):"; tail -n 15 "$WORK/$name.mp.err" | sed 's/^/  /'
        return 1
    fi
    if ! cmp -s "$WORK/$name.native.out" "$WORK/$name.mp.out"; then
        echo "$name: stdout differs under memplumber (native vs memplumber):"
        diff "$WORK/$name.native.out" "$WORK/$name.mp.out" | head -n 20 | sed 's/^/  /'
        return 1
    fi
    # The program's own stderr must come through whole and unchanged: memplumber's report lines
    # (==PID== ...) aside, it is the native stderr, and memplumber said nothing else (an error or
    # warning of its own would show here).
    grep -v -E '^==[0-9]+==( |$)' "$WORK/$name.mp.err" >"$WORK/$name.mp.err.program"
    if ! cmp -s "$WORK/$name.native.err" "$WORK/$name.mp.err.program"; then
        echo "$name: stderr differs under memplumber, report lines aside (native vs memplumber):"
        diff "$WORK/$name.native.err" "$WORK/$name.mp.err.program" | head -n 20 | sed 's/^/  /'
        return 1
    fi
    "$PYTHON" - "$name" "$WORK"/"$name".*.json <<'PY' || return 1
import json, sys
name, files = sys.argv[1], sys.argv[2:]
files = [f for f in files if not f.endswith('*.json')]
if not files:
    sys.exit('%s: no JSON report was written' % name)
for f in files:
    try:
        r = json.load(open(f))
    except ValueError as e:
        sys.exit('%s: %s is not valid JSON: %s' % (name, f, e))
    if not isinstance(r, dict) or r.get('format') != 'memplumber-report' or r.get('version') != 1:
        sys.exit('%s: %s: format/version are not "memplumber-report"/1' % (name, f))
    for k in ('summary', 'leaks', 'errors'):
        if k not in r:
            sys.exit('%s: %s has no "%s"' % (name, f, k))
PY
    return 0
}
