/* Leak scan (see scan.h for the algorithm and preconditions).
 * Pointer lookup: a bitmap with one bit per 8-byte granule marks block starts, kept in 1 GiB
 * regions mapped on demand (one 16 MiB NORESERVE map per region, touched only where blocks
 * are). A start pointer is a bit test plus a table lookup; an interior pointer searches back at
 * most SMALL_SPAN bytes of bitmap for the nearest start, and blocks larger than that are also
 * kept in a sorted array searched by binary search. Reads of memory that disappears under us
 * (a thread that did not stop unmapped it) are caught with SIGSEGV/SIGBUS and skipped. */
#include "preload/scan/scan.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/kinds.h"
#include "preload/record/heap.h"
#include "preload/record/maps.h"
#include "preload/record/modules.h"

#define REGION_SHIFT 30
#define NREGIONS (1u << (47 - REGION_SHIFT))
#define SMALL_SPAN 4096

struct big {
    uintptr_t addr, end;
    uint32_t idx;
};

/* A range still to scan (a root range or a block) on the depth-first flood's frame stack. */
struct frame {
    uintptr_t cur, end;
    uint32_t prior_definite, alloc_data;
};

struct range {
    uintptr_t lo, hi;
};

/* A region holding block starts and the range of bitmap words they fall in: its bitmap covers
 * words lo_word..hi_word only (known after the first pass over the blocks, fixed from then on). */
struct ureg {
    uint32_t region;
    uint64_t lo_word, hi_word;
};

static inline uint64_t ureg_words(const struct ureg *u) { return u->hi_word - u->lo_word + 1; }

#define MAX_USED_REGIONS 8192
#define MAX_EXCL 65536
#define MAX_HOLES 4096 /* runs of userfaultfd pages not in memory; more are read (and may wait) */

/* Everything one scan changes, in one place: mp_scan_run clears it before a scan and releases
 * what it mapped after. All memory it points to is tool memory (mp_pages_alloc). */
static struct scan_state {
    /* Block-start bitmap: NREGIONS pointers to 1 GiB-region bitmaps. A region's bitmap covers
     * only the words between its lowest and highest block start (a whole region's 16 MiB, in a
     * process that has used up a finite RLIMIT_AS, did not fit in the report's reserve once
     * blocks spanned three regions). */
    uint64_t **regions;
    /* The regions that hold blocks (tool memory, pages touched as used: a few hundred bytes in
     * most programs, where fixed arrays here cost every report, in every forked child, the page
     * faults of clearing them). Sorted by address before cliques(); region_slot follows. */
    struct ureg *ureg;
    uint32_t nused_regions;
    uint16_t *region_slot;    /* region -> index in ureg + 1 */
    uintptr_t heap_lo, heap_hi; /* [lowest block start, highest block end) */

    struct big *bigs; /* blocks of SMALL_SPAN bytes or more, sorted by address */
    size_t nbigs, capbigs;

    uint32_t *mstack; /* mark stack of block indices */
    size_t mtop, mcap;
    struct frame *fstack; /* frame stack of the flood */
    size_t ftop, fcap;

    unsigned heuristics; /* set of 1 << enum mp_heuristic */
    /* The last block an interior pointer resolved to: pointers into an allocator arena or an
     * array come in runs, and each would otherwise search the bitmap backwards again. */
    uintptr_t last_lo, last_hi;
    uint32_t last_idx;
    /* The multiple-inheritance heuristic's verdict on the last block's first word. */
    uintptr_t vt_block;
    int vt_first_ok;

    /* The mappings, read once per scan (sorted by address, as the kernel lists them). */
    struct mp_map *smaps;
    long nsmaps;
    /* Ranges that are not roots (tool memory, the allocator's heaps, big blocks, dead stacks). */
    struct range *excl;
    size_t nexcl;
    /* The real allocator's own data (glibc's main_arena lives in libc's .data): its bins and top
     * pointers address chunk headers, and a free chunk's header overlaps the last 8 bytes of the
     * block before it. valgrind never sees these (it replaces the allocator), so such pointers
     * must not make that block "possibly lost". */
    uintptr_t alloc_data_lo, alloc_data_hi;
    int scanning_alloc_data;
    int root_alloc_data;

    /* Pages of userfaultfd ranges not in memory (mp_maps_uffd_holes): never read. */
    struct mp_brk_range *holes;
    size_t nholes;

    /* Fault recovery: a read of memory unmapped under us jumps back into drain(). */
    sigjmp_buf scan_jmp;
    volatile int scanning;
    volatile uintptr_t scan_cursor; /* address being read */

    struct mp_scan_stats *st;
} S;





/* ---- bitmap ---- */

/* The bitmap word holding a's bit, or NULL outside every bitmap. */
static inline uint64_t *bit_word(uintptr_t a)
{
    uint64_t *r = S.regions[a >> REGION_SHIFT];
    if (!r)
        return NULL;
    const uint32_t ui = S.region_slot[a >> REGION_SHIFT] - 1u;
    const uint64_t off = (((a & ((1ull << REGION_SHIFT) - 1)) >> 9)) - S.ureg[ui].lo_word;
    return off < ureg_words(&S.ureg[ui]) ? &r[off] : NULL;
}

static inline int bit_test(uintptr_t a)
{
    const uint64_t *w = bit_word(a);
    return w ? (int)((*w >> ((a >> 3) & 63)) & 1) : 0;
}

static void bit_set(uintptr_t a)
{
    uint64_t *w = bit_word(a);
    if (w)
        *w |= 1ull << ((a >> 3) & 63);
}

/* First pass over the blocks: the regions holding block starts and, per region, the range of
 * bitmap words they fall in (the bitmaps are mapped after it, that size). */
static void region_note(uintptr_t a)
{
    const uint32_t x = (uint32_t)(a >> REGION_SHIFT);
    if (!S.region_slot[x]) {
        if (S.nused_regions == MAX_USED_REGIONS || !S.ureg)
            return;
        S.ureg[S.nused_regions].lo_word = ~0ull;
        S.ureg[S.nused_regions].hi_word = 0;
        S.ureg[S.nused_regions++].region = x;
        S.region_slot[x] = (uint16_t)S.nused_regions;
    }
    const uint64_t wi = (a & ((1ull << REGION_SHIFT) - 1)) >> 9;
    const uint32_t ui = S.region_slot[x] - 1u;
    if (wi < S.ureg[ui].lo_word)
        S.ureg[ui].lo_word = wi;
    if (wi > S.ureg[ui].hi_word)
        S.ureg[ui].hi_word = wi;
}

/* After the first pass: each used region's bitmap, its words only. A region whose bitmap cannot
 * be mapped has none (its blocks are found only through the big-block list). */
