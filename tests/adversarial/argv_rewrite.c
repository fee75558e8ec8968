// The program rewrites its argv in place (as head and many daemons do); the report's command is
// the command line the program was started with.
// RUN: $PROG -3 file
// JSON-CHECK: j["command"][1:] == ["-3", "file"]
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        memset(argv[i], 'x', strlen(argv[i]));
    argv[1] = argv[0];
    char *leak = malloc(4);
    leak = NULL;
    return 0;
}
