/* The only source of memory for tool data: mmap, never the observed program's heap.
 * mp_pages_*: whole mappings (tables that grow and shrink). mp_arena_alloc: a bump allocator
 * for small objects that live until exit (stacks in the depot, module names), thread-safe with
 * an atomic bump pointer per chunk. Hook-safe: no malloc, no locks held across syscalls except
 * the arena's own chunk refill lock. */
#ifndef MP_ARENA_H
#define MP_ARENA_H

#include <stddef.h>

/* Map len bytes (rounded up to pages), zero-filled. NULL on failure. */
void *mp_pages_alloc(size_t len);
/* The same, for a mapping that is about to be written all over (pages faulted in at once). */
void *mp_pages_alloc_filled(size_t len);
void mp_pages_free(void *p, size_t len);

/* Allocate n bytes (8-byte aligned) that are never freed. NULL on failure. */
void *mp_arena_alloc(size_t n);

/* Total bytes mapped by tool data now (for --verbosity=2 and the benchmarks). */
size_t mp_arena_mapped_bytes(void);


/* Call fn for every live tool mapping [lo, hi). Only while no other thread maps (scan time). */
#include <stdint.h>
void mp_arena_foreach_mapping(void (*fn)(uintptr_t lo, uintptr_t hi));

/* Fork protocol: the child reinitialises the arena's locks. */
void mp_arena_child_after_fork(void);

#endif
