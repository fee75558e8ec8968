/* Ways out that run no exit handler: fatal signals, and exit()/_exit()/quick_exit() entries that
 * capture the caller's registers.
 *
 * Fatal signals. A process killed by a signal's default action (SIGPIPE in `sort | head -1`,
 * SIGTERM, SIGSEGV, abort's SIGABRT...) runs no exit handler, so it would write no report.
 * memplumber installs its own handler for each signal whose default action kills, wherever the
 * program leaves the default: it writes the final report (on memplumber's stack), puts the
 * default action back and raises the same signal again, so the process still dies of it (the
 * parent's wait status and the core dump are unchanged). The program never sees that handler:
 * sigaction, signal, bsd_signal, sysv_signal and sigset are interposed; whatever the program sets
 * is installed for real (memplumber's handler only stands in for SIG_DFL), and what it reads back
 * is what it set.
 *
 * Registers at exit. A program that calls exit() from nested frames may keep its only pointer to
 * a block in a callee-saved register (GNU seq does): the register's value is saved by exit's own
 * frames, which the exit-time scan does not read (they hold stale words). exit, _exit, _Exit and
 * quick_exit are entered through a few instructions that save rbx, rbp, r12-r15 and the caller's
 * stack pointer, which the report then treats as roots, as valgrind does. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/fmt.h"
#include "common/live_proto.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/real.h"
#include "preload/runtime/runtime.h"
#include "preload/scan/threads.h"

/* ---- the program's view of signal dispositions ---- */

#define NSIG_MP 65

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static sigaction_fn real_sigaction_fn;

static sigaction_fn real_sigaction(void)
{
    if (!real_sigaction_fn)
        real_sigaction_fn = (sigaction_fn)mp_real_next("sigaction");
    return real_sigaction_fn;
}

static struct sigaction prog_act[NSIG_MP]; /* what the program set (SIG_DFL at first) */
static unsigned char managed[NSIG_MP];     /* a signal whose default action kills */
static unsigned char ours[NSIG_MP];        /* memplumber's handler is installed for it */
static struct mp_mutex sig_lock = MP_MUTEX_INIT;

static const int fatal_signals[] = {
    SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT,   SIGBUS,  SIGFPE,
    SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,   SIGSTKFLT, SIGXCPU,
    SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,  SIGSYS,
};

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGSTKFLT: return "SIGSTKFLT";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGIO: return "SIGIO";
    case SIGPWR: return "SIGPWR";
    case SIGSYS: return "SIGSYS";
    default: return "signal";
    }
}

static void die_of(int sig, const siginfo_t *si)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction()(sig, &dfl, NULL);
    /* A fault the kernel raised for an instruction happens again when the handler returns, now
     * with the default action: the core shows the faulting instruction. */
    if (si && si->si_code > 0 &&
        (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL))
        return;
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &one, NULL, _NSIG / 8);
}

/* The final report for a process that is dying of sig, with the interrupted context's registers
 * and stack as roots. */
static void fatal_report(int sig, void *ucv)
{
    mp_runtime_adopt_clone_child(); /* a raw clone child dying: its own report, as a fork child's */
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING &&
        mp_opt.report_on_exit && !__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) &&
        getpid() == mp_runtime_pid) {
        struct mp_report_roots roots;
        memset(&roots, 0, sizeof roots);
#if defined(__x86_64__)
        const ucontext_t *uc = ucv;
        if (uc) {
            static const int map[MP_NREGS] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                              REG_RBP, REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12,
                                              REG_R13, REG_R14, REG_R15, REG_RIP};
            for (int r = 0; r < MP_NREGS; r++)
                roots.regs[r] = (uintptr_t)uc->uc_mcontext.gregs[map[r]];
            roots.nregs = MP_NREGS;
            roots.sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 128; /* the red zone */
        }
#else
        (void)ucv;
#endif
        char reason[64];
        mp_fmt(reason, sizeof reason, "fatal signal %d (%s)", sig, signal_name(sig));
        mp_runtime_report_ex(reason, MP_REPORT_FATAL, &roots);
    }
}

/* Faults the kernel raises for an instruction. A program may set SIG_IGN on them, but the
 * kernel then forces the real SIG_DFL for a fault (the process dies without memplumber's
 * handler): memplumber's handler stays installed under the program's SIG_IGN, ignores what
 * kill/raise/sigqueue send (si_code <= 0), and reports a real fault before the same death.
 * exec puts the real SIG_IGN back first (mp_signals_before_exec), since an exec'd program
 * inherits SIG_IGN but not a handler. */
