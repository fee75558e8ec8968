/* Long-running programs: the heap clock, snapshots and growth suspects, and on-demand reports
 * asked for by `memplumber report PID` (see live.h for the two threads, common/live_proto.h for
 * the protocol).
 * The watch thread is created with clone() and no glibc thread descriptor: it must never call
 * code that relies on one (no stdio, no pthread_*, no malloc); it gets a private TLS area so
 * that what glibc's syscall() writes to errno lands there, not in the main thread's. */
#include "preload/runtime/live.h"

#include "memplumber.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/fmt.h"
#include "common/live_proto.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"
#include "preload/runtime/outfd.h"
#include "preload/runtime/own_thread.h"
#include "preload/record/heap.h"
#include "preload/hooks/real.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/runtime.h"
#include "preload/scan/threads.h"

/* ---- the clock ---- */

static uint64_t start_ms;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t since_start_ms(void) { return mono_ms() - start_ms; }

uint32_t mp_live_clock_now(void)
{
    uint32_t s = (uint32_t)(since_start_ms() / 1000) & MP_HEAP_TIME_MASK;
    /* Written only when it changes: every allocation reads it, on every core. */
    if (__atomic_load_n(&mp_heap_now, __ATOMIC_RELAXED) != s)
        __atomic_store_n(&mp_heap_now, s, __ATOMIC_RELAXED);
    return s;
}

/* ---- snapshots ---- */

#define NSNAP 512       /* samples kept; when full, every other one goes and the stride doubles */
#define NGROWTH 20      /* growth suspects in a report */

struct stack_acc {
    double n, st, sy, sty, stt; /* least squares of live bytes over time (t from first_ms) */
    uint64_t first_ms;
    int64_t first_bytes, last_bytes;
    int64_t high_bytes; /* the most live seen, and when (its growth may have stopped since) */
    uint64_t high_ms;
    uint32_t ups, downs;
};

static struct mp_mutex snap_lock = MP_MUTEX_INIT;
static struct mp_snapshot snaps[NSNAP];
static size_t nsnap;
static uint32_t snap_stride = 1, snap_skip;
static uint64_t snap_every_ms, next_snap_ms;
static struct stack_acc *acc;
static struct mp_growth growth[NGROWTH];
static int snapshots_on;

/* Per-stack counting and the accumulators (tool memory, pages touched as stack ids are used). */
static int snapshots_enable(void)
{
    if (snapshots_on)
        return 0;
    struct mp_heap_stack_live *c = mp_pages_alloc(MP_HEAP_STACK_LIVE_MAX * sizeof *c);
    acc = mp_pages_alloc(MP_HEAP_STACK_LIVE_MAX * sizeof *acc);
    if (!c || !acc)
        return -1;
    __atomic_store_n(&mp_heap_stack_live, c, __ATOMIC_RELEASE);
    snapshots_on = 1;
    return 0;
}

/* One sample (caller holds snap_lock). */
static void sample_locked(uint64_t now_ms)
{
    uint64_t na, ba, nf, bf;
    mp_heap_totals(&na, &ba, &nf, &bf);
    if (++snap_skip >= snap_stride) {
        snap_skip = 0;
        if (nsnap == NSNAP) {
            for (size_t i = 0; i < NSNAP / 2; i++)
                snaps[i] = snaps[2 * i];
            nsnap = NSNAP / 2;
            snap_stride *= 2;
        }
        snaps[nsnap].t_ms = now_ms;
        snaps[nsnap].live_bytes = ba - bf;
        snaps[nsnap].live_blocks = na - nf;
        nsnap++;
    }
    struct mp_heap_stack_live *c = mp_heap_stack_live;
    if (!c || !acc)
        return;
    uint32_t max = __atomic_load_n(&mp_heap_stack_live_max, __ATOMIC_RELAXED);
    for (uint32_t id = 1; id <= max && id < MP_HEAP_STACK_LIVE_MAX; id++) {
        int64_t y = __atomic_load_n(&c[id].bytes, __ATOMIC_RELAXED);
        struct stack_acc *a = &acc[id];
        if (a->n == 0) {
            if (y <= 0)
                continue;
            a->first_ms = now_ms;
            a->first_bytes = y;
            a->high_bytes = y;
            a->high_ms = now_ms;
        } else if (y > a->last_bytes) {
            a->ups++;
        } else if (y < a->last_bytes) {
            a->downs++;
        }
        if (y > a->high_bytes) {
            a->high_bytes = y;
            a->high_ms = now_ms;
        }
        double t = (double)(now_ms - a->first_ms) / 1000.0, v = (double)y;
        a->n += 1;
        a->st += t;
        a->sy += v;
        a->sty += t * v;
        a->stt += t * t;
        a->last_bytes = y;
    }
}

