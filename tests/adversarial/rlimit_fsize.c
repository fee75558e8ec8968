// RLIMIT_FSIZE set to 200 bytes (soft; SIGXFSZ ignored): the program's own write past the limit
// fails with EFBIG. memplumber's JSON report is bigger than that: it must still be written whole
// (valid JSON), and the program must not get SIGXFSZ.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 500
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
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = 200;
    setrlimit(RLIMIT_FSIZE, &rl);
    int fd = open("data.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char buf[300];
    memset(buf, 'x', sizeof buf);
    ssize_t n = write(fd, buf, sizeof buf);
    ssize_t m = write(fd, buf, sizeof buf);
    printf("writes: %zd %zd %s\n", n, m, strerror(errno));
    close(fd);
    for (int i = 0; i < 50; i++) {
        char *leak = malloc(10);
        leak[0] = 0;
    }
    return 0;
}
