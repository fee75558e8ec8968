#!/bin/bash
# valgrind's command line on memplumber: every option `valgrind --help` lists is accepted (when
# valgrind is installed), --tool other than memcheck is refused (sockets: valgrind_sockets.sh), options without
# an effect say so in one line, and the mapped ones act: -q, --log-fd, --log-file with %q{VAR},
# repeated --suppressions, --trace-children-skip(-by-arg), --child-silent-after-fork,
# --num-callers=500, --xml=yes without a destination. docs/MANUAL.md holds the table that
# `memplumber --help-valgrind` prints. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cat >"$T/leak.c" <<'EOF'
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv)
{
    void *volatile p = malloc(77);
    p = 0;
    if (argc > 1 && argv[1][0] == 'f') { /* fork a child that leaks and exits */
        pid_t c = fork();
        if (c == 0) { void *volatile q = malloc(55); q = 0; exit(0); }
        waitpid(c, 0, 0);
    }
    return 0;
}
EOF
gcc -g -O0 -o "$T/leak" "$T/leak.c" || { echo "skip: cannot compile"; exit 77; }

# 1. the manual's table is the one the command prints
"$M" --help-valgrind >"$T/table" || bad "--help-valgrind failed"
if python3 - "$T/table" docs/MANUAL.md <<'EOF'
import sys
table = open(sys.argv[1]).read().strip()
man = open(sys.argv[2]).read()
sys.exit(0 if table in man else 1)
EOF
then ok; else bad "docs/MANUAL.md lacks the table of memplumber --help-valgrind (paste its output)"; fi

# 2. every option of valgrind --help is in the table and accepted
if command -v valgrind >/dev/null; then
    opts=$(valgrind --help 2>&1 | grep -oE -- '(^| )--?[a-z0-9][a-z0-9-]*' | sed 's/^ //' | sort -u)
    n=0
    for o in $opts; do
        case $o in -h|--help|--help-debug|--help-dyn-options|--version) continue ;; esac
        grep -q -- "| \`$o\` |" "$T/table" || bad "valgrind option $o is not in the table"
        # a value valgrind would accept, from the table's values column
        vals=$(grep -- "| \`$o\` |" "$T/table" | awk -F' \\| ' '{print $2}' | sed 's/\\|/|/g')
        case $vals in
        '') arg=$o ;;
        N) arg=$o=1 ;;
        HEX) arg=$o=0x55 ;;
        TEXT|memcheck*) arg=$o=memcheck ;;
        *) arg=$o=${vals%%|*} ;;
        esac
        case $o in
        --log-socket|--xml-socket) continue ;;  # connect to a listener: valgrind_sockets.sh
        --log-fd) arg=--log-fd=2 ;;
        --xml-fd) arg="--xml-fd=2" ;;
        --suppressions) printf '{\n x\n Memcheck:Leak\n fun:nothing_matches_this\n}\n' >"$T/s.supp"; arg=--suppressions=$T/s.supp ;;
        --show-leak-kinds|--errors-for-leak-kinds) arg=$o=definite ;;
        --leak-check-heuristics) arg=$o=all ;;
        --tool) arg=--tool=memcheck ;;
        --xml) arg="--xml=yes --xml-file=$T/x.xml" ;;
        --log-file|--xml-file|--xtree-leak-file|--xtree-memory-file|--vgdb-prefix) arg=$o=$T/f.out ;;
        --error-exitcode) arg=$o=0 ;;
        esac
        # shellcheck disable=SC2086
        if "$M" $arg -- true >"$T/o" 2>"$T/e"; then n=$((n + 1)); ok; else bad "valgrind option '$arg' refused: $(cat "$T/e")"; fi
    done
    [ $n -gt 80 ] || bad "only $n of valgrind's options tried"
else
    echo "note: valgrind not installed: its option list is not compared"
fi

# 3. refusals and notes
"$M" --tool=helgrind true 2>"$T/e"; rc=$?
[ $rc = 2 ] && grep -q "memcheck only" "$T/e" && ok || bad "--tool=helgrind: rc $rc, $(cat "$T/e")"
"$M" --xml=yes true 2>"$T/e"; rc=$?
[ $rc = 2 ] && grep -q -- "--xml-file=FILE or --xml-fd=N" "$T/e" && ok || bad "--xml=yes alone: rc $rc"
"$M" --track-origins=yes --leak-check=no true 2>"$T/e"; rc=$?
[ $rc = 0 ] && [ "$(grep -c 'note: --track-origins=yes has no effect' "$T/e")" = 1 ] && ok ||
    bad "--track-origins=yes: rc $rc, $(cat "$T/e")"
