/* Writing a report: stop the world, scan, aggregate loss records (all in tool memory, no
 * malloc while other threads are stopped: one of them may hold the real allocator's lock), let
 * the threads go, then dlopen libmemplumber-report.so (libdw is loaded only now) and hand it the
 * model. Runs at exit (atexit handler registered first, so it runs after the program's own
 * handlers and destructors), on _exit, or on demand (report_signal, memplumber_report_now). */
#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/fmt.h"
#include "common/kinds.h"
#include "common/lock.h"
#include "preload/hooks/real.h"
#include "preload/record/depot.h"
#include "preload/runtime/guard.h"
#include "preload/record/heap.h"
#include "preload/check/misuse.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/live.h"
#include "preload/record/maps.h"
#include "preload/record/modules.h"
#include "preload/record/unwind.h"
#include "preload/runtime/outfd.h"
#include "preload/runtime/report_plain.h"
#include "preload/runtime/report_spawn.h"
#include "preload/runtime/runtime.h"
#include "preload/scan/scan.h"
#include "preload/scan/threads.h"
#include "common/model.h"
#include "common/summary.h"

/* ---- the report library ---- */

static char mp_env_report_lib[1024]; /* MEMPLUMBER_REPORT_LIB, read at start-up */

static int (*lib_write)(const struct mp_report_input *);
static int (*lib_error_now)(const struct mp_report_input *, const struct mp_error_record *);
static int lib_tried;

/* glibc's __libc_freeres (run at exit before the report) frees the loader's dependency lists
 * (l_initfini) and then dlcloses what glibc loaded by itself (libgcc_s after backtrace(),
 * pthread_exit or pthread_cancel; NSS and gconv modules). Without the lists, such a dlclose
 * unmaps every dlopen'ed object that is not itself open: the report library's dependencies
 * (libdw, libelf, libstdc++), and the report then jumped into unmapped code (SIGSEGV). So each
 * object the report library's dlopen brought in (after it in the loader's list) is opened by
 * itself too (RTLD_NOLOAD: no load, no constructor, just a reference), right after that dlopen.
 * Objects loaded before it are left alone: a second dlopen of one after _dl_fini could run its
 * constructors again. */
