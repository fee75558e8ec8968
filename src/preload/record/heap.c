/* Live-block table (see heap.h for the layout and the locking rules).
 * Entry: w0 = address (bits 0-47; 0 = empty slot) | allocation time bits 8-23 (48-63);
 * w1 = stack id (bits 0-23: the depot hands out fewer than 2^24) | allocation time bits 0-7
 * (24-31) | allocator kind (32-35) | scan state (36-37) | realloc in progress (38) | size (39-63,
 * 25 bits). A size that does
 * not fit is stored as SIZE_BIG and found in the big-size side table. The time is mp_heap_now
 * when the block was recorded (24 bits of coarse ticks). User-space addresses fit in 47 bits, so
 * an entry's address is w0 & ADDR_MASK. Deletion shifts the following entries back (no
 * tombstones). */
#include "preload/record/heap.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/kinds.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"

#define NSHARD_BITS 10 /* 1024 shards: 16 groups of 64 (shard_of) */
#define GROUP_BITS 4
#define NSHARD (1u << NSHARD_BITS)
#define SLOT_BITS 22 /* a block's index is shard << SLOT_BITS | slot, in 32 bits */
#define INIT_CAP 256
#define SIZE_SHIFT 39
#define SIZE_BIG ((1ull << 25) - 1)
#define REALLOC_BIT (1ull << 38)
/* mp_heap_insert returns 1 on every POLL_HINT-th allocation recorded in a shard (heap.h). */
#define POLL_HINT 16
#define STATE_SHIFT 36
#define KIND_SHIFT 32
#define STACK_MASK 0xffffffull
#define TLO_SHIFT 24
#define ADDR_BITS 48
#define ADDR_MASK ((1ull << ADDR_BITS) - 1)

/* The clock blocks are stamped with (heap.h). */
uint32_t mp_heap_now;
/* Live bytes and blocks per stack id, or NULL (heap.h). */
struct mp_heap_stack_live *mp_heap_stack_live;
uint32_t mp_heap_stack_live_max;

struct entry {
    uint64_t addr;
    uint64_t meta;
};

struct shard {
    struct mp_mutex lock;
    uint32_t cap, count;
    struct entry *tab;
    uint64_t nalloc, balloc, nfree, bfree;
} __attribute__((aligned(64)));

static struct shard shards[NSHARD] __attribute__((aligned(4096))); /* a group: one page */

/* The groups that have a shard with a table (bit g for group g; 16 groups). mp_heap_lock_all
 * (fork, scan) takes the locks of those groups' shards only: a fork writes every lock it takes
 * twice more after the fork (the parent's unlock, the child's reset), each write to a page of
 * locks a copy-on-write fault, and 1024 locks span 16 pages where most programs use one to three
 * groups (a program forking 2,000 times: 4.3x native with every lock taken, as with 64 shards
 * when only used groups are). A group's first table is made under first_lock, which
 * mp_heap_lock_all holds while it reads the used groups, so no group comes into use behind its
 * back; the holder of every lock publishes groups it brought into use itself (new_groups) when
 * it lets go. Lock order: first_lock, shard locks, big_lock; grow() takes first_lock under a
 * shard lock only for a group not in use, whose locks mp_heap_lock_all does not take. */
static uint32_t groups_used;
static uint32_t locked_groups, new_groups; /* written by the holder of every lock only */
static struct mp_mutex first_lock = MP_MUTEX_INIT;
#define GROUP_BIT(i) (1u << ((unsigned)(i) / SHARD_GROUP))

/* Big sizes: open addressing, addr -> size, under its own lock. */
#define BIG_CAP 65536
static struct mp_mutex big_lock = MP_MUTEX_INIT;
static struct entry *big_tab;

