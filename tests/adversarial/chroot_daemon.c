// A daemon that confines itself with chroot (as sshd's privilege-separated child, vsftpd, bind and
// postfix do): after chroot into an empty directory there is no /proc. A block held by a global
// was called definitely lost (the leak scan found no roots without /proc/self/maps) and the
// executable had no name in the report; the scan now uses the maps file opened at start-up. A
// child forked after the chroot reports too (with the mappings it started with). Without the
// privilege to chroot (not root) the program runs the same way without it.
// JSON: any
// STDERR-HAS: definitely lost: 77 bytes in 1 blocks
// STDERR-HAS: still reachable: 10 bytes in 1 blocks
// STDERR-HAS: definitely lost: 110 bytes in 2 blocks
// STDERR-HAS: still reachable: 30 bytes in 2 blocks
// OPTIONS: show_leak_kinds=definite,reachable
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void *global_keep, *child_keep;

__attribute__((noinline)) static void leak(size_t n)
{
    void *volatile p = malloc(n);
    (void)p;
}

int main(void)
{
    global_keep = malloc(10);
    leak(77);
    mkdir("jail", 0700);
    int jailed = chroot("jail") == 0 && chdir("/") == 0;
    fprintf(stderr, "jailed: %s\n", jailed ? "yes" : "no (not permitted)");
    printf("daemon running\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_keep = malloc(20);
        leak(33);
        exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