static void pin_report_deps(void *h)
{
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return;
    for (lm = lm->l_next; lm; lm = lm->l_next)
        if (lm->l_name && lm->l_name[0] == '/')
            dlopen(lm->l_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

/* The report library's path: MEMPLUMBER_REPORT_LIB, else next to this library. */
static int report_lib_path(char *path, size_t n)
{
    Dl_info di;
    if (mp_env_report_lib[0]) {
        mp_fmt(path, n, "%s", mp_env_report_lib);
        return 0;
    }
    if (!dladdr((void *)report_lib_path, &di) || !di.dli_fname)
        return -1;
    const char *slash = strrchr(di.dli_fname, '/');
    size_t dirlen = slash ? (size_t)(slash - di.dli_fname) : 0;
    if (dirlen + 40 >= n)
        return -1;
    memcpy(path, di.dli_fname, dirlen);
    memcpy(path + dirlen, "/libmemplumber-report.so", 25);
    if (!slash)
        memcpy(path, "libmemplumber-report.so", 24);
    return 0;
}

/* Why the report library is not loaded in this process (it is then rendered by the memplumber
 * command, report_spawn.c), or NULL. */
static const char *lib_refused;

static int load_report_lib(void)
{
    if (lib_tried)
        return lib_write != NULL;
    lib_tried = 1;
    char path[4096];
    if (report_lib_path(path, sizeof path))
        return 0;
    if (mp_report_as_short()) {
        /* libdw and the program's debug information would not fit: not even try (a half-loaded
         * symbolizer is worse than none). */
        lib_refused = "the address space is nearly used up (RLIMIT_AS)";
        return 0;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        mp_fdprintf(mp_err_fd(), "memplumber: error: cannot load the report library: %s\n",
                    e ? e : path);
        lib_refused = "the report library could not be loaded";
        return 0;
    }
    pin_report_deps(h);
    lib_write = (int (*)(const struct mp_report_input *))dlsym(h, "mp_report_write");
    lib_error_now = (int (*)(const struct mp_report_input *, const struct mp_error_record *))dlsym(h, "mp_report_error_now");
    int (*prepare)(void) = (int (*)(void))dlsym(h, "mp_report_prepare");
    if (prepare)
        prepare();
    return lib_write != NULL;
}

/* ---- paths ---- */

/* The environment as it was at start-up: glibc's __libc_freeres (run at exit, before the
 * report) clears the environment, so nothing may be read from it at report time. */
long mp_env_root_pid = -1; /* MEMPLUMBER_ROOT_PID, -1 = absent */

/* The symbol cache's default directory: $XDG_CACHE_HOME/memplumber, else
 * $HOME/.cache/memplumber; "" when neither variable names a directory. */
static char env_cache_dir[1200];

/* --log-fd=N and --xml-fd=N: the descriptor the user named, as it was at start-up (recorded by
 * mp_report_read_env), and memplumber's private copy of it, placed high. The report goes to the
 * copy, as valgrind writes to its own copy of the descriptor: the program may close N (GNU
 * programs close stdout at exit; a harness's child may close every descriptor above 2) or put a
 * file of its own there (dup2), and the report must neither be lost nor land in its file. N itself
 * is used only while it is still that file (no copy under a low RLIMIT_NOFILE). */
static struct mp_fdid user_log_fd = {.fd = -1}, user_log_copy = {.fd = -1};
static struct mp_fdid user_xml_fd = {.fd = -1}, user_xml_copy = {.fd = -1};

static void user_fd_keep(struct mp_fdid *id, struct mp_fdid *copy, int fd)
{
    mp_outfd_record(id, fd, NULL);
    if (id->fd < 0)
        return;
    int c = mp_outfd_can_keep() ? mp_outfd_place_high(fcntl(fd, F_DUPFD_CLOEXEC, 3)) : -1;
    mp_outfd_record(copy, c, NULL);
}

/* The descriptor to write to for a --log-fd/--xml-fd, or -1: neither the copy nor N is the
 * user's file any more. */
static int user_fd(const struct mp_fdid *id, const struct mp_fdid *copy)
{
    if (copy->fd >= 0 && mp_outfd_same(copy))
        return copy->fd;
    if (id->fd >= 0 && mp_outfd_same(id))
        return id->fd;
    return -1;
}

/* A program started by exec from the observed one (not asked for with follow_exec=yes) whose
 * stderr is not the file the memplumber command's stderr was (MEMPLUMBER_STDERR_ID, dev:ino in
 * hex, or "none" when the command ran without one, which no stderr matches): its text report and heap-error lines are not written there (a log_file still gets
 * them). valgrind, which does not follow exec by default, writes nothing there either. */
static int stderr_foreign;

/* A program started by exec that valgrind would not have traced (follow_exec=yes not given):
 * see mp_report_read_env and runtime.c's bad free. */
int mp_exec_unasked;

/* --xml=yes (an XML file or descriptor): as valgrind in XML mode, the text report and the heap
 * errors go only to a log file or descriptor given explicitly (--log-fd=2 included), not to stderr (an IDE that reads
 * the XML shows the program's stderr as the program's output), and the loss records shown are
 * valgrind's default kinds, definite and possible, unless show_leak_kinds was given (XML readers
 * count every <error>, Leak_IndirectlyLost ones included). */
static int xml_mode(void) { return mp_opt.xml_file[0] || mp_opt.xml_fd; }

static int stderr_is_users(const char *id)
{
    struct stat st;
    if (!id || !*id)
        return 1; /* not started by the command (LD_PRELOAD by hand): as before */
    if (fstat(2, &st) != 0)
        return 1; /* no stderr: nothing would be written anyway */
    char want[64];
    mp_fmt(want, sizeof want, "%llx:%llx", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    return !strcmp(want, id);
}

void mp_report_read_env(void)
{
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (x && x[0] == '/')
        mp_fmt(env_cache_dir, sizeof env_cache_dir, "%s/memplumber", x);
    else if (h && h[0] == '/')
        mp_fmt(env_cache_dir, sizeof env_cache_dir, "%s/.cache/memplumber", h);
    const char *lib = getenv("MEMPLUMBER_REPORT_LIB");
    if (lib && strlen(lib) < sizeof mp_env_report_lib)
        memcpy(mp_env_report_lib, lib, strlen(lib) + 1);
    const char *r = getenv("MEMPLUMBER_ROOT_PID");
    if (r && *r) {
        long v = 0;
        for (const char *c = r; *c >= '0' && *c <= '9'; c++)
            v = v * 10 + (*c - '0');
        mp_env_root_pid = v;
    }
    /* The memplumber command starts the program with MEMPLUMBER_EXECED=0; the first image
     * writes 1 in place (the string lives in its environment, on its stack, no allocation), so
     * every image exec starts after it, in this process or a child, sees 1. Such a program was
     * not asked for unless follow_exec=yes was given (valgrind's default is
     * --trace-children=no): it reports, but its exit status stays its own. */
    char *ex = getenv("MEMPLUMBER_EXECED");
    if (ex && ex[0] == '0' && !ex[1])
        ex[0] = '1';
    else if (ex && ex[0] == '1' && !ex[1] && !(MP_OPT_GIVEN(&mp_opt, follow_exec) && mp_opt.follow_exec)) {
        mp_exec_unasked = 1;
        mp_opt.error_exitcode = 0;
        mp_opt.exit_on_first_error = 0;
        /* Nor does it write its text into a stderr that is not the user's: a script that runs
         * it with `2>err.txt`, or captures its stderr, must read what it reads natively. */
        stderr_foreign = !stderr_is_users(getenv("MEMPLUMBER_STDERR_ID"));
    }
    if (mp_opt.log_fd != 2)
        user_fd_keep(&user_log_fd, &user_log_copy, (int)mp_opt.log_fd);
    /* Nor its XML into an --xml-fd it inherited: that descriptor is the harness's XML stream of
     * the program it started (Test::Valgrind, IDEs read it from a pipe), where valgrind writes
     * nothing for such a program; a second XML document in it made the whole stream invalid
     * (`system()` in the program was enough). An --xml-file without %p gets FILE.PID instead. */
    if (!mp_exec_unasked && mp_opt.xml_fd)
        user_fd_keep(&user_xml_fd, &user_xml_copy, (int)mp_opt.xml_fd);
}

static int is_root_process(void)
{
    return mp_env_root_pid < 0 || mp_env_root_pid == (long)getpid();
}

/* silenced: a program trace_children_skip names, not observed at all (no report, no error
 * message, no exit status of ours). silent_child: a fork child under child_silent_after_fork:
 * it writes nothing, but as in valgrind its leak check still runs at exit (silently, only when
 * error_exitcode can use it) and error_exitcode applies to its status. */
static int silenced, silent_child;

void mp_report_silence(void)
{
    silent_child = 1;
}

/* Shell-style match of s against pat: '*' any run, '?' one character. */
static int glob_match(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == '?' || *pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return !*pat;
}

/* Does s (or, if whole_or_base, its last path component) match one of the comma-separated
 * patterns of list? */
static int list_matches(const char *list, const char *s, int whole_or_base)
{
    char pat[MP_OPT_STR_MAX];
    const char *base = strrchr(s, '/');
    base = base ? base + 1 : s;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n && n < sizeof pat) {
            memcpy(pat, p, n);
            pat[n] = 0;
            if (glob_match(pat, s) || (whole_or_base && glob_match(pat, base)))
                return 1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

int mp_report_apply_skip(int argc, char *const *argv)
{
    if (is_root_process() || mp_env_root_pid < 0)
        return 0;
    int skip = 0;
    if (mp_opt.trace_children_skip[0]) {
        const char *fn = (const char *)getauxval(AT_EXECFN);
        skip = fn && list_matches(mp_opt.trace_children_skip, fn, 1);
    }
    if (!skip && mp_opt.trace_children_skip_by_arg[0] && argv)
        for (int i = 1; i < argc && argv[i] && !skip; i++)
            skip = list_matches(mp_opt.trace_children_skip_by_arg, argv[i], 0);
    if (skip) {
        silenced = 1;
        mp_opt.follow_exec = 0;
    }
    return skip;
}

/* Expand a report path: %p = pid; a path without %p gets ".PID" in processes other than the
 * one the user started. */
static uint32_t cur_seq; /* report_seq of the report being written (0: exit report naming) */

static void report_path(const char *tmpl, char *out, size_t outlen)
{
    out[0] = 0;
    if (!tmpl[0])
        return;
    int pid = (int)getpid();
    if (cur_seq && strstr(tmpl, "%p")) {
        /* An on-demand report: %p becomes PID.SEQ, so that reports never overwrite each other
         * (the exit report keeps plain PID). */
        char t[4096];
        size_t at = 0;
        for (const char *c = tmpl; *c && at + 32 < sizeof t; c++) {
            if (c[0] == '%' && c[1] == 'p') {
                at += mp_fmt(t + at, sizeof t - at, "%d.%u", pid, cur_seq);
                c++;
            } else {
                t[at++] = *c;
            }
        }
        t[at] = 0;
        mp_fmt(out, outlen, "%s", t);
        return;
    }
    if (mp_options_expand_path(tmpl, pid, out, outlen)) {
        out[0] = 0;
        return;
    }
    if (!strstr(tmpl, "%p") && !is_root_process()) {
        size_t n = strlen(out);
        mp_fmt(out + n, outlen - n, ".%d", pid);
    }
}

/* ---- model pieces shared by full reports and immediate error messages ---- */

static struct mp_stack *build_stacks(size_t *n)
{
    uint32_t count = mp_depot_count();
    struct mp_stack *s = mp_pages_alloc((size_t)count * sizeof *s + sizeof *s);
    if (!s) {
        *n = 0;
        return NULL;
    }
    for (uint32_t id = 1; id < count; id++) {
        uint32_t k = 0, gen = 0;
        const uintptr_t *pcs = mp_depot_get(id, &k, &gen);
        s[id].pcs = pcs;
        s[id].n = pcs ? k : 0;
        s[id].gen = gen;
    }
    *n = count;
    return s;
}

/* The symbol cache directory: the option's, else the default read at start-up; NULL when turned
 * off or when there is no default. */
static const char *symbol_cache_dir(void)
{
    const char *o = mp_opt.symbol_cache;
    if (!strcmp(o, "no"))
        return NULL;
    if (*o)
        return o;
    return env_cache_dir[0] ? env_cache_dir : NULL;
}

static unsigned report_mode(void);

static int xml_on(void)
{
    return mp_opt.xml_file[0] || mp_opt.xml_fd;
}

/* The leak check's level: leak_check, except that an XML report makes it full whatever was
 * given, as valgrind's memcheck does under --xml=yes (the XML lists every loss record). */
static int leak_check_level(void)
{
    return xml_on() ? 2 : mp_opt.leak_check;
}

/* Do loss records count as errors (ERROR SUMMARY, error_exitcode)? In valgrind only under
 * --leak-check=full, and its default is summary: memplumber's default prints the records as
 * full does, but counts them only when leak_check=full was given (command line or
 * MEMPLUMBER_OPTIONS), under XML (full forced), or with a baseline (memplumber's own: its point
 * is to fail on new leaks). Never under summary or no. */
static int leak_records_are_errors(void)
{
    if (leak_check_level() < 2)
        return 0;
    return MP_OPT_GIVEN(&mp_opt, leak_check) || xml_on() || mp_opt.baseline[0];
}

static void fill_common(struct mp_report_input *in, const char *reason)
{
    memset(in, 0, sizeof *in);
    in->abi = MP_REPORT_ABI;
    in->pid = (int)getpid();
    in->argc = mp_saved_argc;
    in->argv = mp_saved_argv;
    in->reason = reason;
    in->opt.text_fd = 2;
    in->opt.show_kinds = xml_mode() && !MP_OPT_GIVEN(&mp_opt, show_leak_kinds)
                             ? (1u << MP_LEAK_DEFINITE) | (1u << MP_LEAK_POSSIBLE)
                             : mp_opt.show_leak_kinds;
    in->opt.leak_check = leak_check_level();
    in->opt.leak_errors = leak_records_are_errors();
    in->opt.text_prefix_pid = 1;
    in->opt.show_below_main = mp_opt.show_below_main;
    in->opt.symbol_cache = symbol_cache_dir();
    in->opt.suppressions = mp_opt.suppressions;
    in->opt.gen_suppressions = mp_opt.gen_suppressions;
    in->opt.verbosity = (unsigned)mp_opt.verbosity;
    in->opt.errors_kinds = mp_opt.errors_for_leak_kinds;
    in->opt.xml_fd = -1;
    in->opt.err_fd = mp_err_fd();
    in->opt.report_mode = report_mode();
    in->opt.sarif_root = mp_opt.sarif_root;
    in->opt.baseline = mp_opt.baseline;
}

/* The report's report_mode option (octal text, checked at start-up). */
static unsigned report_mode(void)
{
    unsigned m = 0600;
    mp_options_octal(mp_opt.report_mode, strlen(mp_opt.report_mode), &m);
    return m;
}

/* The text report's destination: the log file (opened on first use, reopened by name if the
 * program closed it), else memplumber's checked copy of stderr. Checked before every use: the
 * program may have closed the descriptor and reused its number for a file of its own. */
static struct mp_fdid log_id = {.fd = -1};
static int log_tried, log_failed;

static int text_fd(void)
{
    if (!mp_opt.log_file[0] || log_failed) {
        int u = mp_opt.log_fd != 2 ? user_fd(&user_log_fd, &user_log_copy) : -1;
        if (u >= 0)
            return u;
        return (stderr_foreign || (xml_mode() && !MP_OPT_GIVEN(&mp_opt, log_fd))) && mp_opt.log_fd == 2
                   ? -1
                   : mp_err_fd();
    }
    if (log_id.fd >= 0 && mp_outfd_same(&log_id))
        return log_id.fd;
    char path[4096], why[512];
    if (log_id.fd >= 0 || log_tried) {
        /* Closed (or its number reused) by the program: open the same file again. */
        mp_fmt(path, sizeof path, "%s", log_id.path);
    } else {
        report_path(mp_opt.log_file, path, sizeof path);
    }
    log_tried = 1;
    log_id.fd = -1;
    /* Truncated when first opened (as valgrind does: a rerun does not add to an old report),
     * appended to when opened again. */
    int fd = path[0] ? mp_open_report_file(path, log_id.path[0] != 0 ? MP_REPFILE_APPEND : 0,
                                                   report_mode(), why, sizeof why)
                     : -1;
    if (fd < 0) {
        if (!path[0])
            mp_fmt(why, sizeof why, "the path is too long");
        log_failed = 1;
        mp_fdprintf(mp_err_fd(), "memplumber: error: cannot write the log file '%s': %s; "
                                 "writing to stderr instead\n", path, why);
        return mp_err_fd();
    }
    fcntl(fd, F_SETFL, O_APPEND);
    mp_outfd_record(&log_id, mp_outfd_move_high(fd), path);
    return log_id.fd;
}

void mp_report_open_log_early(void)
{
    /* As valgrind opens its log file at start: a child the program forks inherits it and adds
     * its report after its parent's text, in the same file (CTest reads only the file it named),
     * instead of FILE.PID; and the file is truncated once, before anything is written to it. A
     * name with %p is each process's own, and a descriptor limit with no room at the top would
     * give the file one of the program's low numbers: then it is opened at first use. */
    if (!mp_opt.log_file[0] || silenced || !is_root_process() || strstr(mp_opt.log_file, "%p") ||
        !mp_outfd_can_keep())
        return;
    (void)text_fd();
}

/* Writing reports never raises SIGPIPE or SIGXFSZ in the program (stderr on a pipe whose reader
 * is gone, a file size limit): both are blocked in the writing thread, and those the writes
 * raised are taken off before unblocking. A failed write is memplumber's problem. */
struct quiet {
    sigset_t old;
    int had_pipe, had_xfsz;
};

static void quiet_begin(struct quiet *q)
{
    sigset_t s, p;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    sigaddset(&s, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &s, &q->old);
    sigpending(&p);
    q->had_pipe = sigismember(&p, SIGPIPE) == 1;
    q->had_xfsz = sigismember(&p, SIGXFSZ) == 1;
}

static void quiet_end(struct quiet *q)
{
    sigset_t p;
    sigpending(&p);
    const int sigs[2] = {SIGPIPE, SIGXFSZ}, had[2] = {q->had_pipe, q->had_xfsz};
    for (int i = 0; i < 2; i++)
        if (!had[i] && sigismember(&p, sigs[i]) == 1) {
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, sigs[i]);
            struct timespec zero = {0, 0};
            sigtimedwait(&one, NULL, &zero);
        }
    pthread_sigmask(SIG_SETMASK, &q->old, NULL);
}

static struct mp_mutex emit_lock = MP_MUTEX_INIT;

/* valgrind's preamble ("Command: PROG ARGS", common/summary.h), once per process, before the
 * first line written to the text output: the first heap error, else the report. A fork child
 * writes none when it writes where its parent does (stderr, or the log file its parent has
 * open), as under valgrind, which writes it again only for a log file of the child's own. */
static int preamble_done;

/* With emit_lock held. */
static void write_preamble(int fd)
{
    if (preamble_done || fd < 0 || silenced)
        return;
    preamble_done = 1;
    struct mp_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.pid = (int)getpid();
    sum.prefix_pid = 1;
    sum.verbosity = (unsigned)mp_opt.verbosity;
    struct mp_summary_fd_sink k;
    k.fd = fd;
    k.at = 0;
    mp_summary_preamble(&sum, mp_saved_argc, mp_saved_argv, mp_summary_fd_put, &k);
    mp_summary_fd_flush(&k);
}

/* ---- heap-misuse errors: written at a safe point, never where they were recorded ----
 * check/misuse.c records an error in the hook (lock-free); these functions write the records not
 * written yet, in the order of first occurrence, each as valgrind's text record with a
 * symbolized stack (the report library is loaded by the first batch). Callers: a safe point
 * (runtime/safepoint.c: a hook entry outside signal handlers and the dynamic loader), every
 * report (exit, fatal signal, on demand) just before it is written, and exec. */

#define ERR_BATCH 64

/* With emit_lock held, on the report stack, inside the guard. */
static void write_errors_locked(void)
{
    struct mp_error_record batch[ERR_BATCH];
    mp_misuse_drain_begin();
    for (;;) {
        size_t n = 0;
        while (n < ERR_BATCH && mp_misuse_take(&batch[n]))
            n++;
        uint64_t unshown = n < ERR_BATCH ? mp_misuse_take_overflow() : 0;
        if (!n && !unshown)
            break;
        if (silenced || silent_child)
            continue;
        struct quiet q;
        quiet_begin(&q);
        struct mp_report_input in;
        fill_common(&in, "error");
        int fd = text_fd();
        in.opt.text_fd = fd;
        /* The depot and modules as they are now: every stack the batch names is in them. */
        size_t nstacks = 0;
        struct mp_stack *stacks = n && fd >= 0 ? build_stacks(&nstacks) : NULL;
        struct mp_module *mods = NULL;
        size_t nmods = n && fd >= 0 ? mp_modules_collect(&mods) : 0;
        in.stacks = stacks;
        in.nstacks = nstacks;
        in.modules = mods;
        in.nmodules = nmods;
        if (n && fd >= 0)
            write_preamble(fd);
        int lib = n && fd >= 0 && load_report_lib() && lib_error_now;
        size_t shown = fd < 0 ? n : 0; /* not written: suppressed or not, it cannot be told */
        for (size_t i = 0; i < n && fd >= 0; i++) {
            if (lib) {
                if (lib_error_now(&in, &batch[i]) > 0)
                    shown++;
            } else {
                mp_fdprintf(fd, "==%d== %s at %p\n", in.pid, mp_error_kind_name(batch[i].kind),
                            (void *)batch[i].address);
                shown++;
            }
        }
        if (shown && mp_opt.exit_on_first_error) {
            /* valgrind's --exit-on-first-error: the process ends here with error_exitcode's
             * status, no leak report, and (as in valgrind) the program's stdio buffers unwritten */
            if (fd >= 0)
                mp_fdprintf(fd, "==%d== \n==%d== Exit program on first error "
                                "(--exit-on-first-error=yes)\n", in.pid, in.pid);
            mp_raw_exit_group((int)mp_opt.error_exitcode);
        }
        if (unshown && fd >= 0)
            mp_fdprintf(fd, "==%d== memplumber: more than %d different heap errors: later ones "
                            "are counted in the ERROR SUMMARY, not shown\n", in.pid, 4096);
        if (stacks)
            mp_pages_free(stacks, nstacks * sizeof *stacks + sizeof *stacks);
        if (mods)
            mp_pages_free(mods, 4096 * sizeof(struct mp_module));
        quiet_end(&q);
    }
    mp_misuse_drain_end();
}

static void write_errors_body(void *arg)
{
    (void)arg;
    int g = mp_guard_enter();
    mp_mutex_lock(&emit_lock);
    write_errors_locked();
    mp_mutex_unlock(&emit_lock);
    mp_guard_leave(g);
}

void mp_report_write_errors(void)
{
    if (__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) || getpid() != mp_runtime_pid)
        return; /* a vfork child shares our memory */
    /* The program's asynchronous signals wait until the errors are written, as under valgrind
     * (which delivers them between the program's instructions, never inside its malloc or
     * free): a handler run in the middle of the write runs in memplumber's state, where a free
     * goes straight to glibc, so a handler freeing the block whose double free is being written
     * (or one whose address the report library got from malloc meanwhile) aborted the program
     * in glibc or corrupted the report library's memory. They are delivered when the mask is
     * restored, with this thread back in the program's state. Faults stay unblocked (a crash
     * in the report library must still be seen), and so do memplumber's own signals (the stop
     * signal of a report in another thread, the live wake signal). */
    sigset_t all, old;
    sigfillset(&all);
    const int keep[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT,
                        SIGRTMAX - 2, SIGRTMAX - 3, SIGPWR};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        sigdelset(&all, keep[i]);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    mp_on_report_stack(write_errors_body, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void mp_report_errors_lock(void)
{
    mp_mutex_lock(&emit_lock);
}

void mp_report_errors_unlock(void)
{
    mp_mutex_unlock(&emit_lock);
}

void mp_report_errors_child_after_fork(void)
{
    mp_mutex_init(&emit_lock);
    /* a log file not opened yet: the child opens its own (a %p in its name), so writes one */
    preamble_done = !(mp_opt.log_file[0] && log_id.fd < 0 && !log_tried && !log_failed);
}

static struct mp_mutex report_lock = MP_MUTEX_INIT;
/* Does this thread hold report_lock? (A signal handler that forks on it must not wait for it.) */
static __thread int report_lock_mine __attribute__((tls_model("initial-exec")));

/* Fork protocol: fork_prepare takes report_lock (before the table locks, the order a report
 * takes them in), so that a fork never copies a report in progress on another thread: the child
 * would inherit the lock held by a thread it does not have and hang in its own exit report. A
 * fork while a report is written therefore waits until that report is done. */
void mp_report_fork_lock(void)
{
    if (!report_lock_mine)
        mp_mutex_lock(&report_lock);
}

void mp_report_fork_unlock(void)
{
    if (!report_lock_mine)
        mp_mutex_unlock(&report_lock);
}

/* Exec protocol: an exec waits, like a fork, until a report in progress on another thread is
 * done. That report stops the program's threads with a signal: one sent to this thread as it
 * enters execve stays pending in the new image, where every handler is back to SIG_DFL, and
 * the default action of a real-time signal kills the process before its first instruction.
 * Not in a vfork child, which shares our memory: the lock would stay taken in the parent.
 * Returns 1 when the lock was taken: mp_report_exec_unlock if the exec fails. */
int mp_report_exec_lock(void)
{
    if (report_lock_mine || getpid() != mp_runtime_pid)
        return 0;
    mp_mutex_lock(&report_lock);
    return 1;
}

void mp_report_exec_unlock(int locked)
{
    if (locked)
        mp_mutex_unlock(&report_lock);
}

/* ---- aggregation of blocks into loss records ---- */

struct agg_slot {
    uint64_t key; /* stack | state << 32 | kind << 36, +1 so that 0 = empty */
    uint64_t bytes, blocks;
    uint64_t fbytes, fblocks;   /* blocks at least min_age old */
    uint32_t tmin, tmax;        /* allocation times of those (heap clock) */
    uint64_t indirect; /* definitely lost: the bytes its blocks made indirectly lost */
};

static struct agg_slot *agg;
static size_t agg_cap, agg_used;
static struct mp_count totals[4];
static uint32_t agg_now, agg_min_age; /* heap clock now; min age of the blocks in records */

/* The previous check's records (key -> bytes, blocks), for reports of what is new. */
static struct agg_slot *prev;
static size_t prev_cap;
static uint32_t prev_seq_no, seq_counter;

static const struct agg_slot *prev_find(uint64_t key)
{
    if (!prev)
        return NULL;
    size_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & (prev_cap - 1);
    while (prev[j].key && prev[j].key != key)
        j = (j + 1) & (prev_cap - 1);
    return prev[j].key ? &prev[j] : NULL;
}

static void prev_keep(void)
{
    if (prev && prev_cap != agg_cap) {
        mp_pages_free(prev, prev_cap * sizeof *prev);
        prev = NULL;
    }
    if (!prev && agg_cap)
        prev = mp_pages_alloc(agg_cap * sizeof *prev);
    if (!prev)
        return;
    prev_cap = agg_cap;
    memcpy(prev, agg, agg_cap * sizeof *agg);
}

void mp_report_child_after_fork(void)
{
    /* held by fork_prepare (or by this thread's report, interrupted by a handler that forked) */
    mp_mutex_init(&report_lock);
    report_lock_mine = 0;
    seq_counter = 0;
    prev_seq_no = 0;
    if (prev)
        memset(prev, 0, prev_cap * sizeof *prev);
}

static void agg_insert(uint64_t key, uint64_t bytes, uint32_t time, uint64_t indirect)
{
    if ((agg_used + 1) * 2 > agg_cap) {
        size_t ncap = agg_cap ? agg_cap * 2 : 4096;
        struct agg_slot *n = mp_pages_alloc(ncap * sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < agg_cap; i++) {
            if (!agg[i].key)
                continue;
            size_t j = (agg[i].key * 0x9E3779B97F4A7C15ull) >> 20 & (ncap - 1);
            while (n[j].key)
                j = (j + 1) & (ncap - 1);
            n[j] = agg[i];
        }
        if (agg)
            mp_pages_free(agg, agg_cap * sizeof *agg);
        agg = n;
        agg_cap = ncap;
    }
    size_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & (agg_cap - 1);
    while (agg[j].key && agg[j].key != key)
        j = (j + 1) & (agg_cap - 1);
    if (!agg[j].key) {
        agg[j].key = key;
        agg[j].tmin = UINT32_MAX;
        agg_used++;
    }
    agg[j].bytes += bytes;
    agg[j].indirect += indirect;
    agg[j].blocks++;
    uint32_t age = (agg_now - time) & MP_HEAP_TIME_MASK;
    if (age < agg_min_age)
        return;
    agg[j].fbytes += bytes;
    agg[j].fblocks++;
    /* ages, not times: the clock wraps */
    if (age < agg[j].tmin)
        agg[j].tmin = age;
    if (age + 1 > agg[j].tmax)
        agg[j].tmax = age + 1;
}

static uint64_t internal_blocks, internal_bytes;
static const unsigned state_to_kind[4] = {MP_LEAK_DEFINITE, MP_LEAK_POSSIBLE, MP_LEAK_REACHABLE,
                                          MP_LEAK_INDIRECT};

static int agg_block(uint32_t idx, const struct mp_block *b, void *ctx)
{
    (void)ctx;
    if (b->kind == MP_ALLOC_INTERNAL) {
        internal_blocks++;
        internal_bytes += b->size;
        return 0;
    }
    unsigned kind = state_to_kind[b->state & 3];
    uint64_t key = ((uint64_t)b->stack | ((uint64_t)kind << 32) | ((uint64_t)b->kind << 36)) + 1;
    agg_insert(key, b->size, b->time, kind == MP_LEAK_DEFINITE ? mp_scan_indirect_bytes(idx) : 0);
    totals[kind].bytes += b->size;
    totals[kind].blocks++;
    return 0;
}

/* ---- where the program's stack starts at exit ----
 * Below the frame of exit() lie exit's own callees (handlers, destructors, this report): their
 * frames have holes holding stale copies of the program's dead locals, which would keep leaked
 * blocks "reachable". valgrind does not see those (it only reads defined memory); we start the
 * main stack at the return address that exit() pushed, i.e. exit's frame and its callers. */

uintptr_t mp_exit_sp_hint; /* set by the _exit hook: its caller's stack pointer */

static uintptr_t exit_frame_sp(uintptr_t from)
{
    if (mp_exit_sp_hint)
        return mp_exit_sp_hint;
    void *e = mp_real_next("exit"); /* libc's, not a wrapper of it */
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    if (!e || !dladdr1(e, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size)
        return from;
    uintptr_t lo = (uintptr_t)e, hi = lo + sym->st_size;
    uintptr_t top = mp_tls.stack_top;
    if (!top)
        top = from + (1u << 20);
    uintptr_t mlo, mhi;
    if (mp_maps_find(from, &mlo, &mhi) == 0 && mhi < top)
        top = mhi;
    for (uintptr_t a = from & ~(uintptr_t)7; a + 8 <= top; a += 8) {
        uintptr_t w = *(const uintptr_t *)a;
        if (w > lo && w <= hi)
            return a;
    }
    return from;
}

/* ---- the report ---- */

/* Does the text report print any loss record (so that symbols are needed)? */
static int text_needs_symbols(const struct mp_loss_record *recs, size_t n)
{
    if (leak_check_level() < 2)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (recs[i].kind < 32 && (mp_opt.show_leak_kinds & (1u << recs[i].kind)))
            return 1;
    return 0;
}

/* Loss records that count as errors (valgrind's --errors-for-leak-kinds, under
 * --leak-check=full), before suppressions: for the paths that do not load the report library. */
static uint64_t leak_errors(const struct mp_loss_record *recs, size_t n)
{
    uint64_t c = 0;
    if (!leak_records_are_errors())
        return 0;
    for (size_t i = 0; i < n; i++)
        if (recs[i].kind < 32 && (mp_opt.errors_for_leak_kinds & (1u << recs[i].kind)))
            c++;
    return c;
}

/* The text report written here, without the report library: the summary (common/summary.c,
 * the same lines the report library writes), preceded by the loss records with unsymbolized
 * frames when why says why the report library could not write them (write_unsymbolized). */
static void write_records_unsymbolized(struct mp_summary *sum, struct mp_report_input *in,
                                       struct mp_loss_record *recs, size_t n,
                                       struct mp_summary_fd_sink *k);

static void write_text_here(int fd, struct mp_report_input *in, struct mp_loss_record *recs,
                            const char *why)
{
    struct mp_summary_fd_sink k;
    k.fd = fd;
    k.at = 0;
    struct mp_summary sum;
    in->opt.unsymbolized = why;
    mp_summary_from_model(&sum, in);
    mp_summary_head(&sum, mp_summary_fd_put, &k);
    if (leak_check_level() >= 2) {
        if (why) {
            write_records_unsymbolized(&sum, in, recs, in->nrecords, &k);
        } else {
            /* only called when no record is of a kind shown */
            sum.hidden_records = in->nrecords;
            for (size_t i = 0; i < in->nrecords; i++)
                sum.hidden_bytes += in->records[i].bytes;
        }
        mp_summary_hidden(&sum, mp_summary_fd_put, &k);
    }
    mp_summary_counts(&sum, mp_summary_fd_put, &k);
    uint64_t le = leak_errors(in->records, in->nrecords);
    sum.errors = in->error_count + le;
    sum.error_contexts = in->nerrors + (size_t)le;
    mp_summary_errors(&sum, mp_summary_fd_put, &k);
    mp_summary_fd_flush(&k);
}

/* valgrind's order (mp_summary_record_cmp; the report library's text.c orders the same way):
 * increasing total, the largest next to the summary. */
static int rec_before(const struct mp_loss_record *x, const struct mp_loss_record *y)
{
    return mp_summary_record_cmp(x, y) < 0;
}

/* Heap sort in place: no allocation, O(n log n) for any number of records. */
static void sort_records(struct mp_loss_record *r, size_t n)
{
    for (size_t end = n, start = n / 2;;) {
        size_t root;
        if (start > 0) {
            root = --start;
        } else {
            if (end <= 1)
                return;
            end--;
            struct mp_loss_record t = r[0];
            r[0] = r[end];
            r[end] = t;
            root = 0;
        }
        for (size_t child; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && rec_before(&r[child], &r[child + 1]))
                child++;
            if (!rec_before(&r[root], &r[child]))
                break;
            struct mp_loss_record t = r[root];
            r[root] = r[child];
            r[child] = t;
        }
    }
}

/* The module that held pc when a stack of generation gen was captured. */
static const struct mp_module *module_of(const struct mp_report_input *in, uintptr_t pc, uint32_t gen)
{
    for (size_t i = 0; i < in->nmodules; i++) {
        const struct mp_module *m = &in->modules[i];
        if (gen == MP_GEN_AMBIGUOUS && pc >= m->lo && pc < m->hi && m->unload_gen)
            return NULL; /* code of two libraries at pc during the run */
        if (pc >= m->lo && pc < m->hi && (!m->unload_gen || gen < m->unload_gen))
            return m;
    }
    return NULL;
}

/* Loss records of the kinds shown, with frames as "0xPC: ??? (in MODULE+0xOFFSET)": PC is the
 * return address - 1 (in the call), the offset its address in the file (addr2line -e MODULE
 * 0xOFFSET names the call's line). */
static void write_records_unsymbolized(struct mp_summary *sum, struct mp_report_input *in,
                                       struct mp_loss_record *recs, size_t n,
                                       struct mp_summary_fd_sink *k)
{
    if (!recs)
        return;
    sort_records(recs, n);
    char line[4200];
    int pid = in->pid;
    for (size_t i = 0; i < n; i++) {
        const struct mp_loss_record *r = &recs[i];
        if (!(r->kind < 32 && (mp_opt.show_leak_kinds & (1u << r->kind)))) {
            sum->hidden_records++;
            sum->hidden_bytes += r->bytes;
            continue;
        }
        size_t at;
        if (in->only_new)
            at = mp_fmt(line, sizeof line, "==%d== %'llu (%s%'llu) bytes in %'llu (%s%'llu) blocks", pid,
                        (unsigned long long)r->bytes, r->bytes_increase < 0 ? "-" : "+",
                        (unsigned long long)(r->bytes_increase < 0 ? -r->bytes_increase : r->bytes_increase),
                        (unsigned long long)r->blocks, r->blocks_increase < 0 ? "-" : "+",
                        (unsigned long long)(r->blocks_increase < 0 ? -r->blocks_increase : r->blocks_increase));
        else if (r->kind == MP_LEAK_DEFINITE && r->indirect_bytes)
            at = mp_fmt(line, sizeof line, "==%d== %'llu (%'llu direct, %'llu indirect) bytes in %'llu blocks",
                        pid, (unsigned long long)(r->bytes + r->indirect_bytes), (unsigned long long)r->bytes,
                        (unsigned long long)r->indirect_bytes, (unsigned long long)r->blocks);
        else
            at = mp_fmt(line, sizeof line, "==%d== %'llu bytes in %'llu blocks", pid,
                        (unsigned long long)r->bytes, (unsigned long long)r->blocks);
        mp_fmt(line + at, sizeof line - at, " are %s in loss record %zu of %zu (allocated by %s)\n",
               mp_leak_kind_words(r->kind), i + 1, n, mp_alloc_kind_name(r->allocator));
        mp_summary_fd_put(k, line, strlen(line));
        const struct mp_stack *st = r->stack < in->nstacks ? &in->stacks[r->stack] : NULL;
        if (!st || !st->n) {
            mp_fmt(line, sizeof line, "==%d==    (no stack recorded)\n", pid);
            mp_summary_fd_put(k, line, strlen(line));
        }
        for (uint32_t f = 0; st && f < st->n; f++) {
            uintptr_t pc = st->pcs[f] - 1; /* the call, as the symbolized report shows it */
            const struct mp_module *m = module_of(in, pc, st->gen);
            if (m) {
                size_t len = mp_fmt(line, sizeof line, "==%d==    %s 0x%lx: ??? (in %s+0x%lx)\n", pid,
                                    f ? "by" : "at", (unsigned long)pc,
                                    m->path[0] ? m->path : "???", (unsigned long)(pc - m->base));
                /* a control character in the path (a newline in a directory name) as '?', as the
                 * symbolized report writes it: one frame, one line */
                len = len < sizeof line ? len : sizeof line - 1;
                for (size_t j = 0; j + 1 < len; j++)
                    if ((unsigned char)line[j] < 0x20)
                        line[j] = '?';
            } else
                mp_fmt(line, sizeof line, "==%d==    %s 0x%lx: ???\n", pid, f ? "by" : "at", (unsigned long)pc);
            mp_summary_fd_put(k, line, strlen(line));
        }
        mp_fmt(line, sizeof line, "==%d==\n", pid);
        mp_summary_fd_put(k, line, strlen(line));
    }
}

/* Put the program's buffered output before the report. A stream locked by code that a signal
 * handler interrupted (exit from a handler) is skipped rather than waited for; exit() flushes
 * it later without locking. */
int mp_exit_no_flush;

/* Does a stdio stream hold data a flush or __libc_freeres would act on: output not written yet,
 * or input read ahead (freeres seeks the descriptor back over it)? Read without the list lock:
 * the process is on its way out, and a wrong guess only costs freeres. */
struct _IO_FILE;
extern struct _IO_FILE *_IO_list_all;
static int streams_hold_data(void)
{
    int n = 0;
    for (FILE *f = (FILE *)_IO_list_all; f && n < 100000; f = f->_chain, n++)
        if (f->_IO_write_ptr > f->_IO_write_base || f->_IO_read_ptr < f->_IO_read_end)
            return 1;
    return 0;
}

/* _exit and quick_exit: the data a stream holds is lost natively (output never written, input
 * read ahead never given back). Drop it from the streams, so that __libc_freeres, which flushes
 * output and seeks input back before it frees the buffers, finds nothing to act on and can free
 * them as under valgrind (where they are not "still reachable"). Returns 0, touching nothing,
 * when a stream is in a state this does not handle (wide-oriented, or reading from its put-back
 * area): freeres is then skipped. */
static int streams_drop_data(void)
{
    int n = 0;
    for (FILE *f = (FILE *)_IO_list_all; f && n < 100000; f = f->_chain, n++)
        if ((f->_IO_write_ptr > f->_IO_write_base || f->_IO_read_ptr < f->_IO_read_end) &&
            (f->_mode > 0 || (f->_flags & 0x100 /* _IO_IN_BACKUP */)))
            return 0;
    n = 0;
    for (FILE *f = (FILE *)_IO_list_all; f && n < 100000; f = f->_chain, n++) {
        if (f->_IO_write_ptr > f->_IO_write_base)
            f->_IO_write_ptr = f->_IO_write_base;
        if (f->_IO_read_ptr < f->_IO_read_end)
            f->_IO_read_ptr = f->_IO_read_end;
    }
    return 1;
}

static void flush_program_output(void)
{
    FILE *fs[2] = {stdout, stderr};
    for (int i = 0; i < 2; i++)
        if (fs[i] && ftrylockfile(fs[i]) == 0) {
            fflush_unlocked(fs[i]);
            funlockfile(fs[i]);
        }
}

/* One report, on memplumber's own stack (report_job filled by mp_runtime_report_ex). */
struct report_job {
    const char *reason;
    enum mp_report_when when;
    uintptr_t self_sp;        /* the reporting thread's stack is a root from here up */
    uintptr_t regs[MP_NREGS]; /* and these registers */
    int nregs;
    int find_exit_frame;      /* at exit, unknown caller: look for exit()'s frame from self_sp */
    const struct mp_report_request *req; /* memplumber report PID, memplumber_report_new */
    int rc;                   /* what mp_runtime_report_req returns */
    uintptr_t alt_lo, alt_hi; /* the program's alternate signal stack, when self_sp is on it */
    /* The reporting thread's alternate signal stack, whether self_sp is on it or not, and
     * self_sp when it is (from there up it is live): mp_scan_self_altstack. */
    uintptr_t own_alt_lo, own_alt_hi, own_alt_live;
};

/* The reporting thread runs a signal handler on the program's alternate stack (exit() from a
 * handler): the program's own stack is where the signal interrupted it. The kernel's signal
 * frame on the alternate stack starts with the return address into the restorer (glibc's
 * __restore_rt, which every handler installed through glibc has), followed by the ucontext
 * holding the interrupted registers. The outermost such frame (highest address) is the one that
 * interrupted the program's own stack. Returns 1 and sets the roots when found. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's flag; glibc sets it for every handler */
#endif
static int roots_from_signal_frame(struct report_job *job)
{
#if defined(__x86_64__)
    uintptr_t restorer = 0;
    for (int sig = 1; sig < 65 && !restorer; sig++) {
        /* The kernel's own record (sigaction() is interposed: it gives the program's view). */
        struct {
            uintptr_t handler;
            unsigned long flags;
            uintptr_t restorer;
            uint64_t mask;
        } k;
        if (syscall(SYS_rt_sigaction, sig, NULL, &k, 8) == 0 && (k.flags & SA_RESTORER) &&
            k.restorer)
            restorer = k.restorer;
    }
    if (!restorer)
        return 0;
    uintptr_t found = 0;
    for (uintptr_t a = job->self_sp & ~(uintptr_t)7; a + 8 + sizeof(ucontext_t) <= job->alt_hi; a += 8) {
        if (*(const uintptr_t *)a != restorer)
            continue;
        const ucontext_t *uc = (const ucontext_t *)(a + 8);
        uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        if (sp && (sp < job->alt_lo || sp >= job->alt_hi))
            found = a;
    }
    if (!found)
        return 0;
    const ucontext_t *uc = (const ucontext_t *)(found + 8);
    static const int map[MP_NREGS] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                      REG_RBP, REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12,
                                      REG_R13, REG_R14, REG_R15, REG_RIP};
    for (int r = 0; r < MP_NREGS; r++)
        job->regs[r] = (uintptr_t)uc->uc_mcontext.gregs[map[r]];
    job->nregs = MP_NREGS;
    job->self_sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 128; /* with the red zone */
    job->find_exit_frame = 0;
    return 1;
#else
    (void)job;
    return 0;
#endif
}

static void report_body(void *arg);

static int report_start(const char *reason, enum mp_report_when when,
                        const struct mp_report_roots *roots, const struct mp_report_request *req);

void mp_runtime_report(const char *reason, int at_exit)
{
    report_start(reason, at_exit ? MP_REPORT_AT_EXIT : MP_REPORT_ON_DEMAND, NULL, NULL);
}

int mp_runtime_report_req(const char *reason, int at_exit, const struct mp_report_request *req)
{
    return report_start(reason, at_exit ? MP_REPORT_AT_EXIT : MP_REPORT_ON_DEMAND, NULL, req);
}

void mp_runtime_report_ex(const char *reason, enum mp_report_when when,
                          const struct mp_report_roots *roots)
{
    report_start(reason, when, roots, NULL);
}

static int report_start(const char *reason, enum mp_report_when when,
                        const struct mp_report_roots *roots, const struct mp_report_request *req)
{
    if (__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE))
        return -1; /* a seccomp filter: any system call of ours may end the process */
    if (getpid() != mp_runtime_pid || silenced)
        return -1; /* a vfork child shares our memory: never report from it */
    if (silent_child && (when != MP_REPORT_AT_EXIT || !mp_opt.error_exitcode))
        return -1; /* nothing to write, and no status to decide */
    if (mp_tls.state != MP_IN_PROGRAM) {
        /* exit() or _exit() from a signal handler that interrupted the allocator or memplumber
         * itself (or a fatal signal there): their locks may be held by the code below us;
         * writing a report needs them. */
        if (mp_tls.state != MP_IN_TOOL)
            mp_fdprintf(mp_err_fd(), "==%d== memplumber: no leak report: %s interrupted a memory "
                                     "allocation\n", (int)getpid(),
                        when == MP_REPORT_FATAL ? "the fatal signal" :
                        "the program exited from a signal handler that");
        return -1;
    }
    if (when != MP_REPORT_ON_DEMAND)
        mp_signals_quiet_timers();
    struct report_job job;
    memset(&job, 0, sizeof job);
    job.reason = reason;
    job.when = when;
    job.req = req;
    job.rc = -1;
    if (roots && roots->sp) {
        /* The caller knows where the program's stack and registers were (exit's entry, the
         * context a fatal signal interrupted). */
        job.self_sp = roots->sp;
        job.nregs = roots->nregs < MP_NREGS ? roots->nregs : MP_NREGS;
        memcpy(job.regs, roots->regs, (size_t)job.nregs * sizeof job.regs[0]);
    } else {
        /* The reporting thread's own registers and deeper frames hold memplumber's and exit's
         * temporaries, not the program's: they are not roots. */
        job.self_sp = (uintptr_t)__builtin_frame_address(0) + 16;
        job.find_exit_frame = when == MP_REPORT_AT_EXIT;
    }
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) && ss.ss_size) {
        job.own_alt_lo = (uintptr_t)ss.ss_sp;
        job.own_alt_hi = (uintptr_t)ss.ss_sp + ss.ss_size;
        if (job.self_sp >= job.own_alt_lo && job.self_sp < job.own_alt_hi) {
            job.own_alt_live = job.self_sp;
            if (ss.ss_flags & SS_ONSTACK) {
                job.alt_lo = job.own_alt_lo;
                job.alt_hi = job.own_alt_hi;
            }
        }
    }
    mp_on_report_stack(report_body, &job);
    return job.rc;
}

