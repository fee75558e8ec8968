// setrlimit(RLIMIT_NOFILE) with a soft limit of 3 while 0, 1 and 2 are open: the program cannot open any file
// (and prints so); it then exits. memplumber's own descriptors sit above the limit; its JSON
// report must still be written (the soft limit is lifted for the final report, then put back).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 21
// REPORT-STDERR: yes
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 3;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        perror("setrlimit");
    int fd = open("data.txt", O_WRONLY | O_CREAT, 0644);
    printf("open: %d %s\n", fd, fd < 0 ? strerror(errno) : "");
    char *leak = malloc(21);
    leak[0] = 0;
    leak = NULL;
    return 0;
}
