/* memplumber report PID [--json FILE] [--html FILE] [--pprof FILE] [--new] [--min-age=SECONDS]
 *                       [--timeout=SECONDS]
 *
 * Asks a running process that memplumber observes for a leak report now (protocol:
 * common/live_proto.h). Nothing is sent to a process before it is known to be one of
 * memplumber's: its /proc/PID/maps must list libmemplumber.so, its rendezvous socket must exist,
 * and the socket's owner (SO_PEERCRED) must be that very pid and our user. No ptrace; a signal
 * only to wake an idle process that took no request up, has a handler for it and a thread that
 * does not block it (common/live_proto.h). The files are created here, with
 * this command's permissions and paths, and handed to the process as descriptors. */
#include "cli/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "common/live_proto.h"
#include "common/repfile.h"

#define EXIT_NO 1 /* no report: no such process, not observed, refused, failed */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Read one whole reply; 0, or -1 (errno set; 0 = the peer closed). */
static int read_reply(int s, struct mp_live_reply *r)
{
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t k = read(s, (char *)r + got, sizeof *r - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = 0;
            return -1;
        }
        got += (size_t)k;
    }
    return 0;
}

/* Is the thread waiting in sigwait()/sigwaitinfo()/sigtimedwait()? While it waits, /proc shows
 * the signals it waits for as unblocked, and a signal sent to it would be handed to the program
 * as if it were one of its own. wchan names the kernel function the thread sleeps in (readable
 * by the same user even where ptrace is restricted); the syscall file is the fallback. */
static int in_sigwait(long pid, const char *tid)
{
    char path[320], line[128];
    snprintf(path, sizeof path, "/proc/%ld/task/%s/wchan", pid, tid);
    FILE *f = fopen(path, "r");
    if (f) {
        int got = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        if (got && line[0] && strcmp(line, "0"))
            return !strncmp(line, "do_sigtimedwait", 15);
    }
    snprintf(path, sizeof path, "/proc/%ld/task/%s/syscall", pid, tid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    return got && atol(line) == SYS_rt_sigtimedwait && line[0] != '-';
}

struct peer_fd {
    long pid;
};

/* Is descriptor fd of process ctx->pid a socket with option `which` (SO_RCVTIMEO, SO_SNDTIMEO)
 * set? A copy of the descriptor (pidfd_getfd, the same access as the syscall file) is asked;
 * when none can be had, a socket counts as having one (-1): a wake signal there could hand the
 * program an EINTR. */
static int peer_sock_timeout(int fd, int which, void *vctx)
{
    const struct peer_fd *ctx = vctx;
    char path[96], target[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/%d", ctx->pid, fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return 0; /* closed meanwhile */
    target[n] = 0;
    if (strncmp(target, "socket:", 7))
        return 0;
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)ctx->pid, 0);
    int copy = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0) : -1;
    if (pidfd >= 0)
        close(pidfd);
    if (copy < 0)
        return -1;
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    int r = getsockopt(copy, SOL_SOCKET, which, &tv, &len);
    close(copy);
    return r != 0 ? -1 : tv.tv_sec != 0 || tv.tv_usec != 0;
}

/* Is the thread blocked in a system call that any signal handler makes return EINTR, whatever
 * SA_RESTART says (signal(7): nanosleep, poll, select, epoll_wait, pause, sigsuspend, System V
 * message and semaphore waits, io_getevents)? Waking it would hand the program an EINTR that
 * natively never comes: its sleep(30) would return at once, its event loop see an error (the
 * list: mp_live_eintr_wait, shared with the scan; some calls only on a socket with a timeout,
 * or with a timeout of their own). The syscall file is exact but needs ptrace
 * access (Yama's ptrace_scope=1 refuses it to a non-parent); wchan, readable by the same user,
 * is the fallback. Sets *what to the call's name. */
