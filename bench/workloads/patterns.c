/* Allocation patterns churn.c does not have. Build: -O2 -g -fomit-frame-pointer (Debian's default).
 * usage: patterns MODE [N] [THREADS]
 *   deep N T [LO HI]
 *              N malloc/free pairs per run split over T threads, each thread on its own blocks
 *              (T = 0: on the main thread of a program that starts no thread, where glibc's
 *              malloc and memplumber take no lock):
 *              sizes 16-256 B, 512 distinct call paths of LO to HI levels (default 4 to 7: 7-10
 *              frames with the leaf and the thread's start), each path taken at every depth;
 *              the leaf allocates a block, keeps it in a small per-thread window, and frees the
 *              block it replaces there, so every free runs deep in a call chain (often another
 *              one than the allocation's), as destructors do. With HI above 7 every level of a
 *              path is drawn from a hash of the path (up to 21 levels)
 *   chain N T  N calls down one of 512 call paths of 6-12 levels through 16 functions with
 *              frames of 8-128 bytes, over T threads: the leaf allocates a block (16-256 B), which
 *              is freed on the way back up at a level fixed per path (inside the chain that
 *              allocated it); three calls in four also replace a block in a per-thread ring of
 *              128, freed 128 such calls later
 *   xthread N  producer/consumer: one thread allocates N blocks (16-256 B) and hands them in
 *              batches to a second thread, which frees them
 *   held N     N blocks (16-256 B) allocated and held, then all freed
 *   realloc N  N growth chains: a buffer grows by realloc from 16 B to 4 KiB (doubling, +1 byte
 *              steps in between), then is freed
 *   strbuf N   N string builders as C programs write them: 10-69 pieces of 1-40 bytes appended
 *              to a buffer whose capacity doubles by realloc from 16 B, and a second buffer grown
 *              to an exact fit 8 bytes at a time (20 reallocs); both are freed
 *   coro N C [LO HI]
 *              deep's N pairs in one thread, run by C coroutines (makecontext/swapcontext, as
 *              coroutine libraries and servers built on them do) on 64 KiB stacks from mmap with
 *              a guard page below, taking turns every 64 pairs: allocations and frees happen on
 *              stacks that are not the thread's own
 *   rtree N    N nodes in all, built and torn down as binary trees of depth 12 and 13 by
 *              recursion (parsers, scene graphs, ASTs): each node and its name (16-79 B) are
 *              allocated at its own depth from its own path of left/right calls, so a tree has
 *              as many distinct allocation stacks as nodes (about 32,000 in all), and each
 *              node is freed on the way back up of a second recursion
 *   dispatch N N requests through 4-19 levels of calls made through a table of 8 handler
 *              functions (an interpreter, an event loop's callbacks), on a path that depends on
 *              the request's kind (512) and depth (about 8,000 distinct stacks): the innermost
 *              handler allocates a request (16-4,350 B) into one of 4,096 slots or frees the one
 *              there, so blocks are freed from another path than the one that allocated them */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static inline uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- deep: allocation and free in deep call chains ---- */

#define DWIN 64
struct dstate {
    void *win[DWIN];
    uint64_t sum;
};

typedef void (*level_fn)(struct dstate *st, uint64_t path, unsigned depth, size_t size, unsigned slot);
static level_fn levels[8];

__attribute__((noinline)) static void leaf(struct dstate *st, size_t size, unsigned slot)
{
    char *p = malloc(size);
    p[0] = (char)size;
    p[size - 1] = 1;
    st->sum += (uintptr_t)p & 0xff;
    free(st->win[slot]);
    st->win[slot] = p;
}

#define LEVEL(k)                                                                              \
    __attribute__((noinline)) static void level##k(struct dstate *st, uint64_t path,           \
                                                   unsigned depth, size_t size, unsigned slot) \
    {                                                                                         \
        volatile char pad[16 + k * 8];                                                        \
        pad[0] = (char)path;                                                                  \
        if (depth == 0)                                                                       \
            leaf(st, size, slot);                                                             \
        else                                                                                  \
            levels[(path >> (3 * (depth - 1))) & 7](st, path, depth - 1, size, slot);         \
        st->sum += (uint64_t)pad[0];                                                          \
    }
