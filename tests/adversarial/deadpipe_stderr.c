// stderr is a pipe whose reader has gone (prog 2>&1 | true): the program writes nothing and
// exits 0 natively; memplumber's report gets EPIPE, and the program must not die of SIGPIPE.
// Then the same with a dead pipe the program itself puts on fd 2 (dup2).
// RUN: $PROG 2>&1 | true
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    usleep(200000); /* the reader (true) is gone by now */
    int p[2];
    pipe(p);
    close(p[0]);
    dup2(p[1], 2);
    close(p[1]);
    char *leak = malloc(10);
    leak = NULL;
    return 0;
}
