/* Threads still blocked when main returns, and threads joined before: the blocks glibc makes for
 * them must have the sizes they have without memplumber. Each thread's DTV (calloc'ed by ld.so,
 * one 16-byte slot per TLS module) would be 16 bytes larger because memplumber's own TLS takes a
 * slot. The live threads' DTVs are "possibly lost" for valgrind too (the thread descriptor points
 * 8 bytes into them); the live threads reuse the joined threads' stacks, so there is no other DTV.
 * The valgrind suite compares the bytes of each kind. No stdio: its buffers would differ (glibc's
 * freeres does not run while threads are alive).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=40 blocks=1 frame0=main_leak file=thread_live_dtv.c
 * EXPECT:     possibly_lost blocks=1 anyframe=allocate_dtv
 * EXPECT-NOT: definitely_lost anyframe=allocate_dtv
 * EXPECT-NOT: still_reachable
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
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, short_lived, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 2; i < 4; i++)
        pthread_create(&t[i], NULL, blocked, NULL);
    main_leak();
    scrub_stack();
    usleep(20000);
    return 0;
}
