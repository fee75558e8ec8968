/* Four threads realloc blocks across the 64 KiB line where memplumber stops holding the block's
 * table lock around glibc's realloc (below it: one critical section around the real call; from it
 * on: the entry flagged while the real realloc runs), growing and shrinking, in place and moved (a
 * neighbour is kept live every other round), and free every other block in the next thread;
 * meanwhile the main thread asks for on-demand reports (memplumber_report_now: every lock taken,
 * the threads stopped) 20 times. Nothing may hang, no heap error may appear, and the exact counts
 * hold at exit: each thread leaks one block last resized below 64 KiB (300 B, small_leak) and
 * one last resized above it (100,000 B, big_leak), and keeps one of each reachable.
 * TIMEOUT:    180
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     definitely_lost bytes=1200 blocks=4 frame0=small_leak file=realloc_locked_threads.c allocator=realloc
 * EXPECT:     definitely_lost bytes=400000 blocks=4 frame0=big_leak file=realloc_locked_threads.c allocator=realloc
 * EXPECT:     still_reachable bytes=2000 blocks=4 frame0=small_kept allocator=realloc
 * EXPECT:     still_reachable bytes=280000 blocks=4 frame0=big_kept allocator=realloc
 * EXPECT:     summary.definitely_lost.blocks=8
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: error
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

int memplumber_report_now(void) __attribute__((weak));

#define NTHREADS 4
#define ROUNDS 400
#define SLOTS 32

static void *volatile g_small[NTHREADS], *volatile g_big[NTHREADS];
static void *volatile g_box[NTHREADS][SLOTS];
static volatile int g_done;

NOINLINE char *resize(char *p, size_t n)
{
    char *q = realloc(p, n);
    q[0] = 'r';
    q[n - 1] = 'r';
    NOTAIL();
    return q;
}

#define RESIZER(name, fill)                      \
    NOINLINE char *name(char *p, size_t n)       \
    {                                            \
        char *q = realloc(p, n);                 \
        memset(q, fill, n);                      \
        NOTAIL();                                \
        return q;                                \
    }
RESIZER(small_leak, 'l')
RESIZER(big_leak, 'L')
RESIZER(small_kept, 'k')
RESIZER(big_kept, 'K')

NOINLINE void drop(void *p)
{
    free(p);
    NOTAIL();
}

NOINLINE void scrub_stack(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

NOINLINE void leak_two(void)
{
    char *p = malloc(24);
    p = small_leak(p, 100);
    p = small_leak(p, 300); /* the final size, below 64 KiB */
    char *b = malloc(50000);
    b = big_leak(b, 70000);
    b = big_leak(b, 100000); /* the final size, above it */
    __asm__ volatile("" : : "r"(p), "r"(b) : "memory");
}

NOINLINE void *worker(void *arg)
{
    long me = (long)arg;
    int next = (int)((me + 1) % NTHREADS);
    uint64_t s = 777 + (uint64_t)me;
    for (int r = 0; r < ROUNDS; r++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        char *p = malloc(16 + (s >> 58));
        p[0] = 1;
        char *neighbour = (r & 1) ? malloc(48) : NULL; /* right after p: p's growth moves */
        for (size_t n = 64; n <= 256 * 1024; n *= 4)
            p = resize(p, n + (s >> 60)); /* 64 B .. 256 KiB: both sides of 64 KiB */
        p = resize(p, 60000);              /* shrinks below it again */
        p = resize(p, 40 + (s >> 61));     /* and far below */
        drop(neighbour);
        int slot = r % SLOTS;
        void *old = __atomic_exchange_n(&g_box[next][slot], (void *)p, __ATOMIC_ACQ_REL);
        drop(old);
        void *mine = __atomic_exchange_n(&g_box[me][(slot + 5) % SLOTS], NULL, __ATOMIC_ACQ_REL);
        drop(mine);
    }
    char *k = malloc(8);
    g_small[me] = small_kept(k, 500);
    char *b = malloc(40000);
    g_big[me] = big_kept(b, 70000);
    leak_two();
    scrub_stack();
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (int i = 0; i < 20; i++) {
        if (memplumber_report_now)
            memplumber_report_now();
        usleep(2000);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        for (int j = 0; j < SLOTS; j++)
            free(g_box[i][j]);
    scrub_stack();
    printf("reached the end\n");
    return 0;
}
