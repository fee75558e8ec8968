# ruby killed by SIGTERM: ruby catches it, tears its VM down (freeing its sigaltstack while it is
# still registered), puts SIG_DFL back and raises SIGTERM again. Under memplumber it must die of
# SIGTERM as natively (it crashed with SIGSEGV when memplumber's handler ran on the freed
# alternate stack), with a valid report.
. "$(dirname "$0")/_lib.sh"
need ruby
cd "$WORK" || exit 1
run() { # run WRAP...: status of ruby sent SIGTERM once it is running
    "$@" ruby -e '$stdout.sync = true; puts "up"; loop { [1] * 10 }' >"$WORK/out" 2>"$WORK/err" &
    local p=$! i
    for i in $(seq 1 100); do [ -s "$WORK/out" ] && break; sleep 0.05; done
    kill -TERM "$p"
    wait "$p"
}
run; native=$?
run "$MEMPLUMBER" --json "$WORK/r.%p.json" --; mp=$?
[ "$native" = "$mp" ] || { echo "ruby after SIGTERM: status $mp under memplumber, $native natively"; tail -n 5 "$WORK/err"; exit 1; }
"$PYTHON" -c 'import glob, json, sys
f = glob.glob(sys.argv[1] + "/r.*.json")
assert f, "no JSON report"
for x in f: json.load(open(x))' "$WORK" || exit 1
