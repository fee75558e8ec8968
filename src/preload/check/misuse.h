/* Heap misuse: double, invalid and mismatched frees, realloc of freed or foreign pointers,
 * malloc_usable_size of foreign pointers. Errors are reported, never fatal (unless
 * abort_on_error): the bad call is not passed to the real allocator. A quarantine remembers the
 * metadata of recently freed blocks (address, size, allocation and free stacks) so that a
 * double free can name both. No locks: the quarantine ring and the error table are lock-free.
 * An error is only recorded here (kind, addresses, sizes, stack ids, count), never written: the
 * report entry writes it at a safe point (runtime/safepoint.c), taking records in the order of
 * first occurrence through mp_misuse_drain_begin/take/drain_end. */
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

/* Record an error (hook- and async-signal-safe: no lock, no wait, no write). */
void mp_misuse_report_mismatch(const struct mp_block *b, unsigned free_kind, size_t sized,
                               int has_size, uintptr_t *fp);
/* p is not a live block: double free (found in quarantine) or invalid free. */
void mp_misuse_report_bad_free(void *p, unsigned free_kind, int is_realloc, uintptr_t *fp);
/* The same with the stack already known (0: none; the error is then one context per address).
 * Records only, lock-free: safe where the hooks cannot write (see runtime.c's pending queue). */
void mp_misuse_report_bad_free_at(void *p, unsigned free_kind, int is_realloc, uint32_t stack);
/* 1 if p is in the quarantine of recent frees (a free of it now is a double free). */
int mp_misuse_recently_freed(void *p);
/* Is p a block freed recently (in the quarantine)? Then 1, with its size in *size. */
int mp_misuse_freed_size(void *p, size_t *size);
void mp_misuse_report_usable_size(void *p, uintptr_t *fp);

/* Non-zero while a recorded error (or the note that some were beyond the table's capacity)
 * has not been written yet: the hooks test it (one load) to look for a safe point. */
extern int mp_misuse_unwritten;

/* The writer's side, one writer at a time: begin (clears mp_misuse_unwritten), take the next
 * record to write (1; count = 1, as at its first occurrence) until 0, end (sets the flag again
 * when a record is still being written by another thread or by a frame the writer interrupted). */
void mp_misuse_drain_begin(void);
int mp_misuse_take(struct mp_error_record *out);
/* Once: the number of errors so far in contexts beyond the table's capacity (0: none/said). */
uint64_t mp_misuse_take_overflow(void);
void mp_misuse_drain_end(void);
/* Before a final report: wait (at most 100 ms) for records other threads are still writing. */
void mp_misuse_settle(void);

/* The distinct errors so far, in order of first occurrence, with their counts (stable storage),
 * and the total count (exact, including contexts beyond the capacity). */
size_t mp_misuse_errors(const struct mp_error_record **out, uint64_t *total);
/* Errors counted in contexts beyond the table's capacity (not in mp_misuse_errors' list). */
uint64_t mp_misuse_unshown(void);

#endif
