/* memplumber [options] [--] program [args...]
 *
 * Validates the options (args.c) and the program (target.c) before anything runs, then forks
 * and execs the program with libmemplumber.so in LD_PRELOAD, the options in MEMPLUMBER_OPTIONS
 * and the child's pid in MEMPLUMBER_ROOT_PID (with MEMPLUMBER_EXECED=0 and MEMPLUMBER_STDERR_ID),
 * and waits for it, passing on the signals sent to
 * it (see "signals" below). It exits with the program's status, or dies of the signal that
 * killed the program. A program that links a sanitizer runtime runs without the library
 * (target.c says why). The CLI is single-threaded, so the child may use malloc and setenv
 * between fork and exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/merge.h"
#include "cli/render.h"
#include "cli/report.h"
#include "common/render_proto.h"
#include "cli/target.h"

/* ---- signals ----
 *
 * While the program runs, the command takes over every signal that can be caught (all but
 * SIGKILL, SIGSTOP, SIGCHLD and SIGCONT) and, when a process sent it (kill, sigqueue, tgkill),
 * passes it on to the program, so that `kill -SIG` on the command's pid does what it does on
 * the program run directly. Signals the kernel sends to the whole foreground process group
 * (the terminal's Ctrl-C, Ctrl-\, Ctrl-Z, hangup, window size, background tty access) already
 * reach the program, which is in that group: they are not passed on, or the program would get
 * them twice; nor are the signals the program sends itself (kill(0, sig) reaches it directly).
 * Stops are mirrored rather than forwarded: when the program stops, the command
 * stops itself with the same signal so that the shell sees the job stopped, and when the
 * command is continued it continues the program if nobody else did. */

static volatile pid_t child_pid;
static pid_t self_pid;

/* Signals the kernel sends to a process group rather than to one process. */
static int group_signal(int sig)
{
    return sig == SIGINT || sig == SIGQUIT || sig == SIGHUP || sig == SIGWINCH ||
           sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU || sig == SIGIO || sig == SIGURG;
}

static struct sigaction saved[NSIG]; /* the dispositions the command started with */

/* What sig would have done to the command had it not been caught, now (from a handler: the
 * signal is blocked there): nothing if it was ignored, else its default action. */
