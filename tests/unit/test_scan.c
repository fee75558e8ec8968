// SOURCES: src/preload/scan/scan.c src/preload/record/heap.c src/preload/record/maps.c src/common/arena.c src/common/lock.c
// CFLAGS: -O1 -pthread
// NOSAN
/* The reachability scan (src/preload/scan/scan.h) on block graphs built for the purpose, checked
 * against memcheck's rules, block by block:
 *   - a start pointer in a root (a global) makes a block reachable, and what it points to;
 *   - an unreferenced block is definitely lost, the blocks only it reaches indirectly lost, and in
 *     an unreferenced cycle the lowest-addressed block is the definite one;
 *   - an interior pointer makes a block possibly lost, and blocks reached from it only possibly;
 *     a pointer one past the end or stored misaligned does not count;
 *   - the heuristics accept length64 / new[] interior pointers (reachable with heuristics on,
 *     possibly lost with them off), each heuristic only when in the set (a length64 block also
 *     fits newarray, as in valgrind), and the blocks are counted under the first heuristic of
 *     valgrind's order that fits; a pointer anywhere inside a big block counts (possible);
 *   - the caller's registers and a stopped thread's saved registers are roots; the registers of
 *     a thread that did not stop are not (its stack mapping is scanned instead);
 *   - pointers held only in tool memory (mp_pages_alloc) are not roots;
 *   - a zero-size block is reachable through a pointer to its start;
 *   - a rooted 200,000-block list is reachable and an unrooted one is 1 definite + 199,999
 *     indirect (no recursion, no overflow of the mark or frame stacks);
 *   - a block whose memory cannot be read (PROT_NONE) does not crash the scan;
 *   - a second scan gives the same verdicts (the scan resets its own state).
 * The blocks live in tool memory (so the pool itself is no root), every expected-lost address is
 * kept only in tool memory, the roots are in an anonymous mapping of the test's own, and the
 * stack is no root (self_sp is the top of the stack mapping). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "common/arena.h"
#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/record/heap.h"
#include "preload/record/maps.h"
#include "preload/scan/scan.h"

/* Stand-ins for the parts of the preload library the scan calls and this test does not link.
 * The scan keeps block addresses in its own statics (the last block found, the vtable check),
 * which the real library excludes as its own data; here that is this program's data and bss. */
__thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));
extern char __data_start[], _end[];
void mp_modules_self_data(uintptr_t *lo, uintptr_t *hi)
{
    *lo = (uintptr_t)__data_start;
    *hi = (uintptr_t)_end;
}
void mp_modules_allocator_data(uintptr_t *lo, uintptr_t *hi) { *lo = *hi = 0; }
void mp_threads_foreach_stack(void (*fn)(uintptr_t, uintptr_t, uintptr_t, void *), void *ctx)
{
    (void)fn;
    (void)ctx;
}

enum { POOL = 16 << 20, NLIST = 200000 };
enum {
    A, B, C, D, F, G, E, Q, H, I, K, R, S, T, L, L2, Z, BIG, P, NAMED
};
static const char *names[NAMED] = {"A", "B", "C", "D", "F", "G", "E", "Q", "H", "I", "K",
                                   "R", "S", "T", "L", "L2", "Z", "BIG", "P"};

/* Everything that knows a block address lives in tool memory. */
struct world {
    char *pool, *cur;
    uintptr_t blk[NAMED];
    uintptr_t list_rooted, list_lost;
    uintptr_t *tool_words;
    char *ppage;
};
static struct world *w;

/* The roots: the program's own anonymous mapping (the scan's roots include every writable
 * mapping that is neither the allocator's, nor tool memory, nor the library's data). */
struct roots {
    uintptr_t root_a, interior_e, end_i, len_l, arr_l2, zero, big, p, list;
    char misaligned[24];
};
static struct roots *g;

static uintptr_t carve(size_t size, size_t slot)
{
    uintptr_t p = (uintptr_t)w->cur;
    w->cur += slot;
    mp_heap_insert(p, size, 1, 0);
    return p;
}

static unsigned state(uintptr_t a)
{
    uint32_t idx = mp_heap_index_of(a);
    return idx == MP_HEAP_NONE ? 99 : mp_heap_get_state(idx);
}