static void sample(uint64_t now_ms)
{
    mp_mutex_lock(&snap_lock);
    sample_locked(now_ms);
    mp_mutex_unlock(&snap_lock);
}

/* The stacks whose live bytes keep growing: a positive least-squares slope over at least three
 * samples, more rises than falls, more live now than when first seen, and a new high in the
 * later half of the time the stack has been watched (growth that levelled off, a cache filled
 * at start-up, is no longer a suspect: the slope alone would keep it one for good). Largest
 * slope first. */
static size_t rank_growth(uint64_t now_ms)
{
    size_t n = 0;
    struct mp_heap_stack_live *c = mp_heap_stack_live;
    if (!c || !acc)
        return 0;
    uint32_t max = __atomic_load_n(&mp_heap_stack_live_max, __ATOMIC_RELAXED);
    for (uint32_t id = 1; id <= max && id < MP_HEAP_STACK_LIVE_MAX; id++) {
        const struct stack_acc *a = &acc[id];
        if (a->n < 3 || a->ups <= a->downs || a->last_bytes <= a->first_bytes)
            continue;
        if ((now_ms - a->high_ms) * 2 > now_ms - a->first_ms)
            continue;
        double den = a->n * a->stt - a->st * a->st;
        if (den <= 0)
            continue;
        double slope = (a->n * a->sty - a->st * a->sy) / den;
        if (slope <= 0)
            continue;
        size_t at = n < NGROWTH ? n++ : NGROWTH;
        if (at == NGROWTH) {
            if (slope <= growth[NGROWTH - 1].bytes_per_second)
                continue;
            at = NGROWTH - 1;
        }
        while (at > 0 && growth[at - 1].bytes_per_second < slope) {
            growth[at] = growth[at - 1];
            at--;
        }
        int64_t b = __atomic_load_n(&c[id].bytes, __ATOMIC_RELAXED);
        int64_t k = __atomic_load_n(&c[id].blocks, __ATOMIC_RELAXED);
        growth[at].bytes_per_second = slope;
        growth[at].live_bytes = b > 0 ? (uint64_t)b : 0;
        growth[at].live_blocks = k > 0 ? (uint64_t)k : 0;
        growth[at].stack = id;
    }
    return n;
}

void mp_live_fill_report(struct mp_report_input *in)
{
    in->snapshots_on = snapshots_on;
    in->snapshot_interval_s = mp_opt.snapshot_interval;
    if (!snapshots_on)
        return;
    mp_mutex_lock(&snap_lock);
    uint64_t now_ms = since_start_ms();
    sample_locked(now_ms); /* the report's own moment ends the series */
    in->snapshots = snaps;
    in->nsnapshots = nsnap;
    in->ngrowth = rank_growth(now_ms);
    in->growth = growth;
    mp_mutex_unlock(&snap_lock);
}

/* ---- the report thread ---- */

static int helper_pipe[2] = {-1, -1};
static int listen_fd = -1; /* the rendezvous, listening (non-blocking) */
static int helper_state; /* 0 none, 1 starting, 2 running */
static int watch_state;  /* 0 none, 1 started */

