#!/bin/bash
# Long-running programs: `memplumber report PID` on a server-like program while it runs
# (tests/integration/live_server.c: each request leaks 24 bytes and adds a 200-byte entry to a
# cache it keeps). A report taken while it runs names leak_request as definitely lost; --new lists
# only what grew since the previous check, with the increase; a check with nothing new lists no
# record; the cache's stack is the top growth suspect (--snapshot-interval); reports made through
# the API with a %p path get distinct names (PID.SEQ) and report_seq counts 1, 2, ... up to the
# exit report; --html and --pprof files are created by the command; a forked child answers for
# itself with its own sequence; --min-age filters by block age; the server keeps serving and memplumber exits with
# the server's own status (7). Then what must not work, and must not disturb: a pid that does not
# exist, a process not under memplumber (it keeps running, no signal pending), a single-threaded
# program that blocks every signal (refused with the reason; it keeps serving; with
# --report-thread=yes, or once it has a thread, the report works). Exit 0 = pass, 1 = fail,
# 77 = skipped.
. "$(dirname "$0")/live_common.bash"
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

cc -O1 -g -pthread -I"$ROOT/include" -o "$T/live_server" tests/integration/live_server.c || exit 1

# start NAME OPTIONS...: the server under memplumber, its command FIFO on fd 3, answers on fd 4
start() {
    local name=$1
    shift
    rm -f "$T/in" "$T/out"
    mkfifo "$T/in" "$T/out"
    "$MP" "$@" "$T/live_server" "$T/in" "$T/out" >"$T/$name.out" 2>"$T/$name.err" &
    SERVER=$!
    exec 3>"$T/in"
    exec 4<"$T/out"
    PID=$(cat /proc/$SERVER/task/$SERVER/children 2>/dev/null | tr -d ' ')
    [ -n "$PID" ] || PID=$(pgrep -P "$SERVER")
}
# cmd LINE: one command to the server; its answer in $ANSWER
cmd() {
    echo "$1" >&3
    ANSWER=
    read -r ANSWER <&4
    case $ANSWER in ok\ 0\ * | bye*) ;; *) fail "server command '$1' answered '$ANSWER'" ;; esac
}
stop() {
    cmd quit
    wait "$SERVER"
    STATUS=$?
    SERVER=
    exec 3>&- 4<&-
}
# check FILE.json PYTHON-EXPRESSIONS...: each must be true of d (the report), with helpers
check() {
    local f=$1
    shift
    python3 - "$f" "$@" <<'PY' || fail "$f: $(cat "$T/why" 2>/dev/null)"
import json, sys
d = json.load(open(sys.argv[1]))
def fns(s): return [f['function'] for f in s['stack']]
def rec(fn, kind=None):
    r = [l for l in d['leaks'] if fn in fns(l) and (kind is None or l['kind'] == kind)]
    return r[0] if r else None
bad = [e for e in sys.argv[2:] if not eval(e)]
if bad:
    import os
    open(os.environ['T'] + '/why', 'w').write('not true: ' + ' / '.join(bad) + '\n' + json.dumps(d)[:3000])
    sys.exit(1)
PY
}
export T

# ---- the server ----
start server --snapshot-interval=1 --json="$T/auto.%p.json"
cmd "serve 50"
"$MP" report "$PID" >"$T/r1.txt" 2>"$T/r1.err" || fail "report (text) exited $?: $(cat "$T/r1.err")"
grep -q "1,200 bytes in 50 blocks are definitely lost in loss record" "$T/r1.txt" &&
    grep -A1 "1,200 bytes in 50 blocks are definitely lost" "$T/r1.txt" | grep -q "leak_request (live_server.c" ||
    fail "the text report does not name leak_request as definitely lost: $(cat "$T/r1.txt")"
grep -q "requested by memplumber report" "$T/r1.txt" || fail "the text report has no on-demand header"
"$MP" report "$PID" --json "$T/r2.json" >"$T/r2.out" 2>&1 || fail "report --json exited $?: $(cat "$T/r2.out")"
[ -s "$T/r2.out" ] && fail "report --json printed: $(cat "$T/r2.out")"
check "$T/r2.json" "d['report_seq'] == 2" "d['only_new'] is False" \
    "rec('leak_request')['kind'] == 'definitely_lost'" "rec('leak_request')['blocks'] == 50" \
    "rec('cache_add')['kind'] == 'still_reachable'" "rec('config_load')['bytes'] == 100" \
    "all(l['oldest_age_s'] >= l['newest_age_s'] >= 0 for l in d['leaks'])"
cmd "serve 30"
"$MP" report "$PID" --new --json="$T/r3.json" || fail "report --new exited $?"
check "$T/r3.json" "d['report_seq'] == 3" "d['only_new'] is True" "d['new_since_report'] == 2" \
    "rec('leak_request')['blocks'] == 80" "rec('leak_request')['blocks_increase'] == 30" \
    "rec('leak_request')['bytes_increase'] == 720" "rec('cache_add')['blocks_increase'] == 30" \
    "rec('config_load') is None" "len(d['leaks']) == 2"
"$MP" report "$PID" --new >"$T/r4.txt" || fail "report --new (text) exited $?"
grep -q "Loss records new or grown since report 3 of this process" "$T/r4.txt" ||
    fail "no 'new since report 3' line: $(cat "$T/r4.txt")"
grep -q "loss record" "$T/r4.txt" && fail "nothing grew, yet --new lists records: $(cat "$T/r4.txt")"
grep -q "definitely lost: 1,920 (+0) bytes in 80 (+0) blocks" "$T/r4.txt" ||
    fail "the --new summary lacks the increase: $(cat "$T/r4.txt")"
