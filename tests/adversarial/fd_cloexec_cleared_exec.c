// A program clears FD_CLOEXEC on every open descriptor (as programs that hand their whole
// descriptor table to a new image do, socket activation for one), then execs `ls /proc/self/fd`
// with an environment of its own (no LD_PRELOAD: ls is not observed): ls must find the
// program's descriptors only, as natively. memplumber's own (its copy of stderr, the kept
// /proc/self/maps, its rendezvous socket) were handed to ls too.
// RUN: $PROG 3>fd3.txt
// JSON: any
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void)
{
    malloc(5);
    DIR *d = opendir("/proc/self/fd");
    int fds[4096], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (e->d_name[0] != '.')
            fds[n++] = atoi(e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++) {
        int fl = fcntl(fds[i], F_GETFD);
        if (fl >= 0)
            fcntl(fds[i], F_SETFD, fl & ~FD_CLOEXEC);
    }
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    execle("/bin/ls", "ls", "/proc/self/fd", (char *)NULL, env);
    return 1;
}
