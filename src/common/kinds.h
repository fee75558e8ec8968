/* Vocabulary shared by the preload library, the report library and the CLI: leak kinds,
 * allocator families and heap-misuse error kinds, with the names the JSON report uses
 * (docs/REPORT-FORMAT.md). Pure data; safe everywhere. */
#ifndef MP_KINDS_H
#define MP_KINDS_H

enum mp_leak_kind {
    MP_LEAK_DEFINITE = 0,
    MP_LEAK_INDIRECT = 1,
    MP_LEAK_POSSIBLE = 2,
    MP_LEAK_REACHABLE = 3,
    MP_LEAK_NKINDS
};

/* Which function made a block. Stored in 4 bits of a heap-table entry. */
enum mp_alloc_kind {
    MP_ALLOC_MALLOC = 0,
    MP_ALLOC_CALLOC,
    MP_ALLOC_REALLOC,
    MP_ALLOC_MEMALIGN,      /* memalign, posix_memalign, aligned_alloc, valloc, pvalloc */
    MP_ALLOC_NEW,           /* operator new */
    MP_ALLOC_NEW_ARRAY,     /* operator new[] */
    MP_ALLOC_NEW_ALIGNED,   /* operator new(size_t, std::align_val_t) */
    MP_ALLOC_NEW_ARRAY_ALIGNED,
    MP_ALLOC_NKINDS,
    /* Made while memplumber's own code ran (its start-up calls into libc and ld.so): tracked so
     * that the program may free it later, never reported, not counted in the totals. */
    MP_ALLOC_INTERNAL = 15
};

/* How a block is released; used for mismatch checks. */
enum mp_free_kind {
    MP_FREE_FREE = 0,       /* free */
    MP_FREE_DELETE,
    MP_FREE_DELETE_ARRAY,
    MP_FREE_DELETE_ALIGNED,
    MP_FREE_DELETE_ARRAY_ALIGNED,
    MP_FREE_REALLOC,        /* realloc, as malloc's blocks are released too: a new'd block's is a
                               mismatch (valgrind's), named so */
    MP_FREE_NKINDS
};

enum mp_error_kind {
    MP_ERR_DOUBLE_FREE = 0,
    MP_ERR_INVALID_FREE,
    MP_ERR_MISMATCHED_FREE,
    MP_ERR_REALLOC_FREED,
    MP_ERR_REALLOC_INVALID,
    MP_ERR_SIZED_DELETE,     /* sized delete with a size other than the allocation's */
    MP_ERR_USABLE_SIZE_INVALID,
    MP_ERR_NKINDS
};

/* valgrind's --leak-check-heuristics, in its order (the order it tries them and prints them):
 * bit h of a heuristics set is heuristic h. */
enum mp_heuristic {
    MP_HEUR_STDSTRING = 0,
    MP_HEUR_LENGTH64 = 1,
    MP_HEUR_NEWARRAY = 2,
    MP_HEUR_MULTIPLEINHERITANCE = 3,
    MP_HEUR_N
};
#define MP_HEUR_ALL ((1u << MP_HEUR_N) - 1)

static inline const char *mp_heuristic_name(unsigned h)
{
    static const char *const n[] = {"stdstring", "length64", "newarray", "multipleinheritance"};
    return h < MP_HEUR_N ? n[h] : "unknown";
}

static inline const char *mp_leak_kind_name(unsigned k)
{
    static const char *const n[] = {"definitely_lost", "indirectly_lost", "possibly_lost",
                                    "still_reachable"};
    return k < MP_LEAK_NKINDS ? n[k] : "unknown";
}

/* The words of the text report: "definitely lost", ... */
static inline const char *mp_leak_kind_words(unsigned k)
{
    static const char *const w[] = {"definitely lost", "indirectly lost", "possibly lost",
                                    "still reachable"};
    return k < MP_LEAK_NKINDS ? w[k] : "lost (unknown kind)";
}

static inline const char *mp_alloc_kind_name(unsigned k)
{
    static const char *const n[] = {"malloc", "calloc", "realloc", "memalign", "new", "new[]",
                                    "new(align_val_t)", "new[](align_val_t)"};
    return k < MP_ALLOC_NKINDS ? n[k] : "unknown";
}

static inline const char *mp_free_kind_name(unsigned k)
{
    static const char *const n[] = {"free", "delete", "delete[]", "delete(align_val_t)",
                                    "delete[](align_val_t)", "realloc"};
    return k < MP_FREE_NKINDS ? n[k] : "unknown";
}

static inline const char *mp_error_kind_name(unsigned k)
{
    static const char *const n[] = {"double_free", "invalid_free", "mismatched_free",
                                    "realloc_freed", "realloc_invalid", "mismatched_size",
                                    "usable_size_invalid"};
    return k < MP_ERR_NKINDS ? n[k] : "unknown";
}

#include <stddef.h>

/* "definite,possible" (also all, none; spaces and case ignored) -> bitmask of 1 << kind.
 * Returns 0, or -1 with the offending word in *bad, *badn. (kinds.c) */
int mp_leak_kinds_parse(const char *s, size_t n, unsigned *out, const char **bad, size_t *badn);

/* A heuristics set as valgrind's --leak-check-heuristics takes it: a comma-separated list of
 * stdstring, length64, newarray, multipleinheritance (empty items skipped, as valgrind does),
 * or all, or none alone; also the yes/no spellings of memplumber's earlier boolean option (yes,
 * 1, true, on = all; no, 0, false, off = none). Case ignored. Returns 0 with the bitmask of
 * 1 << enum mp_heuristic in *out, or -1. (kinds.c) */
int mp_heuristics_parse(const char *s, size_t n, unsigned *out);

#endif
