// A program that puts its own data file at fixed descriptor numbers: 900 (where memplumber's
// rendezvous socket used to sit) and every number at the top of its descriptor range (where
// memplumber's descriptors sit now), with dup2, then forks. The child and the parent write a
// line to each number: memplumber must never close, poll or write to them (after fork it closed
// 900, the program's file, in the child).
// FILES: data.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int nums[32], nnums;

static int write_all(const char *who)
{
    int ok = 0;
    char line[64];
    for (int i = 0; i < nnums; i++) {
        int n = snprintf(line, sizeof line, "%s %d\n", who, i);
        ok += write(nums[i], line, (size_t)n) == n;
    }
    return ok;
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int top = rl.rlim_cur < 1024 ? (int)rl.rlim_cur : 1024;
    nums[nnums++] = 900;
    for (int n = top - 1; n >= top - 16; n--)
        if (n != 900)
            nums[nnums++] = n;
    int fd = open("data.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    for (int i = 0; i < nnums; i++)
        if (dup2(fd, nums[i]) != nums[i]) {
            perror("dup2");
            return 1;
        }
    close(fd);
    char *leak = malloc(10);
    leak[0] = 0;
    leak = NULL;
    pid_t p = fork();
    if (p == 0) {
        int ok = write_all("child");
        _exit(ok == nnums ? 0 : 1);
    }
    int st;
    waitpid(p, &st, 0);
    int ok = write_all("parent");
    printf("child status %d, parent wrote %d of %d\n", WEXITSTATUS(st), ok, nnums);
    return 0;
}
