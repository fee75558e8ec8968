/* Bootstrap arena (see bootstrap.h). Each block is preceded by a 16-byte header with its size. */
#include "preload/hooks/bootstrap.h"

#include <string.h>

char mp_boot_area[MP_BOOT_SIZE] __attribute__((aligned(64)));
static size_t boot_used;

void *mp_bootstrap_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (align & (align - 1))
        return NULL;
    for (;;) {
        size_t old = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
        uintptr_t base = (uintptr_t)mp_boot_area + old + 16;
        uintptr_t p = (base + align - 1) & ~(uintptr_t)(align - 1);
        size_t end = (size_t)(p - (uintptr_t)mp_boot_area) + size;
        if (size > MP_BOOT_SIZE || end > MP_BOOT_SIZE)
            return NULL;
        if (__atomic_compare_exchange_n(&boot_used, &old, end, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            ((size_t *)p)[-1] = size;
            memset((void *)p, 0, size);
            return (void *)p;
        }
    }
}

size_t mp_bootstrap_size(const void *p) { return ((const size_t *)p)[-1]; }
