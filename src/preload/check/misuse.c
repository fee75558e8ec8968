/* Heap-misuse detection (see misuse.h). */
#include "preload/check/misuse.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/kinds.h"
#include "preload/record/depot.h"
#include "preload/runtime/guard.h"
#include "preload/runtime/runtime.h"

static void table_init(void);

/* ---- quarantine: a ring of freed blocks' metadata ---- */

struct qentry {
    uint64_t addr;
    uint64_t size_kind; /* size << 4 | alloc kind */
    uint64_t free_pc;   /* the free's caller frame when its full stack is not kept */
    uint32_t alloc_stack, free_stack;
};

/* 64 sub-rings: the first 63 threads of the process own one each, later threads share the last
 * one. A free appends to its thread's ring; an owner advances the ring's counter with an
 * unlocked add (it is the only writer: the locked one cost more than the rest of the record),
 * the threads of the shared ring with an atomic add. No cache line bounces between cores
 * on the hot path. A lookup (only when a free is bad) scans every ring, the freeing thread's
 * first. */
#define NQ 64
/* The first ring (the first thread that frees: nearly always the main thread, which in most
 * programs frees most) is MAIN_RING_SCALE times larger than the others: with one ring per
 * thread of an equal share, a single-threaded program remembered only 1/64 of the budget
 * (8,192 frees by default) and named a later double free an invalid free. */
#define MAIN_RING_SCALE 16
static struct qentry *ring;
static uint64_t sub_cap; /* entries per sub-ring but the first, power of two; 0 = off */

static inline uint64_t ring_cap(unsigned q_i)
{
    return q_i == 0 ? sub_cap * MAIN_RING_SCALE : sub_cap;
}

static inline struct qentry *ring_base(unsigned q_i)
{
    return q_i == 0 ? ring : ring + sub_cap * (MAIN_RING_SCALE + q_i - 1);
}
static struct {
    uint64_t next;
} __attribute__((aligned(64))) sub_next[NQ];
static unsigned next_sub;
static __thread unsigned my_sub __attribute__((tls_model("initial-exec"))); /* index + 1, 0 = none */
/* keep_stacktraces=alloc-and-free (or alloc-then-free): full free stacks; else (alloc, the
 * default) a free records only its caller frame, a load instead of a walk. */
static int full_free_stacks;

static inline unsigned sub_of_thread(void)
{
    if (!my_sub) {
        unsigned n = __atomic_fetch_add(&next_sub, 1, __ATOMIC_RELAXED);
        my_sub = (n < NQ - 1 ? n : NQ - 1) + 1;
    }
    return my_sub - 1;
}

void mp_misuse_init(void)
{
    table_init();
    full_free_stacks = strcmp(mp_opt.keep_stacktraces, "alloc") != 0;
    uint64_t want = mp_opt.quarantine_size / sizeof(struct qentry) / NQ;
    if (!want)
        return;
    uint64_t cap = 1;
    while (cap * 2 <= want)
        cap *= 2;
    /* pages are touched only as the rings fill */
    ring = mp_pages_alloc(cap * (NQ - 1 + MAIN_RING_SCALE) * sizeof(struct qentry));
    if (ring)
        sub_cap = cap;
}

uint32_t mp_misuse_free_stack(uintptr_t *fp)
{
    return sub_cap && full_free_stacks ? mp_runtime_capture_free(fp) : 0;
}

void mp_misuse_remember_free(const struct mp_block *b, uintptr_t *fp)
{
    if (sub_cap)
        mp_misuse_remember_free_as(b, mp_misuse_free_stack(fp), fp);
}

