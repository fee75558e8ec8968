#!/bin/bash
# The memplumber CLI: options validated before the program starts (a refused command line
# never runs the program), exit status and signal pass-through, report paths, library lookup,
# and the environment handed to the program (LD_PRELOAD, MEMPLUMBER_OPTIONS,
# MEMPLUMBER_ROOT_PID). Uses an empty shared object as the "library", so it does not depend on
# the state of libmemplumber.so. Exit 0 = pass, 1 = fail, 77 = skipped (no build/memplumber).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
if [ ! -x "$M" ]; then
    echo "skip: $M is missing (make build/memplumber)"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT
if ! gcc -shared -fPIC -o "$T/empty.so" -x c /dev/null; then
    echo "skip: cannot build an empty shared object with gcc"
    exit 77
fi
cp "$T/empty.so" "$T/other.so"
export MEMPLUMBER_LIB=$T/empty.so
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $1"
    shift
    for line in "$@"; do echo "      $line"; done
}

# run ARGS...: run memplumber; sets $rc, $out, $err.
run() {
    rm -f "$T/ran"
    "$M" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}
expect_rc() { # name want
    if [ "$rc" = "$2" ]; then ok; else bad "$1: exit status" "expected: $2" "actual:   $rc" "stderr:   $err"; fi
}
expect_eq() { # name expected actual
    if [ "$2" = "$3" ]; then ok; else bad "$1" "expected: '$2'" "actual:   '$3'" "stderr:   $err"; fi
}
expect_err() { # name text: stderr contains text
    case $err in
    *"$2"*) ok ;;
    *) bad "$1: stderr lacks '$2'" "actual: $err" ;;
    esac
}
expect_not_ran() {
    if [ -e "$T/ran" ]; then bad "$1: the program ran although the command line was refused"; else ok; fi
}
RAN=(sh -c "touch '$T/ran'")
SHOW=(sh -c 'echo "$MEMPLUMBER_OPTIONS|$LD_PRELOAD|$MEMPLUMBER_ROOT_PID|$$"')

# ---- --help and --version ----
run --help
expect_rc "--help" 0
names=$(sed -n 's/^MP_OPTION( *[A-Z]*, *\([a-z_0-9]*\),.*/\1/p' src/preload/runtime/options.inc)
[ -n "$names" ] || bad "could not read option names from src/preload/runtime/options.inc"
for n in $names; do
    case $out in
    *"--${n//_/-}"*) ok ;;
    *) bad "--help does not list --${n//_/-}" ;;
    esac
done
for a in num-callers leak-check show-leak-kinds log-file error-exitcode trace-children \
    run-libc-freeres suppressions show-reachable; do
    case $out in
    *"--$a"*) ok ;;
    *) bad "--help does not list the valgrind spelling --$a" ;;
    esac
done
run -h
expect_rc "-h" 0
run --version
expect_rc "--version" 0
expect_eq "--version output" "memplumber 0.1.0" "$out"
# Put first in PATH as "valgrind" (the drop-in use), --version answers in valgrind's shape, which
# build scripts parse to gate their memcheck runs (git's test-lib.sh: major and minor from
# "valgrind-X.Y.Z", 3.10 or later; FindValgrind modules: "valgrind-([0-9.]+)").
mkdir -p "$T/vgbin" && ln -sf "$M" "$T/vgbin/valgrind"
vout=$(PATH="$T/vgbin:$PATH" valgrind --version)
expect_eq "--version as valgrind" "valgrind-3.19.0-memplumber-0.1.0" "$vout"
vmaj=$(echo "$vout" | sed -ne 's/[^-]*-\([0-9]*\).*/\1/p')
vmin=$(echo "$vout" | sed -ne 's/[^.]*.\([0-9]*\).*/\1/p')
expect_eq "--version as valgrind, read as git's test-lib.sh reads it" "3 19" "$vmaj $vmin"

# ---- refused command lines: exit 2, program not started ----
run --jsn=x.json "${RAN[@]}"
expect_rc "unknown option" 2
expect_err "unknown option" "unknown option '--jsn'"
expect_err "unknown option suggestion" "did you mean --json?"
expect_err "unknown option help pointer" "see memplumber --help"
expect_not_ran "unknown option"