static int final_done;

int mp_final_report_done(void)
{
    return __atomic_load_n(&final_done, __ATOMIC_ACQUIRE);
}

/* ---- the report's stages ----
 * report_body runs them in this order, each with what it needs and makes in one report_run:
 *   prepare   roots of the reporting thread, the guard and the report lock, early library load,
 *             the program's output flushed, freeres at exit
 *   stop      signals blocked, tables locked, the other threads stopped
 *   scan      reachability (scan/)
 *   classify  blocks aggregated into loss records by (stack, kind, allocator), totals
 *   resume    the threads let go, tables unlocked: from here on allocation is allowed again
 *   model     the mp_report_input handed to the writers (records, stacks, modules, errors)
 *   route     where the report goes (paths expanded, the text descriptor checked)
 *   render    the report library writes it, or the summary writer here when nothing needs
 *             symbols, or the unsymbolized report here when the library cannot be loaded
 *   finish    timings, tool memory released, the exit status (error_exitcode)
 * Nothing between stop and resume may allocate or take a lock another thread could hold. */
struct report_run {
    struct report_job *job;
    int at_exit, final;
    int guard;                      /* prepare: mp_guard_enter's value for finish */
    sigset_t old_mask;              /* stop: the mask to restore at resume */
    int nthreads;
    struct timespec t0, t1, t2;     /* stop, classify, end of render */
    struct mp_scan_stats stats;     /* scan */
    uint64_t nalloc, balloc, nfree, bfree; /* classify: the heap totals */
    struct mp_report_input in;      /* model */
    struct mp_loss_record *recs;    /* model: recs_cap entries mapped, in.nrecords used */
    size_t recs_cap;
    struct mp_stack *stacks;
    size_t nstacks;
    struct mp_module *mods;
    uint64_t nerr_total;
    char json[4096], sarif[4096], html[4096], pprof[4096], xml[4096]; /* route */
    int log_fd;
    struct mp_report_result result; /* render */
    int rc;
};

