// A vfork child that calls exit() instead of _exit() (undefined, but common, and glibc lets it
// through): it runs the exit handlers in the parent's memory, and glibc takes them off the list
// it shares with the parent, memplumber's report among them. The parent then prints, allocates
// and ends by returning from main (x) or by exit() (e): it must still write its report (the
// 17-byte leak), once, at once (exit() used to wait 60 s for the child's "report").
// RUN: $PROG r > out.txt; echo "st=$?" >> out.txt; $PROG e | cat; echo "st=${PIPESTATUS[0]}"
// FILES: out.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 17
// JSON-CHECK: j["summary"]["still_reachable"]["bytes"] >= 100
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g;

int main(int argc, char **argv)
{
    g = malloc(100);
    strcpy(g, "parent data");
    printf("before vfork\n");
    fflush(stdout);
    pid_t c = vfork();
    if (c == 0)
        exit(3);
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(i + 1);
        memset(p, 1, i + 1);
        free(p);
    }
    printf("%s\n", g);
    char *lost = malloc(17);
    lost[0] = 0;
    lost = NULL;
    if (argc > 1 && argv[1][0] == 'e')
        exit(4);
    return 5;
}