/* Where a block's entry lives. Blocks of one 4 KiB page share a window of their shard's table
 * (4096 slots, 64 KiB), pages are scattered over windows by a hash, and a block's slot in its
 * window is a hash of its address. Programs allocate and free neighbours together, so a window
 * keeps their entries on a few TLB entries of a table that may span gigabytes (at 10M blocks, 3x
 * faster inserts than a plain hash). Windows hold many pages: a page's blocks come as a batch
 * (up to 256 entries), and with a few batches per window the windows' loads would vary so much
 * that full windows spill into their neighbours and linear probing runs through clusters of
 * thousands of entries (it did, with page-sized windows). A table of PLAIN_MAX slots or fewer
 * (1 MiB: 256 pages, few enough for the TLB) is a plain hash table, sized in whole pages: sized
 * in whole windows, the many small tables of 1024 shards sat at 48-60% load (1,000,000 held
 * blocks: 33 bytes a block instead of 26). */
#define WINDOW_BITS 12
#define WINDOW (1u << WINDOW_BITS)
#define PLAIN_MAX (16 * WINDOW)

static inline uint64_t hash_addr(uintptr_t a)
{
    uint64_t h = (uint64_t)(a >> 12) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/* A block's shard: a group of SHARD_GROUP shards picked by a hash of the block's 64 MiB region,
 * then one shard of the group by a hash of its 4 KiB page. glibc gives each thread an arena of its
 * own (up to 8 per core) whose heaps are 64 MiB-aligned regions, so threads that share nothing
 * mostly write shards of their own (16 groups: two arenas share one now and then, and are then
 * as before): no lock line or table line moves between cores, and a thread preempted inside a
 * critical section rarely holds up another. A block freed by another thread finds the same shard
 * from its address alone. Threads that share an arena (MALLOC_ARENA_MAX=1, or more threads than
 * arenas) share its groups' 64 shards, as they shared the 64 shards of the page hash before.
 * One shard per region (tried first) kept each table at its full 53-80% load where the page hash
 * keeps many small, nearly empty tables, and measured slower (churn 4 threads 0.57 s of CPU
 * against 0.43 s); groups of 16 lost to the page hash with a shared arena (deep frees, 8 threads,
 * MALLOC_ARENA_MAX=1: 3.8x native against 3.2x). Measured side by side against 64 shards by page
 * (2-core VM, default options, wall): churn 4 threads 3.02x -> 2.06x native, deep frees 8 threads
 * 3.56x -> 2.91x, with MALLOC_ARENA_MAX=1 3.16x -> 3.20x, one thread unchanged. See
 * docs/PERFORMANCE.md. */
#define SHARD_GROUP (1u << (NSHARD_BITS - GROUP_BITS))
#define REGION_SHIFT 26

static inline struct shard *shard_of(uintptr_t a)
{
    const uint64_t g = ((uint64_t)(a >> REGION_SHIFT) * 0xD6E8FEB86659FD93ull) >> (64 - GROUP_BITS);
    const uint64_t w = hash_addr(a) >> (64 - (NSHARD_BITS - GROUP_BITS));
    return &shards[g * SHARD_GROUP + w];
}

static inline uint32_t home_of(uintptr_t a, uint64_t h, uint32_t cap)
{
    /* the block's own hash: its 16-byte granule, mixed */
    uint32_t g = (uint32_t)(((uint64_t)(a >> 4) * 0xC2B2AE3D27D4EB4Full) >> 32);
    if (cap <= PLAIN_MAX)
        return (uint32_t)((uint64_t)(g ^ (uint32_t)(h >> 16)) * cap >> 32);
    uint32_t windows = cap >> WINDOW_BITS;
    uint32_t w = (uint32_t)(((h >> 16) & 0xffffffffu) * (uint64_t)windows >> 32);
    return (w << WINDOW_BITS) | (g & (WINDOW - 1));
}

/* Every shard's first table (INIT_CAP entries, one page) comes from one mapping made at start-up:
 * with 1024 shards, most of them are first used late in a run, and a program that has used up a
 * finite RLIMIT_AS by then would have its blocks go unrecorded, since no page could be mapped for
 * the table (a shard with a table keeps recording until it is full, see mp_heap_insert). Pages
 * are touched only as shards are used; a first table that grows is given back with
 * MADV_DONTNEED, its address range kept. */
#define FIRST_BYTES ((size_t)INIT_CAP * sizeof(struct entry))
static char *first_tables;

static int is_first_table(const struct entry *t)
{
    return first_tables && (const char *)t >= first_tables &&
           (const char *)t < first_tables + (size_t)NSHARD * FIRST_BYTES;
}

void mp_heap_init(void)
{
    if (first_tables)
        return;
    first_tables = mp_pages_alloc((size_t)NSHARD * FIRST_BYTES);
}

/* ---- critical sections ----
 * While the process has a single thread (glibc's __libc_single_threaded: it turns false before
 * any thread, internal ones included, is created, and never back, except in a fork child where
 * it is true again), the shard locks are skipped: glibc's malloc does the same. A signal handler
 * re-entering a hook during the section is handled by the CRITICAL state (runtime.c), not by the
 * lock. The returned cookie remembers whether the lock was taken. */

static inline int crit_enter(struct shard *s)
{
    int prev = mp_tls.state;
    if (mp_tls.holds_all_locks)
        return prev;
    mp_tls.state = MP_IN_CRITICAL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (__libc_single_threaded)
        return prev;
    mp_mutex_lock(&s->lock);
    return prev | 0x100;
}

static inline void crit_leave(struct shard *s, int cookie)
{
    if (mp_tls.holds_all_locks)
        return;
    if (cookie & 0x100)
        mp_mutex_unlock(&s->lock);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_tls.state = cookie & 0xff;
}

/* ---- big sizes ---- */

static inline uint32_t big_home(uintptr_t a)
{
    return (uint32_t)(((uint64_t)a * 0x9E3779B97F4A7C15ull) >> 48) & (BIG_CAP - 1);
}

/* The side table's lock; not taken by the holder of mp_heap_lock_all, who holds it already. The
 * order is shard locks, then big_lock (mp_heap_lock_all, mp_heap_remove). */
static void big_lock_take(void)
{
    if (!mp_tls.holds_all_locks)
        mp_mutex_lock(&big_lock);
}

static void big_lock_drop(void)
{
    if (!mp_tls.holds_all_locks)
        mp_mutex_unlock(&big_lock);
}

static void big_put(uintptr_t addr, uint64_t size)
{
    int prev = mp_tls.state;
    mp_tls.state = MP_IN_CRITICAL;
    big_lock_take();
    if (!big_tab)
        big_tab = mp_pages_alloc(sizeof(struct entry) * BIG_CAP);
    if (big_tab) {
        uint32_t i = big_home(addr);
        for (uint32_t n = 0; n < BIG_CAP; n++, i = (i + 1) & (BIG_CAP - 1)) {
            if (big_tab[i].addr == 0 || big_tab[i].addr == addr || big_tab[i].addr == 1) {
                big_tab[i].addr = addr;
                big_tab[i].meta = size;
                break;
            }
        }
    }
    big_lock_drop();
    mp_tls.state = prev;
}

/* remove=1 deletes (leaving a tombstone value 1). Returns the size or SIZE_BIG if unknown. */
static uint64_t big_get(uintptr_t addr, int remove)
{
    uint64_t r = SIZE_BIG;
    int prev = mp_tls.state;
    mp_tls.state = MP_IN_CRITICAL;
    big_lock_take();
    if (big_tab) {
        uint32_t i = big_home(addr);
        for (uint32_t n = 0; n < BIG_CAP && big_tab[i].addr; n++, i = (i + 1) & (BIG_CAP - 1)) {
            if (big_tab[i].addr == addr) {
                r = big_tab[i].meta;
                if (remove)
                    big_tab[i].addr = 1;
                break;
            }
        }
    }
    big_lock_drop();
    mp_tls.state = prev;
    return r;
}

/* ---- shard table operations (caller holds the shard lock) ---- */

static inline uint64_t pack(size_t size, uint32_t stack, unsigned kind, uint32_t now)
{
    uint64_t sz = size >= SIZE_BIG ? SIZE_BIG : size;
    return ((uint64_t)stack & STACK_MASK) | ((uint64_t)(now & 0xff) << TLO_SHIFT) |
           ((uint64_t)(kind & 15) << KIND_SHIFT) | (sz << SIZE_SHIFT);
}

static void unpack(const struct entry *e, struct mp_block *b)
{
    b->addr = e->addr & ADDR_MASK;
    b->stack = (uint32_t)(e->meta & STACK_MASK);
    b->kind = (unsigned)(e->meta >> KIND_SHIFT) & 15;
    b->state = (unsigned)(e->meta >> STATE_SHIFT) & 3;
    b->size = e->meta >> SIZE_SHIFT;
    b->time = (uint32_t)(e->addr >> ADDR_BITS) << 8 | (uint32_t)(e->meta >> TLO_SHIFT & 0xff);
}

/* Per-stack live counters (only while mp_heap_stack_live is set: snapshots on). */
static void stack_live_add(uint32_t stack, size_t size, int64_t blocks)
{
    struct mp_heap_stack_live *c = mp_heap_stack_live;
    if (!stack || stack >= MP_HEAP_STACK_LIVE_MAX)
        return;
    __atomic_fetch_add(&c[stack].bytes, blocks < 0 ? -(int64_t)size : (int64_t)size, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c[stack].blocks, blocks, __ATOMIC_RELAXED);
    if (stack > __atomic_load_n(&mp_heap_stack_live_max, __ATOMIC_RELAXED))
        __atomic_store_n(&mp_heap_stack_live_max, stack, __ATOMIC_RELAXED);
}

static void place(struct entry *tab, uint32_t cap, uint64_t w0, uint64_t meta)
{
    uint64_t addr = w0 & ADDR_MASK;
    uint32_t i = home_of(addr, hash_addr(addr), cap);
    while (tab[i].addr) {
        if (++i == cap)
            i = 0;
    }
    tab[i].addr = w0;
    tab[i].meta = meta;
}

/* A table of more than PREFETCH_MIN_CAP entries (64 KiB) may miss the caches: mp_heap_prefetch
 * starts the miss early. Smaller ones stay cached, and until some table grows past that the hint
 * is one load (a call, a hash, a shard and its fields at every allocation and free were 2-3% of
 * the deep-frees bench). Set once, never cleared. */
#define PREFETCH_MIN_CAP 4096
int mp_heap_big_tables;

static int grow(struct shard *s)
{
    const uint32_t bit = GROUP_BIT(s - shards);
    if (!s->cap && !(__atomic_load_n(&groups_used, __ATOMIC_ACQUIRE) & bit)) {
        if (mp_tls.holds_all_locks) {
            new_groups |= bit;
        } else {
            mp_mutex_lock(&first_lock);
            __atomic_fetch_or(&groups_used, bit, __ATOMIC_RELEASE);
            mp_mutex_unlock(&first_lock);
        }
    }
    if (!s->cap && first_tables) {
        s->tab = (struct entry *)(first_tables + (size_t)(s - shards) * FIRST_BYTES);
        s->cap = INIT_CAP;
        return 0;
    }
    uint32_t ncap = s->cap ? s->cap + s->cap / 2 : INIT_CAP;
    if (ncap >= (1u << SLOT_BITS))
        return s->count + 1 < s->cap ? 0 : -1;
    /* Whole 4 KiB pages; past PLAIN_MAX, whole windows. */
    ncap = ncap > PLAIN_MAX ? (ncap + WINDOW - 1) & ~(WINDOW - 1) : (ncap + 255) & ~255u;
    if (ncap >= (1u << SLOT_BITS))
        ncap = (1u << SLOT_BITS) - WINDOW;
    size_t bytes = (size_t)ncap * sizeof(struct entry);
    struct entry *nt = mp_pages_alloc_filled(bytes);
    if (!nt)
        return -1;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->tab[i].addr)
            place(nt, ncap, s->tab[i].addr, s->tab[i].meta);
    if (is_first_table(s->tab))
        syscall(SYS_madvise, s->tab, FIRST_BYTES, MADV_DONTNEED);
    else if (s->tab)
        mp_pages_free(s->tab, (size_t)s->cap * sizeof(struct entry));
    s->tab = nt;
    s->cap = ncap;
    if (ncap > PREFETCH_MIN_CAP)
        __atomic_store_n(&mp_heap_big_tables, 1, __ATOMIC_RELAXED);
    return 0;
}