"$M" --track-origins=no --leak-check=no true 2>"$T/e"
grep -q note "$T/e" && bad "--track-origins=no (valgrind's default) printed a note" || ok
"$M" --smc-check=bogus true 2>"$T/e"; rc=$?
[ $rc = 2 ] && grep -q "use one of none|stack|all|all-non-file" "$T/e" && ok || bad "--smc-check=bogus: rc $rc, $(cat "$T/e")"
"$M" --num-callers=500 --leak-check=no true 2>"$T/e" && ok || bad "--num-callers=500: $(cat "$T/e")"
"$M" --num-callers=501 true 2>"$T/e" && bad "--num-callers=501 accepted" || ok

# 4. mapped options act
"$M" -q --leak-check=full "$T/leak" 2>"$T/e"
grep -q "77 bytes in 1 blocks are definitely lost" "$T/e" && ok || bad "-q hid a leak: $(cat "$T/e")"
"$M" -q --leak-check=full true 2>"$T/e"
[ -s "$T/e" ] && bad "-q on a clean program printed: $(cat "$T/e")" || ok
"$M" --log-fd=3 "$T/leak" 3>"$T/fd3" 2>"$T/e"
grep -q "77 bytes" "$T/fd3" && ! grep -q "77 bytes" "$T/e" && ok || bad "--log-fd=3: fd3=$(cat "$T/fd3") stderr=$(cat "$T/e")"
MPVAR=abc "$M" --log-file="$T/log.%q{MPVAR}" "$T/leak" 2>"$T/e"
grep -q "77 bytes" "$T/log.abc" 2>/dev/null && ok || bad "--log-file with %q{MPVAR}: $(ls "$T") $(cat "$T/e")"
"$M" --log-file="$T/log.%q{MP_UNSET_VAR}" true 2>"$T/e"; rc=$?
[ $rc = 2 ] && grep -q "MP_UNSET_VAR" "$T/e" && ok || bad "%q{unset}: rc $rc"
printf '{\n a\n Memcheck:Leak\n ...\n fun:main\n}\n' >"$T/a.supp"
printf '{\n b\n Memcheck:Leak\n fun:nothing\n}\n' >"$T/b.supp"
"$M" --suppressions="$T/b.supp" --suppressions="$T/a.supp" "$T/leak" 2>"$T/e"
grep -q "suppressed: 77 bytes in 1 blocks" "$T/e" && ok || bad "repeated --suppressions: the second file was not used: $(cat "$T/e")"
# children: skipped by name, by argument; silent forked child
cat >"$T/parent.sh" <<EOF
#!/bin/sh
"$T/leak" child-arg
EOF
chmod +x "$T/parent.sh"
"$M" --log-file="$T/c1.%p" "$T/parent.sh" 2>/dev/null
[ "$(cat "$T"/c1.* | grep -c '77 bytes in 1 blocks are definitely lost')" = 1 ] && ok || bad "the exec'd child was not observed: $(cat "$T"/c1.*)"
"$M" --trace-children-skip='*/lea?' --log-file="$T/c2.%p" "$T/parent.sh" 2>/dev/null
grep -q "77 bytes" "$T"/c2.* && bad "--trace-children-skip='*/lea?' still observed the child" || ok
"$M" --trace-children-skip-by-arg='child-*' --log-file="$T/c3.%p" "$T/parent.sh" 2>/dev/null
grep -q "77 bytes" "$T"/c3.* && bad "--trace-children-skip-by-arg still observed the child" || ok
"$M" --log-file="$T/f1.%p" "$T/leak" fork 2>/dev/null
[ "$(cat "$T"/f1.* | grep -c 'ERROR SUMMARY')" = 2 ] && ok || bad "the forked child wrote no report without --child-silent-after-fork"
"$M" --child-silent-after-fork=yes --log-file="$T/f2.%p" "$T/leak" fork 2>/dev/null
[ "$(cat "$T"/f2.* | grep -c 'ERROR SUMMARY')" = 1 ] && ok || bad "--child-silent-after-fork=yes: $(cat "$T"/f2.*)"

# G_SLICE=always-malloc for the program by default, kept when set, not with --no-malloc-env
[ "$(env -u G_SLICE "$M" --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" = always-malloc ] && ok || bad "G_SLICE not set for the program"
[ "$(G_SLICE=debug-blocks "$M" --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" = debug-blocks ] && ok || bad "G_SLICE of the user was overwritten"
[ -z "$(env -u G_SLICE "$M" --no-malloc-env --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" ] && ok || bad "--no-malloc-env still set G_SLICE"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