void mp_misuse_remember_free_as(const struct mp_block *b, uint32_t fs, uintptr_t *fp)
{
    if (!sub_cap)
        return;
    unsigned q_i = sub_of_thread();
    uint64_t i;
    if (q_i < NQ - 1) {
        /* one instruction without the lock prefix: a signal handler's free cannot fall between
         * reading and writing the counter, and no other core writes it */
        i = 1;
        __asm__ volatile("xaddq %0, %1" : "+r"(i), "+m"(sub_next[q_i].next));
    } else {
        i = __atomic_fetch_add(&sub_next[q_i].next, 1, __ATOMIC_RELAXED);
    }
    i &= ring_cap(q_i) - 1;
    struct qentry *q = &ring_base(q_i)[i];
    q->addr = 0;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    q->size_kind = ((uint64_t)b->size << 4) | (b->kind & 15);
    q->alloc_stack = b->stack;
    q->free_stack = fs;
    q->free_pc = fs ? 0 : fp[1];
    __atomic_store_n(&q->addr, b->addr, __ATOMIC_RELEASE);
}

static int find_in_sub(unsigned q_i, uintptr_t addr, struct qentry *out)
{
    const struct qentry *base = ring_base(q_i);
    uint64_t cap = ring_cap(q_i);
    uint64_t end = __atomic_load_n(&sub_next[q_i].next, __ATOMIC_RELAXED);
    uint64_t n = end < cap ? end : cap;
    for (uint64_t k = 1; k <= n; k++) {
        const struct qentry *q = &base[(end - k) & (cap - 1)];
        if (__atomic_load_n(&q->addr, __ATOMIC_ACQUIRE) == addr) {
            *out = *q;
            return 1;
        }
    }
    return 0;
}

/* A recent quarantine entry for addr (the calling thread's newest first); 1 if found. */
static int quarantine_find(uintptr_t addr, struct qentry *out)
{
    if (!sub_cap)
        return 0;
    unsigned mine = sub_of_thread();
    if (find_in_sub(mine, addr, out))
        return 1;
    for (unsigned q_i = 0; q_i < NQ; q_i++)
        if (q_i != mine && find_in_sub(q_i, addr, out))
            return 1;
    return 0;
}

/* ---- the error table: recorded in the hook, lock-free, written later ----
 *
 * A hook that finds a bad free only records it here; the report entry writes it at a safe point
 * (see runtime/safepoint.c and docs/DESIGN.md). Everything lives in pages mapped at start-up.
 *
 * Contexts (valgrind's error contexts): one per (kind, stack), or per (kind, address) when the
 * stack is unknown. The key is exact in 64 bits: bit 63 set = kind << 32 | stack; clear =
 * (kind + 1) << 48 | address (user addresses fit in 48 bits). An open-addressing table of keys
 * claimed with one compare-and-swap holds each context's count (an atomic add): a repeat of a
 * context is counted by any thread, even a signal handler that interrupted the thread recording
 * that context's first occurrence. A new context also takes the next position of the record
 * array (an atomic add): positions are the order of first occurrence, the order errors are
 * written in and listed in reports. A record is published by its ready flag once its fields are
 * written. Beyond MAX_ERRORS contexts (or HCAP keys) errors are still counted in the total
 * (ERROR SUMMARY, error_exitcode), not shown; one line says so. */

#define MAX_ERRORS 4096
#define HCAP 16384 /* keys: power of two, 4 x MAX_ERRORS (contexts past MAX_ERRORS keep exact counts) */

struct hslot {
    uint64_t key; /* 0 = free */
    uint64_t count;
};

static struct hslot *htab;
static struct mp_error_record *errors; /* MAX_ERRORS, in order of first occurrence */
static uint32_t *rec_slot;             /* the hslot of each record */
static unsigned char *rec_ready;       /* 1 once the record's fields are written */
static uint64_t nclaimed;              /* positions handed out (may pass MAX_ERRORS) */
static uint64_t total_errors;
static uint64_t unshown_errors;        /* occurrences of contexts past the capacity */
static uint64_t written;               /* records written so far (writer side only) */
static int overflow_said;
int mp_misuse_unwritten;

