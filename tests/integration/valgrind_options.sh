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
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB VALGRIND_OPTS
export HOME=$T/home  # no ~/.valgrindrc of the user's
mkdir -p "$HOME"
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
    # --help-debug: the options of --help and valgrind's debugging options (-d, --vex-*, ...)
    opts=$(valgrind --help-debug 2>&1 | grep -oE -- '(^| )--?[a-z0-9][a-z0-9-]*' | sed 's/^ //' |
        grep -vx -- '--syms' | sort -u)
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
        --debug-dump) arg=$o=syms ;;
        --vex-iropt-register-updates|--px-default|--px-file-backed) arg=$o=allregs-at-mem-access ;;
        esac
        # shellcheck disable=SC2086
        if "$M" $arg -- true >"$T/o" 2>"$T/e"; then n=$((n + 1)); ok; else bad "valgrind option '$arg' refused: $(cat "$T/e")"; fi
    done
    [ $n -gt 110 ] || bad "only $n of valgrind's options tried"
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
# valgrind reads an integer as strtoll does: a sign, and nothing at all is 0 (a script's
# --error-exitcode=$CODE with CODE empty turns it off); ++3 and 3x are refused.
"$M" --error-exitcode= --leak-check=full "$T/leak" 2>"$T/e"; rc=$?
[ $rc = 0 ] && ok || bad "--error-exitcode= (empty, valgrind: off): rc $rc, $(head -2 "$T/e")"
"$M" --error-exitcode=+3 --leak-check=full "$T/leak" 2>"$T/e"; rc=$?
[ $rc = 3 ] && ok || bad "--error-exitcode=+3: rc $rc, $(head -2 "$T/e")"
for v in ++3 3x - +; do
    "$M" --error-exitcode=$v true 2>"$T/e" && bad "--error-exitcode=$v accepted" || ok
done
# The numbers of options without effect here are read the same way (valgrind passes
# --max-stackframe=-1 and an empty --main-stacksize=), and refused as valgrind refuses them.
for o in --max-stackframe=-1 --main-stacksize= --max-stackframe=+5; do
    "$M" -q $o true 2>"$T/e" && ok || bad "$o refused (valgrind takes it): $(head -1 "$T/e")"
done
for o in --max-stackframe=x --max-stackframe=- --main-stacksize=1k; do
    "$M" -q $o true 2>"$T/e" && bad "$o accepted (valgrind refuses it)" || ok
done

# --log-fd naming no open descriptor: the text goes to stderr, and a note says so (as valgrind's)
"$M" -q --log-fd=250 --leak-check=full "$T/leak" 2>"$T/e"
grep -q "note: --log-fd=250 is not an open file descriptor" "$T/e" && grep -q "definitely lost" "$T/e" &&
    ok || bad "--log-fd=250 (not open): $(head -3 "$T/e")"

# 4. mapped options act
"$M" -q --leak-check=full "$T/leak" 2>"$T/e"
grep -q "77 bytes in 1 blocks are definitely lost" "$T/e" && ok || bad "-q hid a leak: $(cat "$T/e")"
"$M" -q --leak-check=full true 2>"$T/e"
[ -s "$T/e" ] && bad "-q on a clean program printed: $(cat "$T/e")" || ok
# valgrind -q prints nothing for a clean program whatever other options it takes: a harness
# that runs tests under `valgrind -q --track-origins=yes` and compares their stderr (or wants it
# empty) must see the same under memplumber: no notes either, wherever -q comes on the line.
for q in "-q --track-origins=yes --vgdb=no --fair-sched=yes" "--read-var-info=yes --smc-check=all -q" \
         "--quiet --xml-file=$T/none.xml"; do
    # shellcheck disable=SC2086
    "$M" $q --leak-check=full true 2>"$T/e"
    [ -s "$T/e" ] && bad "$q on a clean program printed: $(cat "$T/e")" || ok