/* memplumber's descriptors here (the rendezvous, the report thread's pipe) sit at the top of the
 * descriptor range (outfd.h), far from the numbers the program gets, and each is recorded with
 * its identity: a program may still put a file of its own at that number (dup2, bash's
 * `exec N>file`), after closing ours or not. Before every poll, accept, write or close the number
 * must still hold memplumber's file; if not, memplumber forgets it and never touches the
 * number again (the program's descriptor). */
static struct mp_fdid listen_id = {.fd = -1}, pipe_id[2] = {{.fd = -1}, {.fd = -1}};

/* Is the recorded descriptor still memplumber's? Forgets it if not. Only fstat: runs on the
 * watch thread too. */
static int still_ours(struct mp_fdid *id)
{
    if (id->fd < 0)
        return 0;
    if (mp_outfd_same(id))
        return 1;
    id->fd = -1;
    return 0;
}

/* The rendezvous descriptor if it is still ours, else -1 (and forgotten). */
static int our_listen_fd(void)
{
    int lfd = __atomic_load_n(&listen_fd, __ATOMIC_ACQUIRE);
    if (lfd < 0)
        return -1;
    if (!still_ours(&listen_id)) {
        __atomic_store_n(&listen_fd, -1, __ATOMIC_RELEASE);
        return -1;
    }
    return lfd;
}

static void forget_listen(void)
{
    __atomic_store_n(&listen_fd, -1, __ATOMIC_RELEASE);
}

/* The report thread's pipe at the top of the range, or none. */
static int make_helper_pipe(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    int r = mp_outfd_place_high(p[0]);
    int w = mp_outfd_place_high(p[1]);
    if (r < 0 || w < 0) {
        if (r >= 0)
            close(r);
        if (w >= 0)
            close(w);
        return -1;
    }
    helper_pipe[0] = r;
    helper_pipe[1] = w;
    mp_outfd_record(&pipe_id[0], r, NULL);
    mp_outfd_record(&pipe_id[1], w, NULL);
    return 0;
}

int mp_live_in_create;

/* Written into the report thread's pipe instead of a request's descriptor: end now. */
#define HELPER_EXIT (-2)

static void serve(int conn);
static int take_request(void);

/* The report thread: serves the requests the watch thread hands over (pipe) and those it
 * accepts itself at the rendezvous (when no watch thread runs). */
static void *helper_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    mp_own_thread_hide(&mp_threads_hidden_tid[1]);
    for (;;) {
        int lfd = our_listen_fd();
        int pfd0 = still_ours(&pipe_id[0]) ? helper_pipe[0] : -1;
        if (lfd < 0 && pfd0 < 0)
            mp_own_thread_park(); /* never returns: uncounted (own_thread.h) */
        struct pollfd pfd[2] = {{pfd0, POLLIN, 0}, {lfd, POLLIN, 0}};
        int n = poll(pfd, 2, -1); /* a negative descriptor is left out */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            mp_own_thread_park();
        if (lfd >= 0 && (pfd[1].revents & (POLLNVAL | POLLERR | POLLHUP)))
            forget_listen();
        else if (lfd >= 0 && (pfd[1].revents & POLLIN)) {
            int conn = take_request();
            if (conn >= 0) {
                serve(conn);
                close(conn);
            }
        }
        if (pfd0 < 0)
            continue;
        if (pfd[0].revents & POLLIN) {
            int fd;
            if (!still_ours(&pipe_id[0]))
                continue;
            ssize_t r = read(pfd0, &fd, sizeof fd);
            if (r < 0 && errno == EINTR)
                continue;
            if (r != (ssize_t)sizeof fd) {
                pipe_id[0].fd = -1;
                continue;
            }
            if (fd == HELPER_EXIT) /* mp_live_stop_report_thread: gone, for the kernel too */
                for (;;)
                    syscall(SYS_exit, 0);
            serve(fd);
            close(fd);
        } else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
            pipe_id[0].fd = -1;
    }
    return NULL;
}