static void table_init(void)
{
    nclaimed = total_errors = unshown_errors = written = 0;
    overflow_said = 0;
    mp_misuse_unwritten = 0;
    htab = mp_pages_alloc(HCAP * sizeof *htab);
    errors = mp_pages_alloc(MAX_ERRORS * sizeof *errors);
    rec_slot = mp_pages_alloc(MAX_ERRORS * sizeof *rec_slot);
    rec_ready = mp_pages_alloc(MAX_ERRORS);
    if (!htab || !errors || !rec_slot || !rec_ready)
        htab = NULL; /* then errors are only counted */
}

static uint64_t error_key(const struct mp_error_record *e)
{
    if (e->stack)
        return 1ull << 63 | (uint64_t)(e->kind & 0x7fff) << 32 | e->stack;
    return (uint64_t)((e->kind & 0x7fff) + 1) << 48 | (e->address & 0xffffffffffffull);
}

static void note_unwritten(void)
{
    __atomic_store_n(&mp_misuse_unwritten, 1, __ATOMIC_RELEASE);
}

/* Hook-safe and async-signal-safe: atomics on mapped memory only, no lock, no wait. */
static void record_error(const struct mp_error_record *e)
{
    __atomic_add_fetch(&total_errors, 1, __ATOMIC_RELAXED);
    if (!htab) {
        __atomic_add_fetch(&unshown_errors, 1, __ATOMIC_RELAXED);
        note_unwritten();
        return;
    }
    uint64_t key = error_key(e);
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    for (uint64_t probe = 0; probe < HCAP; probe++) {
        struct hslot *s = &htab[((h >> 40) + probe) & (HCAP - 1)];
        uint64_t cur = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
        if (cur == 0) {
            if (!__atomic_compare_exchange_n(&s->key, &cur, key, 0, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
                if (cur != key)
                    continue; /* another context took this slot: probe on */
            } else {
                /* A new context: its position in the order of first occurrence. */
                __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
                uint64_t idx = __atomic_fetch_add(&nclaimed, 1, __ATOMIC_ACQ_REL);
                if (idx >= MAX_ERRORS) {
                    __atomic_add_fetch(&unshown_errors, 1, __ATOMIC_RELAXED);
                } else {
                    errors[idx] = *e;
                    errors[idx].count = 1;
                    rec_slot[idx] = (uint32_t)(s - htab);
                    __atomic_store_n(&rec_ready[idx], 1, __ATOMIC_RELEASE);
                }
                note_unwritten();
                return;
            }
        }
        if (cur == key) {
            __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_add_fetch(&unshown_errors, 1, __ATOMIC_RELAXED); /* every key slot taken */
    note_unwritten();
}

/* ---- the writer's side (one writer at a time: the report entry's emit lock) ---- */

void mp_misuse_drain_begin(void)
{
    __atomic_store_n(&mp_misuse_unwritten, 0, __ATOMIC_SEQ_CST);
}

int mp_misuse_take(struct mp_error_record *out)
{
    uint64_t n = __atomic_load_n(&nclaimed, __ATOMIC_ACQUIRE);
    if (n > MAX_ERRORS)
        n = MAX_ERRORS;
    if (written >= n || !__atomic_load_n(&rec_ready[written], __ATOMIC_ACQUIRE))
        return 0;
    *out = errors[written++];
    out->count = 1; /* as it happened: a message names the first occurrence */
    return 1;
}

uint64_t mp_misuse_take_overflow(void)
{
    uint64_t u = __atomic_load_n(&unshown_errors, __ATOMIC_RELAXED);
    if (!u || overflow_said)
        return 0;
    overflow_said = 1;
    return u;
}

void mp_misuse_drain_end(void)
{
    uint64_t n = __atomic_load_n(&nclaimed, __ATOMIC_ACQUIRE);
    if (n > MAX_ERRORS)
        n = MAX_ERRORS;
    if (written < n || (__atomic_load_n(&unshown_errors, __ATOMIC_RELAXED) && !overflow_said))
        note_unwritten(); /* one is still being recorded (another thread, or the frame this
                             writer interrupted): the next safe point takes it */
}

void mp_misuse_settle(void)
{
    for (int i = 0; i < 2000; i++) {
        uint64_t n = __atomic_load_n(&nclaimed, __ATOMIC_ACQUIRE);
        if (n > MAX_ERRORS)
            n = MAX_ERRORS;
        uint64_t k = 0;
        while (k < n && __atomic_load_n(&rec_ready[k], __ATOMIC_ACQUIRE))
            k++;
        if (k == n)
            return;
        struct timespec us50 = {0, 50000};
        nanosleep(&us50, NULL);
    }
}

int mp_misuse_free_ok(const struct mp_block *b, unsigned free_kind, size_t sized, int has_size)
{
    unsigned want;
    switch (b->kind) {
    case MP_ALLOC_NEW: want = MP_FREE_DELETE; break;
    case MP_ALLOC_NEW_ARRAY: want = MP_FREE_DELETE_ARRAY; break;
    case MP_ALLOC_NEW_ALIGNED: want = MP_FREE_DELETE_ALIGNED; break;
    case MP_ALLOC_NEW_ARRAY_ALIGNED: want = MP_FREE_DELETE_ARRAY_ALIGNED; break;
    default: want = MP_FREE_FREE;
    }
    if (free_kind == MP_FREE_REALLOC)
        free_kind = MP_FREE_FREE; /* realloc releases what free releases */
    if (want != free_kind)
        return 0;
    if (has_size && sized != b->size)
        return 0;
    return 1;
}

void mp_misuse_report_mismatch(const struct mp_block *b, unsigned free_kind, size_t sized,
                               int has_size, uintptr_t *fp)
{
    struct mp_error_record e;
    memset(&e, 0, sizeof e);
    int size_only = has_size && sized != b->size && mp_misuse_free_ok(b, free_kind, b->size, 0);
    e.kind = size_only ? MP_ERR_SIZED_DELETE : MP_ERR_MISMATCHED_FREE;
    e.address = b->addr;
    e.size = b->size;
    e.size_given = has_size ? sized : 0;
    e.allocator = b->kind;
    e.free_kind = free_kind;
    e.stack = mp_runtime_capture(fp);
    e.alloc_stack = b->stack;
    e.tid = mp_tls.vg_tid ? mp_tls.vg_tid : 1;
    record_error(&e);
}

int mp_misuse_recently_freed(void *p)
{
    struct qentry q;
    return quarantine_find((uintptr_t)p, &q);
}

int mp_misuse_freed_size(void *p, size_t *size)
{
    struct qentry q;
    if (!quarantine_find((uintptr_t)p, &q))
        return 0;
    *size = (size_t)(q.size_kind >> 4);
    return 1;
}

void mp_misuse_report_bad_free(void *p, unsigned free_kind, int is_realloc, uintptr_t *fp)
{
    mp_misuse_report_bad_free_at(p, free_kind, is_realloc, mp_runtime_capture(fp));
}

void mp_misuse_report_bad_free_at(void *p, unsigned free_kind, int is_realloc, uint32_t stack)
{
    struct mp_error_record e;
    memset(&e, 0, sizeof e);
    struct qentry q;
    e.address = (uintptr_t)p;
    e.free_kind = free_kind;
    e.stack = stack;
    if (quarantine_find((uintptr_t)p, &q)) {
        e.kind = is_realloc ? MP_ERR_REALLOC_FREED : MP_ERR_DOUBLE_FREE;
        e.size = q.size_kind >> 4;
        e.allocator = (unsigned)(q.size_kind & 15);
        e.alloc_stack = q.alloc_stack;
        e.free_stack = q.free_stack;
        if (!e.free_stack && q.free_pc) /* keep_stacktraces=alloc: the caller frame */
            e.free_stack = mp_depot_put((const uintptr_t *)&q.free_pc, 1,
                                        __atomic_load_n(&mp_module_gen, __ATOMIC_RELAXED));
    } else {
        e.kind = is_realloc ? MP_ERR_REALLOC_INVALID : MP_ERR_INVALID_FREE;
        /* An interior pointer? Name the block it falls in (searching back 16 KiB), or the one
         * it follows closely: up to 15 bytes past a block's end is "N bytes after" it, as
         * valgrind says of an address in the 16-byte red zone after a block (free(p + size)). */
        struct mp_block b;
        uintptr_t a = (uintptr_t)p & ~(uintptr_t)7;
        for (uintptr_t s = a; s + 16384 > a && s >= 4096; s -= 8) {
            if (s != (uintptr_t)p && mp_heap_find(s, &b)) {
                if ((uintptr_t)p < b.addr + (b.size ? b.size : 1) + 16) {
                    e.block = b.addr;
                    e.size = b.size;
                    e.allocator = b.kind;
                    e.alloc_stack = b.stack;
                }
                break;
            }
        }
        /* Not inside a block: up to 16 bytes before one (glibc's chunk header) is "N bytes
         * before" it, as valgrind says of its red zone before a block. glibc's header also
         * follows the block before, so an address there may be "after" that one too: within
         * the size field (8 bytes before the next block, where delete[] of an object made by
         * plain new lands) valgrind names the next block, further back the block before
         * (free(p + size) is "0 bytes after"). memplumber's own blocks are not named. */
        if (!e.block || (uintptr_t)p >= e.block + e.size) {
            uintptr_t until = (uintptr_t)p + (e.block ? 8 : 16);
            for (uintptr_t s = a + 8; s <= until; s += 8) {
                if (s > (uintptr_t)p && mp_heap_find(s, &b) && b.kind != MP_ALLOC_INTERNAL) {
                    e.block = b.addr;
                    e.size = b.size;
                    e.allocator = b.kind;
                    e.alloc_stack = b.stack;
                    break;
                }
            }
        }
    }
    e.tid = mp_tls.vg_tid ? mp_tls.vg_tid : 1;
    record_error(&e);
}

void mp_misuse_report_usable_size(void *p, uintptr_t *fp)
{
    struct mp_error_record e;
    memset(&e, 0, sizeof e);
    e.kind = MP_ERR_USABLE_SIZE_INVALID;
    e.address = (uintptr_t)p;
    e.stack = mp_runtime_capture(fp);
    struct qentry q;
    if (quarantine_find((uintptr_t)p, &q)) {
        /* a freed block: say so, with its stacks, not "not ... (recently) free'd" */
        e.size = q.size_kind >> 4;
        e.allocator = (unsigned)(q.size_kind & 15);
        e.alloc_stack = q.alloc_stack;
        e.free_stack = q.free_stack;
        if (!e.free_stack && q.free_pc)
            e.free_stack = mp_depot_put((const uintptr_t *)&q.free_pc, 1,
                                        __atomic_load_n(&mp_module_gen, __ATOMIC_RELAXED));
    }
    e.tid = mp_tls.vg_tid ? mp_tls.vg_tid : 1;
    record_error(&e);
}

size_t mp_misuse_errors(const struct mp_error_record **out, uint64_t *total)
{
    *out = errors;
    *total = __atomic_load_n(&total_errors, __ATOMIC_RELAXED);
    if (!htab)
        return 0;
    uint64_t n = __atomic_load_n(&nclaimed, __ATOMIC_ACQUIRE);
    if (n > MAX_ERRORS)
        n = MAX_ERRORS;
    size_t k = 0;
    for (; k < n && __atomic_load_n(&rec_ready[k], __ATOMIC_ACQUIRE); k++)
        errors[k].count = __atomic_load_n(&htab[rec_slot[k]].count, __ATOMIC_RELAXED);
    return k;
}

uint64_t mp_misuse_unshown(void)
{
    return __atomic_load_n(&unshown_errors, __ATOMIC_RELAXED);
}