static struct mp_thread_ctx stopped_threads[MP_MAX_THREADS];

/* The program's own resource limits must not cost it its final report: with RLIMIT_NOFILE at 3
 * (0-2 open) neither the report library nor a report file can be opened, with a small
 * RLIMIT_FSIZE the JSON report is cut short (invalid). For the final report the soft limits go
 * up to the hard ones (the hard ones too when the process may: root), and back to what the
 * program set when the report is written, before its exit goes on (its own writes at exit must
 * still fail as they do natively). */
static const int lifted_res[2] = {RLIMIT_NOFILE, RLIMIT_FSIZE};
static struct rlimit lifted_old[2];
static int lifted[2];

static void limits_lift(void)
{
    for (int i = 0; i < 2; i++) {
        struct rlimit rl;
        lifted[i] = 0;
        if (getrlimit(lifted_res[i], &rl) != 0)
            continue;
        rlim_t want = lifted_res[i] == RLIMIT_NOFILE ? 1024 : RLIM_INFINITY;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
            continue;
        lifted_old[i] = rl;
        struct rlimit up = {want, rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? rl.rlim_max : want};
        if (setrlimit(lifted_res[i], &up) != 0) {
            up.rlim_cur = up.rlim_max = rl.rlim_max; /* not allowed to raise the hard limit */
            if (rl.rlim_cur == rl.rlim_max || setrlimit(lifted_res[i], &up) != 0)
                continue;
        }
        lifted[i] = 1;
    }
}

