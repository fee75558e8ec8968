#!/bin/bash
# `make install` into a temporary PREFIX, used as a user would: the installed memplumber run from
# another directory on a leaky program finds the installed libraries (the program prints the
# libmemplumber.so it has loaded); --help points at `man memplumber` and the installed manual;
# `man -l` formats the page without warnings and it lists the options of --help; pkg-config finds
# memplumber.h and a program built with its flags calls the API; the bash completion, sourced in
# an interactive bash, completes option names, their values and `report` PIDs; `make uninstall`
# leaves nothing. Then the same with DESTDIR (staged install, paths inside name the PREFIX).
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
[ -x "$ROOT/build/memplumber" ] || { echo "skip: build/memplumber is missing (make)"; exit 77; }
T=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
    # The man page and pkg-config file in build/ name the last PREFIX: back to the default.
    make -s -C "$ROOT" >/dev/null 2>&1
}
trap cleanup EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
bad() { echo "FAIL: $*"; fail=1; }
P=$T/prefix

make -s -C "$ROOT" install PREFIX="$P" >"$T/install.txt" 2>&1 ||
    { bad "make install failed:"; cat "$T/install.txt"; exit 1; }
for f in bin/memplumber lib/libmemplumber.so lib/libmemplumber-report.so include/memplumber.h \
    share/man/man1/memplumber.1 lib/pkgconfig/memplumber.pc \
    share/bash-completion/completions/memplumber share/doc/memplumber/MANUAL.md \
    share/doc/memplumber/REPORT-FORMAT.md; do
    [ -f "$P/$f" ] || bad "not installed: $f"
done

# The installed binary, from another directory, on a leaky program.
mkdir -p "$T/work" "$T/elsewhere"
cat >"$T/work/leaky.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <memplumber.h>
int main(void)
{
    char line[4096];
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "libmemplumber")) {
            printf("loaded: %s", strchr(line, '/'));
            break;
        }
    if (f)
        fclose(f);
    printf("active: %d\n", memplumber_is_active ? memplumber_is_active() : 0);
    void *p = malloc(40);
    p = NULL;
    return p != NULL;
}
EOF
export PKG_CONFIG_PATH=$P/lib/pkgconfig
cflags=$(pkg-config --cflags memplumber) || bad "pkg-config does not know memplumber"
cflags=${cflags% }
[ "$cflags" = "-I$P/include" ] || bad "pkg-config --cflags memplumber: '$cflags', expected -I$P/include"
libs=$(pkg-config --libs memplumber)
# shellcheck disable=SC2086
gcc -g -O0 $cflags -o "$T/work/leaky" "$T/work/leaky.c" $libs || bad "cannot build with pkg-config's flags"
native=$("$T/work/leaky")
[ "$native" = "active: 0" ] || bad "natively the program says '$native'"
(cd "$T/elsewhere" && PATH=$P/bin:/usr/bin:/bin memplumber --json=r.json -- ../work/leaky \
    >"$T/out.txt" 2>"$T/err.txt")
rc=$?
grep -qx "loaded: $P/lib/libmemplumber.so" "$T/out.txt" ||
    bad "the installed memplumber did not preload $P/lib/libmemplumber.so: $(cat "$T/out.txt")"
grep -qx "active: 1" "$T/out.txt" || bad "memplumber_is_active() is not 1 under memplumber"
python3 - "$T/elsewhere/r.json" <<'EOF' || bad "the installed memplumber's report is wrong (status $rc): $(tail -3 "$T/err.txt")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['summary']['definitely_lost']['bytes'] == 40, r['summary']
EOF
grep -q "definitely lost: 40 bytes in 1 blocks" "$T/err.txt" || bad "no text report from the installed memplumber"

# --help points at the man page and the installed manual.
help=$("$P/bin/memplumber" --help)
[[ $help == *"man memplumber"* ]] || bad "--help does not mention man memplumber"
[[ $help == *"$P/share/doc/memplumber/MANUAL.md"* ]] || bad "--help does not name the installed manual"

# The man page: formats without warnings, has the sections and every option of --help.
if command -v man >/dev/null; then
    MANWIDTH=100 man --warnings -l "$P/share/man/man1/memplumber.1" >"$T/man.txt" 2>"$T/man.err" ||
        bad "man -l failed: $(head -3 "$T/man.err")"
    [ -s "$T/man.err" ] && bad "man -l warns: $(head -5 "$T/man.err")"
    for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "VALGRIND OPTIONS" ENVIRONMENT "EXIT STATUS" FILES; do
        grep -q "^$sec" "$T/man.txt" || bad "the man page has no $sec section"
    done
    missing=0
    for o in $(echo "$help" | grep -oE '^  --[a-z0-9-]+' | sort -u); do
        grep -qe "$o" "$T/man.txt" || { missing=$((missing + 1)); echo "  not in the man page: $o"; }
    done
    [ $missing -eq 0 ] || bad "$missing options of --help are not in the man page"
    grep -q "$P/share/doc/memplumber/MANUAL.md" "$T/man.txt" || bad "the man page does not name the installed manual"
    MANPATH=$P/share/man man -w memplumber 2>/dev/null | grep -q "$P/share/man/man1/memplumber.1" ||
        bad "man -w memplumber does not find the page under MANPATH"