run --frobnicate "${RAN[@]}"
expect_rc "unknown option, nothing close" 2
expect_err "unknown option, nothing close" "unknown option '--frobnicate'"
expect_not_ran "unknown option, nothing close"

run -x "${RAN[@]}"
expect_rc "unknown short option" 2
expect_not_ran "unknown short option"

# option value | text naming the option | text naming the valid values
# (valgrind's spelling --error-exitcode=N takes what valgrind takes, 300 meaning 44: see
# valgrind_options.sh; memplumber's own --error_exitcode keeps 0 to 255)
while IFS='|' read -r opt name valid; do
    run "$opt" "${RAN[@]}"
    expect_rc "$opt" 2
    expect_err "$opt names the option" "$name"
    expect_err "$opt names the valid values" "$valid"
    expect_not_ran "$opt"
done <<'EOF'
--num-callers=0|depth|1 to 500
--depth=501|depth|1 to 500
--error_exitcode=300|error_exitcode|0 to 255
--error-exitcode=1x|--error-exitcode|decimal number
--leak-check=maybe|leak_check|full, summary or no
--show-leak-kinds=definite,bogus|show_leak_kinds|definite, indirect, possible, reachable
--show-reachable=maybe|show_reachable|yes or no
--trace-children=sometimes|follow_exec|yes or no
--quarantine-size=12X|quarantine_size|K, M or G
--report-signal=9|report_signal|SIGUSR2
--verbosity=7|verbosity|0, 1 or 2
--num-callers=-3|depth|non-negative integer
EOF

run --num-callers 0 "${RAN[@]}"
expect_rc "--num-callers 0 (separate value)" 2
expect_err "--num-callers 0 (separate value)" "--num-callers=0"
expect_not_ran "--num-callers 0 (separate value)"

run --json
expect_rc "--json without a value" 2
expect_err "--json without a value" "needs a value"
run --json --depth=3 "${RAN[@]}"
expect_rc "--json followed by an option" 2
expect_err "--json followed by an option" "needs a value"
expect_not_ran "--json followed by an option"

run --no-json "${RAN[@]}"
expect_rc "--no-json" 2
expect_not_ran "--no-json"
run --no-show-reachable=yes "${RAN[@]}"
expect_rc "--no-show-reachable=yes" 2
expect_not_ran "--no-show-reachable=yes"

run --json=a:b.json "${RAN[@]}"
expect_rc "':' in a value" 2
expect_err "':' in a value" "':'"
expect_err "':' in a value" "separates"
expect_not_ran "':' in a value"

run
expect_rc "no program" 2
expect_err "no program" "no program"
run --depth=5
expect_rc "options but no program" 2
run --depth=5 --
expect_rc "options and -- but no program" 2

MEMPLUMBER_OPTIONS=depth=0 run "${RAN[@]}"
expect_rc "bad MEMPLUMBER_OPTIONS in the environment" 2
expect_err "bad MEMPLUMBER_OPTIONS in the environment" "MEMPLUMBER_OPTIONS"
expect_not_ran "bad MEMPLUMBER_OPTIONS in the environment"

# ---- the program cannot be run ----
run no-such-program-memplumber-test
expect_rc "program not found" 127
expect_err "program not found" "cannot run 'no-such-program-memplumber-test': No such file or directory"
run "$T/nothere"
expect_rc "program path not found" 127
printf 'echo hi\n' >"$T/noexec"
chmod 644 "$T/noexec"
run "$T/noexec"
expect_rc "program not executable" 126
expect_err "program not executable" "Permission denied"
run "$T"
expect_rc "program is a directory" 126
# a script whose #! interpreter does not exist: 126 with "bad interpreter", as bash and valgrind
printf '#!/nonexistent/memplumber-test-interp\necho hi\n' >"$T/badinterp"
chmod 755 "$T/badinterp"
run "$T/badinterp"
expect_rc "script with a missing interpreter" 126
expect_err "script with a missing interpreter" "bad interpreter: No such file or directory"

