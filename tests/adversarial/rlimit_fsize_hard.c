// RLIMIT_FSIZE of 1 KiB, soft and hard (as bash's `ulimit -f 1` sets it), SIGXFSZ ignored: the
// limit cannot be lifted for the report, and the JSON report is bigger than it. No cut-short,
// invalid report file may be left behind (the partial file is removed, one line says why); the
// program's own files, output and status are as natively, and it never gets SIGXFSZ.
// JSON: no
// OPTIONS: json=mp.json
// FILES: data.bin
// STDERR-HAS: cannot write JSON report
// STDERR-HAS: the partial file was removed
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1024, 1024};
    if (setrlimit(RLIMIT_FSIZE, &rl))
        return 3;
    int fd = open("data.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char buf[700];
    memset(buf, 'x', sizeof buf);
    ssize_t n = write(fd, buf, sizeof buf);
    ssize_t m = write(fd, buf, sizeof buf);
    printf("writes: %zd %zd\n", n, m);
    close(fd);
    /* leaks from many distinct stacks, so that the report is well past 1 KiB */
    for (int i = 0; i < 40; i++) {
        char *leak = malloc(10 + (size_t)i);
        leak[0] = (char)i;
    }
    return 0;
}