static int ignored_fault(int sig)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) &&
           prog_act[sig].sa_handler == SIG_IGN;
}

/* The wake signal (live.c, MP_LIVE_WAKE_SIGNAL): memplumber's handler stays installed under the
 * program's SIG_DFL and under a handler of the program's (through prog_trampoline), so that
 * memplumber keeps receiving its wake requests; every other delivery gets the program's
 * disposition (the default action kills the process, after the exit report, as for the fatal
 * signals above). A wake request is one memplumber sent (the watch thread, `memplumber report`):
 * sigqueue'd (SI_QUEUE) with MP_LIVE_WAKE_VALUE by a process of this user or root. Under the
 * program's SIG_IGN the signal is ignored for real, and no wake request can be taken. */
static int wake_sig;
static void (*wake_fn)(void);

static int is_wake(int sig, const siginfo_t *si)
{
    if (!wake_sig || sig != wake_sig || !si || si->si_code != SI_QUEUE ||
        (uintptr_t)si->si_value.sival_ptr != (uintptr_t)MP_LIVE_WAKE_VALUE)
        return 0;
    uid_t u = si->si_uid;
    return u == 0 || u == getuid() || u == geteuid();
}

static void fatal_handler(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    if (is_wake(sig, si)) {
        wake_fn();
        errno = saved;
        return;
    }
    if (ignored_fault(sig) && (!si || si->si_code <= 0))
        return;
    fatal_report(sig, ucv);
    die_of(sig, si);
    errno = saved;
}

static void install_ours(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fatal_handler;
    /* The program's alternate stack only for the faults, where the thread's own stack may be
     * used up (a stack overflow). A signal sent by kill/raise/timeout (SIGTERM, SIGINT, ...) at
     * the program's SIG_DFL never runs on it natively: a runtime that frees its sigaltstack
     * while still registered, then resets to SIG_DFL and raises the signal to die of it (ruby's
     * teardown after SIGTERM/SIGINT), would have memplumber's handler run on freed heap memory
     * and crash with SIGSEGV instead of dying of the signal. */
    int fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                sig == SIGTRAP || sig == SIGSYS;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | (fault ? SA_ONSTACK : 0);
    sigfillset(&sa.sa_mask);
    if (real_sigaction()(sig, &sa, NULL) == 0)
        ours[sig] = 1;
}

/* Handlers the kernel cannot be left to run directly. The program's handler is called from
 * prog_trampoline, installed for real with the program's flags, mask and alternate stack:
 * - SA_RESETHAND: the kernel would put the real SIG_DFL back on delivery, without memplumber's
 *   handler, and the signal's next arrival (a fault that happens again when the handler
 *   returns) would kill the process without a report. The trampoline does the reset itself,
 *   to memplumber's handler, before it calls the program's (what sigaction then reports is
 *   SIG_DFL with the program's flags, as the kernel leaves them).
 * - SIGABRT: when the handler returns during abort() or a failed assert(), glibc puts SIG_DFL
 *   back itself (an internal call) and raises SIGABRT again: the process dies without a report.
 *   The abort entries mark the thread (in_abort); the trampoline writes the report once the
 *   program's handler has returned, then glibc's abort goes on. A handler that longjmps out or
 *   exits never comes back to the trampoline. */
static unsigned char wrapped[NSIG_MP];
static __thread int in_abort __attribute__((tls_model("initial-exec")));

static void prog_trampoline(int sig, siginfo_t *si, void *ucv)
{
    if (sig <= 0 || sig >= NSIG_MP)
        return;
    if (is_wake(sig, si)) {
        int saved = errno;
        wake_fn();
        errno = saved;
        return;
    }
    struct sigaction a = prog_act[sig];
    if (a.sa_flags & SA_RESETHAND) {
        /* lock-free: a handler may interrupt the holder of sig_lock */
        prog_act[sig].sa_handler = SIG_DFL;
        wrapped[sig] = 0;
        install_ours(sig);
    }
    if (a.sa_handler == SIG_DFL || a.sa_handler == SIG_IGN)
        return;
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, si, ucv);
    else
        a.sa_handler(sig);
    if (sig == SIGABRT && in_abort) {
        int saved = errno;
        fatal_report(sig, ucv);
        errno = saved;
    }
}

