#!/bin/bash
# Growth suspects under --snapshot-interval=1 (tests/integration/live_growth.c, 6 s): the stack
# that keeps growing to the end (keep_growing) is the top suspect; the one whose growth stopped
# after 2 s (warm_up, a cache filled at start-up) is not a suspect any more, nor the churning one
# (churn, blocks of random sizes replaced in a ring). Before, the stopped one stayed a suspect for good, ahead of
# the real leak, since its least-squares slope stays positive. Exit 0 = pass, 1 = fail, 77 = skipped.
. "$(dirname "$0")/live_common.bash"
cc -O1 -g -o "$T/grow" tests/integration/live_growth.c || exit 1
"$MP" --snapshot-interval=1 --json="$T/g.json" -- "$T/grow" 6 >"$T/out" 2>"$T/err" || fail "memplumber exited $?"
[ "$(cat "$T/out")" = "1 1" ] || fail "the program printed: $(cat "$T/out")"
python3 - "$T/g.json" <<'PY' || fail "growth suspects: $(cat "$T/why")"
import json, sys
d = json.load(open(sys.argv[1]))
names = [[f.get("function") for f in g["stack"][:1]][0] for g in d.get("growth", [])]
why = open(sys.argv[1].replace("g.json", "why"), "w")
ok = len(d.get("snapshots", [])) >= 5 and names[:1] == ["keep_growing"] and \
     "warm_up" not in names and "churn" not in names
why.write("%d snapshots, suspects %s" % (len(d.get("snapshots", [])), names))
sys.exit(0 if ok else 1)
PY
finish_status
