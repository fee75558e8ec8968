// report_signal set: the program's descriptors are the lowest free numbers from 3, as natively.
// It checks that its first open() returns 3, lowers its own soft RLIMIT_NOFILE to 16 and opens
// files until EMFILE (13 natively, 3 to 15), closes them and asks for an on-demand report (only
// under memplumber: natively SIGUSR2 would kill it). memplumber's report_signal pipe took 3 and
// 4: the first open() returned 5 and two files fewer fitted under the limit.
// OPTIONS: report_signal=12
// STDERR-HAS: memplumber report (on demand (signal))
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
// JSON-CHECK: j["report_seq"] == 2
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int memplumber_is_active(void) __attribute__((weak));

int main(void)
{
    char *p = malloc(10);
    p[0] = 0;
    p = NULL;
    int fd = open("/dev/null", O_RDONLY);
    printf("first open: fd %d%s\n", fd, fd == 3 ? "" : " (expected 3)");
    close(fd);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 16;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        return 2;
    int n = 0, first = -1, prev = 2, contiguous = 1;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
        if (first < 0)
            first = fd;
        contiguous &= fd == prev + 1;
        prev = fd;
        n++;
    }
    printf("under 16: first fd %d, lowest-first %d, opened %d\n", first, contiguous, n);
    for (int i = 3; i <= prev; i++)
        close(i);
    if (memplumber_is_active && memplumber_is_active()) {
        raise(SIGUSR2);
        usleep(300000); /* the on-demand report is written meanwhile */
    }
    return 0;
}