/* Install the program's handler act for sig: through prog_trampoline when it needs it. */
static int install_program_handler(int sig, const struct sigaction *act)
{
    if (!(act->sa_flags & SA_RESETHAND) && sig != SIGABRT && sig != wake_sig) {
        wrapped[sig] = 0;
        return real_sigaction()(sig, act, NULL);
    }
    struct sigaction sa = *act;
    sa.sa_flags = (act->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
    sa.sa_sigaction = prog_trampoline;
    int rc = real_sigaction()(sig, &sa, NULL);
    if (rc == 0)
        wrapped[sig] = 1;
    return rc;
}

void mp_signals_init(void)
{
    if (!real_sigaction() || !mp_opt.report_on_exit)
        return;
    for (unsigned i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        int sig = fatal_signals[i];
        if (sig == (int)mp_opt.report_signal || sig >= NSIG_MP)
            continue;
        struct sigaction cur;
        if (real_sigaction()(sig, NULL, &cur))
            continue;
        prog_act[sig] = cur;
        managed[sig] = 1;
        if (cur.sa_handler == SIG_DFL || ignored_fault(sig))
            install_ours(sig);
        else if (cur.sa_handler != SIG_IGN)
            install_program_handler(sig, &cur); /* set before us (a preloaded library's) */
    }
}

void mp_signals_wake_init(int sig, void (*fn)(void))
{
    if (!real_sigaction() || sig <= 0 || sig >= NSIG_MP || sig == (int)mp_opt.report_signal)
        return;
    mp_mutex_lock(&sig_lock);
    if (!managed[sig]) {
        struct sigaction cur;
        if (real_sigaction()(sig, NULL, &cur)) {
            mp_mutex_unlock(&sig_lock);
            return;
        }
        prog_act[sig] = cur;
        managed[sig] = 1;
    }
    wake_fn = fn;
    __atomic_store_n(&wake_sig, sig, __ATOMIC_RELEASE);
    if (prog_act[sig].sa_handler == SIG_DFL) {
        if (!ours[sig])
            install_ours(sig);
    } else if (prog_act[sig].sa_handler != SIG_IGN && !wrapped[sig]) {
        install_program_handler(sig, &prog_act[sig]); /* set before us: now through the trampoline */
    }
    mp_mutex_unlock(&sig_lock);
}

int mp_signals_wake_ready(void)
{
    int sig = __atomic_load_n(&wake_sig, __ATOMIC_ACQUIRE);
    /* what the kernel has installed (raw: called on the watch thread) */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } cur;
    if (!sig || syscall(SYS_rt_sigaction, sig, NULL, &cur, 8) != 0)
        return 0;
    return cur.handler == (void *)fatal_handler || cur.handler == (void *)prog_trampoline;
}

static void sync_from_kernel(int sig);

void mp_signals_hand_back(void)
{
    if (!real_sigaction())
        return;
    sigset_t all, prev;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &prev);
    mp_mutex_lock(&sig_lock);
    for (int sig = 1; sig < NSIG_MP; sig++) {
        if (!managed[sig])
            continue;
        sync_from_kernel(sig);
        if (ours[sig] || wrapped[sig])
            real_sigaction()(sig, &prog_act[sig], NULL);
        managed[sig] = ours[sig] = wrapped[sig] = 0;
    }
    mp_mutex_unlock(&sig_lock);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
}

/* A disposition the program installed behind sigaction's back (the rt_sigaction system call
 * made raw, as language runtimes do, or through syscall()) replaced memplumber's handler or the
 * trampoline: what the kernel has is then the program's disposition, as natively, and
 * memplumber's record of it is out of date. Called with sig_lock held. */
static void sync_from_kernel(int sig)
{
    struct sigaction cur;
    if (real_sigaction()(sig, NULL, &cur) != 0)
        return;
    void *expect = ours[sig]      ? (void *)fatal_handler
                   : wrapped[sig] ? (void *)prog_trampoline
                                  : (void *)prog_act[sig].sa_handler;
    if ((void *)cur.sa_handler == expect)
        return;
    prog_act[sig] = cur;
    ours[sig] = wrapped[sig] = 0;
}

