/* Heap misuse: double, invalid and mismatched frees, realloc of freed or foreign pointers,
 * malloc_usable_size of foreign pointers. Errors are reported, never fatal (unless
 * abort_on_error): the bad call is not passed to the real allocator. A quarantine remembers the
 * metadata of recently freed blocks (address, size, allocation and free stacks) so that a
 * double free can name both. Locks: errors_lock (error table; fork protocol via
 * mp_misuse_lock/unlock/child_after_fork); the quarantine ring is lock-free. */
#ifndef MP_MISUSE_H
#define MP_MISUSE_H

#include <stddef.h>
#include <stdint.h>

#include "preload/record/heap.h"
#include "common/model.h"

void mp_misuse_init(void);

/* Does free_kind (and the sized-delete size) match how b was allocated? */
int mp_misuse_free_ok(const struct mp_block *b, unsigned free_kind, size_t sized, int has_size);

/* Record that b was freed now (quarantine). */
void mp_misuse_remember_free(const struct mp_block *b, uintptr_t *fp);

/* The same in two steps: the free's full stack (0 when the quarantine is off or
 * keep_stacktraces=alloc), captured before the block is looked up, then the record (which keeps
 * only the caller frame, fp[1], when free_stack is 0). */
uint32_t mp_misuse_free_stack(uintptr_t *fp);
void mp_misuse_remember_free_as(const struct mp_block *b, uint32_t free_stack, uintptr_t *fp);

void mp_misuse_report_mismatch(const struct mp_block *b, unsigned free_kind, size_t sized,
                               int has_size, uintptr_t *fp);
/* p is not a live block: double free (found in quarantine) or invalid free. */
void mp_misuse_report_bad_free(void *p, unsigned free_kind, int is_realloc, uintptr_t *fp);
void mp_misuse_report_usable_size(void *p, uintptr_t *fp);

/* The distinct errors so far (stable storage) and the total count. */
size_t mp_misuse_errors(const struct mp_error_record **out, uint64_t *total);

void mp_misuse_lock(void);
void mp_misuse_unlock(void);
void mp_misuse_child_after_fork(void);

#endif
