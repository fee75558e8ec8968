/* fork() while three threads allocate, grow, shrink and free blocks with realloc as fast as
 * they can (blocks are flagged in the table while a realloc runs, and the table's locks are
 * taken around fork): no deadlock, and every child can allocate, realloc and free, and reports
 * its own leak (child_leak, 77 bytes, resized by realloc) at its exit; the parent leaks nothing.
 * The children's reports also hold what the parent's other threads had in flight at the fork
 * (their blocks are referenced only from stacks of threads the child does not have), which
 * depends on where each thread was; under valgrind, which runs one thread at a time, no realloc
 * is ever in flight at a fork: their counts cannot be compared.
 * VALGRIND:   skip: the state of the other threads at each fork differs by design
 * TIMEOUT:    180
 * RUN:        %memplumber --json %t.%p.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * CAPTURE:    PARENT=parent=(\d+)
 * CAPTURE:    CHILD=child=(\d+)
 * EXPECT-FILE-COUNT: %t.*.json 9
 * JSON:       %t.[[CHILD]].json
 * EXPECT:     definitely_lost bytes=77 blocks=1 frame0=child_leak allocator=realloc
 * JSON:       %t.[[PARENT]].json
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: error
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

#define NTHREADS 3
#define NCHILDREN 8

static volatile int g_stop;
static volatile long g_rounds[NTHREADS];

NOINLINE char *resize(char *p, size_t n)
{
    char *q = realloc(p, n);
    q[n - 1] = 'r';
    NOTAIL();
    return q;
}

NOINLINE void *worker(void *arg)
{
    long me = (long)arg;
    char *keep[16] = {0};
    for (long r = 0; !g_stop; r++) {
        char *p = malloc(16);
        p[0] = 1;
        for (size_t n = 32; n <= 1024; n *= 2)
            p = resize(p, n);
        p = resize(p, 40);
        free(keep[r & 15]);
        keep[r & 15] = p;
        g_rounds[me] = r;
    }
    for (int i = 0; i < 16; i++)
        free(keep[i]);
    return NULL;
}

NOINLINE void child_leak(void)
{
    char *p = malloc(20);
    memset(p, 'c', 20);
    p = realloc(p, 77);
    memset(p, 'C', 77);
    __asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE void scrub_stack(void)
{
    volatile char buf[8192];
    memset((char *)buf, 0, sizeof buf);
}

NOINLINE int child(void)
{
    char *p = NULL;
    for (int i = 0; i < 1000; i++) {
        p = resize(p, 16 + (size_t)(i % 300));
        if (i % 10 == 0) {
            free(p);
            p = NULL;
        }
    }
    free(p);
    child_leak();
    scrub_stack();
    return 0;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    printf("parent=%d\n", (int)getpid());
    fflush(stdout);
    int bad = 0;
    for (int c = 0; c < NCHILDREN; c++) {
        long before = g_rounds[c % NTHREADS];
        while (g_rounds[c % NTHREADS] < before + 50)
            usleep(100);
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            printf("child=%d\n", (int)getpid());
            fflush(stdout);
            exit(child());
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad = 1;
    }
    g_stop = 1;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    if (bad) {
        printf("a child failed\n");
        return 1;
    }
    printf("reached the end\n");
    return 0;
}