static void regions_map(void)
{
    for (uint32_t ui = 0; ui < S.nused_regions; ui++) {
        S.regions[S.ureg[ui].region] = mp_pages_alloc(ureg_words(&S.ureg[ui]) * 8);
    }
}

static int mark_start(uint32_t idx, const struct mp_block *b, void *ctx)
{
    (void)idx;
    (void)ctx;
    bit_set(b->addr);
    return 0;
}

/* Highest block start s with lo <= s <= a, or 0. */
static uintptr_t prev_start(uintptr_t a, uintptr_t lo)
{
    a &= ~(uintptr_t)7;
    while (a >= lo && a) {
        uint64_t *r = S.regions[a >> REGION_SHIFT];
        uintptr_t region_base = a & ~((1ull << REGION_SHIFT) - 1);
        if (!r) {
            if (region_base == 0 || region_base - 8 < lo)
                return 0;
            a = region_base - 8;
            continue;
        }
        const uint32_t ui = S.region_slot[a >> REGION_SHIFT] - 1u;
        const uint64_t wlo = S.ureg[ui].lo_word, wn = ureg_words(&S.ureg[ui]);
        uint64_t g = (a - region_base) >> 3;
        if ((g >> 6) >= wlo + wn) {
            g = ((wlo + wn) << 6) - 1; /* above the bitmap: from its last bit down */
        } else if ((g >> 6) < wlo) {
            if (region_base == 0 || region_base - 8 < lo)
                return 0; /* below it: no start in this region */
            a = region_base - 8;
            continue;
        }
        uint64_t w = r[(g >> 6) - wlo] & (~0ull >> (63 - (g & 63)));
        if (w) {
            uintptr_t s = region_base + (((g & ~63ull) + 63 - (uint64_t)__builtin_clzll(w)) << 3);
            return s >= lo ? s : 0;
        }
        uintptr_t word_base = region_base + ((g & ~63ull) << 3);
        if (word_base == 0 || word_base - 8 < lo)
            return 0;
        a = word_base - 8;
    }
    return 0;
}

/* Lowest block start s with lo <= s < hi, or 0. */
static uintptr_t next_start(uintptr_t lo, uintptr_t hi)
{
    uintptr_t a = (lo + 7) & ~(uintptr_t)7;
    while (a < hi) {
        uintptr_t region_base = a & ~((1ull << REGION_SHIFT) - 1);
        uintptr_t region_end = region_base + (1ull << REGION_SHIFT);
        uint64_t *r = S.regions[a >> REGION_SHIFT];
        uint32_t slot = S.region_slot[a >> REGION_SHIFT];
        if (!r || !slot) {
            a = region_end;
            continue;
        }
        uint64_t g = (a - region_base) >> 3;
        const uint64_t wlo = S.ureg[slot - 1].lo_word;
        uint64_t wi = g >> 6, last = S.ureg[slot - 1].hi_word;
        if (wi < wlo) {
            wi = wlo;
            g = wi << 6;
        }
        uint64_t w = wi <= last ? r[wi - wlo] & (~0ull << (g & 63)) : 0;
        while (!w && ++wi <= last && region_base + ((wi << 6) << 3) < hi)
            w = r[wi - wlo];
        if (w) {
            uintptr_t s = region_base + (((wi << 6) + (uint64_t)__builtin_ctzll(w)) << 3);
            return s < hi ? s : 0;
        }
        a = region_end;
    }
    return 0;
}

/* ---- building the index ---- */

static int add_block(uint32_t idx, const struct mp_block *b, void *ctx)
{
    (void)ctx;
    mp_heap_set_state(idx, MP_ST_UNREACHED);
    region_note(b->addr);
    if (b->addr < S.heap_lo)
        S.heap_lo = b->addr;
    uintptr_t end = b->addr + (b->size ? b->size : 1);
    if (end > S.heap_hi)
        S.heap_hi = end;
    if (b->size >= SMALL_SPAN) {
        if (S.nbigs == S.capbigs) {
            size_t ncap = S.capbigs ? S.capbigs * 2 : 1024;
            struct big *nb = mp_pages_alloc(ncap * sizeof *nb);
            if (!nb)
                return 0;
            if (S.bigs) {
                memcpy(nb, S.bigs, S.nbigs * sizeof *nb);
                mp_pages_free(S.bigs, S.capbigs * sizeof *nb);
            }
            S.bigs = nb;
            S.capbigs = ncap;
        }
        S.bigs[S.nbigs].addr = b->addr;
        S.bigs[S.nbigs].end = b->addr + b->size;
        S.bigs[S.nbigs].idx = idx;
        S.nbigs++;
    }
    S.st->blocks++;
    return 0;
}

static void sort_bigs(size_t lo, size_t hi) /* quicksort [lo, hi) by addr */
{
    while (hi - lo > 16) {
        uintptr_t pivot = S.bigs[lo + (hi - lo) / 2].addr;
        size_t i = lo, j = hi - 1;
        for (;;) {
            while (S.bigs[i].addr < pivot)
                i++;
            while (S.bigs[j].addr > pivot)
                j--;
            if (i >= j)
                break;
            struct big t = S.bigs[i];
            S.bigs[i] = S.bigs[j];
            S.bigs[j] = t;
            i++;
            j--;
        }
        if (j + 1 - lo < hi - j - 1) {
            sort_bigs(lo, j + 1);
            lo = j + 1;
        } else {
            sort_bigs(j + 1, hi);
            hi = j + 1;
        }
    }
    for (size_t i = lo + 1; i < hi; i++) {
        struct big t = S.bigs[i];
        size_t j = i;
        while (j > lo && S.bigs[j - 1].addr > t.addr) {
            S.bigs[j] = S.bigs[j - 1];
            j--;
        }
        S.bigs[j] = t;
    }
}

/* ---- pointer lookup ---- */

/* The block containing (or starting at) p: its index, *is_start set. MP_HEAP_NONE if none. */
static uint32_t find_block(uintptr_t p, int *is_start, struct mp_block *b)
{
    if (p < S.heap_lo || p >= S.heap_hi)
        return MP_HEAP_NONE;
    if (p > S.last_lo && p < S.last_hi) {
        mp_heap_get(S.last_idx, b);
        *is_start = 0;
        return S.last_idx;
    }
    if (!(p & 7) && bit_test(p)) {
        uint32_t idx = mp_heap_index_of(p);
        if (idx != MP_HEAP_NONE) {
            mp_heap_get(idx, b);
            *is_start = 1;
            return idx;
        }
    }
    uintptr_t lo = p > SMALL_SPAN ? p - SMALL_SPAN : 1;
    uintptr_t s = prev_start((p & 7) ? p : p - 8, lo);
    if (s) {
        uint32_t idx = mp_heap_index_of(s);
        if (idx == MP_HEAP_NONE)
            return MP_HEAP_NONE;
        mp_heap_get(idx, b);
        if (p < s + b->size) {
            *is_start = 0;
            S.last_lo = s;
            S.last_hi = s + b->size;
            S.last_idx = idx;
            return idx;
        }
        return MP_HEAP_NONE;
    }
    /* No start nearby: only a big block can contain p. */
    size_t l = 0, h = S.nbigs;
    while (l < h) {
        size_t m = (l + h) / 2;
        if (S.bigs[m].addr <= p)
            l = m + 1;
        else
            h = m;
    }
    if (l == 0 || p >= S.bigs[l - 1].end)
        return MP_HEAP_NONE;
    mp_heap_get(S.bigs[l - 1].idx, b);
    *is_start = 0;
    return S.bigs[l - 1].idx;
}