static int in_interruptible_wait(long pid, const char *tid, const char **what)
{
    /* kernel functions a thread sleeps in for those calls (names vary across versions;
     * poll_schedule_timeout serves poll and select) */
    static const struct {
        const char *prefix, *name;
    } wchans[] = {
        {"hrtimer_nanosleep", "nanosleep()"}, {"do_nanosleep", "nanosleep()"},
        {"poll_schedule_timeout", "poll() or select()"}, {"do_sys_poll", "poll()"},
        {"do_select", "select()"}, {"core_sys_select", "select()"},
        {"do_epoll_wait", "epoll_wait()"}, {"ep_poll", "epoll_wait()"},
        {"sys_pause", "pause()"}, {"__x64_sys_pause", "pause()"},
        {"sigsuspend()", "sigsuspend()"}, {"__x64_sys_rt_sigsuspend", "sigsuspend()"},
        {"do_msgrcv", "msgrcv()"}, {"do_msgsnd", "msgsnd()"}, {"do_semtimedop", "semop()"},
        {"read_events", "io_getevents()"},
    };
    char path[320], line[256];
    snprintf(path, sizeof path, "/proc/%ld/task/%s/syscall", pid, tid);
    FILE *f = fopen(path, "r");
    if (f) {
        int got = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        long nr;
        unsigned long arg[6];
        if (got && mp_live_parse_syscall(line, &nr, arg)) {
            struct peer_fd ctx = {pid};
            *what = mp_live_eintr_wait(nr, arg, peer_sock_timeout, &ctx);
            return *what != NULL;
        }
        if (got && (!strncmp(line, "running", 7) || line[0] == '-'))
            return 0; /* running, or not in a system call */
    }
    snprintf(path, sizeof path, "/proc/%ld/task/%s/wchan", pid, tid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!got)
        return 0;
    for (size_t i = 0; i < sizeof wchans / sizeof wchans[0]; i++)
        if (!strncmp(line, wchans[i].prefix, strlen(wchans[i].prefix))) {
            *what = wchans[i].name;
            return 1;
        }
    return 0;
}

/* Is the thread in execve()/execveat()? */
static int in_exec(long pid, const char *tid)
{
    char path[320], line[64];
    snprintf(path, sizeof path, "/proc/%ld/task/%s/syscall", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    long nr = got && line[0] >= '0' && line[0] <= '9' ? atol(line) : -1;
    return nr == SYS_execve || nr == SYS_execveat;
}

/* The process's signal mask and handler state for sig, from /proc: the id of a thread that can
 * take sig (the process has a handler for it (SigCgt), the thread does not block it, does not
 * wait for signals in sigwait and does not wait in a call the signal would make return EINTR),
 * else 0 with the reason in why; *retry is set when the reason may pass (a thread waiting in
 * such a call may be running the next moment). */
static long can_wake(long pid, int sig, char *why, size_t whylen, int *retry)
{
    *retry = 0;
    char path[96], line[256];
    unsigned long long bit = 1ull << (sig - 1);
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    int caught = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "SigCgt:", 7))
            caught = (strtoull(line + 7, NULL, 16) & bit) != 0;
    if (f)
        fclose(f);
    if (!caught) {
        snprintf(why, whylen, "signal %d has no handler in it (the program reset memplumber's)", sig);
        return 0;
    }
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    struct dirent *e;
    long open_thread = 0;
    int waiting = 0, execing = 0, busy_blocked = 0;
    const char *interruptible = NULL;
    while (d && (e = readdir(d)) && !open_thread) {
        if (e->d_name[0] == '.')
            continue;
        char tpath[320];
        snprintf(tpath, sizeof tpath, "/proc/%ld/task/%s/status", pid, e->d_name);
        FILE *t = fopen(tpath, "r");
        int open = 0, running = 0;
        while (t && fgets(line, sizeof line, t)) {
            if (!strncmp(line, "SigBlk:", 7) && !(strtoull(line + 7, NULL, 16) & bit))
                open = 1;
            if (!strncmp(line, "State:", 6) && strchr(line, 'R'))
                running = 1;
        }
        /* a running thread may block it for a moment only: memplumber's sigaction blocks
         * every signal while it changes a handler (a program that sets handlers in a loop) */
        if (!open && running)
            busy_blocked = 1;
        if (t)
            fclose(t);
        if (open && in_sigwait(pid, e->d_name)) {
            waiting = 1;
            open = 0;
        }
        if (open && in_interruptible_wait(pid, e->d_name, &interruptible))
            open = 0;
        if (open && in_exec(pid, e->d_name)) {
            /* a signal pending at exec outlives the image, whose handlers are SIG_DFL again:
             * memplumber's wake signal would kill the new program */
            open = 0;
            execing = 1;
        }
        if (open)
            open_thread = atol(e->d_name);
    }
    if (d)
        closedir(d);
    if (!open_thread && execing) {
        snprintf(why, whylen, "it is replacing its program (execve), and a signal sent now would "
                 "reach the new program");
        *retry = 1;
        return 0;
    }
    if (!open_thread && interruptible) {
        snprintf(why, whylen, "every thread of it that could take signal %d waits in %s, which the "
                 "signal would make return early (EINTR) as it never does natively", sig, interruptible);
        *retry = 1;
        return 0;
    }
    if (!open_thread && busy_blocked)
        *retry = 1; /* ask again at the next tick */
    if (!open_thread) {
        snprintf(why, whylen, waiting ? "every thread of it blocks signal %d or waits for signals in sigwait()"
                                      : "every thread of it blocks signal %d", sig);
        return 0;
    }
    return open_thread;
}