done
"$M" --log-fd=3 "$T/leak" 3>"$T/fd3" 2>"$T/e"
grep -q "77 bytes" "$T/fd3" && ! grep -q "77 bytes" "$T/e" && ok || bad "--log-fd=3: fd3=$(cat "$T/fd3") stderr=$(cat "$T/e")"
# The descriptor of --log-fd/--xml-fd is the one the harness opened, whatever the program does
# with that number later (valgrind writes to its own copy): a program that closes it (GNU
# programs fclose stdout at exit) or puts a file of its own there with dup2 must neither lose
# the report to stderr nor get it in its file.
cat >"$T/fdprog.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    void *volatile p = malloc(77);
    p = 0;
    if (argc > 2 && !strcmp(argv[1], "dup2")) { /* its own file at the harness's number */
        int fd = open("data.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, atoi(argv[2]));
        close(fd);
        dprintf(atoi(argv[2]), "program data\n");
    } else if (argc > 1 && !strcmp(argv[1], "fclose")) {
        puts("out");
        fclose(stdout);
    }
    return 0;
}
EOF
gcc -g -O0 -o "$T/fdprog" "$T/fdprog.c" || { echo "skip: cannot compile"; exit 77; }
(cd "$T" && rm -f data.txt && "$M" --leak-check=full --log-fd=9 ./fdprog dup2 9 9>"$T/fd9" 2>"$T/e")
grep -q "77 bytes in 1 blocks are definitely lost" "$T/fd9" && [ "$(cat "$T/data.txt")" = "program data" ] &&
    ! grep -q "77 bytes" "$T/e" && ok ||
    bad "--log-fd=9, the program's file put at 9: fd9='$(head -3 "$T/fd9")' data.txt='$(head -3 "$T/data.txt")' stderr='$(head -3 "$T/e")'"
(cd "$T" && rm -f data.txt && "$M" --leak-check=full --xml=yes --xml-fd=9 ./fdprog dup2 9 9>"$T/x9" 2>"$T/e")
[ "$(cat "$T/data.txt")" = "program data" ] && grep -q "<kind>Leak_DefinitelyLost</kind>" "$T/x9" &&
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/x9" 2>/dev/null && ok ||
    bad "--xml-fd=9, the program's file put at 9: data.txt='$(head -c 200 "$T/data.txt")' x9='$(head -c 200 "$T/x9")' stderr='$(head -3 "$T/e")'"
"$M" --leak-check=full --xml=yes --xml-fd=1 "$T/fdprog" fclose >"$T/x1" 2>"$T/e"
grep -q "<kind>Leak_DefinitelyLost</kind>" "$T/x1" && ok ||
    bad "--xml-fd=1, stdout closed by the program: stdout='$(head -c 300 "$T/x1")' stderr='$(head -3 "$T/e")'"
# A program started by exec that valgrind would not trace (here by sh, as system() does) writes
# no XML into the --xml-fd it inherited: one document in the stream, valid XML (two documents
# there were junk for every reader).
"$M" --leak-check=full --xml=yes --xml-fd=9 sh -c "$T/leak; true" 9>"$T/sx" >/dev/null 2>"$T/e"
[ "$(grep -c '<?xml' "$T/sx")" = 1 ] &&
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/sx" 2>/dev/null && ok ||
    bad "--xml-fd=9, a program started by exec: $(grep -c '<?xml' "$T/sx") XML documents in the stream"
"$M" --leak-check=full --log-fd=1 "$T/fdprog" fclose >"$T/o1" 2>"$T/e"
grep -q "^out$" "$T/o1" && grep -q "77 bytes in 1 blocks are definitely lost" "$T/o1" && ok ||
    bad "--log-fd=1, stdout closed by the program: stdout='$(head -3 "$T/o1")' stderr='$(head -3 "$T/e")'"
# -v with --log-file (the usual `valgrind -v --leak-check=full --log-file=out.txt ./prog`): all
# of the tool's text goes to the file, the statistics too; stderr is the program's alone.
"$M" -v --leak-check=full --log-file="$T/vlog" "$T/leak" 2>"$T/e"
[ -s "$T/e" ] && bad "-v --log-file: stderr has '$(head -3 "$T/e")'" || ok
grep -q "memplumber: scan of" "$T/vlog" && ok || bad "-v --log-file: no statistics in the log: $(tail -3 "$T/vlog")"
# A program killed by a signal, report in --log-file: the log names the signal, stderr has
# nothing of memplumber's (valgrind's "Process terminating" goes to its log too).
{ "$M" --log-file="$T/slog" sh -c 'kill -SEGV $$' 2>"$T/e"; } 2>/dev/null; rc=$?
[ $rc = 139 ] && [ ! -s "$T/e" ] && grep -q "fatal signal 11 (SIGSEGV)" "$T/slog" && ok ||
    bad "killed by SIGSEGV, --log-file: rc $rc, stderr '$(cat "$T/e")', log '$(grep fatal "$T/slog")'"
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

