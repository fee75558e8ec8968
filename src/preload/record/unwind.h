/* Stack capture for the hooks: a DWARF-CFI unwinder for x86_64 with a cache of unwind rules per
 * return address, so that a warm capture costs a few loads per frame. Works on code built without
 * frame pointers. Hook-safe: never calls malloc, never blocks (a rule-cache insert that cannot
 * take its lock is skipped), async-signal-safe reads only within the thread's stack bounds. */
#ifndef MP_UNWIND_H
#define MP_UNWIND_H

#include <stdint.h>

/* Register state of the first frame to report: pc is a return address into the caller of the
 * hook, sp the caller's stack pointer just after the return (the hook's CFA), bp the caller's rbp. */
struct mp_unwind_regs {
    uintptr_t pc, sp, bp;
};

/* One-time setup (called from runtime init, before any capture). Hook-safe. */
void mp_unwind_init(void);

/* Tell the unwinder the current thread's own stack, [lo, top): a capture whose sp lies in it
 * reads any word between that sp and top; any other capture (a coroutine's stack, a sigaltstack,
 * lo >= top: unknown) checks each page before it reads from it, which costs a system call per
 * page and capture. */
void mp_unwind_set_stack(uintptr_t lo, uintptr_t top);

/* The end of the run of readable pages that starts at from's page, looked at up to max bytes
 * (a system call per page). For finding a stack's top when /proc cannot tell. */
uintptr_t mp_unwind_readable_end(uintptr_t from, uintptr_t max);

/* From now on the unwinder makes no system call: a page of a foreign stack counts as unreadable
 * (walks there end at sp's page), the stack cache keeps its verdicts without timing trials. For a
 * process under a seccomp filter. */
void mp_unwind_stop_syscalls(void);

/* Fill pcs[0..max) with return addresses, innermost first: pcs[0] = start->pc. Returns the
 * number of frames (>= 1 when start->pc != 0). Stops at the outermost frame (undefined return
 * address), at code without unwind info, or at max. */
int mp_unwind(const struct mp_unwind_regs *start, uintptr_t *pcs, int max);

/* What mp_unwind_ex tells the caller about the walk memo. */
struct mp_unwind_info {
    uint32_t same_id; /* the walk equals the previous one of this memo slot, frame for frame,
                         and the caller attached this id to it; 0 otherwise */
    uint32_t token;   /* names the walk for mp_unwind_attach_id; 0 = not recorded */
};

/* mp_unwind, plus what the memo knows (info may be NULL). When info->same_id is set, only
 * pcs[0] is written: the frames are those of the walk the caller attached that id to. */
int mp_unwind_ex(const struct mp_unwind_regs *start, uintptr_t *pcs, int max,
                 struct mp_unwind_info *info);

/* Room for a capture deeper than the hooks keep on the program's stack: this thread's buffer of
 * MP_UNWIND_DEEP_MAX frames in tool memory (next to its walk memos), or NULL when it has none or
 * it is in use (a signal handler's capture inside another): the caller then uses its own stack.
 * mp_unwind_deep_release gives it back. */
#define MP_UNWIND_DEEP_MAX 500
uintptr_t *mp_unwind_deep_buffer(void);
void mp_unwind_deep_release(void);

/* Attach a stack id to the walk named by token (from mp_unwind_ex), so that the next identical
 * walk in the same memo slot returns it as same_id. Ignored when another walk (a signal
 * handler's) was recorded since. */
void mp_unwind_attach_id(uint32_t token, uint32_t id);

/* Which of the thread's two walk memos the next mp_unwind uses (0: allocations, 1: frees). */
extern __thread int mp_unwind_memo_slot __attribute__((tls_model("initial-exec")));

/* End every walk at the frame of the function that contains addr (the program's main): that frame
 * is the last one recorded. Hook-safe; before any capture or at any time (rules computed since
 * for that function's return addresses then stop). */
void mp_unwind_set_stop_function(uintptr_t addr);

/* Below the frame of the function that contains addr, a thread's stack stays the same for as long
 * as the thread runs (memplumber's thread trampoline; main, when walks go below it): each thread
 * records the frames from there to the end of its stack once, and later walks that reach the
 * anchor frame re-check those frames' stack words and append them without stepping. The anchor
 * frame is the function's own (at_caller = 0: it calls out from one place only) or its caller's
 * (at_caller = 1). The frames given are the same as without it. Up to 4 functions; hook-safe. */
void mp_unwind_add_anchor_function(uintptr_t addr, int at_caller);

/* Stack cache policy (option stack_cache): AUTO measures per thread whether the cache makes
 * captures cheaper and uses it where it does; ON always; OFF never. Stacks are the same in all
 * three. */
enum { MP_STACK_CACHE_AUTO, MP_STACK_CACHE_ON, MP_STACK_CACHE_OFF };
void mp_unwind_set_stack_cache(int policy);

/* What the stack caches did (verbosity=2): caches made, lookups and hits (other threads' counts
 * as of their last flush, every 4,096 lookups), and the verdicts of the trials. */
struct mp_stack_cache_stats {
    uint64_t lookups, hits;
    uint32_t caches, trials_on, trials_off;
};
void mp_unwind_stack_cache_stats(struct mp_stack_cache_stats *out);

/* The calling thread ends (memplumber's thread trampoline, at its cleanup): its stack cache goes
 * back to the pool. Later captures of the thread walk without one. Hook-safe. */
void mp_unwind_thread_end(void);

/* In a forked child: the stack-cache pool's lock may have been held by a thread that is gone. */
void mp_unwind_child_after_fork(void);

/* Called after dlclose: forget cached rules for code that may have been unmapped. */
void mp_unwind_flush(void);

/* The walk memo (on by default): each thread replays the verified frames of its previous capture
 * where the new one joins it (same pc at the same sp), re-reading each return-address and saved-rbp
 * slot instead of walking. Off = always walk with the rule cache (benchmarks, tests). */
void mp_unwind_set_memo(int enabled);

#endif