static void default_action(int sig)
{
    struct sigaction dfl;
    sigset_t set;
    if (saved[sig].sa_handler == SIG_IGN)
        return;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    raise(sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The parent of pid from /proc/PID/stat, 0 when it cannot be read (the process is gone). Only
 * system calls: it runs in a signal handler. */
static pid_t parent_of(pid_t pid)
{
    char path[40] = "/proc/", digits[24], buf[512];
    int nd = 0, len = 6;
    unsigned long v = (unsigned long)pid;
    do
        digits[nd++] = (char)('0' + v % 10);
    while ((v /= 10) && nd < (int)sizeof digits);
    while (nd)
        path[len++] = digits[--nd];
    memcpy(path + len, "/stat", 6);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *q = NULL;
    for (char *c = buf; *c; c++) /* the last ')': the command name may hold one */
        if (*c == ')')
            q = c;
    if (!q || q[1] != ' ' || !q[2] || q[3] != ' ')
        return 0;
    pid_t ppid = 0;
    for (q += 4; *q >= '0' && *q <= '9'; q++)
        ppid = ppid * 10 + (*q - '0');
    return ppid;
}

/* 1 if pid is the program or one of its descendants (a worker it forked, a shell script's
 * commands). Such a sender signalling the command sent to the whole process group (kill(0, sig),
 * a script's `trap 'kill 0' EXIT`): the program, in that group, has it already. */
static int from_program(pid_t pid, pid_t child)
{
    for (int depth = 0; depth < 64 && pid > 1 && pid != self_pid; depth++) {
        if (pid == child)
            return 1;
        pid = parent_of(pid);
    }
    return 0;
}

static void forward(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    (void)uc;
    pid_t child = child_pid;
    int sent = si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
    int timer = sig == SIGALRM || sig == SIGVTALRM || sig == SIGPROF;
    if (sent && si->si_pid == self_pid)
        default_action(sig); /* the command's own abort(), or a SIGPIPE on its own write */
    else if (sent && child > 0 && from_program(si->si_pid, child))
        ; /* the program's own, or one of its children's: a kill(0, sig) of its group already
           * reached it (passed back, a handler ran twice and a server's "second SIGTERM: stop
           * now" fired), and a signal for its parent was never meant for itself. A child
           * already collected by the program is not recognised (its /proc entry is gone) */
    else if (sent && child > 0) {
        if (si->si_code == SI_QUEUE)
            sigqueue(child, sig, si->si_value); /* keep the value a real-time signal carries */
        else
            kill(child, sig);
    } else if (timer && child > 0)
        kill(child, sig); /* a timer inherited through exec: the program's (see run) */
    else if (!group_signal(sig) && !timer)
        default_action(sig); /* a fault or a resource limit of the command itself */
    errno = saved;
}

/* The state letter of /proc/PID/stat, 0 when the process is gone. */
static char proc_state(pid_t pid) { return mp_report_proc_state((long)pid); }

/* 1 if the process is stopped by a signal (not by a tracer). */
static int is_stopped(pid_t pid)
{
    return proc_state(pid) == 'T';
}

/* While the command mirrors a stop of the program, a small process of its own waits for the
 * program to go on without it: a SIGCONT sent to the program alone (kill -CONT PROGRAM_PID, a
 * debugger, a supervisor) or its death while stopped (kill -9) cannot reach the stopped command,
 * which would then stay stopped for ever with the program gone: with valgrind, program and
 * checker are one process and one SIGCONT resumes both. The watcher continues the command once
 * the command is stopped and the program no longer is; it blocks every signal (the command's
 * handlers would pass them to the program) and dies with the command. Returns its pid, or -1. */
static pid_t start_stop_watcher(pid_t prog)
{
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t self = getpid();
    pid_t w = fork();
    if (w != 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return w;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != self)
        _exit(0);
    for (;;) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        char cmd = proc_state(self);
        if (cmd == 0 || cmd == 'Z')
            _exit(0);
        if (cmd == 'T' && proc_state(prog) != 'T') {
            kill(self, SIGCONT);
            _exit(0);
        }
    }
}

/* The program stopped with sig: stop the command likewise so that the shell sees the job
 * stopped, then, once continued, continue the program unless the SIGCONT reached it too (the
 * shell's fg and bg signal the whole process group). */
static void mirror_stop(pid_t pid, int sig)
{
    if (!is_stopped(pid))
        return; /* already continued */
    if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
        sig = SIGSTOP;
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sig != SIGSTOP)
        sigaction(sig, &dfl, &old);
    pid_t watcher = start_stop_watcher(pid);
    raise(sig);
    if (sig != SIGSTOP)
        sigaction(sig, &old, NULL);
    if (watcher > 0) {
        kill(watcher, SIGKILL);
        while (waitpid(watcher, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (is_stopped(pid))
        kill(pid, SIGCONT);
}

static const char *signal_name(int sig, char *buf, size_t len)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
        [SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
        [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
        [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
        [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",     [SIGSTOP] = "SIGSTOP",
        [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",     [SIGTTOU] = "SIGTTOU",
        [SIGURG] = "SIGURG",   [SIGXCPU] = "SIGXCPU",     [SIGXFSZ] = "SIGXFSZ",
        [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
        [SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",       [SIGSYS] = "SIGSYS",
#ifdef SIGSTKFLT
        [SIGSTKFLT] = "SIGSTKFLT",
#endif
    };
    if (sig > 0 && (size_t)sig < sizeof names / sizeof names[0] && names[sig])
        snprintf(buf, len, "%s", names[sig]);
    else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, len, "unknown signal");
    return buf;
}

/* Terminate the CLI with sig, without a core file (the program already dumped one if it was
 * going to), so that the shell sees the same status as without memplumber. */
static void die_of_signal(int sig)
{
    struct rlimit none = {0, 0};
    sigset_t set;
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    fflush(NULL);
    raise(sig);
    /* Signals whose default action does not terminate (none can kill a process, but be safe). */
    exit(128 + sig);
}

/* ---- running the program ---- */

/* Whether the command takes sig over while the program runs (see above). */
static int taken_over(int sig)
{
    return sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGCONT;
}

/* 1 if prog (found as execvp finds it) is an executable file that starts with "#!". */
static int script_exists(const char *prog)
{
    int err;
    char *path = mp_target_resolve(prog, &err);
    if (!path)
        return 0;
    char head[2] = {0, 0};
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return 0;
    size_t n = fread(head, 1, 2, f);
    fclose(f);
    return n == 2 && head[0] == '#' && head[1] == '!';
}

/* With LD_AUDIT set, glibc sets up static TLS before it loads the audit modules and the
 * preloaded libraries, so libmemplumber.so's initial-exec TLS (1.8 KiB) must then come out of the
 * small surplus kept for dlopen (512 bytes by default, less what the audit namespace's own libc
 * takes): the loader refused to start the program ("libmemplumber.so: cannot allocate memory in
 * static TLS block", status 127). Ask for a larger surplus, unless the user chose one. */
static void audit_static_tls(void)
{
    const char *audit = getenv("LD_AUDIT");
    if (!audit || !audit[0])
        return;
    const char *old = getenv("GLIBC_TUNABLES");
    if (old && strstr(old, "glibc.rtld.optional_static_tls"))
        return;
    static const char add[] = "glibc.rtld.optional_static_tls=4096";
    size_t n = (old ? strlen(old) : 0) + sizeof add + 1;
    char *t = malloc(n);
    if (!t)
        mp_args_die("out of memory");
    snprintf(t, n, "%s%s%s", old && old[0] ? old : "", old && old[0] ? ":" : "", add);
    if (setenv("GLIBC_TUNABLES", t, 1))
        mp_args_die("cannot set the environment: %s", strerror(errno));
    free(t);
}

/* observed: set MEMPLUMBER_ROOT_PID (the library is in LD_PRELOAD). */
/* The text report goes to a --log-file or --log-fd: so does the news of a fatal signal (the
 * report's header names it), as valgrind writes its "Process terminating" there; the program's
 * stderr stays the program's, for a harness that reads or compares it. */
static int report_elsewhere;

static int run(char **cmd, int observed)
{
    static char caught[NSIG];
    sigset_t all, oldmask, waiting;
    struct sigaction fw;
    static const int timers[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
    struct itimerval itv[3], zero;

    /* Block everything until the child has restored the dispositions and the parent knows the
     * child's pid: a signal arriving around fork is then delivered afterwards, in each
     * process, to the right disposition. */
    self_pid = getpid();
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &oldmask);

    memset(&fw, 0, sizeof fw);
    fw.sa_sigaction = forward;
    fw.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&fw.sa_mask);
    waiting = oldmask;
    for (int sig = 1; sig < NSIG; sig++) {
        if (!taken_over(sig) || sigaction(sig, NULL, &saved[sig]))
            continue; /* glibc's own real-time signals (32, 33) refuse, and are not sent */
        /* Inherited as ignored (SIGHUP under nohup, SIGINT in a background job): still
         * forwarded, since the program may install a handler; it inherits the SIG_IGN. */
        if (sigaction(sig, &fw, NULL))
            continue;
        caught[sig] = 1;
        /* A signal the caller blocks is forwarded too, and waits blocked in the program. */
        sigdelset(&waiting, sig);
    }
    /* Interval timers (alarm() included) survive exec: the program would have inherited them,
     * so it gets them, and the command drops its copy. */
    memset(&zero, 0, sizeof zero);
    for (int k = 0; k < 3; k++)
        if (getitimer(timers[k], &itv[k]))
            memset(&itv[k], 0, sizeof itv[k]);

    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        mp_args_die("cannot start '%s': fork: %s", cmd[0], strerror(errno));
    if (pid == 0) {
        char buf[32];
        for (int sig = 1; sig < NSIG; sig++)
            if (caught[sig])
                sigaction(sig, &saved[sig], NULL);
        for (int k = 0; k < 3; k++)
            if (itv[k].it_value.tv_sec || itv[k].it_value.tv_usec)
                setitimer(timers[k], &itv[k], NULL);
        /* If the command is killed by SIGKILL (the one signal it cannot pass on), the program
         * dies too, as it would natively and as it does under valgrind (one process). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            raise(SIGKILL);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        if (observed) {
            snprintf(buf, sizeof buf, "%d", (int)getpid());
            setenv("MEMPLUMBER_ROOT_PID", buf, 1);
            /* 0: the first program image; the library turns it into 1 in place, so that the
             * programs it and its children start with exec know they were (report_entry.c). */
            setenv("MEMPLUMBER_EXECED", "0", 1);
            /* The stderr the user sees: programs started with exec whose stderr is another
             * file (a script's `2>err.txt`, a captured pipe) keep their text report out of it. */
            struct stat es;
            if (fstat(2, &es) == 0) {
                snprintf(buf, sizeof buf, "%llx:%llx", (unsigned long long)es.st_dev,
                         (unsigned long long)es.st_ino);
                setenv("MEMPLUMBER_STDERR_ID", buf, 1);
            } else {
                /* No stderr at all (`2>&-`, cron): none is the user's, so a program exec'd
                 * with a file of the script's at fd 2 keeps its report out of it. Unset, the
                 * library would take every stderr for the user's (LD_PRELOAD by hand). */
                setenv("MEMPLUMBER_STDERR_ID", "none", 1);
            }
        }
        execvp(cmd[0], cmd);
        int e = errno;
        if (e == ENOENT && script_exists(cmd[0])) {
            /* the script is there, its #! interpreter is not: 126, as bash and valgrind */
            fprintf(stderr, "memplumber: error: cannot run '%s': bad interpreter: %s\n", cmd[0],
                    strerror(e));
            _exit(126);
        }
        fprintf(stderr, "memplumber: error: cannot run '%s': %s\n", cmd[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    for (int k = 0; k < 3; k++)
        if (itv[k].it_value.tv_sec || itv[k].it_value.tv_usec)
            setitimer(timers[k], &zero, NULL);
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &waiting, NULL);

    int st;
    for (;;) {
        if (waitpid(pid, &st, WUNTRACED) < 0) {
            if (errno == EINTR)
                continue;
            mp_args_die("waiting for '%s': %s", cmd[0], strerror(errno));
        }
        if (!WIFSTOPPED(st))
            break;
        mirror_stop(pid, WSTOPSIG(st));
    }
    /* Back to the dispositions and mask the command started with. */
    sigprocmask(SIG_BLOCK, &all, NULL);
    child_pid = 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (caught[sig])
            sigaction(sig, &saved[sig], NULL);
    sigprocmask(SIG_SETMASK, &oldmask, NULL);

    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) {
        char name[32];
        int sig = WTERMSIG(st);
        fflush(stdout);
        if (!(observed && report_elsewhere))
            fprintf(stderr, "memplumber: program terminated by signal %d (%s)%s\n", sig,
                    signal_name(sig, name, sizeof name), WCOREDUMP(st) ? " (core dumped)" : "");
        die_of_signal(sig);
    }
    return 1;
}

int main(int argc, char **argv)
{
    /* memplumber report PID ...: a program named "report" runs as ./report or after "--". */
    if (argc > 1 && !strcmp(argv[1], "report"))
        return mp_report_command(argc - 1, argv + 1);
    /* memplumber merge OUT IN...: likewise, a program named "merge" runs as ./merge. */
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return mp_merge_command(argc - 1, argv + 1);
    /* Internal: libmemplumber.so hands over a report it cannot write itself (render.c). */
    if (argc > 1 && !strcmp(argv[1], MP_RENDER_OPTION))
        return mp_render_command(argc - 1, argv + 1);
    struct mp_args a;
    mp_args_parse(&a, argc, argv);
    mp_args_check_files(&a);
    char *options = mp_args_env_options(&a, getenv("MEMPLUMBER_OPTIONS"));

    const char *prog = argv[a.prog];
    int err;
    char *path = mp_target_resolve(prog, &err);
    if (!path) {
        fflush(stdout);
        fprintf(stderr, "memplumber: error: cannot run '%s': %s\n", prog, strerror(err));
        return err == ENOENT ? 127 : 126;
    }
    mp_args_check_not_program(&a, path);
    if (mp_target_warn_unobservable(path, prog)) {
        /* A sanitizer owns malloc: run the program as it is, environment untouched. */
        free(path);
        free(options);
        free(a.set);
        return run(argv + a.prog, 0);
    }
    free(path);

    char *lib = mp_target_find_library();
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(n);
    if (!preload)
        mp_args_die("out of memory");
    snprintf(preload, n, "%s%s%s", lib, old && old[0] ? ":" : "", old && old[0] ? old : "");
    /* GLib < 2.76 serves small blocks from its slice allocator, whose leaks memplumber (like
     * valgrind) cannot see; valgrind's users set this by hand. */
    if (a.opts.malloc_env && setenv("G_SLICE", "always-malloc", 0))
        mp_args_die("cannot set the environment: %s", strerror(errno));
    if (setenv("LD_PRELOAD", preload, 1) ||
        (options && setenv("MEMPLUMBER_OPTIONS", options, 1)))
        mp_args_die("cannot set the environment: %s", strerror(errno));
    free(preload);
    audit_static_tls();
    free(lib);
    free(options);
    free(a.set);

    report_elsewhere = a.opts.log_file[0] || a.opts.log_fd != 2;
    return run(argv + a.prog, 1);
}
