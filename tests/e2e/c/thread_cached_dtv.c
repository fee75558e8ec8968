/* Threads joined while others are blocked until exit: glibc keeps the joined threads' stacks
 * (thread descriptor and DTV) in its stack cache, and frees them only in __libc_freeres, which
 * cannot run while threads are alive. Their DTVs must not be called "definitely lost" (the stack
 * cache still points to their descriptors): they are possibly lost, like the live threads' ones.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=40 blocks=1 frame0=main_leak file=thread_cached_dtv.c
 * EXPECT:     possibly_lost blocks=1 anyframe=allocate_dtv
 * EXPECT-NOT: definitely_lost anyframe=allocate_dtv
 * EXPECT-NOT: still_reachable
 * VALGRIND:   skip valgrind runs glibc's freeres after stopping every thread, which frees the cached stacks' DTVs (docs/DESIGN.md, known differences)
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static int never_written[2];

static void *blocked(void *arg)
{
    char c;
    while (read(never_written[0], &c, 1) != 0)
        ;
    return arg;
}

static void *short_lived(void *arg)
{
    char *volatile p = malloc(100);
    memset(p, 1, 100);
    free(p);
    return arg;
}

NOINLINE void main_leak(void)
{
    char *volatile p = malloc(40);
    memset(p, 2, 40);
    p = NULL;
}

NOINLINE static void scrub_stack(void)
{
    volatile char buf[4096];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    pthread_t t[4];
    if (pipe(never_written))
        return 1;
    for (int i = 2; i < 4; i++)
        pthread_create(&t[i], NULL, blocked, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, short_lived, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    main_leak();
    scrub_stack();
    usleep(20000);
    return 0;
}