/* Wake an idle process that has taken no request up (see the protocol): the signal goes to one
 * thread that takes it in memplumber's handler, never to the process as a whole (the kernel
 * could hand it to a thread waiting in sigwait, that is to the program). */
static void wake(long pid, const char *comm, int last)
{
    char why[256];
    int sig = MP_LIVE_WAKE_SIGNAL, retry;
    long tid = can_wake(pid, sig, why, sizeof why, &retry);
    /* what may pass (a thread blocking the signal for a moment, one about to leave a wait):
     * look again a few times within this tick */
    for (int k = 0; !tid && retry && k < 50; k++) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        tid = can_wake(pid, sig, why, sizeof why, &retry);
    }
    if (!tid && retry && !last)
        return; /* ask again at the next tick */
    if (!tid)
        fail("process %ld (%s) has no memplumber thread running to take the request, is idle, and "
             "cannot be woken safely: %s. Start it with --report-thread=yes "
             "(or report_thread=yes in MEMPLUMBER_OPTIONS), or ask again once it allocates memory",
             pid, comm, why);
    /* sigqueue'd with memplumber's value: the process takes only this form as a wake request
     * (a plain kill of the signal gets the program's disposition) */
    siginfo_t si;
    mp_live_wake_info(&si, sig, (int)getpid(), (unsigned)getuid());
    syscall(SYS_rt_tgsigqueueinfo, (pid_t)pid, (pid_t)tid, sig, &si);
}

static void usage_die(const char *fmt, const char *arg)
{
    fprintf(stderr, "memplumber report: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: memplumber report PID [--json FILE] [--html FILE] [--pprof FILE] "
                    "[--new] [--min-age=SECONDS] [--timeout=SECONDS]\n");
    exit(MP_CLI_EXIT_USAGE);
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("memplumber report: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_NO);
}

static unsigned long parse_seconds(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    if (!v || !*v || *v == '-')
        usage_die("%s needs a number of seconds (0 or more)", opt);
    unsigned long n = strtoul(v, &end, 10);
    if (*end || errno || n > 0xffffffffUL)
        usage_die("%s: not a number of seconds (0 to 4294967295)", opt);
    return n;
}

/* The process's name, for messages ("" when unknown). */
static void comm_of(int pid, char *buf, size_t len)
{
    char path[64];
    buf[0] = 0;
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = 0;
    fclose(f);
}

/* The value of the line "KEY..." of /proc/PID/status (KEY with its colon) into out; 0 when the
 * file or the line is missing. */
static int status_field(long pid, const char *key, char *out, size_t n)
{
    char path[64], line[256];
    int found = 0;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    const size_t kl = strlen(key);
    while (!found && fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl)) {
            snprintf(out, n, "%s", line + kl);
            found = 1;
        }
    fclose(f);
    return found;
}

