#!/bin/bash
# A report taken while a thread waits in epoll_wait (tests/integration/live_stale_stack.c): such a
# thread is not stopped (the signal would be an EINTR), and its stack was read whole, down to
# the bottom of its 8 MiB mapping: a stale pointer in a dead frame below its stack pointer kept
# a lost block "still reachable" in the live report while the exit report says definitely lost
# (and every other thread stayed stopped while the 8 MiB were read). The stack pointer of the
# blocked thread comes from /proc/self/task/TID/syscall: the live report and the exit report
# agree on the 4242 bytes definitely lost. Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cc -O0 -g -pthread -o "$T/prog" tests/integration/live_stale_stack.c || exit 1
mkfifo "$T/in"
rm -f "$T/ready"
"$MP" --report-thread=yes --json="$T/exit.json" -- "$T/prog" "$T/ready" <"$T/in" >"$T/out" 2>"$T/err" &
MPPID=$!
exec 3>"$T/in"
for _ in $(seq 1 200); do
    [ -s "$T/ready" ] && break
    sleep 0.05
done
PID=$(pgrep -P "$MPPID" | head -1)
[ -n "$PID" ] || fail "the program did not start"
timeout 30 "$MP" report "$PID" --json "$T/live.json" >"$T/r.out" 2>&1 || fail "report: $(cat "$T/r.out")"
json_lost "$T/live.json" 4242 || fail "live report: the 4242 bytes are not definitely lost: $(python3 -c "import json; print(json.load(open('$T/live.json'))['summary'])" 2>&1)"
echo x >&3
exec 3>&-
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st"
[ "$(cat "$T/out")" = "woke 1" ] || fail "the program printed: $(cat "$T/out")"
json_lost "$T/exit.json" 4242 || fail "exit report: the 4242 bytes are not definitely lost"
finish_status
