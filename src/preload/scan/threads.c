/* Stop-the-world by signal (see threads.h). The handler uses only async-signal-safe operations
 * (atomics, futex, raw syscalls). */
#include "preload/scan/threads.h"

#include "common/live_proto.h"
#include "common/lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define STOP_SIGNAL (SIGRTMIN + 4 <= SIGRTMAX ? SIGRTMAX - 2 : SIGPWR)

pid_t mp_threads_hidden_tid[3];

static struct mp_thread_ctx *slots;
static int nslots;
static int resume_flag;
static int in_handler;
static int acks;
static int park_interrupted; /* set by mp_threads_resume(1) before it wakes the threads */
static int park_word;

/* The stop signal has a handler, so a blocking system call it interrupts that the kernel does
 * not restart with SA_RESTART (pause, sigsuspend, nanosleep, poll, epoll_wait, select, sem_wait
 * ...) returns EINTR to the program when the handler returns: the thread's state says so
 * (rax = -EINTR right after a syscall instruction). Natively no signal came: after the final
 * report such a thread stays in the handler until the process ends, rather than see an EINTR
 * of ours and act on it (main in pause() returning 0 while another thread's exit(2) reports). */
static int interrupted_syscall(const ucontext_t *uc)
{
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (uc->uc_mcontext.gregs[REG_RAX] != -EINTR || (rip & 0xfff) < 2)
        return 0;
    /* memplumber's own lock wait (a malloc of the program's that came while the report held the
     * block table): the EINTR only sends it round its loop, and the thread must go on after the
     * final report, as natively. Parked there, it kept whatever it held for good (the loader's
     * locks, inside dlopen): the rest of exit, or the report itself, waited for them forever. */
    if (rip - 2 == (uintptr_t)mp_mutex_wait_site)
        return 0;
    const unsigned char *p = (const unsigned char *)rip - 2;
    return p[0] == 0x0f && p[1] == 0x05;
}

/* A thread stopped inside a handler of the program's on its alternate signal stack: the stack
 * pointer of the code the outermost handler there interrupted (its own stack), so that the scan
 * reads that stack as live from there up instead of taking it for a finished thread's (whose
 * stale frames are not roots) and missing every pointer in the interrupted frames. The kernel's
 * signal frames hold the restorer (the return address of every handler glibc installs; this
 * frame's is just below uc) followed by the ucontext; the highest one whose saved stack pointer
 * is off the alternate stack is the outermost. 0 when not on it or none is found. */
static uintptr_t interrupted_below_altstack(const ucontext_t *uc, uintptr_t sp, uintptr_t alt_lo,
                                            uintptr_t alt_hi)
{
    if (sp < alt_lo || sp >= alt_hi)
        return 0;
    const uintptr_t restorer = *(const uintptr_t *)((uintptr_t)uc - 8);
    uintptr_t found = 0;
    for (uintptr_t a = sp & ~(uintptr_t)7; a + 8 + sizeof(ucontext_t) <= alt_hi; a += 8) {
        if (*(const uintptr_t *)a != restorer)
            continue;
        const ucontext_t *f = (const ucontext_t *)(a + 8);
        uintptr_t s = (uintptr_t)f->uc_mcontext.gregs[REG_RSP];
        if (s > 128 && (s < alt_lo || s >= alt_hi))
            found = s - 128; /* with the red zone */
    }
    return found;
}

