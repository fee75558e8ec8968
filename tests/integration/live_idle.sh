#!/bin/bash
# `memplumber report PID` on a program that cannot take the request up now, and what a stop of
# the program does to the memplumber command (tests/integration/live_idle.c):
#  - a single-threaded program idle in nanosleep, poll, select, epoll_wait or sigsuspend, in
#    accept on a socket with a receive timeout (SO_RCVTIMEO) or in sem_timedwait: the
#    signal that wakes an idle program would make that call return EINTR (natively it never
#    does), so the command refuses with the reason and --report-thread=yes as the way out, and
#    the program goes on waiting: it sees only the SIGTERM the test sends, prints "term" and
#    exits 0. A busy one (no system call) is woken and reported on, and so is one that sets a
#    signal handler in a loop (memplumber's sigaction blocks every signal for a moment).
#  - a stopped program (kill -STOP): refused at once with "is stopped", not after --timeout;
#  - a program that has exited and not been collected (a zombie): "has exited";
#  - the command mirrors the program's stop (so that a shell sees its job stopped); when the
#    program alone is continued (kill -CONT PROGRAM_PID) or killed while stopped, the command
#    goes on too and exits with the program's status instead of staying stopped for ever.
# Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cc -O1 -g -o "$T/idle" tests/integration/live_idle.c || exit 1
cat >"$T/zparent.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    (void)argc;
    pid_t p = fork();
    if (p == 0) {
        execv(argv[1], argv + 1);
        _exit(127);
    }
    printf("%d\n", (int)p);
    fflush(stdout);
    sleep(30); /* never collects the child */
    return 0;
}
C
cc -o "$T/zparent" "$T/zparent.c" || exit 1

# state PID: the state letter of /proc/PID/stat
state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1; }
# gone PID SECONDS: wait until process PID has ended
gone() {
    for _ in $(seq 1 $(($2 * 20))); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    return 1
}

for w in sleep poll select epoll sigsuspend accept semtimed; do
    start_ready "$w" --leak-check=no -- "$T/idle" "$T/ready" "$w"
    sleep 0.3 # into the call
    out=$(timeout 20 "$MP" report "$PID" 2>&1)
    rc=$?
    [ $rc = 1 ] && grep -q "EINTR" <<<"$out" && grep -q -- "--report-thread=yes" <<<"$out" ||
        fail "$w: report exit $rc: $out"
    sleep 0.3
    kill -TERM "$PID"
    wait "$MPPID"
    st=$?
    [ "$st" = 0 ] && [ "$(cat "$T/$w.out")" = term ] ||
        fail "$w: the program's wait was disturbed: status $st, it printed: $(tr '\n' '|' <"$T/$w.out")"
done

# busy setting a handler in a loop: a thread that blocks signals only for a moment is woken
start_ready sigloop -- "$T/idle" "$T/ready" sigloop
timeout 20 "$MP" report "$PID" >"$T/sigloop.txt" 2>&1 || fail "sigloop: report exit $?: $(cat "$T/sigloop.txt")"
grep -q "77 bytes in 1 blocks are definitely lost" "$T/sigloop.txt" || fail "sigloop: no leak in $(cat "$T/sigloop.txt")"
kill -TERM "$PID"
wait "$MPPID"
st=$?
[ "$st" = 0 ] && [ "$(cat "$T/sigloop.out")" = term ] || fail "sigloop: status $st, printed $(cat "$T/sigloop.out")"

# busy: woken, reported
start_ready busy -- "$T/idle" "$T/ready" busy
timeout 20 "$MP" report "$PID" >"$T/busy.txt" 2>&1 || fail "busy: report exit $?: $(cat "$T/busy.txt")"
grep -q "77 bytes in 1 blocks are definitely lost" "$T/busy.txt" || fail "busy: no leak in $(cat "$T/busy.txt")"

# stopped: refused at once
kill -STOP "$PID"
for _ in $(seq 1 100); do [ "$(state "$PID")" = T ] && break; sleep 0.05; done
start=$(date +%s)
out=$(timeout 30 "$MP" report "$PID" --timeout=20 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "is stopped" <<<"$out" && [ $(($(date +%s) - start)) -lt 5 ] ||
    fail "stopped: report exit $rc after $(($(date +%s) - start)) s: $out"
# the command mirrored the stop; continuing the program alone continues the command
for _ in $(seq 1 100); do [ "$(state "$MPPID")" = T ] && break; sleep 0.05; done
[ "$(state "$MPPID")" = T ] || fail "the command did not mirror the program's stop (state $(state "$MPPID"))"
kill -CONT "$PID"
for _ in $(seq 1 100); do [ "$(state "$MPPID")" != T ] && break; sleep 0.05; done
[ "$(state "$MPPID")" != T ] || fail "the program was continued, the command stays stopped"
# stopped again, then killed: the command ends with the program's status
kill -STOP "$PID"
for _ in $(seq 1 100); do [ "$(state "$MPPID")" = T ] && break; sleep 0.05; done
kill -TERM "$PID"
kill -CONT "$PID"
if gone "$MPPID" 10; then
    wait "$MPPID"
    st=$?
    [ "$st" = 0 ] && [ "$(cat "$T/busy.out")" = term ] || fail "busy: status $st, printed $(cat "$T/busy.out")"
else
    fail "the program ended, the command is still there (state $(state "$MPPID"))"
    kill -CONT "$MPPID"
    kill -KILL "$MPPID"
fi
start_ready busy2 -- "$T/idle" "$T/ready" busy
kill -STOP "$PID"
for _ in $(seq 1 100); do [ "$(state "$MPPID")" = T ] && break; sleep 0.05; done
kill -KILL "$PID"
if gone "$MPPID" 10; then
    wait "$MPPID"
    st=$?
    [ "$st" = 137 ] || fail "killed while stopped: the command exited $st, want 137"
else
    fail "the program was killed while stopped, the command stays (state $(state "$MPPID"))"
    kill -CONT "$MPPID"
    kill -KILL "$MPPID"
fi

# a zombie: has exited
LD_PRELOAD=$ROOT/build/libmemplumber.so "$T/zparent" "$T/idle" "$T/ready" none >"$T/zp.out" 2>/dev/null &
ZP=$!
for _ in $(seq 1 100); do Z=$(grep -xm1 "[0-9][0-9]*" "$T/zp.out"); [ -n "$Z" ] && [ "$(state "$Z")" = Z ] && break; sleep 0.05; done
out=$(timeout 20 "$MP" report "$Z" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "has exited" <<<"$out" || fail "zombie: report exit $rc: $out"
kill "$ZP"
wait "$ZP" 2>/dev/null
finish_status
