/* The runtime: initialisation as a list of named steps, what the hooks call on each event, and
 * the exit report. Hooks include only runtime.h, real.h, guard.h and bootstrap.h. */
#ifndef MP_RUNTIME_H
#define MP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "preload/runtime/options.h"

/* Every function the program calls into. force_align_arg_pointer: the x86-64 ABI wants rsp
 * 16-byte aligned at a call, and GCC's code relies on it (movaps to stack slots), but glibc's
 * own malloc, free and friends work with any alignment, so hand-written assembly and JIT code
 * that call them with rsp off by 8 run natively. Realigning at the entry costs one `and` (the
 * frame pointer already saves rsp) and keeps fp[1] and fp+2 what the unwinder expects. */
#define MP_EXPORT __attribute__((visibility("default"), force_align_arg_pointer))

/* The run-time's phase (mp_runtime_phase): it only moves forward. */
enum mp_phase {
    MP_PHASE_NONE = 0,     /* before initialisation: hooks pass through */
    MP_PHASE_INIT = 1,     /* one thread initialises; others wait, memplumber's own calls pass */
    MP_PHASE_TRACKING = 2, /* every allocation and free is recorded */
    MP_PHASE_STOPPED = 3,  /* after the exit report: frees of tracked blocks still leave the table */
    MP_PHASE_OFF = 4,      /* another copy of the library observes this process: pass through */
};
extern int mp_runtime_phase;
extern struct mp_options mp_opt;
extern uint32_t mp_module_gen; /* bumped by dlclose; stacks remember it */

/* Initialise once (any thread, any hook). Returns 1 when tracking is on. */
int mp_runtime_ensure(void);

/* Events. fp is the hook's frame pointer (__builtin_frame_address(0) in the hook): fp[1] is the
 * return address into the program, fp+2 the program's stack pointer. */
void mp_runtime_on_alloc(void *p, size_t size, unsigned alloc_kind, uintptr_t *fp);
/* Returns 1 if the caller must pass p on to the real free, 0 if not (invalid or double free,
 * bootstrap block). sized: the size given to sized delete (0 = none). */
int mp_runtime_on_free(void *p, unsigned free_kind, size_t sized, int has_size, uintptr_t *fp);
/* realloc/reallocarray: the whole operation, including calling the real realloc. */
void *mp_runtime_realloc(void *p, size_t n, uintptr_t *fp);
/* malloc_usable_size. */
size_t mp_runtime_usable_size(void *p, uintptr_t *fp);

/* Slow paths of the hooks: not initialised yet, inside memplumber (pass through untracked), or
 * re-entered from a signal handler while a tool lock is held (deferred tracking). */
void *mp_runtime_alloc_slow(unsigned alloc_kind, size_t size, size_t align, size_t nmemb,
                            uintptr_t *fp);
void mp_runtime_free_slow(void *p, unsigned free_kind, uintptr_t *fp);

/* operator new could not get memory: the new-handler loop, then bad_alloc or NULL (nothrow). */
void *mp_runtime_new_failed(size_t n, size_t align, unsigned kind, int nothrow, uintptr_t *fp);
/* An aligned operator new asked for an alignment that is not a power of two (0 included):
 * nullptr for the nothrow forms, else std::bad_alloc, without the new-handler (libstdc++). */
void *mp_runtime_new_bad_align(size_t n, int nothrow);

/* The allocation stack / the free stack for the caller whose hook frame is fp (depot ids). */
uint32_t mp_runtime_capture(uintptr_t *fp);
uint32_t mp_runtime_capture_free(uintptr_t *fp);

/* The process memplumber initialised in (a forked child differs until it re-initialises), and the
 * command line as the program received it. */
#include <sys/types.h>
extern pid_t mp_runtime_pid;
extern int mp_saved_argc;
extern char **mp_saved_argv;
/* A child of clone/clone3 without CLONE_VM (no atfork handlers ran): becomes a process of its own. */
void mp_runtime_adopt_clone_child(void);

/* Write a report now (exit or on demand). */
void mp_runtime_report(const char *reason, int at_exit);

/* When a report is written: on demand (the program goes on), at exit (exit handlers, _exit,
 * quick_exit: the last report), or for a fatal signal (the last report; no __libc_freeres, the
 * program was interrupted). */
enum mp_report_when { MP_REPORT_ON_DEMAND, MP_REPORT_AT_EXIT, MP_REPORT_FATAL };
/* Where the reporting thread's program state is, when the caller knows: its stack pointer (the
 * stack is a root from there up) and its registers (roots too). */
struct mp_report_roots {
    uintptr_t sp;
    uintptr_t regs[16];
    int nregs;
};
void mp_runtime_report_ex(const char *reason, enum mp_report_when when,
                          const struct mp_report_roots *roots);