/* ---- heuristics (interior pointers valgrind's default heuristics accept) ---- */

static const struct mp_map *map_of(uintptr_t a)
{
    long l = 0, h = S.nsmaps;
    while (l < h) {
        long m = (l + h) / 2;
        if (S.smaps[m].hi <= a)
            l = m + 1;
        else
            h = m;
    }
    return (l < S.nsmaps && S.smaps[l].lo <= a) ? &S.smaps[l] : NULL;
}

static int looks_like_vtable(uintptr_t v)
{
    /* A vtable lives in a readable file mapping and holds at least two pointers to code
     * (null entries allowed), within its first 20 words. */
    const struct mp_map *m = map_of(v);
    if (!m || m->anon || !(m->prot & 1))
        return 0;
    int fns = 0;
    for (int i = 0; i < 20 && v + 8 * (uintptr_t)i + 8 <= m->hi; i++) {
        uintptr_t f = ((const uintptr_t *)v)[i];
        if (!f)
            continue;
        const struct mp_map *fm = map_of(f);
        if (!fm || fm->anon || !(fm->prot & 4))
            return 0;
        if (++fns == 2)
            return 1;
    }
    return 0;
}

/* Which heuristic of the set accepts interior pointer p into b: MP_HEUR_x + 1, or 0 for none.
 * Tried in valgrind's order (heuristic_reachedness): the first that fits is the one a block
 * is counted under ("of which reachable via heuristic"). */
static unsigned heuristic_ok(uintptr_t p, const struct mp_block *b)
{
    const unsigned set = S.heuristics;
    if (!set)
        return 0;
    const uint64_t *w = (const uint64_t *)b->addr;
    /* stdstring (COW layout: length, capacity, refcount, chars) */
    if ((set & (1u << MP_HEUR_STDSTRING)) && p == b->addr + 24 && b->size >= 24) {
        uint64_t cap = w[1];
        if (3 * 8 + cap + 1 == b->size && w[0] <= cap)
            return MP_HEUR_STDSTRING + 1;
    }
    /* length64 */
    if ((set & (1u << MP_HEUR_LENGTH64)) && p == b->addr + 8 && b->size >= 8 && w[0] > 0 &&
        b->size - 8 == w[0])
        return MP_HEUR_LENGTH64 + 1;
    /* newarray: element count before the elements */
    if ((set & (1u << MP_HEUR_NEWARRAY)) && p == b->addr + 8 && b->size >= 8 && w[0] > 0 &&
        (b->size - 8) % w[0] == 0)
        return MP_HEUR_NEWARRAY + 1;
    /* multiple inheritance: both the block start and p hold vtable pointers. The block's first
     * word is tested first, and its verdict kept for the next pointer into the same block:
     * blocks full of interior pointers (allocator arenas of interpreters) rarely start with a
     * vtable, and p's word is then never read (a cache miss per pointer). */
    if ((set & (1u << MP_HEUR_MULTIPLEINHERITANCE)) && !(p & 7) && p + 8 <= b->addr + b->size &&
        b->size >= 8) {
        if (S.vt_block != b->addr) {
            uintptr_t first = w[0];
            S.vt_first_ok = !(first & 7) && first >= 4096 && looks_like_vtable(first);
            S.vt_block = b->addr;
        }
        if (S.vt_first_ok) {
            uintptr_t inner = *(const uintptr_t *)p;
            if (!(inner & 7) && inner >= 4096 && looks_like_vtable(inner))
                return MP_HEUR_MULTIPLEINHERITANCE + 1;
        }
    }
    return 0;
}

/* ---- mark stack ---- */

/* The mark stack is reserved once for the worst case (every block pushed twice: possible, then
 * reachable) in address space that is only touched as deep as the stack gets; it never grows by
 * copying, which at 10M blocks would cost a transient 60 MiB. */
static void push(uint32_t idx)
{
    if (S.mtop == S.mcap)
        return; /* cannot happen with the reservation; stays conservative (unscanned) if it does */
    S.mstack[S.mtop++] = idx;
}

/* ---- indirect bytes per clique leader ----
 * valgrind's "64 (16 direct, 48 indirect) bytes in 1 blocks are definitely lost": each definitely
 * lost block (a clique leader) owns the bytes of the blocks it made indirectly lost, including
 * those of an earlier leader it reaches (which then becomes indirect itself). Kept after the scan
 * until the next one, for the report's aggregation (mp_scan_indirect_bytes). */
struct ind_slot {
    uint32_t key; /* block index + 1; 0 = empty */
    uint64_t bytes;
};
static struct ind_slot *ind;
static size_t ind_cap, ind_used;
static uint64_t clique_bytes; /* of the clique being flooded */