LEVEL(0) LEVEL(1) LEVEL(2) LEVEL(3) LEVEL(4) LEVEL(5) LEVEL(6) LEVEL(7)

struct djob {
    long iters;
    uint64_t seed;
    unsigned lo, hi; /* levels */
};

static void *deep_run(void *arg)
{
    struct djob *j = arg;
    struct dstate st;
    memset(&st, 0, sizeof st);
    uint64_t s = j->seed;
    for (long i = 0; i < j->iters; i++) {
        uint64_t r = rng(&s);
        uint64_t path = (r >> 16) & 511;
        if (j->hi > 7)
            path |= (path * 0x9E3779B97F4A7C15ull) >> 9 << 9; /* levels past the third vary too */
        unsigned depth = j->lo - 1 + (unsigned)((r >> 32) % (j->hi - j->lo + 1));
        size_t size = 16 + (size_t)((r >> 40) % 241);
        levels[path & 7](&st, path, depth, size, (unsigned)(r % DWIN));
    }
    for (unsigned k = 0; k < DWIN; k++)
        free(st.win[k]);
    return (void *)(uintptr_t)(st.sum & 1);
}

static void deep(long n, int nthreads, unsigned lo, unsigned hi)
{
    levels[0] = level0; levels[1] = level1; levels[2] = level2; levels[3] = level3;
    levels[4] = level4; levels[5] = level5; levels[6] = level6; levels[7] = level7;
    pthread_t t[64];
    struct djob jobs[64];
    if (nthreads == 0) {
        jobs[0].iters = n;
        jobs[0].seed = 0x9E3779B97F4A7C15ull;
        jobs[0].lo = lo;
        jobs[0].hi = hi;
        deep_run(&jobs[0]);
        return;
    }
    for (int i = 0; i < nthreads; i++) {
        jobs[i].iters = n / nthreads;
        jobs[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        jobs[i].lo = lo;
        jobs[i].hi = hi;
        pthread_create(&t[i], NULL, deep_run, &jobs[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
}

/* ---- coro: deep's pattern on coroutine stacks ---- */

#define CORO_STACK (64 * 1024)
#define CORO_SLICE 64
struct coro {
    ucontext_t ctx;
    struct djob job;
    long done;
};
static ucontext_t coro_sched;
static struct coro *coro_cur;

static void coro_body(void)
{
    struct coro *c = coro_cur;
    struct dstate st;
    memset(&st, 0, sizeof st);
    uint64_t s = c->job.seed;
    for (long i = 0; i < c->job.iters; i++) {
        uint64_t r = rng(&s);
        uint64_t path = (r >> 16) & 511;
        if (c->job.hi > 7)
            path |= (path * 0x9E3779B97F4A7C15ull) >> 9 << 9;
        unsigned depth = c->job.lo - 1 + (unsigned)((r >> 32) % (c->job.hi - c->job.lo + 1));
        size_t size = 16 + (size_t)((r >> 40) % 241);
        levels[path & 7](&st, path, depth, size, (unsigned)(r % DWIN));
        if ((i + 1) % CORO_SLICE == 0)
            swapcontext(&c->ctx, &coro_sched); /* the scheduler's turn */
    }
    for (unsigned k = 0; k < DWIN; k++)
        free(st.win[k]);
    c->done = 1;
}

static void coros(long n, int ncoro, unsigned lo, unsigned hi)
{
    levels[0] = level0; levels[1] = level1; levels[2] = level2; levels[3] = level3;
    levels[4] = level4; levels[5] = level5; levels[6] = level6; levels[7] = level7;
    struct coro *cs = calloc((size_t)ncoro, sizeof *cs);
    for (int i = 0; i < ncoro; i++) {
        char *m = mmap(NULL, CORO_STACK + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || !cs) {
            perror("patterns coro");
            exit(1);
        }
        mprotect(m, 4096, PROT_NONE);
        cs[i].job.iters = n / ncoro;
        cs[i].job.seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        cs[i].job.lo = lo;
        cs[i].job.hi = hi;
        getcontext(&cs[i].ctx);
        cs[i].ctx.uc_stack.ss_sp = m + 4096;
        cs[i].ctx.uc_stack.ss_size = CORO_STACK;
        cs[i].ctx.uc_link = &coro_sched;
        makecontext(&cs[i].ctx, coro_body, 0);
    }
    for (int left = ncoro; left > 0;) {
        left = 0;
        for (int i = 0; i < ncoro; i++) {
            if (cs[i].done)
                continue;
            coro_cur = &cs[i];
            swapcontext(&coro_sched, &cs[i].ctx);
            left += !cs[i].done;
        }
    }
    for (int i = 0; i < ncoro; i++)
        munmap((char *)cs[i].ctx.uc_stack.ss_sp - 4096, CORO_STACK + 4096);
    free(cs);
}

/* ---- chain: blocks freed inside the call chain that allocated them ---- */

#define CRING 128
struct cstate {
    uint64_t s, sum;
    void *ring[CRING];
    unsigned ri;
};
static uint8_t cpath[512][12], clen[512], cfree_at[512];
typedef void *(*chain_fn)(struct cstate *c, unsigned p, unsigned lvl);
static chain_fn cfns[16];

__attribute__((noinline)) static void *chain_leaf(struct cstate *c)
{
    size_t n = 16 + (size_t)(rng(&c->s) % 241);
    char *a = malloc(n);
    a[0] = 1;
    a[n - 1] = 2;
    if (rng(&c->s) & 3) {
        unsigned i = c->ri++ % CRING;
        free(c->ring[i]);
        c->ring[i] = malloc(16 + (size_t)(c->s & 127));
    }
    return a;
}

#define CHAIN(k, FS)                                                                          \
    __attribute__((noinline)) static void *chain##k(struct cstate *c, unsigned p, unsigned lvl) \
    {                                                                                         \
        volatile char pad[FS];                                                                \
        pad[0] = (char)lvl;                                                                   \
        void *r = lvl + 1 < clen[p] ? cfns[cpath[p][lvl + 1]](c, p, lvl + 1) : chain_leaf(c); \
        if (r && lvl == cfree_at[p]) {                                                        \
            c->sum += (uint64_t)(((char *)r)[0] + pad[0]);                                    \
            free(r);                                                                          \
            r = NULL;                                                                         \
        }                                                                                     \
        return r;                                                                             \
    }
CHAIN(0, 8) CHAIN(1, 24) CHAIN(2, 40) CHAIN(3, 56) CHAIN(4, 72) CHAIN(5, 88) CHAIN(6, 104)
CHAIN(7, 120) CHAIN(8, 16) CHAIN(9, 32) CHAIN(10, 48) CHAIN(11, 64) CHAIN(12, 80) CHAIN(13, 96)
CHAIN(14, 112) CHAIN(15, 128)

static void *chain_run(void *arg)
{
    struct djob *j = arg;
    struct cstate *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->s = j->seed;
    for (long i = 0; i < j->iters; i++) {
        unsigned p = (unsigned)(rng(&c->s) & 511);
        free(cfns[cpath[p][0]](c, p, 0));
    }
    for (unsigned i = 0; i < CRING; i++)
        free(c->ring[i]);
    uint64_t sum = c->sum;
    free(c);
    return (void *)(uintptr_t)(sum & 1);
}

static void chain(long n, int nthreads)
{
    const chain_fn f[16] = {chain0, chain1, chain2,  chain3,  chain4,  chain5,  chain6,  chain7,
                            chain8, chain9, chain10, chain11, chain12, chain13, chain14, chain15};
    memcpy(cfns, f, sizeof f);
    uint64_t s = 42;
    for (unsigned p = 0; p < 512; p++) {
        clen[p] = (uint8_t)(6 + rng(&s) % 7);
        for (unsigned l = 0; l < 12; l++)
            cpath[p][l] = (uint8_t)(rng(&s) & 15);
        cfree_at[p] = (uint8_t)(2 + rng(&s) % (clen[p] - 2u));
    }
    pthread_t t[64];
    struct djob jobs[64];
    for (int i = 0; i < nthreads; i++) {
        jobs[i].iters = n / nthreads;
        jobs[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) + 1;
        pthread_create(&t[i], NULL, chain_run, &jobs[i]);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
}

/* ---- xthread: producer/consumer ---- */

/* Blocks travel in batches of 256 through a pipe (a blocking hand-off: no spinning on a loaded
 * machine); NB batch buffers circulate through a second pipe. */
#define BATCH 256
#define NB 16
static void *batches[NB][BATCH];
static int full_pipe[2], empty_pipe[2];

static void *consumer(void *arg)
{
    long n = *(long *)arg;
    for (long done = 0; done < n; done += BATCH) {
        long b;
        if (read(full_pipe[0], &b, sizeof b) != sizeof b)
            abort();
        for (int i = 0; i < BATCH; i++)
            free(batches[b][i]);
        if (write(empty_pipe[1], &b, sizeof b) != sizeof b)
            abort();
    }
    return NULL;
}

static void xthread(long n)
{
    n -= n % BATCH;
    if (pipe(full_pipe) || pipe(empty_pipe))
        abort();
    for (long b = 0; b < NB; b++)
        if (write(empty_pipe[1], &b, sizeof b) != sizeof b)
            abort();
    pthread_t c;
    pthread_create(&c, NULL, consumer, &n);
    uint64_t s = 12345;
    for (long done = 0; done < n; done += BATCH) {
        long b;
        if (read(empty_pipe[0], &b, sizeof b) != sizeof b)
            abort();
        for (int i = 0; i < BATCH; i++) {
            size_t size = 16 + (size_t)(rng(&s) % 241);
            char *p = malloc(size);
            p[0] = 1;
            batches[b][i] = p;
        }
        if (write(full_pipe[1], &b, sizeof b) != sizeof b)
            abort();
    }
    pthread_join(c, NULL);
}

/* ---- held ---- */

static void held(long n)
{
    void **v = malloc(sizeof(void *) * (size_t)n);
    uint64_t s = 777;
    for (long i = 0; i < n; i++) {
        v[i] = malloc(16 + (size_t)(rng(&s) % 241));
        *(char *)v[i] = 1;
    }
    for (long i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- realloc growth ---- */

__attribute__((noinline)) static char *grow(char *p, size_t n)
{
    char *q = realloc(p, n);
    q[n - 1] = 1;
    return q;
}

static void reallocs(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = NULL;
        for (size_t sz = 16; sz <= 4096; sz *= 2) {
            p = grow(p, sz);
            p = grow(p, sz + 1);
        }
        free(p);
    }
}

/* ---- strbuf: string builders ---- */

struct sbuf {
    char *p;
    size_t n, cap;
};

__attribute__((noinline)) static void sb_append(struct sbuf *b, const char *s, size_t k)
{
    if (b->n + k + 1 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 16;
        while (c < b->n + k + 1)
            c *= 2;
        b->p = realloc(b->p, c);
        b->cap = c;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = 0;
}

__attribute__((noinline)) static void sb_fit(struct sbuf *b, size_t want)
{
    b->p = realloc(b->p, want);
    b->p[want - 1] = 0;
    b->cap = want;
}

static void strbufs(long n)
{
    static const char text[] = "the quick brown fox jumps over the lazy dog 0123456789";
    uint64_t s = 99991;
    size_t total = 0;
    for (long i = 0; i < n; i++) {
        struct sbuf b = {0}, e = {0};
        int pieces = 10 + (int)(i % 60);
        for (int j = 0; j < pieces; j++)
            sb_append(&b, text, 1 + (size_t)(rng(&s) % 40));
        for (int j = 0; j < 20; j++)
            sb_fit(&e, 16 + 8 * (size_t)j);
        total += b.n + e.cap;
        free(b.p);
        free(e.p);
    }
    if (total == 1)
        puts("");
}

/* rtree: the recursion that builds, and the one that tears down */
struct rnode {
    struct rnode *l, *r;
    char *name;
    long v;
};

static __attribute__((noinline)) struct rnode *rbuild(int d, long *ctr)
{
    struct rnode *n = malloc(sizeof *n);
    n->v = (*ctr)++;
    n->name = malloc(16 + (size_t)(n->v & 63));
    memset(n->name, 'a', 16);
    n->l = d ? rbuild(d - 1, ctr) : NULL;
    n->r = d ? rbuild(d - 1, ctr) : NULL;
    return n;
}

static __attribute__((noinline)) long rteardown(struct rnode *n)
{
    if (!n)
        return 0;
    long s = n->v + rteardown(n->l) + rteardown(n->r);
    free(n->name);
    free(n);
    return s;
}

static void rtrees(long n)
{
    long made = 0, sum = 0;
    for (int i = 0; made < n; i++) {
        long c = 0;
        sum += rteardown(rbuild(12 + (i & 1), &c));
        made += c;
    }
    if (sum == 1)
        puts("");
}

/* dispatch: handlers that call each other through a table */
typedef long (*handler_fn)(int depth, uint64_t key, void **slot);
static handler_fn handlers[8];

static inline long handle(int depth, uint64_t key, void **slot)
{
    return handlers[key & 7](depth, key, slot);
}

#define HANDLER(name, base)                                                                         \
    static __attribute__((noinline)) long name(int depth, uint64_t key, void **slot)                \
    {                                                                                               \
        if (depth == 0) {                                                                           \
            if (*slot) {                                                                            \
                free(*slot);                                                                        \
                *slot = NULL;                                                                       \
                return 1;                                                                           \
            }                                                                                       \
            *slot = malloc((base) + (size_t)(key >> 8 & 255));                                      \
            memset(*slot, 0, 16);                                                                   \
            return 2;                                                                               \
        }                                                                                           \
        return handle(depth - 1, key * 0x9E3779B97F4A7C15ull >> 3 | key << 61, slot) + 1;           \
    }
HANDLER(hd0, 16) HANDLER(hd1, 48) HANDLER(hd2, 100) HANDLER(hd3, 200)
HANDLER(hd4, 24) HANDLER(hd5, 1000) HANDLER(hd6, 64) HANDLER(hd7, 4095)

static void dispatches(long n)
{
    const handler_fn h[8] = {hd0, hd1, hd2, hd3, hd4, hd5, hd6, hd7};
    memcpy(handlers, h, sizeof h);
    static void *slots[4096];
    uint64_t s = 424242;
    long sum = 0;
    for (long i = 0; i < n; i++) {
        const uint64_t x = rng(&s);
        /* the path depends on the kind of request (512 kinds) and its depth: about 8,000
         * distinct stacks, each taken over and over */
        const unsigned slot = (unsigned)(x >> 40) & 4095;
        sum += handle(4 + (int)(x % 16), (slot & 511) * 0x2545F4914F6CDD1Dull + (x % 16), &slots[slot]);
    }
    for (int i = 0; i < 4096; i++)
        free(slots[i]);
    if (sum == 1)
        puts("");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "deep";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int t = argc > 3 ? atoi(argv[3]) : 1;
    if (t < (strcmp(mode, "deep") ? 1 : 0) || t > 64)
        t = 1;
    unsigned lo = argc > 4 ? (unsigned)atoi(argv[4]) : 4, hi = argc > 5 ? (unsigned)atoi(argv[5]) : 7;
    if (lo < 1 || hi < lo || hi > 21) {
        fprintf(stderr, "patterns: deep levels must satisfy 1 <= LO <= HI <= 21\n");
        return 2;
    }
    if (!strcmp(mode, "deep"))
        deep(n, t, lo, hi);
    else if (!strcmp(mode, "chain"))
        chain(n, t);
    else if (!strcmp(mode, "xthread"))
        xthread(n);
    else if (!strcmp(mode, "held"))
        held(n);
    else if (!strcmp(mode, "realloc"))
        reallocs(n);
    else if (!strcmp(mode, "strbuf"))
        strbufs(n);
    else if (!strcmp(mode, "coro"))
        coros(n, t, lo, hi);
    else if (!strcmp(mode, "rtree"))
        rtrees(n);
    else if (!strcmp(mode, "dispatch"))
        dispatches(n);
    else {
        fprintf(stderr, "patterns: unknown mode '%s' (deep, chain, xthread, held, realloc, strbuf, coro, rtree, dispatch)\n", mode);
        return 2;
    }
    printf("patterns %s: %ld\n", mode, n);
    return 0;
}
