/* Stack depot (see depot.h). Records live in the arena, never move and never die. The index is
 * an open-addressed table of 16-byte slots, replaced by a table twice as large when half full;
 * old tables are kept (readers may still be probing them), which costs at most as much as the
 * live table.
 *
 * A stack is identified by a 104-bit hash: the slot holds 64 bits of one hash and 40 bits of a
 * second, independent one, next to the id. A lookup that finds its stack reads one slot and no
 * record: in a program with thousands of allocation stacks the records are rarely in cache, and
 * reading one cost a second cache miss per allocation. Two distinct stacks would share an id
 * only if both hashes collided: with a million distinct stacks, about 2^40 pairs at 2^-104 each,
 * once in 2^64 runs. */
#include "preload/record/depot.h"

#include <string.h>

#include "common/arena.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"
#include "preload/record/mix.h"
#include "preload/record/modules.h"

struct record {
    uint32_t n, gen;
    uint32_t id, checked; /* checked: the generation revalidate last looked at it */
    uintptr_t pcs[];
};

#define ID_BITS 24
#define MAX_IDS (1u << ID_BITS)
#define ID_MASK ((uint64_t)MAX_IDS - 1)

/* hi: the first hash. lo: the second hash's top 40 bits | id (never 0: ids start at 1); 0 means
 * empty. Writers store hi, then publish lo with a release store; readers load lo first. */
struct slot {
    uint64_t hi, lo;
};

struct index {
    uint32_t cap; /* power of two */
    struct slot slots[];
};

struct stack_hash {
    uint64_t h1, h2;
};

static struct mp_mutex depot_lock = MP_MUTEX_INIT;
static struct index *cur_index;
/* id -> record, in pages of PAGE_IDS pointers mapped as ids reach them. One table for all
 * MAX_IDS would reserve 128 MiB of address space at the first allocation: under an
 * address-space limit (ulimit -v) the program's own new/malloc would fail that much earlier. */
#define PAGE_IDS (1u << 16)
static struct record **record_pages[MAX_IDS / PAGE_IDS];
static uint32_t next_id = 1;
static uint32_t used_slots;
/* The first id made at the newest generation seen by a new record: gen << 32 | id. A stack whose
 * id is at least that, found at that generation, was recorded after the last dlclose and needs
 * no check (its record says checked == gen): the hit skips reading its record, which the index
 * is laid out to avoid (one more cache miss a capture in a program that once dlclosed). */
static uint64_t gen_first_id;

/* Two hashes with their own constants and position seeds: each frame's terms are independent of
 * the others (no serial chain), summed, then finished. Frame i enters as pc ^ seed_i, so the same
 * return address at two depths contributes differently. */
static inline struct stack_hash hash_stack(const uintptr_t *pcs, uint32_t n)
{
    uint64_t a = n, b = ~(uint64_t)n;
    uint64_t s1 = 0x243f6a8885a308d3ull, s2 = 0x13198a2e03707344ull;
    for (uint32_t i = 0; i < n; i++) {
        a += mp_mix_fold(pcs[i] ^ s1, 0x9E3779B97F4A7C15ull);
        b += mp_mix_fold(pcs[i] ^ s2, 0xc4ceb9fe1a85ec53ull);
        s1 += 0xa4093822299f31d1ull;
        s2 += 0x082efa98ec4e6c89ull;
    }
    struct stack_hash h = { mp_mix_finish(a), mp_mix_finish(b ^ (a >> 17)) };
    return h;
}

static inline uint64_t slot_lo(struct stack_hash h, uint32_t id)
{
    return (h.h2 & ~ID_MASK) | id;
}

/* The id of the stack with hash h in ix, or 0 with *empty_slot = the slot where it would go. */
static inline uint32_t probe(const struct index *ix, struct stack_hash h, uint32_t *empty_slot)
{
    const uint32_t mask = ix->cap - 1;
    const uint64_t tag = h.h2 & ~ID_MASK;
    for (uint32_t i = (uint32_t)h.h1 & mask;; i = (i + 1) & mask) {
        const struct slot *s = &ix->slots[i];
        uint64_t lo = __atomic_load_n(&s->lo, __ATOMIC_ACQUIRE);
        if (lo == 0) {
            if (empty_slot)
                *empty_slot = i;
            return 0;
        }
        if ((lo & ~ID_MASK) == tag && __atomic_load_n(&s->hi, __ATOMIC_RELAXED) == h.h1)
            return (uint32_t)(lo & ID_MASK);
    }
}

static struct index *new_index(uint32_t cap)
{
    struct index *ix = mp_pages_alloc(sizeof(struct index) + (size_t)cap * sizeof(struct slot));
    if (ix)
        ix->cap = cap;
    return ix;
}

static void publish(struct slot *s, uint64_t hi, uint64_t lo)
{
    __atomic_store_n(&s->hi, hi, __ATOMIC_RELAXED);
    __atomic_store_n(&s->lo, lo, __ATOMIC_RELEASE);
}

/* A stack found again after a dlclose (gen moved on since its record was made): records are
 * keyed by addresses only, and a library loaded at the address of one unloaded since would add
 * its blocks to the old library's record, named with the old library's functions (10,000
 * dlopen/dlclose cycles of four libraries: every block attributed to one of them). The same
 * library loaded again keeps its names; another one makes the record ambiguous. */