# ---- exit status and signals ----
run sh -c 'exit 3'
expect_rc "exit status passed through" 3
run true
expect_rc "exit status 0" 0
run -- sh -c 'exit 4'
expect_rc "-- before the program" 4
run sh -c 'echo "$1 $2"' x --json --depth=0
expect_rc "options after the program belong to it" 0
expect_eq "options after the program belong to it" "--json --depth=0" "$out"

# The shell running memplumber must see it die of the program's signal.
sigrun() {
    bash -c '"$@"; echo $?' _ "$M" "$@" >"$T/out" 2>"$T/err"
    rc=$(cat "$T/out")
    err=$(cat "$T/err")
}
sigrun sh -c 'kill -TERM $$'
expect_rc "program killed by SIGTERM" 143
expect_err "program killed by SIGTERM" "memplumber: program terminated by signal 15 (SIGTERM)"
sigrun sh -c 'kill -SEGV $$'
expect_rc "program killed by SIGSEGV" 139
expect_err "program killed by SIGSEGV" "signal 11 (SIGSEGV)"
# With the report in a --log-file (or --log-fd), the program's stderr stays its own, as under
# valgrind (whose "Process terminating" goes to its log): the report's header names the signal
# (this test's library writes no report).
{ "$M" --log-file="$T/siglog" sh -c 'kill -SEGV $$' 2>"$T/err"; } 2>/dev/null
rc=$?
err=$(cat "$T/err")
expect_rc "program killed by SIGSEGV, --log-file" 139
expect_eq "program killed by SIGSEGV, --log-file: stderr" "" "$err"

# kill -INT on memplumber is forwarded like any signal sent with kill (Ctrl-C, which the
# terminal sends to the program too, is not: tests/integration/signals.sh). Sent by another
# process (this script): what the program or its children send is not passed back (below).
killrun() { # SIG STATUS: memplumber in the background, sent SIG once the program's trap is set
    rm -f "$T/ready"
    # (a background command of a script starts with SIGINT ignored: perl sets it back)
    perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
        "$M" sh -c "trap 'exit $2' $1; touch '$T/ready'; sleep 3 & wait" >"$T/out" 2>"$T/err" &
    local pid=$! i
    for i in $(seq 500); do [ -e "$T/ready" ] && break; sleep 0.01; done
    kill -"$1" $pid
    wait $pid
    rc=$?
    err=$(cat "$T/err")
}
killrun INT 7
expect_rc "SIGINT sent with kill is forwarded to the program" 7
killrun USR1 5
expect_rc "SIGUSR1 is forwarded to the program" 5
killrun TERM 6
expect_rc "SIGTERM is forwarded to the program" 6

# kill(0, sig) from the program (a server stopping its workers), or from one of its children (a
# worker ending the whole group, a script's `trap 'kill 0' EXIT`), reaches it once, as natively,
# not a second time through memplumber, which is in its process group: its handler ran twice.
# Real-time signals queue, so a second copy is counted; a marker signal sent to memplumber by a
# process that is not the program's (a grandchild whose parent has exited: reparented), passed
# on after the first (the lower number is handled first), bounds the wait.
cat >"$T/grpkill.c" <<'EOF'
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    sigset_t s, one;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN);
    sigaddset(&s, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pid_t mp = getppid(), worker = 0;
    int pfd[2];
    if (pipe(pfd))
        return 4;
    if (argc > 1 && !strcmp(argv[1], "child")) {
        worker = fork(); /* signals the group, then stays alive until the count is done */
        if (worker == 0) {
            char c;
            kill(0, SIGRTMIN);
            close(pfd[1]);
            if (read(pfd[0], &c, 1) < 0)
                _exit(1);
            _exit(0);
        }
        sigemptyset(&one);
        sigaddset(&one, SIGRTMIN);
        sigwaitinfo(&one, NULL);     /* the worker's copy, natively the only one */
        kill(getpid(), SIGRTMIN);    /* so that "received 1" holds in both cases */
    } else
        kill(0, SIGRTMIN);
    pid_t c = fork();
    if (c == 0) {
        pid_t me = getpid();
        if (fork() == 0) {
            while (getppid() == me)
                usleep(1000);
            kill(mp, SIGRTMIN + 1);
        }
        _exit(0);
    }
    waitpid(c, NULL, 0);
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    struct timespec ts = {10, 0}, zero = {0, 0};
    if (sigtimedwait(&one, NULL, &ts) != SIGRTMIN + 1)
        return 3;
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN);
    int n = 0;
    while (sigtimedwait(&one, NULL, &zero) == SIGRTMIN)
        n++;
    printf("received %d\n", n);
    close(pfd[1]);
    if (worker)
        waitpid(worker, NULL, 0);
    return 0;
}
EOF
if command -v setsid >/dev/null && gcc -o "$T/grpkill" "$T/grpkill.c"; then
    for who in program child; do
        # in a session of its own: kill(0) must not reach this script
        setsid -w "$M" "$T/grpkill" $who >"$T/out" 2>"$T/err"
        rc=$?
        err=$(cat "$T/err")
        expect_rc "kill(0) from the $who" 0
        expect_eq "kill(0) from the $who reaches the program once" "received 1" "$(cat "$T/out")"
    done