static inline int64_t find_slot(const struct shard *s, uint64_t h, uintptr_t addr)
{
    if (!s->cap)
        return -1;
    uint32_t i = home_of(addr, h, s->cap);
    for (;;) {
        uint64_t a = s->tab[i].addr;
        if ((a & ADDR_MASK) == addr)
            return i;
        if (a == 0)
            return -1;
        if (++i == s->cap)
            i = 0;
    }
}

static void delete_slot(struct shard *s, uint32_t i)
{
    uint32_t cap = s->cap;
    uint32_t j = i;
    for (;;) {
        if (++j == cap)
            j = 0;
        uint64_t a = s->tab[j].addr & ADDR_MASK;
        if (a == 0)
            break;
        uint32_t h = home_of(a, hash_addr(a), cap);
        /* Can the entry at j move back to i? Yes unless its home lies cyclically in (i, j]. */
        int between = (i <= j) ? (h > i && h <= j) : (h > i || h <= j);
        if (!between) {
            s->tab[i] = s->tab[j];
            i = j;
        }
    }
    s->tab[i].addr = 0;
    s->tab[i].meta = 0;
    s->count--;
}

/* ---- public operations ---- */

void mp_heap_prefetch_big(uintptr_t addr)
{
    uint64_t h = hash_addr(addr);
    const struct shard *s = shard_of(addr);
    /* Racy reads: a table being replaced only makes the hint useless (prefetch never faults). */
    uint32_t cap = __atomic_load_n(&s->cap, __ATOMIC_RELAXED);
    const struct entry *tab = __atomic_load_n(&s->tab, __ATOMIC_RELAXED);
    /* A small table (64 KiB or less a shard) stays in the caches: nothing to start early. */
    if (cap > PREFETCH_MIN_CAP)
        __builtin_prefetch(&tab[home_of(addr, h, cap)], 1);
}

