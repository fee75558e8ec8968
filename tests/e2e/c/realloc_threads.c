/* Four threads grow and shrink blocks with realloc, some in place (glibc grows into the free
 * space after a block, shrinks where it is) and some moved (a neighbour is kept live), and hand
 * every other finished block to the next thread to free: a block that stays where it is keeps
 * its table entry, updated with the realloc's size and stack, and the exact counts hold across
 * threads. Each thread then leaks one block last resized by grow_leak and keeps one reachable
 * block last resized by grow_kept: the leak is the realloc's stack with its final size.
 * TIMEOUT:    120
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     definitely_lost bytes=1200 blocks=4 frame0=grow_leak file=realloc_threads.c allocator=realloc
 * EXPECT:     still_reachable bytes=2000 blocks=4 frame0=grow_kept allocator=realloc
 * EXPECT:     summary.definitely_lost.blocks=4
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: error
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

#define NTHREADS 4
#define ROUNDS 3000
#define SLOTS 64

static void *volatile g_kept[NTHREADS];
/* a mailbox per thread: blocks handed over by the previous thread, freed by this one */
static void *volatile g_box[NTHREADS][SLOTS];

NOINLINE char *resize(char *p, size_t n)
{
    char *q = realloc(p, n);
    q[n - 1] = 'r';
    NOTAIL();
    return q;
}

NOINLINE char *grow_leak(char *p, size_t n)
{
    char *q = realloc(p, n);
    memset(q, 'L', n);
    NOTAIL();
    return q;
}

NOINLINE char *grow_kept(char *p, size_t n)
{
    char *q = realloc(p, n);
    memset(q, 'K', n);
    NOTAIL();
    return q;
}

NOINLINE void drop(void *p)
{
    free(p);
    NOTAIL();
}

NOINLINE void scrub_stack(void)
{
    volatile char buf[8192];
    memset((char *)buf, 0, sizeof buf);
}

NOINLINE void leak_one(void)
{
    char *p = malloc(40);
    memset(p, 'x', 40);
    p = grow_leak(p, 100);     /* grows in place or moves */
    p = grow_leak(p, 300);     /* the final size: 300 */
    __asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE void *worker(void *arg)
{
    long me = (long)arg;
    int next = (int)((me + 1) % NTHREADS);
    uint64_t s = 12345 + (uint64_t)me;
    for (int r = 0; r < ROUNDS; r++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        char *p = malloc(16 + (s >> 60));
        p[0] = 1;
        char *neighbour = NULL;
        if (r & 1)
            neighbour = malloc(32); /* right after p: p's growth must move */
        for (size_t n = 32; n <= 2048; n *= 2)
            p = resize(p, n + (s >> 62));
        p = resize(p, 24); /* shrinks in place */
        drop(neighbour);
        int slot = r % SLOTS;
        void *old = __atomic_exchange_n(&g_box[next][slot], (void *)p, __ATOMIC_ACQ_REL);
        drop(old);
        void *mine = __atomic_exchange_n(&g_box[me][(slot + 7) % SLOTS], NULL, __ATOMIC_ACQ_REL);
        drop(mine);
    }
    char *k = malloc(8);
    k[0] = 1;
    g_kept[me] = grow_kept(k, 500);
    leak_one();
    scrub_stack();
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        for (int j = 0; j < SLOTS; j++)
            free(g_box[i][j]);
    scrub_stack();
    printf("reached the end\n");
    return 0;
}
