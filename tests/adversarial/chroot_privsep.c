// Privilege separation as sshd does it: the parent forks, and the child chroots into an empty
// directory (no /proc there) and works on. A block the child reaches only through a mapping of
// its own (mmap'd after the fork, so absent from the parent's mappings) is still reachable, and
// a block it drops is definitely lost; the parent's report is its own (it frees everything: valgrind's
// "All heap blocks were freed"). Without the privilege to chroot (not root) the program runs the
// same way without it.
// JSON: any
// STDERR-HAS: still reachable: 48 bytes in 1 blocks
// STDERR-HAS: definitely lost: 64 bytes in 1 blocks
// STDERR-HAS: All heap blocks were freed -- no leaks are possible
// OPTIONS: show_leak_kinds=definite,reachable
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void drop(size_t n)
{
    void *volatile p = malloc(n);
    (void)p;
}

int main(void)
{
    mkdir("empty", 0700);
    pid_t pid = fork();
    if (pid == 0) {
        void **box = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (box == MAP_FAILED)
            _exit(2);
        box[7] = malloc(48); /* reachable only through the child's own mapping */
        int jailed = chroot("empty") == 0 && chdir("/") == 0;
        fprintf(stderr, "child jailed: %s\n", jailed ? "yes" : "no (not permitted)");
        drop(64);
        exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