/* Set or read the program's disposition of a managed signal. */
static int managed_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    sigset_t all, prev;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &prev); /* a handler calling sigaction cannot deadlock us */
    mp_mutex_lock(&sig_lock);
    sync_from_kernel(sig);
    struct sigaction was = prog_act[sig];
    int rc = 0;
    if (act) {
        if (act->sa_handler == SIG_DFL) {
            if (!ours[sig])
                install_ours(sig);
            if (!ours[sig])
                rc = real_sigaction()(sig, act, NULL);
        } else {
            /* the program's view first: the trampoline reads it as soon as it is installed */
            struct sigaction keep = prog_act[sig];
            prog_act[sig] = *act;
            if (act->sa_handler == SIG_IGN && ignored_fault(sig)) {
                if (!ours[sig])
                    install_ours(sig);
                rc = ours[sig] ? 0 : real_sigaction()(sig, act, NULL);
            } else {
                rc = act->sa_handler == SIG_IGN ? real_sigaction()(sig, act, NULL)
                                                : install_program_handler(sig, act);
                if (rc == 0)
                    ours[sig] = 0;
            }
            if (rc != 0)
                prog_act[sig] = keep;
        }
        if (rc == 0)
            prog_act[sig] = *act;
    }
    mp_mutex_unlock(&sig_lock);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    if (rc == 0 && old)
        *old = was;
    return rc;
}

MP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    sigaction_fn real = real_sigaction();
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (sig <= 0 || sig >= NSIG_MP || !managed[sig])
        return real(sig, act, old);
    return managed_sigaction(sig, act, old);
}

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
MP_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return sigaction(sig, act, old);
}

/* signal() in glibc has BSD semantics: the handler stays, interrupted calls restart, the signal
 * is blocked while its handler runs. */
static void (*set_handler(int sig, void (*h)(int), int flags, int mask_self))(int)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (mask_self && sig > 0 && sig < NSIG_MP)
        sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

MP_EXPORT void (*signal(int sig, void (*h)(int)))(int)
{
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_MP) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return set_handler(sig, h, SA_RESTART, 1);
}

void (*bsd_signal(int sig, void (*h)(int)))(int);
MP_EXPORT void (*bsd_signal(int sig, void (*h)(int)))(int)
{
    return signal(sig, h);
}

/* System V semantics: the handler is reset on delivery and the signal is not blocked. */
MP_EXPORT void (*sysv_signal(int sig, void (*h)(int)))(int)
{
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_MP) {
        errno = EINVAL;
        return SIG_ERR;
    }
    return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, 0);
}

void (*__sysv_signal(int sig, void (*h)(int)))(int);
MP_EXPORT void (*__sysv_signal(int sig, void (*h)(int)))(int)
{
    return sysv_signal(sig, h);
}

/* sigset: SIG_HOLD adds the signal to the mask; anything else sets the disposition and removes
 * it from the mask. Returns SIG_HOLD if the signal was blocked, else the previous disposition. */
MP_EXPORT void (*sigset(int sig, void (*h)(int)))(int)
{
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_MP) {
        errno = EINVAL;
        return SIG_ERR;
    }
    sigset_t one, prev;
    sigemptyset(&one);
    sigaddset(&one, sig);
    struct sigaction old;
    if (sigaction(sig, NULL, &old) < 0)
        return SIG_ERR;
    if (h == SIG_HOLD) {
        if (pthread_sigmask(SIG_BLOCK, &one, &prev))
            return SIG_ERR;
        return sigismember(&prev, sig) ? SIG_HOLD : old.sa_handler;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0 || pthread_sigmask(SIG_UNBLOCK, &one, &prev))
        return SIG_ERR;
    return sigismember(&prev, sig) ? SIG_HOLD : old.sa_handler;
}

static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

/* The final report (exit, _exit, quick_exit, a fatal signal) runs after the program's last
 * exit handler, for as long as the scan and the writing take: tens of milliseconds to seconds,
 * where natively the process is gone within a millisecond. A timer the program left armed (a
 * watchdog alarm at its default action, a profiler's SIGPROF or SIGVTALRM ticks, SIGXCPU near a
 * CPU limit) fired in that time: the alarm killed the process (status 142 for 3), a handler
 * printed into the program's output. Their signals are set aside (the real SIG_IGN, which also
 * drops one already pending) for the rest of the process's life; a fatal signal's own death
 * puts SIG_DFL back for it (die_of). */
