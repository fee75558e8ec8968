#!/bin/bash
# `memplumber report PID` on a threaded server whose threads wait in poll, epoll_wait, select,
# nanosleep and pause (tests/integration/live_eintr.c), system calls that a signal handler
# interrupts with EINTR whatever SA_RESTART says. The reports must not make them return: the
# program treats EINTR as a bug and exits 3. Three reports, then SIGTERM: the program prints
# only "term", exits 0, and its reports and exit report have the 77 bytes it leaked.
# Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cc -O1 -g -pthread -o "$T/srv" tests/integration/live_eintr.c || exit 1

start_ready srv --json="$T/exit.json" -- "$T/srv" "$T/ready"
for i in 1 2 3; do
    timeout 20 "$MP" report "$PID" --json "$T/live$i.json" >/dev/null 2>"$T/report$i.err" ||
        fail "report $i: $(cat "$T/report$i.err")"
    json_lost "$T/live$i.json" 77 ||
        fail "report $i lacks the 77 bytes definitely lost"
    sleep 0.2
done
kill -TERM "$PID"
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st, expected 0; output: $(tr '\n' '|' <"$T/srv.out")"
[ "$(cat "$T/srv.out")" = "term" ] || fail "the program saw: $(tr '\n' '|' <"$T/srv.out")"
json_lost "$T/exit.json" 77 ||
    fail "exit report lacks the 77 bytes definitely lost"
finish_status