#define HELPER_STACK ((size_t)2 << 20)

static void start_helper(void)
{
    int none = 0;
    if (!__atomic_compare_exchange_n(&helper_state, &none, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    int g = mp_guard_enter();
    if (helper_pipe[0] < 0 && make_helper_pipe()) {
        __atomic_store_n(&helper_state, 0, __ATOMIC_RELEASE);
        mp_guard_leave(g);
        return;
    }
    /* Out of glibc's count, on a stack of tool memory, hidden from the program's thread list
     * before it may run a report (own_thread.h). */
    int rc = mp_own_thread_start(helper_main, HELPER_STACK, &mp_threads_hidden_tid[1]);
    __atomic_store_n(&helper_state, rc == 0 ? 2 : 0, __ATOMIC_RELEASE);
    mp_guard_leave(g);
}

/* A soft RLIMIT_NPROC below this (a process not run by root) is a budget of tasks the program
 * counts on: memplumber's report thread, started with the program's first thread, took one of
 * them, and the program's last pthread_create failed with EAGAIN where it succeeded natively. */
#define NPROC_TIGHT 1024

static int nproc_tight(void)
{
    struct rlimit rl;
    if (syscall(SYS_getrlimit, RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    return rl.rlim_cur < NPROC_TIGHT && geteuid() != 0;
}

void mp_live_thread_created(void)
{
    /* under a tight task limit the report thread starts only when a request comes (an
     * allocating thread's look at the rendezvous, mp_live_poll) */
    if (__atomic_load_n(&helper_state, __ATOMIC_ACQUIRE) == 0 && mp_tls.state == MP_IN_PROGRAM &&
        !nproc_tight())
        start_helper();
}

/* The signal the watch thread sends the main thread of a single-threaded program to have the
 * report thread started (a real-time signal next to the scan's stop signal). */
#define WAKE_SIGNAL MP_LIVE_WAKE_SIGNAL

/* A wake request (exit.c identifies it: sent by memplumber, see MP_LIVE_WAKE_VALUE), in a signal
 * handler: start the report thread, only where starting a thread is safe: not inside the
 * allocator, memplumber or pthread_create (the sender asks again). */
static void wake_request(void)
{
    /* A threaded program started the report thread with its first thread, unless its task
     * limit is tight: it then takes requests up as it allocates, and is not woken to start one
     * from a handler (another of its threads could hold a lock pthread_create takes). */
    if (mp_tls.state == MP_IN_PROGRAM && !__atomic_load_n(&mp_live_in_create, __ATOMIC_ACQUIRE) &&
        (__libc_single_threaded || !nproc_tight()))
        start_helper();
}

/* Serve one request on the report thread. */
static void reply(int conn, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reply(int conn, int status, const char *fmt, ...)
{
    struct mp_live_reply r;
    memset(&r, 0, sizeof r);
    r.magic = MP_LIVE_REPLY_MAGIC;
    r.status = status;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        mp_vfmt(r.message, sizeof r.message, fmt, ap);
        va_end(ap);
    }
    mp_write_all(conn, (const char *)&r, sizeof r);
}

static void serve(int conn)
{
    struct mp_live_req q;
    memset(&q, 0, sizeof q);
    int fds[4] = {-1, -1, -1, -1};
    char cbuf[CMSG_SPACE(sizeof fds)];
    struct iovec iov = {&q, sizeof q};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    ssize_t n;
    do
        n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    int nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (nfds < 4)
                    fds[nfds++] = fd;
                else
                    close(fd);
            }
        }
    int want = !!(q.flags & MP_LIVE_TEXT) + !!(q.flags & MP_LIVE_JSON) +
               !!(q.flags & MP_LIVE_HTML) + !!(q.flags & MP_LIVE_PPROF);
    if (n != (ssize_t)sizeof q || q.magic != MP_LIVE_REQ_MAGIC || q.version != MP_LIVE_VERSION ||
        nfds != want) {
        reply(conn, MP_LIVE_REFUSED, "malformed request (a memplumber command of another version?)");
    } else if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING) {
        reply(conn, MP_LIVE_REFUSED, "the process is exiting (its exit report is being written)");
    } else {
        char paths[3][64];
        struct mp_report_request req;
        memset(&req, 0, sizeof req);
        req.text_fd = -1;
        req.only_new = !!(q.flags & MP_LIVE_NEW);
        req.min_age_s = q.flags & MP_LIVE_MIN_AGE ? (long)q.min_age_s : -1;
        int at = 0;
        if (q.flags & MP_LIVE_TEXT)
            req.text_fd = fds[at++];
        const char **dst[3] = {&req.json_path, &req.html_path, &req.pprof_path};
        const unsigned bits[3] = {MP_LIVE_JSON, MP_LIVE_HTML, MP_LIVE_PPROF};
        for (int i = 0; i < 3; i++)
            if (q.flags & bits[i]) {
                mp_fmt(paths[i], sizeof paths[i], "/proc/self/fd/%d", fds[at++]);
                *dst[i] = paths[i];
            }
        int rc = mp_runtime_report_req("requested by memplumber report", 0, &req);
        if (rc)
            reply(conn, MP_LIVE_FAILED, "the report could not be written completely (see the "
                                        "program's stderr)");
        else
            reply(conn, MP_LIVE_OK, NULL);
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
}

/* ---- the watch thread ---- */

static pid_t main_tid;
static unsigned my_uid;

/* Is sig blocked in thread tid? (/proc/self/task/TID/status, SigBlk) -1: unknown. */
static int blocked_in(pid_t tid, int sig)
{
    char path[64], buf[4096];
    mp_fmt(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *p = strstr(buf, "SigBlk:");
    if (!p)
        return -1;
    for (p += 7; *p == ' ' || *p == '\t'; p++)
        ;
    uint64_t mask = 0;
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
        mask = mask << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    return (int)(mask >> (sig - 1) & 1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
    syscall(SYS_nanosleep, &ts, NULL);
}

/* Refuse a request from the watch thread (no report thread to do it). */
static void refuse(int conn, const char *fmt, int a, int b)
{
    struct mp_live_reply r;
    memset(&r, 0, sizeof r);
    r.magic = MP_LIVE_REPLY_MAGIC;
    r.status = MP_LIVE_REFUSED;
    mp_fmt(r.message, sizeof r.message, fmt, a, b);
    syscall(SYS_write, conn, &r, sizeof r);
}

/* The report thread ends, for the kernel too (see live.h); a later request starts another. The
 * thread leaves by the exit system call, not through glibc (it was never counted as one of the
 * program's threads, see own_thread.h); its stack, tool memory, is not given back. */
int mp_live_stop_report_thread(void)
{
    if (__atomic_load_n(&helper_state, __ATOMIC_ACQUIRE) != 2)
        return 0;
    const pid_t tid = __atomic_load_n(&mp_threads_hidden_tid[1], __ATOMIC_ACQUIRE);
    const int cmd = HELPER_EXIT;
    if (tid <= 0 || !still_ours(&pipe_id[1]) ||
        syscall(SYS_write, helper_pipe[1], &cmd, sizeof cmd) != (long)sizeof cmd)
        return 0;
    /* A report it is writing is finished first; two seconds at most. */
    for (int i = 0; i < 200; i++) {
        if (syscall(SYS_tgkill, getpid(), tid, 0) != 0 && errno == ESRCH) {
            __atomic_store_n(&mp_threads_hidden_tid[1], 0, __ATOMIC_RELEASE);
            __atomic_store_n(&helper_state, 0, __ATOMIC_RELEASE);
            return 1;
        }
        sleep_ms(10);
    }
    return 0;
}

/* Get the report thread running; 0, or -1 after refusing the request with the reason. */
static int ensure_helper(int conn)
{
    if (__atomic_load_n(&helper_state, __ATOMIC_ACQUIRE) == 2)
        return 0;
    int sig = WAKE_SIGNAL;
    if (!mp_signals_wake_ready()) {
        refuse(conn, "the program ignores signal %d, which memplumber needs to start its report "
                     "thread in a single-threaded process (pid %d); start it with "
                     "--report-thread=yes",
               sig, (int)getpid());
        return -1;
    }
    if (blocked_in(main_tid, sig) == 1) {
        refuse(conn, "the process (pid %d) is single-threaded and its thread blocks signal %d, "
                     "which memplumber needs to start its report thread; start the program with "
                     "--report-thread=yes (or report_thread=yes in MEMPLUMBER_OPTIONS)",
               (int)getpid(), sig);
        return -1;
    }
    /* Ask, and ask again while the main thread is somewhere a thread cannot be started from. */
    for (int tries = 0; tries < 100; tries++) {
        siginfo_t si;
        mp_live_wake_info(&si, sig, (int)getpid(), (unsigned)getuid());
        if (tries % 5 == 0 && syscall(SYS_rt_tgsigqueueinfo, getpid(), main_tid, sig, &si) != 0)
            break;
        sleep_ms(20);
        if (__atomic_load_n(&helper_state, __ATOMIC_ACQUIRE) == 2)
            return 0;
    }
    refuse(conn, "the program (pid %d) did not let memplumber start its report thread within 2 s "
                 "(signal %d not handled); start it with --report-thread=yes",
           (int)getpid(), sig);
    return -1;
}

/* Accept one waiting request from a process of our user (or root) and tell it the request is
 * taken (MP_LIVE_ACCEPTED: the command stops waking the program). -1 if none. Raw system calls:
 * runs on the watch thread too. */
static int take_request(void)
{
    int lfd = our_listen_fd();
    if (lfd < 0)
        return -1;
    int conn = (int)syscall(SYS_accept4, lfd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
        if (errno == ENOTSOCK || errno == EINVAL || errno == EBADF || errno == EOPNOTSUPP)
            forget_listen(); /* not (or no longer) a listening socket: stop polling it */
        return -1;
    }
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (syscall(SYS_getsockopt, conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
        (cr.uid != my_uid && cr.uid != 0)) {
        syscall(SYS_close, conn);
        return -1;
    }
    struct timeval tv = {10, 0};
    syscall(SYS_setsockopt, conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct mp_live_reply r;
    memset(&r, 0, sizeof r);
    r.magic = MP_LIVE_REPLY_MAGIC;
    r.status = MP_LIVE_ACCEPTED;
    syscall(SYS_sendto, conn, &r, sizeof r, MSG_NOSIGNAL, NULL, 0);
    return conn;
}

static void accept_one(void)
{
    int conn = take_request();
    if (conn < 0)
        return;
    if (ensure_helper(conn) || !still_ours(&pipe_id[1]) ||
        syscall(SYS_write, helper_pipe[1], &conn, sizeof conn) != sizeof conn)
        syscall(SYS_close, conn);
}

static int watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t now = since_start_ms();
        long wait = 1000 - (long)(now % 1000); /* to the next second */
        if (snap_every_ms) {
            if (now >= next_snap_ms) {
                sample(now);
                next_snap_ms = now + snap_every_ms;
            }
            if ((long)(next_snap_ms - now) < wait)
                wait = (long)(next_snap_ms - now);
        }
        int lfd = our_listen_fd();
        struct pollfd pfd = {lfd, POLLIN, 0};
        struct timespec ts = {wait / 1000, wait % 1000 * 1000000L};
        long r = syscall(SYS_ppoll, &pfd, lfd >= 0 ? 1 : 0, &ts, NULL, 8);
        mp_live_clock_now();
        if (r > 0 && (pfd.revents & (POLLNVAL | POLLERR | POLLHUP)))
            forget_listen(); /* the program closed our descriptor: no more requests */
        else if (r > 0 && (pfd.revents & POLLIN))
            accept_one();
    }
    return 0;
}

#define WATCH_STACK (64 * 1024)
#define WATCH_TLS (128 * 1024)

static void start_watch(void)
{
    int none = 0;
    if (!__atomic_compare_exchange_n(&watch_state, &none, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    char *stack = mp_pages_alloc(WATCH_STACK);
    char *tls = mp_pages_alloc(WATCH_TLS);
    if (!stack || !tls)
        return;
    /* A TLS block of its own: fs points at a self-pointing "TCB" near the top; the static TLS
     * (errno among it) lies below, in this zeroed area. The stack guard is copied. */
    uintptr_t *tcb = (uintptr_t *)(tls + WATCH_TLS - 4096);
    tcb[0] = (uintptr_t)tcb;
    tcb[2] = (uintptr_t)tcb;
    uintptr_t guard;
    __asm__ volatile("mov %%fs:0x28, %0" : "=r"(guard));
    tcb[5] = guard;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread starts with every signal blocked */
    pid_t tid = 0;
    int rc = clone(watch_main, stack + WATCH_STACK,
                   CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                       CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID,
                   NULL, &tid, tcb, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc > 0)
        __atomic_store_n(&mp_threads_hidden_tid[0], (pid_t)rc, __ATOMIC_RELEASE);
}


static void open_rendezvous(void)
{
    struct sockaddr_un a;
    socklen_t len = mp_live_addr(&a, my_uid, (int)getpid());
    /* At the top of the descriptor range; under a low descriptor limit none at all (the
     * command then says the process does not answer). */
    int fd = mp_outfd_place_high(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd < 0)
        return;
    if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 8)) {
        close(fd);
        return;
    }
    mp_outfd_record(&listen_id, fd, NULL);
    if (listen_id.fd >= 0)
        listen_fd = fd;
    else
        close(fd);
}

static void live_start(void)
{
    main_tid = (pid_t)syscall(SYS_getpid);
    my_uid = (unsigned)geteuid();
    open_rendezvous();
    /* No thread of memplumber's at start-up unless asked for: a second thread, even one glibc
     * does not see, makes the kernel refuse unshare(CLONE_NEWUSER / CLONE_NEWNS) and setns to
     * the program, and shows in /proc/self/task. Snapshots need the watch thread; otherwise
     * the program's own allocations pick up report requests (mp_live_poll). */
    if (snap_every_ms || mp_opt.report_thread)
        start_watch();
    if (mp_opt.report_thread)
        start_helper();
}

/* Called from the allocation hook every MP_LIVE_POLL_EVERY allocations of a thread, in the
 * program's state (no tool lock held): advance the clock; if a report request waits at the
 * rendezvous and no report thread runs yet, start it (it accepts the request). */
void mp_live_poll(void)
{
    mp_live_clock_now();
    int lfd = __atomic_load_n(&listen_fd, __ATOMIC_RELAXED);
    if (lfd < 0 || __atomic_load_n(&helper_state, __ATOMIC_ACQUIRE))
        return;
    struct pollfd pfd = {lfd, POLLIN, 0};
    /* The identity is checked only when the number shows something (a poll costs no more than
     * before): polling a descriptor of the program's reads nothing from it. */
    if (syscall(SYS_poll, &pfd, 1, 0) == 1 && our_listen_fd() >= 0) {
        if (pfd.revents & (POLLNVAL | POLLERR | POLLHUP))
            forget_listen();
        else if (pfd.revents & POLLIN)
            start_helper();
    }
}

/* A poll costs two system calls (the clock, then poll on the rendezvous): a few microseconds
 * on a virtual machine, where they were 4% of a realloc loop's time when made every 1,024
 * allocations. A thread polls at most once per tick of the coarse monotonic clock (1-4 ms), read
 * through the vDSO without a system call: a report request still waits no longer than that, the
 * clock stays far finer than its one-second ticks. libc's own clock_gettime, looked up in libc
 * itself (a program or a preloaded library may interpose the name, and allocate in it); not the
 * time stamp counter, which a process can make fault (prctl PR_SET_TSC). Without it (no libc
 * found, or the call fails), every 64th hint polls, as before. */
typedef int (*clock_fn)(clockid_t, struct timespec *);
static clock_fn libc_clock;

static void find_libc_clock(void)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return;
    libc_clock = (clock_fn)dlsym(h, "clock_gettime");
    dlclose(h);
}

static inline int poll_due(void)
{
    struct timespec ts;
    if (!libc_clock || libc_clock(CLOCK_MONOTONIC_COARSE, &ts))
        return 1;
    const uint64_t tick = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (tick == mp_tls.last_poll)
        return 0;
    mp_tls.last_poll = tick;
    return 1;
}

__attribute__((noinline)) void mp_live_poll_hint(void)
{
    if (++mp_tls.allocs % MP_LIVE_POLL_EVERY == 0 && !__atomic_load_n(&mp_sandboxed, __ATOMIC_RELAXED) &&
        poll_due())
        mp_live_poll();
}

void mp_live_init(void)
{
    find_libc_clock();
    start_ms = mono_ms();
    snap_every_ms = (uint64_t)mp_opt.snapshot_interval * 1000;
    if (snap_every_ms) {
        if (snapshots_enable())
            snap_every_ms = 0;
        next_snap_ms = snap_every_ms;
    }
    mp_signals_wake_init(WAKE_SIGNAL, wake_request);
    live_start();
}

void mp_live_child_after_fork(void)
{
    /* Threads do not survive fork: neither the watch thread nor the report thread. The parent's
     * rendezvous is the parent's. The snapshot series so far is the parent's history, kept. */
    mp_mutex_init(&snap_lock);
    __atomic_store_n(&mp_threads_hidden_tid[0], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&mp_threads_hidden_tid[1], 0, __ATOMIC_RELAXED);
    helper_state = 0;
    watch_state = 0;
    mp_live_in_create = 0;
    /* Closed only if the numbers still hold memplumber's files: the program may have put its
     * own there (its descriptor, which the child uses). */
    if (listen_fd >= 0 && still_ours(&listen_id))
        close(listen_fd);
    listen_fd = -1;
    listen_id.fd = -1;
    for (int i = 0; i < 2; i++) {
        if (helper_pipe[i] >= 0 && still_ours(&pipe_id[i]))
            close(helper_pipe[i]);
        helper_pipe[i] = -1;
        pipe_id[i].fd = -1;
    }
    mp_report_child_after_fork();
    live_start();
}

/* ---- the public API (include/memplumber.h) ---- */

MP_EXPORT int memplumber_report_new(void)
{
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING ||
        mp_tls.state != MP_IN_PROGRAM)
        return -1;
    struct mp_report_request req;
    memset(&req, 0, sizeof req);
    req.use_config = 1; /* the configured destinations */
    req.only_new = 1;
    req.min_age_s = -1;
    return mp_runtime_report_req("on demand (memplumber_report_new)", 0, &req);
}

MP_EXPORT int memplumber_snapshot(void)
{
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING ||
        mp_tls.state != MP_IN_PROGRAM)
        return -1;
    int g = mp_guard_enter();
    int rc = snapshots_enable();
    if (rc == 0)
        sample(since_start_ms());
    mp_guard_leave(g);
    return rc;
}
