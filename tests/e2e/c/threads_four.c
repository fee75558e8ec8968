/* Four threads each leak from their own function; all four are joined before exit. The thread
 * function is called by libc's start_thread: memplumber's own thread-start wrapper never shows
 * between them (frame 1 is in libc).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=11 blocks=1 frame0=thread_a file=threads_four.c module1=libc.so.6
 * EXPECT:     definitely_lost bytes=22 blocks=1 frame0=thread_b file=threads_four.c
 * EXPECT:     definitely_lost bytes=33 blocks=1 frame0=thread_c file=threads_four.c
 * EXPECT:     definitely_lost bytes=44 blocks=1 frame0=thread_d file=threads_four.c
 * EXPECT:     summary.definitely_lost.bytes=110
 * EXPECT:     summary.definitely_lost.blocks=4
 * EXPECT-NOT: possibly_lost
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

#define LEAKER(name, size)                  \
    NOINLINE void *name(void *arg)          \
    {                                       \
        char *p = malloc(size);             \
        memset(p, 'x', size);               \
        USE(p);                             \
        scrub_stack();                      \
        return arg;                         \
    }
LEAKER(thread_a, 11)
LEAKER(thread_b, 22)
LEAKER(thread_c, 33)
LEAKER(thread_d, 44)

int main(void)
{
    void *(*fns[4])(void *) = {thread_a, thread_b, thread_c, thread_d};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, fns[i], NULL) != 0)
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    scrub_stack();
    return 0;
}