static inline size_t ind_pos(uint32_t idx, size_t cap)
{
    return (size_t)(((uint64_t)idx * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static struct ind_slot *ind_find(uint32_t idx)
{
    if (!ind_cap)
        return NULL;
    for (size_t j = ind_pos(idx, ind_cap);; j = (j + 1) & (ind_cap - 1)) {
        if (ind[j].key == idx + 1)
            return &ind[j];
        if (!ind[j].key)
            return NULL;
    }
}

static void ind_put(uint32_t idx, uint64_t bytes)
{
    if ((ind_used + 1) * 2 > ind_cap) {
        size_t ncap = ind_cap ? ind_cap * 2 : 1024;
        struct ind_slot *n = mp_pages_alloc(ncap * sizeof *n);
        if (!n)
            return; /* the record then shows its direct bytes only */
        for (size_t i = 0; i < ind_cap; i++)
            if (ind[i].key) {
                size_t j = ind_pos(ind[i].key - 1, ncap);
                while (n[j].key)
                    j = (j + 1) & (ncap - 1);
                n[j] = ind[i];
            }
        if (ind)
            mp_pages_free(ind, ind_cap * sizeof *ind);
        ind = n;
        ind_cap = ncap;
    }
    size_t j = ind_pos(idx, ind_cap);
    while (ind[j].key && ind[j].key != idx + 1)
        j = (j + 1) & (ind_cap - 1);
    if (!ind[j].key)
        ind_used++;
    ind[j].key = idx + 1;
    ind[j].bytes = bytes;
}

/* What an earlier leader owned, handed to the clique that absorbs it (its slot keeps 0). */
static uint64_t ind_take(uint32_t idx)
{
    struct ind_slot *e = ind_find(idx);
    if (!e)
        return 0;
    uint64_t b = e->bytes;
    e->bytes = 0;
    return b;
}

uint64_t mp_scan_indirect_bytes(uint32_t idx)
{
    struct ind_slot *e = ind_find(idx);
    return e ? e->bytes : 0;
}

/* ---- the heuristic each block was reached through (valgrind's LC_Extra.heuristic) ----
 * Set when a heuristic accepts an interior pointer to a block not yet reachable (from a possibly
 * lost source too, as in valgrind, where such a block is then still counted), replaced (maybe by
 * none) by the next interior pointer to it while it is not reachable, cleared when a start
 * pointer reaches it once reachable. Few blocks ever get one: a small open-addressing table,
 * behind a bit filter so that pointers to reachable blocks, the common case, rarely probe it. */
struct heur_slot {
    uint32_t key; /* block index + 1; 0 = empty */
    uint32_t h;   /* MP_HEUR_x + 1, or 0: none (any more) */
};
static struct heur_slot *heur;
static size_t heur_cap, heur_used;
static uint64_t heur_filter[1024]; /* bit (hash of index) % 65536: some slot may hold it */

static inline unsigned heur_fbit(uint32_t idx)
{
    return (unsigned)(((uint64_t)idx * 0x9E3779B97F4A7C15ull) >> 48);
}

static inline int heur_maybe(uint32_t idx)
{
    unsigned f = heur_fbit(idx);
    return heur_used && (heur_filter[f >> 6] >> (f & 63) & 1);
}

static struct heur_slot *heur_find(uint32_t idx)
{
    if (!heur_cap)
        return NULL;
    for (size_t j = ind_pos(idx, heur_cap);; j = (j + 1) & (heur_cap - 1)) {
        if (heur[j].key == idx + 1)
            return &heur[j];
        if (!heur[j].key)
            return NULL;
    }
}

static void heur_set(uint32_t idx, unsigned h)
{
    struct heur_slot *e = heur_maybe(idx) ? heur_find(idx) : NULL;
    if (e) {
        e->h = h;
        return;
    }
    if (!h)
        return;
    if ((heur_used + 1) * 2 > heur_cap) {
        size_t ncap = heur_cap ? heur_cap * 2 : 256;
        struct heur_slot *n = mp_pages_alloc(ncap * sizeof *n);
        if (!n)
            return; /* the block then goes uncounted in "of which reachable via heuristic" */
        for (size_t i = 0; i < heur_cap; i++)
            if (heur[i].key) {
                size_t j = ind_pos(heur[i].key - 1, ncap);
                while (n[j].key)
                    j = (j + 1) & (ncap - 1);
                n[j] = heur[i];
            }
        if (heur)
            mp_pages_free(heur, heur_cap * sizeof *heur);
        heur = n;
        heur_cap = ncap;
    }
    size_t j = ind_pos(idx, heur_cap);
    while (heur[j].key)
        j = (j + 1) & (heur_cap - 1);
    heur[j].key = idx + 1;
    heur[j].h = h;
    heur_used++;
    unsigned f = heur_fbit(idx);
    heur_filter[f >> 6] |= 1ull << (f & 63);
}

static void heur_reset(void)
{
    if (heur)
        mp_pages_free(heur, heur_cap * sizeof *heur);
    heur = NULL;
    heur_cap = heur_used = 0;
    memset(heur_filter, 0, sizeof heur_filter);
}

/* A candidate pointer found in memory whose source is definite (or not). */
static inline void consider(uintptr_t p, int prior_definite, uint32_t clique)
{
    if (p < S.heap_lo || p >= S.heap_hi)
        return;
    struct mp_block b;
    int is_start;
    uint32_t idx = find_block(p, &is_start, &b);
    if (idx == MP_HEAP_NONE)
        return;
    unsigned s = mp_heap_get_state(idx);
    if (clique != MP_HEAP_NONE) {
        if (s == MP_ST_UNREACHED && idx != clique) {
            mp_heap_set_state(idx, MP_ST_INDIRECT);
            clique_bytes += b.size + ind_take(idx);
            push(idx);
        }
        return;
    }
    if (s == MP_ST_REACHABLE) {
        if (is_start && heur_maybe(idx))
            heur_set(idx, 0);
        return;
    }
    if (S.scanning_alloc_data && !is_start && p + 8 >= b.addr + b.size)
        return;
    int via_start = is_start;
    if (!is_start && S.heuristics) {
        unsigned h = heuristic_ok(p, &b);
        if (h || heur_maybe(idx))
            heur_set(idx, h);
        via_start = h != 0;
    }
    if (via_start && prior_definite) {
        mp_heap_set_state(idx, MP_ST_REACHABLE);
        push(idx);
    } else if (s == MP_ST_UNREACHED) {
        mp_heap_set_state(idx, MP_ST_POSSIBLE);
        push(idx);
    }
}

/* ---- fault-tolerant memory scanning ---- */


static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (S.scanning) {
        S.scan_cursor = (uintptr_t)si->si_addr;
        siglongjmp(S.scan_jmp, 1);
    }
    /* Not ours: restore the default and re-raise. */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Depth-first flood. A frame is a range still to scan (a root range or a block); when a word
 * marks a block, the block is scanned next and the rest of the range later. The frame stack
 * stays as deep as the pointer nesting (a list or a huge pointer array: a few frames), where a
 * stack of discovered blocks would hold every child of a 10M-entry array at once. */

static void frame_push(uintptr_t lo, uintptr_t hi, int prior_definite, int alloc_data)
{
    lo = (lo + 7) & ~(uintptr_t)7;
    hi &= ~(uintptr_t)7;
    if (lo >= hi || S.ftop == S.fcap)
        return;
    S.fstack[S.ftop].cur = lo;
    S.fstack[S.ftop].end = hi;
    S.fstack[S.ftop].prior_definite = (uint32_t)prior_definite;
    S.fstack[S.ftop].alloc_data = (uint32_t)alloc_data;
    S.ftop++;
}

static void frame_push_block(uint32_t idx)
{
    struct mp_block b;
    mp_heap_get(idx, &b);
    S.st->heap_bytes_scanned += b.size;
    frame_push(b.addr, b.addr + b.size, mp_heap_get_state(idx) != MP_ST_POSSIBLE, 0);
}

static void drain(uint32_t clique)
{
    if (sigsetjmp(S.scan_jmp, 0)) {
        /* A read faulted (memory unmapped under us by a thread that did not stop): skip the
         * rest of that page. */
        S.scanning = 0;
        if (S.ftop)
            S.fstack[S.ftop - 1].cur = (S.scan_cursor + 4096) & ~(uintptr_t)4095;
    }
    for (;;) {
        if (S.mtop) {
            frame_push_block(S.mstack[--S.mtop]);
            continue;
        }
        if (!S.ftop)
            break;
        struct frame *f = &S.fstack[S.ftop - 1];
        if (f->cur >= f->end) {
            S.ftop--;
            continue;
        }
        int pd = (int)f->prior_definite;
        S.scanning_alloc_data = (int)f->alloc_data;
        uintptr_t a = f->cur, end = f->end;
        /* A read of a userfaultfd page not in memory waits for the program's handler thread,
         * which is stopped: step over such pages (roots or blocks alike), as if unmapped. */
        for (size_t h = 0; h < S.nholes; h++) {
            if (a >= S.holes[h].lo && a < S.holes[h].hi)
                a = S.holes[h].hi;
            else if (S.holes[h].lo > a && S.holes[h].lo < end)
                end = S.holes[h].lo;
        }
        if (a >= f->end) {
            S.ftop--;
            continue;
        }
        if (a >= end) { /* in a hole that ends inside the frame: look again from there */
            f->cur = a;
            continue;
        }
        S.scanning = 1;
        for (; a < end; a += 8) {
            uintptr_t v = *(volatile const uintptr_t *)a;
            /* Eight words ahead, in the same page (so never a new fault): start loading the
             * block-table line a pointer to a block start there will look up. */
            const uintptr_t ahead = a + 64;
            if (ahead < end && !((ahead ^ a) & ~(uintptr_t)4095)) {
                uintptr_t w = *(volatile const uintptr_t *)ahead;
                if (w >= S.heap_lo && w < S.heap_hi && !(w & 7) && bit_test(w))
                    mp_heap_prefetch(w);
            }
            if (v >= S.heap_lo && v < S.heap_hi) {
                S.scanning = 0;
                S.scan_cursor = a;
                consider(v, pd, clique);
                S.scanning = 1;
                if (S.mtop) {
                    a += 8;
                    break;
                }
            }
        }
        S.scanning = 0;
        f->cur = a;
        if (a >= f->end)
            S.ftop--; /* done: pop before descending, so chains do not deepen the stack */
    }
    S.scanning_alloc_data = 0;
}

static void scan_range(uintptr_t lo, uintptr_t hi, int alloc_data)
{
    frame_push(lo, hi, 1, alloc_data);
    drain(MP_HEAP_NONE);
}

/* ---- roots ---- */



static void exclude(uintptr_t lo, uintptr_t hi)
{
    if (lo < hi && S.nexcl < MAX_EXCL) {
        S.excl[S.nexcl].lo = lo;
        S.excl[S.nexcl].hi = hi;
        S.nexcl++;
    }
}

static void sort_excl(void)
{
    for (size_t i = 1; i < S.nexcl; i++) { /* insertion sort after an initial heap-ish order */
        struct range t = S.excl[i];
        size_t j = i;
        while (j > 0 && S.excl[j - 1].lo > t.lo) {
            S.excl[j] = S.excl[j - 1];
            j--;
        }
        S.excl[j] = t;
    }
}

/* Scan [lo, hi) minus the excluded ranges, as a root. */
static void scan_root_ex(uintptr_t lo, uintptr_t hi);
static void scan_root(uintptr_t lo, uintptr_t hi)
{
    /* Split around the allocator's data so that part is scanned with the chunk-header rule. */
    if (S.alloc_data_hi > S.alloc_data_lo && lo < S.alloc_data_hi && hi > S.alloc_data_lo) {
        if (lo < S.alloc_data_lo)
            scan_root_ex(lo, S.alloc_data_lo);
        S.root_alloc_data = 1;
        scan_root_ex(lo > S.alloc_data_lo ? lo : S.alloc_data_lo, hi < S.alloc_data_hi ? hi : S.alloc_data_hi);
        S.root_alloc_data = 0;
        if (hi > S.alloc_data_hi)
            scan_root_ex(S.alloc_data_hi, hi);
        return;
    }
    scan_root_ex(lo, hi);
}

static void scan_root_ex(uintptr_t lo, uintptr_t hi)
{
    /* Exclusions may overlap; walk them in order of lo. */
    uintptr_t cur = lo;
    for (size_t i = 0; i < S.nexcl && cur < hi; i++) {
        if (S.excl[i].hi <= cur)
            continue;
        if (S.excl[i].lo >= hi)
            break;
        if (S.excl[i].lo > cur) {
            S.st->root_bytes += S.excl[i].lo - cur;
            scan_range(cur, S.excl[i].lo, S.root_alloc_data);
        }
        if (S.excl[i].hi > cur)
            cur = S.excl[i].hi;
    }
    if (cur < hi) {
        S.st->root_bytes += hi - cur;
        scan_range(cur, hi, S.root_alloc_data);
    }
}

static int exclude_big_spans(uint32_t idx, const struct mp_block *b, void *ctx)
{
    (void)idx;
    (void)ctx;
    if (b->size + 16 >= 4096)
        exclude((b->addr - 16) & ~(uintptr_t)4095, (b->addr + b->size + 4095) & ~(uintptr_t)4095);
    return 0;
}

/* Stacks of finished threads (kept mapped by glibc for reuse): excluded unless a live thread's
 * stack pointer is inside (then it is that thread's stack, scanned from its stack pointer). The
 * thread descriptor at the top of the mapping stays a root: glibc's stack cache still owns it,
 * and it holds the thread's DTV (a block glibc frees only in __libc_freeres, which is skipped
 * while other threads run: without this it would be "definitely lost"); so does the static TLS
 * right below it, whose __thread variables valgrind still reads (tcb is the lowest address of
 * the two, threads.h). */
struct dead_ctx {
    const struct mp_thread_ctx *threads;
    int nthreads;
    uintptr_t self_sp;
};

static void exclude_dead_stack(uintptr_t lo, uintptr_t hi, uintptr_t tcb, void *vctx)
{
    struct dead_ctx *c = vctx;
    const struct mp_map *m = map_of(lo);
    if (!m)
        return;
    uintptr_t mlo = m->lo, mhi = m->hi;
    (void)hi;
    if (c->self_sp >= mlo && c->self_sp < mhi)
        return;
    /* The stack of a live thread that runs on another one (a coroutine's, a green thread's):
     * its descriptor is still in use. Its frames from before the switch are live, from a stack
     * pointer saved where the scan cannot know: the whole stack is read (as valgrind reads it,
     * but for stale frames below the switch). */
    uintptr_t self_tp;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self_tp));
    if (self_tp >= mlo && self_tp < mhi)
        return;
    for (int t = 0; t < c->nthreads; t++)
        if (c->threads[t].stopped && c->threads[t].tp >= mlo && c->threads[t].tp < mhi)
            return;
    for (int t = 0; t < c->nthreads; t++) {
        /* A thread that did not answer the stop signal may be running on it: keep it. */
        if (!c->threads[t].stopped)
            return;
        if (c->threads[t].sp >= mlo && c->threads[t].sp < mhi)
            return;
        /* Inside a handler on its alternate stack: this is the stack it interrupted. */
        if (c->threads[t].sp_other >= mlo && c->threads[t].sp_other < mhi)
            return;
    }
    /* Only the thread's stack: one the program gave it (pthread_attr_setstack) can be an array
     * among its globals, whose mapping holds everything else of the data segment. */
    uintptr_t elo = lo > mlo ? lo : mlo;
    exclude(elo, tcb > elo && tcb < mhi ? tcb : mhi);
}

/* The lowest address of the registered thread stack that holds sp (0: none). Below sp there is
 * nothing live on it; below that stack, in the same mapping, may be the program's globals. */
struct stack_of {
    uintptr_t sp, lo;
};

static void find_stack_of(uintptr_t lo, uintptr_t hi, uintptr_t tcb, void *vctx)
{
    struct stack_of *c = vctx;
    (void)tcb;
    if (c->sp >= lo && c->sp < hi)
        c->lo = lo;
}

static uintptr_t registered_stack_lo(uintptr_t sp)
{
    struct stack_of c = {sp, 0};
    if (sp)
        mp_threads_foreach_stack(find_stack_of, &c);
    return c.lo;
}

/* The live part of a stack starts at sp: in a registered thread stack, [its start, sp) is not a
 * root (that may be the middle of a mapping); 0 when sp is in no registered stack (then the
 * mapping holding sp is read from sp up, as a stack of its own). */
static int exclude_below_sp(uintptr_t sp)
{
    uintptr_t lo = registered_stack_lo(sp);
    if (!lo)
        return 0;
    exclude(lo, sp);
    return 1;
}

/* Alternate signal stacks: while a thread does not run on its own, everything on it is a frame
 * of a handler that has returned (valgrind marks those inaccessible as the handler's frames and
 * then the kernel's signal frame are popped): not a root. On it, only from its stack pointer up
 * (the mapping-level rule does that too when the alternate stack is a mapping of its own; not
 * when it is a static buffer or part of a larger mapping). */
static uintptr_t self_alt_lo, self_alt_hi, self_alt_live;

void mp_scan_self_altstack(uintptr_t lo, uintptr_t hi, uintptr_t live_lo)
{
    self_alt_lo = lo;
    self_alt_hi = hi;
    self_alt_live = live_lo;
}

static void exclude_altstack(uintptr_t lo, uintptr_t hi, uintptr_t sp)
{
    if (lo >= hi)
        return;
    exclude(lo, sp > lo && sp < hi ? sp : hi);
}

/* The pages of a block glibc mapped for it alone (an mmapped chunk: the size field has
 * IS_MMAPPED, and the chunk less prev_size, the offset memalign left, spans whole pages inside
 * [lo, hi)), in *clo and *chi; 0 for any other block. */
static int mmapped_chunk(uintptr_t addr, uintptr_t lo, uintptr_t hi, uintptr_t *clo, uintptr_t *chi)
{
    if (addr < lo + 16 || (addr & 15))
        return 0;
    const uintptr_t p = addr - 16, off = ((const uintptr_t *)p)[0], sz = ((const uintptr_t *)p)[1];
    if (!(sz & 2) || off > p - lo || ((p - off) & 4095) || ((off + (sz & ~(uintptr_t)7)) & 4095) ||
        (sz & ~(uintptr_t)7) > hi - p)
        return 0;
    *clo = p - off;
    *chi = p + (sz & ~(uintptr_t)7);
    return 1;
}

/* The span of blocks inside [lo, hi), chunk headers and the free chunks between them included:
 * the allocator's memory, not a root. Blocks glibc mapped on their own (big ones, and small ones
 * once an arena cannot grow) are mappings the kernel merges with their neighbours, the program's
 * own included, so they do not bound a span: each run of them at either end is left out by
 * itself, and a page of the program's next to them stays a root, as valgrind reads it. */
static void exclude_block_span(uintptr_t lo, uintptr_t hi)
{
    uintptr_t clo, chi, run_lo = 0, run_hi = 0;
    uintptr_t first = next_start(lo, hi);
    while (first && mmapped_chunk(first, lo, hi, &clo, &chi)) {
        if (clo != run_hi) {
            exclude(run_lo, run_hi);
            run_lo = clo;
        }
        run_hi = chi;
        first = next_start(chi, hi);
    }
    exclude(run_lo, run_hi);
    if (!first)
        return;
    uintptr_t last = prev_start(hi - 1, lo);
    run_lo = run_hi = 0;
    while (last > first && mmapped_chunk(last, lo, hi, &clo, &chi)) {
        if (chi != run_lo) {
            exclude(run_lo, run_hi);
            run_hi = chi;
        }
        run_lo = clo;
        last = prev_start(clo - 1, lo);
    }
    exclude(run_lo, run_hi);
    uint32_t idx = last >= first ? mp_heap_index_of(last) : MP_HEAP_NONE;
    if (idx == MP_HEAP_NONE)
        return;
    struct mp_block lb;
    mp_heap_get(idx, &lb);
    uintptr_t end = last + (lb.size ? lb.size : 1);
    exclude(first - 16 >= lo ? first - 16 : lo, end < hi ? end : hi);
}

/* [heap] is glibc's main arena, except what the program took from the break itself with sbrk or
 * brk (record/maps.h): that is the program's data and a root, as valgrind scans it (its malloc
 * never uses the break). A block inside such a range would be another allocator's that calls
 * sbrk (not glibc's): its span stays out, as in an anonymous mapping. */
static void exclude_heap_but_program(uintptr_t lo, uintptr_t hi)
{
    const struct mp_brk_range *r;
    size_t nr = mp_maps_program_break(&r);
    uintptr_t cur = lo;
    for (size_t i = 0; i < nr && cur < hi; i++) {
        uintptr_t rlo = r[i].lo > cur ? r[i].lo : cur, rhi = r[i].hi < hi ? r[i].hi : hi;
        if (rlo >= rhi)
            continue;
        exclude(cur, rlo);
        exclude_block_span(rlo, rhi);
        cur = rhi;
    }
    exclude(cur, hi);
}

#define HEAP_MAX ((uintptr_t)64 << 20)

/* glibc's heap_info at the start of a non-main arena heap: ar_ptr, prev, size, mprotect_size,
 * pagesize (malloc/arena.c). */
static int looks_like_heap_info(uintptr_t a)
{
    const uintptr_t *w = (const uintptr_t *)a;
    uintptr_t ar = w[0], prev = w[1], size = w[2], mprot = w[3], pagesize = w[4];
    if (!ar || (ar & 7) || (prev & (HEAP_MAX - 1)))
        return 0;
    if (size < 4096 || size > HEAP_MAX || mprot > HEAP_MAX || size > mprot)
        return 0;
    return pagesize >= 4096 && !(pagesize & (pagesize - 1)) && pagesize <= HEAP_MAX;
}

/* A device mapping, which valgrind does not read either (reading one may hang). Not /dev/zero:
 * shared anonymous memory (mmap MAP_SHARED|MAP_ANONYMOUS, what forked workers share) is listed
 * as "/dev/zero (deleted)", and valgrind scans it like any anonymous mapping. */
static int is_device(const char *name)
{
    return !strncmp(name, "/dev/", 5) && strcmp(name, "/dev/zero") &&
           strcmp(name, "/dev/zero (deleted)") && strncmp(name, "/dev/shm/", 9);
}

static unsigned char threads_registered[MP_MAX_THREADS];

/* A module's writable data: its file-backed private mapping (.data), or the anonymous mapping
 * right after one (.bss past the file's last page). A stack pointer in there that is in no
 * registered thread stack is on a stack the program keeps in a static array (a coroutine's)
 * among its globals, whose bounds the scan does not know: the mapping is read whole, not from
 * that stack pointer up. */
static int module_data(const struct mp_map *maps, long i)
{
    const struct mp_map *m = &maps[i];
    if (m->shared)
        return 0;
    if (!m->anon && m->name[0] == '/')
        return 1;
    const struct mp_map *p = i > 0 ? &maps[i - 1] : NULL;
    return !m->name[0] && p && p->hi == m->lo && !p->anon && p->name[0] == '/' &&
           (p->prot & 3) == 3 && !p->shared;
}

static void scan_roots(const struct mp_thread_ctx *threads, int nthreads, uintptr_t self_sp,
                       const uintptr_t *self_regs, int nself_regs)
{
    struct mp_map *maps = S.smaps;
    long n = S.nsmaps;
    S.excl = mp_pages_alloc(MAX_EXCL * sizeof *S.excl);
    if (!maps || !S.excl)
        return;
    S.nexcl = 0;
    uintptr_t dlo, dhi;
    mp_modules_self_data(&dlo, &dhi);
    exclude(dlo, dhi);
    mp_arena_foreach_mapping(exclude);
    for (long i = 0; i < n; i++) {
        struct mp_map *m = &maps[i];
        if (!strcmp(m->name, "[heap]"))
            exclude_heap_but_program(m->lo, m->hi);
        /* glibc's non-main arenas: heaps aligned to HEAP_MAX_SIZE (64 MiB) that start with a
         * heap_info. The kernel may merge such a heap with a neighbouring anonymous mapping
         * (a thread stack), so look at every 64 MiB boundary inside anonymous mappings. */
        else if (!m->name[0] && (m->prot & 3) == 3)
            for (uintptr_t a = (m->lo + HEAP_MAX - 1) & ~(HEAP_MAX - 1); a + 64 <= m->hi && a >= m->lo;
                 a += HEAP_MAX)
                if (looks_like_heap_info(a))
                    exclude(a, a + HEAP_MAX < m->hi ? a + HEAP_MAX : m->hi);
    }
    mp_heap_foreach(exclude_big_spans, NULL);
    /* glibc's main arena takes memory with mmap when brk fails (the address space is used up,
     * RLIMIT_DATA, a mapping right above the heap): anonymous mappings that are neither [heap]
     * nor an arena heap. Blocks live only in the allocator's memory, so the span of blocks inside
     * an anonymous mapping (chunk headers and the free chunks between them included) is the
     * allocator's, not a root: otherwise a list kept there would reach itself. */
    for (long i = 0; i < n; i++)
        if (!maps[i].name[0] && (maps[i].prot & 3) == 3)
            exclude_block_span(maps[i].lo, maps[i].hi);
    struct dead_ctx dc = {threads, nthreads, self_sp};
    mp_threads_foreach_stack(exclude_dead_stack, &dc);
    for (int t = 0; t < nthreads; t++)
        if (threads[t].stopped)
            exclude_altstack(threads[t].alt_lo, threads[t].alt_hi, threads[t].sp);
    exclude_altstack(self_alt_lo, self_alt_hi, self_alt_live);
    int self_registered = exclude_below_sp(self_sp);
    for (int t = 0; t < nthreads; t++) {
        threads_registered[t] = 0;
        /* Inside a handler on its alternate stack, the thread's stack is live from the stack
         * pointer the handler interrupted (the alternate stack's own dead part is left out
         * above): when that stack holds the alternate stack (a local array), the handler's
         * stack pointer is above the interrupted frames and must not cut them. */
        if (threads[t].stopped && threads[t].sp_other) {
            if (exclude_below_sp(threads[t].sp_other))
                threads_registered[t] |= 2;
            if (registered_stack_lo(threads[t].sp))
                threads_registered[t] |= 1;
        } else if ((threads[t].stopped || threads[t].sp_known) && exclude_below_sp(threads[t].sp))
            threads_registered[t] |= 1;
    }
    sort_excl();
    mp_modules_allocator_data(&S.alloc_data_lo, &S.alloc_data_hi);

    for (long i = 0; i < n; i++) {
        struct mp_map *m = &maps[i];
        if ((m->prot & 3) != 3 || is_device(m->name) || !strcmp(m->name, "[vvar]") ||
            !strcmp(m->name, "[vsyscall]"))
            continue;
        uintptr_t lo = m->lo;
        const int whole = module_data(maps, i);
        /* A stack: scan only from the stack pointer up. */
        if (!whole && !self_registered && self_sp >= m->lo && self_sp < m->hi)
            lo = self_sp;
        for (int t = 0; t < nthreads && !whole; t++) {
            const struct mp_thread_ctx *th = &threads[t];
            uintptr_t cut = 0;
            if (th->stopped && th->sp_other >= m->lo && th->sp_other < m->hi) {
                if (!(threads_registered[t] & 2))
                    cut = th->sp_other; /* below the handler's alternate stack, if in here */
            } else if ((th->stopped || th->sp_known) && th->sp >= m->lo && th->sp < m->hi &&
                       !(threads_registered[t] & 1))
                cut = th->sp;
            lo = cut > lo ? cut : lo;
        }
        scan_root(lo, m->hi);
    }
    for (int r = 0; r < nself_regs; r++)
        consider(self_regs[r], 1, MP_HEAP_NONE);
    for (int t = 0; t < nthreads; t++)
        if (threads[t].stopped)
            for (int r = 0; r < MP_NREGS; r++)
                consider(threads[t].regs[r], 1, MP_HEAP_NONE);
    mp_pages_free(S.excl, MAX_EXCL * sizeof *S.excl);
    S.excl = NULL;
}

/* ---- cliques in address order ---- */

static void cliques(void)
{
    /* Regions in address order (insertion sort: there are few), with their word ranges. */
    for (uint32_t i = 1; i < S.nused_regions; i++) {
        const struct ureg v = S.ureg[i];
        uint32_t j = i;
        while (j > 0 && S.ureg[j - 1].region > v.region) {
            S.ureg[j] = S.ureg[j - 1];
            j--;
        }
        S.ureg[j] = v;
    }
    for (uint32_t i = 0; i < S.nused_regions; i++)
        S.region_slot[S.ureg[i].region] = (uint16_t)(i + 1);
    for (uint32_t ri = 0; ri < S.nused_regions; ri++) {
        uint32_t r = S.ureg[ri].region;
        uint64_t *bm = S.regions[r];
        if (!bm || S.ureg[ri].lo_word > S.ureg[ri].hi_word)
            continue;
        uintptr_t base = (uintptr_t)r << REGION_SHIFT;
        for (uint64_t wi = S.ureg[ri].lo_word; wi <= S.ureg[ri].hi_word; wi++) {
            uint64_t w = bm[wi - S.ureg[ri].lo_word]; /* the bitmap starts at the range's first word */
            while (w) {
                int b = __builtin_ctzll(w);
                w &= w - 1;
                uintptr_t a = base + ((wi * 64 + (uint64_t)b) << 3);
                uint32_t idx = mp_heap_index_of(a);
                if (idx == MP_HEAP_NONE || mp_heap_get_state(idx) != MP_ST_UNREACHED)
                    continue;
                clique_bytes = 0;
                push(idx);
                drain(idx);
                if (clique_bytes)
                    ind_put(idx, clique_bytes);
            }
        }
    }
}

/* ---- entry ---- */

void mp_scan_run(const struct mp_thread_ctx *threads, int nthreads, uintptr_t self_sp,
                 const uintptr_t *self_regs, int nself_regs, unsigned heuristics,
                 struct mp_scan_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    memset(&S, 0, sizeof S);
    if (ind)
        mp_pages_free(ind, ind_cap * sizeof *ind);
    ind = NULL;
    ind_cap = ind_used = 0;
    S.st = stats;
    S.heuristics = heuristics & MP_HEUR_ALL;
    heur_reset();
    S.heap_lo = UINTPTR_MAX;
    S.regions = mp_pages_alloc(NREGIONS * sizeof *S.regions);
    S.region_slot = mp_pages_alloc(NREGIONS * sizeof *S.region_slot);
    S.ureg = mp_pages_alloc(MAX_USED_REGIONS * sizeof *S.ureg);
    if (!S.regions || !S.region_slot || !S.ureg) {
        if (S.ureg)
            mp_pages_free(S.ureg, MAX_USED_REGIONS * sizeof *S.ureg);
        S.ureg = NULL;
        if (S.regions)
            mp_pages_free(S.regions, NREGIONS * sizeof *S.regions);
        if (S.region_slot)
            mp_pages_free(S.region_slot, NREGIONS * sizeof *S.region_slot);
        S.regions = NULL;
        S.region_slot = NULL;
        return;
    }
    mp_heap_foreach(add_block, NULL);
    regions_map();
    mp_heap_foreach(mark_start, NULL);
    if (S.nbigs)
        sort_bigs(0, S.nbigs);
    S.mcap = 2 * (size_t)stats->blocks + 1024;
    S.mstack = mp_pages_alloc(S.mcap * sizeof *S.mstack);
    if (!S.mstack)
        S.mcap = 0;
    S.fcap = 2 * (size_t)stats->blocks + 65536;
    S.fstack = mp_pages_alloc(S.fcap * sizeof *S.fstack);
    if (!S.fstack)
        S.fcap = 0;
    S.ftop = 0;

    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);

    /* Room for the mappings, doubled while they fill it (a table for the kernel's default
     * maximum of 65530 would take 8 MiB of address space, which a process near its RLIMIT_AS
     * does not have at exit). */
    size_t mapcap = 2048;
    for (;;) {
        S.smaps = mp_pages_alloc(mapcap * sizeof *S.smaps);
        S.nsmaps = S.smaps ? mp_maps_read(S.smaps, mapcap) : 0;
        if (S.nsmaps < 0)
            S.nsmaps = 0;
        if (!S.smaps || (size_t)S.nsmaps < mapcap || mapcap >= (1u << 20))
            break;
        mp_pages_free(S.smaps, mapcap * sizeof *S.smaps);
        mapcap *= 2;
    }
    S.holes = mp_pages_alloc(MAX_HOLES * sizeof *S.holes);
    S.nholes = S.holes ? mp_maps_uffd_holes(S.holes, MAX_HOLES) : 0;
    if (S.heap_lo < S.heap_hi) {
        scan_roots(threads, nthreads, self_sp, self_regs, nself_regs);
        drain(MP_HEAP_NONE);
        cliques();
    }
    /* valgrind counts every block whose heuristic field is set, whatever its state. */
    for (size_t i = 0; i < heur_cap; i++)
        if (heur[i].key && heur[i].h) {
            struct mp_block b;
            mp_heap_get(heur[i].key - 1, &b);
            stats->heur_bytes[heur[i].h - 1] += b.size;
            stats->heur_blocks[heur[i].h - 1]++;
        }
    heur_reset();

    self_alt_lo = self_alt_hi = self_alt_live = 0;
    if (S.holes)
        mp_pages_free(S.holes, MAX_HOLES * sizeof *S.holes);
    S.holes = NULL;
    S.nholes = 0;
    if (S.smaps)
        mp_pages_free(S.smaps, mapcap * sizeof *S.smaps);
    S.smaps = NULL;
    S.nsmaps = 0;
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);

    for (uint32_t ri = 0; ri < S.nused_regions; ri++) {
        const uint32_t x = S.ureg[ri].region;
        mp_pages_free(S.regions[x], ureg_words(&S.ureg[ri]) * 8);
    }
    S.nused_regions = 0;
    mp_pages_free(S.regions, NREGIONS * sizeof *S.regions);
    S.regions = NULL;
    mp_pages_free(S.region_slot, NREGIONS * sizeof *S.region_slot);
    S.region_slot = NULL;
    mp_pages_free(S.ureg, MAX_USED_REGIONS * sizeof *S.ureg);
    S.ureg = NULL;
    if (S.bigs)
        mp_pages_free(S.bigs, S.capbigs * sizeof *S.bigs);
    S.bigs = NULL;
    S.nbigs = S.capbigs = 0;
    if (S.fstack)
        mp_pages_free(S.fstack, S.fcap * sizeof *S.fstack);
    S.fstack = NULL;
    S.ftop = S.fcap = 0;
    if (S.mstack)
        mp_pages_free(S.mstack, S.mcap * sizeof *S.mstack);
    S.mstack = NULL;
    S.mtop = S.mcap = 0;
}
