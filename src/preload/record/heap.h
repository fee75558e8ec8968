/* The live-block table: address -> (size, allocator, stack id, scan state).
 * 1024 shards in 16 groups of 64: the group by a hash of the address's 64 MiB region (a glibc
 * arena heap: threads that share nothing mostly write their own shards), the shard by a hash of
 * its page. Each is an open-addressed linear-probing table of 16-byte entries under its own mp_mutex
 * (skipped while the process is single-threaded); tables grow by 1.5x at 80% load, so a live block
 * costs 20-30 bytes. Sizes >= 32 MiB live in a side table. No global lock on the hot path.
 * Locking: mp_heap_insert/remove/find take one shard lock and mark the thread CRITICAL while
 * holding it. mp_heap_lock_all (fork, scan) takes first_lock, then the locks of every group in
 * use in index order (a group with no table yet cannot come into use meanwhile), then the side
 * table's; the thread that holds them all may call the mp_heap_* functions, which then do not
 * lock.
 * Fork protocol: prepare = mp_heap_lock_all, parent = mp_heap_unlock_all, child =
 * mp_heap_child_after_fork (reinitialise). */
#ifndef MP_HEAP_H
#define MP_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct mp_block {
    uintptr_t addr;
    size_t size;
    uint32_t stack;
    unsigned kind;  /* enum mp_alloc_kind */
    unsigned state; /* scan state, see scan.c */
    uint32_t time;  /* mp_heap_now when it was recorded (24 bits) */
};

/* The clock blocks are stamped with: coarse ticks (seconds since start-up, kept by live.c's
 * watch thread), 24 bits stored per block (wraps after 194 days). A plain global read on insert. */
extern uint32_t mp_heap_now;
#define MP_HEAP_TIME_MASK 0xffffffu

/* Per-stack live counters, maintained by insert/remove only while mp_heap_stack_live is not NULL
 * (set once by live.c when snapshots are on; indexed by stack id, MP_HEAP_STACK_LIVE_MAX entries,
 * zero-filled tool memory). mp_heap_stack_live_max: the largest stack id counted so far. */
struct mp_heap_stack_live {
    int64_t bytes, blocks;
};
#define MP_HEAP_STACK_LIVE_MAX (1u << 20)
extern struct mp_heap_stack_live *mp_heap_stack_live;
extern uint32_t mp_heap_stack_live_max;

void mp_heap_init(void);

/* Record a new block. Returns 0; 1 on every 16th allocation recorded in the block's shard (a
 * hint to poll for report requests and advance the clock, live.h; no counter of its own on the
 * allocation path); -1 when tool memory is exhausted (block untracked). */
int mp_heap_insert(uintptr_t addr, size_t size, uint32_t stack, unsigned kind);

/* A hint, no lock, never faults: start loading the table line where addr's entry lives, so
 * that the insert or remove that follows a stack capture finds it in cache. Only tables too
 * large to stay cached need it; until one exists (mp_heap_big_tables) the hint is one load. */
extern int mp_heap_big_tables;
void mp_heap_prefetch_big(uintptr_t addr);
static inline void mp_heap_prefetch(uintptr_t addr)
{
    if (__builtin_expect(__atomic_load_n(&mp_heap_big_tables, __ATOMIC_RELAXED), 0))
        mp_heap_prefetch_big(addr);
}

/* Remove a block; fills *out and returns 1 if it was there, else 0. */
int mp_heap_remove(uintptr_t addr, struct mp_block *out);

/* Look a block up without removing it. 1 if found. */
int mp_heap_find(uintptr_t addr, struct mp_block *out);

/* Give a live block another allocation stack (nothing else changes, totals included). 1 if
 * found. For a block recorded by a nested hook on behalf of an outer call (runtime.c). */
int mp_heap_set_stack(uintptr_t addr, uint32_t stack);

/* realloc in two steps around the real realloc, so that a block that stays where it is keeps its
 * entry (one update instead of a remove and an insert); mp_heap_realloc below takes this way for
 * large blocks and other allocators.
 * begin (mp_heap_realloc with no real realloc): if addr is a live block, fill *out, flag its entry as being reallocated and return 1
 * (else 0). While flagged, the scan and the report do not see the block (as if it were out of
 * the table, which it was before this existed), and an insert of the same address by another
 * thread replaces the entry (the real realloc moved the block and the address was handed out
 * again).
 * end: q is what the real realloc returned. q == 0: the flag is cleared (the block is
 * unchanged). q == addr: the entry becomes the realloc's (size, stack, kind, time), in place.
 * Else the old entry is removed if it is still ours (flagged) and q inserted. Totals count a
 * realloc as a free and an allocation. Returns as mp_heap_insert (1: the poll hint). */
int mp_heap_realloc_begin(uintptr_t addr, struct mp_block *out);
int mp_heap_realloc_end(uintptr_t addr, uintptr_t q, size_t size, uint32_t stack, unsigned kind);

/* realloc in one critical section, when the real realloc is glibc's own (real != NULL): the
 * block's shard stays locked while real(addr, size) runs, so no other thread can record the
 * address between the real realloc and the update, and neither the flag nor a second probe is
 * needed. Safe because glibc's realloc runs no code of the program's or of another library's
 * and takes only its arena lock, and no thread waits for a shard lock while it holds an arena
 * lock (memplumber calls the real allocator outside its critical sections; fork takes the shard
 * locks before the arena locks). Blocks of MP_HEAP_REALLOC_HELD_MAX bytes or more (before or
 * after) are not copied under the lock: for them, and when real is NULL, the entry is flagged as
 * by mp_heap_realloc_begin and the caller runs the real realloc and mp_heap_realloc_end.
 * Returns MP_HEAP_REALLOC_BAD (addr is not a live block), _FLAGGED (*out filled, entry flagged),
 * or _DONE / _DONE_POLL (*out is the old block, *qp what the real realloc returned; the table
 * holds the result; _POLL: mp_heap_insert's poll hint). */
#define MP_HEAP_REALLOC_HELD_MAX 65536
enum { MP_HEAP_REALLOC_BAD = -1, MP_HEAP_REALLOC_DONE = 0, MP_HEAP_REALLOC_DONE_POLL = 1,
       MP_HEAP_REALLOC_FLAGGED = 2 };
int mp_heap_realloc(uintptr_t addr, size_t size, uint32_t stack, unsigned kind,
                    void *(*real)(void *, size_t), void **qp, struct mp_block *out);

void mp_heap_lock_all(void);
void mp_heap_unlock_all(void);
void mp_heap_child_after_fork(void);

/* Totals since start: allocations and frees seen (count and bytes). */
void mp_heap_totals(uint64_t *nalloc, uint64_t *balloc, uint64_t *nfree, uint64_t *bfree);

/* ---- scan interface: only with all locks held (mp_heap_lock_all) ----
 * Blocks are named by a dense-ish index (shard << 22 | slot); MP_HEAP_NONE = no block. */
#define MP_HEAP_NONE UINT32_MAX
size_t mp_heap_live_count(void);
uint32_t mp_heap_index_of(uintptr_t addr);
void mp_heap_get(uint32_t idx, struct mp_block *out);
unsigned mp_heap_get_state(uint32_t idx);
void mp_heap_set_state(uint32_t idx, unsigned state);
/* Call fn for every live block; stop early if fn returns non-zero. */
void mp_heap_foreach(int (*fn)(uint32_t idx, const struct mp_block *b, void *ctx), void *ctx);

#endif
