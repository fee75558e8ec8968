// SOURCES: src/preload/record/heap.c src/common/arena.c src/common/lock.c
// CFLAGS: -O1 -pthread
/* The live-block table (src/preload/record/heap.h) as its users rely on it: insert, then find and remove
 * return address, size, stack id (< 2^24, the depot's limit), kind, scan state and the allocation
 * time (mp_heap_now at insert, 24 bits) exactly; unknown addresses are not found;
 * a re-insert replaces the record; sizes that do not fit the packed field (>= 2^26-1, the side
 * table) round-trip exactly, also across removals in the side table; 1,000,000 blocks laid out
 * like a real allocator's (16-byte aligned neighbours sharing pages, page-aligned large blocks,
 * a few huge ones) stay findable while the shards grow, and after removing a random half exactly
 * the other half is found (backward-shift deletion, wraparound included); the scan interface
 * (mp_heap_live_count, mp_heap_foreach, mp_heap_index_of, mp_heap_get, mp_heap_get/set_state)
 * sees each live block exactly once; mp_heap_totals counts what was inserted and removed;
 * 4 threads inserting and removing disjoint address sets (interleaved in the same pages, and
 * private ranges) end with exactly the expected live set; the holder of mp_heap_lock_all may call
 * the mp_heap_* functions; every call restores the thread state; with no memory left for a
 * table (RLIMIT_AS used up), a shard records blocks until its table is full. The first phases run while the
 * process has one thread (heap.c then skips the shard locks), the later ones with threads.
 * A watchdog turns a hang into a failure naming the phase. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/record/heap.h"

/* Stand-in: mp_tls is defined in src/preload/runtime/runtime.c, which drags in the whole preload library
 * (hooks, options, scan, report entry). The table needs only this symbol. */
__thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

#define NBLOCKS 1000000
#define NTHREADS 4
#define TSLOTS 100000               /* address slots per thread */
#define TOPS (ASAN ? 400000 : 1000000) /* operations per thread */
#define SIZE_BIG ((1ull << 25) - 1)  /* the first size that does not fit the packed field */

/* Bugs of heap.c this test found, fixed since; the flags let a check be marked as a known bug
 * (XFAIL while it fails, not counted) when a new one is found. All 0: every check counts.
 *  1. big_put/big_get took big_lock even when the thread held all locks (holds_all_locks): the
 *     holder of mp_heap_lock_all deadlocked on a block of >= 2^26-1 bytes.
 *  2. mp_heap_remove added the size of a big block to the bytes freed even when its kind was
 *     MP_ALLOC_INTERNAL.
 *  3. mp_heap_remove added a big block's size to the shard's bfree with an atomic add after
 *     dropping the shard lock, while other removals did a plain += under the lock: the atomic add
 *     could be lost. */
#define KNOWN_BUG_BIG_LOCK 0
#define KNOWN_BUG_BFREE_INTERNAL 0
#define KNOWN_BUG_BFREE_RACE 0
static int xfailed, xpassed;

/* racy: a pass may only mean the race was not hit this run. */
static void known_bug(int flag, int racy, int ok, const char *what)
{
    if (!flag) {
        CHECK(ok, "%s", what);
    } else if (!ok) {
        xfailed++;
        printf("XFAIL (known bug, see the top of test_heap.c): %s\n", what);
    } else if (racy) {
        printf("known bug not reproduced this run: %s\n", what);
    } else {
        xpassed++;
        printf("XPASS: no longer fails, set its KNOWN_BUG flag to 0: %s\n", what);
    }
}

/* ---- watchdog: a deadlock becomes a failure naming the phase ---- */

static const char *volatile phase = "start";

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "FAIL: timed out (deadlock?) in phase: ";
    const char *p = phase;
    ssize_t r = write(1, m, sizeof m - 1);
    r = write(1, p, strlen(p));
    r = write(1, "\n", 1);
    (void)r;
    _exit(1);
}

/* ---- helpers ---- */

