/* The leak scan: memcheck's reachability algorithm over memplumber's block table.
 *   1. roots: every readable+writable mapping (globals, TLS, anonymous mmaps of the program,
 *      stacks from each thread's stack pointer up) minus malloc's own heap regions, minus tool
 *      memory; plus the registers of every thread;
 *   2. flood: a start pointer (or an interior pointer accepted by a heuristic) from a definite
 *      source marks a block reachable; any other pointer marks it possibly reachable; blocks
 *      are scanned when their state rises;
 *   3. cliques: each block still unreached, in address order, is definitely lost, and what it
 *      reaches that is still unreached becomes indirectly lost.
 * Precondition: the caller holds all heap locks (mp_heap_lock_all) and has stopped the other
 * threads. Uses only tool memory; freed before returning. */
#ifndef MP_SCAN_H
#define MP_SCAN_H

#include <stdint.h>

#include "preload/scan/threads.h"

enum { MP_ST_UNREACHED = 0, MP_ST_POSSIBLE = 1, MP_ST_REACHABLE = 2, MP_ST_INDIRECT = 3 };

struct mp_scan_stats {
    uint64_t blocks;
    uint64_t root_bytes;
    uint64_t heap_bytes_scanned;
    /* Per enum mp_heuristic: the blocks an interior pointer of that shape made reachable,
     * valgrind's "of which reachable via heuristic" (counted as valgrind counts them). */
    uint64_t heur_bytes[4], heur_blocks[4];
};

/* self_sp: the caller's stack pointer at the report entry (its deeper frames are not roots).
 * heuristics: the set (1 << enum mp_heuristic) of interior-pointer shapes that count as start
 * pointers. */
void mp_scan_run(const struct mp_thread_ctx *threads, int nthreads, uintptr_t self_sp,
                 const uintptr_t *self_regs, int nself_regs, unsigned heuristics,
                 struct mp_scan_stats *stats);

/* For the next mp_scan_run only: the calling thread's alternate signal stack [lo, hi) (0, 0:
 * none), and where its live part starts when the caller runs on it (live_lo, else 0). The stale
 * frames below are not roots (valgrind sees a returned handler's frames as inaccessible). */
void mp_scan_self_altstack(uintptr_t lo, uintptr_t hi, uintptr_t live_lo);

/* After mp_scan_run, until the next one: the bytes of the blocks that the definitely lost block
 * idx made indirectly lost (0 for any other block). */
uint64_t mp_scan_indirect_bytes(uint32_t idx);

#endif