fi

# ---- report paths ----
mkdir -p "$T/work/rel"
(cd "$T/work" && "$M" --json=rel/r.json --html ./h.html sh -c 'cd /; echo "$MEMPLUMBER_OPTIONS"' >"$T/out" 2>"$T/err")
rc=$?
err=$(cat "$T/err")
expect_rc "relative report paths" 0
expect_eq "relative report paths made absolute" "json=$T/work/rel/r.json:html=$T/work/h.html" "$(cat "$T/out")"

(cd "$T/work" && "$M" --json=nodir/r.json sh -c "touch '$T/ran'" >"$T/out" 2>"$T/err")
rc=$?
err=$(cat "$T/err")
expect_rc "report directory missing" 2
expect_err "report directory missing" "cannot write the JSON report to 'nodir/r.json': directory 'nodir' does not exist"
expect_not_ran "report directory missing"
[ ! -e "$T/work/nodir" ] && ok || bad "memplumber created the missing report directory"

run --log-file="$T/nodir/sub/x.txt" "${RAN[@]}"
expect_rc "text report directory missing" 2
expect_err "text report directory missing" "text report"
expect_not_ran "text report directory missing"

run --sarif="$T/noexec/x.sarif" "${RAN[@]}"
expect_rc "report directory is a file" 2
expect_not_ran "report directory is a file"

run --html="$T/work" "${RAN[@]}"
expect_rc "report path is a directory" 2
expect_not_ran "report path is a directory"

if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro"
    chmod 555 "$T/ro"
    run --json="$T/ro/r.json" "${RAN[@]}"
    expect_rc "report directory not writable" 2
    expect_err "report directory not writable" "not writable"
    expect_not_ran "report directory not writable"
    chmod 755 "$T/ro"
fi

run --json="$T/%p/r.json" "${SHOW[@]}"
expect_rc "%p in the directory is not checked" 0

# ---- suppression files ----
printf '# empty\n' >"$T/work/a.supp"
run --suppressions="$T/missing.supp" "${RAN[@]}"
expect_rc "missing suppression file" 2
expect_err "missing suppression file" "missing.supp"
expect_not_ran "missing suppression file"
(cd "$T/work" && "$M" --suppressions=a.supp,"$T/work/a.supp" sh -c 'echo "$MEMPLUMBER_OPTIONS"' >"$T/out" 2>"$T/err")
rc=$?
err=$(cat "$T/err")
expect_rc "relative suppression file" 0
expect_eq "relative suppression file made absolute" "suppressions=$T/work/a.supp,$T/work/a.supp" "$(cat "$T/out")"

# ---- environment of the program ----
run "${SHOW[@]}"
expect_rc "environment, no options" 0
IFS='|' read -r o p r s <<<"$out"
expect_eq "no options: MEMPLUMBER_OPTIONS unset" "" "$o"
expect_eq "no options: LD_PRELOAD" "$T/empty.so" "$p"
expect_eq "MEMPLUMBER_ROOT_PID is the program's pid" "$s" "$r"