static uint64_t rnd_r(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { return rnd_r(&rnd_state); }

/* Does b hold exactly (addr, size, stack, kind, state)? If not, says what differs in why. */
static int block_is(const struct mp_block *b, uintptr_t addr, size_t size, uint32_t stack,
                    unsigned kind, unsigned state, char *why, size_t len)
{
    if (b->addr != addr)
        snprintf(why, len, "%#lx: addr: expected %#lx, actual %#lx", (unsigned long)addr,
                 (unsigned long)addr, (unsigned long)b->addr);
    else if (b->size != size)
        snprintf(why, len, "%#lx: size: expected %#lx, actual %#lx", (unsigned long)addr,
                 (unsigned long)size, (unsigned long)b->size);
    else if (b->stack != stack)
        snprintf(why, len, "%#lx: stack: expected %#x, actual %#x", (unsigned long)addr, stack,
                 b->stack);
    else if (b->kind != kind)
        snprintf(why, len, "%#lx: kind: expected %u, actual %u", (unsigned long)addr, kind, b->kind);
    else if (b->state != state)
        snprintf(why, len, "%#lx: state: expected %u, actual %u", (unsigned long)addr, state,
                 b->state);
    else
        return 1;
    return 0;
}

static size_t live_count(void)
{
    mp_heap_lock_all();
    size_t n = mp_heap_live_count();
    mp_heap_unlock_all();
    return n;
}

struct totals {
    uint64_t nalloc, balloc, nfree, bfree;
};

static struct totals totals(void)
{
    struct totals t;
    mp_heap_totals(&t.nalloc, &t.balloc, &t.nfree, &t.bfree);
    return t;
}

/* ---- 1. single blocks ---- */

static void test_basic(void)
{
    phase = "single blocks";
    char why[256];
    struct mp_block b;
    /* On tables that do not exist yet, and on any address: a hint, never a fault. */
    for (uintptr_t a = 16; a < ((uintptr_t)1 << 47); a = a * 3 + 16)
        mp_heap_prefetch(a);
    CHECK(!mp_heap_find(0x555555559ab0, &b), "find on an empty table found %#lx", (unsigned long)b.addr);
    CHECK(!mp_heap_remove(0x555555559ab0, &b), "remove on an empty table succeeded");
    CHECK(live_count() == 0, "empty table: live count %zu", live_count());

    struct totals t0 = totals();
    static const struct {
        uintptr_t addr;
        size_t size;
        uint32_t stack;
        unsigned kind;
    } one[] = {
        {0x555555559ab0, 24, 1, MP_ALLOC_MALLOC},
        {0x555555559ad0, 0, 0, MP_ALLOC_CALLOC},
        {0x555555559ae0, 1, 0x00ffffffu, MP_ALLOC_REALLOC},     /* largest depot id */
        {0x55555555a000, 4096, 0x00800000u, MP_ALLOC_MEMALIGN},
        {0x55555555b010, 100, 0x00ffffffu, MP_ALLOC_NEW},
        {0x55555555b080, 800, 0x00fffffeu, MP_ALLOC_NEW_ARRAY},
        {0x55555555c000, 64, 12345, MP_ALLOC_NEW_ALIGNED},
        {0x55555555c040, SIZE_BIG - 1, 777, MP_ALLOC_NEW_ARRAY_ALIGNED},
        {0x55555555c050, 48, 99, MP_ALLOC_INTERNAL},
        {0x7ffff7e00010, 200000, 5, MP_ALLOC_MALLOC},
        {0x10, 16, 6, MP_ALLOC_MALLOC},                      /* lowest address */
        {0x7ffffffff000 - 16, 16, 7, MP_ALLOC_MALLOC},       /* near the top */
        {0x555555559ab8, 8, 8, MP_ALLOC_MALLOC},             /* 8 bytes from a block */
        {0x555555559ab1, 3, 9, MP_ALLOC_MALLOC},             /* 1 byte from a block */
    };
    const unsigned n = sizeof one / sizeof one[0];
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        int rc = mp_heap_insert(one[i].addr, one[i].size, one[i].stack, one[i].kind);
        CHECK(rc >= 0, "insert %#lx: returned %d", (unsigned long)one[i].addr, rc);
        CHECK(mp_tls.state == MP_IN_PROGRAM, "insert left the thread state %d", mp_tls.state);
        if (one[i].kind != MP_ALLOC_INTERNAL)
            bytes += one[i].size;
    }
    CHECK(live_count() == n, "after %u inserts: live count %zu", n, live_count());
    for (unsigned i = 0; i < n; i++) {
        memset(&b, 0x5a, sizeof b);
        int f = mp_heap_find(one[i].addr, &b);
        CHECK(f == 1, "find %#lx: returned %d", (unsigned long)one[i].addr, f);
        CHECK(mp_tls.state == MP_IN_PROGRAM, "find left the thread state %d", mp_tls.state);
        CHECK(f && block_is(&b, one[i].addr, one[i].size, one[i].stack, one[i].kind, 0, why, sizeof why),
              "find: %s", why);
    }
    for (uintptr_t a = 0x555555559a00; a < 0x555555559b00; a += 8) {
        int known = 0;
        for (unsigned i = 0; i < n; i++)
            known |= one[i].addr == a;
        if (!known)
            CHECK(!mp_heap_find(a, &b) && !mp_heap_remove(a, &b),
                  "%#lx (never inserted, near inserted blocks) was found", (unsigned long)a);
    }
    /* Remove every other one; the rest stay; removed ones are gone. */
    for (unsigned i = 0; i < n; i += 2) {
        memset(&b, 0x5a, sizeof b);
        int r = mp_heap_remove(one[i].addr, &b);
        CHECK(r == 1, "remove %#lx: returned %d", (unsigned long)one[i].addr, r);
        CHECK(mp_tls.state == MP_IN_PROGRAM, "remove left the thread state %d", mp_tls.state);
        CHECK(r && block_is(&b, one[i].addr, one[i].size, one[i].stack, one[i].kind, 0, why, sizeof why),
              "remove: %s", why);
        CHECK(!mp_heap_remove(one[i].addr, &b), "second remove of %#lx succeeded",
              (unsigned long)one[i].addr);
    }
    for (unsigned i = 0; i < n; i++) {
        int f = mp_heap_find(one[i].addr, &b);
        CHECK(f == (i & 1), "%#lx (%s): find returned %d", (unsigned long)one[i].addr,
              i & 1 ? "kept" : "removed", f);
        if (f && (i & 1))
            CHECK(block_is(&b, one[i].addr, one[i].size, one[i].stack, one[i].kind, 0, why, sizeof why),
                  "after removing its neighbours: %s", why);
    }
    CHECK(live_count() == n / 2, "after removing %u of %u: live count %zu", n - n / 2, n, live_count());
    for (unsigned i = 1; i < n; i += 2)
        mp_heap_remove(one[i].addr, &b);

    struct totals t1 = totals();
    unsigned counted = 0;
    for (unsigned i = 0; i < n; i++)
        counted += one[i].kind != MP_ALLOC_INTERNAL;
    CHECK(t1.nalloc - t0.nalloc == counted, "totals: %lu allocations counted, expected %u (internal ones are not)",
          (unsigned long)(t1.nalloc - t0.nalloc), counted);
    CHECK(t1.balloc - t0.balloc == bytes, "totals: %lu bytes allocated counted, expected %lu",
          (unsigned long)(t1.balloc - t0.balloc), (unsigned long)bytes);
    CHECK(t1.nfree - t0.nfree == counted, "totals: %lu frees counted, expected %u",
          (unsigned long)(t1.nfree - t0.nfree), counted);
    CHECK(t1.bfree - t0.bfree == bytes, "totals: %lu bytes freed counted, expected %lu",
          (unsigned long)(t1.bfree - t0.bfree), (unsigned long)bytes);
    /* Allocation times: every stored bit of the 24-bit clock comes back, and the address next
     * to it is unchanged (the time shares the address word). */
    {
        static const uint32_t times[] = {0, 1, 0xff, 0x100, 0xabcdef, 0xffffff};
        for (unsigned k = 0; k < sizeof times / sizeof times[0]; k++) {
            uintptr_t a = 0x7ffff7f00000 + 64 * k;
            mp_heap_now = times[k];
            CHECK(mp_heap_insert(a, 32, 3, MP_ALLOC_MALLOC) >= 0, "insert %#lx failed", (unsigned long)a);
            mp_heap_now = 0;
            memset(&b, 0x5a, sizeof b);
            CHECK(mp_heap_find(a, &b) && b.time == times[k] && b.addr == a && b.stack == 3,
                  "time %#x: found addr %#lx time %#x stack %u", times[k], (unsigned long)b.addr,
                  b.time, b.stack);
            CHECK(mp_heap_remove(a, &b) && b.time == times[k], "remove: time %#x, expected %#x",
                  b.time, times[k]);
            CHECK(!mp_heap_find(a, &b), "%#lx found after its removal", (unsigned long)a);
        }
    }

    /* Re-insert without a remove (a free the hooks did not see): the new record replaces the old
     * one, which is not found any more (no second entry). From MP_IN_TOOL too. */
    const uintptr_t a = 0x5555555601a0;
    mp_heap_insert(a, 40, 11, MP_ALLOC_MALLOC);
    mp_tls.state = MP_IN_TOOL;
    mp_heap_insert(a, 72, 22, MP_ALLOC_NEW);
    CHECK(mp_tls.state == MP_IN_TOOL, "insert in MP_IN_TOOL left the state %d", mp_tls.state);
    mp_tls.state = MP_IN_PROGRAM;
    CHECK(live_count() == 1, "re-insert: live count %zu, expected 1", live_count());
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 72, 22, MP_ALLOC_NEW, 0, why, sizeof why),
          "re-insert, find: %s", why);
    CHECK(mp_heap_remove(a, &b) && block_is(&b, a, 72, 22, MP_ALLOC_NEW, 0, why, sizeof why),
          "re-insert, remove: %s", why);
    CHECK(!mp_heap_find(a, &b), "re-insert then remove: the old record is still found (size %zu)",
          b.size);
    /* small -> big -> small -> big, each replacing the last */
    const size_t seq[] = {40, (size_t)1 << 30, 56, SIZE_BIG + 5, SIZE_BIG, 3};
    for (unsigned i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        mp_heap_insert(a, seq[i], 100 + i, MP_ALLOC_MALLOC);
        CHECK(mp_heap_find(a, &b) && block_is(&b, a, seq[i], 100 + i, MP_ALLOC_MALLOC, 0, why, sizeof why),
              "re-insert #%u: %s", i, why);
    }
    CHECK(mp_heap_remove(a, &b) && block_is(&b, a, 3, 105, MP_ALLOC_MALLOC, 0, why, sizeof why),
          "re-insert sequence, remove: %s", why);
    CHECK(live_count() == 0, "after the re-insert tests: live count %zu", live_count());
}

/* ---- 2. sizes that do not fit the packed field ---- */