else
    echo "note: man is not installed; the man page is not checked"
fi

# Bash completion, sourced by an interactive bash.
if command -v bash >/dev/null; then
    PATH=$P/bin:$PATH "$P/bin/memplumber" -- sleep 60 >/dev/null 2>&1 &
    bg=$!
    pids="$pids $bg"
    # memplumber waits for the program, which runs as its child.
    target=
    for _ in $(seq 100); do
        target=$(pgrep -P "$bg" | head -1)
        [ -n "$target" ] && grep -q libmemplumber "/proc/$target/maps" 2>/dev/null && break
        sleep 0.1
    done
    complete_words() {  # WORDS... (the last one is completed)
        PATH=$P/bin:$PATH HOME=$T bash --norc -i -c '
            source "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _memplumber; printf "%s\n" "${COMPREPLY[@]}"' _ \
            "$P/share/bash-completion/completions/memplumber" "$@" 2>/dev/null
    }
    got=$(complete_words memplumber --leak)
    [[ $got == *"--leak-check="* ]] || bad "completion of --leak: '$got'"
    got=$(complete_words memplumber --leak-check=f)
    [ "$got" = full ] || bad "completion of --leak-check=f: '$got'"
    got=$(complete_words memplumber --stack-cache=)
    [ "$(echo $got)" = "auto yes no" ] || bad "completion of --stack-cache=: '$got'"
    got=$(complete_words memplumber --track-)
    [[ $got == *"--track-fds"* || $got == *"--track-origins"* ]] || bad "no valgrind option in the completion of --track-: '$got'"
    got=$(complete_words memplumber rep)
    [[ $got == *report* ]] || bad "completion of rep: '$got'"
    got=$(complete_words memplumber report "")
    [[ $'\n'$got$'\n' == *$'\n'$target$'\n'* ]] || bad "completion of 'memplumber report ' does not offer pid $target: '$got'"
    [[ $'\n'$got$'\n' == *$'\n'$$$'\n'* ]] && bad "completion of 'memplumber report ' offers a process not under memplumber"
    got=$(complete_words memplumber report "$target" --j)
    [[ $got == *"--json"* ]] || bad "completion of report options: '$got'"
    kill "$bg" 2>/dev/null
fi

# make uninstall removes everything install wrote.
make -s -C "$ROOT" uninstall PREFIX="$P" >"$T/uninstall.txt" 2>&1 || bad "make uninstall failed: $(cat "$T/uninstall.txt")"
left=$(cd "$P" 2>/dev/null && find . -mindepth 1)
[ -z "$left" ] || bad "make uninstall left: $left"

# Staged: DESTDIR holds the files, the paths inside them name PREFIX.
S=$T/stage
make -s -C "$ROOT" install DESTDIR="$S" PREFIX=/opt/mp >"$T/install2.txt" 2>&1 || bad "make install DESTDIR failed"
[ -x "$S/opt/mp/bin/memplumber" ] || bad "DESTDIR: no $S/opt/mp/bin/memplumber"
grep -q "prefix=/opt/mp" "$S/opt/mp/lib/pkgconfig/memplumber.pc" || bad "DESTDIR: memplumber.pc does not name /opt/mp"
grep -q "/opt/mp/share/doc/memplumber/MANUAL.md" "$S/opt/mp/share/man/man1/memplumber.1" ||
    bad "DESTDIR: the man page does not name /opt/mp/share/doc/memplumber"
grep -rq "$S" "$S/opt/mp/share" "$S/opt/mp/lib/pkgconfig" && bad "DESTDIR: an installed file names the staging directory"
make -s -C "$ROOT" uninstall DESTDIR="$S" PREFIX=/opt/mp >/dev/null 2>&1 || bad "make uninstall DESTDIR failed"
left=$(cd "$S/opt/mp" 2>/dev/null && find . -mindepth 1)
[ -z "$left" ] || bad "make uninstall DESTDIR left: $left"

[ $fail -eq 0 ] && echo "ok: install, run, man, pkg-config, completion, uninstall"
exit $fail
