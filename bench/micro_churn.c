/* Micro-benchmark for A/B comparisons of two builds of the preload library on the churn loop:
 * the loop of workloads/churn.c (malloc/free of 16 B-4 KiB from 512 call paths 6-12 frames deep,
 * a window of 1024 live blocks), timed inside the process with CLOCK_MONOTONIC. Prints the best
 * ns per iteration over REPS repetitions of ITERS iterations, so process start-up, exit and the
 * exit report are left out, and a burst of noise on a shared machine costs one repetition, not
 * the figure. Compare builds by running it natively and under each build in turn, several
 * rounds, and taking per-round ratios to the native run:
 *   gcc -O2 -g -fomit-frame-pointer -o build/bench/micro_churn bench/micro_churn.c
 *   for r in 1 2 3 4 5 6 7; do build/bench/micro_churn
 *     MEMPLUMBER_OPTIONS=verbosity=0 LD_PRELOAD=build/libmemplumber.so build/bench/micro_churn
 *     MEMPLUMBER_OPTIONS=verbosity=0 LD_PRELOAD=/tmp/other/libmemplumber.so build/bench/micro_churn
 *   done
 * usage: micro_churn [ITERS [REPS]] (default 150000 6). The bench tables come from bench/run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WINDOW 1024

static inline uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef void *(*level_fn)(unsigned path, unsigned depth, size_t size);
static level_fn levels[8];

#define LEVEL(k)                                                                       \
    __attribute__((noinline)) static void *level##k(unsigned path, unsigned depth,     \
                                                    size_t size)                       \
    {                                                                                  \
        volatile char pad[16 + k * 8];                                                 \
        pad[0] = (char)path;                                                           \
        void *r;                                                                       \
        if (depth == 0)                                                                \
            r = malloc(size);                                                          \
        else                                                                           \
            r = levels[(path >> (3 * (depth - 1))) & 7](path, depth - 1, size);        \
        return (void *)((uintptr_t)r + (pad[0] & 0));                                  \
    }
LEVEL(0) LEVEL(1) LEVEL(2) LEVEL(3) LEVEL(4) LEVEL(5) LEVEL(6) LEVEL(7)

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *win[WINDOW];

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 150000;
    int reps = argc > 2 ? atoi(argv[2]) : 6;
    if (iters <= 0 || reps <= 0) {
        fprintf(stderr, "usage: micro_churn [ITERS [REPS]] (positive numbers)\n");
        return 2;
    }
    levels[0] = level0; levels[1] = level1; levels[2] = level2; levels[3] = level3;
    levels[4] = level4; levels[5] = level5; levels[6] = level6; levels[7] = level7;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    double best = 1e300;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            uint64_t r = rng(&s);
            unsigned slot = r % WINDOW;
            free(win[slot]);
            unsigned path = (unsigned)(r >> 16) & 511;
            unsigned depth = 3 + (unsigned)((r >> 32) % 4);
            size_t size = 16 + (size_t)((r >> 40) % 4080);
            win[slot] = levels[path & 7](path, depth, size);
        }
        double t = (now_ns() - t0) / (double)iters;
        if (t < best)
            best = t;
    }
    for (unsigned k = 0; k < WINDOW; k++)
        free(win[k]);
    printf("%.1f ns/iteration (best of %d x %ld)\n", best, reps, iters);
    return 0;
}
