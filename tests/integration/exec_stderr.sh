#!/bin/bash
# Programs the observed one starts with exec, when following exec was not asked for explicitly:
# their text report must not land in a stderr that is not the user's. A script that runs a
# leaking helper with `2>err.txt`, or captures its stderr (`x=$(helper 2>&1)`), reads exactly
# what it reads natively; a helper whose stderr is the user's still shows its report there;
# --trace-children=yes writes it into the helper's stderr as valgrind does; a --log-file with %p
# gets every process's report; with memplumber's own stderr closed no stderr is the user's. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED MEMPLUMBER_STDERR_ID
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
cat >"$T/helper.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *p = malloc(33);
    strcpy(p, "lost");
    p = NULL;
    fprintf(stderr, "helper's own line\n");
    return 0;
}
EOF
gcc -g -O0 -o "$T/helper" "$T/helper.c" || { echo "skip: cannot compile"; exit 77; }
cd "$T" || exit 1
# the driver: helper's stderr into a file, then captured; prints what it read
DRIVER='./helper 2>err.txt; echo "file: $(wc -l < err.txt) $(md5sum < err.txt)"; x=$(./helper 2>&1); echo "captured: ${#x} $x"'
sh -c "$DRIVER" >native.out 2>native.err
"$M" sh -c "$DRIVER" >mp.out 2>mp.err
if ! cmp -s native.out mp.out; then
    echo "FAIL: what the script read of its helper's stderr changed under memplumber:"
    diff native.out mp.out | head; fail=1
fi
# a helper whose stderr is the user's: its report is shown there
"$M" sh -c './helper; true' >/dev/null 2>direct.err
grep -q "33 bytes in 1 blocks are definitely lost" direct.err ||
    { echo "FAIL: the helper's report is missing from the user's stderr:"; cat direct.err; fail=1; }
grep -q "helper's own line" direct.err || { echo "FAIL: the helper's own line is missing"; fail=1; }
# --trace-children=yes: valgrind's way, the report goes into the helper's stderr
"$M" --trace-children=yes sh -c './helper 2>err2.txt; true' >/dev/null 2>/dev/null
grep -q "33 bytes in 1 blocks are definitely lost" err2.txt ||
    { echo "FAIL: --trace-children=yes: the report did not go to the helper's stderr"; fail=1; }
# a log file with %p: every process's report, the script's files untouched
"$M" --log-file="$T/log.%p" sh -c './helper 2>err3.txt; true' >/dev/null 2>/dev/null
grep -l "33 bytes in 1 blocks are definitely lost" "$T"/log.* >/dev/null 2>&1 ||
    { echo "FAIL: --log-file=%p: no log holds the helper's report"; fail=1; }
[ "$(cat err3.txt)" = "helper's own line" ] || { echo "FAIL: --log-file: err3.txt changed: $(cat err3.txt)"; fail=1; }
# memplumber itself started with stderr closed (cron, a daemon's supervisor): no stderr is the
# user's, so a helper's stderr, a file of the script's, gets only what it gets natively
"$M" sh -c './helper 2>err4.txt; true' >/dev/null 2>&-
[ "$(cat err4.txt)" = "helper's own line" ] ||
    { echo "FAIL: stderr closed: the helper's report went into err4.txt: $(head -3 err4.txt)"; fail=1; }
[ $fail = 0 ] && echo "ok: exec'd programs' reports stay out of stderr that is not the user's"
exit $fail