int mp_heap_insert(uintptr_t addr, size_t size, uint32_t stack, unsigned kind)
{
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    if (size >= SIZE_BIG)
        big_put(addr, size);
    int prev = crit_enter(s);
    int rc = 0;
    /* Past 80% load the table grows; when no memory is left for that, it keeps recording
     * until one slot is left (probes end at an empty slot). */
    if ((uint64_t)(s->count + 1) * 5 > (uint64_t)s->cap * 4 && grow(s) && s->count + 2 > s->cap) {
        rc = -1;
    } else {
        /* One probe: stop at the address (already recorded: a free we did not see, e.g. an
         * allocator-internal path; the old record is stale, replace it) or at the first hole. */
        uint32_t i = home_of(addr, h, s->cap);
        uint32_t now = mp_heap_now;
        while (s->tab[i].addr && (s->tab[i].addr & ADDR_MASK) != addr)
            if (++i == s->cap)
                i = 0;
        if (!s->tab[i].addr)
            s->count++;
        else if (__builtin_expect(mp_heap_stack_live != NULL, 0))
            stack_live_add((uint32_t)(s->tab[i].meta & STACK_MASK), s->tab[i].meta >> SIZE_SHIFT, -1);
        s->tab[i].addr = addr | (uint64_t)(now >> 8) << ADDR_BITS;
        s->tab[i].meta = pack(size, stack, kind, now);
        if (__builtin_expect(mp_heap_stack_live != NULL, 0))
            stack_live_add(stack, size, 1);
    }
    if (rc == 0 && kind != MP_ALLOC_INTERNAL) {
        s->nalloc++;
        s->balloc += size;
        rc = (s->nalloc & (POLL_HINT - 1)) == 0;
    }
    crit_leave(s, prev);
    return rc;
}

