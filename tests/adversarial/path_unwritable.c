// Hostile report paths: the log file is a dangling symbolic link, the SARIF path goes through a
// regular file (file/r.sarif), the HTML path is in a directory that does not exist. Each is
// refused with a message; the program runs as natively; nothing is created or changed.
// SETUP: echo keep > file; ln -s nowhere/x dangling
// OPTIONS: log_file=dangling:sarif=file/r.sarif:html=missing/r.html
// JSON: no
// FILES: file dangling
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *leak = malloc(9);
    leak[0] = 0;
    leak = NULL;
    printf("done\n");
    return 3;
}