# 5. ~/.valgrindrc, $VALGRIND_OPTS, ./.valgrindrc: read in that order before the command line,
#    unless --command-line-only=yes; ./.valgrindrc only when safe (valgrind's rules)
W=$T/wd; mkdir -p "$W"
lk() { # run memplumber in $W on the leaking program (leaks count as errors: full); sets rc, e
    (cd "$W" && "$M" --leak-check=full "$@" "$T/leak" >/dev/null 2>"$T/e"); rc=$?; e=$(cat "$T/e")
}
VALGRIND_OPTS='--leak-check=full --error-exitcode=9' lk
[ $rc = 9 ] && ok || bad "\$VALGRIND_OPTS not applied: rc $rc, $e"
VALGRIND_OPTS='--error-exitcode=9' lk --error-exitcode=4
[ $rc = 4 ] && ok || bad "the command line does not win over \$VALGRIND_OPTS: rc $rc"
VALGRIND_OPTS='--error-exitcode=9' lk --command-line-only=yes
[ $rc = 0 ] && ok || bad "--command-line-only=yes still read \$VALGRIND_OPTS: rc $rc"
VALGRIND_OPTS='--error-exitcode=9' lk --command-line-only=yes --command-line-only=no
[ $rc = 9 ] && ok || bad "--command-line-only=no (last) did not read \$VALGRIND_OPTS: rc $rc"
echo '--error-exitcode=12' >"$HOME/.valgrindrc"
lk; [ $rc = 12 ] && ok || bad "~/.valgrindrc not applied: rc $rc, $e"
echo '--error-exitcode=11' >"$W/.valgrindrc"
VALGRIND_OPTS='--error-exitcode=10' lk
[ $rc = 11 ] && ok || bad "./.valgrindrc should come last (after \$VALGRIND_OPTS, ~/.valgrindrc): rc $rc"
rm "$W/.valgrindrc"
VALGRIND_OPTS='--error-exitcode=10' lk
[ $rc = 10 ] && ok || bad "\$VALGRIND_OPTS should come after ~/.valgrindrc: rc $rc"
rm "$HOME/.valgrindrc"
printf '%s\n' '--error-exitcode=11' >"$W/.valgrindrc"; chmod o+w "$W/.valgrindrc"
lk; [ $rc = 0 ] && grep -q "./.valgrindrc was not read: it is world-writable" "$T/e" && ok ||
    bad "a world-writable ./.valgrindrc: rc $rc, $e"
rm -f "$W/.valgrindrc"; mkdir "$W/.valgrindrc"
lk; [ $rc = 0 ] && grep -q "not a regular file" "$T/e" && ok || bad "a ./.valgrindrc directory: rc $rc, $e"
rmdir "$W/.valgrindrc"
# quotes as in valgrind: 'a b' is one word
VALGRIND_OPTS="--log-file='$T/sp ace.txt'" lk
grep -q "77 bytes" "$T/sp ace.txt" 2>/dev/null && ok || bad "a quoted name in \$VALGRIND_OPTS: $e"
# errors name where they come from, before the program runs
for v in '--leak-check=bogus' '--bogus' '--json=x.json' 'prog'; do
    rm -f "$T/ran"
    (cd "$W" && VALGRIND_OPTS=$v "$M" sh -c "touch '$T/ran'" 2>"$T/e"); rc=$?
    [ $rc = 2 ] && grep -q 'in \$VALGRIND_OPTS: ' "$T/e" && [ ! -e "$T/ran" ] && ok ||
        bad "VALGRIND_OPTS=$v: rc $rc, ran: $([ -e "$T/ran" ] && echo yes), $(cat "$T/e")"
done
echo '--num-callers=0' >"$HOME/.valgrindrc"
lk; [ $rc = 2 ] && grep -q "in ~/.valgrindrc ($HOME/.valgrindrc): " "$T/e" && ok || bad "bad ~/.valgrindrc: rc $rc, $e"
rm "$HOME/.valgrindrc"