static void stop_handler(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    pid_t me = (pid_t)syscall(SYS_gettid);
    __atomic_add_fetch(&in_handler, 1, __ATOMIC_ACQ_REL);
    ucontext_t *uc = ucv;
    for (int i = 0; i < nslots; i++) {
        if (slots[i].tid != me)
            continue;
        static const int map[MP_NREGS] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                          REG_RBP, REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12,
                                          REG_R13, REG_R14, REG_R15, REG_RIP};
        for (int r = 0; r < MP_NREGS; r++)
            slots[i].regs[r] = (uintptr_t)uc->uc_mcontext.gregs[map[r]];
        slots[i].sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        stack_t ss;
        if (syscall(SYS_sigaltstack, NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) && ss.ss_size) {
            slots[i].alt_lo = (uintptr_t)ss.ss_sp;
            slots[i].alt_hi = (uintptr_t)ss.ss_sp + ss.ss_size;
        }
        __asm__ volatile("mov %%fs:0, %0" : "=r"(slots[i].tp));
        slots[i].sp_other = interrupted_below_altstack(uc, slots[i].sp, slots[i].alt_lo,
                                                       slots[i].alt_hi);
        int intr = interrupted_syscall(uc);
        __atomic_store_n(&slots[i].stopped, 1, __ATOMIC_RELEASE);
        __atomic_add_fetch(&acks, 1, __ATOMIC_ACQ_REL);
        while (!__atomic_load_n(&resume_flag, __ATOMIC_ACQUIRE))
            syscall(SYS_futex, &resume_flag, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        if (intr && __atomic_load_n(&park_interrupted, __ATOMIC_ACQUIRE)) {
            __atomic_sub_fetch(&in_handler, 1, __ATOMIC_ACQ_REL);
            for (;;) /* every signal blocked (sa_mask): only the process's end takes it away */
                syscall(SYS_futex, &park_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        }
        break;
    }
    __atomic_sub_fetch(&in_handler, 1, __ATOMIC_ACQ_REL);
    errno = saved;
}

static struct sigaction old_action;
static int installed;
static int sent_count;

static int list_tids(pid_t *tids, int max)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192];
    int n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (long off = 0; off < r;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (d->name[0] >= '0' && d->name[0] <= '9' && n < max) {
                pid_t t = 0;
                for (const char *c = d->name; *c; c++)
                    t = t * 10 + (*c - '0');
                if (t != __atomic_load_n(&mp_threads_hidden_tid[0], __ATOMIC_RELAXED) &&
                    t != __atomic_load_n(&mp_threads_hidden_tid[1], __ATOMIC_RELAXED) &&
                    t != __atomic_load_n(&mp_threads_hidden_tid[2], __ATOMIC_RELAXED))
                    tids[n++] = t;
            }
            off += d->reclen;
        }
    }
    syscall(SYS_close, fd);
    return n;
}

/* Reads /proc/self/task/TID/NAME into buf (NUL-terminated); the length, or -1 if the task is
 * gone. */
