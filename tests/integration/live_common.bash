# Shared by the live*.sh tests (sourced; not a test itself): the repository root, the memplumber
# command, a skip (77) when a tool is missing, a work directory $T removed at exit (a test that
# needs more cleanup sets its own trap and removes $T there), and fail / finish_status.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
MP=$ROOT/build/memplumber
if [ ! -x "$MP" ] || ! command -v python3 >/dev/null || ! command -v cc >/dev/null; then
    echo "skip: needs build/memplumber, cc and python3"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# start_ready NAME OPTIONS... -- PROGRAM ARGS...: PROGRAM under memplumber, stdout and stderr in
# $T/NAME.out and .err; waits until PROGRAM writes $T/ready (pass that path among ARGS). Sets
# MPPID (the memplumber command) and PID (the program).
start_ready() {
    local name=$1
    shift
    rm -f "$T/ready"
    "$MP" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    MPPID=$!
    for _ in $(seq 1 200); do
        [ -s "$T/ready" ] && break
        sleep 0.05
    done
    PID=$(pgrep -P "$MPPID" | head -1)
    [ -n "$PID" ] || fail "$name: the program did not start"
}

# json_lost FILE BYTES: does the report FILE count BYTES definitely lost?
json_lost() {
    python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(d['summary']['definitely_lost']['bytes'] != $2)" 2>/dev/null
}

# the test's verdict, as its exit status
finish_status() {
    if [ "$fails" = 0 ]; then
        echo "ok"
        exit 0
    fi
    exit 1
}