/* The process's own pid, as getpid() returns it there (the last NSpid of /proc/PID/status): it
 * differs from PID for a process in a PID namespace of its own (unshare -p, a container that
 * shares this network namespace). Its rendezvous is named with that pid; SO_PEERCRED still shows
 * PID here. PID itself when /proc does not say. */
static long own_pid_of(long pid)
{
    char v[256], *end;
    long inner = pid;
    if (status_field(pid, "NSpid:", v, sizeof v))
        for (char *p = v;; p = end) {
            const long x = strtol(p, &end, 10);
            if (x <= 0 || end == p)
                break;
            inner = x;
        }
    return inner;
}

/* The process a task belongs to (Tgid in /proc/PID/status), 0 when unknown. */
static long tgid_of(long pid)
{
    char v[256];
    return status_field(pid, "Tgid:", v, sizeof v) ? atol(v) : 0;
}

/* The user ids of process pid (real, effective, saved, file system: Uid: in /proc/PID/status,
 * readable by anyone) into ids[4]; how many were read. */
static int uids_of(long pid, long ids[4])
{
    char v[256], *end;
    int n = 0;
    if (!status_field(pid, "Uid:", v, sizeof v))
        return 0;
    for (char *p = v; n < 4; n++, p = end) {
        ids[n] = strtol(p, &end, 10);
        if (end == p)
            break;
    }
    return n;
}

/* The real user id of process pid, or -1. */
static long real_uid_of(long pid)
{
    long ids[4];
    return uids_of(pid, ids) ? ids[0] : -1;
}

char mp_report_proc_state(long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* Stops with the reason when the process cannot take a request up: it has exited (a zombie
 * whose parent has not collected it has no memory left to scan), or it is stopped (by SIGSTOP,
 * Ctrl-Z or a debugger) and would take the request only once continued: waiting for that could
 * take the whole --timeout. */
static void check_state(long pid, const char *comm, int exited_only)
{
    char s = mp_report_proc_state(pid);
    if (s == 0)
        fail("process %ld (%s) has exited", pid, comm);
    if (s == 'Z' || s == 'X')
        fail("process %ld (%s) has exited (its parent has not collected its status yet): "
             "there is nothing left to report on", pid, comm);
    if (exited_only)
        return;
    if (s == 'T')
        fail("process %ld (%s) is stopped (SIGSTOP, SIGTSTP or Ctrl-Z): it cannot take the "
             "request up until it is continued (kill -CONT %ld); ask again then", pid, comm, pid);
    if (s == 't')
        fail("process %ld (%s) is stopped by a debugger or tracer: continue it there, then ask "
             "again", pid, comm);
}

/* 1 if /proc/PID/maps lists libmemplumber.so, 0 if not; exits when it cannot be read. */
static int has_library(int pid, const char *comm)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f && errno == EACCES && getuid() != 0 && real_uid_of(pid) == (long)getuid())
        /* our own user's, yet unreadable: the kernel makes a process that is not dumpable
         * (prctl(PR_SET_DUMPABLE, 0), or one that changed its user or group) keep its /proc
         * files root's. "Another user?" sent people looking for the wrong cause. */
        fail("cannot read %s: process %d (%s) is not dumpable (it called prctl(PR_SET_DUMPABLE, "
             "0), or changed its user or group), so its /proc files are root's even for its own "
             "user; run memplumber report as root", path, pid, comm);
    if (!f)
        fail("cannot read %s: %s (a process of another user?); memplumber report reaches "
             "processes of the same user only", path, strerror(errno));
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *slash = strrchr(line, '/');
        found = slash && !strncmp(slash, "/libmemplumber.so", 17) &&
                (slash[17] == '\n' || slash[17] == 0 || slash[17] == ' ');
    }
    fclose(f);
    (void)comm;
    return found;
}

