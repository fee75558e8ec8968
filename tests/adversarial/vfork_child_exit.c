// A vfork child that calls exit() or quick_exit() instead of _exit() (undefined, but common,
// and glibc lets it through): it runs the exit (at_quick_exit) handlers in the parent's memory,
// and glibc takes them off the list it shares with the parent, memplumber's report among them.
// The parent then prints, allocates and ends by returning from main (r), exit() (e) or
// quick_exit() (q): it must still write its report (the 17-byte leak), at once (its exit()
// used to wait 60 s for the child's "report"). Each run's report is kept as mp.CHILD-PARENT.json.
// RUN: for m in "x r" "x e" "q q" "x q" "q e"; do $PROG $m > "out.${m/ /-}"; echo "st=$?" >> "out.${m/ /-}"; [ -e mp.json ] && mv mp.json "mp.${m/ /-}.json"; done; $PROG x e | cat
// FILES: out.x-r out.x-e out.q-q out.x-q out.q-e
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 17
// JSON-CHECK: all(__import__("json").load(open(os.path.join(os.path.dirname(jpath), "mp.%s.json" % m)))["summary"]["definitely_lost"]["bytes"] == 17 for m in ("x-r", "x-e", "q-q", "x-q", "q-e"))
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g;

int main(int argc, char **argv)
{
    (void)argc;
    g = malloc(100);
    strcpy(g, "parent data");
    printf("before vfork\n");
    fflush(stdout);
    pid_t c = vfork();
    if (c == 0) {
        if (argv[1][0] == 'q')
            quick_exit(3);
        exit(3);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(i + 1);
        memset(p, 1, i + 1);
        free(p);
    }
    printf("%s\n", g);
    fflush(stdout);
    char *lost = malloc(17);
    lost[0] = 0;
    lost = NULL;
    if (argv[2][0] == 'e')
        exit(4);
    if (argv[2][0] == 'q')
        quick_exit(5);
    return 6;
}