void mp_signals_quiet_timers(void)
{
    static const int timer_signals[] = {SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU};
    sigaction_fn sa = real_sigaction();
    if (!sa)
        return;
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    for (size_t i = 0; i < sizeof timer_signals / sizeof timer_signals[0]; i++)
        sa(timer_signals[i], &ign, NULL);
}

/* exec: the faults the program ignores get the real SIG_IGN (inherited by the new image);
 * after a failed exec memplumber's handler comes back. */
void mp_signals_before_exec(void)
{
    if (!real_sigaction())
        return;
    for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (managed[faults[i]] && ours[faults[i]] && ignored_fault(faults[i])) {
            struct sigaction ign;
            memset(&ign, 0, sizeof ign);
            ign.sa_handler = SIG_IGN;
            real_sigaction()(faults[i], &ign, NULL);
        }
}

void mp_signals_after_exec_failed(void)
{
    for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (managed[faults[i]] && ours[faults[i]] && ignored_fault(faults[i]))
            install_ours(faults[i]);
}

/* ---- abort and failed assertions ----
 * glibc's abort raises SIGABRT; if a handler of the program's returns (or SIGABRT is ignored) it
 * puts SIG_DFL back itself and raises again. The entries below mark the thread for
 * prog_trampoline, and put memplumber's handler in place of SIG_IGN (which glibc is about to
 * replace with SIG_DFL anyway), so the death is reported either way. __assert_fail reaches
 * glibc's abort without going through the abort symbol. */
static void abort_begin(void)
{
    in_abort = 1;
    if (real_sigaction() && managed[SIGABRT] && !ours[SIGABRT] &&
        prog_act[SIGABRT].sa_handler == SIG_IGN && mp_opt.report_on_exit) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        managed_sigaction(SIGABRT, &dfl, NULL);
    }
}

typedef void (*assert_fn)(const char *, const char *, unsigned int, const char *);
typedef void (*assert_perror_fn)(int, const char *, unsigned int, const char *);
static void (*real_abort)(void);
static assert_fn real_assert_fail;
static assert_perror_fn real_assert_perror_fail;

/* at start-up (mp_exits_resolve): abort may be called from a signal handler, where dlsym could
 * wait for the loader's lock */
static void aborts_resolve(void)
{
    if (!real_abort)
        real_abort = (void (*)(void))mp_real_next("abort");
    if (!real_assert_fail)
        real_assert_fail = (assert_fn)mp_real_next("__assert_fail");
    if (!real_assert_perror_fail)
        real_assert_perror_fail = (assert_perror_fn)mp_real_next("__assert_perror_fail");
}

__attribute__((noreturn)) static void abort_fallback(void)
{
    for (;;) {
        syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGABRT);
        mp_raw_exit_group(127);
    }
}

enum { ABORT_ABORT = 0, ABORT_ASSERT = 1, ABORT_ASSERT_PERROR = 2 };

/* Called by the entries below; returns the real function they jump to. */
__attribute__((used, visibility("hidden"))) void *mp_abort_begin(int which);
void *mp_abort_begin(int which)
{
    aborts_resolve();
    abort_begin();
    void *f = which == ABORT_ASSERT ? (void *)real_assert_fail
            : which == ABORT_ASSERT_PERROR ? (void *)real_assert_perror_fail : (void *)real_abort;
    return f ? f : (void *)abort_fallback;
}

#if defined(__x86_64__)
/* The entries jump to glibc's function instead of calling it: its frame lands where it would
 * natively, over the same stale words (the scan reads glibc's uninitialised locals as roots,
 * valgrind does not; an extra frame of ours shifted them onto a dead pointer). The arguments
 * (assert's four) are kept across the call. */