static void limits_restore(void)
{
    for (int i = 0; i < 2; i++)
        if (lifted[i]) {
            setrlimit(lifted_res[i], &lifted_old[i]);
            lifted[i] = 0;
        }
}

/* The stdio buffers glibc's __libc_freeres would free, taken out of the table when it cannot run
 * (another thread is alive at exit: it could still be writing into them): valgrind runs it after
 * the other threads are gone, so they are not in its report; they were here, as still reachable.
 * The memory stays where it is (a thread may still use it until the process ends); a later free
 * of one of these addresses (fclose in another thread) goes to the allocator without an error. */
#define FREERES_KEPT 256
static uintptr_t freeres_taken[FREERES_KEPT];
static int freeres_ntaken;

int mp_report_freeres_took(const void *p)
{
    const int n = __atomic_load_n(&freeres_ntaken, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (freeres_taken[i] == (uintptr_t)p)
            return 1;
    return 0;
}

/* glibc's FILE flags (libio.h; part of the ABI, unchanged since glibc 2.0) */
#define MP_IO_USER_BUF 0x0001
#define MP_IO_UNBUFFERED 0x0002

/* What __libc_freeres's _IO_unbuffer_all frees: the buffer of every stream that is buffered,
 * was used (oriented: _mode != 0) and owns its buffer. Under glibc's list lock, so that no
 * stream is opened or closed meanwhile; only addresses that are blocks in the table are taken. */
static void freeres_stdio_buffers(void)
{
    void (*lock)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_IO_list_lock");
    void (*unlock)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_IO_list_unlock");
    FILE **list = (FILE **)dlsym(RTLD_DEFAULT, "_IO_list_all");
    if (!lock || !unlock || !list)
        return;
    lock();
    int steps = 0;
    for (FILE *fp = *list; fp && steps < 100000 && freeres_ntaken < FREERES_KEPT;
         fp = fp->_chain, steps++) {
        if ((fp->_flags & (MP_IO_UNBUFFERED | MP_IO_USER_BUF)) || fp->_mode == 0 ||
            !fp->_IO_buf_base)
            continue;
        struct mp_block b;
        if (mp_heap_remove((uintptr_t)fp->_IO_buf_base, &b)) {
            freeres_taken[freeres_ntaken] = b.addr;
            __atomic_store_n(&freeres_ntaken, freeres_ntaken + 1, __ATOMIC_RELEASE);
        }
    }
    unlock();
}

static void stage_prepare(struct report_run *run)
{
    struct report_job *job = run->job;
    if (job->alt_hi)
        roots_from_signal_frame(job);
    if (job->find_exit_frame)
        job->self_sp = exit_frame_sp(job->self_sp);
    run->guard = mp_guard_enter();
    mp_mutex_lock(&report_lock);
    report_lock_mine = 1;
    if (run->final)
        limits_lift();
    /* The process's last report: the address space kept for it is needed now (the scan's
     * tables, the model), in a process that may have used up its RLIMIT_AS. */
    if (run->final)
        mp_report_reserve_release();
    /* The report library (libdw) is loaded only if the report needs symbols. When that is known
     * already (report files, suppressions), load it before __libc_freeres, which releases part
     * of ld.so's bookkeeping; otherwise only after the scan, if a record is to be printed. */
    if (mp_opt.json[0] || mp_opt.sarif[0] || mp_opt.html[0] || mp_opt.xml_file[0] || mp_opt.xml_fd ||
        mp_opt.pprof[0] || mp_opt.suppressions[0] || mp_opt.baseline[0] || mp_opt.gen_suppressions)
        load_report_lib();
    if (!run->at_exit)
        return;
    /* _exit and quick_exit leave stdio's buffers unwritten: so must the report */
    int no_flush = __atomic_load_n(&mp_exit_no_flush, __ATOMIC_ACQUIRE);
    if (!no_flush)
        flush_program_output();
    /* As valgrind does: let glibc and libstdc++ release their internal buffers so they do not
     * show as still reachable. glibc's only when single-threaded: another thread could still use
     * them (locale data, stdio buffers); then the stdio buffers it would free are taken out of
     * the table instead (freeres_stdio_buffers). libstdc++'s frees one block, its emergency
     * exception pool, which another thread uses only for an exception thrown while malloc
     * fails: it runs either way (a C++ program that returns from main with a worker thread
     * still running had 72 KiB more still reachable than under valgrind). Their frees must be
     * tracked, so leave the guard. */
    if (mp_opt.freeres && !(no_flush && streams_hold_data() && !streams_drop_data())) {
        const int alone = mp_threads_count() <= 1;
        void (*gxx_freeres)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_ZN9__gnu_cxx9__freeresEv");
        void (*libc_freeres)(void) =
            alone ? (void (*)(void))dlsym(RTLD_DEFAULT, "__libc_freeres") : NULL;
        mp_guard_leave(MP_IN_PROGRAM);
        __atomic_store_n(&mp_in_freeres, 1, __ATOMIC_RELAXED);
        if (gxx_freeres)
            gxx_freeres();
        if (libc_freeres)
            libc_freeres();
        __atomic_store_n(&mp_in_freeres, 0, __ATOMIC_RELAXED);
        mp_guard_enter();
        if (!alone)
            freeres_stdio_buffers();
    }
}

static void stage_stop(struct report_run *run)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, &run->old_mask);
    clock_gettime(CLOCK_MONOTONIC, &run->t0);
    mp_depot_lock();
    mp_heap_lock_all();
    run->nthreads = mp_threads_stop(stopped_threads, MP_MAX_THREADS, run->final);
}

