// A daemon: fork, setsid, fork again, chdir("/"), umask(0), every descriptor closed and 0-2
// reopened on /dev/null; the grandchild allocates, writes a file by absolute path and tells the
// original parent through a pipe it kept (and keeps until it has ended: the parent waits for that,
// or the checker could read the grandchild's report while it is being written). The report paths are relative (log_file): they are
// taken from the directory memplumber started in, not from "/".
// OPTIONS: log_file=mp.%p.log
// RUN: $PROG "$PWD"
// FILES: daemon.txt
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    (void)argc;
    char path[4096];
    snprintf(path, sizeof path, "%s/daemon.txt", argv[1]);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        chdir("/");
        umask(0);
        for (int fd = 0; fd < 1024; fd++)
            if (fd != p[1])
                close(fd);
        open("/dev/null", O_RDWR);
        dup(0);
        dup(0);
        char *s = malloc(64);
        strcpy(s, "daemon wrote this\n");
        int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(f, s, strlen(s));
        close(f);
        write(p[1], "k", 1);
        exit(0);
    }
    close(p[1]);
    waitpid(c, NULL, 0);
    char b;
    ssize_t n = read(p[0], &b, 1);
    /* the pipe closes when the daemon has ended, after its exit report: the reports all exist
     * when this process ends (the checker reads them then) */
    char rest;
    while (read(p[0], &rest, 1) > 0)
        ;
    printf("daemon said %c (%zd)\n", n == 1 ? b : '-', n);
    return 0;
}