#define ABORT_STUB(name, which)                                                                 \
    ".globl " name "\n"                                                                         \
    ".type " name ", @function\n" name ":\n"                                                    \
    ".cfi_startproc\n"                                                                          \
    "    pushq %rdi\n"                                                                          \
    ".cfi_adjust_cfa_offset 8\n"                                                                \
    "    pushq %rsi\n"                                                                          \
    ".cfi_adjust_cfa_offset 8\n"                                                                \
    "    pushq %rdx\n"                                                                          \
    ".cfi_adjust_cfa_offset 8\n"                                                                \
    "    pushq %rcx\n"                                                                          \
    ".cfi_adjust_cfa_offset 8\n"                                                                \
    "    subq $8, %rsp\n"                                                                       \
    ".cfi_adjust_cfa_offset 8\n"                                                                \
    "    movl $" #which ", %edi\n"                                                              \
    "    call mp_abort_begin\n"                                                                 \
    "    addq $8, %rsp\n"                                                                       \
    ".cfi_adjust_cfa_offset -8\n"                                                               \
    "    popq %rcx\n"                                                                           \
    ".cfi_adjust_cfa_offset -8\n"                                                               \
    "    popq %rdx\n"                                                                           \
    ".cfi_adjust_cfa_offset -8\n"                                                               \
    "    popq %rsi\n"                                                                           \
    ".cfi_adjust_cfa_offset -8\n"                                                               \
    "    popq %rdi\n"                                                                           \
    ".cfi_adjust_cfa_offset -8\n"                                                               \
    "    jmp *%rax\n"                                                                           \
    ".cfi_endproc\n"                                                                            \
    ".size " name ", .-" name "\n"
__asm__(".text\n" ABORT_STUB("abort", 0) ABORT_STUB("__assert_fail", 1)
            ABORT_STUB("__assert_perror_fail", 2));
#else
MP_EXPORT void abort(void)
{
    ((void (*)(void))mp_abort_begin(ABORT_ABORT))();
    abort_fallback();
}

MP_EXPORT void __assert_fail(const char *assertion, const char *file, unsigned int line,
                             const char *function)
{
    ((assert_fn)mp_abort_begin(ABORT_ASSERT))(assertion, file, line, function);
    abort_fallback();
}

MP_EXPORT void __assert_perror_fail(int errnum, const char *file, unsigned int line,
                                    const char *function)
{
    ((assert_perror_fn)mp_abort_begin(ABORT_ASSERT_PERROR))(errnum, file, line, function);
    abort_fallback();
}
#endif

/* ---- exit, _exit, _Exit, quick_exit: the caller's registers ---- */

/* Saved by the entry stubs for the thread that calls one of them: rbx, rbp, r12-r15, and the
 * stack pointer at the call (the address of the return address). */
struct exit_regs {
    uintptr_t regs[6];
    uintptr_t sp;
    int set;
};
static __thread struct exit_regs exit_regs __attribute__((tls_model("initial-exec")));

int mp_exit_roots(struct mp_report_roots *out)
{
    if (!exit_regs.set)
        return 0;
    memset(out, 0, sizeof *out);
    out->sp = exit_regs.sp;
    for (int i = 0; i < 6; i++)
        out->regs[i] = exit_regs.regs[i];
    out->nregs = 6;
    return 1;
}

typedef void (*exit_fn)(int);
static exit_fn real_exit, real_quick_exit;

void mp_exits_resolve(void)
{
    aborts_resolve();
    if (!real_exit)
        real_exit = (exit_fn)mp_real_next("exit");
    if (!real_quick_exit)
        real_quick_exit = (exit_fn)mp_real_next("quick_exit");
}

enum { EXIT_EXIT = 0, EXIT_NOW = 1, EXIT_QUICK = 2 };

/* Called by the stubs below with the saved registers; never returns. */
__attribute__((noreturn, used, visibility("hidden"))) void mp_exit_entry(int status,
                                                                        const uintptr_t *save,
                                                                        int which);
