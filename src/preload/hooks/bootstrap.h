/* A static bump arena that serves allocations made while the real allocator is being resolved
 * (dlsym calls calloc). Its blocks are never passed to the real free; freeing one is a no-op,
 * realloc of one copies min(old, new) bytes into a real block. Hook-safe. */
#ifndef MP_BOOTSTRAP_H
#define MP_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

void *mp_bootstrap_alloc(size_t size, size_t align);
/* Is p inside the bootstrap arena? [begin, end), half open. */
int mp_bootstrap_owns(const void *p);
/* Requested size of a bootstrap block (p must be owned). */
size_t mp_bootstrap_size(const void *p);

#endif