static void test_big_sizes(void)
{
    phase = "big sizes";
    char why[256];
    struct mp_block b;
    static const size_t sizes[] = {SIZE_BIG - 2, SIZE_BIG - 1, SIZE_BIG, SIZE_BIG + 1,
                                   (size_t)1 << 26, ((size_t)1 << 26) + 1, ((size_t)1 << 32) - 1,
                                   (size_t)1 << 32, ((size_t)1 << 32) + 16, ((size_t)1 << 40) + 3,
                                   (size_t)1 << 47, ((size_t)1 << 62) + 12345};
    const unsigned n = sizeof sizes / sizeof sizes[0];
    const uintptr_t base = 0x7f1000000000;
    struct totals t0 = totals();
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        mp_heap_insert(base + ((uintptr_t)i << 32), sizes[i], 1000 + i, i % 8);
        bytes += sizes[i];
    }
    for (int round = 0; round < 2; round++)
        for (unsigned i = 0; i < n; i++)
            CHECK(mp_heap_find(base + ((uintptr_t)i << 32), &b) &&
                      block_is(&b, base + ((uintptr_t)i << 32), sizes[i], 1000 + i, i % 8, 0, why, sizeof why),
                  "size %#zx, find #%d: %s", sizes[i], round + 1, why);
    for (unsigned i = 0; i < n; i++)
        CHECK(mp_heap_remove(base + ((uintptr_t)i << 32), &b) &&
                  block_is(&b, base + ((uintptr_t)i << 32), sizes[i], 1000 + i, i % 8, 0, why, sizeof why),
              "size %#zx, remove: %s", sizes[i], why);
    struct totals t1 = totals();
    CHECK(t1.balloc - t0.balloc == bytes && t1.bfree - t0.bfree == bytes,
          "totals with big sizes: %#lx allocated, %#lx freed, expected %#lx",
          (unsigned long)(t1.balloc - t0.balloc), (unsigned long)(t1.bfree - t0.bfree),
          (unsigned long)bytes);

    /* Many at once, removed and re-inserted in rounds: probe chains in the side table (with its
     * removal marks) must keep every size. Mapped-block addresses: page-aligned, a few GiB apart
     * like real huge mappings, and 64 MiB apart (neighbours). */
    enum { NB = 3000 };
    static uintptr_t addr[NB];
    static size_t size[NB];
    static char live[NB];
    for (unsigned i = 0; i < NB; i++) {
        addr[i] = i & 1 ? 0x7e0000000000 + (uintptr_t)i * (1u << 26) : 0x600000000000 + (uintptr_t)i * ((uintptr_t)3 << 31);
        size[i] = SIZE_BIG + rnd() % ((uint64_t)1 << 34);
        mp_heap_insert(addr[i], size[i], i, MP_ALLOC_MALLOC);
        live[i] = 1;
    }
    unsigned bad = 0, bad_dead = 0;
    for (int round = 0; round < 4; round++) {
        for (unsigned i = 0; i < NB; i++) {
            if (rnd() & 1)
                continue;
            if (live[i]) {
                if ((!mp_heap_remove(addr[i], &b) ||
                     !block_is(&b, addr[i], size[i], i, MP_ALLOC_MALLOC, 0, why, sizeof why)) && bad++ < 5)
                    printf("  round %d, remove: %s\n", round, why);
            } else {
                size[i] = SIZE_BIG + rnd() % ((uint64_t)1 << 34);
                mp_heap_insert(addr[i], size[i], i, MP_ALLOC_MALLOC);
            }
            live[i] ^= 1;
        }
        for (unsigned i = 0; i < NB; i++) {
            int f = mp_heap_find(addr[i], &b);
            if (live[i] && (!f || !block_is(&b, addr[i], size[i], i, MP_ALLOC_MALLOC, 0, why, sizeof why)) &&
                bad++ < 5)
                printf("  round %d, find: %s\n", round, f ? why : "not found");
            if (!live[i] && f && bad_dead++ < 5)
                printf("  round %d: removed block %#lx found\n", round, (unsigned long)addr[i]);
        }
    }
    CHECK(bad == 0, "%u big blocks had a wrong record in 4 rounds of removing and re-inserting", bad);
    CHECK(bad_dead == 0, "%u removed big blocks were found", bad_dead);
    for (unsigned i = 0; i < NB; i++)
        if (live[i])
            mp_heap_remove(addr[i], &b);
    CHECK(live_count() == 0, "after the big-size tests: live count %zu", live_count());
}

/* ---- the expected blocks, and an index from address to block ---- */

struct blocks {
    uint32_t n;
    uintptr_t *addr;
    size_t *size;
    uint32_t *stack;
    unsigned char *kind, *live, *state, *seen;
    uint32_t mapcap;
    uint32_t *map; /* open addressing: block index + 1, 0 = empty */
};

static uint32_t map_home(const struct blocks *bl, uintptr_t a)
{
    return (uint32_t)(((a >> 4) * 0xff51afd7ed558ccdull) >> 32) & (bl->mapcap - 1);
}

static void map_add(struct blocks *bl, uint32_t i)
{
    uint32_t h = map_home(bl, bl->addr[i]);
    while (bl->map[h])
        h = (h + 1) & (bl->mapcap - 1);
    bl->map[h] = i + 1;
}

/* The block with address a, or UINT32_MAX. */
static uint32_t map_find(const struct blocks *bl, uintptr_t a)
{
    for (uint32_t h = map_home(bl, a); bl->map[h]; h = (h + 1) & (bl->mapcap - 1))
        if (bl->addr[bl->map[h] - 1] == a)
            return bl->map[h] - 1;
    return UINT32_MAX;
}

static void blocks_alloc(struct blocks *bl, uint32_t n)
{
    bl->n = n;
    bl->addr = calloc(n, sizeof *bl->addr);
    bl->size = calloc(n, sizeof *bl->size);
    bl->stack = calloc(n, sizeof *bl->stack);
    bl->kind = calloc(n, 1);
    bl->live = calloc(n, 1);
    bl->state = calloc(n, 1);
    bl->seen = calloc(n, 1);
    bl->mapcap = 1;
    while (bl->mapcap < n * 2)
        bl->mapcap <<= 1;
    bl->map = calloc(bl->mapcap, sizeof *bl->map);
}

static void blocks_free(struct blocks *bl)
{
    free(bl->addr), free(bl->size), free(bl->stack), free(bl->kind), free(bl->live);
    free(bl->state), free(bl->seen), free(bl->map);
}

static unsigned random_kind(uint64_t r) { return r % 50 == 0 ? MP_ALLOC_INTERNAL : (unsigned)(r % 8); }

/* n blocks as an allocator lays them out: small chunks bumped through a heap (16-byte headers,
 * 16-byte aligned, neighbours in one page), page-aligned memalign blocks in it, page-aligned
 * mmapped large blocks elsewhere, and every 2000th a huge one (>= 2^26-1 bytes). */