void mp_exit_entry(int status, const uintptr_t *save, int which)
{
    for (int i = 0; i < 6; i++)
        exit_regs.regs[i] = save[i];
    exit_regs.sp = save[6];
    exit_regs.set = 1;
    if (__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE)) {
        /* under a seccomp filter: no report, no system call of memplumber's own */
        mp_exits_resolve();
        exit_fn f = which == EXIT_QUICK ? real_quick_exit : which == EXIT_EXIT ? real_exit : NULL;
        if (f)
            f(status);
        for (;;)
            mp_raw_exit_group(status);
    }
    mp_runtime_adopt_clone_child(); /* a raw clone child: its own report, as a fork child's */
    /* The last way out taken decides: exit() from an at_quick_exit handler (or quick_exit()
     * from an atexit handler that then reaches exit() again) flushes stdio, as natively. */
    if (getpid() == mp_runtime_pid) /* not a vfork child: it shares our memory */
        __atomic_store_n(&mp_exit_no_flush, which != EXIT_EXIT, __ATOMIC_RELEASE);
    if (which == EXIT_NOW) {
        struct mp_report_roots roots;
        mp_exit_roots(&roots);
        mp_runtime_before_exit_now(status, &roots);
    } else {
        /* Two threads calling exit at once: glibc runs the exit handlers in both; the second
         * would end the process while the first writes the report. It waits for the report.
         * The word holds the pid that started exiting: a vfork child calling exit() (not
         * _exit) writes it in our memory, and a fork child inherits it; neither is a thread of
         * this process whose report will come (the parent waited 60 s for nothing). Nor is
         * this thread's own earlier exit or quick_exit, below us on the stack (exit() from an
         * exit or at_quick_exit handler): the report comes only once we go on. */
        static int exit_started;
        static __thread int exiting;
        pid_t me = getpid();
        if (me == mp_runtime_pid) /* a vfork child ran our exit (quick_exit) handler */
            mp_runtime_exit_handler_check(which == EXIT_QUICK);
        int nested = exiting;
        exiting = 1;
        if (__atomic_exchange_n(&exit_started, (int)me, __ATOMIC_ACQ_REL) == (int)me && !nested &&
            mp_opt.report_on_exit && me == mp_runtime_pid)
            for (int i = 0; i < 60000 && !mp_final_report_done() &&
                            __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) >= MP_PHASE_TRACKING;
                 i++) {
                struct timespec ms = {0, 1000000};
                syscall(SYS_nanosleep, &ms, NULL);
            }
        mp_exits_resolve();
        exit_fn f = which == EXIT_QUICK ? real_quick_exit : real_exit;
        if (f)
            f(status);
    }
    for (;;)
        mp_raw_exit_group(status);
}

#if defined(__x86_64__)
/* Entry: the stack pointer is 8 mod 16; 56 bytes keep calls aligned. save[0..5] = rbx, rbp,
 * r12-r15 as the caller left them, save[6] = the stack pointer at entry. */
#define EXIT_STUB(name, which)                                                                  \
    ".globl " name "\n"                                                                         \
    ".type " name ", @function\n" name ":\n"                                                    \
    ".cfi_startproc\n"                                                                          \
    "    subq $56, %rsp\n"                                                                      \
    ".cfi_def_cfa_offset 64\n"                                                                  \
    "    movq %rbx, 0(%rsp)\n"                                                                  \
    "    movq %rbp, 8(%rsp)\n"                                                                  \
    "    movq %r12, 16(%rsp)\n"                                                                 \
    "    movq %r13, 24(%rsp)\n"                                                                 \
    "    movq %r14, 32(%rsp)\n"                                                                 \
    "    movq %r15, 40(%rsp)\n"                                                                 \
    "    leaq 56(%rsp), %rax\n"                                                                 \
    "    movq %rax, 48(%rsp)\n"                                                                 \
    "    movq %rsp, %rsi\n"                                                                     \
    "    movl $" #which ", %edx\n"                                                              \
    "    call mp_exit_entry\n"                                                                  \
    "    ud2\n"                                                                                 \
    ".cfi_endproc\n"                                                                            \
    ".size " name ", .-" name "\n"
__asm__(".text\n" EXIT_STUB("exit", 0) EXIT_STUB("_exit", 1) EXIT_STUB("_Exit", 1)
            EXIT_STUB("quick_exit", 2));
#else
MP_EXPORT void exit(int status)
{
    uintptr_t save[7] = {0, 0, 0, 0, 0, 0, (uintptr_t)__builtin_frame_address(0) + 16};
    mp_exit_entry(status, save, EXIT_EXIT);
}
MP_EXPORT void _exit(int status)
{
    uintptr_t save[7] = {0, 0, 0, 0, 0, 0, (uintptr_t)__builtin_frame_address(0) + 16};
    mp_exit_entry(status, save, EXIT_NOW);
}
MP_EXPORT void _Exit(int status) __attribute__((alias("_exit")));
MP_EXPORT void quick_exit(int status)
{
    uintptr_t save[7] = {0, 0, 0, 0, 0, 0, (uintptr_t)__builtin_frame_address(0) + 16};
    mp_exit_entry(status, save, EXIT_QUICK);
}
#endif
