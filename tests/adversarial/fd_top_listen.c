// The program's own listening unix socket at fixed descriptor numbers (900 and the top of its
// descriptor range), and a regular file at others; a client connects and writes, the program
// allocates a lot (memplumber looks for report requests between allocations), sleeps, then
// accepts on each listening number and counts its threads. memplumber must not accept from the
// program's socket, nor start a thread because the program's file polls readable.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int top = rl.rlim_cur < 1024 ? (int)rl.rlim_cur : 1024;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "sock");
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) {
        perror("bind");
        return 1;
    }
    fcntl(s, F_SETFL, O_NONBLOCK);
    int file = open("/etc/passwd", O_RDONLY);
    int nums[32], n = 0;
    nums[n++] = 900;
    for (int k = top - 1; k >= top - 16; k--)
        if (k != 900)
            nums[n++] = k;
    for (int i = 0; i < n; i++)
        dup2(i % 2 ? file : s, nums[i]); /* 900 and every other number: the socket */
    close(s);
    close(file);
    int clients = 0;
    for (int i = 0; i < n; i += 2) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) == 0 && write(c, "hello", 5) == 5)
            clients++;
    }
    for (int i = 0; i < 2000000; i++)
        free(malloc(i % 100 + 1));
    usleep(300000);
    int got = 0;
    for (int i = 0; i < n; i += 2) {
        int k = accept(nums[i], 0, 0);
        char b[6] = {0};
        if (k >= 0 && read(k, b, 5) == 5 && !strcmp(b, "hello"))
            got++;
    }
    printf("clients %d, accepted %d, threads %d\n", clients, got, tasks());
    unlink("sock");
    return 0;
}
