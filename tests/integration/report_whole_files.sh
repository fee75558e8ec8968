#!/bin/bash
# A report file is whole whenever it can be seen: JSON, SARIF and HTML reports are written under
# a temporary name in their directory and renamed into place, so a tool that reads the file while
# the program is still writing it (a CI step collecting reports while a daemon shuts down, an
# editor polling for it) never reads a cut-short report. A program with 3,000 distinct leak
# stacks takes a moment to write its reports; a reader polls the three paths meanwhile, and every
# time a file is there it must parse (JSON; SARIF is JSON; HTML must end with </html>). Also: an
# older report at the path is replaced (not appended to), no temporary file is left behind, and a
# report path in a directory the program cannot write still gets its report written in place.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
MP=${MP_TEST_BUILD:-$(pwd -P)/build}/memplumber
[ -x "$MP" ] || { echo "skip: needs build/memplumber"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# 3,000 functions, each leaking one block: 3,000 loss records, each symbolized as it is written
{
    echo '#include <stdlib.h>'
    echo 'void *keep;'
    for i in $(seq 1 3000); do echo "__attribute__((noinline)) void f$i(void) { keep = malloc($((i % 50 + 16))); }"; done
    echo 'int main(void) {'
    for i in $(seq 1 3000); do echo "f$i();"; done
    echo 'keep = 0; return 0; }'
} >"$T/many.c"
gcc -O0 -g -o "$T/many" "$T/many.c" || { echo "FAIL: cannot compile"; exit 1; }
echo '{"an older report": true' >"$T/r.json"   # not JSON: must be replaced whole

python3 - "$T" <<'PY' &
import json, os, sys, time
t = sys.argv[1]
paths = {os.path.join(t, n): n for n in ('r.json', 'r.sarif', 'r.html')}
seen, bad = 0, []
end = time.time() + 60
last = False
while time.time() < end and not last:
    last = os.path.exists(os.path.join(t, 'done'))  # then one more pass over the finished files
    for p, n in paths.items():
        try:
            with open(p, 'rb') as f:
                data = f.read()
        except OSError:
            continue
        if n == 'r.json' and data.startswith(b'{"an older'):
            continue
        seen += 1
        try:
            if n.endswith('.html'):
                if not data.rstrip().endswith(b'</html>'):
                    raise ValueError('no </html> at the end')
            else:
                json.loads(data)
        except ValueError as e:
            bad.append('%s read with %d bytes: %s' % (n, len(data), str(e)[:80]))
with open(os.path.join(t, 'poll.out'), 'w') as f:
    f.write('%d %s\n' % (seen, ' | '.join(bad[:3])))
PY
poller=$!
"$MP" -q --leak-check=full --log-file="$T/log" --json="$T/r.json" --sarif="$T/r.sarif" --html="$T/r.html" -- "$T/many" 2>"$T/err"
rc=$?
touch "$T/done"
wait $poller
[ $rc = 0 ] || fail "the program's status: $rc, expected 0: $(tail -3 "$T/err")"
read -r seen bad <"$T/poll.out"
[ -z "$bad" ] || fail "a reader saw a cut-short report: $bad"
[ "$seen" -gt 0 ] || fail "the reader never saw a report file"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j['summary']['definitely_lost']['blocks'] == 3000 else 1)" \
    "$T/r.json" || fail "r.json is not the new report with 3000 lost blocks"
ls -a "$T" | grep -q '\.tmp$' && fail "a temporary file was left: $(ls -a "$T" | grep '\.tmp$')"

# The reader above sees a cut-short file only when it looks during the few milliseconds a report
# takes to write here; the names tell for sure: no report path is ever opened for writing, each
# appears by a rename of its finished temporary file.
if command -v strace >/dev/null 2>&1; then
    rm -f "$T"/r.*
    strace -f -qq -e trace=openat,rename,renameat,renameat2 -o "$T/trace" \
        "$MP" -q --log-file="$T/log" --json="$T/r.json" --sarif="$T/r.sarif" --html="$T/r.html" -- "$T/many" 2>"$T/err"
    for n in r.json r.sarif r.html; do
        grep -q "openat(.*\"$T/$n\".*O_WRONLY" "$T/trace" && fail "$n was opened for writing under its own name"
        grep -q "rename.*\"$T/$n\")" "$T/trace" || fail "$n did not appear by a rename"
    done
fi

# a directory that cannot take the temporary file: the report is written in place
if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro" && : >"$T/ro/r.json" && chmod 555 "$T/ro"
    "$MP" -q --log-file="$T/log" --json="$T/ro/r.json" -- "$T/many" 2>"$T/err" || fail "read-only directory: status $?"
    python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/ro/r.json" || fail "read-only directory: no report"
    chmod 755 "$T/ro"
fi
[ $fails = 0 ] && echo "PASS: report files are whole whenever seen (the reader saw them $seen times)"
exit $((fails > 0))