# 6. --log-file/--xml-file: %n numbered (log file first), %% is '%', other %X and empty refused
mkdir "$T/n"
"$M" --log-file="$T/n/log.%n.%%.txt" --xml=yes --xml-file="$T/n/x.%n.xml" "$T/leak" 2>/dev/null
[ -s "$T/n/log.1.%.txt" ] && [ -s "$T/n/x.2.xml" ] && ok || bad "%n/%%: wrote $(ls "$T/n")"
for a in "--log-file=$T/log.%x.txt" "--log-file=$T/log%" "--log-file=$T/%q" "--xml=yes --xml-file=$T/x.%d" \
         "--log-file=" "--xml=yes --xml-file=" "--suppressions="; do
    rm -f "$T/ran"
    # shellcheck disable=SC2086
    "$M" $a sh -c "touch '$T/ran'" 2>"$T/e"; rc=$?
    [ $rc = 2 ] && [ ! -e "$T/ran" ] && grep -q "memplumber: error: option '--" "$T/e" && ok ||
        bad "$a: rc $rc, $(cat "$T/e")"
done
grep -q "use %p (the pid), %n" <("$M" --log-file="$T/x.%x" true 2>&1) && ok || bad "%x: the message lists no valid ones"
ls "$T" | grep -q 'log\.%x' && bad "--log-file=log.%x.txt created a file" || ok

# a Memcheck kind memcheck does not know stops the command, as it stops valgrind
printf '{\n typo\n Memcheck:leak\n ...\n fun:main\n}\n' >"$T/typo.supp"
rm -f "$T/ran"; "$M" --suppressions="$T/typo.supp" sh -c "touch '$T/ran'" 2>"$T/e"; rc=$?
[ $rc = 2 ] && [ ! -e "$T/ran" ] && grep -q "typo.supp:3: unknown Memcheck suppression kind 'leak' (did you mean 'Leak'?)" "$T/e" &&
    grep -q "FishyValue, ReallocZero" "$T/e" && ok || bad "Memcheck:leak: rc $rc, $(cat "$T/e")"
printf '{\n race\n Helgrind:Race\n fun:main\n}\n' >"$T/hg.supp"
"$M" --suppressions="$T/hg.supp" --leak-check=no true 2>"$T/e" && ok || bad "Helgrind:Race refused: $(cat "$T/e")"

# 7. --error-exitcode as valgrind reads it: <= 0 off, above 255 modulo 256
"$M" -q --leak-check=full --error-exitcode=257 "$T/leak" 2>/dev/null; rc=$?
[ $rc = 1 ] && ok || bad "--error-exitcode=257: rc $rc, want 1 (valgrind's)"
"$M" -q --leak-check=full --error-exitcode=-1 "$T/leak" 2>/dev/null; rc=$?
[ $rc = 0 ] && ok || bad "--error-exitcode=-1: rc $rc, want 0 (off, as valgrind)"
"$M" -q --leak-check=full --error-exitcode=256 "$T/leak" 2>"$T/e"; rc=$?
[ $rc = 0 ] && grep -q "0 modulo 256" "$T/e" && ok || bad "--error-exitcode=256: rc $rc, $(cat "$T/e")"
"$M" --error-exitcode=99999999999 true 2>"$T/e"; rc=$?
[ $rc = 2 ] && grep -q "out of range" "$T/e" && ok || bad "--error-exitcode=99999999999: rc $rc"

# 8. valgrind's debugging options: one note each, the program runs
for o in -d --vex-iropt-register-updates=allregs-at-mem-access --px-default=allregs-at-mem-access \
         --vex-iropt-level=1 --sym-offsets=yes --trace-flags=10000000; do
    "$M" $o --leak-check=no true 2>"$T/e"; rc=$?
    [ $rc = 0 ] && [ "$(grep -c "note: $o has no effect" "$T/e")" = 1 ] && ok || bad "$o: rc $rc, $(cat "$T/e")"
done
"$M" --px-default=bogus true 2>"$T/e"; rc=$?
[ $rc = 2 ] && ok || bad "--px-default=bogus accepted"

# G_SLICE=always-malloc for the program by default, kept when set, not with --no-malloc-env
[ "$(env -u G_SLICE "$M" --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" = always-malloc ] && ok || bad "G_SLICE not set for the program"
[ "$(G_SLICE=debug-blocks "$M" --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" = debug-blocks ] && ok || bad "G_SLICE of the user was overwritten"
[ -z "$(env -u G_SLICE "$M" --no-malloc-env --leak-check=no sh -c 'echo "$G_SLICE"' 2>/dev/null)" ] && ok || bad "--no-malloc-env still set G_SLICE"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
