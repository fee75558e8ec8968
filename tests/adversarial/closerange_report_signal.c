// report_signal set: the program closes every descriptor above 2 (close_range(3, ~0U, 0)), opens
// two data files, which get the numbers memplumber's report_signal pipe had (3 and 4), writes
// them, then asks for an on-demand report (only under memplumber: natively SIGUSR2 would kill
// it) and writes and reads them again. The files are exactly the program's, and the report
// still comes. memplumber's signal handler wrote its wake-up byte into the program's file at
// fd 4, and its report thread, seeing its pipe closed, ended: no on-demand report.
// OPTIONS: report_signal=12
// FILES: data.txt log.txt
// STDERR-HAS: memplumber report (on demand (signal))
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 21
// JSON-CHECK: j["report_seq"] == 2
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int memplumber_is_active(void) __attribute__((weak));

int main(void)
{
    char *p = malloc(21);
    memset(p, 1, 21);
    p = NULL;
    syscall(SYS_close_range, 3, ~0U, 0);
    int d = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int l = open("log.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("data fd %d, log fd %d\n", d, l);
    if (write(d, "data before\n", 12) != 12 || write(l, "log before\n", 11) != 11)
        return 2;
    if (memplumber_is_active && memplumber_is_active()) {
        raise(SIGUSR2);
        usleep(300000); /* the on-demand report is written meanwhile */
    }
    if (write(d, "data after\n", 11) != 11 || write(l, "log after\n", 10) != 10)
        return 2;
    char buf[128];
    lseek(d, 0, SEEK_SET);
    ssize_t n = read(d, buf, sizeof buf);
    printf("data.txt holds %zd bytes: %.*s", n, (int)(n > 0 ? n : 0), buf);
    lseek(l, 0, SEEK_SET);
    n = read(l, buf, sizeof buf);
    printf("log.txt holds %zd bytes: %.*s", n, (int)(n > 0 ? n : 0), buf);
    return 0;
}
