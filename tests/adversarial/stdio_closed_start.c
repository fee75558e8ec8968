// stdout and stderr are closed when the program starts (prog >&- 2>&-): its first two files get
// descriptors 1 and 2 and it writes its data there through stdio and write(2). memplumber has no
// stderr at all: nothing of its report may land in the program's files; the JSON report is
// written.
// RUN: $PROG >&- 2>&-
// FILES: one.txt two.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 15
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int a = open("one.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int b = open("two.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "fds %d %d\n", a, b);
    write(a, msg, n);
    printf("stdout line\n");            /* fd 1 is one.txt now */
    fprintf(stderr, "stderr line\n");   /* fd 2 is two.txt */
    char *leak = malloc(15);
    leak[0] = 0;
    leak = NULL;
    free(malloc(1));
    free((void *)leak);
    return 0;
}
