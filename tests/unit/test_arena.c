// SOURCES: src/common/arena.c src/common/lock.c
// CFLAGS: -pthread
/* Tool memory (src/common/arena.h), where every byte of memplumber's own data lives: arena blocks
 * are 8-byte aligned, never overlap, stay writable, and come from anonymous mappings outside the
 * program's brk heap; requests above a quarter chunk and impossible sizes are served (or refused)
 * without corrupting the bump region; mp_pages_alloc(_filled) returns zero-filled page-aligned
 * memory; mp_arena_mapped_bytes counts what is mapped now (up on map, down on unmap);
 * mp_arena_foreach_mapping lists exactly the live tool mappings (the scan leaves them out of the
 * roots, so a missing one would make the program's pointers in tool memory count); 8 threads
 * allocating at once get disjoint blocks. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "common/arena.h"

/* Is [p, p+len) inside one anonymous mapping (no file, not [heap]) of this process? */
static int in_anon_mapping(const void *p, size_t len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int ok = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off, inode;
        char perms[8], dev[16], path[256] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %255s", &lo, &hi, perms, &off, dev, &inode,
                   path) < 6)
            continue;
        if ((uintptr_t)p >= lo && (uintptr_t)p + len <= hi)
            ok = inode == 0 && path[0] == 0 && perms[0] == 'r' && perms[1] == 'w';
    }
    if (f)
        fclose(f);
    return ok;
}

static uintptr_t want_lo, want_hi;
static int seen;
static void find_mapping(uintptr_t lo, uintptr_t hi)
{
    if (lo <= want_lo && want_hi <= hi)
        seen++;
}
static int listed(const void *p, size_t len)
{
    want_lo = (uintptr_t)p;
    want_hi = want_lo + len;
    seen = 0;
    mp_arena_foreach_mapping(find_mapping);
    return seen;
}

static void arena_blocks(void)
{
    enum { N = 20000 };
    static char *blocks[N];
    static size_t sizes[N];
    int misaligned = 0, bad_mem = 0;
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + (size_t)(i * 7919) % 3000;
        blocks[i] = mp_arena_alloc(sizes[i]);
        if (!blocks[i] || ((uintptr_t)blocks[i] & 7))
            misaligned++;
        else
            memset(blocks[i], (char)i, sizes[i]);
    }
    CHECK(misaligned == 0, "%d blocks NULL or not 8-byte aligned", misaligned);
    for (int i = 0; i < N; i++)
        for (size_t k = 0; blocks[i] && k < sizes[i]; k++)
            if (blocks[i][k] != (char)i) {
                bad_mem++;
                break;
            }
    CHECK(bad_mem == 0, "%d blocks were overwritten by another (overlap)", bad_mem);
    CHECK(in_anon_mapping(blocks[0], sizes[0]) && in_anon_mapping(blocks[N - 1], sizes[N - 1]),
          "arena blocks must come from anonymous mappings, not the heap or a file");
    CHECK(listed(blocks[0], sizes[0]) == 1, "the chunk holding an arena block is not listed");

    /* Above a quarter chunk: its own mapping; the bump region continues undisturbed after it. */
    char *a = mp_arena_alloc(64);
    char *big = mp_arena_alloc((1u << 20) / 4 + 1);
    char *b = mp_arena_alloc(64);
    CHECK(big && a && b, "allocation failed");
    CHECK(big && ((uintptr_t)big & 4095) == 0, "a large arena block has its own pages");
    CHECK(b == a + 64, "the bump region moved on after a large block (a=%p b=%p)", (void *)a,
          (void *)b);
    CHECK(mp_arena_alloc(SIZE_MAX) == NULL, "SIZE_MAX must be refused");
    CHECK(mp_arena_alloc(SIZE_MAX - 3) == NULL, "a size that wraps when rounded must be refused");
    char *c = mp_arena_alloc(8);
    CHECK(c == b + 64, "a refused request disturbed the bump region (b=%p c=%p)", (void *)b,
          (void *)c);
}

static void pages(void)
{
    size_t before = mp_arena_mapped_bytes();
    char *p = mp_pages_alloc(10000);
    CHECK(p && ((uintptr_t)p & 4095) == 0, "page aligned");
    CHECK_UL(mp_arena_mapped_bytes() - before, 12288);
    int nonzero = 0;
    for (int i = 0; p && i < 12288; i++)
        nonzero += p[i] != 0;
    CHECK(nonzero == 0, "%d bytes of a fresh mapping are not zero", nonzero);
    CHECK(listed(p, 12288) == 1, "a page mapping is not listed");
    char *q = mp_pages_alloc_filled(1 << 20);
    CHECK(q && q[0] == 0 && q[(1 << 20) - 1] == 0, "filled mapping zeroed");
    CHECK(in_anon_mapping(q, 1 << 20), "anonymous");
    mp_pages_free(p, 10000);
    CHECK_UL(mp_arena_mapped_bytes() - before, 1 << 20);
    CHECK(listed(p, 12288) == 0, "an unmapped mapping is still listed");
    CHECK(!in_anon_mapping(p, 4096), "mp_pages_free did not unmap");
    mp_pages_free(q, 1 << 20);
    CHECK_UL(mp_arena_mapped_bytes(), before);
    mp_pages_free(NULL, 4096); /* no-op */
    CHECK(mp_pages_alloc(SIZE_MAX) == NULL, "SIZE_MAX pages must be refused");
    CHECK_UL(mp_arena_mapped_bytes(), before);
}

enum { T = 8, PER = 20000 };
static uintptr_t got[T][PER];
static void *worker(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < PER; i++)
        got[t][i] = (uintptr_t)mp_arena_alloc(24);
    return NULL;
}
static int cmp(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void threads(void)
{
    pthread_t th[T];
    for (long t = 0; t < T; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    uintptr_t *all = &got[0][0];
    qsort(all, T * PER, sizeof *all, cmp);
    int nulls = 0, overlaps = 0;
    for (int i = 0; i < T * PER; i++) {
        nulls += all[i] == 0;
        if (i && all[i - 1] && all[i] - all[i - 1] < 24)
            overlaps++;
    }
    CHECK(nulls == 0, "%d NULL blocks", nulls);
    CHECK(overlaps == 0, "%d overlapping blocks between threads", overlaps);
}

int main(void)
{
    arena_blocks();
    pages();
    threads();
    return CHECK_DONE();
}
