#!/bin/bash
# `memplumber report PID` on a single-threaded program that takes every signal with sigwaitinfo()
# (tests/integration/live_sigwait.c): there is no safe way to wake it (a signal would be returned
# to the program by sigwait), so the command refuses with the reason and a way out, and the
# program sees nothing: it logs only the SIGTERM the test sends, and exits with its own status
# (5) and its exit report. With --report-thread=yes the report works. Exit 0 = pass, 1 = fail,
# 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cc -O1 -g -o "$T/sw" tests/integration/live_sigwait.c || exit 1

# run NAME OPTIONS...: starts the program, waits until it is ready; its pid in $PID
run() {
    local name=$1
    shift
    start_ready "$name" --json="$T/$name.json" "$@" -- "$T/sw" "$T/ready"
}
finish() {
    local name=$1
    kill -TERM "$PID"
    wait "$MPPID"
    local st=$?
    [ "$st" = 5 ] || fail "$name: exit status $st, expected the program's 5"
    [ "$(cat "$T/$name.out")" = "got signal 15" ] ||
        fail "$name: the program logged other signals: $(tr '\n' '|' <"$T/$name.out")"
    json_lost "$T/$name.json" 77 ||
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
json_lost "$T/live.json" 77 ||
    fail "with --report-thread=yes: the live report lacks the 77 bytes definitely lost"
finish thread

finish_status