/* Remove the entry at slot i of s (caller holds the shard's critical section). */
static inline __attribute__((always_inline)) void remove_at(struct shard *s, uint32_t i, uintptr_t addr,
                                                          struct mp_block *out)
{
    unpack(&s->tab[i], out);
    delete_slot(s, i);
    /* under the shard lock, so that the freed-bytes total is only ever updated under it */
    if (out->size == SIZE_BIG)
        out->size = big_get(addr, 1);
    if (out->kind != MP_ALLOC_INTERNAL) {
        s->nfree++;
        s->bfree += out->size;
    }
    if (__builtin_expect(mp_heap_stack_live != NULL, 0))
        stack_live_add(out->stack, out->size, -1);
}

int mp_heap_remove(uintptr_t addr, struct mp_block *out)
{
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    int prev = crit_enter(s);
    int64_t i = find_slot(s, h, addr);
    if (i >= 0)
        remove_at(s, (uint32_t)i, addr, out);
    crit_leave(s, prev);
    return i >= 0;
}

int mp_heap_find(uintptr_t addr, struct mp_block *out)
{
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    int prev = crit_enter(s);
    int64_t i = find_slot(s, h, addr);
    if (i >= 0)
        unpack(&s->tab[i], out);
    crit_leave(s, prev);
    if (i >= 0 && out->size == SIZE_BIG)
        out->size = big_get(addr, 0);
    return i >= 0;
}

