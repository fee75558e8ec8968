// Under `ulimit -Sn 8` the program's descriptors are the lowest free numbers from 3, as natively:
// it opens files until EMFILE. memplumber kept a low descriptor when its own could not go above
// the limit (the program's first descriptor was 4 or 6). The hard limit is left
// as it is: memplumber lifts the soft one to write the exit report of a program holding every
// descriptor it may have.
// Under a limit this low memplumber keeps no descriptor at all while the program runs: the
// program opens as many files as natively.
// RUN: ulimit -Sn 8; $PROG
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *p = malloc(10);
    p[0] = 0;
    p = NULL;
    int n = 0, fd, first = -1, contiguous = 1, prev = 2;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
        if (first < 0)
            first = fd;
        contiguous &= fd == prev + 1;
        prev = fd;
        n++;
    }
    printf("first fd %d, lowest-first %d", first, contiguous);
    if (8 < 128)
        printf(", opened %d", n);
    else
        printf(", opened at least %d: %d", 8 - 3 - 16, n >= 8 - 3 - 16);
    printf("\n");
    return 0;
}
