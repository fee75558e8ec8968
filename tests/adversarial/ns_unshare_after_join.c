// A program that starts threads, joins them all, then enters new namespaces (a sandbox that
// checks it is single-threaded again before unshare, a container tool), by the libc wrappers
// and by syscall(): the kernel allows a user namespace (and setns into a mount namespace) only
// to a process of one thread. memplumber's report thread, started with the program's first
// thread, made each call fail with EINVAL where it succeeds natively; it now ends when such a
// call needs it gone. A report is still written at exit. Natively refused (EPERM in some
// containers)? Then both runs print that.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 24
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *work(void *arg)
{
    return malloc((size_t)(long)arg);
}

static void say(const char *what, long rc)
{
    printf("%s: %s\n", what, rc == 0 ? "ok" : strerror(errno));
}

int main(void)
{
    for (long i = 1; i <= 4; i++) {
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, work, (void *)(i * 8));
        pthread_join(t, &r);
        free(r);
    }
    int mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    say("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
    say("syscall unshare(CLONE_NEWUSER)", syscall(SYS_unshare, CLONE_NEWUSER));
    /* a new thread, joined, and the same again */
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, work, (void *)16L);
    pthread_join(t, &r);
    free(r);
    say("unshare(CLONE_NEWUSER) again", unshare(CLONE_NEWUSER));
    if (mnt >= 0)
        say("setns(mnt, CLONE_NEWNS)", setns(mnt, CLONE_NEWNS));
    void *p = malloc(24);
    p = NULL;
    return p ? 1 : 0;
}