/* Run fn(arg) on memplumber's own report stack (8 MiB, guard page below), never on a stack the
 * program owns (a small sigaltstack). One thread at a time: others wait; a nested call on the
 * same thread runs fn where it is. Returns 0, or -1 if fn was not run (no stack could be made,
 * fn still runs on the current stack then: see report_stack.c). */
int mp_on_report_stack(void (*fn)(void *), void *arg);
/* Map the report stack (start-up); free it for the child after fork. */
void mp_report_stack_init(void);
void mp_report_stack_child_after_fork(void);

/* Process events (hooks_proc.c). */
void mp_runtime_before_dlclose(void *handle);
void mp_runtime_after_dlclose(void);
void mp_runtime_thread_start(void);
/* exec* called by the program (hooks/exec.c): write the heap errors not written yet. */
void mp_runtime_before_exec(void);
/* valgrind's number for a thread being created (2, 3, ...: the lowest free; 0 none left), and
 * giving it back when the thread ends (the number as a pointer: a pthread cleanup handler). */
unsigned mp_runtime_thread_number_take(void);
void mp_runtime_thread_number_give(void *number);
/* A thread memplumber started ends (its cleanup): gives its number back and its stack cache. */
void mp_runtime_thread_end(void *number);
/* _exit/_Exit called by the program; caller_sp: the program's stack pointer at the call. */
struct mp_report_roots;
void mp_runtime_before_exit_now(int status, const struct mp_report_roots *roots);

/* hooks_exit.c: memplumber's handler for the fatal signals the program leaves at SIG_DFL
 * (start-up), the real exit functions, and the registers the exit entry saved for this thread
 * (1 if it entered exit/_exit/quick_exit through memplumber's entry). */
void mp_signals_init(void);
void mp_signals_before_exec(void);
/* The final report begins: the program's timer signals (SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU)
 * are ignored from now on, as none would reach it natively after its last exit handler. */
void mp_signals_quiet_timers(void);
/* hooks/exec.c: with follow_exec=yes given, keep the variables that carry memplumber into a new
 * image (LD_PRELOAD, MEMPLUMBER_*), for the execs whose environment the program made without
 * them. Start-up, after mp_report_read_env. */
void mp_exec_save_env(void);
/* A seccomp filter is coming (mp_runtime_before_seccomp): the fatal signals memplumber handles go
 * back to the program's dispositions, and its later sigaction calls go straight through. */
void mp_signals_hand_back(void);
/* The wake signal (live.c): fn is called for each wake request memplumber sent (in a signal
 * handler); the program's sigaction sees and sets its own disposition of the signal. */
void mp_signals_wake_init(int sig, void (*fn)(void));
/* 1 while a wake request would reach fn (the program has not set SIG_IGN, no seccomp hand-back). */
int mp_signals_wake_ready(void);
void mp_signals_after_exec_failed(void);
void mp_exits_resolve(void);
int mp_exit_roots(struct mp_report_roots *out);
/* 1 once the final report (exit, fatal signal) has been written. */
int mp_final_report_done(void);
/* A vfork child (or a clone sharing our memory) that called exit() (quick: quick_exit()) ran
 * glibc's exit handlers (at_quick_exit handlers), memplumber's final report among them, in our
 * memory, and glibc took them off its list for good: writes the exit report now if that
 * happened and we are the process that registered it (from exit() and quick_exit(), and after
 * main returns). */
void mp_runtime_exit_handler_check(int quick);
/* Set by the entry of _exit, _Exit and quick_exit: the process ends without flushing stdio, so
 * the exit report must not flush it either, nor run __libc_freeres (whose _IO_cleanup flushes
 * every stream and moves the file offset of buffered input back) while a stream has buffered
 * data. */
extern int mp_exit_no_flush;
/* Set while the exit report runs __libc_freeres: a free of a block memplumber never saw is then
 * glibc's own (ld.so's early allocations), not the program's bug. */
extern int mp_in_freeres;
/* report_entry.c: p is a stdio buffer the final report took out of the table as glibc's
 * freeres would have freed it (other threads alive at exit): its free is the program's, silent. */
int mp_report_freeres_took(const void *p);

/* Set (never cleared) once the program installs a seccomp filter: from then on memplumber makes
 * no system call of its own that malloc would not make (no live-report polling, no stack-cache
 * timing, no page checks, no report), since the filter may kill the process for one. */
extern int mp_sandboxed;

/* The program is about to install a seccomp filter (hooks/sandbox.c): say so once on stderr, while
 * memplumber still may, give the fatal signals back to the program's own dispositions, and set
 * mp_sandboxed. */
void mp_runtime_before_seccomp(void);

/* The program is about to chroot (hooks/sandbox.c): a fork child opens /proc/self/maps for itself
 * while it still can (the leak scan's roots come from it). */
void mp_runtime_before_chroot(void);

/* The program moved the system break itself (hooks/proc.c: sbrk, brk) from old to now: what it
 * took is its own memory, a root of the leak scan. */
void mp_runtime_after_break(uintptr_t old, uintptr_t now);

#endif
