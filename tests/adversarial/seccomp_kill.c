// A program that confines itself with a seccomp filter, as sshd's privilege-separated child and
// browsers' content processes do: after prctl(PR_SET_SECCOMP), any system call outside what its
// own code and malloc need kills the process (SIGSYS). It then allocates 200,000 blocks (enough
// for memplumber's periodic work: the live-report poll, the stack cache's timing trials), grows
// and shrinks blocks with realloc, leaks some, writes its result and exits with status 3.
// memplumber's own system calls killed it (status 159); now it says once that it stops making
// them and writes no report, and the program ends as it does natively.
// JSON: no
// STDERR-HAS: installs a seccomp filter
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOW(n) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static void *volatile keep[1000];

int main(void)
{
    printf("filter on\n");
    fflush(stdout);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_exit_group), ALLOW(SYS_exit), ALLOW(SYS_brk),
        ALLOW(SYS_mmap), ALLOW(SYS_munmap), ALLOW(SYS_mremap), ALLOW(SYS_mprotect), ALLOW(SYS_madvise),
        ALLOW(SYS_futex), ALLOW(SYS_rt_sigreturn), ALLOW(SYS_fstat), ALLOW(SYS_newfstatat),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("seccomp");
        return 2;
    }
    long sum = 0;
    for (int i = 0; i < 200000; i++) {
        char *p = malloc(16 + i % 300);
        p[0] = (char)i;
        sum += p[0] & 1;
        if (i % 1000 == 0)
            keep[i / 1000 % 1000] = p; /* some stay */
        else if (i % 997 == 0)
            p = NULL; /* leaked */
        else
            free(p);
    }
    char *r = NULL;
    for (size_t n = 8; n < 100000; n = n * 3 / 2 + 1)
        r = realloc(r, n);
    r = realloc(r, 10);
    free(r);
    printf("sum %ld\n", sum);
    return 3;
}
