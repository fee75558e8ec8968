/* Stack capture for x86_64 Linux without frame pointers: walks frames with the DWARF CFI of
 * .eh_frame (FDE via _dl_find_object() and the .eh_frame_hdr table; dl_iterate_phdr on glibc <
 * 2.35), reduced per return address to a compact rule (CFA = rsp|rbp + off or *(rbp + off), RA and
 * saved-rbp slots relative to it) cached in a shared insert-only hash table (mmap; lock-free
 * readers, trylock-only inserts, skipped when busy or 3/4 full). Each thread also keeps a memo of
 * its last walk and replays the frames a new capture shares with it, re-checking every stack word.
 * Hook- and async-signal-safe: no malloc, no stdio, no blocking lock, initial-exec TLS only.
 * Reads stay in [first sp, stack top) of the thread's own stack, CFAs grow strictly; signal frames
 * (__restore_rt) continue through the saved ucontext. A capture on any other stack (a coroutine's,
 * a sigaltstack, a thread whose stack is not known) checks every page it reads first (see "Foreign
 * stacks"). Limits: only rsp/rbp-based CFAs. */
#include "preload/record/unwind.h"
#include "common/arena.h"
#include "preload/record/mix.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* glibc >= 2.35; a weak reference so that an older libc falls back to dl_iterate_phdr. */
#pragma weak _dl_find_object

/* ------------------------------------------------------------------------------------------ */
/* Rules                                                                                      */

enum rule_kind {
    K_INVALID = 0,   /* never stored: 0 in the table means "no rule here" */
    K_RSP,           /* CFA = rsp + cfa_off */
    K_RBP,           /* CFA = rbp + cfa_off */
    K_DEREF_RBP,     /* CFA = *(rbp + cfa_off)   (DRAP, stack realignment) */
    K_DEREF_RSP,     /* CFA = *(rsp + cfa_off) */
    K_SIGNAL,        /* pc is glibc's __restore_rt: ucontext_t at sp */
    K_NOINFO,        /* code without unwind info: frame-pointer step if rbp looks sane */
    K_STOP,          /* outermost frame (RA undefined) or a rule we cannot follow */
};

enum bp_mode {
    BP_SAME = 0,     /* rbp unchanged */
    BP_AT_CFA,       /* rbp = *(CFA + bp_off) */
    BP_VAL_CFA,      /* rbp = CFA + bp_off */
    BP_AT_BP,        /* rbp = *(rbp + bp_off) (DRAP: DW_CFA_expression rbp: breg6 off) */
    BP_UNKNOWN,      /* cannot tell: rbp = 0 so that no later rbp-based CFA is trusted */
};

struct rule {
    int kind, bp_mode;
    int64_t cfa_off, ra_off, bp_off;
};

/* Packed form in the cache: bits 0-3 kind, 4-6 bp_mode, 7 FAST, 8-15 ra_off (int8), 16-31
 * bp_off (int16), 32-63 cfa_off (int32). Never 0 for a valid rule. FAST marks the common shape
 * the walk loop handles inline: CFA = rsp|rbp + off (bit 0 set = rsp), RA at CFA - 8, rbp
 * unchanged or saved at CFA + bp_off with -128 <= bp_off <= -8 (bit 4 set). */
#define RULE_FAST 0x80u

static int pack_rule(const struct rule *r, uint64_t *out)
{
    if (r->ra_off < INT8_MIN || r->ra_off > INT8_MAX || r->bp_off < INT16_MIN ||
        r->bp_off > INT16_MAX || r->cfa_off < INT32_MIN || r->cfa_off > INT32_MAX)
        return 0;
    /* the walk loop checks only the lower bound of the saved-rbp slot: 8 to 128 bytes below the
     * CFA, like every push sequence of a prologue; other offsets take the general step */
    int fast = (r->kind == K_RSP || r->kind == K_RBP) && r->ra_off == -8 &&
               (r->bp_mode == BP_SAME ||
                (r->bp_mode == BP_AT_CFA && r->bp_off >= -128 && r->bp_off <= -8));
    /* A fast rule that keeps rbp "reloads" it from the return-address slot and discards the
     * value: the walk loop then has no branch on the rbp rule (see mp_unwind_ex). */
    int64_t bp_off = fast && r->bp_mode == BP_SAME ? -8 : r->bp_off;
    *out = (uint64_t)r->kind | (uint64_t)r->bp_mode << 4 | (fast ? RULE_FAST : 0) |
           (uint64_t)(uint8_t)r->ra_off << 8 | (uint64_t)(uint16_t)bp_off << 16 |
           (uint64_t)(uint32_t)r->cfa_off << 32;
    return 1;
}

static inline void unpack_rule(uint64_t v, struct rule *r)
{
    r->kind = (int)(v & 15);
    r->bp_mode = (int)((v >> 4) & 7);
    r->ra_off = (int8_t)(v >> 8);
    r->bp_off = (int16_t)(v >> 16);
    r->cfa_off = (int32_t)(v >> 32);
}

/* ------------------------------------------------------------------------------------------ */
/* Rule cache                                                                                 */

#define CACHE_BITS 20
#define CACHE_SIZE (1ul << CACHE_BITS)
#define CACHE_MASK (CACHE_SIZE - 1)
#define CACHE_MAX_FILL (CACHE_SIZE / 4 * 3)
#define CACHE_PROBES 16
#define EXACT_BIT (1ull << 63) /* key flag: pc is an interrupted pc, not a return address */

struct cache_entry {
    uint64_t key; /* 0 = empty; published last, with a release store */
    uint64_t val;
};

static struct cache_entry *cache_table;
static unsigned long cache_count;
static int cache_lock;

/* Tool memory (registered, so the leak scan skips it). */
static void *sys_mmap_anon(size_t len) { return mp_pages_alloc(len); }

static struct cache_entry *cache_get_table(void)
{
    struct cache_entry *t = __atomic_load_n(&cache_table, __ATOMIC_ACQUIRE);
    if (t)
        return t;
    /* Lazy: mmap is async-signal-safe; a loser of the race unmaps its copy. */
    size_t len = CACHE_SIZE * sizeof(struct cache_entry);
    struct cache_entry *mine = sys_mmap_anon(len);
    if (!mine)
        return NULL;
    struct cache_entry *expected = NULL;
    if (__atomic_compare_exchange_n(&cache_table, &expected, mine, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return mine;
    mp_pages_free(mine, len);
    return expected;
}

/* Return addresses of one 1 KiB stretch of code share a 64-entry stretch of the table (the
 * entry follows the code: bits 4-9 of the pc, XORed with bits 18-23), and these stretches are
 * scattered by XORing in bits 24-37: a walk touches few cache lines and TLB entries instead of
 * one random line of a 16 MiB table per frame, and the index costs three operations on the
 * walk's critical path (load return address -> index -> load rule -> CFA -> load ...). */
_Static_assert(sizeof(struct cache_entry) == 16, "cache_off assumes 16-byte entries");
#define CACHE_OFF_MASK ((size_t)CACHE_MASK << 4)

/* Byte offset of key's home entry (entries are 16 bytes, so no shift is needed), and of the
 * next entry when probing. */
static inline size_t cache_off(uint64_t key) { return (size_t)(key ^ (key >> 14)) & CACHE_OFF_MASK; }
static inline size_t cache_next(size_t off) { return (off + 16) & CACHE_OFF_MASK; }

static inline struct cache_entry *cache_at(const struct cache_entry *t, size_t off)
{
    return (struct cache_entry *)((const char *)t + off);
}

static inline uint64_t cache_lookup(const struct cache_entry *t, uint64_t key)
{
    size_t off = cache_off(key);
    for (int probe = 0; probe < CACHE_PROBES; probe++) {
        const struct cache_entry *e = cache_at(t, off);
        uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
        if (__builtin_expect(k == key, 1))
            return __atomic_load_n(&e->val, __ATOMIC_RELAXED);
        if (k == 0)
            return 0;
        off = cache_next(off);
    }
    return 0;
}

static int cache_trylock(void)
{
    if (__atomic_load_n(&cache_lock, __ATOMIC_RELAXED))
        return 0;
    return __atomic_exchange_n(&cache_lock, 1, __ATOMIC_ACQUIRE) == 0;
}

static void cache_unlock(void) { __atomic_store_n(&cache_lock, 0, __ATOMIC_RELEASE); }

static void cache_insert(struct cache_entry *t, uint64_t key, uint64_t val)
{
    if (__atomic_load_n(&cache_count, __ATOMIC_RELAXED) >= CACHE_MAX_FILL)
        return;
    if (!cache_trylock())
        return; /* busy (maybe us, from a signal handler): just don't cache */
    size_t off = cache_off(key);
    for (int probe = 0; probe < CACHE_PROBES; probe++) {
        struct cache_entry *e = cache_at(t, off);
        uint64_t k = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
        if (k == key)
            break;
        if (k == 0) {
            __atomic_store_n(&e->val, val, __ATOMIC_RELAXED);
            __atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
            __atomic_store_n(&cache_count, cache_count + 1, __ATOMIC_RELAXED);
            break;
        }
        off = cache_next(off);
    }
    cache_unlock();
}

/* ------------------------------------------------------------------------------------------ */
/* DWARF reading                                                                              */

#define DW_EH_PE_absptr 0x00
#define DW_EH_PE_uleb128 0x01
#define DW_EH_PE_udata2 0x02
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_udata8 0x04
#define DW_EH_PE_sleb128 0x09
#define DW_EH_PE_sdata2 0x0a
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_sdata8 0x0c
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_textrel 0x20
#define DW_EH_PE_datarel 0x30
#define DW_EH_PE_funcrel 0x40
#define DW_EH_PE_aligned 0x50
#define DW_EH_PE_indirect 0x80
#define DW_EH_PE_omit 0xff

#define DWREG_RBP 6
#define DWREG_RSP 7
#define DWREG_RA 16

struct reader {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t rd_uleb(struct reader *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t rd_sleb(struct reader *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            return (int64_t)v;
        }
    }
    r->bad = 1;
    return 0;
}

static uint64_t rd_fixed(struct reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    switch (n) {
    case 1: v = *r->p; break;
    case 2: { uint16_t x; memcpy(&x, r->p, 2); v = x; break; }
    case 4: { uint32_t x; memcpy(&x, r->p, 4); v = x; break; }
    case 8: memcpy(&v, r->p, 8); break;
    }
    r->p += n;
    return v;
}

/* Read a pointer in encoding enc. datarel is relative to dbase. */
static uintptr_t rd_encoded(struct reader *r, uint8_t enc, uintptr_t dbase)
{
    if (enc == DW_EH_PE_omit)
        return 0;
    uintptr_t field = (uintptr_t)r->p;
    if ((enc & 0x70) == DW_EH_PE_aligned) {
        const uint8_t *a = (const uint8_t *)(((uintptr_t)r->p + 7) & ~(uintptr_t)7);
        if (a > r->end) {
            r->bad = 1;
            return 0;
        }
        r->p = a;
        field = (uintptr_t)a;
        enc = DW_EH_PE_absptr | (enc & DW_EH_PE_indirect);
    }
    uint64_t v;
    switch (enc & 0x0f) {
    case DW_EH_PE_absptr: v = rd_fixed(r, 8); break;
    case DW_EH_PE_uleb128: v = rd_uleb(r); break;
    case DW_EH_PE_udata2: v = rd_fixed(r, 2); break;
    case DW_EH_PE_udata4: v = rd_fixed(r, 4); break;
    case DW_EH_PE_udata8: v = rd_fixed(r, 8); break;
    case DW_EH_PE_sleb128: v = (uint64_t)rd_sleb(r); break;
    case DW_EH_PE_sdata2: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
    case DW_EH_PE_sdata4: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
    case DW_EH_PE_sdata8: v = rd_fixed(r, 8); break;
    default: r->bad = 1; return 0;
    }
    if (r->bad)
        return 0;
    switch (enc & 0x70) {
    case DW_EH_PE_absptr: break;
    case DW_EH_PE_pcrel: v += field; break;
    case DW_EH_PE_datarel: v += dbase; break;
    default: r->bad = 1; return 0; /* textrel/funcrel: not used in .eh_frame on x86_64 */
    }
    if ((enc & DW_EH_PE_indirect) && v) {
        uintptr_t x;
        memcpy(&x, (const void *)(uintptr_t)v, sizeof x);
        v = x;
    }
    return (uintptr_t)v;
}

struct cie_info {
    const uint8_t *insns, *insns_end;
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    uint8_t has_z, signal;
};

struct fde_info {
    uintptr_t pc_begin, pc_end;
    const uint8_t *insns, *insns_end;
    struct cie_info cie;
};

/* Length and id of a CIE/FDE record at p. Returns 0 on a terminator or a bad record. */
static int rd_record_head(const uint8_t *p, const uint8_t **body, const uint8_t **end,
                          uint64_t *id, const uint8_t **id_field)
{
    uint32_t len32;
    memcpy(&len32, p, 4);
    p += 4;
    uint64_t len = len32;
    int is64 = 0;
    if (len32 == 0xffffffffu) {
        memcpy(&len, p, 8);
        p += 8;
        is64 = 1;
    }
    if (len == 0 || len > (1ull << 30))
        return 0;
    *end = p + len;
    *id_field = p;
    if (is64) {
        memcpy(id, p, 8);
        p += 8;
    } else {
        uint32_t id32;
        memcpy(&id32, p, 4);
        *id = id32;
        p += 4;
    }
    if (p > *end)
        return 0;
    *body = p;
    return 1;
}

/* A CIE's id: 0 in .eh_frame, all ones in .debug_frame (32 or 64 bits). */
static inline int is_cie_id(uint64_t id, int debug)
{
    return debug ? id == 0xffffffffu || id == ~(uint64_t)0 : id == 0;
}

static int parse_cie(const uint8_t *cie, uintptr_t dbase, struct cie_info *out, int debug)
{
    const uint8_t *body, *end, *idf;
    uint64_t id;
    if (!rd_record_head(cie, &body, &end, &id, &idf) || !is_cie_id(id, debug))
        return 0;
    struct reader r = { body, end, 0 };
    uint8_t version = (uint8_t)rd_fixed(&r, 1);
    if (r.bad || (version != 1 && version != 3 && version != 4))
        return 0;
    const char *aug = (const char *)r.p;
    size_t alen = strnlen(aug, (size_t)(end - r.p));
    if (alen == (size_t)(end - r.p))
        return 0;
    r.p += alen + 1;
    memset(out, 0, sizeof *out);
    out->fde_enc = DW_EH_PE_absptr;
    if (aug[0] == 'e' && aug[1] == 'h')
        rd_fixed(&r, 8);
    if (version == 4) {
        rd_fixed(&r, 1); /* address_size */
        rd_fixed(&r, 1); /* segment_size */
    }
    out->code_align = rd_uleb(&r);
    out->data_align = rd_sleb(&r);
    out->ra_reg = version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r);
    if (aug[0] == 'z') {
        out->has_z = 1;
        uint64_t zlen = rd_uleb(&r);
        if (r.bad || zlen > (uint64_t)(end - r.p))
            return 0;
        const uint8_t *zend = r.p + zlen;
        struct reader z = { r.p, zend, 0 };
        for (const char *a = aug + 1; *a && !z.bad; a++) {
            if (*a == 'R') {
                out->fde_enc = (uint8_t)rd_fixed(&z, 1);
            } else if (*a == 'L') {
                rd_fixed(&z, 1);
            } else if (*a == 'P') {
                uint8_t penc = (uint8_t)rd_fixed(&z, 1);
                /* skip the personality pointer without dereferencing it */
                rd_encoded(&z, penc & 0x7f, dbase);
            } else if (*a == 'S') {
                out->signal = 1;
            } else if (*a == 'B' || *a == 'G') {
                /* no data */
            } else {
                break; /* unknown letter: the rest of the data is skipped via zlen */
            }
        }
        if (z.bad)
            return 0;
        r.p = zend;
    } else if (aug[0] != '\0' && !(aug[0] == 'e' && aug[1] == 'h' && aug[2] == '\0')) {
        return 0;
    }
    if (r.bad || out->code_align == 0)
        return 0;
    out->insns = r.p;
    out->insns_end = end;
    return 1;
}

/* Parse the FDE at fde. Returns 1 and fills out when it is an FDE (not a CIE). */
static int parse_fde(const uint8_t *fde, uintptr_t dbase, struct fde_info *out)
{
    const uint8_t *body, *end, *idf;
    uint64_t id;
    if (!rd_record_head(fde, &body, &end, &id, &idf) || id == 0)
        return 0;
    const uint8_t *cie = idf - id;
    if (!parse_cie(cie, dbase, &out->cie, 0))
        return 0;
    struct reader r = { body, end, 0 };
    out->pc_begin = rd_encoded(&r, out->cie.fde_enc, dbase);
    uintptr_t range = rd_encoded(&r, out->cie.fde_enc & 0x0f, dbase);
    if (out->cie.has_z) {
        uint64_t zlen = rd_uleb(&r);
        if (r.bad || zlen > (uint64_t)(end - r.p))
            return 0;
        r.p += zlen;
    }
    if (r.bad)
        return 0;
    out->pc_end = out->pc_begin + range;
    out->insns = r.p;
    out->insns_end = end;
    return 1;
}

/* Find the FDE covering target in the object whose .eh_frame_hdr is hdr. */
static int find_fde_in_hdr(const uint8_t *hdr, uintptr_t target, struct fde_info *out)
{
    uintptr_t dbase = (uintptr_t)hdr;
    if (hdr[0] != 1)
        return 0;
    uint8_t eh_ptr_enc = hdr[1], count_enc = hdr[2], table_enc = hdr[3];
    struct reader r = { hdr + 4, hdr + 4 + 64, 0 };
    const uint8_t *eh_frame = (const uint8_t *)rd_encoded(&r, eh_ptr_enc, dbase);
    if (r.bad)
        return 0;
    if (count_enc != DW_EH_PE_omit && table_enc == (DW_EH_PE_datarel | DW_EH_PE_sdata4)) {
        uintptr_t count = rd_encoded(&r, count_enc, dbase);
        if (r.bad || count == 0)
            return 0;
        const int32_t *tab = (const int32_t *)(const void *)r.p;
        /* last entry with initial_loc <= target */
        size_t lo = 0, hi = count;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (dbase + (intptr_t)tab[2 * mid] <= target)
                lo = mid;
            else
                hi = mid;
        }
        if (dbase + (intptr_t)tab[2 * lo] > target)
            return 0;
        const uint8_t *fde = (const uint8_t *)(dbase + (intptr_t)tab[2 * lo + 1]);
        if (!parse_fde(fde, dbase, out))
            return 0;
        return target >= out->pc_begin && target < out->pc_end;
    }
    /* No usable search table: linear scan of .eh_frame (slow, rare). */
    if (!eh_frame)
        return 0;
    const uint8_t *p = eh_frame;
    for (int n = 0; n < (1 << 22); n++) {
        const uint8_t *body, *end, *idf;
        uint64_t id;
        if (!rd_record_head(p, &body, &end, &id, &idf))
            return 0;
        if (id != 0 && parse_fde(p, dbase, out) && target >= out->pc_begin &&
            target < out->pc_end)
            return 1;
        p = end;
    }
    return 0;
}

