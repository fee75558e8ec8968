/* Safe points: where a heap-misuse error recorded by a hook (check/misuse.c) may be written.
 * Writing symbolizes stacks with the report library (dlopen'ed by the first error, libdw,
 * malloc in tool state, dl_iterate_phdr, files): never from a signal handler, never while the
 * dynamic loader runs the program's code (constructors and destructors run by dlopen, dlclose
 * and exit, TLS set-up, a dl_iterate_phdr callback: ld.so's lock may be held), never inside
 * memplumber or the real allocator. A safe point is an allocation (malloc family, new,
 * realloc), or the hook that found the error, in a thread in the program (MP_IN_PROGRAM) whose stack has no signal frame (glibc's
 * __restore_rt), no frame in ld.so and none in dl_iterate_phdr, and that is not on an
 * alternate signal stack; the check runs only while an error waits (one load otherwise).
 * Reports (exit, fatal signal, on demand) and exec write what is left. docs/DESIGN.md. */
#ifndef MP_SAFEPOINT_H
#define MP_SAFEPOINT_H

#include <stdint.h>

#include "preload/check/misuse.h"

/* Find the code ranges the check looks for (start-up, under the guard). */
void mp_safepoint_init(void);

/* A hook entry while an error waits: write it if this is a safe point. fp: the hook's frame.
 * After a verdict of "unsafe", the thread's entries from as deep a frame or deeper skip the
 * check (it costs a stack walk), at most 256 in a row. */
void mp_safepoint_errors(uintptr_t *fp);

/* Right after a hook recorded an error: write it if this is a safe point (no skipping), then
 * abort() when abort_on_error is set. */
void mp_safepoint_after_error(uintptr_t *fp);

static inline void mp_safepoint_poll(uintptr_t *fp)
{
    if (__builtin_expect(mp_misuse_unwritten, 0))
        mp_safepoint_errors(fp);
}

#endif