static __attribute__((noinline)) void revalidate(uint32_t id, uint32_t gen)
{
    if (mp_tls.state == MP_IN_CRITICAL)
        return;
    struct record **page = __atomic_load_n(&record_pages[id / PAGE_IDS], __ATOMIC_ACQUIRE);
    struct record *r = page ? __atomic_load_n(&page[id % PAGE_IDS], __ATOMIC_ACQUIRE) : NULL;
    if (!r)
        return;
    uint32_t c = __atomic_load_n(&r->checked, __ATOMIC_RELAXED);
    if (c >= gen || __atomic_load_n(&r->gen, __ATOMIC_RELAXED) == MP_GEN_AMBIGUOUS)
        return;
    /* Each check compares with the object unloaded since the last one: the record keeps the
     * generation it was made at (its names are the first object's), each later look is short. */
    if (mp_modules_reloaded_since(r->pcs, r->n, c))
        __atomic_store_n(&r->gen, MP_GEN_AMBIGUOUS, __ATOMIC_RELAXED);
    __atomic_store_n(&r->checked, gen, __ATOMIC_RELAXED);
}

mp_stack_id mp_depot_put(const uintptr_t *pcs, uint32_t n, uint32_t gen)
{
    const struct stack_hash h = hash_stack(pcs, n);
    struct index *ix = __atomic_load_n(&cur_index, __ATOMIC_ACQUIRE);
    if (ix) {
        uint32_t id = probe(ix, h, NULL);
        if (id) {
            if (__builtin_expect(gen != 0, 0)) { /* something was dlclose'd */
                const uint64_t w = __atomic_load_n(&gen_first_id, __ATOMIC_ACQUIRE);
                if ((uint32_t)(w >> 32) != gen || id < (uint32_t)w)
                    revalidate(id, gen);
            }
            return id;
        }
    }
    if (mp_tls.state == MP_IN_CRITICAL)
        return 0; /* a signal handler interrupted a critical section: no locks now */
    int prev = mp_tls.state;
    mp_tls.state = MP_IN_CRITICAL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_mutex_lock(&depot_lock);
    uint32_t id = 0;
    if (!cur_index)
        __atomic_store_n(&cur_index, new_index(4096), __ATOMIC_RELEASE);
    ix = cur_index;
    if (!ix)
        goto out;
    uint32_t slot = 0;
    id = probe(ix, h, &slot);
    if (id)
        goto out;
    if (next_id >= MAX_IDS)
        goto out;
    struct record ***page = &record_pages[next_id / PAGE_IDS];
    if (!*page) {
        /* published before next_id moves past the page's first id (readers check next_id) */
        struct record **p = mp_pages_alloc(sizeof(struct record *) * PAGE_IDS);
        if (!p)
            goto out;
        __atomic_store_n(page, p, __ATOMIC_RELEASE);
    }
    /* memplumber's own frames (the thread-start trampoline) are not the program's: dropped from
     * the record, once per distinct stack rather than on every capture. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        kept += !mp_modules_is_self(pcs[i]);
    struct record *r = mp_arena_alloc(sizeof(struct record) + kept * sizeof(uintptr_t));
    if (!r)
        goto out;
    r->n = kept;
    r->gen = gen;
    r->checked = gen;
    for (uint32_t i = 0, k = 0; i < n; i++)
        if (!mp_modules_is_self(pcs[i]))
            r->pcs[k++] = pcs[i];
    id = next_id;
    r->id = id;
    __atomic_store_n(&(*page)[id % PAGE_IDS], r, __ATOMIC_RELEASE);
    __atomic_store_n(&next_id, id + 1, __ATOMIC_RELEASE);
    /* (under the lock) a record of a newer generation starts the range; one of an older
     * generation (its capture read the generation before a dlclose) moves the range past it */
    const uint32_t wgen = (uint32_t)(gen_first_id >> 32);
    if (!gen_first_id || gen > wgen)
        __atomic_store_n(&gen_first_id, (uint64_t)gen << 32 | id, __ATOMIC_RELEASE);
    else if (gen < wgen)
        __atomic_store_n(&gen_first_id, (uint64_t)wgen << 32 | (id + 1), __ATOMIC_RELEASE);
    if ((used_slots + 1) * 2 > ix->cap) {
        struct index *nx = new_index(ix->cap * 2);
        if (nx) {
            const uint32_t m = nx->cap - 1;
            for (uint32_t i = 0; i < ix->cap; i++) {
                const struct slot old = ix->slots[i];
                if (!old.lo)
                    continue;
                uint32_t j = (uint32_t)old.hi & m;
                while (nx->slots[j].lo)
                    j = (j + 1) & m;
                nx->slots[j] = old;
            }
            __atomic_store_n(&cur_index, nx, __ATOMIC_RELEASE);
            ix = nx;
            probe(ix, h, &slot);
        }
    }
    publish(&ix->slots[slot], h.h1, slot_lo(h, id));
    used_slots++;
out:
    mp_mutex_unlock(&depot_lock);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_tls.state = prev;
    return id;
}

const uintptr_t *mp_depot_get(mp_stack_id id, uint32_t *n, uint32_t *gen)
{
    if (!id || id >= __atomic_load_n(&next_id, __ATOMIC_ACQUIRE))
        return NULL;
    struct record **page = __atomic_load_n(&record_pages[id / PAGE_IDS], __ATOMIC_ACQUIRE);
    if (!page)
        return NULL;
    const struct record *r = __atomic_load_n(&page[id % PAGE_IDS], __ATOMIC_ACQUIRE);
    if (!r)
        return NULL;
    *n = r->n;
    if (gen)
        *gen = r->gen;
    return r->pcs;
}

uint32_t mp_depot_count(void) { return __atomic_load_n(&next_id, __ATOMIC_ACQUIRE); }

void mp_depot_lock(void) { mp_mutex_lock(&depot_lock); }
void mp_depot_unlock(void) { mp_mutex_unlock(&depot_lock); }
void mp_depot_child_after_fork(void) { mp_mutex_init(&depot_lock); }
