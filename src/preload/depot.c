/* Stack depot (see depot.h). Records live in the arena, never move and never die. The index is
 * an open-addressed table of ids, replaced by a table twice as large when half full; old tables
 * are kept (readers may still be probing them), which costs at most as much as the live table. */
#include "preload/depot.h"

#include <string.h>

#include "common/arena.h"
#include "common/lock.h"
#include "preload/guard.h"

struct record {
    uint64_t hash;
    uint32_t n, gen;
    uint32_t id, pad;
    uintptr_t pcs[];
};

/* A slot holds the record's address (low 48 bits) and the top 16 bits of the stack's hash, so
 * that a probe rejects other stacks without touching their records and reaches the record with
 * one load instead of going through the id array. 0 = empty. */
struct index {
    uint32_t cap; /* power of two */
    uint64_t slots[];
};

#define MAX_IDS (1u << 24)

static struct mp_mutex depot_lock = MP_MUTEX_INIT;
static struct index *cur_index;
static struct record **records; /* id -> record, reserved for MAX_IDS, touched lazily */
static uint32_t next_id = 1;
static uint32_t used_slots;

/* Independent per-frame products (no serial dependency: the loop runs at one frame per cycle),
 * mixed once at the end. Only bucket choice depends on it: equality is checked frame by frame. */
static inline uint64_t hash_stack(const uintptr_t *pcs, uint32_t n)
{
    uint64_t a = 0x9E3779B97F4A7C15ull ^ n, b = 0;
    uint32_t i = 0;
    for (; i + 1 < n; i += 2) {
        a += (pcs[i] ^ i) * 0xff51afd7ed558ccdull;
        b += (pcs[i + 1] ^ (i + 1)) * 0xc4ceb9fe1a85ec53ull;
        a = (a << 23) | (a >> 41);
        b = (b << 31) | (b >> 33);
    }
    if (i < n)
        a += (pcs[i] ^ i) * 0xff51afd7ed558ccdull;
    uint64_t h = a ^ (b * 0x9E3779B97F4A7C15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static inline int same_frames(const uintptr_t *a, const uintptr_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

#define PTR_MASK ((1ull << 48) - 1)

static inline uint32_t probe(const struct index *ix, uint64_t h, const uintptr_t *pcs,
                             uint32_t n, uint32_t *empty_slot)
{
    uint32_t mask = ix->cap - 1;
    uint64_t tag = h >> 48;
    for (uint32_t i = (uint32_t)(h >> 16) & mask;; i = (i + 1) & mask) {
        uint64_t v = __atomic_load_n(&ix->slots[i], __ATOMIC_ACQUIRE);
        if (v == 0) {
            if (empty_slot)
                *empty_slot = i;
            return 0;
        }
        if ((v >> 48) != tag)
            continue;
        const struct record *r = (const struct record *)(uintptr_t)(v & PTR_MASK);
        if (r->hash == h && r->n == n && same_frames(r->pcs, pcs, n))
            return r->id;
    }
}

static struct index *new_index(uint32_t cap)
{
    struct index *ix = mp_pages_alloc(sizeof(struct index) + (size_t)cap * sizeof(uint64_t));
    if (ix)
        ix->cap = cap;
    return ix;
}

mp_stack_id mp_depot_put(const uintptr_t *pcs, uint32_t n, uint32_t gen)
{
    uint64_t h = hash_stack(pcs, n);
    struct index *ix = __atomic_load_n(&cur_index, __ATOMIC_ACQUIRE);
    if (ix) {
        uint32_t id = probe(ix, h, pcs, n, NULL);
        if (id)
            return id;
    }
    if (mp_tls.state == MP_IN_CRITICAL)
        return 0; /* a signal handler interrupted a critical section: no locks now */
    int prev = mp_tls.state;
    mp_tls.state = MP_IN_CRITICAL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_mutex_lock(&depot_lock);
    uint32_t id = 0;
    if (!records)
        records = mp_pages_alloc(sizeof(struct record *) * MAX_IDS);
    if (!cur_index)
        __atomic_store_n(&cur_index, new_index(4096), __ATOMIC_RELEASE);
    ix = cur_index;
    if (!records || !ix)
        goto out;
    uint32_t slot = 0;
    id = probe(ix, h, pcs, n, &slot);
    if (id)
        goto out;
    if (next_id >= MAX_IDS)
        goto out;
    struct record *r = mp_arena_alloc(sizeof(struct record) + n * sizeof(uintptr_t));
    if (!r)
        goto out;
    r->hash = h;
    r->n = n;
    r->gen = gen;
    memcpy(r->pcs, pcs, n * sizeof(uintptr_t));
    id = next_id++;
    r->id = id;
    __atomic_store_n(&records[id], r, __ATOMIC_RELEASE);
    if ((used_slots + 1) * 2 > ix->cap) {
        struct index *nx = new_index(ix->cap * 2);
        if (nx) {
            for (uint32_t i = 0; i < ix->cap; i++) {
                uint64_t old = ix->slots[i];
                if (!old)
                    continue;
                uint32_t m = nx->cap - 1;
                uint32_t j = (uint32_t)(((const struct record *)(uintptr_t)(old & PTR_MASK))->hash >> 16) & m;
                while (nx->slots[j])
                    j = (j + 1) & m;
                nx->slots[j] = old;
            }
            __atomic_store_n(&cur_index, nx, __ATOMIC_RELEASE);
            ix = nx;
            probe(ix, h, pcs, n, &slot);
        }
    }
    __atomic_store_n(&ix->slots[slot], ((uint64_t)(uintptr_t)r & PTR_MASK) | (h >> 48 << 48),
                     __ATOMIC_RELEASE);
    used_slots++;
out:
    mp_mutex_unlock(&depot_lock);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_tls.state = prev;
    return id;
}

const uintptr_t *mp_depot_get(mp_stack_id id, uint32_t *n, uint32_t *gen)
{
    if (!id || !records || id >= __atomic_load_n(&next_id, __ATOMIC_ACQUIRE))
        return NULL;
    const struct record *r = __atomic_load_n(&records[id], __ATOMIC_ACQUIRE);
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