"$MP" report "$PID" --min-age=100000 --json "$T/r5.json" || fail "report --min-age exited $?"
check "$T/r5.json" "d['min_age_s'] == 100000" "d['leaks'] == []" \
    "d['summary']['definitely_lost']['blocks'] == 80"
# growth: the cache grows 200 bytes per request, the leak 24
for i in 1 2 3; do
    sleep 1.1
    cmd "serve 20"
done
cmd "snapshot"
"$MP" report "$PID" --json "$T/r6.json" || fail "report exited $?"
check "$T/r6.json" "d['snapshot_interval_s'] == 1" "len(d['snapshots']) >= 4" \
    "d['snapshots'][-1]['live_blocks'] >= 280" "'cache_add' in fns(d['growth'][0])" \
    "d['growth'][0]['bytes_per_second'] > 0" "d['growth'][0]['live_blocks'] == 140" \
    "all(a['t'] <= b['t'] for a, b in zip(d['snapshots'], d['snapshots'][1:]))"
# the other writers, through the files this command creates
"$MP" report "$PID" --html "$T/r7.html" --pprof "$T/r7.pb.gz" || fail "report --html --pprof exited $?"
grep -q "<html" "$T/r7.html" || fail "report --html wrote no page"
[ "$(head -c2 "$T/r7.pb.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "report --pprof wrote no gzip file"
# a forked child has its own rendezvous and its own report sequence
cmd "fork"
CHILD=${ANSWER##* }
"$MP" report "$CHILD" --json "$T/c1.json" || fail "report of the forked child $CHILD exited $?"
check "$T/c1.json" "d['pid'] == $CHILD" "d['report_seq'] == 1" \
    "rec('child_leak', 'definitely_lost')['blocks'] == 1"
kill "$CHILD"
cmd "report"   # memplumber_report_now(): auto.PID.8.json
cmd "serve 5"  # still serving
stop
[ "$STATUS" = 7 ] || fail "memplumber exited $STATUS, the server's own status is 7"
[ -f "$T/auto.$PID.8.json" ] || fail "no auto.$PID.8.json (on-demand report through a %p path): $(ls "$T")"
[ -f "$T/auto.$PID.json" ] || fail "no exit report auto.$PID.json"
check "$T/auto.$PID.8.json" "d['report_seq'] == 8"
check "$T/auto.$PID.json" "d['report_seq'] == 9" "rec('leak_request', 'definitely_lost')['blocks'] >= 140" "sum(l['blocks'] for l in d['leaks'] if 'leak_request' in fns(l)) == 145"

# ---- what must fail, and disturb nothing ----
true &
GONE=$!
wait $GONE
out=$("$MP" report "$GONE" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "no process with pid $GONE" <<<"$out" || fail "bad pid: exit $rc: $out"
out=$("$MP" report 12abc 2>&1)
[ $? = 2 ] && grep -q "not a process id" <<<"$out" || fail "'12abc': $out"
sleep 60 &
NATIVE=$!
out=$("$MP" report "$NATIVE" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "is not running under memplumber" <<<"$out" || fail "native process: exit $rc: $out"
sleep 0.2
grep -q '^State:.*S (sleeping)' /proc/$NATIVE/status || fail "the native process is not sleeping any more"
grep -Eq '^(SigPnd|ShdPnd):\s+0+$' /proc/$NATIVE/status &&
    [ "$(grep -Ec '^(SigPnd|ShdPnd):\s+0+$' /proc/$NATIVE/status)" = 2 ] ||
    fail "a signal is pending in the native process: $(grep Pnd /proc/$NATIVE/status)"
kill $NATIVE

# a thread's id (top -H, ps -L): named as a thread of its process, nothing sent
start threadid
cmd "thread"
TID=$(ls /proc/$PID/task | grep -vx "$PID" | head -1)
out=$("$MP" report "$TID" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "is a thread .* of process $PID" <<<"$out" || fail "thread id $TID: exit $rc: $out"
stop
[ "$STATUS" = 7 ] || fail "thread id: memplumber exited $STATUS, expected 7"

# a single-threaded program that blocks every signal
start blocked
cmd "serve 3"
cmd "block"
out=$("$MP" report "$PID" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "blocks signal" <<<"$out" && grep -q -- "--report-thread=yes" <<<"$out" ||
    fail "blocked program: exit $rc: $out"
cmd "serve 3"  # untouched: still serving
cmd "thread"   # now it has a thread (that blocks every signal too): memplumber's report thread runs
"$MP" report "$PID" --json "$T/b1.json" || fail "report after the program started a thread: exit $?"
# (the main thread blocks the scan's stop signal too: its whole stack is then scanned, and stale
# copies may keep some of the leaked blocks reachable; all six are listed)
check "$T/b1.json" "sum(l['blocks'] for l in d['leaks'] if 'leak_request' in fns(l)) == 6"
stop
[ "$STATUS" = 7 ] || fail "blocked program: memplumber exited $STATUS, expected 7"

start blocked2 --report-thread=yes
cmd "block"
cmd "serve 4"
"$MP" report "$PID" --json "$T/b2.json" || fail "report with --report-thread=yes: exit $?"
check "$T/b2.json" "sum(l['blocks'] for l in d['leaks'] if 'leak_request' in fns(l)) == 4"
stop
[ "$STATUS" = 7 ] || fail "--report-thread=yes: memplumber exited $STATUS, expected 7"

finish_status