int mp_heap_set_stack(uintptr_t addr, uint32_t stack)
{
    struct mp_block b;
    if (!mp_heap_find(addr, &b)) /* the real size (a big block's is kept aside), for the counters */
        return 0;
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    int prev = crit_enter(s);
    int64_t i = find_slot(s, h, addr);
    if (i >= 0) {
        uint64_t meta = s->tab[i].meta;
        if (__builtin_expect(mp_heap_stack_live != NULL, 0)) {
            stack_live_add((uint32_t)(meta & STACK_MASK), b.size, -1);
            stack_live_add(stack, b.size, 1);
        }
        s->tab[i].meta = (meta & ~STACK_MASK) | ((uint64_t)stack & STACK_MASK);
    }
    crit_leave(s, prev);
    return i >= 0;
}

/* ---- realloc ---- */

/* Where realloc_begin found the block's entry, for realloc_end: most reallocs end where they
 * began (the entry has not moved: no deletion shifted it, the table did not grow), and then the
 * second probe is one compare. Checked before use; a handler's realloc in between overwrites it
 * and the interrupted end probes as before. */
static __thread struct {
    const struct entry *tab;
    uint32_t i;
} realloc_hint __attribute__((tls_model("initial-exec")));


/* The entry at slot i of s becomes the block of (size, stack, kind) reallocated in place, counted
 * as a free of its old size and an allocation (caller holds the critical section, size below
 * SIZE_BIG). Returns 1 on mp_heap_insert's poll hint. */
static inline int update_in_place(struct shard *s, int64_t i, uintptr_t addr, size_t size, uint32_t stack,
                                  unsigned kind)
{
    const uint64_t meta = s->tab[i].meta & ~REALLOC_BIT;
    const uint32_t now = mp_heap_now;
    const size_t old = meta >> SIZE_SHIFT;
    if (__builtin_expect(mp_heap_stack_live != NULL, 0)) {
        stack_live_add((uint32_t)(meta & STACK_MASK), old, -1);
        stack_live_add(stack, size, 1);
    }
    s->tab[i].addr = addr | (uint64_t)(now >> 8) << ADDR_BITS;
    s->tab[i].meta = pack(size, stack, kind, now);
    s->nfree++;
    s->bfree += old;
    s->nalloc++;
    s->balloc += size;
    return (s->nalloc & (POLL_HINT - 1)) == 0;
}

