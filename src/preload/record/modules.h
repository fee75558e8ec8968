/* Loaded ELF objects: memplumber's own code range (its frames are dropped from stacks), and
 * objects dlclose'd during the run (kept with the generation at which they went away, so that
 * stacks captured before can still be symbolized from the file). Locks: modules_lock guards the
 * retired list; it is taken only around dlclose and at report time. */
#ifndef MP_MODULES_H
#define MP_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

void mp_modules_init(void);
/* Is pc inside libmemplumber.so's code? (inline: called for every captured frame) */
extern uintptr_t mp_self_text_lo, mp_self_text_hi;
static inline int mp_modules_is_self(uintptr_t pc)
{
    return pc >= mp_self_text_lo && pc < mp_self_text_hi;
}
/* Code range of the dynamic loader (ld.so). */
extern uintptr_t mp_ldso_text_lo, mp_ldso_text_hi;

/* The size a block would have without memplumber. ld.so sizes each new thread's DTV (one 16-byte
 * slot per TLS module, calloc(max_module_id + 16 + 2, 16) in allocate_dtv) by the modules loaded,
 * memplumber included: under memplumber every thread's DTV is 16 bytes larger than natively, and
 * the report must not change because memplumber is loaded. The slot given up is the last one,
 * which is only used once 14 more TLS modules than at start have been dlopened. */
static inline size_t mp_modules_native_calloc_size(size_t nmemb, size_t size, uintptr_t caller)
{
    if (__builtin_expect(size == 16, 0) && nmemb > 1 && caller >= mp_ldso_text_lo &&
        caller < mp_ldso_text_hi)
        return (nmemb - 1) * size;
    return nmemb * size;
}

/* Data range of libmemplumber.so (the scan does not treat it as a root). */
void mp_modules_self_data(uintptr_t *lo, uintptr_t *hi);

/* Writable data of the object that defines the real malloc (glibc: main_arena lives there),
 * found at start-up (mp_modules_init): safe to ask while the other threads are stopped. */
void mp_modules_allocator_data(uintptr_t *lo, uintptr_t *hi);

/* Around dlclose(handle): remember the object if it goes away. */
void mp_modules_before_dlclose(void *handle);
void mp_modules_after_dlclose(void);

/* A stack last looked at at generation gen is captured again now, at a later one: is one of its
 * pcs in an object unloaded since whose address range another file (not the same library loaded
 * again) now holds? Its record then names frames of two different libraries: no names are right for
 * all of its blocks. Lock-free, no malloc (called from the allocation path). */
int mp_modules_reloaded_since(const uintptr_t *pcs, uint32_t n, uint32_t gen);

/* All modules (loaded, then retired) into tool memory. Paths point into tool memory. */
size_t mp_modules_collect(struct mp_module **out);

#endif
