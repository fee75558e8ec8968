#!/bin/bash
# `memplumber report PID` on a single-threaded program that takes every signal with sigwaitinfo()
# (tests/integration/live_sigwait.c): there is no safe way to wake it (a signal would be returned
# to the program by sigwait), so the command refuses with the reason and a way out, and the
# program sees nothing: it logs only the SIGTERM the test sends, and exits with its own status
# (5) and its exit report. With --report-thread=yes the report works. Exit 0 = pass, 1 = fail,
# 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
MP=$ROOT/build/memplumber
if [ ! -x "$MP" ] || ! command -v python3 >/dev/null || ! command -v cc >/dev/null; then
    echo "skip: needs build/memplumber, cc and python3"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
cc -O1 -g -o "$T/sw" tests/integration/live_sigwait.c || exit 1

# run NAME OPTIONS...: starts the program, waits until it is ready; its pid in $PID
run() {
    local name=$1
    shift
    rm -f "$T/ready"
    "$MP" --json="$T/$name.json" "$@" -- "$T/sw" "$T/ready" >"$T/$name.out" 2>"$T/$name.err" &
    MPPID=$!
    for _ in $(seq 1 200); do
        [ -s "$T/ready" ] && break
        sleep 0.05
    done
    PID=$(pgrep -P "$MPPID" | head -1)
    [ -n "$PID" ] || fail "$name: the program did not start"
}
finish() {
    local name=$1
    kill -TERM "$PID"
    wait "$MPPID"
    local st=$?
    [ "$st" = 5 ] || fail "$name: exit status $st, expected the program's 5"
    [ "$(cat "$T/$name.out")" = "got signal 15" ] ||
        fail "$name: the program logged other signals: $(tr '\n' '|' <"$T/$name.out")"
    python3 -c "import json,sys; d=json.load(open('$T/$name.json')); sys.exit(d['summary']['definitely_lost']['bytes'] != 77)" ||
        fail "$name: exit report lacks the 77 bytes definitely lost"
}

run plain
out=$(timeout 20 "$MP" report "$PID" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "sigwait" <<<"$out" && grep -q -- "--report-thread=yes" <<<"$out" ||
    fail "sigwait program: report exit $rc: $out"
sleep 0.2
finish plain

run thread --report-thread=yes
timeout 20 "$MP" report "$PID" --json "$T/live.json" >/dev/null 2>"$T/report.err" ||
    fail "with --report-thread=yes: report exit $?: $(cat "$T/report.err")"
python3 -c "import json,sys; d=json.load(open('$T/live.json')); sys.exit(d['summary']['definitely_lost']['bytes'] != 77)" 2>/dev/null ||
    fail "with --report-thread=yes: the live report lacks the 77 bytes definitely lost"
finish thread

if [ $fails = 0 ]; then
    echo "ok"
    exit 0
fi
exit 1
