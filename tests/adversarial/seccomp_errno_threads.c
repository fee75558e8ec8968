// A filter installed as libseccomp installs it, syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, ...),
// that fails every system call outside its list with EPERM instead of killing, in one thread
// while another allocates freely (a filter binds only the thread that installs it). The program
// checks what syscall() returns before and after (a value, or -1 with errno), allocates in both
// threads, and exits with status 4. memplumber said nothing and wrote no report (its exit path
// took the failing getpid() for a vfork child); now it says why there is no report, and the
// program's own results are unchanged.
// JSON: no
// STDERR-HAS: installs a seccomp filter
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOW(n) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static volatile int stop;

static void *churn(void *arg)
{
    (void)arg;
    long n = 0;
    while (!stop) {
        void *p = malloc(24 + n % 200);
        free(p);
        n++;
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);
    long pid = syscall(SYS_getpid);
    printf("before: getpid via syscall matches: %d\n", pid == (long)getpid());
    errno = 0;
    long bad = syscall(SYS_close, -1);
    printf("before: close(-1) = %ld errno %s\n", bad, errno == EBADF ? "EBADF" : "other");
    fflush(stdout);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_exit_group), ALLOW(SYS_exit), ALLOW(SYS_brk),
        ALLOW(SYS_mmap), ALLOW(SYS_munmap), ALLOW(SYS_mprotect), ALLOW(SYS_madvise), ALLOW(SYS_futex),
        ALLOW(SYS_rt_sigreturn), ALLOW(SYS_fstat), ALLOW(SYS_newfstatat), ALLOW(SYS_gettid),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        perror("seccomp");
        return 2;
    }
    errno = 0;
    long r = syscall(SYS_getpid);
    printf("after: getpid via syscall = %ld errno %s\n", r, errno == EPERM ? "EPERM" : "other");
    printf("after: gettid via syscall positive: %d\n", syscall(SYS_gettid) > 0);
    long sum = 0;
    for (int i = 0; i < 150000; i++) {
        char *p = malloc(32 + i % 100);
        p[0] = 1;
        sum += p[0];
        if (i % 5000)
            free(p);
    }
    printf("sum %ld\n", sum);
    fflush(stdout);
    stop = 1;
    pthread_join(t, NULL); /* futex only */
    return 4;
}
