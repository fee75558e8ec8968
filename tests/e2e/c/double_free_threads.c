/* Four threads each double-free 25 blocks of their own, all at once (a barrier lines them up,
 * and no thread allocates after it, so no freed address is handed out again in between): the
 * 100 double frees come from one call site with one stack, hence one double_free record with
 * count=100; no crash, no deadlock, the program runs to its end.
 * TIMEOUT:    120
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=100 frame0=second_free file=double_free_threads.c free_frame0=first_free alloc_frame0=make_block
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: definitely_lost
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

#define NTHREADS 4
#define NBLOCKS 25

static pthread_barrier_t g_barrier;

NOINLINE char *make_block(size_t n)
{
    char *p = malloc(n);
    memset(p, 't', n);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

NOINLINE void *worker(void *arg)
{
    char *mine[NBLOCKS];
    size_t base = 16 + 16 * (size_t)(uintptr_t)arg;
    for (int i = 0; i < NBLOCKS; i++)
        mine[i] = make_block(base + (size_t)i);
    pthread_barrier_wait(&g_barrier);
    for (int i = 0; i < NBLOCKS; i++) {
        first_free(mine[i]);
        second_free(mine[i]);
    }
    NOTAIL();
    return arg;
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&g_barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&g_barrier);
    printf("reached the end\n");
    return 7;
}