run --num-callers=12 --leak-check=full --show-reachable --no-trace-children --error-exitcode 7 "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "only non-default options (and leak_check, follow_exec whenever given), canonical names" \
    "depth=12:leak_check=full:show_reachable=yes:error_exitcode=7:follow_exec=no" "$o"

run --show-reachable=yes --trace-children=no --run-libc-freeres=no --leak-check=yes "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "valgrind spellings" "leak_check=full:show_reachable=yes:follow_exec=no:freeres=no" "$o"

# An explicit default leak_check / follow_exec is passed: it makes loss records errors / lets
# error_exitcode apply in exec'd programs, which the default does not.
run --trace-children=yes "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "explicit --trace-children=yes passed" "follow_exec=yes" "$o"

run --show-reachable --no-show-reachable --show-leak-kinds=all --leak-check=summary "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "last occurrence wins; kinds and leak-check spelled canonically" \
    "leak_check=summary:show_leak_kinds=definite,indirect,possible,reachable" "$o"

MEMPLUMBER_OPTIONS=depth=5:verbosity=2 LD_PRELOAD=$T/other.so run --depth=30 --json=/tmp/x.json "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "CLI options appended after MEMPLUMBER_OPTIONS (a default it overrides included)" \
    "depth=5:verbosity=2:json=/tmp/x.json:depth=30" "$o"
expect_eq "LD_PRELOAD prepended" "$T/empty.so:$T/other.so" "$p"

MEMPLUMBER_OPTIONS=verbosity=0 run "${SHOW[@]}"
IFS='|' read -r o p r s <<<"$out"
expect_eq "MEMPLUMBER_OPTIONS kept when the CLI adds nothing" "verbosity=0" "$o"

run sh -c 'sh -c "echo \$MEMPLUMBER_ROOT_PID"; echo $$'
first=$(echo "$out" | sed -n 1p)
second=$(echo "$out" | sed -n 2p)
expect_eq "MEMPLUMBER_ROOT_PID is inherited unchanged by descendants" "$second" "$first"

# ---- finding the library ----
mkdir -p "$T/b" "$T/i/bin" "$T/i/lib" "$T/n"
cp "$M" "$T/b/memplumber"
cp "$T/empty.so" "$T/b/libmemplumber.so"
cp "$M" "$T/i/bin/memplumber"
cp "$T/empty.so" "$T/i/lib/libmemplumber.so"
cp "$M" "$T/n/memplumber"
out=$(env -u MEMPLUMBER_LIB "$T/b/memplumber" sh -c 'echo "$LD_PRELOAD"' 2>"$T/err")
err=$(cat "$T/err")
expect_eq "library next to the binary (build tree)" "$T/b/libmemplumber.so" "$out"
out=$(env -u MEMPLUMBER_LIB "$T/i/bin/memplumber" sh -c 'echo "$LD_PRELOAD"' 2>"$T/err")
err=$(cat "$T/err")
expect_eq "library in ../lib (installed)" "$T/i/lib/libmemplumber.so" "$out"
env -u MEMPLUMBER_LIB "$T/n/memplumber" "${RAN[@]}" >/dev/null 2>"$T/err"
rc=$?
err=$(cat "$T/err")
expect_rc "no library" 2
expect_err "no library: names the paths tried" "$T/n/libmemplumber.so"
expect_err "no library: names the paths tried" "$T/n/../lib/libmemplumber.so"
expect_not_ran "no library"
MEMPLUMBER_LIB=$T/none.so run "${RAN[@]}"
expect_rc "MEMPLUMBER_LIB does not exist" 2
expect_err "MEMPLUMBER_LIB does not exist" "MEMPLUMBER_LIB"
expect_not_ran "MEMPLUMBER_LIB does not exist"

# ---- programs LD_PRELOAD cannot reach ----
if printf 'int main(void){return 4;}\n' | gcc -static -x c -o "$T/static" - 2>/dev/null; then
    run "$T/static"
    expect_rc "static program still runs" 4
    expect_err "static program warning" "statically linked"
fi
printf '#!/bin/sh\nexit 9\n' >"$T/script"
chmod +x "$T/script"
run "$T/script"
expect_rc "script" 9
expect_eq "script: no warning" "" "$err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
