// _exit and quick_exit end the process without flushing stdio: output still in a buffer (stdout
// on a pipe, a data file opened with fopen) is lost natively, and input read ahead stays
// consumed (the shell's next command reading the same file sees what follows the buffer). The
// exit report must neither flush them nor let __libc_freeres do it.
// SETUP: seq 1 3000 > input.txt
// RUN: { $PROG now; echo "status $?"; $PROG quick; echo "status $?"; tail -n 2; } < input.txt
// FILES: data.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 16
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char line[64];
    if (fgets(line, sizeof line, stdin))
        printf("first line %s", line);
    FILE *f = fopen("data.txt", "a");
    fprintf(f, "never written (%s)\n", argv[1]);
    printf("buffered, lost\n");
    char *leak = malloc(16);
    leak[0] = 0;
    leak = NULL;
    if (argc > 1 && strcmp(argv[1], "quick") == 0)
        quick_exit(4);
    _exit(5);
}