int mp_heap_realloc(uintptr_t addr, size_t size, uint32_t stack, unsigned kind,
                    void *(*real)(void *, size_t), void **qp, struct mp_block *out)
{
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    int prev = crit_enter(s);
    int64_t i = find_slot(s, h, addr);
    if (i < 0) {
        crit_leave(s, prev);
        return MP_HEAP_REALLOC_BAD;
    }
    unpack(&s->tab[i], out);
    if (!real || out->size >= MP_HEAP_REALLOC_HELD_MAX || size >= MP_HEAP_REALLOC_HELD_MAX) {
        /* flagged for mp_heap_realloc_end, which finds the entry where this left it */
        s->tab[i].meta |= REALLOC_BIT;
        realloc_hint.tab = s->tab;
        realloc_hint.i = (uint32_t)i;
        crit_leave(s, prev);
        if (out->size == SIZE_BIG)
            out->size = big_get(addr, 0);
        return MP_HEAP_REALLOC_FLAGGED;
    }
    /* The real realloc runs as in MP_REAL (a signal handler's allocations wait in the pending
     * queue), then the section goes on: the entry has not moved, nobody else held the shard. */
    const int state = mp_tls.state;
    mp_tls.state = MP_IN_REAL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    void *q = real((void *)addr, size);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_tls.state = state;
    *qp = q;
    int rc = MP_HEAP_REALLOC_DONE;
    if (q == (void *)addr) {
        rc = update_in_place(s, i, addr, size, stack, kind);
    } else if (q) {
        /* moved: the old address may be handed out again as soon as the lock is let go */
        struct mp_block old;
        remove_at(s, (uint32_t)i, addr, &old);
    }
    crit_leave(s, prev);
    if (q && q != (void *)addr && mp_heap_insert((uintptr_t)q, size, stack, kind) > 0)
        rc = MP_HEAP_REALLOC_DONE_POLL;
    return rc;
}

int mp_heap_realloc_begin(uintptr_t addr, struct mp_block *out)
{
    void *q;
    return mp_heap_realloc(addr, 0, 0, 0, NULL, &q, out) != MP_HEAP_REALLOC_BAD;
}

int mp_heap_realloc_end(uintptr_t addr, uintptr_t q, size_t size, uint32_t stack, unsigned kind)
{
    uint64_t h = hash_addr(addr);
    struct shard *s = shard_of(addr);
    int prev = crit_enter(s);
    const uint32_t hint = realloc_hint.i;
    int64_t i = realloc_hint.tab == s->tab && hint < s->cap && (s->tab[hint].addr & ADDR_MASK) == addr
                    ? (int64_t)hint
                    : find_slot(s, h, addr);
    /* Only our own entry: once the real realloc has moved the block, another thread may have
     * been handed the old address and recorded it (without the flag). */
    int ours = i >= 0 && (s->tab[i].meta & REALLOC_BIT);
    int done = 0;
    if (ours && (q == addr || q == 0)) {
        uint64_t meta = s->tab[i].meta & ~REALLOC_BIT;
        if (q == 0) {
            s->tab[i].meta = meta; /* the realloc failed: the block is unchanged */
            done = 1;
        } else if (size < SIZE_BIG && (meta >> SIZE_SHIFT) != SIZE_BIG) {
            /* Grown or shrunk in place: the block is the realloc's from now on (size, stack,
             * time), counted as a free and an allocation as when it moves. */
            done = update_in_place(s, i, addr, size, stack, kind) ? 2 : 1;
        } else {
            s->tab[i].meta = meta; /* a big size on either side: the general path below */
        }
    }
    if (ours && !done) {
        /* moved (or a big size): the old entry goes now, in the same critical section, so that
         * it cannot be another thread's new record of the same address */
        struct mp_block b;
        remove_at(s, (uint32_t)i, addr, &b);
    }
    crit_leave(s, prev);
    if (done || q == 0)
        return done == 2;
    return mp_heap_insert(q, size, stack, kind);
}

void mp_heap_lock_all(void)
{
    mp_mutex_lock(&first_lock);
    const uint32_t used = __atomic_load_n(&groups_used, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < NSHARD; i++)
        if (used & GROUP_BIT(i))
            mp_mutex_lock(&shards[i].lock);
    mp_mutex_lock(&big_lock);
    locked_groups = used;
    new_groups = 0;
    mp_tls.holds_all_locks = 1;
}

