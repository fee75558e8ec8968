/* Stack depot: one copy of each distinct call stack; allocation records hold a 32-bit id.
 * Lookups are lock-free (published entries never change); inserts take one mutex, marking the
 * thread CRITICAL. A nested call from a signal handler that interrupted an insert gets id 0.
 * Fork protocol: the child reinitialises the insert lock (mp_depot_child_after_fork). */
#ifndef MP_DEPOT_H
#define MP_DEPOT_H

#include <stdint.h>

typedef uint32_t mp_stack_id; /* 0 = no stack */

/* Intern a stack (n >= 0 frames). Returns its id, 0 if out of tool memory or unsafe right now.
 * The stored record leaves out frames inside libmemplumber's own code (mp_modules_is_self). */
mp_stack_id mp_depot_put(const uintptr_t *pcs, uint32_t n, uint32_t gen);

/* Frames of a stack; *n receives the count. NULL for id 0 or an unknown id. */
const uintptr_t *mp_depot_get(mp_stack_id id, uint32_t *n, uint32_t *gen);

/* Number of ids handed out so far + 1 (ids are 1..count-1). */
uint32_t mp_depot_count(void);

void mp_depot_lock(void);
void mp_depot_unlock(void);
void mp_depot_child_after_fork(void);

#endif