struct phdr_search {
    uintptr_t pc;
    const uint8_t *hdr;
    int found;
};

static int phdr_callback(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct phdr_search *s = data;
    const ElfW(Phdr) *eh = NULL;
    int hit = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t b = info->dlpi_addr + ph->p_vaddr;
            if (s->pc >= b && s->pc < b + ph->p_memsz)
                hit = 1;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = ph;
        }
    }
    if (!hit)
        return 0;
    s->found = 1;
    s->hdr = eh ? (const uint8_t *)(info->dlpi_addr + eh->p_vaddr) : NULL;
    return 1;
}

/* .eh_frame_hdr of the object containing pc. *in_object says whether any object contains pc;
 * *obj is its link map (NULL when not known). */
static const uint8_t *find_eh_frame_hdr(uintptr_t pc, int *in_object, struct link_map **obj)
{
    *obj = NULL;
    if (_dl_find_object) {
        struct dl_find_object dfo;
        if (_dl_find_object((void *)pc, &dfo) != 0) {
            *in_object = 0;
            return NULL;
        }
        *in_object = 1;
        *obj = dfo.dlfo_link_map;
        return dfo.dlfo_eh_frame;
    }
    struct phdr_search s = { pc, NULL, 0 };
    dl_iterate_phdr(phdr_callback, &s);
    *in_object = s.found;
    return s.hdr;
}

/* Objects linked with --no-eh-frame-hdr have their .eh_frame loaded but no PT_GNU_EH_FRAME to
 * find it by (valgrind and gdb read it from the file): without it, a walk stopped at the first
 * frame in such an object. The section's place comes from the file's section headers, read
 * once per object with raw system calls (errno stays as the program left it; nothing when
 * memplumber must make none), and is kept until a dlclose (mp_unwind_flush). */
static int no_syscalls; /* mp_unwind_stop_syscalls, below */

static long raw_syscall4(long n, long a, long b, long c, long d)
{
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return raw_syscall4(SYS_pread64, fd, (long)buf, (long)len, (long)off) == (long)len;
}

/* [*lo, *hi) of the .eh_frame section of the file at path, loaded at base. */
static int eh_frame_of_file(const char *path, uintptr_t base, uintptr_t *lo, uintptr_t *hi)
{
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int ok = 0;
    ElfW(Ehdr) eh;
    ElfW(Shdr) sh, names;
    if (read_at((int)fd, &eh, sizeof eh, 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_shentsize == sizeof sh && eh.e_shstrndx < eh.e_shnum && eh.e_shnum < 4096 &&
        read_at((int)fd, &names, sizeof names, eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof sh)) {
        for (unsigned i = 1; i < eh.e_shnum && !ok; i++) {
            char name[10];
            if (!read_at((int)fd, &sh, sizeof sh, eh.e_shoff + (uint64_t)i * sizeof sh))
                break;
            if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_ALLOC) && sh.sh_size >= 8 &&
                sh.sh_name < names.sh_size &&
                read_at((int)fd, name, sizeof name, names.sh_offset + sh.sh_name) &&
                memcmp(name, ".eh_frame", 10) == 0) {
                *lo = base + sh.sh_addr;
                *hi = *lo + sh.sh_size;
                ok = 1;
            }
        }
    }
    raw_syscall4(SYS_close, fd, 0, 0, 0);
    return ok;
}

#define NOHDR_OBJS 16
static struct {
    struct link_map *obj; /* published last; NULL: a free slot */
    uintptr_t lo, hi;     /* lo == hi: the file had no .eh_frame */
    uint32_t gen;         /* memo_gen when found: a dlclose (flush) retires it */
} nohdr[NOHDR_OBJS];
static uint32_t memo_gen = 1; /* "Memo" below: bumped by every flush */