static const char *sname(unsigned s)
{
    return s == MP_ST_UNREACHED ? "definitely lost" : s == MP_ST_POSSIBLE ? "possibly lost"
           : s == MP_ST_REACHABLE ? "reachable" : s == MP_ST_INDIRECT ? "indirectly lost"
                                                                    : "not in the table";
}

#define EXPECT(name, st)                                                                           \
    do {                                                                                           \
        unsigned s_ = state(w->blk[name]);                                                         \
        CHECK(s_ == (st), "%s: block %s is %s, expected %s", phase, names[name], sname(s_),       \
              sname(st));                                                                          \
    } while (0)

static __attribute__((noinline)) void build(void)
{
    w = mp_pages_alloc(sizeof *w);
    w->pool = mp_pages_alloc(POOL);
    w->cur = w->pool + 4096;
    g = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t *b = w->blk;
    for (int i = 0; i < NAMED; i++) {
        if (i == BIG)
            b[i] = carve(1 << 20, 1 << 20);
        else if (i == P) {
            w->cur = (char *)(((uintptr_t)w->cur + 4095) & ~(uintptr_t)4095);
            w->ppage = w->cur;
            b[i] = carve(64, 4096);
        } else if (i == Z)
            b[i] = carve(0, 16);
        else if (i == I)
            b[i] = carve(40, 48);
        else if (i == L)
            b[i] = carve(72, 80);
        else if (i == L2)
            b[i] = carve(8 + 4 * 16, 80);
        else
            b[i] = carve(64, 64);
    }
    /* Rooted: A -> B. */
    g->root_a = b[A];
    ((uintptr_t *)b[A])[3] = b[B];
    /* Unreferenced C -> D; cycle F <-> G (F lower). */
    ((uintptr_t *)b[C])[1] = b[D];
    ((uintptr_t *)b[F])[0] = b[G];
    ((uintptr_t *)b[G])[7] = b[F];
    /* Interior into E, E -> Q by its start. */
    g->interior_e = b[E] + 24;
    ((uintptr_t *)b[E])[2] = b[Q];
    /* One past I's end (the gap before the next block); K's address stored misaligned. */
    g->end_i = b[I] + 40;
    uintptr_t k = b[K];
    for (size_t j = 0; j < sizeof k; j++)
        g->misaligned[4 + j] = (char)(k >> (8 * j));
    /* H is pointed to only from tool memory. */
    w->tool_words = mp_pages_alloc(4096);
    w->tool_words[5] = b[H];
    /* Heuristic pointers: length64 (L[0] = size - 8) and new[] (count 4 of 16-byte elements). */
    ((uint64_t *)b[L])[0] = 64;
    g->len_l = b[L] + 8;
    ((uint64_t *)b[L2])[0] = 4;
    g->arr_l2 = b[L2] + 8;
    g->zero = b[Z];
    g->big = b[BIG] + 500000;
    g->p = b[P];
    /* Two lists: nodes of 32 bytes, next pointer in word 1. */
    uintptr_t heads[2];
    for (int l = 0; l < 2; l++) {
        uintptr_t prev = 0;
        for (int i = 0; i < NLIST; i++) {
            uintptr_t n = carve(32, 32);
            ((uintptr_t *)n)[1] = prev;
            prev = n;
        }
        heads[l] = prev;
    }
    w->list_rooted = heads[0];
    w->list_lost = heads[1];
    g->list = heads[0];
}

static int list_count(uintptr_t head, unsigned want, unsigned *first_state)
{
    int n = 0;
    *first_state = state(head);
    for (uintptr_t p = ((uintptr_t *)head)[1]; p; p = ((uintptr_t *)p)[1])
        n += state(p) == want;
    return n;
}

static uintptr_t stack_top(void)
{
    static struct mp_map maps[4096];
    long n = mp_maps_read(maps, 4096);
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    for (long i = 0; i < n; i++)
        if (here >= maps[i].lo && here < maps[i].hi)
            return maps[i].hi - 8;
    return 0;
}

