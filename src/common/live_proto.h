/* The rendezvous between `memplumber report PID` (src/cli/report.c) and a process running under
 * memplumber (src/preload/runtime/live.c). The process listens on an abstract unix socket named
 * "memplumber.UID.PID" (no file to clean up; any process could bind a name, so both sides check
 * the other's credentials with SO_PEERCRED: the command wants the peer's pid to be PID and its
 * uid its own, the process wants its own uid or root). The command sends one mp_live_req with its
 * output descriptors attached (SCM_RIGHTS, in the order text, json, html, pprof, for the flags
 * set): the files are the command's, opened with its permissions and paths. The process answers
 * MP_LIVE_ACCEPTED when it takes the request, then one mp_live_reply when the report is written.
 * A process with no memplumber thread running takes requests up when it allocates, or when the
 * command wakes it with MP_LIVE_WAKE_SIGNAL. */
#ifndef MP_LIVE_PROTO_H
#define MP_LIVE_PROTO_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "common/fmt.h"

/* The system calls that any signal handler makes return EINTR, whatever SA_RESTART says
 * (signal(7): nanosleep, poll, select, epoll_wait, pause, sigsuspend, System V message and
 * semaphore waits, io_getevents): the name a user knows the call by, or NULL for another call. A
 * thread blocked in one is neither woken by the command (report.c) nor stopped by a report taken
 * while the program runs (scan/threads.c): natively its sleep(30) never returns early. */
static inline const char *mp_live_eintr_call(long nr)
{
    switch (nr) {
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
        return "nanosleep()";
    case SYS_poll:
    case SYS_ppoll:
        return "poll()";
    case SYS_select:
    case SYS_pselect6:
        return "select()";
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2:
#endif
        return "epoll_wait()";
    case SYS_pause:
        return "pause()";
    case SYS_rt_sigsuspend:
        return "sigsuspend()";
    case SYS_msgrcv:
        return "msgrcv()";
    case SYS_msgsnd:
        return "msgsnd()";
    case SYS_semop:
    case SYS_semtimedop:
        return "semop()";
    case SYS_io_getevents:
#ifdef SYS_io_pgetevents
    case SYS_io_pgetevents:
#endif
        return "io_getevents()";
    default:
        return NULL;
    }
}

/* Parses a line of /proc/.../task/TID/syscall ("NR ARG1 ... ARG6 SP PC", arguments in hex):
 * 1 with *nr and arg[0..5] set, 0 when the thread is running or not in a system call. */
