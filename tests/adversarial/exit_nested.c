// Ways out inside ways out, from the same thread: exit() from an at_quick_exit handler (a),
// quick_exit() from an atexit handler whose at_quick_exit handler calls exit() (b), abort() from
// an atexit handler (c), exit() from an atexit handler after an explicit exit() (d). The nested
// exit() waited 60 s for the report its own caller was to write, and "ah2", printed by the last
// atexit handler and flushed by the final exit(), was lost: the earlier quick_exit had told the
// report to leave stdio unflushed. One report each, the status of the last way out.
// RUN: for m in a b c d; do $PROG $m > out.$m; echo "st=$?" >> out.$m; done; $PROG a | cat
// FILES: out.a out.b out.c out.d
// STDERR: ignore
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 21
#include <stdio.h>
#include <stdlib.h>

static char m;

static void qh(void)
{
    printf("qh\n");
    fflush(stdout);
    exit(21);
}

static void ah(void)
{
    printf("ah\n");
    fflush(stdout);
    if (m == 'b')
        quick_exit(22);
    if (m == 'c')
        abort();
    if (m == 'd')
        exit(23);
}

static void ah2(void) { printf("ah2\n"); }

int main(int argc, char **argv)
{
    (void)argc;
    m = argv[1][0];
    char *p = malloc(21);
    p[0] = 0;
    p = NULL;
    at_quick_exit(qh);
    atexit(ah2);
    atexit(ah);
    printf("main %c\n", m);
    if (m == 'a')
        quick_exit(20);
    if (m == 'd')
        exit(4);
    return 3;
}
