#!/bin/bash
# --xml-socket and --log-socket, as KDevelop and Qt Creator pass them: the XML (or the text
# report) arrives over a TCP connection to a listener the caller opened, whole and well-formed,
# while the program's own stderr keeps the program's output. With no listener, memplumber says so in one line and writes to stderr
# instead (valgrind's fallback), the program's exit status unchanged. A malformed address is
# refused before the program starts. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }
T=$(mktemp -d)
trap 'kill $LP 2>/dev/null; rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
LP=
cat >"$T/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *lost = malloc(40);
    strcpy(lost, "lost");
    lost = NULL;
    fprintf(stderr, "program's own line\n");
    return 3;
}
EOF
gcc -g -O0 -o "$T/prog" "$T/prog.c" || { echo "skip: cannot compile"; exit 77; }
# A listener on a free port: accepts connections until killed, each one's bytes into FILE.N.
cat >"$T/listen.py" <<'EOF'
import socket, sys, threading
out = sys.argv[1]
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
n = 0
def take(c, name):
    with open(name, 'wb') as f:
        while True:
            b = c.recv(65536)
            if not b:
                break
            f.write(b)
    open(name + '.done', 'w').close()
while True:
    c, _ = s.accept()
    n += 1
    threading.Thread(target=take, args=(c, '%s.%d' % (out, n))).start()
EOF
start_listener() {
    rm -f "$T/in".*
    python3 "$T/listen.py" "$T/in" >"$T/port" &
    LP=$!
    for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done # python starts slowly on a loaded machine
    PORT=$(cat "$T/port")
}
wait_done() { for _ in $(seq 300); do [ -e "$T/in.1.done" ] && return 0; sleep 0.1; done; return 1; }

# 1. --xml-socket: the XML over the connection, the program's stderr its own
start_listener
"$M" --xml=yes --xml-socket=127.0.0.1:"$PORT" --leak-check=full "$T/prog" 2>"$T/err" >"$T/out"
rc=$?
wait_done || { echo "FAIL: xml-socket: the connection did not end"; fail=1; }
[ $rc = 3 ] || { echo "FAIL: xml-socket: exit status $rc, want the program's 3"; fail=1; }
grep -q "program's own line" "$T/err" || { echo "FAIL: xml-socket: the program's stderr line is missing"; fail=1; }
python3 - "$T/in.1" <<'EOF' || fail=1
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.tag == 'valgrindoutput', r.tag
kinds = [(e.findtext('kind'), e.findtext('xwhat/leakedbytes')) for e in r.findall('error')]
if ('Leak_DefinitelyLost', '40') not in kinds:
    print('FAIL: xml-socket: no 40-byte definitely lost record in', kinds); sys.exit(1)
if r.findtext('status/state') is None:
    print('FAIL: xml-socket: no status'); sys.exit(1)
EOF
grep -q "<valgrindoutput>" "$T/err" && { echo "FAIL: xml-socket: XML also on stderr"; fail=1; }
kill $LP 2>/dev/null; wait $LP 2>/dev/null

# 2. --log-socket: the text report over the connection, not on stderr
start_listener
"$M" --log-socket=127.0.0.1:"$PORT" --leak-check=full "$T/prog" 2>"$T/err" >"$T/out"
rc=$?
wait_done || { echo "FAIL: log-socket: the connection did not end"; fail=1; }
[ $rc = 3 ] || { echo "FAIL: log-socket: exit status $rc, want 3"; fail=1; }
grep -q "40 bytes in 1 blocks are definitely lost" "$T/in.1" ||
    { echo "FAIL: log-socket: the leak record did not arrive:"; cat "$T/in.1"; fail=1; }
grep -q "definitely lost" "$T/err" && { echo "FAIL: log-socket: the report also went to stderr"; fail=1; }
grep -q "program's own line" "$T/err" || { echo "FAIL: log-socket: the program's stderr line is missing"; fail=1; }
kill $LP 2>/dev/null; wait $LP 2>/dev/null

# 3. nobody listening: one line, the report on stderr, the status unchanged
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$T/deadport"
"$M" --log-socket=127.0.0.1:"$(cat "$T/deadport")" --leak-check=full "$T/prog" 2>"$T/err" >"$T/out"
rc=$?
[ $rc = 3 ] || { echo "FAIL: no listener: exit status $rc, want 3"; fail=1; }
grep -q "cannot connect to 127.0.0.1:" "$T/err" || { echo "FAIL: no listener: no line saying so"; fail=1; }
grep -q "definitely lost" "$T/err" || { echo "FAIL: no listener: the report did not fall back to stderr"; fail=1; }

# 4. malformed addresses: refused before the program starts
for bad in "localhost:1500" "127.0.0.1:0" "127.0.0.1:99999" ":1500" "127.0.0.1:x"; do
    "$M" --log-socket="$bad" "$T/prog" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc = 3 ] || grep -q "program's own line" "$T/err" || ! grep -q "IPv4\|port number" "$T/err"; then
        echo "FAIL: --log-socket=$bad: not refused clearly before start (status $rc):"; cat "$T/err"; fail=1
    fi
done
[ $fail = 0 ] && echo "ok: valgrind sockets"
exit $fail
