/* A static bump arena that serves allocations made while the real allocator is being resolved
 * (dlsym calls calloc). Its blocks are never passed to the real free; freeing one is a no-op,
 * realloc of one copies min(old, new) bytes into a real block. Hook-safe. */
#ifndef MP_BOOTSTRAP_H
#define MP_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#define MP_BOOT_SIZE (64 * 1024)
extern char mp_boot_area[MP_BOOT_SIZE];

void *mp_bootstrap_alloc(size_t size, size_t align);
/* Is p inside the bootstrap arena? [begin, end), half open. Inline: every realloc asks. */
static inline int mp_bootstrap_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)mp_boot_area < MP_BOOT_SIZE;
}
/* Requested size of a bootstrap block (p must be owned). */
size_t mp_bootstrap_size(const void *p);

#endif
