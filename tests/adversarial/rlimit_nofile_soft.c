// Under a low soft RLIMIT_NOFILE (`ulimit -Sn` 8, 64 and 512, one run each) the program's
// descriptors are the lowest free numbers from 3, as natively: it opens files until EMFILE.
// memplumber kept a low descriptor when its own could not go above the limit (the program's
// first descriptor was 4 or 6). The hard limit is left as it is: memplumber lifts the soft one to
// write the exit report of a program holding every descriptor it may have. Under a limit below
// 128 memplumber keeps no descriptor at all while the program runs (the program opens as many
// files as natively); above, it holds a few numbers at the top of the range, so only a lower
// bound of the count is compared. The JSON report checked is the last run's.
// RUN: for n in 8 64 512; do (ulimit -Sn $n; $PROG) || exit $?; done
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(void)
{
    char *p = malloc(10);
    p[0] = 0;
    p = NULL;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 3;
    const long lim = (long)rl.rlim_cur;
    int n = 0, fd, first = -1, contiguous = 1, prev = 2;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
        if (first < 0)
            first = fd;
        contiguous &= fd == prev + 1;
        prev = fd;
        n++;
    }
    printf("limit %ld: first fd %d, lowest-first %d", lim, first, contiguous);
    if (lim < 128)
        printf(", opened %d", n);
    else
        printf(", opened at least %ld: %d", lim - 3 - 16, n >= lim - 3 - 16);
    printf("\n");
    return 0;
}