static __attribute__((noinline)) void scan(unsigned heuristics, const char *phase)
{
    struct mp_thread_ctx th[2];
    memset(th, 0, sizeof th);
    th[0].tid = 1;
    th[0].stopped = 1;
    th[0].regs[3] = w->blk[S];
    th[1].tid = 2;
    th[1].stopped = 0;
    th[1].regs[0] = w->blk[T];
    uintptr_t regs[2] = {0x1234, w->blk[R]};
    mprotect(w->ppage, 4096, PROT_NONE);
    struct mp_scan_stats stats;
    mp_heap_lock_all();
    mp_scan_run(th, 2, stack_top(), regs, 2, heuristics, &stats);
    mp_heap_unlock_all();
    mprotect(w->ppage, 4096, PROT_READ | PROT_WRITE);
    regs[1] = 0;
    CHECK_UL(stats.blocks, NAMED + 2 * NLIST);

    EXPECT(A, MP_ST_REACHABLE);
    EXPECT(B, MP_ST_REACHABLE);
    EXPECT(C, MP_ST_UNREACHED);
    EXPECT(D, MP_ST_INDIRECT);
    EXPECT(F, MP_ST_UNREACHED);
    EXPECT(G, MP_ST_INDIRECT);
    EXPECT(E, MP_ST_POSSIBLE);
    EXPECT(Q, MP_ST_POSSIBLE);
    EXPECT(H, MP_ST_UNREACHED);
    EXPECT(I, MP_ST_UNREACHED);
    EXPECT(K, MP_ST_UNREACHED);
    EXPECT(R, MP_ST_REACHABLE);
    EXPECT(S, MP_ST_REACHABLE);
    EXPECT(T, MP_ST_UNREACHED);
    const unsigned len64 = 1u << MP_HEUR_LENGTH64, newarr = 1u << MP_HEUR_NEWARRAY;
    EXPECT(L, heuristics & (len64 | newarr) ? MP_ST_REACHABLE : MP_ST_POSSIBLE);
    EXPECT(L2, heuristics & newarr ? MP_ST_REACHABLE : MP_ST_POSSIBLE);
    /* L counts under length64 when it is in the set (tried before newarray), else newarray. */
    CHECK(stats.heur_blocks[MP_HEUR_LENGTH64] == (heuristics & len64 ? 1u : 0u),
          "%s: %llu blocks via length64", phase,
          (unsigned long long)stats.heur_blocks[MP_HEUR_LENGTH64]);
    unsigned want_na = (heuristics & newarr ? 1u : 0u) + ((heuristics & newarr) && !(heuristics & len64));
    CHECK(stats.heur_blocks[MP_HEUR_NEWARRAY] == want_na, "%s: %llu blocks via newarray, want %u",
          phase, (unsigned long long)stats.heur_blocks[MP_HEUR_NEWARRAY], want_na);
    CHECK(stats.heur_blocks[MP_HEUR_STDSTRING] == 0 &&
              stats.heur_blocks[MP_HEUR_MULTIPLEINHERITANCE] == 0,
          "%s: blocks counted under stdstring or multipleinheritance", phase);
    EXPECT(Z, MP_ST_REACHABLE);
    EXPECT(BIG, MP_ST_POSSIBLE);
    EXPECT(P, MP_ST_REACHABLE);
    unsigned first;
    int n = list_count(w->list_rooted, MP_ST_REACHABLE, &first);
    CHECK(first == MP_ST_REACHABLE && n == NLIST - 1,
          "%s: rooted list: head %s, %d of %d others reachable", phase, sname(first), n,
          NLIST - 1);
    n = list_count(w->list_lost, MP_ST_INDIRECT, &first);
    CHECK(first == MP_ST_UNREACHED && n == NLIST - 1,
          "%s: lost list: head %s, %d of %d others indirectly lost", phase, sname(first), n,
          NLIST - 1);
}

int main(void)
{
    mp_heap_init();
    build();
    scan(MP_HEUR_ALL, "heuristics on");
    scan(0, "heuristics off");
    scan(1u << MP_HEUR_LENGTH64, "length64 only");
    scan(1u << MP_HEUR_NEWARRAY, "newarray only");
    scan((1u << MP_HEUR_STDSTRING) | (1u << MP_HEUR_MULTIPLEINHERITANCE), "stdstring,multipleinheritance");
    scan(MP_HEUR_ALL, "heuristics on again");
    return CHECK_DONE();
}