static long read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
    char path[64] = "/proc/self/task/";
    size_t len = strlen(path);
    char digits[16];
    int nd = 0;
    for (pid_t t = tid; t > 0 && nd < (int)sizeof digits; t /= 10)
        digits[nd++] = (char)('0' + t % 10);
    while (nd > 0)
        path[len++] = digits[--nd];
    path[len++] = '/';
    size_t nl = strlen(name);
    if (len + nl >= sizeof path)
        return -1;
    memcpy(path + len, name, nl + 1);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = syscall(SYS_read, fd, buf, size - 1);
    syscall(SYS_close, fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/* Has the task begun to exit (PF_EXITING in /proc/self/task/TID/stat's flags field), or is it
 * gone? A thread that pthread_join has just returned for can still be listed for a moment: the
 * kernel wakes the joiner when it clears the thread's tid, before it removes the task. Such a
 * task never runs the program's code again. */
static int task_exiting(pid_t tid)
{
    char buf[1024];
    if (read_task_file(tid, "stat", buf, sizeof buf) <= 0)
        return 1;
    /* "tid (comm) S ppid pgrp session tty tpgid flags ...": comm may hold spaces and ')'. */
    const char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    for (int field = 3; field <= 9; field++) {
        while (*p == ' ')
            p++;
        if (field == 3 && (*p == 'Z' || *p == 'X' || *p == 'x'))
            return 1;
        if (field == 9) {
            unsigned long flags = 0;
            for (; *p >= '0' && *p <= '9'; p++)
                flags = flags * 10 + (unsigned long)(*p - '0');
            return (flags & 0x4UL) != 0; /* PF_EXITING */
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

/* Does the thread block sig (SigBlk in /proc/self/task/TID/status)? A signal it blocks would
 * stay pending and reach the program later: through sigwait()/sigwaitinfo()/signalfd, which
 * servers use to take every signal in one thread, or when it unblocks its signals. */
static int task_blocks(pid_t tid, int sig)
{
    char buf[2048];
    if (read_task_file(tid, "status", buf, sizeof buf) <= 0)
        return 0;
    const char *p = strstr(buf, "\nSigBlk:");
    if (!p)
        return 0;
    for (p += 8; *p == ' ' || *p == '\t'; p++)
        ;
    const char *end = p;
    while ((*end >= '0' && *end <= '9') || (*end >= 'a' && *end <= 'f'))
        end++;
    /* hexadecimal, most significant digit first: bit (sig - 1) is in the digit (sig - 1) / 4
     * from the end */
    int digit = (sig - 1) / 4;
    if (end - p <= digit)
        return 0;
    char c = end[-1 - digit];
    int v = c <= '9' ? c - '0' : c - 'a' + 10;
    return (v >> ((sig - 1) % 4)) & 1;
}

/* Is the thread waiting in sigwait()/sigwaitinfo()/sigtimedwait()? While it waits, the kernel
 * shows the signals it waits for as unblocked, and a signal sent to it is returned to the
 * program instead of running a handler. /proc/self/task/TID/syscall starts with the number
 * of the system call the thread is blocked in. */
static long task_syscall(pid_t tid)
{
    char buf[256];
    if (read_task_file(tid, "syscall", buf, sizeof buf) <= 0)
        return -1;
    long nr = 0;
    const char *p = buf;
    if (*p < '0' || *p > '9')
        return -1; /* "running", or "-1 ..." when not in a system call */
    for (; *p >= '0' && *p <= '9'; p++)
        nr = nr * 10 + (*p - '0');
    return nr;
}

/* Is the thread blocked in a system call that a signal handler makes return EINTR even under
 * SA_RESTART (signal(7))? Stopping it for a report taken while the program runs would hand the
 * program an EINTR that natively never comes (an event loop's epoll_wait, a worker's poll or
 * nanosleep, an accept or recv on a socket with SO_RCVTIMEO, a sem_timedwait). Such a thread is not stopped for those reports: like one that blocks the signal,
 * its stack is read whole and its registers are not. */
static int own_sock_timeout(int fd, int which, void *ctx)
{
    (void)ctx;
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    if (syscall(SYS_getsockopt, fd, SOL_SOCKET, which, &tv, &len) != 0)
        return 0; /* not a socket, or closed meanwhile */
    return tv.tv_sec != 0 || tv.tv_usec != 0;
}

static int unrestartable_wait(pid_t tid)
{
    char buf[256];
    long nr;
    unsigned long arg[6];
    /* Unreadable: the process is not dumpable (it changed its user, setuid from root to nobody,
     * or called prctl(PR_SET_DUMPABLE, 0)), and its task files are root's, mode 0400. What the
     * thread waits in cannot be known, so it is treated as one that could get the EINTR: left
     * running, its whole stack read. (Stopped, a worker in poll or nanosleep saw EINTR.) */
    if (read_task_file(tid, "syscall", buf, sizeof buf) <= 0)
        return 1;
    if (!mp_live_parse_syscall(buf, &nr, arg))
        return 0;
    return mp_live_eintr_wait(nr, arg, own_sock_timeout, NULL) != NULL;
}

/* The user stack pointer of a thread blocked in a system call: the next to last field of
 * /proc/self/task/TID/syscall ("NR ARG1 ... ARG6 SP PC"); 0 when unknown. */
static uintptr_t task_syscall_sp(pid_t tid)
{
    char buf[256];
    long n = read_task_file(tid, "syscall", buf, sizeof buf);
    if (n <= 0 || buf[0] < '0' || buf[0] > '9')
        return 0;
    uintptr_t f[9];
    int nf = 0;
    for (const char *p = buf; *p && nf < 9;) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            break;
        uintptr_t v = 0;
        if (p[0] == '0' && p[1] == 'x')
            for (p += 2; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
                v = v * 16 + (uintptr_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        else
            for (; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uintptr_t)(*p - '0');
        if (*p && *p != ' ' && *p != '\n')
            return 0;
        f[nf++] = v;
    }
    return nf == 9 ? f[7] : 0;
}

int mp_threads_count(void)
{
    static pid_t tids[MP_MAX_THREADS];
    pid_t me = (pid_t)syscall(SYS_gettid);
    int n = list_tids(tids, MP_MAX_THREADS), alive = 0;
    for (int i = 0; i < n; i++)
        if (tids[i] == me || !task_exiting(tids[i]))
            alive++;
    return alive;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    syscall(SYS_nanosleep, &ts, NULL);
}

/* Is a debugger (or strace) attached? Then the stop signal would reach it first: gdb stops the
 * program on every real-time signal it has not been told to pass. */
static int traced(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *t = strstr(buf, "TracerPid:");
    if (!t)
        return 0;
    for (t += 10; *t == ' ' || *t == '\t'; t++)
        ;
    return *t >= '1' && *t <= '9';
}

int mp_threads_stop(struct mp_thread_ctx *out, int max, int final)
{
    static pid_t tids[MP_MAX_THREADS];
    pid_t me = (pid_t)syscall(SYS_gettid), pid = getpid();
    int n = list_tids(tids, MP_MAX_THREADS), k = 0;
    for (int i = 0; i < n && k < max; i++) {
        if (tids[i] == me)
            continue;
        memset(&out[k], 0, sizeof out[k]);
        out[k].tid = tids[i];
        k++;
    }
    slots = out;
    nslots = k;
    __atomic_store_n(&resume_flag, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&acks, 0, __ATOMIC_RELEASE);
    if (!k)
        return 0;
    if (traced())
        return k; /* not stopped: their whole stacks are scanned, conservatively */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = stop_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(STOP_SIGNAL, &sa, &old_action) == 0)
        installed = 1;
    int sent = 0;
    for (int i = 0; i < k; i++) {
        /* A thread that blocks the signal is not sent it (it would not stop, and the program
         * would get the signal later); like a thread that does not answer, it is scanned
         * without being stopped. So is one waiting where the signal would be an EINTR, unless
         * this is the final report (which parks such a thread for good, see stop_handler). */
        if (task_blocks(out[i].tid, STOP_SIGNAL))
            continue;
        const long nr = task_syscall(out[i].tid);
        if (nr == SYS_rt_sigtimedwait || (!final && unrestartable_wait(out[i].tid))) {
            /* left running, blocked: its stack below the stack pointer (less the red zone) is
             * dead frames, whose stale pointers would keep lost blocks reachable, and reading
             * the whole mapping (8 MiB a thread) made the other threads wait that long */
            uintptr_t sp = task_syscall_sp(out[i].tid);
            if (sp > 128) {
                out[i].sp = sp - 128;
                out[i].sp_known = 1;
            }
            continue;
        }
        if (syscall(SYS_tgkill, pid, out[i].tid, STOP_SIGNAL) == 0)
            sent++;
    }
    sent_count = sent;
    /* Wait up to ~1 s for the answers. */
    for (int waited = 0; waited < 1000 && __atomic_load_n(&acks, __ATOMIC_ACQUIRE) < sent; waited++)
        sleep_ms(1);
    return k;
}

void mp_threads_resume(int final)
{
    __atomic_store_n(&park_interrupted, final, __ATOMIC_RELEASE);
    __atomic_store_n(&resume_flag, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &resume_flag, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
    for (int waited = 0; waited < 1000 && __atomic_load_n(&in_handler, __ATOMIC_ACQUIRE) > 0; waited++)
        sleep_ms(1);
    /* A thread that has not answered (signal blocked) will take the signal later: keep our
     * handler then (it finds no slot and returns) rather than let SIG_DFL kill the process. */
    if (installed && __atomic_load_n(&acks, __ATOMIC_ACQUIRE) >= sent_count) {
        sigaction(STOP_SIGNAL, &old_action, NULL);
        installed = 0;
    }
    nslots = 0;
}

/* ---- stacks of the threads we saw start ---- */

#include "common/lock.h"

#define MAX_STACKS 16384
static struct {
    uintptr_t lo, hi, tcb;
} known_stacks[MAX_STACKS];
static int nknown;
static struct mp_mutex stacks_lock = MP_MUTEX_INIT;

struct tls_low {
    uintptr_t lo, low;
};

static int lowest_tls(struct dl_phdr_info *info, size_t size, void *p)
{
    struct tls_low *t = p;
    const uintptr_t d = (uintptr_t)info->dlpi_tls_data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_tls_data) + sizeof info->dlpi_tls_data && d >= t->lo &&
        d < t->low)
        t->low = d;
    return 0;
}

void mp_threads_register_stack(uintptr_t lo, uintptr_t hi, uintptr_t tcb)
{
    /* The static TLS blocks sit right below the descriptor: once the thread has ended (not
     * joined yet, or joined and its stack cached but not reused) valgrind still reads its
     * __thread variables, so they stay roots too. Their lowest address, for this thread (the one
     * that is starting: dlpi_tls_data is the calling thread's). */
    struct tls_low t = {lo, tcb};
    dl_iterate_phdr(lowest_tls, &t);
    tcb = t.low;
    mp_mutex_lock(&stacks_lock);
    int found = 0;
    for (int i = 0; i < nknown; i++)
        if (known_stacks[i].lo == lo) {
            known_stacks[i].hi = hi;
            known_stacks[i].tcb = tcb;
            found = 1;
            break;
        }
    if (!found && nknown < MAX_STACKS) {
        known_stacks[nknown].lo = lo;
        known_stacks[nknown].hi = hi;
        known_stacks[nknown].tcb = tcb;
        nknown++;
    }
    mp_mutex_unlock(&stacks_lock);
}

void mp_threads_foreach_stack(void (*fn)(uintptr_t lo, uintptr_t hi, uintptr_t tcb, void *ctx),
                              void *ctx)
{
    for (int i = 0; i < nknown; i++)
        fn(known_stacks[i].lo, known_stacks[i].hi, known_stacks[i].tcb, ctx);
}