/* 1 for the system's names of the command's own descriptors (/dev/stdout, /dev/fd/1...): links
 * that no other user can plant, through which `--json /dev/stdout | jq` reaches the pipe. */
static int own_fd_name(const char *path)
{
    return !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/stderr") ||
           !strncmp(path, "/dev/fd/", 8) || !strncmp(path, "/proc/self/fd/", 14);
}

/* The output files are opened as the library opens its report files (common/repfile.c): they
 * hold addresses and command lines, and are often named in shared directories (/tmp), so a
 * symbolic link is not followed (another user could plant one at a file of ours), a FIFO is
 * refused instead of blocking this command for ever before --timeout even starts, and a new file
 * gets mode 0600 (report_mode's default), not 0666 minus the umask. */
static int open_out(const char *path)
{
    if (own_fd_name(path)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
            fail("cannot create '%s': %s", path, strerror(errno));
        /* the process refuses anything else (common/repfile.c), and would say so only on its
         * own stderr: `--json /dev/stdout | jq` gets the reason here, before it asks */
        struct stat st;
        if (!fstat(fd, &st) && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
            fail("cannot write the report to '%s': it is %s; report files must be regular files "
                 "or character devices (redirect to a file: > FILE)",
                 path, mp_file_type_name(st.st_mode & S_IFMT));
        return fd;
    }
    char why[256];
    int fd = mp_open_report_file(path, MP_REPFILE_WHOLE, 0600, why, sizeof why);
    if (fd < 0)
        fail("cannot create '%s': %s", path, why);
    return fd;
}

int mp_report_command(int argc, char **argv)
{
    /* argv[0] is "report" */
    const char *json = NULL, *html = NULL, *pprof = NULL, *pidarg = NULL;
    int only_new = 0, have_min_age = 0;
    unsigned long min_age = 0, timeout = 600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        const char *name = NULL, *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: memplumber report PID [--json FILE] [--html FILE] [--pprof FILE] [--new]\n"
                   "                         [--min-age=SECONDS] [--timeout=SECONDS]\n\n"
                   "Asks process PID, running under memplumber, for a leak report now. The text\n"
                   "report goes to stdout unless a file is named. The program keeps running.\n"
                   "  --json FILE      write the JSON report to FILE\n"
                   "  --html FILE      write the HTML report to FILE\n"
                   "  --pprof FILE     write a gzip-compressed pprof profile to FILE\n"
                   "  --new            only loss records new or grown since the previous check\n"
                   "  --min-age=S      loss records show only blocks allocated at least S seconds ago\n"
                   "  --timeout=S      give up waiting for the report after S seconds (default 600)\n"
                   "Exit status: 0 report written; 1 no report (no such process, not under\n"
                   "memplumber, refused, failed); 2 usage error.\n");
            exit(0);
        }
        if (!strcmp(a, "--new")) {
            only_new = 1;
            continue;
        }
        static const char *const names[] = {"--json", "--html", "--pprof", "--min-age", "--timeout"};
        for (int k = 0; k < 5; k++) {
            size_t n = strlen(names[k]);
            if (!strncmp(a, names[k], n) && (a[n] == 0 || a[n] == '=')) {
                name = names[k];
                if (a[n] == '=')
                    val = a + n + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    usage_die("%s needs a value", names[k]);
                break;
            }
        }
        if (!name) {
            if (a[0] == '-')
                usage_die("unknown option '%s' (valid: --json, --html, --pprof, --new, --min-age, "
                          "--timeout)", a);
            if (pidarg)
                usage_die("one process id only ('%s' is extra)", a);
            pidarg = a;
            continue;
        }
        if (!strcmp(name, "--json"))
            dst = &json;
        else if (!strcmp(name, "--html"))
            dst = &html;
        else if (!strcmp(name, "--pprof"))
            dst = &pprof;
        if (dst) {
            if (!*val)
                usage_die("%s needs a file name", name);
            *dst = val;
        } else if (!strcmp(name, "--min-age")) {
            min_age = parse_seconds(name, val);
            have_min_age = 1;
        } else {
            timeout = parse_seconds(name, val);
        }
    }
    if (!pidarg)
        usage_die("%s", "which process? give its pid");
    char *end;
    errno = 0;
    long pid = strtol(pidarg, &end, 10);
    if (*end || errno || pid <= 0 || pid > 0x3fffffff || pidarg[0] == '+' || pidarg[0] == '-')
        usage_die("'%s' is not a process id (a positive number)", pidarg);

    char procdir[64], comm[64];
    struct stat st;
    snprintf(procdir, sizeof procdir, "/proc/%ld", pid);
    if (stat(procdir, &st) != 0)
        fail("no process with pid %ld", pid);
    comm_of((int)pid, comm, sizeof comm);
    /* /proc/TID exists for a thread too (top -H, ps -L show them), but only a process has a
     * rendezvous: name the process the thread belongs to */
    long tgid = tgid_of(pid);
    if (tgid > 0 && tgid != pid) {
        char pcomm[64];
        comm_of((int)tgid, pcomm, sizeof pcomm);
        fail("%ld is a thread (%s) of process %ld (%s), not a process: ask for %ld", pid, comm,
             tgid, pcomm, tgid);
    }
    check_state(pid, comm, 1);
    if (!has_library((int)pid, comm))
        fail("process %ld (%s) is not running under memplumber: libmemplumber.so is not loaded in "
             "it. Start the program with 'memplumber PROGRAM' (or LD_PRELOAD=libmemplumber.so)",
             pid, comm);
    check_state(pid, comm, 0);

    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        fail("socket: %s", strerror(errno));
    struct sockaddr_un addr;
    long inner = own_pid_of(pid);
    socklen_t alen = mp_live_addr(&addr, (unsigned)geteuid(), (int)inner);
    int rc = connect(s, (struct sockaddr *)&addr, alen);
    /* The process names its rendezvous after the user it started as. Root asking about a
     * process of another user (started as nobody) looked for root's name and found nothing:
     * try the process's own user ids too (SO_PEERCRED below still checks it is that pid). */
    long ids[4];
    int nids = geteuid() == 0 ? uids_of(pid, ids) : 0;
    for (int i = 0; rc != 0 && i < nids; i++) {
        if (ids[i] == 0)
            continue;
        alen = mp_live_addr(&addr, (unsigned)ids[i], (int)inner);
        rc = connect(s, (struct sockaddr *)&addr, alen);
    }
    if (rc != 0)
        fail("process %ld (%s%s) has libmemplumber.so loaded but does not answer: no memplumber "
             "rendezvous for it (%s). It may be another user's, run in another network namespace, "
             "have closed or replaced memplumber's descriptor, run under a descriptor limit "
             "below 128 (memplumber then keeps no descriptor of its own), or use an older "
             "libmemplumber.so",
             pid, comm, inner != pid ? ", in a PID namespace of its own" : "", strerror(errno));
    struct ucred cr;
    socklen_t clen = sizeof cr;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &clen) != 0)
        fail("cannot check who answers for process %ld: %s", pid, strerror(errno));
    if (cr.pid != (pid_t)pid || (cr.uid != geteuid() && geteuid() != 0))
        fail("refusing: the rendezvous named for process %ld belongs to process %d (uid %u), "
             "not to it", pid, (int)cr.pid, (unsigned)cr.uid);

    /* Wait until the process takes the request up (MP_LIVE_ACCEPTED); only then are the output
     * descriptors sent: a request left waiting in the process's queue would keep them open (and a
     * pipe reading this command's output would never see its end). A process with no memplumber
     * thread running takes requests up the next time it allocates; if it has not within half a
     * second (an idle program), wake it with the signal memplumber's handler listens to, but only
     * when that handler is installed and a thread of the process does not block the signal (a
     * signal nobody handles could kill it). */
    struct mp_live_reply r;
    int woken = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int accepted = 0; !accepted;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (timeout && waited >= (double)timeout)
            fail("process %ld did not take the request up within %lu s (--timeout): it has no "
                 "memplumber thread running and does so when it allocates memory; start it with "
                 "--report-thread=yes to have an answer at once", pid, timeout);
        struct pollfd pfd = {s, POLLIN, 0};
        int n = poll(&pfd, 1, 500);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            check_state(pid, comm, 0);
            if (woken < 3) {
                wake(pid, comm, woken == 2);
                woken++;
            }
            continue;
        }
        if (read_reply(s, &r) != 0)
            fail("process %ld closed the connection without a report (it may have exited, or replaced its program with exec)", pid);
        if (r.magic == MP_LIVE_REPLY_MAGIC && r.status != MP_LIVE_ACCEPTED)
            break; /* refused before the request */
        accepted = 1;
    }

    struct mp_live_req q;
    memset(&q, 0, sizeof q);
    q.magic = MP_LIVE_REQ_MAGIC;
    q.version = MP_LIVE_VERSION;
    q.flags = (only_new ? MP_LIVE_NEW : 0) | (have_min_age ? MP_LIVE_MIN_AGE : 0);
    q.min_age_s = (uint32_t)min_age;
    int fds[4], nfds = 0;
    if (!json && !html && !pprof) {
        fflush(stdout);
        fds[nfds++] = 1;
        q.flags |= MP_LIVE_TEXT;
    }
    if (json) {
        fds[nfds++] = open_out(json);
        q.flags |= MP_LIVE_JSON;
    }
    if (html) {
        fds[nfds++] = open_out(html);
        q.flags |= MP_LIVE_HTML;
    }
    if (pprof) {
        fds[nfds++] = open_out(pprof);
        q.flags |= MP_LIVE_PPROF;
    }
    char cbuf[CMSG_SPACE(sizeof fds)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {&q, sizeof q};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    ssize_t w;
    do
        w = sendmsg(s, &m, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    int send_errno = w == (ssize_t)sizeof q ? 0 : errno ? errno : EIO;
    /* A refusal may come before the request is read (the process closed its end): the answer
     * is still there to read. */

    struct timeval tv = {(time_t)timeout, 0};
    if (timeout)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (r.magic == MP_LIVE_REPLY_MAGIC && r.status == MP_LIVE_ACCEPTED) {
        int rc = read_reply(s, &r);
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            fail("process %ld did not answer within %lu s (--timeout); the report may still be "
                 "written", pid, timeout);
        if (rc != 0 && send_errno)
            fail("cannot send the request to process %ld: %s", pid, strerror(send_errno));
        if (rc != 0)
            fail("process %ld closed the connection without a report (it may have exited, or replaced its program with exec)", pid);
    }
    if (r.magic != MP_LIVE_REPLY_MAGIC)
        fail("process %ld answered something that is not a memplumber reply", pid);
    r.message[sizeof r.message - 1] = 0;
    if (r.status == MP_LIVE_REFUSED)
        fail("process %ld refused: %s", pid, r.message);
    if (r.status != MP_LIVE_OK)
        fail("process %ld: %s", pid, r.message[0] ? r.message : "the report failed");
    return 0;
}
