// A null pointer write kills the program with SIGSEGV; the report is written first, the
// program still dies of SIGSEGV (same wait status). Unflushed stdout stays unflushed.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 40
// STDERR-HAS: memplumber report (fatal signal 11 (SIGSEGV))
// REPORT-STDERR: yes
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("buffered, never flushed\n");
    char *leak = malloc(40);
    leak = NULL;
    volatile int *p = NULL;
    *p = 1;
    return 0;
}
