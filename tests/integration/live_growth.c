/* Growth suspects (tests/integration/live_growth.sh): for SECONDS, warm_up() fills a table for the
 * first 2 s only, then never again (a cache filled at start-up); keep_growing() adds a block
 * every 10 iterations to the end (a leak); churn() keeps a ring of 400 blocks of random sizes. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* not static: the compiler must not drop the unread stores, and with them the allocations */
void *table[100000], *ring[400], *leaks[10000];
int ntable, nleaks;

__attribute__((noinline)) static void warm_up(void) { table[ntable++] = malloc(1000); }
__attribute__((noinline)) static void keep_growing(void) { leaks[nleaks++] = malloc(300); }
__attribute__((noinline)) static void churn(int i, size_t size)
{
    free(ring[i % 400]);
    ring[i % 400] = malloc(size);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 6, t0 = now(), t;
    for (int i = 0; (t = now() - t0) < secs; i++) {
        if (t < 2 && ntable < 100000)
            warm_up();
        if (i % 10 == 0 && nleaks < 10000)
            keep_growing();
        churn(i, 40 + (size_t)(rand() % 4000));
        usleep(1000);
    }
    printf("%d %d\n", ntable > 0, nleaks > 0);
    return 0;
}