static void make_layout(struct blocks *bl, uint32_t n)
{
    blocks_alloc(bl, n);
    uintptr_t heap = 0x555555a00000, mm = 0x7f2000000000;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        unsigned pick = (unsigned)(r % 1000);
        size_t size;
        uintptr_t a;
        if (i % 2000 == 1999) {
            size = SIZE_BIG + rnd() % ((uint64_t)1 << 32);
            a = mm;
            mm += (size + 4095 + 4096) & ~(uintptr_t)4095;
        } else if (pick < 10) {
            size = 131072 + rnd() % (4u << 20);
            a = mm;
            mm += (size + 4095 + 4096) & ~(uintptr_t)4095;
        } else if (pick < 20) {
            size = 1 + rnd() % 8192;
            heap = (heap + 16 + 4095) & ~(uintptr_t)4095;
            a = heap;
            heap += (size + 15) & ~(size_t)15;
        } else {
            size = pick < 700 ? rnd() % 129 : 129 + rnd() % 4000;
            size_t chunk = (size + 8 + 15) & ~(size_t)15;
            if (chunk < 32)
                chunk = 32;
            a = heap + 16;
            heap += chunk;
        }
        bl->addr[i] = a;
        bl->size[i] = size;
        bl->stack[i] = (uint32_t)(r >> 40); /* depot ids: 24 bits */
        bl->kind[i] = (unsigned char)random_kind(r >> 16);
        map_add(bl, i);
    }
}

/* Every block of bl: found with its record if live, not found if not. */
static void check_finds(const struct blocks *bl, const char *when)
{
    char why[256];
    struct mp_block b;
    unsigned lost = 0, wrong = 0, ghost = 0;
    for (uint32_t i = 0; i < bl->n; i++) {
        int f = mp_heap_find(bl->addr[i], &b);
        if (bl->live[i] && !f) {
            if (lost++ < 5)
                printf("  %s: block %u %#lx (size %zu) not found\n", when, i,
                       (unsigned long)bl->addr[i], bl->size[i]);
        } else if (bl->live[i] && !block_is(&b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i],
                                            bl->state[i], why, sizeof why)) {
            if (wrong++ < 5)
                printf("  %s: block %u: %s\n", when, i, why);
        } else if (!bl->live[i] && f) {
            if (ghost++ < 5)
                printf("  %s: removed block %u %#lx found\n", when, i, (unsigned long)bl->addr[i]);
        }
    }
    CHECK(lost == 0, "%s: %u live blocks not found", when, lost);
    CHECK(wrong == 0, "%s: %u live blocks with a wrong record", when, wrong);
    CHECK(ghost == 0, "%s: %u removed blocks found", when, ghost);
}

/* ---- 3. growth to 1,000,000 blocks, then removing a random half ---- */

static struct blocks layout;

static void test_growth(void)
{
    phase = "growth: inserting";
    char why[256];
    struct mp_block b;
    make_layout(&layout, NBLOCKS);
    struct blocks *bl = &layout;
    unsigned rcbad = 0, lost = 0;
    for (uint32_t i = 0; i < bl->n; i++) {
        mp_heap_prefetch(bl->addr[i]);
        if (mp_heap_insert(bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i]) < 0 && rcbad++ < 5)
            printf("  insert of block %u failed\n", i);
        bl->live[i] = 1;
        /* an earlier block, while the tables grow */
        uint32_t j = (uint32_t)(rnd() % (i + 1));
        if ((!mp_heap_find(bl->addr[j], &b) ||
             !block_is(&b, bl->addr[j], bl->size[j], bl->stack[j], bl->kind[j], 0, why, sizeof why)) &&
            lost++ < 5)
            printf("  after %u inserts, block %u: %s\n", i + 1, j, why);
    }
    CHECK(rcbad == 0, "%u of %u inserts failed", rcbad, bl->n);
    CHECK(lost == 0, "%u earlier blocks were wrong or missing during growth", lost);
    CHECK(live_count() == bl->n, "after %u inserts: live count %zu", bl->n, live_count());
    phase = "growth: finding all";
    check_finds(bl, "1,000,000 blocks");

    phase = "growth: removing a random half";
    uint32_t *order = malloc(sizeof *order * bl->n);
    for (uint32_t i = 0; i < bl->n; i++)
        order[i] = i;
    for (uint32_t i = bl->n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd() % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    unsigned bad = 0;
    for (uint32_t k = 0; k < bl->n / 2; k++) {
        uint32_t i = order[k];
        memset(&b, 0x5a, sizeof b);
        if ((!mp_heap_remove(bl->addr[i], &b) ||
             !block_is(&b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], 0, why, sizeof why)) &&
            bad++ < 5)
            printf("  removing block %u: %s\n", i, why);
        bl->live[i] = 0;
    }
    free(order);
    CHECK(bad == 0, "%u removals returned a wrong record or failed", bad);
    CHECK(live_count() == bl->n - bl->n / 2, "after removing half: live count %zu, expected %u",
          live_count(), bl->n - bl->n / 2);
    phase = "growth: finding the other half";
    check_finds(bl, "after removing a random half");
}

/* ---- 4. the scan interface (all locks held) ---- */

struct scan_ctx {
    struct blocks *bl;
    int pass; /* 0: check state 0, set states; 1: check them, set others; 2: check those */
    unsigned visits, unknown, dead, twice, wrong, badidx, badget, badstate;
    unsigned stop_after;
};

static int visit(uint32_t idx, const struct mp_block *b, void *arg)
{
    struct scan_ctx *c = arg;
    char why[256];
    c->visits++;
    if (c->stop_after)
        return c->visits == c->stop_after;
    struct blocks *bl = c->bl;
    uint32_t i = map_find(bl, b->addr);
    if (i == UINT32_MAX) {
        if (c->unknown++ < 5)
            printf("  foreach: visited %#lx, never inserted\n", (unsigned long)b->addr);
        return 0;
    }
    if (!bl->live[i]) {
        if (c->dead++ < 5)
            printf("  foreach: visited removed block %#lx\n", (unsigned long)b->addr);
        return 0;
    }
    if (bl->seen[i]++ && c->twice++ < 5)
        printf("  foreach: visited %#lx again\n", (unsigned long)b->addr);
    unsigned st = bl->state[i];
    if (!block_is(b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], st, why, sizeof why) &&
        c->wrong++ < 5)
        printf("  foreach pass %d: %s\n", c->pass, why);
    uint32_t at = mp_heap_index_of(b->addr);
    if (at != idx && c->badidx++ < 5)
        printf("  foreach gave index %#x for %#lx, mp_heap_index_of %#x\n", idx,
               (unsigned long)b->addr, at);
    struct mp_block g;
    memset(&g, 0x5a, sizeof g);
    mp_heap_get(idx, &g);
    if (!block_is(&g, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], st, why, sizeof why) &&
        c->badget++ < 5)
        printf("  mp_heap_get(%#x): %s\n", idx, why);
    if (mp_heap_get_state(idx) != st && c->badstate++ < 5)
        printf("  mp_heap_get_state(%#x) for %#lx: %u, expected %u\n", idx, (unsigned long)b->addr,
               mp_heap_get_state(idx), st);
    if (c->pass < 2) {
        bl->state[i] = (unsigned char)(((b->addr >> 4) + bl->stack[i] + (unsigned)c->pass) & 3);
        mp_heap_set_state(idx, bl->state[i]);
    }
    return 0;
}