void mp_heap_unlock_all(void)
{
    mp_tls.holds_all_locks = 0;
    mp_mutex_unlock(&big_lock);
    for (unsigned i = NSHARD; i-- > 0;)
        if (locked_groups & GROUP_BIT(i))
            mp_mutex_unlock(&shards[i].lock);
    __atomic_fetch_or(&groups_used, new_groups, __ATOMIC_RELEASE);
    mp_mutex_unlock(&first_lock);
}

/* Every lock the parent's threads held at the fork is reset; locks found free are only read
 * (a write would copy their page). */
void mp_heap_child_after_fork(void)
{
    mp_tls.holds_all_locks = 0;
    groups_used |= new_groups;
    mp_mutex_init(&big_lock);
    mp_mutex_init(&first_lock);
    for (unsigned i = 0; i < NSHARD; i++)
        if (__atomic_load_n(&shards[i].lock.v, __ATOMIC_RELAXED) ||
            __atomic_load_n(&shards[i].lock.waiters, __ATOMIC_RELAXED))
            mp_mutex_init(&shards[i].lock);
}

void mp_heap_totals(uint64_t *nalloc, uint64_t *balloc, uint64_t *nfree, uint64_t *bfree)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (unsigned i = 0; i < NSHARD; i++) {
        a += __atomic_load_n(&shards[i].nalloc, __ATOMIC_RELAXED);
        b += __atomic_load_n(&shards[i].balloc, __ATOMIC_RELAXED);
        c += __atomic_load_n(&shards[i].nfree, __ATOMIC_RELAXED);
        d += __atomic_load_n(&shards[i].bfree, __ATOMIC_RELAXED);
    }
    *nalloc = a;
    *balloc = b;
    *nfree = c;
    *bfree = d;
}

/* ---- scan interface (all locks held) ---- */

size_t mp_heap_live_count(void)
{
    size_t n = 0;
    for (unsigned i = 0; i < NSHARD; i++)
        n += shards[i].count;
    return n;
}

uint32_t mp_heap_index_of(uintptr_t addr)
{
    uint64_t h = hash_addr(addr);
    unsigned si = (unsigned)(shard_of(addr) - shards);
    int64_t i = find_slot(&shards[si], h, addr);
    if (i < 0 || (shards[si].tab[i].meta & REALLOC_BIT))
        return MP_HEAP_NONE;
    return (si << SLOT_BITS) | (uint32_t)i;
}

static inline struct entry *entry_at(uint32_t idx)
{
    return &shards[idx >> SLOT_BITS].tab[idx & ((1u << SLOT_BITS) - 1)];
}

void mp_heap_get(uint32_t idx, struct mp_block *out)
{
    struct entry *e = entry_at(idx);
    unpack(e, out);
    if (out->size == SIZE_BIG) {
        /* big_lock is held by the scanning thread: read the side table directly. */
        uint32_t i = big_home(out->addr);
        for (uint32_t n = 0; big_tab && n < BIG_CAP && big_tab[i].addr; n++, i = (i + 1) & (BIG_CAP - 1))
            if (big_tab[i].addr == out->addr) {
                out->size = big_tab[i].meta;
                break;
            }
    }
}

unsigned mp_heap_get_state(uint32_t idx) { return (unsigned)(entry_at(idx)->meta >> STATE_SHIFT) & 3; }

void mp_heap_set_state(uint32_t idx, unsigned state)
{
    struct entry *e = entry_at(idx);
    e->meta = (e->meta & ~(3ull << STATE_SHIFT)) | ((uint64_t)(state & 3) << STATE_SHIFT);
}

void mp_heap_foreach(int (*fn)(uint32_t idx, const struct mp_block *b, void *ctx), void *ctx)
{
    for (unsigned si = 0; si < NSHARD; si++) {
        struct shard *s = &shards[si];
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->tab[i].addr || (s->tab[i].meta & REALLOC_BIT))
                continue;
            struct mp_block b;
            uint32_t idx = (si << SLOT_BITS) | i;
            mp_heap_get(idx, &b);
            if (fn(idx, &b, ctx))
                return;
        }
    }
}
