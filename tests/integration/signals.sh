#!/bin/bash
# Signals sent to the memplumber command reach the program as they reach it run directly
# (tests/integration/signals_prog.c, native run = reference):
# - kill -SIG on the command's pid, for ordinary, real-time and fault signals: a program with
#   handlers gets the signal exactly once; with default dispositions the command's wait status
#   equals the native one, and no program is left running;
# - Ctrl-C typed on a terminal (which signals the whole foreground process group, the program
#   included) reaches the program once, not twice;
# - stops are mirrored: kill -TSTP on the command stops the program and then the command (the
#   shell sees the job stopped); kill -CONT on the command continues both; a SIGCONT sent to
#   the whole process group reaches the program once;
# - an alarm() set before exec (inherited by the program natively) fires in the program.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
if [ ! -x "$M" ] || [ ! -f "$ROOT/build/libmemplumber.so" ]; then
    echo "skip: build/memplumber or build/libmemplumber.so is missing (make)"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O1 -o "$T/prog" tests/integration/signals_prog.c || exit 1
unset MEMPLUMBER_OPTIONS LD_PRELOAD
export MEMPLUMBER_OPTIONS=log_file=/dev/null

fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# wait_for FILE: up to 10 s.
wait_for() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# state PID: the process state letter (R, S, T...) or "gone".
state() {
    local s
    s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    echo "${s:-gone}"
}

# await_state PID STATE: up to 5 s.
await_state() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(state "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

# one WHO SIG MODE: start the program (WHO = native or memplumber) in the background, signal
# the started process with SIG once the program is ready; sets $st (wait status as the shell
# reports it), $log (what the program logged), $left (a program still running afterwards).
one() {
    local who=$1 sig=$2 mode=$3
    rm -f "$T/log" "$T/ready"
    if [ "$who" = native ]; then
        "$T/prog" "$T/log" "$mode" "$T/ready" &
    else
        "$M" "$T/prog" "$T/log" "$mode" "$T/ready" 2>"$T/err" &
    fi
    local p=$!
    wait_for "$T/ready" || fail "$who $sig $mode: the program did not start"
    local child
    child=$(pgrep -P "$p")
    kill -s "$sig" "$p"
    wait "$p"
    st=$?
    log=$(cat "$T/log" 2>/dev/null)
    left=""
    if [ -n "$child" ] && [ -d "/proc/$child" ]; then
        left="program $child still running"
        while [ -d "/proc/$child" ]; do sleep 0.1; done
    fi
}

for sig in ALRM PIPE USR1 USR2 TERM HUP INT QUIT WINCH URG XCPU VTALRM RTMIN+1 RTMAX SEGV ABRT; do
    num=$(kill -l "$sig")
    one memplumber "$sig" handle
    [ "$st" = 3 ] && [ "$log" = "got $num" ] ||
        fail "handled SIG$sig: status $st (expected 3), program logged '$(tr '\n' '|' <<<"$log")' (expected 'got $num' once)"
    one native "$sig" default
    nst=$st
    one memplumber "$sig" default
    [ "$st" = "$nst" ] && [ -z "$left" ] ||
        fail "SIG$sig with default dispositions: status $st, native $nst $left"
done

# Ctrl-C on a terminal: the kernel signals the foreground process group (memplumber and the
# program); the program must get one SIGINT, not a second one forwarded by the command.
if command -v python3 >/dev/null; then
    cat >"$T/ctrlc.py" <<'PYEOF'
import os, pty, sys, time
ready = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
for _ in range(200):
    if os.path.exists(ready):
        break
    time.sleep(0.05)
time.sleep(0.1)
os.write(fd, b'\x03')
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
PYEOF
    for who in native memplumber; do
        rm -f "$T/log" "$T/ready"
        if [ "$who" = native ]; then
            rc=$(python3 "$T/ctrlc.py" "$T/ready" "$T/prog" "$T/log" handle "$T/ready")
        else
            rc=$(python3 "$T/ctrlc.py" "$T/ready" "$M" "$T/prog" "$T/log" handle "$T/ready")
        fi
        [ "$rc" = 3 ] && [ "$(cat "$T/log")" = "got 2" ] ||
            fail "Ctrl-C on a terminal ($who): status $rc, program logged '$(tr '\n' '|' <"$T/log")' (expected 'got 2' once)"
    done
else
    echo "note: no python3, Ctrl-C on a terminal not tested"
fi

# Stops: the command follows the program's state. With job control (set -m) the background job
# gets its own process group (not orphaned: this script, its parent, is in the same session),
# so that SIGTSTP is not discarded and a SIGCONT to the group does not reach this script.
set -m
rm -f "$T/log" "$T/ready"
"$M" "$T/prog" "$T/log" default "$T/ready" 2>"$T/err" &
p=$!
wait_for "$T/ready" || fail "stop: the program did not start"
c=$(pgrep -P "$p")
kill -TSTP "$p"
sleep 0.5 # bash breaks out of the loop it is running when it sees a job stopped by SIGTSTP
await_state "$c" T || fail "kill -TSTP on the command: program state $(state "$c"), expected stopped"
await_state "$p" T || fail "kill -TSTP on the command: command state $(state "$p"), expected stopped"
kill -CONT "$p"
await_state "$c" S || fail "kill -CONT on the command: program state $(state "$c"), expected running"
await_state "$p" S || fail "kill -CONT on the command: command state $(state "$p"), expected running"
kill -STOP "$c"
await_state "$p" T || fail "program stopped by SIGSTOP: command state $(state "$p"), expected stopped"
kill -CONT -- "-$p"
await_state "$c" S || fail "SIGCONT to the group: program state $(state "$c"), expected running"
kill -TERM "$p"
wait "$p"
st=$?
[ "$st" = 143 ] || fail "after the stops, SIGTERM: status $st, expected 143"

# A SIGCONT to the whole group (the shell's fg) reaches a stopped program once.
for who in native memplumber; do
    rm -f "$T/log" "$T/ready"
    if [ "$who" = native ]; then
        "$T/prog" "$T/log" handle "$T/ready" &
        p=$!
        c=$p
    else
        "$M" "$T/prog" "$T/log" handle "$T/ready" 2>"$T/err" &
        p=$!
        wait_for "$T/ready"
        c=$(pgrep -P "$p")
    fi
    wait_for "$T/ready" || fail "SIGCONT ($who): the program did not start"
    kill -STOP "$c"
    await_state "$p" T || fail "SIGCONT ($who): not stopped"
    kill -CONT -- "-$p"
    wait "$p"
    st=$?
    [ "$st" = 3 ] && [ "$(cat "$T/log")" = "got 18" ] ||
        fail "SIGCONT to the group ($who): status $st, program logged '$(tr '\n' '|' <"$T/log")' (expected 'got 18' once)"
done
set +m

# alarm() before exec: the program inherits it natively. perl's alarm then exec.
if command -v perl >/dev/null; then
    for who in native memplumber; do
        rm -f "$T/log" "$T/ready"
        if [ "$who" = native ]; then
            perl -e 'alarm 1; exec @ARGV' "$T/prog" "$T/log" handle
        else
            perl -e 'alarm 1; exec @ARGV' "$M" "$T/prog" "$T/log" handle 2>"$T/err"
        fi
        st=$?
        [ "$st" = 3 ] && [ "$(cat "$T/log")" = "got 14" ] ||
            fail "alarm before exec ($who): status $st, program logged '$(tr '\n' '|' <"$T/log")' (expected 'got 14')"
    done
fi

[ "$fails" = 0 ] || exit 1
echo "ok"