static void check_scan(struct blocks *bl, const char *when)
{
    char what[160];
    size_t nlive = 0;
    for (uint32_t i = 0; i < bl->n; i++)
        nlive += bl->live[i];
    snprintf(what, sizeof what, "scan interface, %s", when);
    phase = what;
    mp_heap_lock_all();
    size_t lc = mp_heap_live_count();
    struct scan_ctx c[3];
    for (int pass = 0; pass < 3; pass++) {
        memset(&c[pass], 0, sizeof c[pass]);
        c[pass].bl = bl;
        c[pass].pass = pass;
        memset(bl->seen, 0, bl->n);
        mp_heap_foreach(visit, &c[pass]);
    }
    unsigned missed = 0;
    for (uint32_t i = 0; i < bl->n; i++)
        if (bl->live[i] && bl->seen[i] != 1 && missed++ < 5)
            printf("  %s: live block %u %#lx visited %d times by the last foreach\n", when, i,
                   (unsigned long)bl->addr[i], bl->seen[i]);
    /* early stop */
    struct scan_ctx stop = {.stop_after = 1000};
    mp_heap_foreach(visit, &stop);
    /* removed blocks have no index */
    unsigned badnone = 0;
    for (uint32_t i = 0; i < bl->n; i++)
        if (!bl->live[i] && mp_heap_index_of(bl->addr[i]) != MP_HEAP_NONE && badnone++ < 5)
            printf("  %s: removed block %#lx has index %#x\n", when, (unsigned long)bl->addr[i],
                   mp_heap_index_of(bl->addr[i]));
    mp_heap_unlock_all();

    CHECK(lc == nlive, "%s: mp_heap_live_count %zu, expected %zu", when, lc, nlive);
    for (int pass = 0; pass < 3; pass++) {
        CHECK(c[pass].visits == nlive, "%s: foreach #%d made %u calls for %zu live blocks", when,
              pass + 1, c[pass].visits, nlive);
        CHECK(!c[pass].unknown && !c[pass].dead && !c[pass].twice,
              "%s: foreach #%d visited %u unknown, %u removed blocks, %u blocks twice", when,
              pass + 1, c[pass].unknown, c[pass].dead, c[pass].twice);
        CHECK(!c[pass].wrong, "%s: foreach #%d: %u wrong records", when, pass + 1, c[pass].wrong);
        CHECK(!c[pass].badidx, "%s: foreach #%d: %u indexes differ from mp_heap_index_of", when,
              pass + 1, c[pass].badidx);
        CHECK(!c[pass].badget, "%s: foreach #%d: %u wrong mp_heap_get records", when, pass + 1,
              c[pass].badget);
        CHECK(!c[pass].badstate, "%s: foreach #%d: %u wrong mp_heap_get_state", when, pass + 1,
              c[pass].badstate);
    }
    CHECK(missed == 0, "%s: %u live blocks not visited exactly once", when, missed);
    CHECK(stop.visits == 1000, "%s: foreach whose callback returns 1 at call 1000 made %u calls",
          when, stop.visits);
    CHECK(badnone == 0, "%s: %u removed blocks have an index", when, badnone);
    /* The states set under the locks are what find and remove report (check_finds compares
     * bl->state); then they are reset, each by the scan interface again. */
    snprintf(what, sizeof what, "%s, states set by the scan", when);
    check_finds(bl, what);
    mp_heap_lock_all();
    for (uint32_t i = 0; i < bl->n; i++)
        if (bl->live[i]) {
            mp_heap_set_state(mp_heap_index_of(bl->addr[i]), 0);
            bl->state[i] = 0;
        }
    mp_heap_unlock_all();
}

/* ---- 5. threads ---- */

struct worker {
    int t;
    struct blocks *bl; /* shared; thread t owns blocks t, t + NTHREADS, ... */
    uint64_t nalloc, balloc, nfree, bfree, bfree_big;
    unsigned bad_rc, bad_remove, bad_find, bad_ghost, bad_state;
};

static pthread_barrier_t start_line;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct blocks *bl = w->bl;
    char why[256];
    struct mp_block b;
    uint64_t rs = 0xabcdef12345ull + (uint64_t)w->t * 0x9E3779B97F4A7C15ull;
    const uint32_t mine = bl->n / NTHREADS;
    pthread_barrier_wait(&start_line);
    for (uint32_t op = 0; op < TOPS; op++) {
        uint64_t r = rnd_r(&rs);
        uint32_t i = (uint32_t)(r % mine) * NTHREADS + (uint32_t)w->t;
        if (!bl->live[i]) {
            bl->size[i] = (r >> 40) % 997 == 0 ? SIZE_BIG + (r >> 20) % 1000000 : (r >> 20) % 600;
            bl->stack[i] = (uint32_t)(r >> 8) & 0xffffff;
            bl->kind[i] = (unsigned char)random_kind(r >> 24);
            if (bl->size[i] >= SIZE_BIG && bl->kind[i] == MP_ALLOC_INTERNAL)
                bl->kind[i] = MP_ALLOC_MALLOC; /* known bug 2 (see below) stays out of this */
            if (mp_heap_insert(bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i]) < 0 &&
                w->bad_rc++ < 3)
                printf("  thread %d: insert failed\n", w->t);
            bl->live[i] = 1;
            if (bl->kind[i] != MP_ALLOC_INTERNAL)
                w->nalloc++, w->balloc += bl->size[i];
        } else if ((r >> 60) < 12) {
            if ((!mp_heap_remove(bl->addr[i], &b) ||
                 !block_is(&b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], 0, why, sizeof why)) &&
                w->bad_remove++ < 3)
                printf("  thread %d: remove: %s\n", w->t, why);
            bl->live[i] = 0;
            if (bl->kind[i] != MP_ALLOC_INTERNAL)
                w->nfree++, w->bfree += bl->size[i];
            if (bl->size[i] >= SIZE_BIG)
                w->bfree_big += bl->size[i];
        } else {
            if ((!mp_heap_find(bl->addr[i], &b) ||
                 !block_is(&b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], 0, why, sizeof why)) &&
                w->bad_find++ < 3)
                printf("  thread %d: find: %s\n", w->t, why);
        }
        /* a block of this thread that is not live is not found */
        uint32_t k = (uint32_t)((r >> 4) % mine) * NTHREADS + (uint32_t)w->t;
        if (!bl->live[k] && mp_heap_find(bl->addr[k], &b) && w->bad_ghost++ < 3)
            printf("  thread %d: removed block %#lx found\n", w->t, (unsigned long)bl->addr[k]);
        if (mp_tls.state != MP_IN_PROGRAM)
            w->bad_state++;
    }
    return NULL;
}

static struct blocks tb;

