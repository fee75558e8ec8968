#!/bin/bash
# --trace-children=yes follows every exec, whatever environment the program gives the new image,
# as valgrind does: `env -i`, execle/execve with an array the program built, clearenv() before
# execv, posix_spawn with its own envp, and an LD_PRELOAD of the program's own (kept, after
# memplumber's). Each child leaks 4,242 bytes, and each must report them. Without
# --trace-children=yes (valgrind's default traces nothing), a child whose environment the program
# cleared runs unobserved, with exactly the environment it was given.
# Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v gcc >/dev/null || { echo "skip: no gcc"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB MEMPLUMBER_EXECED MEMPLUMBER_STDERR_ID
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
cat >"$T/child.c" <<'SRC'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern char **environ;
int main(int argc, char **argv)
{
    char *p = malloc(4242);
    strcpy(p, "lost");
    p = NULL;
    if (argc > 1 && !strcmp(argv[1], "env")) /* print the environment it was given */
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
    return 0;
}
SRC
cat >"$T/parent.c" <<'SRC'
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    char *env[] = {"FOO=1", NULL};
    char *av[] = {"./child", argc > 2 ? argv[2] : NULL, NULL};
    const char *how = argv[1];
    if (!strcmp(how, "execle"))
        execle("./child", "./child", (char *)NULL, env);
    if (!strcmp(how, "execve_null"))
        execve("./child", av, NULL);
    if (!strcmp(how, "clearenv")) {
        clearenv();
        setenv("BAR", "2", 1);
        execv("./child", av);
    }
    if (!strcmp(how, "own_preload")) {
        char *penv[] = {"LD_PRELOAD=libm.so.6", NULL};
        execve("./child", av, penv);
    }
    if (!strcmp(how, "spawn")) {
        pid_t pid;
        if (posix_spawn(&pid, "./child", NULL, NULL, av, env))
            return 2;
        int st;
        waitpid(pid, &st, 0);
        return WEXITSTATUS(st);
    }
    perror(how);
    return 127;
}
SRC
gcc -g -O0 -o "$T/child" "$T/child.c" && gcc -g -O0 -o "$T/parent" "$T/parent.c" ||
    { echo "skip: cannot compile"; exit 77; }
cd "$T" || exit 1
leak_reported() { # leak_reported JSON...: a 4242-byte definite leak in one of them
    python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    if any(l["bytes"] == 4242 and l["kind"] == "definitely_lost" for l in r["leaks"]):
        sys.exit(0)
sys.exit(1)
PY
}
for how in execle execve_null clearenv own_preload spawn; do
    rm -f r.*.json
    "$M" --trace-children=yes --log-file=/dev/null --json=r.%p.json ./parent "$how" >out.txt 2>err.txt
    st=$?
    if [ $st -ne 0 ]; then
        echo "FAIL: $how: status $st"; cat err.txt; fail=1; continue
    fi
    if ! leak_reported r.*.json; then
        echo "FAIL: $how: --trace-children=yes, the child's leak is in no report ($(ls r.*.json | wc -l) reports)"
        fail=1
    else
        echo "ok: $how: the child was followed"
    fi
done
# the program's own LD_PRELOAD reaches the child, after memplumber's
"$M" --trace-children=yes --log-file=/dev/null ./parent own_preload env >out.txt 2>&1
if ! grep -q '^LD_PRELOAD=.*libmemplumber.so:libm.so.6$' out.txt; then
    echo "FAIL: own_preload: the child's LD_PRELOAD is not memplumber's then the program's:"
    grep LD_PRELOAD out.txt; fail=1
fi
# `env -i` under --trace-children=yes
rm -f r.*.json
"$M" --trace-children=yes --log-file=/dev/null --json=r.%p.json env -i ./child >/dev/null 2>&1
leak_reported r.*.json || { echo "FAIL: env -i: the child's leak is in no report"; fail=1; }
# the default: a cleared environment stays cleared, and the child runs unobserved
"$M" --log-file=/dev/null ./parent execle env >out.txt 2>&1
./parent execle env >native.txt 2>&1
if ! cmp -s out.txt native.txt; then
    echo "FAIL: default follow_exec: the child's environment differs from the native run:"
    diff native.txt out.txt | head; fail=1
fi
exit $fail