static int find_eh_frame_nohdr(struct link_map *obj, uintptr_t *lo, uintptr_t *hi)
{
    uint32_t gen = __atomic_load_n(&memo_gen, __ATOMIC_ACQUIRE);
    for (int i = 0; i < NOHDR_OBJS; i++)
        if (__atomic_load_n(&nohdr[i].obj, __ATOMIC_ACQUIRE) == obj && nohdr[i].gen == gen) {
            *lo = nohdr[i].lo;
            *hi = nohdr[i].hi;
            return *lo < *hi;
        }
    if (!obj || __atomic_load_n(&no_syscalls, __ATOMIC_ACQUIRE))
        return 0;
    /* the executable's l_name is "" */
    const char *path = obj->l_name && obj->l_name[0] ? obj->l_name : "/proc/self/exe";
    uintptr_t l = 0, h = 0;
    eh_frame_of_file(path, obj->l_addr, &l, &h);
    /* a slot that is free or retired by a flush; two threads at once may both fill one (the
     * same answer), and when all are taken the file is read again next time */
    for (int i = 0; i < NOHDR_OBJS; i++) {
        struct link_map *o = __atomic_load_n(&nohdr[i].obj, __ATOMIC_ACQUIRE);
        if (o && nohdr[i].gen == gen)
            continue;
        if (!__atomic_compare_exchange_n(&nohdr[i].obj, &o, NULL, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        nohdr[i].lo = l;
        nohdr[i].hi = h;
        nohdr[i].gen = gen;
        __atomic_store_n(&nohdr[i].obj, obj, __ATOMIC_RELEASE);
        break;
    }
    *lo = l;
    *hi = h;
    return l < h;
}

/* Linear scan of an .eh_frame section [lo, hi) for the FDE covering target. */
static int find_fde_in_section(uintptr_t lo, uintptr_t hi, uintptr_t target, struct fde_info *out)
{
    const uint8_t *p = (const uint8_t *)lo;
    while ((uintptr_t)p + 8 <= hi) {
        const uint8_t *body, *end, *idf;
        uint64_t id;
        if (!rd_record_head(p, &body, &end, &id, &idf) || (uintptr_t)end > hi)
            return 0;
        if (id != 0 && parse_fde(p, 0, out) && target >= out->pc_begin && target < out->pc_end)
            return 1;
        p = end;
    }
    return 0;
}

/* Code built with -fno-asynchronous-unwind-tables (and without -fexceptions) has its
 * call-frame information in .debug_frame only: a section that is not loaded, which valgrind and
 * gdb read from the file. Without it, a walk stopped at the first such frame (or went on by the
 * frame-pointer fallback only where the code keeps frame pointers). When an object's .eh_frame
 * has no FDE for a pc, its .debug_frame is read once (raw system calls, into tool memory, at
 * most DBG_MAX bytes) and searched linearly; the rule cache makes that once per return address.
 * A copy is never unmapped (a walk may be reading it): after a dlclose (memo_gen) a slot is
 * taken again only for the same file (device, inode, size, modification time) at the same load
 * address, so a program that opens and closes the same library in a loop reads it once; a copy
 * that no slot keeps (all taken, or the file changed) is given back at once or stays (a changed
 * file: rare). In .debug_frame a CIE's id is all ones, an FDE's CIE pointer is an offset from
 * the section's start, and addresses are the file's (plus the load bias). */
#define DBG_OBJS 16
#define DBG_MAX (64u << 20)
struct file_id {
    uint64_t dev, ino, size;
    int64_t mtime_s, mtime_ns;
};
static struct {
    struct link_map *obj; /* published last; NULL: a free slot */
    uintptr_t base;         /* the object's load bias when read */
    struct file_id id;
    const uint8_t *lo, *hi; /* lo == hi: none */
    uint32_t gen;
} dbgf[DBG_OBJS];

static int file_id_of(long fd, struct file_id *out)
{
    struct stat st;
    if (raw_syscall4(SYS_fstat, fd, (long)&st, 0, 0) != 0)
        return 0;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = (uint64_t)st.st_size;
    out->mtime_s = st.st_mtim.tv_sec;
    out->mtime_ns = st.st_mtim.tv_nsec;
    return 1;
}

static long open_object(struct link_map *obj)
{
    /* the executable's l_name is "" */
    const char *path = obj->l_name && obj->l_name[0] ? obj->l_name : "/proc/self/exe";
    return raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
}

/* The copy of the .debug_frame of the file open at fd (none: *lo = *hi = NULL). */
static void debug_frame_of_file(long fd, const uint8_t **lo, const uint8_t **hi)
{
    *lo = *hi = NULL;
    ElfW(Ehdr) eh;
    ElfW(Shdr) sh, names;
    if (read_at((int)fd, &eh, sizeof eh, 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_shentsize == sizeof sh && eh.e_shstrndx < eh.e_shnum && eh.e_shnum < 4096 &&
        read_at((int)fd, &names, sizeof names, eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof sh)) {
        for (unsigned i = 1; i < eh.e_shnum; i++) {
            char name[13];
            if (!read_at((int)fd, &sh, sizeof sh, eh.e_shoff + (uint64_t)i * sizeof sh))
                break;
            if (sh.sh_type != SHT_PROGBITS || (sh.sh_flags & SHF_ALLOC) || sh.sh_size < 8 ||
                sh.sh_size > DBG_MAX || sh.sh_name >= names.sh_size ||
                !read_at((int)fd, name, sizeof name, names.sh_offset + sh.sh_name) ||
                memcmp(name, ".debug_frame", 13) != 0)
                continue;
            uint8_t *buf = mp_pages_alloc(sh.sh_size);
            if (buf && read_at((int)fd, buf, sh.sh_size, sh.sh_offset)) {
                *lo = buf;
                *hi = buf + sh.sh_size;
            } else if (buf) {
                mp_pages_free(buf, sh.sh_size);
            }
            break;
        }
    }
}

static int find_debug_frame(struct link_map *obj, const uint8_t **lo, const uint8_t **hi)
{
    uint32_t gen = __atomic_load_n(&memo_gen, __ATOMIC_ACQUIRE);
    for (int i = 0; i < DBG_OBJS; i++)
        if (__atomic_load_n(&dbgf[i].obj, __ATOMIC_ACQUIRE) == obj && dbgf[i].gen == gen) {
            *lo = dbgf[i].lo;
            *hi = dbgf[i].hi;
            return *lo < *hi;
        }
    if (!obj || __atomic_load_n(&no_syscalls, __ATOMIC_ACQUIRE))
        return 0;
    long fd = open_object(obj);
    if (fd < 0)
        return 0;
    struct file_id id;
    int have_id = file_id_of(fd, &id);
    /* the same file at the same place, retired by a dlclose: its copy again */
    for (int i = 0; have_id && i < DBG_OBJS; i++) {
        struct link_map *o = __atomic_load_n(&dbgf[i].obj, __ATOMIC_ACQUIRE);
        /* taken (obj NULL while it is looked at) so that no other thread refills it meanwhile */
        if (o != obj || !__atomic_compare_exchange_n(&dbgf[i].obj, &o, NULL, 0, __ATOMIC_ACQ_REL,
                                                     __ATOMIC_RELAXED))
            continue;
        const int same = dbgf[i].base == obj->l_addr && memcmp(&dbgf[i].id, &id, sizeof id) == 0;
        if (same)
            dbgf[i].gen = gen;
        const uint8_t *l = dbgf[i].lo, *h = dbgf[i].hi;
        __atomic_store_n(&dbgf[i].obj, obj, __ATOMIC_RELEASE);
        if (!same)
            continue;
        raw_syscall4(SYS_close, fd, 0, 0, 0);
        *lo = l;
        *hi = h;
        return l < h;
    }
    const uint8_t *l = NULL, *h = NULL;
    debug_frame_of_file(fd, &l, &h);
    raw_syscall4(SYS_close, fd, 0, 0, 0);
    int kept = 0;
    for (int i = 0; have_id && i < DBG_OBJS; i++) {
        struct link_map *o = __atomic_load_n(&dbgf[i].obj, __ATOMIC_ACQUIRE);
        if (o && dbgf[i].gen == gen)
            continue;
        if (!__atomic_compare_exchange_n(&dbgf[i].obj, &o, NULL, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        /* a retired slot's copy stays mapped: a walk may still be reading it */
        dbgf[i].base = obj->l_addr;
        dbgf[i].id = id;
        dbgf[i].lo = l;
        dbgf[i].hi = h;
        dbgf[i].gen = gen;
        __atomic_store_n(&dbgf[i].obj, obj, __ATOMIC_RELEASE);
        kept = 1;
        break;
    }
    if (!kept) {
        /* no slot: not used now either (nobody else has seen this copy) */
        if (l)
            mp_pages_free((void *)(uintptr_t)l, (size_t)(h - l));
        return 0;
    }
    *lo = l;
    *hi = h;
    return l && l < h;
}

/* Linear scan of a .debug_frame copy [lo, hi) of the object loaded at bias. */
static int find_fde_in_debug(const uint8_t *lo, const uint8_t *hi, uintptr_t bias,
                             uintptr_t target, struct fde_info *out)
{
    const uint8_t *p = lo;
    while (p + 8 <= hi) {
        const uint8_t *body, *end, *idf;
        uint64_t id;
        if (!rd_record_head(p, &body, &end, &id, &idf) || end > hi)
            return 0;
        const uint8_t *cbody, *cend, *cidf;
        uint64_t cid;
        if (!is_cie_id(id, 1) && id + 12 <= (uint64_t)(hi - lo) &&
            rd_record_head(lo + id, &cbody, &cend, &cid, &cidf) && cend <= hi &&
            parse_cie(lo + id, 0, &out->cie, 1) && (out->cie.fde_enc & 0x70) == 0) {
            struct reader r = { body, end, 0 };
            uintptr_t begin = rd_encoded(&r, out->cie.fde_enc, 0) + bias;
            uintptr_t range = rd_encoded(&r, out->cie.fde_enc & 0x0f, 0);
            if (out->cie.has_z) {
                uint64_t zlen = rd_uleb(&r);
                if (r.bad || zlen > (uint64_t)(end - r.p))
                    r.bad = 1;
                else
                    r.p += zlen;
            }
            if (!r.bad && target >= begin && target - begin < range) {
                out->pc_begin = begin;
                out->pc_end = begin + range;
                out->insns = r.p;
                out->insns_end = end;
                return 1;
            }
        }
        p = end;
    }
    return 0;
}

/* The FDE covering target, from the .eh_frame_hdr of its object or, without one, from its
 * .eh_frame (above), or else from its .debug_frame. *in_object says whether any object contains
 * target. */
static int find_fde(uintptr_t target, int *in_object, struct fde_info *out)
{
    struct link_map *obj;
    const uint8_t *hdr = find_eh_frame_hdr(target, in_object, &obj);
    if (hdr) {
        if (find_fde_in_hdr(hdr, target, out))
            return 1;
    } else {
        uintptr_t lo, hi;
        if (*in_object && find_eh_frame_nohdr(obj, &lo, &hi) &&
            find_fde_in_section(lo, hi, target, out))
            return 1;
    }
    const uint8_t *dlo, *dhi;
    return *in_object && obj && find_debug_frame(obj, &dlo, &dhi) &&
           find_fde_in_debug(dlo, dhi, obj->l_addr, target, out);
}

/* ------------------------------------------------------------------------------------------ */
/* CFA program                                                                                */

enum { RR_SAME = 0, RR_UNDEF, RR_OFFSET, RR_VAL_OFFSET, RR_REG, RR_AT_BREG, RR_OTHER };
enum { CFA_REG = 0, CFA_DEREF, CFA_OTHER };

struct reg_rule {
    uint8_t how, reg;
    int64_t off;
};

struct cfa_row {
    uint8_t cfa_how, cfa_reg;
    int64_t cfa_off;
    struct reg_rule bp, ra;
};

#define STATE_STACK 8

struct cfi_state {
    struct cfa_row row, init;
    struct cfa_row stack[STATE_STACK];
    int depth;
};

static struct reg_rule *tracked(struct cfi_state *s, uint64_t reg, uint64_t ra_reg)
{
    if (reg == DWREG_RBP)
        return &s->row.bp;
    if (reg == ra_reg)
        return &s->row.ra;
    return NULL;
}

/* DW_OP_breg<reg> <sleb off> [DW_OP_deref]. Returns 1 when the block is exactly that. */
static int parse_breg_expr(const uint8_t *p, uint64_t len, int want_deref, uint8_t *reg,
                           int64_t *off)
{
    struct reader r = { p, p + len, 0 };
    uint8_t op = (uint8_t)rd_fixed(&r, 1);
    if (r.bad || op < 0x70 || op > 0x8f)
        return 0;
    *reg = op - 0x70;
    *off = rd_sleb(&r);
    if (want_deref && (uint8_t)rd_fixed(&r, 1) != 0x06)
        return 0;
    return !r.bad && r.p == r.end;
}

/* Run insns until the row covering target. loc is the address of the first row.
 * Returns 0 on malformed input. */
static int run_cfa_program(struct cfi_state *s, const struct cie_info *cie, const uint8_t *p,
                           const uint8_t *end, uintptr_t loc, uintptr_t target)
{
    struct reader r = { p, end, 0 };
    while (r.p < r.end && !r.bad) {
        uint8_t op = *r.p++;
        uint8_t low = op & 0x3f;
        uint64_t reg, delta;
        int64_t off;
        struct reg_rule *rr;
        switch (op & 0xc0) {
        case 0x40: /* DW_CFA_advance_loc */
            delta = low * cie->code_align;
            goto advance;
        case 0x80: /* DW_CFA_offset */
            off = (int64_t)rd_uleb(&r) * cie->data_align;
            if ((rr = tracked(s, low, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_OFFSET, 0, off };
            continue;
        case 0xc0: /* DW_CFA_restore */
            if (low == DWREG_RBP)
                s->row.bp = s->init.bp;
            else if (low == cie->ra_reg)
                s->row.ra = s->init.ra;
            continue;
        }
        switch (op) {
        case 0x00: /* nop */
            continue;
        case 0x01: { /* set_loc */
            uintptr_t nl = rd_encoded(&r, cie->fde_enc, 0);
            if (r.bad)
                return 0;
            if (target < nl)
                return 1;
            loc = nl;
            continue;
        }
        case 0x02: delta = rd_fixed(&r, 1) * cie->code_align; goto advance;
        case 0x03: delta = rd_fixed(&r, 2) * cie->code_align; goto advance;
        case 0x04: delta = rd_fixed(&r, 4) * cie->code_align; goto advance;
        case 0x1d: delta = rd_fixed(&r, 8) * cie->code_align; goto advance; /* MIPS_advance_loc8 */
        case 0x05: /* offset_extended */
            reg = rd_uleb(&r);
            off = (int64_t)rd_uleb(&r) * cie->data_align;
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_OFFSET, 0, off };
            continue;
        case 0x06: /* restore_extended */
            reg = rd_uleb(&r);
            if (reg == DWREG_RBP)
                s->row.bp = s->init.bp;
            else if (reg == cie->ra_reg)
                s->row.ra = s->init.ra;
            continue;
        case 0x07: /* undefined */
        case 0x08: /* same_value */
            reg = rd_uleb(&r);
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ op == 0x07 ? RR_UNDEF : RR_SAME, 0, 0 };
            continue;
        case 0x09: { /* register */
            reg = rd_uleb(&r);
            uint64_t reg2 = rd_uleb(&r);
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ reg2 == reg ? RR_SAME : RR_REG, (uint8_t)reg2, 0 };
            continue;
        }
        case 0x0a: /* remember_state */
            if (s->depth >= STATE_STACK)
                return 0;
            s->stack[s->depth++] = s->row;
            continue;
        case 0x0b: /* restore_state */
            if (s->depth <= 0)
                return 0;
            s->row = s->stack[--s->depth];
            continue;
        case 0x0c: /* def_cfa */
            reg = rd_uleb(&r);
            off = (int64_t)rd_uleb(&r);
            s->row.cfa_how = CFA_REG;
            s->row.cfa_reg = (uint8_t)(reg > 255 ? 255 : reg);
            s->row.cfa_off = off;
            continue;
        case 0x12: /* def_cfa_sf */
            reg = rd_uleb(&r);
            off = rd_sleb(&r) * cie->data_align;
            s->row.cfa_how = CFA_REG;
            s->row.cfa_reg = (uint8_t)(reg > 255 ? 255 : reg);
            s->row.cfa_off = off;
            continue;
        case 0x0d: /* def_cfa_register */
            reg = rd_uleb(&r);
            if (s->row.cfa_how != CFA_REG)
                s->row.cfa_how = CFA_OTHER;
            s->row.cfa_reg = (uint8_t)(reg > 255 ? 255 : reg);
            continue;
        case 0x0e: /* def_cfa_offset */
            off = (int64_t)rd_uleb(&r);
            if (s->row.cfa_how != CFA_REG)
                s->row.cfa_how = CFA_OTHER;
            s->row.cfa_off = off;
            continue;
        case 0x13: /* def_cfa_offset_sf */
            off = rd_sleb(&r) * cie->data_align;
            if (s->row.cfa_how != CFA_REG)
                s->row.cfa_how = CFA_OTHER;
            s->row.cfa_off = off;
            continue;
        case 0x0f: { /* def_cfa_expression */
            uint64_t len = rd_uleb(&r);
            if (r.bad || len > (uint64_t)(r.end - r.p))
                return 0;
            uint8_t breg;
            int64_t boff;
            if (parse_breg_expr(r.p, len, 1, &breg, &boff)) {
                s->row.cfa_how = CFA_DEREF;
                s->row.cfa_reg = breg;
                s->row.cfa_off = boff;
            } else {
                s->row.cfa_how = CFA_OTHER;
            }
            r.p += len;
            continue;
        }
        case 0x10:   /* expression */
        case 0x16: { /* val_expression */
            reg = rd_uleb(&r);
            uint64_t len = rd_uleb(&r);
            if (r.bad || len > (uint64_t)(r.end - r.p))
                return 0;
            if ((rr = tracked(s, reg, cie->ra_reg))) {
                uint8_t breg;
                int64_t boff;
                if (op == 0x10 && parse_breg_expr(r.p, len, 0, &breg, &boff))
                    *rr = (struct reg_rule){ RR_AT_BREG, breg, boff };
                else
                    *rr = (struct reg_rule){ RR_OTHER, 0, 0 };
            }
            r.p += len;
            continue;
        }
        case 0x11: /* offset_extended_sf */
            reg = rd_uleb(&r);
            off = rd_sleb(&r) * cie->data_align;
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_OFFSET, 0, off };
            continue;
        case 0x14: /* val_offset */
            reg = rd_uleb(&r);
            off = (int64_t)rd_uleb(&r) * cie->data_align;
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_VAL_OFFSET, 0, off };
            continue;
        case 0x15: /* val_offset_sf */
            reg = rd_uleb(&r);
            off = rd_sleb(&r) * cie->data_align;
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_VAL_OFFSET, 0, off };
            continue;
        case 0x2e: /* GNU_args_size */
            rd_uleb(&r);
            continue;
        case 0x2f: /* GNU_negative_offset_extended */
            reg = rd_uleb(&r);
            off = -(int64_t)rd_uleb(&r) * cie->data_align;
            if ((rr = tracked(s, reg, cie->ra_reg)))
                *rr = (struct reg_rule){ RR_OFFSET, 0, off };
            continue;
        default:
            return 0; /* unknown opcode: operands unknown, cannot go on */
        }
    advance:
        if (r.bad)
            return 0;
        if (target < loc + delta)
            return 1;
        loc += delta;
    }
    return !r.bad;
}

/* The function whose frame ends every walk (main), [stop_lo, stop_hi); 0, 0 = none. */
static uintptr_t stop_lo, stop_hi;

void mp_unwind_set_stop_function(uintptr_t addr)
{
    int in_object = 0;
    struct fde_info fde;
    if (!find_fde(addr, &in_object, &fde))
        return;
    __atomic_store_n(&stop_hi, fde.pc_end, __ATOMIC_RELAXED);
    __atomic_store_n(&stop_lo, fde.pc_begin, __ATOMIC_RELEASE);
    /* rules cached for main's return addresses before now (a constructor that allocated from
     * main? none can, main has not run) need no flush */
}

/* Anchor functions: [lo, hi) of functions below whose frame the stack stays the same for as long
 * as the thread runs (memplumber's thread trampoline; main, when walks go below it). Each thread
 * records the frames from there to the end of its stack once and splices them in when a walk
 * lands on the anchor frame (see "Anchors" below): the function's own frame when it calls out
 * from one place only (the trampoline), else its caller's frame (main calls from many places,
 * while the return address into its caller is always the same). */
#define ANCHOR_FNS 4
static uintptr_t anchor_lo[ANCHOR_FNS], anchor_hi[ANCHOR_FNS];
static uint8_t anchor_caller[ANCHOR_FNS];
static int anchor_fns;

void mp_unwind_add_anchor_function(uintptr_t addr, int at_caller)
{
    int in_object = 0;
    struct fde_info fde;
    if (!find_fde(addr, &in_object, &fde))
        return;
    int k = __atomic_load_n(&anchor_fns, __ATOMIC_ACQUIRE);
    for (int i = 0; i < k; i++)
        if (anchor_lo[i] == fde.pc_begin)
            return;
    if (k >= ANCHOR_FNS)
        return;
    /* written before the count is published; two callers at once may both take index k, and
     * then both wrote a valid range (a lost one only costs the shortcut) */
    anchor_lo[k] = fde.pc_begin;
    anchor_hi[k] = fde.pc_end;
    anchor_caller[k] = (uint8_t)(at_caller != 0);
    __atomic_store_n(&anchor_fns, k + 1, __ATOMIC_RELEASE);
}

/* 0: pc (a return address) is in no anchor function; 1: in one whose frame is the anchor; 2: in
 * one whose caller's frame is. */
static int in_anchor_function(uintptr_t pc)
{
    int k = __atomic_load_n(&anchor_fns, __ATOMIC_ACQUIRE);
    for (int i = 0; i < k; i++)
        if (pc - 1 >= anchor_lo[i] && pc - 1 < anchor_hi[i])
            return 1 + anchor_caller[i];
    return 0;
}

/* __restore_rt: mov $15,%rax; syscall */
static const uint8_t restore_rt_code[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

/* Compute the rule for pc (a return address, or an interrupted pc when exact). Slow path. */
static int compute_rule(uintptr_t pc, int exact, struct rule *out, int *cacheable)
{
    memset(out, 0, sizeof *out);
    out->kind = K_STOP;
    *cacheable = 1;
    uintptr_t target = exact ? pc : pc - 1;
    int in_object = 0;
    struct fde_info fde;
    if (!find_fde(target, &in_object, &fde)) {
        out->kind = K_NOINFO;
        *cacheable = in_object; /* code outside any object (JIT, garbage) may appear later */
        return 1;
    }
    if (target >= __atomic_load_n(&stop_lo, __ATOMIC_ACQUIRE) &&
        target < __atomic_load_n(&stop_hi, __ATOMIC_RELAXED))
        return 1; /* main: the walk ends at its frame (K_STOP, cached) */
    if (fde.cie.signal) {
        if (!exact && pc + sizeof restore_rt_code <= fde.pc_end &&
            memcmp((const void *)pc, restore_rt_code, sizeof restore_rt_code) == 0)
            out->kind = K_SIGNAL;
        return 1;
    }
    struct cfi_state s;
    memset(&s.row, 0, sizeof s.row);
    s.row.cfa_how = CFA_OTHER;
    s.depth = 0;
    s.init = s.row;
    if (!run_cfa_program(&s, &fde.cie, fde.cie.insns, fde.cie.insns_end, 0, UINTPTR_MAX))
        return 1;
    s.init = s.row;
    s.depth = 0;
    if (!run_cfa_program(&s, &fde.cie, fde.insns, fde.insns_end, fde.pc_begin, target))
        return 1;

    const struct cfa_row *row = &s.row;
    if (row->ra.how == RR_UNDEF)
        return 1; /* outermost frame */
    if (row->ra.how != RR_OFFSET)
        return 1;
    if (row->cfa_how == CFA_REG && row->cfa_reg == DWREG_RSP)
        out->kind = K_RSP;
    else if (row->cfa_how == CFA_REG && row->cfa_reg == DWREG_RBP)
        out->kind = K_RBP;
    else if (row->cfa_how == CFA_DEREF && row->cfa_reg == DWREG_RBP)
        out->kind = K_DEREF_RBP;
    else if (row->cfa_how == CFA_DEREF && row->cfa_reg == DWREG_RSP)
        out->kind = K_DEREF_RSP;
    else
        return 1;
    out->cfa_off = row->cfa_off;
    out->ra_off = row->ra.off;
    switch (row->bp.how) {
    case RR_SAME: out->bp_mode = BP_SAME; break;
    case RR_OFFSET: out->bp_mode = BP_AT_CFA; out->bp_off = row->bp.off; break;
    case RR_VAL_OFFSET: out->bp_mode = BP_VAL_CFA; out->bp_off = row->bp.off; break;
    case RR_AT_BREG:
        if (row->bp.reg == DWREG_RBP) {
            out->bp_mode = BP_AT_BP;
            out->bp_off = row->bp.off;
        } else {
            out->bp_mode = BP_UNKNOWN;
        }
        break;
    default: out->bp_mode = BP_UNKNOWN; break;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Walk                                                                                       */

/* The calling thread's own stack, [tls_stack_lo, tls_stack_top); both 0 when not known. */
static __thread uintptr_t tls_stack_top __attribute__((tls_model("initial-exec")));
static __thread uintptr_t tls_stack_lo __attribute__((tls_model("initial-exec")));

/* ---- Foreign stacks ----
 * A thread's own stack is mapped for as long as the thread runs, so a walk that starts on it may
 * read any word between its sp and the stack top. Any other stack may end anywhere: a coroutine's
 * stack (makecontext, a hand-written switch, a green-thread library) in memory from mmap or malloc,
 * a sigaltstack, a thread started without memplumber's trampoline. Above the coroutine's first
 * frame lie stale words (a return address left by an earlier use of that memory is a plausible
 * pc with a rule), and the memory beyond may be unmapped or a guard page; and a coroutine's stack
 * may be unmapped once it is done, while the memo and the stack cache still describe walks on it.
 * So a capture whose sp is not on the thread's own stack uses neither the memo nor the stack cache
 * (it neither reads nor records them), and every word it reads outside the own stack is in a page
 * it has checked: the kernel copies 8 bytes from the page's start for rt_sigprocmask before it
 * looks at an (invalid) `how`, so the call fails with EFAULT when the page cannot be read and with
 * EINVAL otherwise, and changes nothing either way. A walk checks each page once (up to
 * FC_PAGES pages remembered). Nothing is remembered between captures: the program may unmap any
 * of those pages at any time. */
#define FC_PAGES 8
#define FC_PAGE 4096u

struct fcheck {
    uintptr_t own_lo, own_hi; /* the own stack, read without a check */
    uintptr_t run_lo, run_hi; /* checked pages from sp's on, without a gap */
    uintptr_t pages[FC_PAGES]; /* other pages checked */
    unsigned n;
};



static int no_syscalls; /* mp_unwind_stop_syscalls */

void mp_unwind_stop_syscalls(void) { __atomic_store_n(&no_syscalls, 1, __ATOMIC_RELEASE); }

/* Is the page at p readable? A raw system call: errno stays as the program left it. */
static int page_readable(uintptr_t p)
{
    if (__atomic_load_n(&no_syscalls, __ATOMIC_ACQUIRE))
        return 0;
    long ret;
    register long r10 __asm__("r10") = 8; /* the kernel's sigset_t */
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_rt_sigprocmask), "D"(-1L), "S"(p), "d"(0L), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret == -22; /* -EINVAL: the 8 bytes were copied; -EFAULT (or anything else): no */
}

uintptr_t mp_unwind_readable_end(uintptr_t from, uintptr_t max)
{
    uintptr_t p = from & ~(uintptr_t)(FC_PAGE - 1);
    const uintptr_t end = p + max;
    while (p < end && page_readable(p))
        p += FC_PAGE;
    return p;
}

static int fc_page_ok(struct fcheck *fc, uintptr_t p)
{
    for (unsigned i = 0; i < fc->n && i < FC_PAGES; i++)
        if (fc->pages[i] == p)
            return 1;
    if (!page_readable(p))
        return 0;
    fc->pages[fc->n++ % FC_PAGES] = p;
    return 1;
}


/* May the 8 bytes at a be read? */
static int fc_ok(struct fcheck *fc, uintptr_t a)
{
    if (a >= fc->own_lo && a < fc->own_hi && fc->own_hi - a >= 8)
        return 1;
    if (a >= fc->run_lo && a < fc->run_hi && fc->run_hi - a >= 8)
        return 1;
    const uintptr_t p0 = a & ~(uintptr_t)(FC_PAGE - 1), p1 = (a + 7) & ~(uintptr_t)(FC_PAGE - 1);
    return fc_page_ok(fc, p0) && (p1 == p0 || fc_page_ok(fc, p1));
}

/* Walk memo: each thread keeps the frames of its last capture as a chain of recorded steps.
 * Entry i says: "frame i is (key_i = pc_i | exact flag, sp_i, bp_i), and the cached fast rule
 * rule_i of pc_i steps from it to entry i+1: caller frame at sp_{i+1}, its return address pc_{i+1}
 * read at sp_{i+1} - 8 (and rbp bp_{i+1} read at sp_{i+1} + bp_off when the rule restores rbp)".
 * A new capture first re-reads those words from the outermost entry inwards, while they still
 * hold (independent loads, no chain), which leaves a verified suffix J..m-1 of the previous walk.
 * Then it walks as usual (load return address -> rule -> CFA -> load ...) until its sp reaches
 * that suffix; if it lands on one of its entries (same key at the same sp, and the same rbp when
 * a step depends on it), the rest of the stack is the verified suffix, copied without a step.
 * Each memo slot holds two walks: the previous one (read) and the one being recorded (written in
 * place as the walk goes), which then swap. A capture whose first frame is the first entry of a
 * wholly verified previous walk is the same stack: the caller gets the stack id it attached to
 * that walk (mp_unwind_attach_id) and skips the depot. A flush (new code may sit at an old pc)
 * bumps memo_gen, which drops every memo. Re-entry from a signal handler skips the memo. */
#define MEMO_MAX 32 /* entries kept per walk (the default depth is 30) */

/* A walk joins the previous one only if that one has at least JOIN_MIN entries. Verifying its
 * suffix and landing on it (a branch the processor cannot predict) cost about as much as walking
 * six frames: on short stacks the join lost more than it saved (churn: 2.10x native with joins,
 * 1.96x without), on deep ones it pays (gcc's cc1, 18 frames a capture on average). */
#define JOIN_MIN 16

/* bp is stored XOR BP_MASK: with -fomit-frame-pointer rbp holds any data, often a heap pointer,
 * and the leak scan must not take the memo for a reference to a block. */
#define BP_MASK ((uintptr_t)0xa5a5c3c35a5a3c3cull)

struct memo_frame {
    uint64_t key;       /* pc | EXACT_BIT for an interrupted pc */
    uintptr_t sp, bp;   /* bp ^ BP_MASK */
    uint64_t rule;      /* the fast rule stepping to entry i+1; 0: not replayable */
};

struct memo_walk {
    int n;              /* entries recorded (at most MEMO_MAX) */
    int total;          /* frames the walk returned */
    int max;            /* the walk's max frames */
    uint32_t id;        /* stack id the caller attached to the walk, 0 = none */
    uint8_t end_fixed;  /* it ended at max or at a cached outermost rule: the same frames end the
                           same way; 0 when it ended on a check of stack contents */
    uint8_t bp0;        /* a step uses rbp before any step reloads it, so rbp at entry 0 matters:
                           0 no, 1 yes, 2 not worked out yet (see walk_bp0) */
    uint64_t sc_hash;   /* the stack cache's hash of its start (0: not looked up) */
    struct memo_frame f[MEMO_MAX + 1]; /* f[MEMO_MAX] takes the frames past MEMO_MAX */
};

/* Anchors. Below the start routine of a thread that memplumber's trampoline started (and below
 * main, for walks that go past it) the stack is the same for the thread's whole life: the
 * trampoline's frame, start_thread, clone3. Each memo keeps those frames once (recorded from the
 * first walk that ended at the stack's outermost frame and went through an anchor function),
 * and a walk that lands on the anchor frame (same pc at the same sp, and the same rbp where a
 * step needs it) re-reads the recorded return-address and saved-rbp words, as a memo join does,
 * and appends the recorded frames instead of stepping through them. Every word is checked, so a
 * walk gives exactly the frames a full walk would; a thread started some other way (raw clone)
 * has no anchor function on its stack and walks in full. */
#define ANCHOR_MAX 8        /* frames kept from the anchor frame to the end of the stack */
#define ANCHOR_TRIES 8      /* walks that ended at the outermost frame without an anchor */

struct anchor {
    uint32_t gen;       /* memo_gen when recorded (a flush drops it) */
    uint8_t n;          /* entries f[0..n-1]; 0 = none recorded */
    uint8_t tries;      /* complete walks seen without one; at ANCHOR_TRIES, stop looking */
    uint8_t bp0;        /* a step uses rbp before one reloads it: rbp at f[0] must match */
    struct memo_frame f[ANCHOR_MAX];
};

struct memo {
    uint32_t busy, gen;
    uint32_t cur;       /* w[cur] holds the previous walk */
    uint32_t serial;    /* bumped by every recorded walk (see mp_unwind_attach_id) */
    /* The stack cache's last answer on this path: where its capture started and the entry
     * (set * SC_WAYS + way, and its tag then). Two call sites of one function in turn (a realloc
     * loop, a node and its string) start at the same pc and sp with different stacks: the memo
     * keeps the walk of one, the cache answers the other, each time after three dependent
     * steps and a set of eight lines. A capture that starts where the last answer did and is
     * not the memo's stack checks that entry first. A hint only: the entry's own check
     * decides, as for any lookup. */
    uint64_t sc_short_key;
    uintptr_t sc_short_sp;
    uint32_t sc_short_way, sc_short_tag;
    uint8_t sc_short_wrong, sc_short_skip;
    struct anchor anchor;
    struct memo_walk w[2];
};

#ifdef MP_UNWIND_STATS /* debugging aid: -DMP_UNWIND_STATS, read by tests with extern */
unsigned long mp_unwind_stat_sc_hit, mp_unwind_stat_sc_miss, mp_unwind_stat_sc_rec,
    mp_unwind_stat_short_try, mp_unwind_stat_short_hit;
unsigned long mp_unwind_stat_slow, mp_unwind_stat_match, mp_unwind_stat_replayed,
    mp_unwind_stat_replay_break, mp_unwind_stat_anchored, mp_unwind_stat_anchor_missed;
#ifdef MP_UNWIND_STATS_PRINT /* -DMP_UNWIND_STATS_PRINT too: the counters on stderr at exit */
#include <stdio.h>
__attribute__((destructor)) static void print_unwind_stats(void)
{
    fprintf(stderr, "stack cache: hits %lu misses %lu kept %lu, shortcuts right %lu of %lu\n",
            mp_unwind_stat_sc_hit, mp_unwind_stat_sc_miss, mp_unwind_stat_sc_rec,
            mp_unwind_stat_short_hit, mp_unwind_stat_short_try);
    fprintf(stderr, "unwind stats: slow %lu match %lu replayed %lu breaks %lu anchored %lu anchor_missed %lu\n",
            mp_unwind_stat_slow, mp_unwind_stat_match, mp_unwind_stat_replayed,
            mp_unwind_stat_replay_break, mp_unwind_stat_anchored, mp_unwind_stat_anchor_missed);
}
#endif
#define STAT(x) __atomic_add_fetch(&mp_unwind_stat_##x, 1, __ATOMIC_RELAXED)
#define STAT_ADD(x, v) __atomic_add_fetch(&mp_unwind_stat_##x, (v), __ATOMIC_RELAXED)
#else
#define STAT(x) ((void)0)
#define STAT_ADD(x, v) ((void)0)
#endif

/* Two memos per thread: allocation and free paths alternate in most programs, and each would
 * otherwise evict the other's walk. The caller picks one with mp_unwind_memo_slot. With them, the
 * walk of a capture whose memo is not kept (re-entry, memo off): written, never read.
 * They are 6 KiB, kept in tool memory, not in TLS: glibc carves the static TLS of every thread out
 * of the thread's stack, so a thread started on a small stack (PTHREAD_STACK_MIN, 16 KiB, or a
 * stack of the program's own) lost that much of it under memplumber and could overflow where it
 * did not natively. Each thread takes its block at its first capture (a system call, or one from
 * the pool of ended threads) and gives it back when a thread memplumber started ends. */
struct memos {
    struct memo m[2];
    struct memo_walk scratch;
    struct memos *next; /* in the pool */
    uint8_t deep_busy;  /* deep[] in use (mp_unwind_deep_buffer) */
    /* Last: not cleared when a block is reused, and its pages stay untouched (no memory) in a
     * thread that never captures more than the hooks' 64 frames on the stack. */
    uintptr_t deep[MP_UNWIND_DEEP_MAX];
};
static __thread struct memos *tls_memos __attribute__((tls_model("initial-exec")));
/* 0: none yet; 1: being taken (a signal handler's capture then walks without one); 2: none for
 * good (no memory, or the thread ended) */
static __thread uint8_t tls_memos_state __attribute__((tls_model("initial-exec")));
static struct memos *memos_pool;
__thread int mp_unwind_memo_slot __attribute__((tls_model("initial-exec")));
/* memo_gen (0 in a fresh thread's memo never matches) is defined above, by the FDE search */
static int memo_enabled = 1;

/* Where a capture without memos writes its walk: written by any thread, never read. */
static struct memo_walk memo_dead;

void mp_unwind_set_memo(int enabled) { __atomic_store_n(&memo_enabled, enabled, __ATOMIC_RELAXED); }

void mp_unwind_init(void) { (void)cache_get_table(); }

void mp_unwind_set_stack(uintptr_t lo, uintptr_t top)
{
    tls_stack_lo = lo < top ? lo : 0;
    tls_stack_top = lo < top ? top : 0;
}

void mp_unwind_flush(void)
{
    struct cache_entry *t = __atomic_load_n(&cache_table, __ATOMIC_ACQUIRE);
    if (!t)
        return;
    /* Bounded spin: an insert holds the lock for a few dozen instructions. If we still cannot get
     * it, zap anyway: a torn entry reads as key-without-value (0 = miss) or is never found. */
    int locked = 0;
    for (int i = 0; i < (1 << 20) && !(locked = cache_trylock()); i++)
        __builtin_ia32_pause();
    __atomic_add_fetch(&memo_gen, 1, __ATOMIC_RELAXED);
    syscall(SYS_madvise, t, CACHE_SIZE * sizeof(struct cache_entry), MADV_DONTNEED);
    __atomic_store_n(&cache_count, 0, __ATOMIC_RELAXED);
    if (locked)
        cache_unlock();
}

static inline int plausible_pc(uintptr_t pc)
{
    return pc - 4096 < ((uintptr_t)1 << 47) - 4096;
}

static inline uintptr_t load_word(uintptr_t addr) { return *(const uintptr_t *)addr; }

struct walk {
    uintptr_t pc, sp, bp;
    uintptr_t lo, limit;           /* reads stay within [lo, limit) */
    uint64_t keyflag;              /* EXACT_BIT when pc is an interrupted pc */
    struct cache_entry *table;
    uint64_t fast_rule;            /* out: the packed rule of the step when it is a fast one */
    struct fcheck *fc;             /* a foreign stack: every read checked first; else NULL */
};

/* A read general_step may make: within bounds, and in a checked page on a foreign stack. */
#define MAY_READ(w, a) (!(w)->fc || fc_ok((w)->fc, (a)))

/* One step with any rule: v is the cached rule for w->pc, or 0 (not cached: compute it and try
 * to cache it when w->table is set). Returns 1 with w holding the caller's frame, 0 to stop. */
__attribute__((noinline, no_sanitize_address)) static int general_step(struct walk *w, uint64_t v)
{
    struct rule r;
    if (v) {
        unpack_rule(v, &r);
    } else {
        int cacheable;
        STAT(slow);
        compute_rule(w->pc, w->keyflag != 0, &r, &cacheable);
        if (cacheable && pack_rule(&r, &v)) {
            if (w->table)
                cache_insert(w->table, w->pc | w->keyflag, v);
        } else {
            v = 0;
        }
    }
    w->fast_rule = v & RULE_FAST ? v : 0;
    const uintptr_t lo = w->lo, limit = w->limit, sp = w->sp;
    uintptr_t bp = w->bp, cfa, a;
    switch (r.kind) {
    case K_RSP:
        cfa = sp + (uintptr_t)r.cfa_off;
        break;
    case K_RBP:
        cfa = bp + (uintptr_t)r.cfa_off;
        break;
    case K_DEREF_RBP:
    case K_DEREF_RSP:
        a = (r.kind == K_DEREF_RBP ? bp : sp) + (uintptr_t)r.cfa_off;
        if (a < lo || a > limit - 8 || !MAY_READ(w, a))
            return 0;
        cfa = load_word(a);
        break;
    case K_SIGNAL: {
        /* sp points at the ucontext_t the kernel pushed (after the handler's return slot) */
        uintptr_t g = sp + offsetof(ucontext_t, uc_mcontext.gregs);
        if (g < lo || g + (REG_RIP + 1) * 8 > limit || !MAY_READ(w, g + REG_RIP * 8) ||
            !MAY_READ(w, g + REG_RSP * 8) || !MAY_READ(w, g + REG_RBP * 8))
            return 0;
        uintptr_t npc = load_word(g + REG_RIP * 8);
        uintptr_t nsp = load_word(g + REG_RSP * 8);
        uintptr_t nbp = load_word(g + REG_RBP * 8);
        if (nsp <= sp || nsp > limit || !plausible_pc(npc))
            return 0;
        w->pc = npc;
        w->sp = nsp;
        w->bp = nbp;
        w->keyflag = EXACT_BIT;
        return 1;
    }
    case K_NOINFO: {
        /* Frame-pointer step, only if rbp looks like a frame in this stack. */
        if (bp < lo || bp < sp || (bp & 7) || bp > limit - 16 || !MAY_READ(w, bp) ||
            !MAY_READ(w, bp + 8))
            return 0;
        uintptr_t ra = load_word(bp + 8);
        if (!plausible_pc(ra))
            return 0;
        w->sp = bp + 16;
        w->bp = load_word(bp);
        w->pc = ra;
        w->keyflag = 0;
        return 1;
    }
    default:
        return 0;
    }

    if (cfa <= sp || cfa > limit)
        return 0;
    a = cfa + (uintptr_t)r.ra_off;
    if (a < lo || a > limit - 8 || !MAY_READ(w, a))
        return 0;
    uintptr_t ra = load_word(a);
    switch (r.bp_mode) {
    case BP_SAME:
        break;
    case BP_AT_CFA:
    case BP_AT_BP:
        a = (r.bp_mode == BP_AT_CFA ? cfa : bp) + (uintptr_t)r.bp_off;
        if (a < lo || a > limit - 8 || !MAY_READ(w, a))
            return 0;
        bp = load_word(a);
        break;
    case BP_VAL_CFA:
        bp = cfa + (uintptr_t)r.bp_off;
        break;
    default:
        bp = 0;
        break;
    }
    if (!plausible_pc(ra))
        return 0;
    w->sp = cfa;
    w->bp = bp;
    w->pc = ra;
    w->keyflag = 0;
    return 1;
}

/* Names the walk a memo holds now, for mp_unwind_attach_id: bit 31 set (0 = no walk), bit 30
 * the memo slot, bits 0-29 the memo's serial. */
static inline uint32_t memo_token(const struct memo *memo)
{
    return (memo->serial & 0x3fffffffu) | 1u << 31 | (uint32_t)(mp_unwind_memo_slot & 1) << 30;
}

/* Does rbp at W's first frame matter, i.e. does a step use rbp before one reloads it? Worked out
 * when first asked (only a same-stack answer asks), then kept. */
static int walk_bp0(struct memo_walk *W)
{
    if (W->bp0 == 2) {
        int bp0 = 0;
        for (int k = 0; k + 1 < W->n; k++) {
            const uint64_t v = W->f[k].rule;
            if (!(v & RULE_FAST) || !(v & 1)) {
                bp0 = 1; /* uses rbp (or a general step, which may) */
                break;
            }
            if (v & (BP_AT_CFA << 4))
                break;
        }
        W->bp0 = (uint8_t)bp0;
    }
    return W->bp0;
}

/* Which entries of A, from the outermost inwards, still describe the stack: each step's words
 * (return address, saved rbp) are re-read. Returns J: steps J..m-2 hold. Reads stay in
 * [lo, limit): an entry below lo belongs to a frame that has returned; a fast rule's saved rbp
 * lies 8 to 128 bytes below the caller's sp, which is at most A[m-1].sp <= limit. */
__attribute__((no_sanitize_address)) static inline int verify_suffix(const struct memo_frame *A,
                                                                     int m, uintptr_t lo,
                                                                     uintptr_t limit)
{
    int J = m - 1;
    if (A[J].sp < lo || A[J].sp > limit)
        return m;
    while (J > 0) {
        const struct memo_frame *e = &A[J - 1], *nx = &A[J];
        const uint64_t v = e->rule;
        if (!(v & RULE_FAST) || e->sp < lo)
            break;
        /* a rule that keeps rbp names the return-address slot as its rbp slot (pack_rule) */
        const uintptr_t a = nx->sp + (uintptr_t)(intptr_t)(int16_t)(v >> 16);
        if (a < lo)
            break; /* the walk itself stops there */
        const uint64_t want = (v & (BP_AT_CFA << 4)) ? nx->bp ^ BP_MASK : nx->key;
        /* both words, then one branch: the loads of successive entries overlap */
        if ((load_word(nx->sp - 8) ^ nx->key) | (load_word(a) ^ want))
            break;
        J--;
    }
    return J;
}

/* Whether all of A still holds (verify_suffix(A, m, lo, limit) == 0), checked from the innermost
 * frame out: for the same-stack check, which fails where two stacks that start at the same pc and
 * sp part, most often a few frames from the leaf (paths through a program's call tree), where a
 * check from the outermost frame in read every frame the two share first. */
__attribute__((no_sanitize_address)) static inline int verify_all(const struct memo_frame *A, int m,
                                                                  uintptr_t lo, uintptr_t limit)
{
    if (A[m - 1].sp < lo || A[m - 1].sp > limit)
        return 0;
    for (int k = 0; k + 1 < m; k++) {
        const struct memo_frame *e = &A[k], *nx = &A[k + 1];
        const uint64_t v = e->rule;
        if (!(v & RULE_FAST) || e->sp < lo)
            return 0;
        const uintptr_t a = nx->sp + (uintptr_t)(intptr_t)(int16_t)(v >> 16);
        if (a < lo)
            return 0;
        const uint64_t want = (v & (BP_AT_CFA << 4)) ? nx->bp ^ BP_MASK : nx->key;
        if ((load_word(nx->sp - 8) ^ nx->key) | (load_word(a) ^ want))
            return 0;
    }
    return 1;
}

/* The walk's position, handed to the splice below and back. */
struct wpos {
    uint64_t key;       /* the frame's pc, | EXACT_BIT when it is an interrupted pc */
    uintptr_t sp, bp;
    int n, same;
};

static inline int memo_index(int n) { return n - 1 < MEMO_MAX ? n - 1 : MEMO_MAX; }

/* The walk's frame n-1 is entry j (>= J) of A: same key, same sp. The rest of the stack is A's
 * verified suffix, provided every step that computes its CFA from rbp gets the rbp A had there:
 * that holds from the first step that reloads rbp on (its word was verified), and before it only
 * if rbp now equals A's at entry j. Copies the suffix (up to max frames) into pcs and B. Out of
 * line: it runs at most once per walk. */
__attribute__((noinline)) static struct wpos splice_memo(struct wpos w, int j,
                                                         const struct memo_walk *A,
                                                         struct memo_frame *B, uintptr_t *pcs,
                                                         int max)
{
    const struct memo_frame *const f = A->f;
    const int m = A->n;
    const int first = w.n == 1 && j == 0;
    int bp_ok = w.bp == (f[j].bp ^ BP_MASK);
    int n = w.n, iend = m - 1;
    if (iend - j > max - n)
        iend = j + (max - n);
    if (!bp_ok) {
        for (int k = j; k < iend; k++) {
            const uint64_t v = f[k].rule;
            if (!(v & 1)) {
                iend = k; /* CFA from an rbp that may differ */
                break;
            }
            if (v & (BP_AT_CFA << 4)) {
                bp_ok = 1;
                break;
            }
        }
    }
    for (int i = j; i < iend; i++) {
        B[memo_index(n)] = f[i];
        pcs[n++] = f[i + 1].key;
    }
    STAT(match);
    STAT_ADD(replayed, (unsigned long)(iend - j));
    if (iend < m - 1 && n < max)
        STAT(replay_break);
    if (iend > j && bp_ok)
        w.bp = f[iend].bp ^ BP_MASK; /* unchanged unless a verified reload */
    w.key = f[iend].key;
    w.sp = f[iend].sp;
    w.n = n;
    w.same = first && iend == m - 1 && A->total == m;
    return w;
}

/* Does rbp at f[0] matter for the steps f[0] -> ... -> f[m-1] (a step computes its CFA from rbp
 * before one reloads it)? */
static int steps_use_bp0(const struct memo_frame *f, int m)
{
    for (int k = 0; k + 1 < m; k++) {
        const uint64_t v = f[k].rule;
        if (!(v & RULE_FAST) || !(v & 1))
            return 1;
        if (v & (BP_AT_CFA << 4))
            return 0;
    }
    return 0;
}

/* The walk's frame n-1 is the anchor frame (same key at the same sp). When the anchor's words
 * still hold and rbp agrees where a step needs it, appends its frames (up to max frames in all)
 * to pcs and B and returns 1; otherwise returns 0 and the walk steps on as usual. The entries
 * copied into B carry the walk's own rbp up to the first step that reloads it. */
__attribute__((noinline, no_sanitize_address)) static int splice_anchor(const struct anchor *a,
                                                                        struct wpos *w,
                                                                        struct memo_frame *B,
                                                                        uintptr_t *pcs, int max,
                                                                        uintptr_t lo,
                                                                        uintptr_t limit)
{
    const struct memo_frame *const f = a->f;
    const int m = a->n;
    if (a->bp0 && w->bp != (f[0].bp ^ BP_MASK))
        return 0;
    if (verify_suffix(f, m, lo, limit) != 0)
        return 0;
    int n = w->n, iend = m - 1;
    if (iend > max - n)
        iend = max - n;
    uintptr_t bpx = w->bp ^ BP_MASK;
    for (int i = 0; i < iend; i++) {
        struct memo_frame e = f[i];
        e.bp = bpx;
        B[memo_index(n)] = e;
        if (e.rule & (BP_AT_CFA << 4))
            bpx = f[i + 1].bp;
        pcs[n++] = f[i + 1].key;
    }
    STAT(anchored);
    w->key = f[iend].key;
    w->sp = f[iend].sp;
    w->bp = bpx ^ BP_MASK;
    w->n = n;
    return 1;
}

/* After a walk that ended at the stack's outermost frame (a cached stop rule) with its n entries
 * in B: keep the frames from the outermost one inside an anchor function to the end as the
 * memo's anchor, when every step among them is a fast rule (replayable, verifiable). */
__attribute__((noinline)) static void record_anchor(struct anchor *a, const struct memo_frame *B,
                                                    int n, uint32_t gen)
{
    a->n = 0;
    int i = n - 1, lo = n > ANCHOR_MAX ? n - ANCHOR_MAX : 0, how = 0;
    while (i >= lo && !(how = in_anchor_function(B[i].key)))
        i--;
    i += how == 2;
    if (i < lo || i >= n - 1) {
        a->tries++;
        return;
    }
    for (int k = i; k < n - 1; k++) {
        if (!(B[k].rule & RULE_FAST)) {
            a->tries++;
            return;
        }
    }
    const int m = n - i;
    for (int k = 0; k < m; k++)
        a->f[k] = B[i + k];
    a->bp0 = (uint8_t)steps_use_bp0(a->f, m);
    a->gen = gen;
    a->n = (uint8_t)m;
}

/* The walk when the rule cache's mapping failed: every rule computed, nothing recorded. */
__attribute__((noinline)) static int walk_uncached(struct walk *w, uintptr_t *pcs, int max)
{
    int n = 1;
    while (n < max && general_step(w, 0))
        pcs[n++] = w->pc;
    return n;
}

/* A fast rule's step, shared by both walks: the CFA (from sp or rbp), the saved-rbp slot (8 to
 * 128 bytes below the CFA; the return address's own slot when rbp is unchanged), and, once the
 * caller has bounded both reads to readable memory in [lo, cfa), the return address with rbp
 * updated. */
static inline __attribute__((always_inline)) uintptr_t fast_cfa(uint64_t v, uintptr_t sp, uintptr_t bp)
{
    return ((v & 1) ? sp : bp) + (uintptr_t)(int64_t)(int32_t)(v >> 32);
}

static inline __attribute__((always_inline)) uintptr_t fast_bp_slot(uint64_t v, uintptr_t cfa)
{
    return cfa + (uintptr_t)(intptr_t)(int16_t)(v >> 16);
}

static inline __attribute__((always_inline)) uintptr_t fast_load(uint64_t v, uintptr_t cfa,
                                                                 uintptr_t a, uintptr_t *bp)
{
    const uintptr_t ra = load_word(cfa - 8);
    const uintptr_t nbp = load_word(a);
    *bp = (v & (BP_AT_CFA << 4)) ? nbp : *bp;
    return ra;
}

/* The walk on a foreign stack (see "Foreign stacks"): no memo, no stack cache. Fast rules step
 * inline within the run of checked pages that starts at sp's page, which grows a page at a time
 * as steps need it; other rules go through general_step, which checks each page it reads. A
 * signal frame that leads back to the own stack continues there with the own stack's bound. */
__attribute__((noinline, no_sanitize_address)) static int walk_foreign(uint64_t key, uintptr_t sp,
                                                                      uintptr_t bp,
                                                                      struct cache_entry *table,
                                                                      uintptr_t *pcs, int max)
{
    const uintptr_t page = sp & ~(uintptr_t)(FC_PAGE - 1);
    /* sp's page holds the caller's own frame (its return address at least): it is mapped */
    struct fcheck fc = { tls_stack_lo, tls_stack_top, page, page + FC_PAGE, {0}, 0 };
    uintptr_t lo = sp, limit = fc.run_hi;
    int own = 0, n = 1;
    while (n < max) {
        const uint64_t v = table ? cache_lookup(table, key) : 0;
        if (v & RULE_FAST) {
            const uintptr_t cfa = fast_cfa(v, sp, bp);
            /* the step reads the words at cfa - 8 and a (its saved rbp, 8 to 128 bytes below) */
            const uintptr_t a = fast_bp_slot(v, cfa);
            if (cfa < sp + 8 || cfa > limit) {
                if (own || cfa < sp + 8 || a < lo)
                    break;
                if (cfa <= fc.run_hi + FC_PAGE) { /* the run's next page */
                    if (!page_readable(fc.run_hi))
                        break;
                    fc.run_hi += FC_PAGE;
                    limit = fc.run_hi;
                    continue;
                }
                /* a larger frame: only the pages this step reads are checked, and the run
                 * starts over there (they are the same page or two pages in a row) */
                if (!fc_ok(&fc, cfa - 8) || !fc_ok(&fc, a))
                    break;
                fc.run_lo = a & ~(uintptr_t)(FC_PAGE - 1);
                fc.run_hi = ((cfa - 8) & ~(uintptr_t)(FC_PAGE - 1)) + FC_PAGE;
                lo = fc.run_lo;
                limit = fc.run_hi;
                continue;
            }
            /* every read lies in [lo, cfa), within the run (or the own stack) */
            if (a < lo)
                break;
            const uintptr_t ra = fast_load(v, cfa, a, &bp);
            if (!plausible_pc(ra))
                break;
            sp = cfa;
            key = ra;
            pcs[n++] = ra;
            continue;
        }
        if (v && (v & 15) == K_STOP)
            break;
        struct walk w = { key & ~EXACT_BIT, sp, bp, lo, own ? limit : (uintptr_t)1 << 47,
                          key & EXACT_BIT, table, 0, own ? NULL : &fc };
        if (!general_step(&w, v))
            break;
        sp = w.sp;
        bp = w.bp;
        key = w.pc | w.keyflag;
        pcs[n++] = w.pc;
        if (own)
            continue;
        if (sp >= fc.own_lo && sp < fc.own_hi) {
            own = 1; /* back on the own stack (a signal frame): read up to its top */
            lo = sp;
            limit = fc.own_hi;
        } else if (sp < fc.run_lo || sp >= fc.run_hi) {
            /* a step left the run (a CFA loaded from memory, a signal frame): a new, empty run
             * from sp's page, which nothing has checked yet */
            fc.run_lo = fc.run_hi = sp & ~(uintptr_t)(FC_PAGE - 1);
            lo = sp;
            limit = fc.run_hi;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Stack cache                                                                                */

/* The memo answers a capture that repeats the previous one; a program whose allocations come
 * from many call paths in turn (a recursive walk, two realloc sites, destructors at every depth)
 * repeats stacks too, just not back to back. Each thread keeps a cache of the walks it gave a
 * stack id to. A walk whose steps are all fast rules is a function of its start (pc, sp, and rbp
 * where a step computes its CFA from it before one reloads it) and of the stack words it read:
 * the return-address slots and, where a later step computes its CFA from rbp, the saved-rbp slot
 * it reloaded. An entry keeps where those words are (sc_record) and a hash of their values
 * with the start; a capture that finds an entry re-reads them, and when the hash agrees the stack
 * is the same: its id comes back without the rest of the walk, a rule lookup per frame or the
 * depot. The loads are independent of each other (their addresses are known), where a walk's
 * form a chain. Every word read lies in [sp, sp + the entry's span), within [sp, stack top).
 * Lookup: the first SC_HASH_STEPS steps are taken as the walk takes them, and a hash of the first
 * pc, the sp and those return addresses picks a set and a 32-bit tag; the set's ways (one line
 * each) are loaded together and a way with the tag is checked. A walk is kept only the second
 * time its hash misses in a set (the set remembers the last missing hash), so stacks seen once
 * do not evict the ones that repeat. Tables come from tool memory, one per thread, taken at the
 * thread's SC_AFTER-th walk with an id and given back to a pool when a thread memplumber started
 * ends; at most SC_TABLES exist (threads beyond walk as before). A flush (dlclose) drops every
 * entry (memo_gen). */
#define SC_WORDS 32 /* at most: MEMO_MAX frames, and as many as SC_DBYTES can place */
#define SC_DBYTES 32
#define SC_WAYS 8
#define SC_SETS_LOG 9
#define SC_SETS (1u << SC_SETS_LOG)
#define SC_HASH_STEPS 3
#define SC_AFTER 16
#define SC_TABLES 32
#define SC_BP0 1u /* flags: rbp at the first frame must match */
#define SC_NEAR 2u /* flags: d[i] is word i's place from sp in units of 8 bytes (see sc_record) */
#define SC_MID 4u  /* flags: d holds 16-bit places from sp in units of 8 bytes (see sc_record) */

/* One cache line per entry, and a set is its SC_WAYS entries side by side, with no line of tags
 * in front: a lookup loads the ways' lines at once, where a line of tags, then the entry it
 * pointed to, were two misses one after the other (a third of the capture's time on the
 * deep-frees bench, 512 paths). Eight ways: with four (1,024 sets, the same 256 KiB), that
 * bench's 2,048 stacks a thread overflowed sets and 7% of lookups missed instead of 5%.
 * The words are not kept, only where they are: a 64-bit hash of everything the entry stands for
 * (first pc, sp, rbp where it matters, max, memo_gen, and every word with its place) decides the
 * match. Two different stacks would share an entry only if the 32-bit tag and that hash both
 * agreed (2^-64 a lookup, as for the depot's own identity). Way 0 of a set also keeps the set's
 * round robin and its last miss. */
struct sc_entry {
    uint32_t tag;            /* low bits of the start's hash | 1, 0: empty way */
    uint32_t id;
    uint64_t check;          /* mp_mix_finish(start hash + word hashes) */
    uint16_t span;           /* every word read lies below sp0 + span: the last frame's sp */
    uint16_t os;             /* hash of nw and the places: ways with equal os read the same words */
    uint8_t nw, total, flags;
    uint8_t next;            /* way 0 only: the way replaced next */
    uint32_t pending;        /* way 0 only: tag of the last miss not kept */
    uint32_t bpm;            /* bit i: word i is a saved rbp, else a return address */
    uint8_t d[SC_DBYTES];    /* where the words are, in one of two forms (sc_record) */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct sc_entry) == 64, "a stack-cache entry is one cache line");

struct sc_table {
    struct sc_entry e[SC_SETS][SC_WAYS];
    struct sc_table *next; /* in the pool */
};

#define SC_NONE ((struct sc_table *)1)
static __thread struct sc_table *tls_sc __attribute__((tls_model("initial-exec")));
static __thread uint32_t tls_sc_busy __attribute__((tls_model("initial-exec")));
static __thread uint32_t tls_sc_walks __attribute__((tls_model("initial-exec")));
static struct sc_table *sc_pool;
static int sc_pool_lock;
static unsigned sc_made;

#define SC_K1 0x9e3779b97f4a7c15ull
#define SC_K2 0xc2b2ae3d27d4eb4full
#define SC_K3 0xff51afd7ed558ccdull

/* The hash of where a cached walk starts and of its shape; the words' hashes are added to it. */
static inline uint64_t sc_start(uint64_t key, uintptr_t sp, uintptr_t bp, int max, unsigned flags,
                                uint32_t gen)
{
    const uint64_t shape = (uint64_t)gen << 32 | (uint64_t)(uint32_t)max << 8 | flags;
    uint64_t c = mp_mix_fold(key ^ 0x243f6a8885a308d3ull, SC_K1) +
                 mp_mix_fold(sp ^ 0x13198a2e03707344ull, SC_K2) +
                 mp_mix_fold(shape ^ 0xa4093822299f31d1ull, SC_K1);
    if (flags & SC_BP0)
        c += mp_mix_fold(bp ^ 0x082efa98ec4e6c89ull, SC_K2);
    return c;
}

/* Word i's share of the hash, its place mixed in. Folded, not a plain multiply: with a sum of
 * products (w ^ seed_i) * k_i, stacks the unit test builds (the same return addresses at shifted
 * places) made differences that cancelled, and an entry answered for another stack. */
static inline uint64_t sc_word(uint64_t w, int i)
{
    return mp_mix_fold(w ^ ((uint64_t)(i + 1) * 0x452821e638d01377ull), SC_K3);
}

static inline unsigned sc_index(uint64_t h) { return (unsigned)(h >> (64 - SC_SETS_LOG)); }
static inline uint32_t sc_tag(uint64_t h) { return (uint32_t)h | 1u; }

static int sc_pool_trylock(void)
{
    return !__atomic_load_n(&sc_pool_lock, __ATOMIC_RELAXED) &&
           !__atomic_exchange_n(&sc_pool_lock, 1, __ATOMIC_ACQUIRE);
}

static void sc_pool_unlock(void) { __atomic_store_n(&sc_pool_lock, 0, __ATOMIC_RELEASE); }

/* The calling thread's table, taken from the pool or made; SC_NONE when there is none to have,
 * NULL to try again later. A table from the pool holds a dead thread's entries: its words are
 * checked like any others (a new stack at the same place differs in them). Under a finite
 * RLIMIT_AS (ulimit -v) no table is made: its 256 KiB would come out of the program's own
 * address space, for speed alone. */
__attribute__((noinline)) static struct sc_table *sc_take(void)
{
    struct rlimit as;
    if (!getrlimit(RLIMIT_AS, &as) && as.rlim_cur != RLIM_INFINITY)
        return SC_NONE;
    if (!sc_pool_trylock())
        return NULL;
    struct sc_table *t = sc_pool;
    if (t) {
        sc_pool = t->next;
    } else if (sc_made < SC_TABLES) {
        sc_made++;
        sc_pool_unlock();
        t = mp_pages_alloc(sizeof *t);
        return t ? t : SC_NONE;
    }
    sc_pool_unlock();
    return t ? t : SC_NONE;
}

static void sc_count_flush(void);

/* The calling thread's memos, at its first capture (see struct memos); NULL when it has none. */
static __attribute__((noinline)) struct memos *memos_take(void)
{
    if (tls_memos_state)
        return NULL;
    tls_memos_state = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    struct memos *ms = NULL;
    if (__atomic_load_n(&memos_pool, __ATOMIC_RELAXED) && sc_pool_trylock()) {
        ms = memos_pool;
        if (ms)
            memos_pool = ms->next;
        sc_pool_unlock();
    }
    if (ms)
        memset(ms, 0, offsetof(struct memos, deep));
    else
        ms = mp_pages_alloc(sizeof *ms); /* zeroed */
    tls_memos = ms;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tls_memos_state = ms ? 0 : 2;
    return ms;
}

/* The thread's memos back to the pool (its end; no capture of it runs). */
static void memos_give_back(void)
{
    struct memos *ms = tls_memos;
    if (!ms || ms->m[0].busy || ms->m[1].busy || ms->deep_busy)
        return;
    tls_memos_state = 2; /* a destructor that allocates after this walks without memos */
    tls_memos = NULL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    for (int i = 0; i < 1000; i++) {
        if (sc_pool_trylock()) {
            ms->next = memos_pool;
            memos_pool = ms;
            sc_pool_unlock();
            return;
        }
        __builtin_ia32_pause();
    }
    /* the pool stayed locked: the block is not reused */
}

/* The hooks once kept a capture deeper than 64 frames in a 4 KiB array on the program's stack,
 * on top of their own 2 KiB or so: a program that runs on small stacks (split-stack segments
 * entered from code linked without gold's __morestack_non_split, coroutines) and did fine
 * natively overflowed them with --num-callers above 64. */
uintptr_t *mp_unwind_deep_buffer(void)
{
    struct memos *ms = tls_memos;
    if (!ms)
        ms = memos_take();
    if (!ms || ms->deep_busy)
        return NULL;
    ms->deep_busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return ms->deep;
}

void mp_unwind_deep_release(void)
{
    struct memos *ms = tls_memos;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (ms)
        ms->deep_busy = 0;
}

void mp_unwind_thread_end(void)
{
    memos_give_back();
    struct sc_table *t = tls_sc;
    if (tls_sc_busy)
        return;
    tls_sc = SC_NONE; /* a destructor that allocates after this walks without the cache */
    if (!t || t == SC_NONE)
        return;
    sc_count_flush();
    for (int i = 0; i < 1000; i++) {
        if (sc_pool_trylock()) {
            t->next = sc_pool;
            sc_pool = t;
            sc_pool_unlock();
            return;
        }
        __builtin_ia32_pause();
    }
    /* the pool stayed locked: the table is not reused (still counted in sc_made) */
}

void mp_unwind_child_after_fork(void) { sc_pool_lock = 0; }

/* Lookups and hits, for verbosity=2: counted per thread and added to the totals every
 * SC_COUNT_FLUSH lookups and when the thread ends (so a report sees other threads' counts up to
 * their last flush). */
#define SC_COUNT_FLUSH 4096u
static __thread uint32_t tls_sc_lookups __attribute__((tls_model("initial-exec")));
static __thread uint32_t tls_sc_hits __attribute__((tls_model("initial-exec")));
static uint64_t sc_total_lookups, sc_total_hits;
static uint32_t sc_trials_on, sc_trials_off;

static void sc_count_flush(void)
{
    __atomic_add_fetch(&sc_total_lookups, tls_sc_lookups, __ATOMIC_RELAXED);
    __atomic_add_fetch(&sc_total_hits, tls_sc_hits, __ATOMIC_RELAXED);
    tls_sc_lookups = tls_sc_hits = 0;
}

void mp_unwind_stack_cache_stats(struct mp_stack_cache_stats *out)
{
    out->caches = __atomic_load_n(&sc_made, __ATOMIC_RELAXED);
    out->lookups = __atomic_load_n(&sc_total_lookups, __ATOMIC_RELAXED) + tls_sc_lookups;
    out->hits = __atomic_load_n(&sc_total_hits, __ATOMIC_RELAXED) + tls_sc_hits;
    out->trials_on = __atomic_load_n(&sc_trials_on, __ATOMIC_RELAXED);
    out->trials_off = __atomic_load_n(&sc_trials_off, __ATOMIC_RELAXED);
}

/* Whether the cache pays for itself is measured per thread, not guessed. It saves the walk and
 * the depot when the program's stacks repeat, but its entries are tool memory the program's own
 * data competes with in the caches: a program with more stacks in turn than the cache holds (C++
 * trees, ~5,000 stacks) missed the cache lines of its own heap three times as often and ran 25%
 * slower with the cache than without, at an 83% hit rate. So a thread starts with the cache on
 * and, after SC_EPOCH_FIRST captures, runs a trial: SC_ROUNDS rounds of two blocks of SC_BLOCK
 * captures, one with the cache and one without (the order alternates from round to round). The
 * second half of each block is timed in the thread's CPU time, the program's own work between
 * captures included, since that is where the cost of the cache's lines shows (the first half
 * lets the caches settle after the switch: with short blocks, timed whole, the mode in use before
 * the trial won every time; with wall-clock time, preemption decided the rounds of 4 threads on 2
 * cores). The cache stays on for the next epoch if it was faster in most rounds. Trials come
 * every SC_EPOCH captures, twice as far apart each time the verdict repeats (up to SC_EPOCH_MAX):
 * a trial runs half its blocks in the slower mode. stack_cache=yes or no skips the trials. */
#define SC_EPOCH_FIRST 65536u
#define SC_EPOCH 262144u
#define SC_EPOCH_MAX (1u << 24)
#define SC_BLOCK 4096u
#define SC_ROUNDS 5u

struct sc_judge {
    uint32_t n;    /* captures since the last verdict */
    uint32_t next; /* the trial starts at this n (0: not yet set) */
    uint8_t off;   /* the verdict: 1 = no lookups */
    uint8_t prev;  /* during a trial: the mode of the block in progress (1: with the cache) */
    uint8_t wins;  /* rounds of this trial the cache won */
    uint32_t epoch; /* captures from one trial to the next */
    uint64_t t_prev; /* CPU time when the timed half of the block in progress began */
    uint64_t sum[2]; /* this round's time: [0] without the cache, [1] with it */
};
static __thread struct sc_judge tls_scj __attribute__((tls_model("initial-exec")));
static int sc_policy; /* MP_STACK_CACHE_AUTO, _ON, _OFF */

void mp_unwind_set_stack_cache(int policy) { __atomic_store_n(&sc_policy, policy, __ATOMIC_RELAXED); }

/* The calling thread's CPU time in ns (time it spends preempted does not count). */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static int sc_trial(struct sc_judge *j)
{
    if (__atomic_load_n(&no_syscalls, __ATOMIC_ACQUIRE)) { /* no clock: the verdict stays */
        j->n = 0;
        j->next = SC_EPOCH_MAX;
        return !j->off;
    }
    if (!j->next) { /* a new thread */
        j->next = SC_EPOCH_FIRST;
        return !j->off;
    }
    const uint32_t k = j->n - j->next; /* this capture's place in the trial */
    if (k % SC_BLOCK == 0 && k) {      /* a block ended: its second half's time */
        j->sum[j->prev] += thread_cpu_ns() - j->t_prev;
        if (k % (2 * SC_BLOCK) == 0) { /* and a round */
            j->wins += j->sum[1] < j->sum[0];
            j->sum[0] = j->sum[1] = 0;
        }
    }
    /* A majority settles it: the rounds left cannot change the verdict (the trial's blocks in
     * the worse mode cost the most where one mode wins clearly: 8% of the captures of a 4-thread
     * deep-frees run walked for the trials). */
    const uint32_t rounds = k / (2 * SC_BLOCK);
    const int settled = k % (2 * SC_BLOCK) == 0 &&
                        (2u * j->wins > SC_ROUNDS || 2u * (rounds - j->wins) > SC_ROUNDS);
    if (k >= 2 * SC_ROUNDS * SC_BLOCK || settled) {
        const uint8_t off = 2u * j->wins <= SC_ROUNDS;
        /* "Off" a second time in a row: the table's pages go back to the system (its 256 KiB
         * would stay resident for nothing); a later trial finds it empty. Nothing reads it
         * meanwhile but a trial's blocks, for which an empty table is a valid one. */
        if (off && j->off && j->epoch && (uintptr_t)tls_sc > 1 && !tls_sc_busy)
            madvise(tls_sc, sizeof *tls_sc, MADV_DONTNEED);
        /* the same verdict again: trials get rarer (a trial costs its blocks in the worse mode) */
        j->epoch = off == j->off && j->epoch ? (j->epoch < SC_EPOCH_MAX ? 2 * j->epoch : SC_EPOCH_MAX)
                                             : SC_EPOCH;
        j->off = off;
        __atomic_add_fetch(j->off ? &sc_trials_off : &sc_trials_on, 1, __ATOMIC_RELAXED);
        j->wins = 0;
        j->n = 0;
        j->next = j->epoch;
        return !j->off;
    }
    if (k % SC_BLOCK == SC_BLOCK / 2) /* the first half of a block warms up */
        j->t_prev = thread_cpu_ns();
    const uint32_t b = k / SC_BLOCK;
    j->prev = (uint8_t)((b ^ (b >> 1)) & 1);
    return j->prev;
}

/* Whether this capture looks in the cache. */
static inline int sc_use(void)
{
    const int policy = __atomic_load_n(&sc_policy, __ATOMIC_RELAXED);
    if (policy != MP_STACK_CACHE_AUTO)
        return policy == MP_STACK_CACHE_ON;
    if (tls_sc == SC_NONE)
        return 0; /* no cache for this thread: nothing to judge */
    struct sc_judge *const j = &tls_scj;
    if (__builtin_expect(++j->n < j->next, 1))
        return !j->off;
    return sc_trial(j);
}

/* The hash of entry e's words, read from the stack at sp (e->span <= limit - sp checked). */
__attribute__((no_sanitize_address)) static inline uint64_t sc_words(const struct sc_entry *e, uintptr_t sp)
{
    const int nw = e->nw;
    const uint8_t *d = e->d;
    uint64_t c = 0;
    if (e->flags & SC_NEAR) {
        for (int i = 0; i < nw; i++)
            c += sc_word(load_word(sp + (uintptr_t)d[i] * 8), i);
        return c;
    }
    if (e->flags & SC_MID) {
        for (int i = 0; i < nw; i++) {
            uint16_t o;
            __builtin_memcpy(&o, d + 2 * i, 2);
            c += sc_word(load_word(sp + (uintptr_t)o * 8), i);
        }
        return c;
    }
    const uint32_t bpm = e->bpm;
    uintptr_t ra = sp - 8;
    for (int i = 0; i < nw; i++) {
        uintptr_t a;
        if ((bpm >> i) & 1) {
            a = ra + (uintptr_t)((intptr_t)(int8_t)*d++ * 8);
        } else {
            unsigned x = *d++;
            if (!x) {
                x = d[0] | (unsigned)d[1] << 8;
                d += 2;
            }
            ra += (uintptr_t)x * 8;
            a = ra;
        }
        c += sc_word(load_word(a), i);
    }
    return c;
}

/* sc_lookup's work, with the cache table known to exist and held. */
__attribute__((no_sanitize_address)) static inline uint32_t sc_lookup_in(const struct cache_entry *table,
                                                                        uint64_t key, uintptr_t sp,
                                                                        uintptr_t bp, int max,
                                                                        uintptr_t limit, int *total,
                                                                        uint64_t *hp, uint32_t *way,
                                                                        uint32_t *way_tag)
{
    struct sc_table *const t = tls_sc;
    const uint32_t gen = __atomic_load_n(&memo_gen, __ATOMIC_RELAXED);
    /* The caller's shortcut (struct memo, sc_short_way), if any: that entry first. */
    if (*way != UINT32_MAX) {
        const struct sc_entry *const e = &t->e[0][0] + *way;
        if (e->tag == *way_tag && e->span <= limit - sp &&
            mp_mix_finish(sc_start(key, sp, bp, max, e->flags & SC_BP0, gen) + sc_words(e, sp)) ==
                e->check) {
            *total = e->total;
            return e->id;
        }
    }
    /* the first steps, as the walk takes them */
    uint64_t h = key ^ (sp * SC_K1), k = key;
    uintptr_t s = sp;
    for (int i = 0; i < SC_HASH_STEPS && i + 1 < max; i++) {
        const uint64_t v = cache_lookup(table, k);
        if (!(v & RULE_FAST) || !(v & 1))
            break;
        const uintptr_t cfa = s + (uintptr_t)(int64_t)(int32_t)(v >> 32);
        if (cfa - (s + 8) > limit - (s + 8))
            break;
        k = load_word(cfa - 8);
        s = cfa;
        h = (h + k) * SC_K2;
    }
    h *= SC_K3;
    *hp = h;
    const unsigned x = sc_index(h);
    const uint32_t tag = sc_tag(h);
    const struct sc_entry *const set = t->e[x];
    unsigned mask = 0;
#pragma GCC unroll 8
    for (int w = 0; w < SC_WAYS; w++)
        mask |= (unsigned)(set[w].tag == tag) << w;
    /* Ways with one tag are paths that part after the hashed steps (a recursive function's two
     * call sites further out), and most of them read the same slots: the words are read and
     * hashed once for all the ways with the same slots. */
    uint64_t start[2] = {0, 0};
    int have[2] = {0, 0}, os1 = -1;
    uint64_t c = 0;
    while (mask) {
        const int w = __builtin_ctz(mask);
        mask &= mask - 1;
        const struct sc_entry *const e = &set[w];
        if (e->span > limit - sp)
            continue;
        if (e->os != os1) {
            c = sc_words(e, sp);
            os1 = e->os;
        }
        const int b0 = e->flags & SC_BP0;
        if (!have[b0]) {
            start[b0] = sc_start(key, sp, bp, max, (unsigned)b0, gen);
            have[b0] = 1;
        }
        if (mp_mix_finish(start[b0] + c) == e->check) {
            *total = e->total;
            *way = x * SC_WAYS + (uint32_t)w;
            *way_tag = tag;
            return e->id;
        }
    }
    return 0;
}

/* A capture starting at (key, sp, bp) that the cache knows: its stack id and frame count, or 0
 * with *hp the hash for sc_record. *way and *way_tag: in, a shortcut to try first (way
 * UINT32_MAX: none); out, the entry that answered. tls_sc_busy is held meanwhile, so that a signal handler's
 * capture neither reads nor records into the table under this lookup (its record could rewrite
 * the entry being compared). */
__attribute__((no_sanitize_address)) static inline uint32_t sc_lookup(const struct cache_entry *table,
                                                                     uint64_t key, uintptr_t sp,
                                                                     uintptr_t bp, int max,
                                                                     uintptr_t limit, int *total,
                                                                     uint64_t *hp, uint32_t *way,
                                                                     uint32_t *way_tag)
{
    if ((uintptr_t)tls_sc <= 1 || tls_sc_busy) /* the caller checked memo_enabled */
        return 0;
    tls_sc_busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    const uint32_t id = sc_lookup_in(table, key, sp, bp, max, limit, total, hp, way, way_tag);
    tls_sc_hits += id != 0;
    if (++tls_sc_lookups == SC_COUNT_FLUSH)
        sc_count_flush();
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tls_sc_busy = 0;
    return id;
}

/* Keep walk W (all its frames in W->f, an id attached, ended for a reason its frames decide)
 * under hash h in the calling thread's cache, when every step is a fast rule, its words fit and
 * its hash missed in that set before. */
__attribute__((noinline)) static void sc_record(const struct memo_walk *W, uint64_t h)
{
    if (tls_sc_busy || __atomic_load_n(&sc_policy, __ATOMIC_RELAXED) == MP_STACK_CACHE_OFF)
        return;
    struct sc_table *t = tls_sc;
    if ((uintptr_t)t <= 1) {
        if (t == SC_NONE || ++tls_sc_walks < SC_AFTER)
            return;
        tls_sc_walks = 0;
        if (!(t = sc_take()))
            return;
        tls_sc = t;
        return; /* the next walk is looked up and gets its hash */
    }
    if (!h)
        return;
    const unsigned x = sc_index(h);
    const uint32_t tag = sc_tag(h);
    struct sc_entry *const set = t->e[x];
    if (set[0].pending != tag) {
        set[0].pending = tag; /* kept if it misses here again */
        return;
    }
    const struct memo_frame *const f = W->f;
    const int n = W->n;
    if (n < 2 || n > MEMO_MAX || (f[0].key & EXACT_BIT) || f[n - 1].sp - f[0].sp > UINT32_MAX)
        return;
    /* A saved rbp matters only if a later step computes its CFA from rbp before another reload;
     * elsewhere it is whatever data the function kept in rbp. need[k + 1]: the rbp that step k
     * reloads is used; need[0]: rbp at the first frame is. */
    uint8_t need[MEMO_MAX + 1];
    int last = 0, nw = 0;
    need[0] = 0;
    for (int k = 0; k + 1 < n; k++) {
        const uint64_t v = f[k].rule;
        if (!(v & RULE_FAST))
            return;
        need[k + 1] = 0;
        if (!(v & 1))
            need[last] = 1;
        if (v & (BP_AT_CFA << 4))
            last = k + 1;
        nw++;
    }
    for (int k = 1; k < n; k++)
        nw += need[k];
    const uintptr_t sp0 = f[0].sp;
    if (nw > SC_WORDS || f[n - 1].sp - sp0 > UINT16_MAX)
        return;
    /* The places first, into locals: a walk whose places do not fit is not kept. Near form
     * (SC_NEAR), when every word lies within 2 KiB of sp: each place is one byte, its distance
     * from sp in units of 8 bytes, and the lookup's loads are independent of each other. Far
     * form: a return address's place is its frame's size in units of 8 bytes from the previous
     * return address (one byte; 0 and two more bytes from 2 KiB up), a saved rbp's a signed byte
     * from its frame's return address, bpm telling which is which. */
    uint16_t off[SC_WORDS];
    uint8_t d[SC_DBYTES];
    uint32_t bpm = 0;
    uint64_t c = 0, ho = (uint64_t)nw;
    int i = 0, nb = 0;
    for (int k = 0; k + 1 < n; k++) {
        const uintptr_t fs = f[k + 1].sp - f[k].sp; /* the frame's size: > 0, see the walk */
        if ((fs & 7) || nb + 3 > SC_DBYTES)
            return;
        if (fs >> 3 < 256) {
            d[nb++] = (uint8_t)(fs >> 3);
        } else {
            d[nb++] = 0;
            d[nb++] = (uint8_t)(fs >> 3);
            d[nb++] = (uint8_t)(fs >> 11);
        }
        off[i] = (uint16_t)(f[k + 1].sp - 8 - sp0);
        c += sc_word(f[k + 1].key, i);
        ho = (ho + off[i]) * SC_K1;
        i++;
        if (need[k + 1]) {
            /* the saved rbp, 8 to 128 bytes below the CFA: its place from the return address's */
            const intptr_t rel = (intptr_t)(int16_t)(f[k].rule >> 16) + 8;
            if ((rel & 7) || rel < -128 * 8 || rel > 127 * 8 || nb + 1 > SC_DBYTES)
                return;
            d[nb++] = (uint8_t)(int8_t)(rel / 8);
            bpm |= 1u << i;
            off[i] = (uint16_t)(f[k + 1].sp - 8 + (uintptr_t)rel - sp0);
            c += sc_word(f[k + 1].bp ^ BP_MASK, i);
            ho = (ho + off[i]) * SC_K1;
            i++;
        }
    }
    unsigned near = SC_NEAR;
    for (int j = 0; j < nw; j++)
        if (off[j] > 255 * 8)
            near = 0;
    if (near) {
        for (int j = 0; j < nw; j++)
            d[j] = (uint8_t)(off[j] >> 3);
        nb = nw;
    } else if (2 * nw <= SC_DBYTES) {
        /* Mid form (SC_MID): two bytes a place, independent loads as in the near form, for the
         * walks whose outer frames lie more than 2 KiB up (a program's main with a large frame,
         * libc's start) and that have at most SC_DBYTES / 2 words. */
        near = SC_MID;
        for (int j = 0; j < nw; j++) {
            const uint16_t o = (uint16_t)(off[j] >> 3);
            __builtin_memcpy(d + 2 * j, &o, 2);
        }
        nb = 2 * nw;
    }
    tls_sc_busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    const unsigned way = set[0].next % SC_WAYS;
    set[0].next = (uint8_t)((way + 1) % SC_WAYS);
    set[0].pending = 0;
    struct sc_entry *const e = &set[way];
    e->tag = 0; /* no match while written (a handler's lookup skips the cache anyway) */
    memcpy(e->d, d, (size_t)nb);
    e->bpm = bpm;
    const unsigned flags = need[0] ? SC_BP0 : 0;
    e->check = mp_mix_finish(sc_start(f[0].key, sp0, f[0].bp ^ BP_MASK, W->max, flags,
                                  __atomic_load_n(&memo_gen, __ATOMIC_RELAXED)) + c);
    e->os = (uint16_t)(ho >> 48);
    e->flags = (uint8_t)(flags | near);
    e->id = W->id;
    e->span = (uint16_t)(f[n - 1].sp - sp0);
    e->total = (uint8_t)W->total;
    e->nw = (uint8_t)nw;
    e->tag = tag;
    STAT(sc_rec);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    tls_sc_busy = 0;
}

__attribute__((no_sanitize_address)) int mp_unwind_ex(const struct mp_unwind_regs *start,
                                                      uintptr_t *pcs, int max,
                                                      struct mp_unwind_info *info)
{
    if (info) {
        info->same_id = 0;
        info->token = 0;
    }
    if (!start || !pcs || max <= 0 || start->pc == 0)
        return 0;
    uintptr_t sp = start->sp, bp = start->bp;
    uint64_t key = start->pc;
    pcs[0] = key;
    if (max == 1)
        return 1;
    struct cache_entry *const table = cache_get_table();
    /* Reads stay in [lo, limit): the live part of this thread's stack above the first frame. */
    const uintptr_t lo = sp;
    const uintptr_t limit = tls_stack_top;
    if (__builtin_expect(sp - tls_stack_lo >= limit - tls_stack_lo, 0)) {
        /* not on the own stack (or none known): checked reads */
        return walk_foreign(key, sp, bp, table, pcs, max);
    }
    if (limit - sp < 16)
        return 1;
    if (__builtin_expect(!table, 0)) {
        struct walk w = { key, sp, bp, lo, limit, 0, NULL, 0, NULL };
        return walk_uncached(&w, pcs, max);
    }

    /* A: the previous walk (m entries, A->f[J..m-1] verified), B: this walk, entry n-1 written
     * per step. join_sp: the sp where A's verified suffix starts (UINTPTR_MAX: none). */
    struct memos *ms = tls_memos;
    if (__builtin_expect(!ms, 0))
        ms = memos_take();
    struct memo *const memo = ms ? &ms->m[mp_unwind_memo_slot & 1] : NULL;
    uint64_t sc_h = 0;
    const int sc_on = info && memo && sc_use();
    struct memo_walk *const scratch = ms ? &ms->scratch : &memo_dead;
    struct memo_walk *A = NULL, *B = scratch;
    int m = 0, J = 0;
    uintptr_t join_sp = UINTPTR_MAX, anchor_sp = UINTPTR_MAX;
    uint32_t cur = 0;
    if (memo && !memo->busy && __atomic_load_n(&memo_enabled, __ATOMIC_RELAXED)) {
        memo->busy = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        cur = memo->cur & 1;
        A = &memo->w[cur];
        if (memo->gen == __atomic_load_n(&memo_gen, __ATOMIC_RELAXED) && A->n > 0) {
            m = A->n;
            /* This capture starts on the previous walk's first frame, which ended for a reason
             * that depends only on its frames and has an id: if the whole walk still holds, it
             * is the same stack, without a step or a copy (the free path of a loop, a hot call
             * site). */
            const int may_same = info && A->f[0].sp == sp && A->f[0].key == key && A->id &&
                                 A->end_fixed && A->total == m && A->max == max &&
                                 (!walk_bp0(A) || A->f[0].bp == (bp ^ BP_MASK));
            if (may_same) {
                if (verify_all(A->f, m, lo, limit)) {
                    STAT(match);
                    info->same_id = A->id;
                    info->token = memo_token(memo);
                    __atomic_signal_fence(__ATOMIC_SEQ_CST);
                    memo->busy = 0;
                    return m;
                }
            }
        }
        /* Not the previous stack: the cache, before the rest of the memo's bookkeeping and
         * before the previous walk is verified for a join. An answer makes the join moot, and
         * after an answer the memo still holds the last walk, whose suffix was verified again
         * at every capture of a deep program that the cache answered (deep frees on 11-17
         * frame stacks: about 6% of the run). */
        if (sc_on) {
            int total = 0;
            uint32_t way = UINT32_MAX, way_tag = 0;
            /* Where stacks that start alike come in turn (a recursive walk's paths), the last
             * answer is rarely this one: after two wrong shortcuts running, one in 16 is tried
             * until one is right again. */
            const int short_try = memo->sc_short_key == key && memo->sc_short_sp == sp &&
                                  (memo->sc_short_wrong < 2 || !(++memo->sc_short_skip & 15));
            if (short_try) {
                way = memo->sc_short_way;
                way_tag = memo->sc_short_tag;
            }
            const uint32_t short_way = way;
            const uint32_t id = sc_lookup(table, key, sp, bp, max, limit, &total, &sc_h, &way, &way_tag);
            if (short_try) {
                /* the shortcut's entry cannot answer after its own check failed: same way, right */
                const int right = id && way == short_way;
                STAT(short_try);
                if (right)
                    STAT(short_hit);
                memo->sc_short_wrong = right ? 0 : memo->sc_short_wrong + (memo->sc_short_wrong < 2);
            }
            if (id) {
                /* the tag is the one the lookup matched while it held the cache */
                memo->sc_short_key = key;
                memo->sc_short_sp = sp;
                memo->sc_short_way = way;
                memo->sc_short_tag = way_tag;
                STAT(sc_hit);
                info->same_id = id;
                __atomic_signal_fence(__ATOMIC_SEQ_CST);
                memo->busy = 0;
                return total;
            }
            STAT(sc_miss);
        }
        B = &memo->w[cur ^ 1];
        if (memo->anchor.n && memo->anchor.gen == __atomic_load_n(&memo_gen, __ATOMIC_RELAXED))
            anchor_sp = memo->anchor.f[0].sp;
        /* The join (deep walks only): the verified suffix of the previous walk. */
        J = m >= JOIN_MIN ? verify_suffix(A->f, m, lo, limit) : m;
        if (J < m && m >= JOIN_MIN)
            join_sp = A->f[J].sp;
    }
    struct memo_frame *const Bf = B->f;

    int n = 1, same = 0;
    int fixed_end = 0; /* set where the walk ends for a reason that depends only on the frames */
    int outer_end = 0; /* ... at the stack's outermost frame (a cached stop rule) */
    uintptr_t check_sp = join_sp < anchor_sp ? join_sp : anchor_sp;
    for (;;) {
        /* at frame n-1: (key, sp, bp), pcs[n-1] == key & ~EXACT_BIT */
        if (__builtin_expect(sp >= check_sp, 0)) {
            if (sp >= join_sp) {
                int j = J;
                while (j < m && A->f[j].sp < sp)
                    j++;
                join_sp = UINTPTR_MAX;
                if (j < m) {
                    if (A->f[j].sp == sp && A->f[j].key == key) {
                        struct wpos w = { key, sp, bp, n, same };
                        w = splice_memo(w, j, A, Bf, pcs, max);
                        key = w.key;
                        sp = w.sp;
                        bp = w.bp;
                        n = w.n;
                        same = w.same;
                    } else {
                        J = j + (A->f[j].sp == sp);
                        if (J < m)
                            join_sp = A->f[J].sp; /* the walk may still land on a later entry */
                    }
                }
            }
            if (sp >= anchor_sp) {
                if (sp == anchor_sp && key == memo->anchor.f[0].key && n < max) {
                    struct wpos w = { key, sp, bp, n, 0 };
                    if (splice_anchor(&memo->anchor, &w, Bf, pcs, max, lo, limit)) {
                        key = w.key;
                        sp = w.sp;
                        bp = w.bp;
                        n = w.n;
                        same = 0;
                        fixed_end = 1;
                        break;
                    }
                    STAT(anchor_missed);
                }
                anchor_sp = UINTPTR_MAX; /* passed it: another stack, or its words changed */
            }
            check_sp = join_sp < anchor_sp ? join_sp : anchor_sp;
        }
        if (n >= max) {
            fixed_end = 1;
            break;
        }

        const uint64_t v = cache_lookup(table, key);
        struct memo_frame *const rec = &Bf[memo_index(n)];
        rec->key = key;
        rec->sp = sp;
        rec->bp = bp ^ BP_MASK;
        rec->rule = v;
        if (__builtin_expect((v & RULE_FAST) != 0, 1)) {
            /* The common rule, inline and without branches on its shape (see pack_rule). The
             * CFA grows by at least 8 and stays below the stack top, so the return-address slot
             * is in [lo, limit); the saved-rbp slot, 8 to 128 bytes below the CFA, only needs
             * its lower bound checked. */
            const uintptr_t cfa = fast_cfa(v, sp, bp);
            if (cfa - (sp + 8) > limit - (sp + 8))
                break;
            const uintptr_t a = fast_bp_slot(v, cfa);
            if (a < lo)
                break;
            const uintptr_t ra = fast_load(v, cfa, a, &bp);
            if (!plausible_pc(ra))
                break;
            sp = cfa;
            key = ra;
            pcs[n++] = ra;
        } else {
            if ((v & 15) == K_STOP) {
                fixed_end = 1;
                outer_end = 1;
                break; /* outermost frame, cached */
            }
            struct walk w = { key & ~EXACT_BIT, sp, bp, lo, limit, key & EXACT_BIT, table, 0, NULL };
            if (!general_step(&w, v))
                break;
            rec->rule = w.fast_rule; /* a rule just computed; 0: not replayable */
            sp = w.sp;
            bp = w.bp;
            key = w.pc | w.keyflag;
            pcs[n++] = w.pc;
        }
        same = 0;
    }

    if (B != scratch) {
        if (n - 1 < MEMO_MAX) {
            Bf[n - 1].key = key;
            Bf[n - 1].sp = sp;
            Bf[n - 1].bp = bp ^ BP_MASK;
            Bf[n - 1].rule = 0;
        }
        same = same && n == A->total;
        B->n = n < MEMO_MAX ? n : MEMO_MAX;
        B->total = n;
        B->id = same ? A->id : 0;
        B->max = max;
        B->end_fixed = (uint8_t)fixed_end;
        B->bp0 = 2;
        B->sc_hash = sc_h;
        if (__builtin_expect(outer_end, 0) && n <= MEMO_MAX &&
            anchor_sp == UINTPTR_MAX && memo->anchor.tries < ANCHOR_TRIES &&
            (memo->anchor.n == 0 ||
             memo->anchor.gen != __atomic_load_n(&memo_gen, __ATOMIC_RELAXED)))
            record_anchor(&memo->anchor, Bf, n, __atomic_load_n(&memo_gen, __ATOMIC_RELAXED));
        memo->cur = cur ^ 1;
        memo->serial++;
        memo->gen = __atomic_load_n(&memo_gen, __ATOMIC_RELAXED);
        if (info) {
            info->same_id = B->id;
            info->token = memo_token(memo);
        }
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        memo->busy = 0;
    }
    return n;
}

int mp_unwind(const struct mp_unwind_regs *start, uintptr_t *pcs, int max)
{
    return mp_unwind_ex(start, pcs, max, NULL);
}

void mp_unwind_attach_id(uint32_t token, uint32_t id)
{
    if (!(token >> 31))
        return;
    struct memos *const ms = tls_memos;
    if (!ms)
        return;
    struct memo *const memo = &ms->m[(token >> 30) & 1];
    if (memo->busy)
        return;
    memo->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    /* A signal handler's capture in between recorded a walk of its own: leave that one alone. */
    if ((memo->serial & 0x3fffffffu) == (token & 0x3fffffffu)) {
        struct memo_walk *const W = &memo->w[memo->cur & 1];
        W->id = id;
        /* a walk ended for a reason of its frames, all of them kept: the stack cache may keep it */
        if (id && W->end_fixed && W->total == W->n &&
            memo->gen == __atomic_load_n(&memo_gen, __ATOMIC_RELAXED))
            sc_record(W, W->sc_hash);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    memo->busy = 0;
}