static void stage_scan(struct report_run *run)
{
    mp_scan_self_altstack(run->job->own_alt_lo, run->job->own_alt_hi, run->job->own_alt_live);
    mp_scan_run(stopped_threads, run->nthreads, run->job->self_sp, run->job->regs, run->job->nregs,
                (unsigned)mp_opt.heuristics, &run->stats);
}

static void stage_classify(struct report_run *run)
{
    const struct mp_report_request *req = run->job->req;
    memset(totals, 0, sizeof totals);
    internal_blocks = internal_bytes = 0;
    agg_used = 0;
    agg_now = mp_live_clock_now();
    agg_min_age = req && req->min_age_s >= 0 ? (uint32_t)req->min_age_s : (uint32_t)mp_opt.min_age;
    if (agg)
        memset(agg, 0, agg_cap * sizeof *agg);
    clock_gettime(CLOCK_MONOTONIC, &run->t1);
    mp_heap_foreach(agg_block, NULL);
    mp_heap_totals(&run->nalloc, &run->balloc, &run->nfree, &run->bfree);
}

static void stage_resume(struct report_run *run)
{
    mp_threads_resume(run->final);
    mp_heap_unlock_all();
    mp_depot_unlock();
    pthread_sigmask(SIG_SETMASK, &run->old_mask, NULL);
    if (run->final)
        __atomic_store_n(&mp_runtime_phase, MP_PHASE_STOPPED, __ATOMIC_RELEASE);
}

