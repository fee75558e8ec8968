#!/bin/bash
# `memplumber report PID` on a process in a PID namespace of its own that shares this network
# namespace (unshare -p; containers started that way): its rendezvous is named with its pid in
# there (getpid() = 2), not with the PID the command is given; the command finds it through
# NSpid in /proc/PID/status and still checks with SO_PEERCRED that it is that very process.
# Before, the command said the process "does not answer". From another network namespace the
# refusal names the PID namespace. Needs unshare -p (root), else skipped.
# Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
if ! unshare -p -f --mount-proc true 2>/dev/null; then
    echo "skip: needs unshare -p (root)"
    exit 77
fi
cc -O1 -g -o "$T/grow" tests/integration/live_growth.c || exit 1
unshare -p -f --mount-proc "$MP" -- "$T/grow" 5 >"$T/out" 2>"$T/err" &
UPID=$!
PID=
for _ in $(seq 1 100); do
    PID=$(pgrep -f "^$T/grow 5" | head -1)
    [ -n "$PID" ] && break
    sleep 0.05
done
[ -n "$PID" ] || fail "the program did not start"
sleep 0.5
timeout 30 "$MP" report "$PID" --json "$T/r.json" >"$T/r.out" 2>&1 || fail "report: $(cat "$T/r.out")"
python3 -c "import json,sys; d=json.load(open('$T/r.json')); sys.exit(not 0 < d['pid'] != $PID)" 2>/dev/null ||
    fail "no JSON report with the pid the process has in its namespace: $(head -c 200 "$T/r.json" 2>/dev/null)"
if unshare -n true 2>/dev/null; then
    out=$(unshare -n "$MP" report "$PID" 2>&1)
    [ $? = 1 ] && grep -q "in a PID namespace of its own" <<<"$out" || fail "from another network namespace: $out"
fi
wait "$UPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st"
[ "$(cat "$T/out")" = "1 1" ] || fail "the program printed: $(cat "$T/out")"
finish_status
