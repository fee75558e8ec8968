/* malloc/free churn: mixed sizes 16 B - 4 KiB, allocation sites 6-12 calls deep, 512 distinct
 * stacks, a window of live blocks. Build: -O2 -g -fomit-frame-pointer (Debian's default).
 * usage: churn [iterations] [threads] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

struct job {
    long iters;
    uint64_t seed;
};

static void *run(void *arg)
{
    struct job *j = arg;
    void *win[WINDOW] = {0};
    uint64_t s = j->seed;
    for (long i = 0; i < j->iters; i++) {
        uint64_t r = rng(&s);
        unsigned slot = r % WINDOW;
        free(win[slot]);
        unsigned path = (unsigned)(r >> 16) & 511;           /* 512 distinct stacks */
        unsigned depth = 3 + (unsigned)((r >> 32) % 4);      /* plus fixed frames: 6-12 deep */
        size_t size = 16 + (size_t)((r >> 40) % 4080);
        win[slot] = levels[path & 7](path, depth, size);
    }
    for (unsigned k = 0; k < WINDOW; k++)
        free(win[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    int nthreads = argc > 2 ? atoi(argv[2]) : 1;
    levels[0] = level0; levels[1] = level1; levels[2] = level2; levels[3] = level3;
    levels[4] = level4; levels[5] = level5; levels[6] = level6; levels[7] = level7;
    pthread_t t[64];
    struct job jobs[64];
    for (int i = 0; i < nthreads && i < 64; i++) {
        jobs[i].iters = iters / nthreads;
        jobs[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        pthread_create(&t[i], NULL, run, &jobs[i]);
    }
    for (int i = 0; i < nthreads && i < 64; i++)
        pthread_join(t[i], NULL);
    printf("churn: %ld iterations, %d threads\n", iters, nthreads);
    return 0;
}
