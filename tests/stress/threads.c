/* Stress: T threads allocate (malloc, calloc, realloc, aligned_alloc), hand half of their blocks
 * to the next thread through a locked queue to be freed there (cross-thread frees), and at the
 * end leave exactly LEAK blocks of LEAK_SIZE bytes unreachable. usage: threads SECONDS THREADS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEAK 7
#define LEAK_SIZE 1234
#define QCAP 4096

struct queue {
    pthread_mutex_t lock;
    void *items[QCAP];
    int n;
};

static struct queue *queues;
static int nthreads;
static double deadline;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *alloc_some(uint64_t r)
{
    size_t n = 1 + (r >> 8) % 3000;
    switch (r % 4) {
    case 0: return malloc(n);
    case 1: return calloc(1, n);
    case 2: return realloc(malloc(16), n);
    default: return aligned_alloc(64, (n + 63) & ~(size_t)63);
    }
}

static void *run(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(me + 1);
    void *mine[256] = {0};
    while (now() < deadline) {
        for (int k = 0; k < 1000; k++) {
            uint64_t r = rng(&s);
            unsigned slot = (unsigned)(r >> 40) & 255;
            void *p = alloc_some(r);
            if (!p)
                abort();
            memset(p, 0xab, 16);
            if (mine[slot]) {
                struct queue *q = &queues[(me + 1) % nthreads];
                pthread_mutex_lock(&q->lock);
                if (q->n < QCAP) {
                    q->items[q->n++] = mine[slot];
                    mine[slot] = NULL;
                }
                pthread_mutex_unlock(&q->lock);
                free(mine[slot]); /* NULL when queued */
            }
            mine[slot] = p;
        }
        struct queue *q = &queues[me];
        pthread_mutex_lock(&q->lock);
        for (int i = 0; i < q->n; i++)
            free(q->items[i]);
        q->n = 0;
        pthread_mutex_unlock(&q->lock);
    }
    for (int i = 0; i < 256; i++)
        free(mine[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 5;
    nthreads = argc > 2 ? atoi(argv[2]) : 8;
    deadline = now() + secs;
    queues = calloc((size_t)nthreads, sizeof *queues);
    pthread_t t[256];
    for (int i = 0; i < nthreads && i < 256; i++) {
        pthread_mutex_init(&queues[i].lock, NULL);
        pthread_create(&t[i], NULL, run, (void *)(intptr_t)i);
    }
    for (int i = 0; i < nthreads && i < 256; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < nthreads; i++)
        for (int k = 0; k < queues[i].n; k++)
            free(queues[i].items[k]);
    free(queues);
    for (int i = 0; i < LEAK; i++) {
        void *volatile p = malloc(LEAK_SIZE);
        memset((void *)p, 1, LEAK_SIZE);
        p = NULL;
    }
    printf("threads: done\n");
    return 0;
}
