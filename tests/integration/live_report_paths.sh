#!/bin/bash
# `memplumber report PID --json/--html/--pprof FILE`: the command opens those files itself and
# must open them as safely as the library opens its report files (MANUAL, "Report files and %p"):
# a FIFO at the path is refused at once (it blocked the command for ever, before --timeout
# started), a symbolic link is not followed (another user's link in /tmp would have had the report
# overwrite the target), a new file is private (0600, whatever the umask: reports hold addresses
# and command lines), and `--json /dev/stdout` into a pipe, which the process cannot write, is
# refused here with the reason (it said only "see the program's stderr"). /dev/stdout to a file,
# /dev/null and a plain file still work. Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    char *p = malloc(44);
    memset(p, 1, 44);
    p = NULL;
    FILE *f = fopen(argv[1], "w");
    fputs("1\n", f);
    fclose(f);
    while (access(argv[2], F_OK))
        usleep(20000);
    puts("done");
    return 0;
}
C
cc -O0 -g -o "$T/prog" "$T/prog.c" || exit 1
start_ready prog --report-on-exit=no --report-thread=yes -- "$T/prog" "$T/ready" "$T/stop"
umask 022

mkfifo "$T/fifo"
timeout 5 "$MP" report "$PID" --json "$T/fifo" >"$T/f.out" 2>&1
st=$?
[ "$st" = 1 ] || fail "FIFO: status $st, expected 1 (124 = it hung): $(cat "$T/f.out")"
grep -q "FIFO" "$T/f.out" || fail "FIFO: no reason given: $(cat "$T/f.out")"

echo mine >"$T/target"
ln -s "$T/target" "$T/link"
timeout 10 "$MP" report "$PID" --json "$T/link" >"$T/l.out" 2>&1 && fail "symbolic link: accepted"
grep -q "symbolic link" "$T/l.out" || fail "symbolic link: no reason given: $(cat "$T/l.out")"
[ "$(cat "$T/target")" = mine ] || fail "the link's target was overwritten: $(head -c 100 "$T/target")"

timeout 10 "$MP" report "$PID" --json "$T/new.json" --html "$T/new.html" >"$T/n.out" 2>&1 ||
    fail "plain files: $(cat "$T/n.out")"
json_lost "$T/new.json" 44 || fail "new.json lacks the 44 bytes lost: $(head -c 300 "$T/new.json")"
for f in new.json new.html; do
    m=$(stat -c %a "$T/$f")
    [ "$m" = 600 ] || fail "$f created with mode $m, expected 600"
done

timeout 10 "$MP" report "$PID" --json /dev/stdout 2>"$T/p.err" | cat >"$T/p.out"
[ "${PIPESTATUS[0]}" = 1 ] || fail "--json /dev/stdout into a pipe: status ${PIPESTATUS[0]}, expected 1"
grep -q "FIFO" "$T/p.err" || fail "--json /dev/stdout into a pipe: no reason given: $(cat "$T/p.err")"
timeout 10 "$MP" report "$PID" --json /dev/stdout >"$T/s.json" 2>"$T/s.err" ||
    fail "--json /dev/stdout > FILE: $(cat "$T/s.err")"
json_lost "$T/s.json" 44 || fail "--json /dev/stdout > FILE: $(head -c 300 "$T/s.json")"
timeout 10 "$MP" report "$PID" --json /dev/null >"$T/d.out" 2>&1 || fail "/dev/null: $(cat "$T/d.out")"

touch "$T/stop"
wait "$MPPID"
st=$?
[ "$st" = 0 ] || fail "exit status $st, expected 0"
[ "$(cat "$T/prog.out")" = done ] || fail "the program printed: $(cat "$T/prog.out")"
finish_status