static void test_threads(void)
{
    phase = "threads: racing";
    /* Slots: the first half interleaved across the threads in the same pages (same shards, same
     * table windows), the second half in each thread's own range. */
    blocks_alloc(&tb, NTHREADS * TSLOTS);
    for (uint32_t i = 0; i < tb.n; i++) {
        uint32_t t = i % NTHREADS, k = i / NTHREADS;
        tb.addr[i] = k < TSLOTS / 2 ? 0x555556000010 + (uintptr_t)i * 48
                                    : 0x7f4000000000 + ((uintptr_t)t << 36) + (uintptr_t)k * 32;
        map_add(&tb, i);
    }
    struct totals t0 = totals();
    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    for (int t = 0; t < NTHREADS; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].t = t;
        w[t].bl = &tb;
        pthread_create(&th[t], NULL, worker_main, &w[t]);
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start_line);

    phase = "threads: checking";
    struct totals t1 = totals(), want = {0, 0, 0, 0};
    uint64_t big_freed = 0;
    unsigned bad_rc = 0, bad_remove = 0, bad_find = 0, bad_ghost = 0, bad_state = 0;
    for (int t = 0; t < NTHREADS; t++) {
        bad_rc += w[t].bad_rc, bad_remove += w[t].bad_remove, bad_find += w[t].bad_find;
        bad_ghost += w[t].bad_ghost, bad_state += w[t].bad_state;
        want.nalloc += w[t].nalloc, want.balloc += w[t].balloc;
        want.nfree += w[t].nfree, want.bfree += w[t].bfree;
        big_freed += w[t].bfree_big;
    }
    CHECK(bad_rc == 0, "threads: %u inserts failed", bad_rc);
    CHECK(bad_remove == 0, "threads: %u removes failed or returned a wrong record", bad_remove);
    CHECK(bad_find == 0, "threads: %u finds failed or returned a wrong record", bad_find);
    CHECK(bad_ghost == 0, "threads: %u removed blocks found", bad_ghost);
    CHECK(bad_state == 0, "threads: %u calls left the thread state other than MP_IN_PROGRAM", bad_state);
    CHECK(t1.nalloc - t0.nalloc == want.nalloc && t1.balloc - t0.balloc == want.balloc,
          "threads: totals counted %lu allocations of %lu bytes, expected %lu of %lu",
          (unsigned long)(t1.nalloc - t0.nalloc), (unsigned long)(t1.balloc - t0.balloc),
          (unsigned long)want.nalloc, (unsigned long)want.balloc);
    CHECK(t1.nfree - t0.nfree == want.nfree, "threads: totals counted %lu frees, expected %lu",
          (unsigned long)(t1.nfree - t0.nfree), (unsigned long)want.nfree);
    /* Known bug 3 (below) can lose the bytes of big blocks, never others. */
    uint64_t bfree = t1.bfree - t0.bfree, slack = KNOWN_BUG_BFREE_RACE ? big_freed : 0;
    CHECK(bfree <= want.bfree && bfree + slack >= want.bfree,
          "threads: totals counted %lu bytes freed, expected %lu%s", (unsigned long)bfree,
          (unsigned long)want.bfree,
          slack ? " (less by at most the bytes of big blocks, known bug 3)" : "");
    size_t nlive = 0;
    for (uint32_t i = 0; i < tb.n; i++)
        nlive += tb.live[i];
    printf("  threads: %d x %d operations, %zu blocks live at the end\n", NTHREADS, TOPS, nlive);
    check_finds(&tb, "after the threads");
}

/* The holder of all locks calls the mp_heap_* functions (heap.h: they then do not lock). Run in
 * the threaded phase: with one thread heap.c skips the shard locks and a self-deadlock would not
 * show. Small blocks here; big ones in test_big_under_lock_all. */
static void test_under_lock_all(struct blocks *bl)
{
    phase = "mp_heap_* by the holder of mp_heap_lock_all (small blocks)";
    char why[256];
    struct mp_block b;
    unsigned bad = 0, tried = 0;
    mp_heap_lock_all();
    for (uint32_t i = 0; i < bl->n && tried < 2000; i++) {
        if (!bl->live[i] || bl->size[i] >= SIZE_BIG)
            continue;
        tried++;
        if ((!mp_heap_find(bl->addr[i], &b) ||
             !block_is(&b, bl->addr[i], bl->size[i], bl->stack[i], bl->kind[i], 0, why, sizeof why)) &&
            bad++ < 5)
            printf("  under lock_all, find: %s\n", why);
    }
    const uintptr_t a = 0x5555aaaa0010;
    int rc = mp_heap_insert(a, 64, 4242, MP_ALLOC_NEW);
    int f = mp_heap_find(a, &b) && block_is(&b, a, 64, 4242, MP_ALLOC_NEW, 0, why, sizeof why);
    int r = mp_heap_remove(a, &b);
    int st = mp_tls.state, holds = mp_tls.holds_all_locks;
    mp_heap_unlock_all();
    CHECK(bad == 0, "under mp_heap_lock_all: %u of %u finds wrong", bad, tried);
    CHECK(rc >= 0 && f && r == 1, "under mp_heap_lock_all: insert %d, find %d, remove %d", rc, f, r);
    CHECK(st == MP_IN_PROGRAM && holds == 1,
          "under mp_heap_lock_all: thread state %d, holds_all_locks %d afterwards", st, holds);
    CHECK(!mp_heap_find(a, &b), "under mp_heap_lock_all: removed block found after unlock");
    CHECK(mp_tls.holds_all_locks == 0, "mp_heap_unlock_all left holds_all_locks %d",
          mp_tls.holds_all_locks);
}

/* The same for a block of a big size (its size lives in the side table, under its own lock,
 * which mp_heap_lock_all also takes). In a child process, so that a deadlock is a result. */
static int big_under_lock_all_ok(void)
{
    const uintptr_t a = 0x7f5000000000;
    const size_t size = (size_t)1 << 30;
    mp_heap_insert(a, size, 77, MP_ALLOC_MALLOC);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL);
        alarm(1); /* microseconds of work: a second is a deadlock */
        struct mp_block b;
        mp_heap_lock_all();
        int f = mp_heap_find(a, &b);
        mp_heap_unlock_all();
        _exit(f && b.size == size ? 0 : 1);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    struct mp_block b;
    mp_heap_remove(a, &b);
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM)
        printf("  find of a block of %zu bytes by the holder of mp_heap_lock_all: deadlock\n", size);
    else if (!WIFEXITED(ws) || WEXITSTATUS(ws))
        printf("  find of a block of %zu bytes by the holder of mp_heap_lock_all: wrong record\n", size);
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/* Known bug 1. */
static void test_big_under_lock_all(void)
{
    phase = "mp_heap_find of a big block by the holder of mp_heap_lock_all (child process)";
    known_bug(KNOWN_BUG_BIG_LOCK, 0, big_under_lock_all_ok(),
              "1: the holder of mp_heap_lock_all cannot find a block of a big size");
}

/* Known bug 2: an internal block of a big size, inserted and removed, changes no total. */
static void test_bfree_internal(void)
{
    phase = "totals: an internal block of a big size";
    struct mp_block b;
    struct totals t0 = totals();
    mp_heap_insert(0x7f6000000000, (size_t)1 << 30, 1, MP_ALLOC_INTERNAL);
    mp_heap_remove(0x7f6000000000, &b);
    struct totals t1 = totals();
    CHECK(t1.nalloc == t0.nalloc && t1.balloc == t0.balloc && t1.nfree == t0.nfree,
          "an internal block changed the totals: %lu allocations of %lu bytes, %lu frees",
          (unsigned long)(t1.nalloc - t0.nalloc), (unsigned long)(t1.balloc - t0.balloc),
          (unsigned long)(t1.nfree - t0.nfree));
    char what[160];
    snprintf(what, sizeof what, "2: removing an internal block of 1 GiB added %lu bytes freed",
             (unsigned long)(t1.bfree - t0.bfree));
    known_bug(KNOWN_BUG_BFREE_INTERNAL, 0, t1.bfree == t0.bfree, what);
}

/* Known bug 3: threads freeing big and small blocks of one shard (one page); the bytes freed
 * must add up. Timing-dependent (reproduced in every run tried, with and without ASan). */
enum { RACE_OPS = ASAN ? 400000 : 1000000 };
static uint64_t race_freed[NTHREADS];

static void *race_main(void *arg)
{
    long t = (long)(intptr_t)arg;
    struct mp_block b;
    pthread_barrier_wait(&start_line);
    for (long i = 0; i < RACE_OPS; i++) {
        uintptr_t a = 0x555500001000 + 16 * (uintptr_t)(t * 64 + (i & 63));
        size_t size = t & 1 ? SIZE_BIG + (size_t)(i % 1000) : 16 + (size_t)(i % 100);
        mp_heap_insert(a, size, 1, MP_ALLOC_MALLOC);
        mp_heap_remove(a, &b);
        race_freed[t] += size;
    }
    return NULL;
}

