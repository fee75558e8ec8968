/* memplumber [options] [--] program [args...]
 *
 * Validates the options (args.c) and the program (target.c) before anything runs, then forks
 * and execs the program with libmemplumber.so in LD_PRELOAD, the options in MEMPLUMBER_OPTIONS
 * and the child's pid in MEMPLUMBER_ROOT_PID, and waits for it. While waiting it ignores
 * SIGINT/SIGQUIT (the terminal sends them to the whole process group, the program decides) and
 * forwards SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2. It exits with the program's status, or dies of
 * the signal that killed the program. A program that links a sanitizer runtime runs without
 * the library (target.c says why). The CLI is single-threaded, so the child may use malloc and
 * setenv between fork and exec. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/merge.h"
#include "cli/render.h"
#include "cli/report.h"
#include "common/render_proto.h"
#include "cli/target.h"

/* ---- signals ---- */

static const int forwarded[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
static const int ignored[] = {SIGINT, SIGQUIT};
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])
#define NIGNORED (sizeof ignored / sizeof ignored[0])

static volatile pid_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    (void)uc;
    /* A terminal hangup (sent by the kernel) reaches the whole foreground process group, the
     * program included: forwarding it would deliver it twice. */
    if (child_pid > 0 && !(sig == SIGHUP && si && si->si_code == SI_KERNEL))
        kill(child_pid, sig);
    errno = saved;
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

/* observed: set MEMPLUMBER_ROOT_PID (the library is in LD_PRELOAD). */
static int run(char **cmd, int observed)
{
    sigset_t block, oldmask;
    struct sigaction fw, ign, saved_fw[NFORWARDED], saved_ign[NIGNORED];

    /* Block the signals we take over until the child has restored them and the parent knows
     * the child's pid: a signal arriving around fork is then delivered afterwards, in each
     * process, to the right disposition. */
    sigemptyset(&block);
    for (size_t k = 0; k < NFORWARDED; k++)
        sigaddset(&block, forwarded[k]);
    for (size_t k = 0; k < NIGNORED; k++)
        sigaddset(&block, ignored[k]);
    sigprocmask(SIG_BLOCK, &block, &oldmask);

    memset(&fw, 0, sizeof fw);
    fw.sa_sigaction = forward;
    fw.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&fw.sa_mask);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    for (size_t k = 0; k < NFORWARDED; k++) {
        sigaction(forwarded[k], &fw, &saved_fw[k]);
        if (saved_fw[k].sa_handler == SIG_IGN) /* e.g. under nohup: keep ignoring it */
            sigaction(forwarded[k], &saved_fw[k], NULL);
    }
    for (size_t k = 0; k < NIGNORED; k++)
        sigaction(ignored[k], &ign, &saved_ign[k]);

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        mp_args_die("cannot start '%s': fork: %s", cmd[0], strerror(errno));
    if (pid == 0) {
        char buf[32];
        for (size_t k = 0; k < NFORWARDED; k++)
            sigaction(forwarded[k], &saved_fw[k], NULL);
        for (size_t k = 0; k < NIGNORED; k++)
            sigaction(ignored[k], &saved_ign[k], NULL);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        if (observed) {
            snprintf(buf, sizeof buf, "%d", (int)getpid());
            setenv("MEMPLUMBER_ROOT_PID", buf, 1);
        }
        execvp(cmd[0], cmd);
        int e = errno;
        fprintf(stderr, "memplumber: error: cannot run '%s': %s\n", cmd[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &oldmask, NULL);

    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            mp_args_die("waiting for '%s': %s", cmd[0], strerror(errno));
    child_pid = 0;

    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) {
        char name[32];
        int sig = WTERMSIG(st);
        fflush(stdout);
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
    free(lib);
    free(options);
    free(a.set);

    return run(argv + a.prog, 1);
}
