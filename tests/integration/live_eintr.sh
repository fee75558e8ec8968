#!/bin/bash
# `memplumber report PID` on a threaded server whose threads wait in poll, epoll_wait, select,
# nanosleep and pause (tests/integration/live_eintr.c), system calls that a signal handler
# interrupts with EINTR whatever SA_RESTART says. The reports must not make them return: the
# program treats EINTR as a bug and exits 3. Three reports, then SIGTERM: the program prints
# only "term", exits 0, and its reports and exit report have the 77 bytes it leaked.
# Exit 0 = pass, 1 = fail, 77 = skipped.
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
cc -O1 -g -pthread -o "$T/srv" tests/integration/live_eintr.c || exit 1

"$MP" --json="$T/exit.json" -- "$T/srv" "$T/ready" >"$T/out" 2>"$T/err" &
MPPID=$!
for _ in $(seq 1 200); do
    [ -s "$T/ready" ] && break
    sleep 0.05
done
PID=$(pgrep -P "$MPPID" | head -1)
[ -n "$PID" ] || fail "the program did not start"
for i in 1 2 3; do
    timeout 20 "$MP" report "$PID" --json "$T/live$i.json" >/dev/null 2>"$T/report$i.err" ||
        fail "report $i: $(cat "$T/report$i.err")"
    python3 -c "import json,sys; d=json.load(open('$T/live$i.json')); sys.exit(d['summary']['definitely_lost']['bytes'] != 77)" ||
        fail "report $i lacks the 77 bytes definitely lost"
    sleep 0.2
done
kill -TERM "$PID"
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st, expected 0; output: $(tr '\n' '|' <"$T/out")"
[ "$(cat "$T/out")" = "term" ] || fail "the program saw: $(tr '\n' '|' <"$T/out")"
python3 -c "import json,sys; d=json.load(open('$T/exit.json')); sys.exit(d['summary']['definitely_lost']['bytes'] != 77)" ||
    fail "exit report lacks the 77 bytes definitely lost"
[ $fails = 0 ] && echo "pass" && exit 0
exit 1