static void test_bfree_race(void)
{
    phase = "totals: threads freeing big and small blocks in one shard";
    struct totals t0 = totals();
    pthread_t th[NTHREADS];
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    for (long t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, race_main, (void *)(intptr_t)t);
    uint64_t want = 0;
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        want += race_freed[t];
    }
    pthread_barrier_destroy(&start_line);
    struct totals t1 = totals();
    CHECK(t1.balloc - t0.balloc == want, "%lu bytes allocated counted, expected %lu",
          (unsigned long)(t1.balloc - t0.balloc), (unsigned long)want);
    char what[200];
    snprintf(what, sizeof what, "3: %lu bytes freed counted, expected %lu (%lu lost)",
             (unsigned long)(t1.bfree - t0.bfree), (unsigned long)want,
             (unsigned long)(want - (t1.bfree - t0.bfree)));
    known_bug(KNOWN_BUG_BFREE_RACE, 1, t1.bfree - t0.bfree == want, what);
}

static void *nothing(void *arg) { return arg; }


/* ---- realloc in two steps (heap.h: mp_heap_realloc_begin / _end) ---- */

static int seen_by_foreach;
static uintptr_t foreach_target;
static int count_target(uint32_t idx, const struct mp_block *b, void *ctx)
{
    (void)idx;
    (void)ctx;
    if (b->addr == foreach_target)
        seen_by_foreach++;
    return 0;
}

static int visible_to_scan(uintptr_t a)
{
    mp_heap_lock_all();
    seen_by_foreach = 0;
    foreach_target = a;
    mp_heap_foreach(count_target, NULL);
    int idx_ok = mp_heap_index_of(a) != MP_HEAP_NONE;
    mp_heap_unlock_all();
    return seen_by_foreach + 2 * idx_ok;
}

static void test_realloc(void)
{
    phase = "realloc";
    char why[256];
    struct mp_block b;
    const uintptr_t a = 0x5555556f0040, q = 0x5555557f1000;
    size_t live0 = live_count();
    struct totals t0 = totals();

    /* in place: one entry, the realloc's size, stack and kind; counted as a free and an alloc */
    mp_heap_insert(a, 40, 7, MP_ALLOC_MALLOC);
    CHECK(mp_heap_realloc_begin(a, &b) && block_is(&b, a, 40, 7, MP_ALLOC_MALLOC, 0, why, sizeof why),
          "begin: %s", why);
    CHECK(visible_to_scan(a) == 0, "a block being reallocated is seen by the scan (%d)", visible_to_scan(a));
    CHECK(mp_heap_find(a, &b), "a block being reallocated is not found by mp_heap_find");
    CHECK(mp_heap_realloc_end(a, a, 900, 8, MP_ALLOC_REALLOC) >= 0, "end in place failed");
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 900, 8, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "in place, find: %s", why);
    CHECK(visible_to_scan(a) == 3, "after an in-place realloc the scan sees %d (expected 3)", visible_to_scan(a));
    CHECK(live_count() == live0 + 1, "in place: live count %zu, expected %zu", live_count(), live0 + 1);
    struct totals t1 = totals();
    CHECK(t1.nalloc - t0.nalloc == 2 && t1.balloc - t0.balloc == 940 && t1.nfree - t0.nfree == 1 &&
              t1.bfree - t0.bfree == 40,
          "in place: totals +%lu allocs %lu bytes, +%lu frees %lu bytes (expected 2/940, 1/40)",
          (unsigned long)(t1.nalloc - t0.nalloc), (unsigned long)(t1.balloc - t0.balloc),
          (unsigned long)(t1.nfree - t0.nfree), (unsigned long)(t1.bfree - t0.bfree));

    /* failed: the block is unchanged and visible again */
    CHECK(mp_heap_realloc_begin(a, &b), "begin after in place: not found");
    mp_heap_realloc_end(a, 0, 5000, 9, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 900, 8, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "failed realloc: %s", why);
    CHECK(visible_to_scan(a) == 3, "after a failed realloc the scan sees %d (expected 3)", visible_to_scan(a));

    /* moved: old entry gone, new one the realloc's */
    CHECK(mp_heap_realloc_begin(a, &b), "begin before a move: not found");
    mp_heap_realloc_end(a, q, 2000, 10, MP_ALLOC_REALLOC);
    CHECK(!mp_heap_find(a, &b), "moved: the old address is still found");
    CHECK(mp_heap_find(q, &b) && block_is(&b, q, 2000, 10, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "moved, find: %s", why);

    /* moved, and meanwhile another thread was handed the old address and recorded it: that
     * record stays */
    CHECK(mp_heap_realloc_begin(q, &b), "begin before a move (2): not found");
    mp_heap_insert(q, 24, 11, MP_ALLOC_NEW);
    mp_heap_realloc_end(q, a, 3000, 12, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(q, &b) && block_is(&b, q, 24, 11, MP_ALLOC_NEW, 0, why, sizeof why),
          "another thread's record of the old address: %s", why);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 3000, 12, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "moved (2), find: %s", why);

    /* to and from big sizes in place */
    CHECK(mp_heap_realloc_begin(a, &b), "begin before growing big: not found");
    mp_heap_realloc_end(a, a, (size_t)1 << 30, 13, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, (size_t)1 << 30, 13, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "grown big in place: %s", why);
    CHECK(mp_heap_realloc_begin(a, &b) && b.size == (size_t)1 << 30, "begin on a big block: size %zu", b.size);
    mp_heap_realloc_end(a, a, 64, 14, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 64, 14, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "shrunk from big in place: %s", why);

    /* a block freed (by a racing thread) while its realloc ran: in place, it is recorded again */
    CHECK(mp_heap_realloc_begin(a, &b), "begin before a racing free: not found");
    CHECK(mp_heap_remove(a, &b), "a block being reallocated cannot be removed");
    mp_heap_realloc_end(a, a, 80, 15, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 80, 15, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "in place after a racing free: %s", why);

    CHECK(!mp_heap_realloc_begin(0x5555556f9990, &b), "begin on an unknown address succeeded");
    mp_heap_remove(a, &b);
    mp_heap_remove(q, &b);
    CHECK(live_count() == live0, "after the realloc tests: live count %zu, expected %zu", live_count(), live0);
}

/* ---- realloc in one critical section (heap.h: mp_heap_realloc) ----
 * A stand-in for glibc's realloc answers what the test scripts: the block stays, moves, or the
 * realloc fails. */
static void *scripted_q;
static int scripted_calls;
static void *scripted_realloc(void *p, size_t n)
{
    (void)p;
    (void)n;
    scripted_calls++;
    return scripted_q;
}

