// prog 2>&1 | head -1: the program prints one line and exits 0; head may be gone by the time
// the report is written. The program's status stays 0, head's output is the program's line.
// RUN: $PROG 2>&1 | head -1
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 5
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    printf("the only line\n");
    fflush(stdout);
    usleep(100000); /* head has read its line and exited */
    char *leak = malloc(5);
    leak = NULL;
    return 0;
}