static inline int mp_live_parse_syscall(const char *p, long *nr, unsigned long arg[6])
{
    if (*p < '0' || *p > '9')
        return 0;
    long n = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (*p - '0');
    *nr = n;
    for (int i = 0; i < 6; i++) {
        unsigned long v = 0;
        while (*p == ' ')
            p++;
        if (p[0] == '0' && p[1] == 'x')
            for (p += 2; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
                v = v * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        arg[i] = v;
    }
    return 1;
}

/* mp_live_eintr_call, and the calls that return EINTR under SA_RESTART only for some arguments
 * (signal(7), and the kernel's sock_intr_errno and futex_wait): a socket call (accept, read,
 * recv..., write, send..., connect) on a socket with a receive or send timeout (SO_RCVTIMEO,
 * SO_SNDTIMEO: servers and clients that poll with a timeout set them), and a futex wait with a
 * timeout (sem_timedwait, and programs' own futex waits, see an EINTR). sock_timeout(fd, which,
 * ctx) says whether descriptor fd of the thread is a socket whose option `which` (SO_RCVTIMEO or
 * SO_SNDTIMEO) is set: 1 yes, 0 no (not a socket, gone), -1 unknown (taken as yes). */
static inline const char *mp_live_eintr_wait(long nr, const unsigned long arg[6],
                                             int (*sock_timeout)(int fd, int which, void *ctx),
                                             void *ctx)
{
    const char *name = mp_live_eintr_call(nr);
    if (name)
        return name;
    int which = SO_RCVTIMEO;
    switch (nr) {
    case SYS_futex: {
        const unsigned long cmd = arg[1] & 127; /* FUTEX_CMD_MASK: less PRIVATE and CLOCK_REALTIME */
        /* FUTEX_WAIT (0) and FUTEX_WAIT_BITSET (9) with a timeout: -ERESTART_RESTARTBLOCK */
        return (cmd == 0 || cmd == 9) && arg[3] ? "a futex wait with a timeout (sem_timedwait())" : NULL;
    }
    case SYS_accept:
    case SYS_accept4:
        name = "accept() on a socket with a receive timeout (SO_RCVTIMEO)";
        break;
    case SYS_read:
    case SYS_readv:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_recvmmsg:
        name = "read() or recv() on a socket with a receive timeout (SO_RCVTIMEO)";
        break;
    case SYS_write:
    case SYS_writev:
    case SYS_sendto:
    case SYS_sendmsg:
    case SYS_sendmmsg:
        name = "write() or send() on a socket with a send timeout (SO_SNDTIMEO)";
        which = SO_SNDTIMEO;
        break;
    case SYS_connect:
        name = "connect() on a socket with a send timeout (SO_SNDTIMEO)";
        which = SO_SNDTIMEO;
        break;
    default:
        return NULL;
    }
    if (arg[0] > 0x7fffffffUL || !sock_timeout)
        return NULL;
    return sock_timeout((int)arg[0], which, ctx) ? name : NULL;
}

#define MP_LIVE_REQ_MAGIC 0x51524c4dU   /* "MLRQ" */
#define MP_LIVE_REPLY_MAGIC 0x50524c4dU /* "MLRP" */
#define MP_LIVE_VERSION 1

enum {
    MP_LIVE_NEW = 1,    /* only loss records new or grown since the previous check */
    MP_LIVE_TEXT = 2,   /* a descriptor for the text report follows */
    MP_LIVE_JSON = 4,
    MP_LIVE_HTML = 8,
    MP_LIVE_PPROF = 16,
    MP_LIVE_MIN_AGE = 32, /* min_age_s is set (else the process's min_age option) */
};

struct mp_live_req {
    uint32_t magic, version, flags;
    uint32_t min_age_s;
};

/* MP_LIVE_ACCEPTED comes first, as soon as the process takes the request (the command stops
 * waking it); then one of the others when the report is written or refused. */
enum { MP_LIVE_OK = 0, MP_LIVE_FAILED = 1, MP_LIVE_REFUSED = 2, MP_LIVE_ACCEPTED = 3 };

/* The signal whose handler (memplumber's, installed at start-up) starts the report thread in a
 * program that has none yet. The command sends it only to a process whose rendezvous answered
 * with its pid, that has a handler for it (SigCgt) and a thread that does not block it, and only
 * when the request was not taken up within half a second. */
#define MP_LIVE_WAKE_SIGNAL (SIGRTMIN + 5 <= SIGRTMAX ? SIGRTMAX - 3 : SIGPWR)

/* A wake request is sent with rt_tgsigqueueinfo (si_code SI_QUEUE) and this value: any other
 * delivery of the signal (kill, raise, the program's own sigqueue) gets the program's
 * disposition, the default action included. */
#define MP_LIVE_WAKE_VALUE 0x656b61776c706dULL /* "mplwake" */

static inline void mp_live_wake_info(siginfo_t *si, int sig, int pid, unsigned uid)
{
    memset(si, 0, sizeof *si);
    si->si_signo = sig;
    si->si_code = SI_QUEUE;
    si->si_pid = pid;
    si->si_uid = uid;
    si->si_value.sival_ptr = (void *)(uintptr_t)MP_LIVE_WAKE_VALUE;
}

struct mp_live_reply {
    uint32_t magic;
    int32_t status;       /* MP_LIVE_OK, MP_LIVE_FAILED (see message), MP_LIVE_REFUSED */
    uint32_t report_seq;  /* the report's report_seq when written */
    char message[500];    /* why not, for FAILED and REFUSED */
};

/* The socket address for (uid, pid); returns its length for bind/connect. */
static inline socklen_t mp_live_addr(struct sockaddr_un *a, unsigned uid, int pid)
{
    a->sun_family = AF_UNIX;
    a->sun_path[0] = 0;
    size_t n = mp_fmt(a->sun_path + 1, sizeof a->sun_path - 1, "memplumber.%u.%d", uid, pid);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

#endif