static void test_realloc_held(void)
{
    phase = "realloc held";
    char why[256];
    struct mp_block b;
    void *q;
    const uintptr_t a = 0x5555556f2040, m = 0x5555557f3000;
    const size_t live0 = live_count();
    struct totals t0 = totals();

    /* in place: the entry becomes the realloc's; counted as a free and an allocation */
    mp_heap_insert(a, 40, 7, MP_ALLOC_MALLOC);
    scripted_q = (void *)a;
    scripted_calls = 0;
    int rc = mp_heap_realloc(a, 900, 8, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK((rc == MP_HEAP_REALLOC_DONE || rc == MP_HEAP_REALLOC_DONE_POLL) && q == (void *)a && scripted_calls == 1,
          "in place: rc %d, q %p, %d calls", rc, q, scripted_calls);
    CHECK(block_is(&b, a, 40, 7, MP_ALLOC_MALLOC, 0, why, sizeof why), "in place, the old block: %s", why);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 900, 8, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "in place, find: %s", why);
    CHECK(visible_to_scan(a) == 3, "after an in-place realloc the scan sees %d (expected 3)", visible_to_scan(a));
    struct totals t1 = totals();
    CHECK(t1.nalloc - t0.nalloc == 2 && t1.balloc - t0.balloc == 940 && t1.nfree - t0.nfree == 1 &&
              t1.bfree - t0.bfree == 40,
          "in place: totals +%lu allocs %lu bytes, +%lu frees %lu bytes (expected 2/940, 1/40)",
          (unsigned long)(t1.nalloc - t0.nalloc), (unsigned long)(t1.balloc - t0.balloc),
          (unsigned long)(t1.nfree - t0.nfree), (unsigned long)(t1.bfree - t0.bfree));

    /* failed: unchanged */
    scripted_q = NULL;
    rc = mp_heap_realloc(a, 5000, 9, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK(rc == MP_HEAP_REALLOC_DONE && q == NULL, "failed: rc %d, q %p", rc, q);
    CHECK(mp_heap_find(a, &b) && block_is(&b, a, 900, 8, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "failed realloc: %s", why);

    /* moved: the old address is gone, the new one is the realloc's */
    scripted_q = (void *)m;
    rc = mp_heap_realloc(a, 2000, 10, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK(rc >= MP_HEAP_REALLOC_DONE && rc != MP_HEAP_REALLOC_FLAGGED && q == (void *)m, "moved: rc %d, q %p", rc, q);
    CHECK(!mp_heap_find(a, &b), "moved: the old address is still found");
    CHECK(mp_heap_find(m, &b) && block_is(&b, m, 2000, 10, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "moved, find: %s", why);
    CHECK(visible_to_scan(m) == 3, "after a move the scan sees %d (expected 3)", visible_to_scan(m));

    /* 64 KiB or more on either side, or no glibc realloc: flagged, the real realloc not called */
    scripted_calls = 0;
    rc = mp_heap_realloc(m, MP_HEAP_REALLOC_HELD_MAX, 11, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK(rc == MP_HEAP_REALLOC_FLAGGED && scripted_calls == 0 && b.size == 2000,
          "growing to 64 KiB: rc %d, %d calls, old size %zu", rc, scripted_calls, b.size);
    CHECK(visible_to_scan(m) == 0, "a flagged block is seen by the scan (%d)", visible_to_scan(m));
    mp_heap_realloc_end(m, m, MP_HEAP_REALLOC_HELD_MAX, 11, MP_ALLOC_REALLOC);
    rc = mp_heap_realloc(m, 100, 12, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK(rc == MP_HEAP_REALLOC_FLAGGED && scripted_calls == 0 && b.size == MP_HEAP_REALLOC_HELD_MAX,
          "shrinking from 64 KiB: rc %d, %d calls, old size %zu", rc, scripted_calls, b.size);
    mp_heap_realloc_end(m, m, 100, 12, MP_ALLOC_REALLOC);
    rc = mp_heap_realloc(m, 200, 13, MP_ALLOC_REALLOC, NULL, &q, &b);
    CHECK(rc == MP_HEAP_REALLOC_FLAGGED, "no real realloc given: rc %d", rc);
    mp_heap_realloc_end(m, m, 200, 13, MP_ALLOC_REALLOC);
    CHECK(mp_heap_find(m, &b) && block_is(&b, m, 200, 13, MP_ALLOC_REALLOC, 0, why, sizeof why),
          "after the flagged reallocs: %s", why);

    scripted_calls = 0;
    rc = mp_heap_realloc(0x5555556f9990, 64, 14, MP_ALLOC_REALLOC, scripted_realloc, &q, &b);
    CHECK(rc == MP_HEAP_REALLOC_BAD && scripted_calls == 0, "an unknown address: rc %d, %d calls", rc, scripted_calls);
    mp_heap_remove(m, &b);
    CHECK(live_count() == live0, "after the held realloc tests: live count %zu, expected %zu", live_count(), live0);
}

/* No memory left for the table (a program that has used up a finite RLIMIT_AS): in a child,
 * before any shard has a table, with the address space capped at what the child has mapped,
 * every block of one page (one shard) is recorded up to one slot short of the shard's first
 * table (255 of 256: a table that cannot grow keeps recording until it is full; 80% would be
 * 204), the next one is refused, and each recorded block is found and removed. The first table
 * comes from the mapping mp_heap_init made. */
static long vm_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char l[256];
    long v = 0;
    while (f && fgets(l, sizeof l, f))
        if (!strncmp(l, "VmSize:", 7))
            v = atol(l + 7) * 1024;
    if (f)
        fclose(f);
    return v;
}

static void test_no_memory(void)
{
    phase = "no memory for the table";
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        volatile char deep[128 << 10]; /* the stack grown now, not under the limit */
        memset((char *)deep, 1, sizeof deep);
        struct rlimit r;
        long v = vm_bytes();
        r.rlim_cur = r.rlim_max = (rlim_t)v;
        if (v <= 0 || setrlimit(RLIMIT_AS, &r))
            _exit(100);
        const uintptr_t page = 0x6a5a5a5a0000;
        int recorded = 0, refused = 0, found = 0, bad = 0;
        for (int k = 0; k < 256; k++) {
            int rc = mp_heap_insert(page + 16 * (uintptr_t)k, 16, 7, MP_ALLOC_MALLOC);
            if (rc >= 0 && !refused)
                recorded++;
            else if (rc < 0)
                refused++;
            else
                bad++; /* recorded after a refusal */
        }
        struct mp_block b;
        for (int k = 0; k < recorded; k++)
            if (mp_heap_remove(page + 16 * (uintptr_t)k, &b) && b.size == 16 && b.stack == 7)
                found++;
        _exit(recorded == 255 && refused == 1 && found == 255 && !bad && live_count() == 0
                  ? 0
                  : 10 + (recorded == 255) + 2 * (refused == 1) + 4 * (found == 255));
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork/wait failed");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "child status %#x (exit 10 + 1: 255 recorded, + 2: 1 refused, + 4: 255 found; 100: no limit)", st);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(ASAN ? 150 : 60);
    mp_heap_init();
    test_no_memory();
    /* one thread: heap.c skips the shard locks */
    test_basic();
    test_big_sizes();
    test_realloc();
    test_realloc_held();
    test_growth();
    check_scan(&layout, "500,000 live blocks");
    phase = "emptying";
    struct mp_block b;
    for (uint32_t i = 0; i < layout.n; i++)
        if (layout.live[i])
            mp_heap_remove(layout.addr[i], &b), layout.live[i] = 0;
    CHECK(live_count() == 0, "after removing all: live count %zu", live_count());
    blocks_free(&layout);

    /* threads: the locks are taken from now on */
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    test_basic();
    test_realloc();
    test_realloc_held();
    test_threads();
    check_scan(&tb, "after the threads");
    test_under_lock_all(&tb);
    test_big_under_lock_all();
    test_bfree_internal();
    test_bfree_race();
    blocks_free(&tb);

    phase = "end";
    printf("%d passed, %d failed", check_passed, check_failed);
    if (xfailed || xpassed)
        printf(", %d known bugs (xfail), %d xpass", xfailed, xpassed);
    printf("\n");
    return check_failed != 0;
}