static void stage_model(struct report_run *run)
{
    const struct mp_report_request *req = run->job->req;
    struct mp_report_input *in = &run->in;
    fill_common(in, run->job->reason);
    uint32_t seq = ++seq_counter;
    in->report_seq = seq;
    in->min_age_s = agg_min_age;
    in->only_new = req && req->only_new;
    in->prev_seq = prev_seq_no;
    cur_seq = run->final ? 0 : seq; /* the last report (exit or fatal signal) is PID.json */
    for (int k = 0; k < MP_LEAK_NKINDS; k++)
        in->lost[k] = totals[k];
    for (int h = 0; h < 4; h++) {
        in->heuristic[h].bytes = run->stats.heur_bytes[h];
        in->heuristic[h].blocks = run->stats.heur_blocks[h];
    }
    in->total_allocated.blocks = run->nalloc;
    in->total_allocated.bytes = run->balloc;
    in->total_freed.blocks = run->nfree;
    in->total_freed.bytes = run->bfree;
    run->recs_cap = agg_used + 1;
    struct mp_loss_record *recs = mp_pages_alloc(run->recs_cap * sizeof *recs);
    run->recs = recs;
    size_t r = 0;
    for (size_t i = 0; recs && i < agg_cap; i++) {
        if (!agg[i].key)
            continue;
        uint64_t key = agg[i].key - 1;
        recs[r].stack = (uint32_t)key;
        recs[r].kind = (unsigned)(key >> 32) & 15;
        recs[r].allocator = (unsigned)(key >> 36) & 15;
        recs[r].bytes = agg[i].fbytes;
        recs[r].blocks = agg[i].fblocks;
        recs[r].indirect_bytes = agg[i].indirect;
        recs[r].oldest_age_s = agg[i].fblocks ? agg[i].tmax - 1 : 0;
        recs[r].newest_age_s = agg[i].fblocks ? agg[i].tmin : 0;
        const struct agg_slot *p = prev_find(agg[i].key);
        uint64_t pb = p ? p->bytes : 0, pn = p ? p->blocks : 0;
        recs[r].bytes_increase = (int64_t)(agg[i].bytes - pb);
        recs[r].blocks_increase = (int64_t)(agg[i].blocks - pn);
        if (in->only_new) {
            unsigned k = recs[r].kind & 3;
            in->lost_increase[k].bytes += agg[i].bytes > pb ? agg[i].bytes - pb : 0;
            in->lost_increase[k].blocks += agg[i].blocks > pn ? agg[i].blocks - pn : 0;
        }
        if (!agg[i].fblocks)
            continue; /* all its blocks are younger than min_age */
        if (in->only_new && agg[i].bytes <= pb && agg[i].blocks <= pn)
            continue; /* neither new nor grown */
        r++;
    }
    prev_keep();
    prev_seq_no = seq;
    mp_live_fill_report(in);
    in->records = recs;
    in->nrecords = r;
    const struct mp_error_record *errs;
    if (run->final)
        mp_misuse_settle(); /* records other threads are still writing */
    in->nerrors = mp_misuse_errors(&errs, &run->nerr_total);
    in->errors = errs;
    in->error_count = run->nerr_total;
    run->stacks = build_stacks(&run->nstacks);
    in->stacks = run->stacks;
    in->nstacks = run->nstacks;
    in->nmodules = mp_modules_collect(&run->mods);
    in->modules = run->mods;
}

static void stage_route(struct report_run *run)
{
    const struct mp_report_request *req = run->job->req;
    struct mp_report_input *in = &run->in;
    if (req && !req->use_config) {
        /* memplumber report PID: the files the command opened, and nothing else */
        mp_fmt(run->json, sizeof run->json, "%s", req->json_path ? req->json_path : "");
        mp_fmt(run->html, sizeof run->html, "%s", req->html_path ? req->html_path : "");
        mp_fmt(run->pprof, sizeof run->pprof, "%s", req->pprof_path ? req->pprof_path : "");
        run->sarif[0] = 0;
    } else {
        report_path(mp_opt.json, run->json, sizeof run->json);
        report_path(mp_opt.sarif, run->sarif, sizeof run->sarif);
        report_path(mp_opt.html, run->html, sizeof run->html);
        report_path(mp_opt.pprof, run->pprof, sizeof run->pprof);
    }
    report_path(mp_opt.xml_file, run->xml, sizeof run->xml);
    in->opt.xml_fd = mp_opt.xml_fd && !mp_exec_unasked ? user_fd(&user_xml_fd, &user_xml_copy) : -1;
    if (mp_opt.xml_fd && !mp_exec_unasked && in->opt.xml_fd < 0 && !silent_child)
        mp_fdprintf(mp_err_fd(), "==%d== memplumber: the XML report is not written: descriptor %u "
                                 "is no longer the file given with --xml-fd (the program closed "
                                 "or replaced it)\n", (int)getpid(), (unsigned)mp_opt.xml_fd);
    if (silent_child) {
        /* child_silent_after_fork: the check counts, nothing is written */
        run->json[0] = run->sarif[0] = run->html[0] = run->pprof[0] = run->xml[0] = 0;
        in->opt.xml_fd = -1;
        in->opt.err_fd = -1;
    }
    in->opt.xml_path = run->xml;
    in->opt.json_path = run->json;
    in->opt.sarif_path = run->sarif;
    in->opt.html_path = run->html;
    in->opt.pprof_path = run->pprof;
    memset(&run->result, 0, sizeof run->result);
    in->opt.result = &run->result;
    /* the text descriptor is checked under emit_lock, in render */
}

