#!/bin/bash
# Inputs memplumber cannot use must be refused before the program starts, with status 2 and a
# line saying what is wrong, through the memplumber command and through plain LD_PRELOAD:
# - a suppression file that is a pipe (bash's --suppressions=<(...), a FIFO): memplumber reads
#   the file again in every process and at each report, and a pipe gives its text only once,
#   so the suppressions were silently lost (and a FIFO nobody writes to hung the start);
# - report signals 32 and 33, which glibc keeps for itself (no handler can be installed: 32
#   killed the program, 33 did nothing);
# - two reports given the same file (one overwrote the other at exit, without a word);
# - a report path naming the program being run (the report replaced the program's file).
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
LIB=$ROOT/build/libmemplumber.so
if [ ! -x "$M" ] || [ ! -e "$LIB" ]; then
    echo "skip: build/memplumber or build/libmemplumber.so is missing"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# check NAME: the last run was refused (status 2, TEXT on stderr, the program not started)
check() {
    local name=$1 text=$2
    [ "$rc" = 2 ] || bad "$name: exit status $rc, expected 2 (stderr: $(head -c 300 "$T/err"))"
    grep -q -- "$text" "$T/err" || bad "$name: stderr lacks '$text': $(head -c 300 "$T/err")"
    [ -e "$T/ran" ] && bad "$name: the program ran although its input was refused"
    rm -f "$T/ran"
}
RAN=(sh -c "touch '$T/ran'")

# a suppression file given as a pipe, both ways
timeout 20 "$M" --suppressions=<(printf 'leak:main\n') "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
check "--suppressions=<(...)" "is a pipe"
timeout 20 env MEMPLUMBER_OPTIONS="suppressions=/dev/fd/9" LD_PRELOAD=$LIB "${RAN[@]}" \
    9< <(printf 'leak:main\n') >/dev/null 2>"$T/err"
rc=$?
check "MEMPLUMBER_OPTIONS=suppressions=/dev/fd/9 (a pipe)" "is a pipe"

# a FIFO nobody writes to: refused at once, not a hang
mkfifo "$T/fifo.supp"
timeout 20 "$M" --suppressions="$T/fifo.supp" "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
check "--suppressions=FIFO" "is a pipe"
timeout 20 env MEMPLUMBER_OPTIONS="suppressions=$T/fifo.supp" LD_PRELOAD=$LIB "${RAN[@]}" \
    >/dev/null 2>"$T/err"
rc=$?
check "MEMPLUMBER_OPTIONS=suppressions=FIFO" "is a pipe"

# glibc's own signals as report signals
for s in 32 33; do
    timeout 20 "$M" --report-signal=$s "${RAN[@]}" >/dev/null 2>"$T/err"
    rc=$?
    check "--report-signal=$s" "glibc"
    timeout 20 env MEMPLUMBER_OPTIONS="report_signal=$s" LD_PRELOAD=$LIB "${RAN[@]}" >/dev/null 2>"$T/err"
    rc=$?
    check "MEMPLUMBER_OPTIONS=report_signal=$s" "glibc"
done
# the first real-time signal glibc leaves to programs is still accepted
timeout 20 "$M" --report-signal=34 "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && [ -e "$T/ran" ] || bad "--report-signal=34: refused (status $rc): $(head -c 300 "$T/err")"
rm -f "$T/ran"

# two reports to one file: one would overwrite the other at exit
timeout 20 "$M" --json="$T/r" --html="$T/r" "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
check "--json and --html to one file" "give each report a file of its own"
(cd "$T" && timeout 20 "$M" --log-file=r.%p --xml=yes --xml-file="$T/r.%p" "${RAN[@]}" >/dev/null 2>"$T/err")
rc=$?
check "--log-file and --xml-file to one file" "give each report a file of its own"
timeout 20 env MEMPLUMBER_OPTIONS="json=$T/r:pprof=$T/r" LD_PRELOAD=$LIB "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
check "MEMPLUMBER_OPTIONS json and pprof to one file" "give each report a file of its own"
# /dev/null may take several
timeout 20 "$M" --json=/dev/null --html=/dev/null "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && [ -e "$T/ran" ] || bad "--json=/dev/null --html=/dev/null: refused (status $rc): $(head -c 300 "$T/err")"
rm -f "$T/ran"

# a report path that names the program itself (--json=./prog): the report would replace it
printf '#!/bin/sh\ntouch "%s/ran"\n' "$T" >"$T/prog" && chmod +x "$T/prog"
cp "$T/prog" "$T/prog.orig"
(cd "$T" && timeout 20 "$M" --json=./prog ./prog >/dev/null 2>"$T/err")
rc=$?
check "--json naming the program" "it is the program being run"
cmp -s "$T/prog" "$T/prog.orig" || bad "--json naming the program: the program's file was changed"
(cd "$T" && timeout 20 "$M" --xml=yes --xml-file="$T/prog" -- prog >/dev/null 2>"$T/err") # not in PATH
rc=$?
[ "$rc" = 127 ] || bad "--xml-file naming a file that is not the program run: status $rc"

[ $fail = 0 ] && echo "pass"
exit $fail
