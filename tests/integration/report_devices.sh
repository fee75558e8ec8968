#!/bin/bash
# Report paths that are character devices: the memplumber command accepts --log-file=/dev/null,
# --xml-file=/dev/null and --json=/dev/null (valgrind users pass them), the program runs with its
# own exit status and nothing of the report reaches stderr; a FIFO and a directory are still
# refused before the program starts (exit 2, with what the path is and what would be valid).
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
MP=$(pwd -P)/build/memplumber
[ -x "$MP" ] && [ -w /dev/null ] || { echo "skip: needs build/memplumber and /dev/null"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$MP" --leak-check=full --log-file=/dev/null --xml=yes --xml-file=/dev/null --json=/dev/null -- \
    sh -c 'exit 3' 2>"$T/err"
rc=$?
[ $rc = 3 ] || fail "/dev/null reports: exit $rc, expected the program's 3: $(cat "$T/err")"
[ -s "$T/err" ] && fail "/dev/null reports: stderr not empty: $(head -3 "$T/err")"

mkfifo "$T/fifo"
"$MP" --log-file="$T/fifo" -- true 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "it is a FIFO (named pipe); report files must be regular files or character devices" "$T/err" ||
    fail "FIFO log file: exit $rc: $(cat "$T/err")"
"$MP" --json="$T" -- true 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "it is a directory" "$T/err" || fail "directory as JSON path: exit $rc: $(cat "$T/err")"

[ $fails = 0 ] && { echo ok; exit 0; }
exit 1