static int any_file(const struct report_run *run)
{
    return run->json[0] || run->sarif[0] || run->html[0] || run->pprof[0];
}

/* The report library cannot be loaded here: the memplumber command renders the model in a
 * fresh process (report_spawn.c); if that cannot run either, the text report is written here
 * with unsymbolized frames, saying why, and the report files are not written. */
static void render_elsewhere(struct report_run *run)
{
    struct mp_report_input *in = &run->in;
    char lib[4096], why[600];
    why[0] = 0;
    /* No signal handler of the program's may run in the child before its exec. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int spawned = !report_lib_path(lib, sizeof lib) &&
                  mp_report_spawn(in, lib, &run->result, &run->rc, why, sizeof why) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (spawned)
        return;
    run->rc = -1;
    run->result.valid = 0;
    const char *reason = lib_refused ? lib_refused : "the report library could not be loaded";
    int others = run->sarif[0] || run->html[0] || run->pprof[0] || run->xml[0] || mp_opt.xml_fd;
    mp_fdprintf(mp_err_fd(), "memplumber: error: %s, and the report could not be handed to the "
                             "memplumber command (%s): the report has no symbols%s%s\n",
                reason, why[0] ? why : "no report library path",
                run->json[0] ? "; the JSON report is written without them" : "",
                others ? "; the SARIF, HTML, XML and pprof reports are not written" : "");
    int fd = in->opt.text_fd >= 0 ? in->opt.text_fd : run->log_fd;
    if (fd >= 0)
        write_text_here(fd, in, run->recs, reason);
    if (run->json[0]) {
        /* largest first, as the report library lists them */
        size_t n = run->recs ? in->nrecords : 0;
        sort_records(run->recs, n);
        for (size_t i = 0; i < n / 2; i++) {
            struct mp_loss_record t = run->recs[i];
            run->recs[i] = run->recs[n - 1 - i];
            run->recs[n - 1 - i] = t;
        }
        char err[600];
        if (mp_report_plain_json(in, run->recs, n, run->json, reason, err, sizeof err))
            mp_fdprintf(mp_err_fd(), "memplumber: error: cannot write the JSON report '%s': %s\n",
                        run->json, err);
    }
}

static void stage_render(struct report_run *run)
{
    const struct mp_report_request *req = run->job->req;
    struct mp_report_input *in = &run->in;
    size_t nrec = in->nrecords;
    mp_mutex_lock(&emit_lock);
    write_errors_locked(); /* the errors not written yet come before the report */
    struct quiet q;
    quiet_begin(&q);
    run->log_fd = text_fd();
    in->opt.text_fd = run->log_fd;
    int needs_symbols = text_needs_symbols(run->recs, nrec);
    int need_lib = lib_write || run->xml[0] || in->opt.xml_fd >= 0 || any_file(run) || mp_opt.suppressions[0] ||
                   mp_opt.gen_suppressions || needs_symbols || mp_opt.baseline[0] ||
                   (req && !req->use_config) || in->only_new;
    if (mp_opt.verbosity == 0 && !needs_symbols)
        in->opt.text_fd = -1; /* quiet: only loss records would be written, and there are none */
    if (req && !req->use_config)
        in->opt.text_fd = req->text_fd;
    else
        write_preamble(in->opt.text_fd);
    run->rc = 0;
    if (silent_child) {
        /* only the counts: suppressions and a baseline need the report library */
        in->opt.text_fd = -1;
        if ((mp_opt.suppressions[0] || mp_opt.baseline[0]) && load_report_lib())
            run->rc = lib_write(in);
        else
            run->result.valid = 0;
    } else if (in->opt.text_fd < 0 && !any_file(run) && !run->xml[0] && in->opt.xml_fd < 0) {
        /* No text destination (the program closed stderr and reused its number; XML mode)
         * and no report file. */
    } else if (!need_lib) {
        if (in->opt.text_fd >= 0)
            write_text_here(in->opt.text_fd, in, run->recs, NULL);
        run->result.valid = 0;
    } else if (load_report_lib()) {
        run->rc = lib_write(in);
    } else {
        render_elsewhere(run);
    }
    quiet_end(&q);
    mp_mutex_unlock(&emit_lock);
    clock_gettime(CLOCK_MONOTONIC, &run->t2);
}

static unsigned long long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (unsigned long long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

static void stage_finish(struct report_run *run)
{
    if (run->final)
        limits_restore();
    /* -v's lines go where the text report went (a --log-file, --log-fd), as valgrind writes
     * everything of its own there: a harness reading the program's stderr must not find them. */
    int vfd = mp_opt.verbosity >= 2 && !silent_child ? text_fd() : -1;
    if (vfd < 0)
        vfd = mp_err_fd();
    if (mp_opt.verbosity >= 2 && !silent_child)
        mp_fdprintf(vfd, "memplumber: scan of %llu blocks (%llu root bytes, %llu heap bytes): %llu ms; "
                       "report: %llu ms; tool memory mapped: %llu KiB; internal blocks: %llu (%llu bytes)\n",
                    (unsigned long long)run->stats.blocks, (unsigned long long)run->stats.root_bytes,
                    (unsigned long long)run->stats.heap_bytes_scanned, ms_between(&run->t0, &run->t1),
                    ms_between(&run->t1, &run->t2), (unsigned long long)(mp_arena_mapped_bytes() >> 10),
                    (unsigned long long)internal_blocks, (unsigned long long)internal_bytes);
    if (mp_opt.verbosity >= 2 && !silent_child) {
        mp_fdprintf(vfd, "memplumber: stack depot: %u distinct stacks\n", mp_depot_count() - 1);
        struct mp_stack_cache_stats sc;
        mp_unwind_stack_cache_stats(&sc);
        if (sc.caches)
            mp_fdprintf(vfd,
                        "memplumber: stack cache: %u cache%s, %llu lookups, %llu answered (%llu%%); "
                        "trials: kept on %u times, off %u times\n",
                        sc.caches, sc.caches == 1 ? "" : "s", (unsigned long long)sc.lookups,
                        (unsigned long long)sc.hits,
                        (unsigned long long)(sc.lookups ? sc.hits * 100 / sc.lookups : 0),
                        sc.trials_on, sc.trials_off);
    }
    uint64_t local_leak_errors = run->recs ? leak_errors(run->recs, run->in.nrecords) : 0;
    if (run->recs)
        mp_pages_free(run->recs, run->recs_cap * sizeof *run->recs);
    if (run->stacks)
        mp_pages_free(run->stacks, run->nstacks * sizeof *run->stacks + sizeof *run->stacks);
    if (run->mods)
        mp_pages_free(run->mods, 4096 * sizeof(struct mp_module));
    report_lock_mine = 0;
    mp_mutex_unlock(&report_lock);
    mp_guard_leave(run->guard);

    /* What the ERROR SUMMARY counts, as in valgrind: heap errors and the loss records that are
     * errors (leak_records_are_errors: never under leak_check=summary or no), suppressed ones
     * left out (the report library applied the suppressions). */
    const struct mp_report_result *res = &run->result;
    uint64_t bad_blocks = res->valid ? res->leak_errors : local_leak_errors;
    uint64_t bad_errors = res->valid ? res->errors : run->nerr_total;
    /* --baseline: only what the baseline does not hold. */
    if (res->valid && res->baseline_used) {
        bad_blocks = res->new_leak_errors;
        bad_errors = res->new_errors;
    }
    if (run->at_exit && mp_opt.error_exitcode && (bad_blocks || bad_errors)) {
        flush_program_output();
        mp_raw_exit_group((int)mp_opt.error_exitcode);
    }
    if (run->final)
        __atomic_store_n(&final_done, 1, __ATOMIC_RELEASE);
    run->job->rc = run->rc;
}

static void report_body(void *arg)
{
    struct report_job *job = arg;
    /* Another thread's final report ran while this one waited for the stack. */
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING)
        return;
    struct report_run run; /* on memplumber's report stack (8 MiB) */
    struct report_run *r = &run;
    memset(r, 0, sizeof *r);
    r->job = job;
    r->at_exit = job->when == MP_REPORT_AT_EXIT;
    r->final = job->when != MP_REPORT_ON_DEMAND;
    stage_prepare(r);
    stage_stop(r);
    stage_scan(r);
    stage_classify(r);
    stage_resume(r);
    stage_model(r);
    stage_route(r);
    stage_render(r);
    stage_finish(r);
}
