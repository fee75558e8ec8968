// sort | head -1: the program writes more than head reads, and dies of SIGPIPE (the default
// action). memplumber writes the report before it dies, and it still dies of SIGPIPE.
// RUN: $PROG | head -1
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
// REPORT-STDERR: yes
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *leak = malloc(33);
    leak = NULL;
    for (long i = 0; i < 10000000; i++)
        printf("line %ld\n", i);
    return 0;
}
