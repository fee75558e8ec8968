/* The runtime of libmemplumber.so: initialisation (a list of named steps, run once, from the
 * first hook or the library constructor, whichever comes first), the handlers the hooks call,
 * and the exit report.
 * Context: every function here may run inside a hook, so none calls malloc or stdio; tool
 * memory comes from arena.c. Locks: none of its own except through heap.c and depot.c.
 * Re-entry: a hook entered while this thread holds a tool lock (a signal handler interrupted
 * us) cannot take locks; such events are queued per thread and applied when the lock is
 * released (pending_*). */
#include "preload/runtime/runtime.h"

#include "memplumber.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fmt.h"
#include "common/kinds.h"
#include "preload/hooks/bootstrap.h"
#include "preload/record/depot.h"
#include "preload/runtime/guard.h"
#include "preload/record/heap.h"
#include "preload/runtime/live.h"
#include "preload/record/maps.h"
#include "preload/check/misuse.h"
#include "preload/record/modules.h"
#include "preload/runtime/outfd.h"
#include "preload/runtime/own_thread.h"
#include "common/arena.h"
#include "common/suppress.h"
#include "preload/hooks/real.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/report_spawn.h"
#include "preload/runtime/safepoint.h"
#include "preload/record/unwind.h"
#include "preload/scan/threads.h"

__thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));

/* Padding that makes libmemplumber.so's TLS block (PT_TLS p_memsz) a multiple of 64 bytes. glibc
 * rounds the static TLS area to 64 bytes, and what that rounding leaves over joins the surplus a
 * dlopen'ed library with initial-exec TLS is placed in: with a block of 1824 bytes (32 short of
 * a multiple), a library of up to 30 bytes more than memplumber left room for loaded natively
 * and failed under it ("cannot allocate memory in static TLS block"). A multiple of 64 leaves the
 * program exactly its native room. Adding or removing __thread variables in the preload library
 * changes the sum: tests/integration/static_tls.sh says by how much to change this. */
#define MP_TLS_PAD 72
static __thread char mp_tls_pad[MP_TLS_PAD] __attribute__((used, tls_model("initial-exec")));

int mp_runtime_phase;
struct mp_options mp_opt;
uint32_t mp_module_gen;

pid_t mp_runtime_pid;

/* One page marked MADV_WIPEONFORK holding 1: the kernel zeroes it in every child that gets a copy
 * of our memory (fork, clone or clone3 without CLONE_VM), and leaves it in a child that shares
 * it (vfork, CLONE_VM). A process whose pid is not mp_runtime_pid is one of those two; the page
 * tells which (see mp_runtime_adopt_clone_child). NULL when the kernel refused the advice. */
static volatile unsigned char *own_mm_probe;
int mp_sandboxed;
int mp_saved_argc;
char **mp_saved_argv;

/* malloc_fill / free_fill: the byte new blocks (not calloc's) and freed blocks are filled with,
 * -1 = none. */
static int fill_new = -1, fill_freed = -1;

static pthread_t init_thread;
static int init_thread_set;

/* ---- initialisation ---- */

static void die_bad_options(const char *msg)
{
    mp_fdprintf(2, "memplumber: error: MEMPLUMBER_OPTIONS: %s\n", msg);
    mp_fdprintf(2, "memplumber: the program was not started; see 'memplumber --help'\n");
    mp_raw_exit_group(2);
}

static void step_options(void)
{
    mp_options_defaults(&mp_opt);
    char err[2048];
    const char *spec = getenv("MEMPLUMBER_OPTIONS");
    if (spec && mp_options_parse(&mp_opt, spec, err, sizeof err))
        die_bad_options(err);
    if (mp_opt.show_reachable)
        mp_opt.show_leak_kinds |= 1u << MP_LEAK_REACHABLE;
    mp_options_byte(mp_opt.malloc_fill, strlen(mp_opt.malloc_fill), &fill_new);
    mp_options_byte(mp_opt.free_fill, strlen(mp_opt.free_fill), &fill_freed);
    /* Report paths are relative to where the program started: it may chdir later. */
    char cwd[MP_OPT_STR_MAX];
    char *paths[] = {mp_opt.log_file, mp_opt.json, mp_opt.sarif, mp_opt.html, mp_opt.pprof, mp_opt.xml_file,
                     mp_opt.sarif_root, mp_opt.baseline};
    if (!getcwd(cwd, sizeof cwd))
        return;
    /* SARIF's source root: by default where the program started. */
    if (!mp_opt.sarif_root[0] && strlen(cwd) < sizeof mp_opt.sarif_root)
        memcpy(mp_opt.sarif_root, cwd, strlen(cwd) + 1);
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *p = paths[i];
        if (!p[0] || p[0] == '/')
            continue;
        char tmp[MP_OPT_STR_MAX];
        size_t need = mp_fmt(tmp, sizeof tmp, "%s/%s", cwd, p);
        if (need < sizeof tmp)
            memcpy(p, tmp, need + 1);
    }
    /* Two reports to one file: the second would overwrite the first at exit (the memplumber
     * command refuses it too). Devices such as /dev/null may be shared. */
    static const char *const labels[] = {"log_file", "json", "sarif", "html", "pprof", "xml_file"};
    for (unsigned i = 0; i < 6; i++) {
        struct stat st;
        if (!paths[i][0] || (!stat(paths[i], &st) && S_ISCHR(st.st_mode)))
            continue;
        for (unsigned j = i + 1; j < 6; j++) {
            if (strcmp(paths[i], paths[j]))
                continue;
            char msg[MP_OPT_STR_MAX + 256];
            mp_fmt(msg, sizeof msg, "%s and %s name the same file '%s': one report would "
                   "overwrite the other; give each report a file of its own", labels[i],
                   labels[j], paths[i]);
            die_bad_options(msg);
        }
    }
    /* The baseline is read at report time: a missing file costs no run (the memplumber command
     * checks its contents too). */
    if (mp_opt.baseline[0]) {
        int fd = open(mp_opt.baseline, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            /* no strerror here: it may translate, and allocate */
            int e = errno;
            char msg[MP_OPT_STR_MAX + 128];
            mp_fmt(msg, sizeof msg, "baseline=%s: cannot read the file: %s (give an earlier JSON "
                   "report, written with json=FILE)", mp_opt.baseline,
                   e == ENOENT ? "no such file" : e == EACCES ? "permission denied"
                   : e == ENOTDIR ? "a component of the path is not a directory" : "open failed");
            die_bad_options(msg);
        }
        close(fd);
    }
}

/* Suppression files are checked now, before main (the memplumber command checks them too, but
 * MEMPLUMBER_OPTIONS may name them directly): a typo costs no run. Relative names become
 * absolute, since the report reads the files at exit, maybe after a chdir. The file is read
 * into pages mapped for the check only. */
static void step_suppressions(void)
{
    if (!mp_opt.suppressions[0])
        return;
    char cwd[MP_OPT_STR_MAX], given[MP_OPT_STR_MAX], path[2 * MP_OPT_STR_MAX];
    char out[MP_OPT_STR_MAX], err[1536];
    size_t outlen = 0;
    int fits = 1, bad = 0;
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    char *buf = mp_pages_alloc(MP_SUPP_FILE_MAX + 1);
    for (const char *p = mp_opt.suppressions; *p && !bad;) {
        size_t n = strcspn(p, ",");
        memcpy(given, p, n);
        given[n] = 0;
        p += n + (p[n] == ',');
        if (!n)
            continue;
        if (given[0] == '/' || !cwd[0])
            mp_fmt(path, sizeof path, "%s", given);
        else
            mp_fmt(path, sizeof path, "%s/%s", cwd, given);
        if (!buf) {
            mp_fmt(err, sizeof err, "cannot map memory to read the suppression file '%s'", given);
            bad = 1;
        } else if (mp_suppress_check_file(path, given, buf, MP_SUPP_FILE_MAX + 1, err,
                                          sizeof err)) {
            bad = 1;
        }
        size_t pl = strlen(path);
        if (outlen + pl + 2 > sizeof out)
            fits = 0;
        if (fits) {
            if (outlen)
                out[outlen++] = ',';
            memcpy(out + outlen, path, pl + 1);
            outlen += pl;
        }
    }
    if (buf)
        mp_pages_free(buf, MP_SUPP_FILE_MAX + 1);
    if (bad) {
        mp_fdprintf(2, "memplumber: error: %s\n", err);
        mp_fdprintf(2, "memplumber: the program was not started; fix the file or the "
                       "suppressions option\n");
        mp_raw_exit_group(2);
    }
    if (fits && outlen)
        memcpy(mp_opt.suppressions, out, outlen + 1);
}

/* Stop following exec: blank our entry out of LD_PRELOAD in place (no allocation), so that
 * programs this process execs are not observed. Forked children keep tracking. */
static void step_follow_exec(void)
{
    if (mp_opt.follow_exec)
        return;
    extern char **environ;
    Dl_info di;
    if (!environ || !dladdr((void *)step_follow_exec, &di) || !di.dli_fname)
        return;
    const char *self = strrchr(di.dli_fname, '/');
    self = self ? self + 1 : di.dli_fname;
    size_t selflen = strlen(self);
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11))
            continue;
        char *s = *e + 11;
        while (*s) {
            char *end = s;
            while (*end && *end != ':' && *end != ' ')
                end++;
            size_t len = (size_t)(end - s);
            if (len >= selflen && !memcmp(end - selflen, self, selflen))
                memset(s, ' ', len);
            s = *end ? end + 1 : end;
        }
    }
}

/* /proc/self/maps kept open for the leak scan of a program that calls chroot (record/maps.h):
 * near the descriptor limit, or not at all (a low number is the program's to have). Opened at
 * start-up, and again when a fork child calls chroot (mp_runtime_before_chroot): a fork child's
 * inherited one shows the parent's mappings. A child that cannot open it (forked after the
 * chroot) keeps the parent's: the mappings it started with (the scan survives a mapping gone
 * since: it reads under a fault handler). */
static pid_t maps_fd_pid;

static void keep_maps_fd(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0 && mp_maps_kept_fd() >= 0)
        return;
    maps_fd_pid = mp_runtime_pid;
    fd = mp_outfd_place_high(fd);
    mp_maps_keep_fd(fd);
}

/* The main thread's stack, for the unwinder's bounds: the mapping that holds __libc_stack_end
 * ([stack]), as far down as it may grow (RLIMIT_STACK, at most MAIN_STACK_MAX: with an unlimited
 * limit the kernel lays out mappings from the bottom of the address space up, far below). Without
 * /proc, the top is the end of the readable pages from __libc_stack_end up (the arguments, the
 * environment and the auxiliary vector lie above it). */
#define MAIN_STACK_MAX ((uintptr_t)1 << 30)
#define MAIN_STACK_ABOVE_MAX ((uintptr_t)64 << 20)
extern void *__libc_stack_end;
static void step_main_stack(void)
{
    uintptr_t top = 0, bottom = 0;
    if (__libc_stack_end) {
        uintptr_t lo, hi;
        if (mp_maps_find((uintptr_t)__libc_stack_end, &lo, &hi) != 0) {
            lo = (uintptr_t)__libc_stack_end & ~(uintptr_t)4095;
            hi = mp_unwind_readable_end(lo, MAIN_STACK_ABOVE_MAX);
        }
        if (hi > lo) {
            struct rlimit rl;
            uintptr_t span = MAIN_STACK_MAX;
            if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur < span)
                span = rl.rlim_cur;
            if (span < hi - lo)
                span = hi - lo;
            top = hi;
            bottom = hi - span;
        }
    }
    if (getpid() == (pid_t)syscall(SYS_gettid)) {
        mp_tls.stack_top = top;
        mp_unwind_set_stack(bottom, top);
    }
}

/* valgrind puts its core's preload library (vgpreload_core-<platform>.so) first in the LD_PRELOAD
 * of every program it runs, and takes it out again for the programs it does not follow. */
static int under_valgrind(void)
{
#ifdef MP_PROFILE_UNDER_VALGRIND /* a build for callgrind's instruction counts (bench/README.md) */
    return 0;
#endif
    const char *pl = getenv("LD_PRELOAD");
    return pl && strstr(pl, "/vgpreload_core-");
}

/* A library in front of ours in LD_PRELOAD that defines malloc itself (jemalloc or tcmalloc added
 * by a script to whatever LD_PRELOAD held) takes the program's calls: we see only what it passes
 * on to us, nothing for an allocator of its own, and a report of nothing reads as "no leaks are
 * possible". An executable that defines malloc (its link map has no name) is the program's
 * choice, not a preload order. */
static void warn_malloc_owner(void)
{
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info di, self;
    struct link_map *lm = NULL;
    /* glibc's malloc debugging library (libc_malloc_debug.so.0) defines malloc only as a
     * compatibility symbol, malloc@GLIBC_2.2.5: a lookup by name passes over it, but programs
     * ask for that version, and bind to it. */
    if (m && dladdr((void *)warn_malloc_owner, &self) && dladdr(m, &di) &&
        di.dli_fbase == self.dli_fbase) {
        void *v = dlvsym(RTLD_DEFAULT, "malloc", "GLIBC_2.2.5");
        struct link_map *vm = NULL, *sm = NULL, *l;
        if (v && dladdr1(v, &di, (void **)&vm, RTLD_DL_LINKMAP) && vm &&
            dladdr1((void *)warn_malloc_owner, &self, (void **)&sm, RTLD_DL_LINKMAP) && sm) {
            for (l = vm; l && l != sm; l = l->l_prev)
                ;
            const char *vb = vm->l_name ? strrchr(vm->l_name, '/') : NULL;
            vb = vb ? vb + 1 : vm->l_name;
            if (!l) /* not after us in the search order: it takes the program's calls */
                m = v;
            else if (mp_opt.verbosity && vb && !strncmp(vb, "libc_malloc_debug.so", 20))
                /* After us: memplumber's lookups of the real functions pass over it too. */
                mp_fdprintf(2, "memplumber: warning: %s comes after libmemplumber.so in "
                               "LD_PRELOAD: memplumber calls libc's allocator, and that library's "
                               "checks (MALLOC_CHECK_, mcheck, mtrace) do not run\n", vb);
        }
    }
    if (!mp_opt.verbosity || !m || !dladdr1(m, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm ||
        !lm->l_name || !lm->l_name[0] || !dladdr((void *)warn_malloc_owner, &self) ||
        di.dli_fbase == self.dli_fbase)
        return;
    const char *base = strrchr(lm->l_name, '/');
    mp_fdprintf(2, "memplumber: warning: malloc in this process is %s's, which comes before "
                   "libmemplumber.so in LD_PRELOAD: memplumber sees only the allocations it passes "
                   "on (none, if it is an allocator of its own); put libmemplumber.so first\n",
                base ? base + 1 : lm->l_name);
}

static void early_flush(void);
static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);
static void at_exit_report(void);
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
/* set by a vfork child that ran at_exit_report_cb, quick_exit_report */
static int exit_handler_taken, quick_handler_taken;
static void at_exit_report_cb(void *arg)
{
    (void)arg;
    mp_runtime_adopt_clone_child();
    if (!__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) && getpid() != mp_runtime_pid) {
        /* A vfork child's exit(): glibc has removed this handler from the list it shares with
         * us, and marks the list finished; our own exit would run no handler (natively the
         * program's own are gone too). Leave word for mp_runtime_exit_handler_check. Its
         * _dl_fini has also finalised this library, which drops our at_quick_exit handler
         * without running it (__cxa_finalize does that to a library's quick_exit handlers). */
        __atomic_store_n(&exit_handler_taken, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&quick_handler_taken, 1, __ATOMIC_RELEASE);
        return;
    }
    at_exit_report();
}
static void install_report_signal(void);
static void quick_exit_report(void);

/* A first allocation made from the executable's .preinit_array comes before libc's initialiser,
 * which is what sets environ: getenv finds nothing yet, and MEMPLUMBER_OPTIONS (report files,
 * suppressions...) would be ignored for the whole run. Worse, memplumber's start-up calls dlopen,
 * and ld.so then runs libc's initialiser right away with the environ of that moment (NULL), and
 * never again: the program would find no environment at all, in main and after. ld.so left
 * argc, argv and the environment at __libc_stack_end (also when the program is started as
 * ld.so PROG): environ points there from now on, the array libc's initialiser sets it to. (The
 * rest of the program's .preinit_array, natively without an environment, then has one.) */
static void environ_borrow(void)
{
    extern char **environ;
    if (environ || !__libc_stack_end)
        return;
    long argc = *(long *)__libc_stack_end;
    if (argc < 0 || argc > (1L << 24))
        return;
    environ = (char **)__libc_stack_end + 1 + argc + 1;
}

int mp_runtime_ensure(void)
{
    int ph = __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE);
    if (ph >= MP_PHASE_TRACKING)
        return ph == MP_PHASE_TRACKING;
    if (ph == MP_PHASE_INIT) {
        /* Another thread initialises, or we re-entered from dlsym: the caller uses the
         * bootstrap arena (same thread) or waits briefly (other thread). */
        if (init_thread_set && pthread_equal(init_thread, pthread_self()))
            return 0;
        while (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_INIT)
            sched_yield();
        return __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING;
    }
    int none = MP_PHASE_NONE;
    if (!__atomic_compare_exchange_n(&mp_runtime_phase, &none, MP_PHASE_INIT, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return mp_runtime_ensure();
    init_thread = pthread_self();
    init_thread_set = 1;
    /* Initialising opens and reads files (some fail: ENOENT): the program's errno is kept, as
     * by every successful allocation (the first one of a program that allocates before
     * memplumber's constructor, from its .preinit_array, initialises here). */
    int saved_errno = errno;
    int g = mp_guard_enter();
    if (mp_real_resolve()) {
        mp_fdprintf(2, "memplumber: error: cannot find the real malloc/free (dlsym RTLD_NEXT)\n");
        mp_raw_exit_group(2);
    }
    environ_borrow();
    if (mp_real_other_copy_first()) {
        /* Another copy of this library comes first (two installs both in LD_PRELOAD): it owns
         * the program's functions and skips ours (real.c). Initialising here would add a second
         * set of fork and exit handlers and a second report of nothing; a hook of ours reached
         * anyway passes straight through. */
        mp_guard_leave(g);
        __atomic_store_n(&mp_runtime_phase, MP_PHASE_OFF, __ATOMIC_RELEASE);
        errno = saved_errno;
        return 0;
    }
    if (under_valgrind()) {
        /* valgrind runs this program on its own CPU and replaces malloc itself: our hooks see
         * nothing (a report would say "no leaks are possible"), and valgrind would flag our
         * exit-time stack reads as errors of the program's, changing its --error-exitcode
         * status. valgrind has the program; we stay out of the way. */
        mp_fdprintf(2, "memplumber: not observing this process: it runs under valgrind, which "
                       "replaces malloc itself (run the program under one of the two)\n");
        mp_guard_leave(g);
        __atomic_store_n(&mp_runtime_phase, MP_PHASE_OFF, __ATOMIC_RELEASE);
        errno = saved_errno;
        return 0;
    }
    mp_runtime_pid = getpid();
    {
        unsigned char *pg = mp_pages_alloc(4096);
        if (pg && syscall(SYS_madvise, pg, 4096, MADV_WIPEONFORK) == 0) {
            pg[0] = 1;
            own_mm_probe = pg;
        } else if (pg) {
            mp_pages_free(pg, 4096);
        }
    }
    mp_outfd_init();
    mp_report_stack_init();
    mp_report_reserve_init();
    step_options();
    warn_malloc_owner();
    step_suppressions();
    mp_report_read_env(); /* now: __libc_freeres clears the environment before the exit report */
    mp_exec_save_env();
    step_follow_exec();
    mp_modules_init();
    mp_unwind_init();
    mp_unwind_set_stack_cache(!strcmp(mp_opt.stack_cache, "yes")  ? MP_STACK_CACHE_ON
                              : !strcmp(mp_opt.stack_cache, "no") ? MP_STACK_CACHE_OFF
                                                                  : MP_STACK_CACHE_AUTO);
    step_main_stack();
    keep_maps_fd();
    mp_heap_init();
    mp_misuse_init();
    mp_safepoint_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* Not atexit(): from a shared object that binds the handler to this object, and it would
     * run while ld.so finalises us, before other libraries' destructors. With no DSO handle it
     * stays in exit()'s list, registered before _dl_fini, so it runs after every destructor. */
    if (mp_opt.report_on_exit)
        __cxa_atexit(at_exit_report_cb, NULL, NULL);
    mp_own_thread_init();
    install_report_signal();
    if (mp_opt.report_on_exit)
        at_quick_exit(quick_exit_report);
    mp_exits_resolve();
    mp_signals_init();
    mp_live_init();
    early_flush();
    mp_guard_leave(g);
    __atomic_store_n(&mp_runtime_phase, MP_PHASE_TRACKING, __ATOMIC_RELEASE);
    errno = saved_errno;
    return 1;
}

/* glibc passes argc, argv and envp to ELF constructors. */
__attribute__((constructor)) static void mp_constructor(int argc, char **argv, char **envp)
{
    (void)envp;
    mp_saved_argc = argc;
    mp_saved_argv = argv;
    /* A copy: programs rewrite their argv in place (head, daemons), the report names the
     * command line the program was started with. */
    size_t total = (size_t)(argc + 1) * sizeof(char *);
    for (int i = 0; argv && i < argc; i++)
        total += strlen(argv[i]) + 1;
    char **copy = argv ? mp_arena_alloc(total) : NULL;
    if (copy) {
        char *at = (char *)(copy + argc + 1);
        for (int i = 0; i < argc; i++) {
            size_t n = strlen(argv[i]) + 1;
            memcpy(at, argv[i], n);
            copy[i] = at;
            at += n;
        }
        copy[argc] = NULL;
        mp_saved_argv = copy;
    }
    mp_runtime_ensure();
    if (mp_runtime_phase == MP_PHASE_OFF)
        return;
    if (mp_report_apply_skip(argc, argv))
        step_follow_exec();
    else if (mp_runtime_phase == MP_PHASE_TRACKING)
        mp_report_open_log_early();
}

/* ---- stacks ---- */

/* The unwinder's walk memo (one per thread and per path: allocation, free) recognises a capture
 * that repeats the previous one frame for frame and hands back the id attached to it: a program
 * allocating in a loop skips the self-frame filter and the depot's hash and probe. */
static inline uint32_t capture_into(uintptr_t *fp, int slot, uintptr_t *pcs)
{
    struct mp_unwind_regs r = {fp[1], (uintptr_t)(fp + 2), fp[0]};
    struct mp_unwind_info info;
    mp_unwind_memo_slot = slot;
    int n = mp_unwind_ex(&r, pcs, (int)mp_opt.depth, &info);
    if (n <= 0)
        return 0;
    if (info.same_id)
        return info.same_id;
    uint32_t id = mp_depot_put(pcs, (uint32_t)n, __atomic_load_n(&mp_module_gen, __ATOMIC_RELAXED));
    if (id)
        mp_unwind_attach_id(info.token, id);
    return id;
}

/* The hooks run on the program's stacks, some of them small (an 8 KiB sigaltstack where a
 * handler calls printf, a split-stack segment, a coroutine's): the common depths keep their
 * frames on a 64-entry array; a depth above that uses the thread's buffer in tool memory, and
 * the full array on the stack, in a frame of its own, only when that buffer is busy (a signal
 * handler's capture inside another) or missing. */
_Static_assert(MP_MAX_DEPTH <= MP_UNWIND_DEEP_MAX, "the deep buffer holds every depth");

static __attribute__((noinline)) uint32_t capture_deep_on_stack(uintptr_t *fp, int slot)
{
    uintptr_t pcs[MP_MAX_DEPTH];
    return capture_into(fp, slot, pcs);
}

static __attribute__((noinline)) uint32_t capture_deep(uintptr_t *fp, int slot)
{
    uintptr_t *pcs = mp_unwind_deep_buffer();
    if (!pcs)
        return capture_deep_on_stack(fp, slot);
    uint32_t id = capture_into(fp, slot, pcs);
    mp_unwind_deep_release();
    return id;
}

static inline uint32_t capture_slot(uintptr_t *fp, int slot)
{
    if (__builtin_expect(mp_opt.depth > 64, 0))
        return capture_deep(fp, slot);
    uintptr_t pcs[64];
    return capture_into(fp, slot, pcs);
}

static inline uint32_t capture(uintptr_t *fp) { return capture_slot(fp, 0); }

uint32_t mp_runtime_capture_free(uintptr_t *fp) { return capture_slot(fp, 1); }

uint32_t mp_runtime_capture(uintptr_t *fp) { return capture(fp); }

/* ---- deferred events from signal handlers that interrupted a critical section ---- */

/* An allocation or free seen while this thread held a tool lock (a signal handler interrupted
 * memplumber), recorded when the thread is back in the program. */
enum mp_pending_op { MP_PENDING_ALLOC, MP_PENDING_FREE, MP_PENDING_FREED /* already freed for real */ };
struct pending {
    void *p;
    size_t size;
    unsigned kind; /* alloc kind (MP_PENDING_ALLOC) or free kind (MP_PENDING_FREE, _FREED) */
    unsigned op;
};

#define NPENDING 64
#define PENDING_REALLOC_OLD 200 /* a free kind of its own: remove the record, free nothing */
static __thread struct pending pending_q[NPENDING] __attribute__((tls_model("initial-exec")));
static __thread int pending_n __attribute__((tls_model("initial-exec")));
static __thread int pending_head __attribute__((tls_model("initial-exec"))); /* next to drain */

static void pending_push(void *p, size_t size, unsigned kind, unsigned op)
{
    if (pending_n < NPENDING) {
        pending_q[pending_n].p = p;
        pending_q[pending_n].size = size;
        pending_q[pending_n].kind = kind;
        pending_q[pending_n].op = op;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        pending_n++;
    }
}

/* In the order the events happened: a handler that mallocs a block and frees it queues the
 * allocation before the free, and a realloc queues the old block's removal before the new
 * block (often at the same address). Drained newest first, the free found nothing in the table
 * and was dropped (the block never reached the real free), then the allocation entered a block
 * that no longer existed: a false leak with no stack for every such pair. Each entry is claimed
 * (pending_head moves) before it is processed, so a handler that drains from inside this loop
 * takes the entries after it and never one twice. Entries are only queued while this thread is
 * inside the tool (never at the reset below, where it is in the program), so resetting the
 * queue when it is all taken loses nothing: pending_n first, so a handler that runs between the
 * two stores finds nothing to take. */
static void pending_drain(void)
{
    while (pending_head < pending_n && mp_tls.state == MP_IN_PROGRAM) {
        /* From the claim to the table operation, a handler that interrupts this queues its
         * events (after this one) instead of recording them: the blocks of MP_PENDING_FREED and
         * PENDING_REALLOC_OLD entries are back in the allocator already, and a handler's malloc
         * recorded here could get the same address, whose record this entry's removal then
         * took (the handler's block untracked, its free a false double free). */
        mp_tls.state = MP_IN_CRITICAL;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (pending_head >= pending_n) {
            /* a handler that ran just before drained the queue (and may have reset it): an
             * entry read now would be a stale one, and pending_head would pass pending_n */
            mp_tls.state = MP_IN_PROGRAM;
            break;
        }
        struct pending e = pending_q[pending_head];
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        /* No stale copy of the address: this TLS is scanned as a root, and a block leaked
         * later would be found through it (still reachable). */
        pending_q[pending_head++].p = NULL;
        if (e.op == MP_PENDING_FREE || e.op == MP_PENDING_FREED) {
            /* kind 200: the old block of a realloc, already released by the real realloc
             * (and maybe the new block's address): only its record goes. */
            struct mp_block b;
            const int had = mp_heap_remove((uintptr_t)e.p, &b);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            mp_tls.state = MP_IN_PROGRAM;
            if (had) {
                if (e.kind != PENDING_REALLOC_OLD && e.op != MP_PENDING_FREED)
                    MP_REAL_VOID(mp_real.free(e.p));
            } else if (e.kind != PENDING_REALLOC_OLD && !mp_real.foreign) {
                /* Not a block of the table: the handler freed what the code it interrupted
                 * was freeing (or had freed), or a pointer that is no block. A bad free,
                 * reported as in the hooks (MP_PENDING_FREED: the allocator has had it, as
                 * natively). Its stack is gone (the handler has returned): the error is one
                 * context per address. */
                mp_misuse_report_bad_free_at(e.p, e.kind, 0, 0);
            }
        } else {
            mp_heap_insert((uintptr_t)e.p, e.size, 0, e.kind);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            mp_tls.state = MP_IN_PROGRAM;
        }
    }
    if (pending_head == pending_n) {
        pending_n = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        pending_head = 0;
    }
}

/* Before a hook's own table operation: the queued events happened before it, and the real
 * allocator may already have handed out again an address they name (the old block of a queued
 * realloc, freed for real at once). Recorded after the current event, the queued allocation of
 * that address replaced the current one's record and the queued removal then dropped it: the
 * program's next free or realloc of the block was reported as invalid. */
static inline void pending_drain_first(void)
{
    if (__builtin_expect(pending_n, 0))
        pending_drain();
}

int mp_in_freeres;

/* Allocations made by libc/ld.so while memplumber initialises (pthread_atfork, atexit, dlsym):
 * entered in the table as internal blocks when initialisation ends. */
#define NEARLY 256
static struct {
    void *p;
    size_t size;
} early[NEARLY];
static int nearly;

static void early_remember(void *p, size_t size)
{
    if (nearly < NEARLY) {
        early[nearly].p = p;
        early[nearly].size = size;
        nearly++;
    }
}

static void early_flush(void)
{
    for (int i = 0; i < nearly; i++)
        mp_heap_insert((uintptr_t)early[i].p, early[i].size, 0, MP_ALLOC_INTERNAL);
    nearly = 0;
}

/* ---- the hooks' handlers ---- */

/* Both handlers start the cache misses they will take (the block table's line, the chunk
 * header glibc's free reads) before the stack capture, so that the misses overlap the capture
 * instead of following it. */
void mp_runtime_on_alloc(void *p, size_t size, unsigned alloc_kind, uintptr_t *fp)
{
    mp_heap_prefetch((uintptr_t)p);
    if (__builtin_expect(fill_new >= 0, 0) && alloc_kind != MP_ALLOC_CALLOC &&
        alloc_kind != MP_ALLOC_REALLOC)
        memset(p, fill_new, size);
    pending_drain_first();
    uint32_t id = capture(fp);
    int rc = mp_heap_insert((uintptr_t)p, size, id, alloc_kind);
    if (__builtin_expect(rc > 0, 0))
        mp_live_poll_hint();
    mp_safepoint_poll(fp);
}

/* The bad free p of a program started by exec that valgrind would not trace (mp_exec_unasked):
 * write the error, then tell whether p may go on to the allocator, its native fate (see
 * mp_runtime_on_free). Writing allocates (the report library, symbols), and glibc hands out the
 * chunk a double free names first (tcache, an exact fit): when the write has taken it, the hand-on
 * would free memplumber's block instead of failing glibc's check (the program that aborts
 * natively went on and exited with 0, its memory corrupted). Then the free is not handed on; for
 * free (is_free), what glibc does with a double free of a free chunk of that size is done
 * instead: a chunk of the same size freed twice, on which glibc's check fails (its message,
 * then SIGABRT, as natively). */
static int unasked_write_then_hand_on(void *p, int is_free, uintptr_t *fp)
{
    size_t size;
    int was_freed = mp_misuse_freed_size(p, &size);
    mp_safepoint_after_error(fp);
    struct mp_block b;
    if (!mp_heap_find((uintptr_t)p, &b))
        return 1; /* still the allocator's free chunk (or not a chunk at all): as natively */
    if (is_free && was_freed && mp_real.free) {
        void *q = MP_REAL(mp_real.malloc(size ? size : 1));
        if (q) {
            MP_REAL_VOID(mp_real.free(q));
            MP_REAL_VOID(mp_real.free(q)); /* glibc aborts here */
        }
    }
    return 0;
}

int mp_runtime_on_free(void *p, unsigned free_kind, size_t sized, int has_size, uintptr_t *fp)
{
    struct mp_block b;
    /* Until the hook has handed p to the real free (it clears this): a signal handler that
     * interrupts the removal or the real free and frees p too makes a double free, which must
     * not reach the allocator (mp_runtime_free_slow). */
    mp_tls.freeing = p;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_heap_prefetch((uintptr_t)p);
    __builtin_prefetch((const char *)p - 16); /* glibc's chunk header */
    pending_drain_first();
    uint32_t fs = mp_misuse_free_stack(fp);
    if (__builtin_expect(mp_heap_remove((uintptr_t)p, &b), 1)) {
        if (__builtin_expect(!mp_misuse_free_ok(&b, free_kind, sized, has_size), 0)) {
            mp_misuse_report_mismatch(&b, free_kind, sized, has_size, fp);
            mp_safepoint_after_error(fp);
        }
        if (__builtin_expect(fill_freed >= 0, 0))
            memset(p, fill_freed, b.size);
        mp_misuse_remember_free_as(&b, fs, fp);
        return 1; /* no safe-point poll here: the free path stays as it was (allocations poll) */
    }
    if (mp_bootstrap_owns(p))
        return 0;
    if (mp_real.foreign)
        return 1; /* a block of the allocator's own entry points (real.h): free it as asked */
    /* With LD_AUDIT, ld.so allocates part of its bookkeeping before libmemplumber.so is relocated
     * (its minimal malloc, or the real one before the preload binds), and __libc_freeres, which
     * only memplumber runs (never natively), frees it: no error of the program's, and not ours
     * to free either. */
    if (__atomic_load_n(&mp_in_freeres, __ATOMIC_RELAXED))
        return 0;
    if (mp_report_freeres_took(p))
        return 1; /* a stdio buffer the final report set aside (report_entry.c): free it */
    mp_misuse_report_bad_free(p, free_kind, 0, fp);
    /* A program valgrind would have run natively (started by exec, no --trace-children=yes)
     * keeps its native fate: the bad free goes on to the allocator, which aborts on a double
     * or invalid free as it does without memplumber. Dropping it would turn that crash into a
     * clean exit, and a test harness's FAIL into a PASS (its status stays its own, so
     * error_exitcode cannot flag it either). */
    if (mp_exec_unasked)
        return unasked_write_then_hand_on(p, 1, fp);
    mp_safepoint_after_error(fp);
    return 0;
}

static void *real_alloc(unsigned kind, size_t size, size_t align, size_t nmemb)
{
    if (kind == MP_ALLOC_CALLOC)
        return mp_real.calloc(nmemb, size);
    if (align)
        return mp_real.memalign(align, size);
    return mp_real.malloc(kind >= MP_ALLOC_NEW && !size ? 1 : size);
}

void *mp_runtime_alloc_slow(unsigned kind, size_t size, size_t align, size_t nmemb,
                            uintptr_t *fp)
{
    if (mp_runtime_phase != MP_PHASE_TRACKING && !mp_runtime_ensure()) {
        if (mp_real_state != MP_REAL_READY) {
            size_t total;
            if (__builtin_mul_overflow(size, nmemb, &total))
                return NULL;
            return mp_bootstrap_alloc(total, align);
        }
        /* Resolved but not tracking (stopped after the exit report, or still initialising:
         * remember what is made during initialisation, it is entered as internal once the
         * table exists). */
        void *p = real_alloc(kind, size, align, nmemb);
        if (p && mp_runtime_phase == MP_PHASE_INIT)
            early_remember(p, kind == MP_ALLOC_CALLOC ? size * nmemb : size);
        return p;
    }
    if (mp_tls.state == MP_IN_TOOL) {
        /* glibc and ld.so may keep what they allocate now (atexit lists, dl_find_object data)
         * and free it later from the program's side: track it, unreported. Zeroed: such a block
         * is scanned like the program's (it may be reachable), and memory recycled from the
         * program's freed blocks would bring their stale pointers with it (libstdc++'s 72 KiB
         * exception pool, made when the report library is loaded at exit, kept a leaked list
         * reachable). */
        void *p = real_alloc(kind, size, align, nmemb);
        if (p && kind != MP_ALLOC_CALLOC)
            memset(p, 0, kind >= MP_ALLOC_NEW && !size ? 1 : size);
        if (p && mp_runtime_phase == MP_PHASE_TRACKING)
            mp_heap_insert((uintptr_t)p, kind == MP_ALLOC_CALLOC ? size * nmemb : size, 0,
                           MP_ALLOC_INTERNAL);
        return p;
    }
    if (mp_tls.state == MP_IN_CRITICAL || mp_tls.state == MP_IN_REAL) {
        void *p = real_alloc(kind, size, align, nmemb);
        if (p)
            pending_push(p, kind == MP_ALLOC_CALLOC ? size * nmemb : size, kind,
                         MP_PENDING_ALLOC);
        return p;
    }
    /* Initialised just now by this call: the normal path. */
    void *p = real_alloc(kind, size, align, nmemb);
    if (p)
        mp_runtime_on_alloc(p, kind == MP_ALLOC_CALLOC ? size * nmemb : size, kind, fp);
    return p;
}

void mp_runtime_free_slow(void *p, unsigned free_kind, uintptr_t *fp)
{
    if (mp_bootstrap_owns(p))
        return;
    if (mp_runtime_phase != MP_PHASE_TRACKING && !mp_runtime_ensure()) {
        if (mp_real_state == MP_REAL_READY) {
            /* Tracking stopped: a block may still be in the table; keep it consistent. */
            struct mp_block b;
            if (mp_runtime_phase == MP_PHASE_STOPPED && !mp_heap_remove((uintptr_t)p, &b))
                return;
            mp_real.free(p);
        }
        return;
    }
    if (mp_tls.state == MP_IN_TOOL) {
        /* memplumber's own code (or code it called: dlopen, libdw) frees. If the block was the
         * program's (ld.so may free what it allocated earlier), keep the table exact. */
        struct mp_block b;
        if (!mp_heap_remove((uintptr_t)p, &b) && !mp_real.foreign && mp_misuse_recently_freed(p)) {
            /* Not memplumber's code: a signal handler of the program's that interrupted it
             * (writing a heap error, say) frees a block the program has freed already
             * (typically the one whose double free is being written). glibc would abort on
             * it: report it (recorded only, written at the next safe point) and drop it. The
             * tool's own blocks are in the table (entered as internal), so never land here. */
            mp_misuse_report_bad_free(p, free_kind, 0, fp);
            return;
        }
        mp_real.free(p);
        return;
    }
    if (mp_tls.state == MP_IN_CRITICAL || mp_tls.state == MP_IN_REAL) {
        /* A signal handler that interrupted memplumber or the real allocator frees: the block
         * goes back to the allocator now, as natively, and only its record's removal waits.
         * Deferring the real free too unbalanced what the handler does to the allocator: a
         * handler that mallocs and frees a block while glibc's free is half-way through putting
         * another block on its tcache list (it runs fine natively: the pop and the push undo
         * each other) took the list's head and left it there, and the deferred free then put it
         * on the list a second time (glibc: "double free detected in tcache 2", a crash a native
         * run never has). The removal is queued first: a nested handler that gets the same
         * address back from malloc queues its allocation after it. (As realloc does below.) */
        if (p == mp_tls.freeing) {
            /* the very block the interrupted hook is freeing: a double free; reported when
             * the queue drains (its record is gone then), never given to the allocator */
            pending_push(p, 0, free_kind, MP_PENDING_FREE);
            return;
        }
        pending_push(p, 0, free_kind, MP_PENDING_FREED);
        mp_real.free(p);
        return;
    }
    if (mp_runtime_on_free(p, free_kind, 0, 0, fp))
        mp_real.free(p);
    mp_tls.freeing = NULL; /* set by mp_runtime_on_free */
}

/* realloc of a block memplumber does not know while the real allocator is not glibc's
 * (real.h): one of that allocator's own blocks (mallocx, tc_malloc). The real realloc does what
 * it does natively; the block it returns is recorded like any realloc's. */
static void *foreign_realloc(void *p, size_t n, uintptr_t *fp)
{
    void *q = MP_REAL(mp_real.realloc(p, n));
    if (q)
        mp_runtime_on_alloc(q, n, MP_ALLOC_REALLOC, fp);
    return q;
}

/* realloc of a block from operator new or new[]: valgrind reports a mismatched free and carries
 * on (so does memplumber: the realloc is done, its result is a malloc block). b is the old block,
 * already out of the table or updated by the realloc; only its kind and stacks are read. */
static void realloc_check_kind(const struct mp_block *b, uintptr_t *fp)
{
    if (__builtin_expect(b->kind >= MP_ALLOC_NEW && b->kind < MP_ALLOC_NKINDS, 0)) {
        mp_misuse_report_mismatch(b, MP_FREE_REALLOC, 0, 0, fp);
        mp_safepoint_after_error(fp);
    }
}

void *mp_runtime_realloc(void *p, size_t n, uintptr_t *fp)
{
    if (!p) {
        if (mp_tls.state != MP_IN_PROGRAM || mp_runtime_phase != MP_PHASE_TRACKING)
            return mp_runtime_alloc_slow(MP_ALLOC_REALLOC, n, 0, 1, fp);
        void *q = MP_REAL(mp_real.malloc(n));
        if (q && fill_new >= 0)
            memset(q, fill_new, n);
        if (q)
            mp_runtime_on_alloc(q, n, MP_ALLOC_REALLOC, fp);
        return q;
    }
    if (mp_bootstrap_owns(p)) {
        size_t old = mp_bootstrap_size(p);
        void *q = mp_runtime_alloc_slow(MP_ALLOC_REALLOC, n ? n : 1, 0, 1, fp);
        if (q)
            memcpy(q, p, old < n ? old : n);
        return q;
    }
    if (mp_tls.state != MP_IN_PROGRAM || mp_runtime_phase != MP_PHASE_TRACKING) {
        if (mp_runtime_phase == MP_PHASE_TRACKING && (mp_tls.state == MP_IN_CRITICAL || mp_tls.state == MP_IN_REAL)) {
            void *q = mp_real.realloc(p, n);
            if (q || !n) {
                /* The old block is gone from the allocator's point of view; do not free it
                 * again when the queue drains: it is only removed from the table. */
                pending_push(p, 0, PENDING_REALLOC_OLD, MP_PENDING_FREE);
                if (q)
                    pending_push(q, n, MP_ALLOC_REALLOC, MP_PENDING_ALLOC);
            }
            return q;
        }
        struct mp_block b;
        int had = 0;
        if (mp_real_state == MP_REAL_READY && (mp_runtime_phase == MP_PHASE_STOPPED || mp_tls.state == MP_IN_TOOL))
            had = mp_heap_remove((uintptr_t)p, &b);
        if (mp_real_state != MP_REAL_READY)
            return NULL;
        void *q = mp_real.realloc(p, n);
        if (q && had && mp_tls.state == MP_IN_TOOL && n > b.size)
            memset((char *)q + b.size, 0, n - b.size); /* as for malloc in tool code: zeroed */
        /* As for malloc in tool code: libraries loaded by the report library (libcrypto's
         * hash tables) keep what they realloc and free it from the program's side at exit. */
        if (mp_tls.state == MP_IN_TOOL && mp_runtime_phase == MP_PHASE_TRACKING) {
            if (q)
                mp_heap_insert((uintptr_t)q, n, 0, MP_ALLOC_INTERNAL);
            else if (n && had)
                mp_heap_insert((uintptr_t)p, b.size, b.stack, b.kind);
        }
        return q;
    }
    pending_drain_first();
    struct mp_block b;
    if (n == 0) {
        /* glibc semantics: realloc(p, 0) frees p and returns NULL. */
        if (!mp_heap_remove((uintptr_t)p, &b)) {
            if (mp_real.foreign)
                return foreign_realloc(p, n, fp);
            mp_misuse_report_bad_free(p, MP_FREE_FREE, 1, fp);
            if (mp_exec_unasked) {
                /* realloc(p, 0) frees p: a double free to glibc as well */
                if (unasked_write_then_hand_on(p, 1, fp))
                    return foreign_realloc(p, n, fp); /* its native fate: see mp_runtime_on_free */
            } else {
                mp_safepoint_after_error(fp);
            }
            errno = ENOMEM;
            return NULL;
        }
        realloc_check_kind(&b, fp);
        mp_misuse_remember_free(&b, fp);
        MP_REAL_VOID(mp_real.free(p));
        return NULL;
    }
    /* The block keeps its entry while the real realloc runs: most reallocs leave the block where
     * it is (glibc grows into the free space after it), and then the entry is only updated. With
     * glibc's realloc and blocks under 64 KiB, in one critical section around it; else the entry
     * is flagged meanwhile (see heap.h). The capture comes first, so that the table's cache miss
     * overlaps it. */
    mp_heap_prefetch((uintptr_t)p);
    uint32_t id = capture(fp);
    void *q = NULL;
    int rc = mp_heap_realloc((uintptr_t)p, n, id, MP_ALLOC_REALLOC,
                             mp_real.realloc_is_libc ? mp_real.realloc : NULL, &q, &b);
    if (rc == MP_HEAP_REALLOC_BAD) {
        if (mp_real.foreign)
            return foreign_realloc(p, n, fp);
        mp_misuse_report_bad_free(p, MP_FREE_FREE, 1, fp);
        if (mp_exec_unasked) {
            if (unasked_write_then_hand_on(p, 0, fp))
                return foreign_realloc(p, n, fp); /* its native fate: see mp_runtime_on_free */
            /* The chunk is memplumber's now: glibc does not check the realloc of a freed chunk
             * and natively hands back a block (of the chunk's stale contents): a new one. */
            void *q = MP_REAL(mp_real.malloc(n));
            if (q)
                mp_runtime_on_alloc(q, n, MP_ALLOC_REALLOC, fp);
            return q;
        } else {
            mp_safepoint_after_error(fp);
        }
        errno = ENOMEM;
        return NULL;
    }
    if (rc == MP_HEAP_REALLOC_FLAGGED) {
        q = MP_REAL(mp_real.realloc(p, n));
        if (q && q != p)
            mp_heap_prefetch((uintptr_t)q);
        rc = mp_heap_realloc_end((uintptr_t)p, (uintptr_t)q, n, id, MP_ALLOC_REALLOC);
    }
    realloc_check_kind(&b, fp);
    if (q && fill_new >= 0 && n > b.size)
        memset((char *)q + b.size, fill_new, n - b.size); /* the part the program never wrote */
    if (!q)
        return NULL;
    if (q != p)
        mp_misuse_remember_free(&b, fp);
    if (__builtin_expect(rc > 0, 0))
        mp_live_poll_hint();
    mp_safepoint_poll(fp);
    return q;
}

size_t mp_runtime_usable_size(void *p, uintptr_t *fp)
{
    if (!p)
        return 0;
    if (mp_bootstrap_owns(p))
        return mp_bootstrap_size(p);
    if (mp_real_state != MP_REAL_READY)
        return 0;
    if (mp_tls.state != MP_IN_PROGRAM || mp_runtime_phase != MP_PHASE_TRACKING)
        return mp_real.malloc_usable_size ? mp_real.malloc_usable_size(p) : 0;
    pending_drain_first();
    struct mp_block b;
    if (!mp_heap_find((uintptr_t)p, &b)) {
        if (mp_real.foreign && mp_real.malloc_usable_size)
            return MP_REAL(mp_real.malloc_usable_size(p)); /* the allocator's own block (real.h) */
        mp_misuse_report_usable_size(p, fp);
        mp_safepoint_after_error(fp);
        return 0;
    }
    return mp_real.malloc_usable_size ? mp_real.malloc_usable_size(p) : b.size;
}

void *mp_runtime_new_bad_align(size_t n, int nothrow)
{
    if (nothrow)
        return NULL;
    int g = mp_guard_enter();
    void (*throw_bad_alloc)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
    mp_guard_leave(g);
    if (throw_bad_alloc)
        throw_bad_alloc();
    mp_fdprintf(2, "memplumber: operator new(%zu, align_val_t) failed and std::bad_alloc cannot be thrown\n", n);
    abort();
}

/* operator new could not get memory: run the new-handler loop as [new.delete.single] says. */
void *mp_runtime_new_failed(size_t n, size_t align, unsigned kind, int nothrow, uintptr_t *fp)
{
    typedef void (*handler_t)(void);
    int g = mp_guard_enter();
    handler_t (*get_handler)(void) = (handler_t(*)(void))dlsym(RTLD_DEFAULT, "_ZSt15get_new_handlerv");
    void (*throw_bad_alloc)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
    mp_guard_leave(g);
    for (;;) {
        handler_t h = get_handler ? get_handler() : NULL;
        if (!h) {
            if (nothrow)
                return NULL;
            if (throw_bad_alloc)
                throw_bad_alloc();
            mp_fdprintf(2, "memplumber: operator new(%zu) failed and std::bad_alloc cannot be thrown\n", n);
            abort();
        }
        if (nothrow) {
            /* The handler may throw; only the C++ runtime's nothrow new can catch that. Its
             * nothrow forms (aligned ones too) call the throwing form of the same kind, which is
             * memplumber's (through the PLT): that one runs the handler loop below, as the
             * program's own code (not under the guard: what the handler allocates is the
             * program's, and must show in the report as it does under valgrind), and records the
             * block it gets. The block then takes the stack of this call's caller, not of the
             * C++ runtime's nothrow new. */
            const char *name = kind == MP_ALLOC_NEW_ARRAY ? "_ZnamRKSt9nothrow_t"
                             : kind == MP_ALLOC_NEW_ALIGNED ? "_ZnwmSt11align_val_tRKSt9nothrow_t"
                             : kind == MP_ALLOC_NEW_ARRAY_ALIGNED ? "_ZnamSt11align_val_tRKSt9nothrow_t"
                             : "_ZnwmRKSt9nothrow_t";
            g = mp_guard_enter();
            void *real_nt = mp_real_next(name);
            mp_guard_leave(g);
            void *p = NULL;
            if (real_nt && align)
                p = ((void *(*)(size_t, size_t, const void *))real_nt)(n, align, NULL);
            else if (real_nt)
                p = ((void *(*)(size_t, const void *))real_nt)(n, NULL);
            if (p && mp_tls.state == MP_IN_PROGRAM && mp_runtime_phase == MP_PHASE_TRACKING)
                mp_heap_set_stack((uintptr_t)p, capture(fp)); /* else queued or internal */
            return p;
        }
        h();
        void *p = align ? mp_real.memalign(align, n ? n : 1) : mp_real.malloc(n ? n : 1);
        if (p) {
            mp_runtime_on_alloc(p, n, kind, fp);
            return p;
        }
    }
}

/* ---- valgrind's thread numbers ---- */

/* For the error records (valgrind's XML <tid>): 1 is the main thread; a thread created gets the
 * lowest number that no live thread holds, as valgrind hands out the slot of a thread that has
 * exited. hooks/proc.c takes one when it creates a thread and gives it back when the thread
 * ends (returns, pthread_exit, cancellation). 0: more threads than numbers (unknown). */
#define THREAD_NUMBERS 4096
static unsigned char thread_number_used[THREAD_NUMBERS];

unsigned mp_runtime_thread_number_take(void)
{
    for (unsigned i = 2; i < THREAD_NUMBERS; i++)
        if (!__atomic_load_n(&thread_number_used[i], __ATOMIC_RELAXED) &&
            !__atomic_exchange_n(&thread_number_used[i], 1, __ATOMIC_ACQ_REL))
            return i;
    return 0;
}

void mp_runtime_thread_number_give(void *number)
{
    unsigned i = (unsigned)(uintptr_t)number;
    if (i && i < THREAD_NUMBERS)
        __atomic_store_n(&thread_number_used[i], 0, __ATOMIC_RELEASE);
}

void mp_runtime_thread_end(void *number)
{
    mp_runtime_thread_number_give(number);
    mp_unwind_thread_end();
}

/* In a forked child only the forking thread lives on, with its number (as in valgrind). */
static void thread_numbers_child_after_fork(void)
{
    memset(thread_number_used, 0, sizeof thread_number_used);
    if (mp_tls.vg_tid && mp_tls.vg_tid < THREAD_NUMBERS)
        thread_number_used[mp_tls.vg_tid] = 1;
}

/* ---- fork ---- */

/* Between fork_prepare and fork_parent/fork_child this thread holds every table lock. A signal
 * whose handler reports (a fatal signal: memplumber's handler writes the final report) arriving
 * in that window would wait for those locks forever: a child that signals its parent at once
 * (kill(getppid(), SIGTERM)) hung it about one time in ten, the parent still inside fork. So
 * the thread blocks every signal for the window; what arrives is delivered microseconds later,
 * when fork_parent (or fork_child) puts the program's mask back, before fork returns. */
static __thread uint64_t fork_saved_mask __attribute__((tls_model("initial-exec")));
static __thread int fork_masked __attribute__((tls_model("initial-exec")));

static void fork_mask_restore(void)
{
    if (!fork_masked)
        return;
    fork_masked = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &fork_saved_mask, NULL, sizeof fork_saved_mask);
}

static void fork_prepare(void)
{
    if (mp_runtime_phase < MP_PHASE_TRACKING)
        return;
    /* first, with the program's signal mask: a report that holds it may be stopping the
     * threads, this one among them, while it waits */
    mp_report_fork_lock();
    uint64_t all = ~(uint64_t)0;
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &fork_saved_mask, sizeof all) == 0)
        fork_masked = 1;
    mp_depot_lock();
    mp_report_errors_lock();
    mp_heap_lock_all();
}

static void fork_parent(void)
{
    if (mp_runtime_phase < MP_PHASE_TRACKING)
        return;
    mp_heap_unlock_all();
    mp_report_errors_unlock();
    mp_depot_unlock();
    mp_report_fork_unlock();
    fork_mask_restore();
}

static void fork_child(void)
{
    if (mp_runtime_phase < MP_PHASE_TRACKING)
        return;
    mp_runtime_pid = getpid();
    if (own_mm_probe)
        own_mm_probe[0] = 1; /* our own memory now: a vfork child of ours must see 1 */
    __atomic_store_n(&mp_threads_hidden_tid[2], 0, __ATOMIC_RELAXED); /* no report_signal thread */
    thread_numbers_child_after_fork();
    mp_report_stack_child_after_fork();
    if (mp_opt.child_silent_after_fork)
        mp_report_silence();
    mp_arena_child_after_fork();
    mp_heap_child_after_fork();
    mp_report_errors_child_after_fork();
    mp_depot_child_after_fork();
    mp_unwind_child_after_fork();
    mp_live_child_after_fork();
    fork_mask_restore();
}

/* A child made by clone(2) or clone3 without CLONE_VM and without glibc's fork (a runtime's or a
 * sandbox's own process creation) has a copy of our memory but ran no atfork handler: it still
 * took itself for a vfork child sharing the parent's memory, and wrote no report at exit
 * (valgrind reports such a child). Called on the ways out; adopts the new process as fork_child
 * would have. */
void mp_runtime_adopt_clone_child(void)
{
    if (!own_mm_probe || own_mm_probe[0] || __atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING ||
        getpid() == mp_runtime_pid)
        return;
    /* Only a child of the process we know: a vfork child of a raw clone child not adopted yet
     * also sees the page at 0, but shares that child's memory and must leave it alone. */
    if (getppid() != mp_runtime_pid)
        return;
    /* Not from a signal handler that interrupted the allocator or memplumber: their state is
     * half-changed, and no report is written from there anyway. */
    if (mp_tls.state != MP_IN_PROGRAM)
        return;
    int g = mp_guard_enter();
    fork_child();
    mp_guard_leave(g);
}

/* ---- confinement ---- */

void mp_runtime_before_chroot(void)
{
    if (mp_runtime_phase < MP_PHASE_TRACKING || maps_fd_pid == mp_runtime_pid)
        return;
    int g = mp_guard_enter();
    keep_maps_fd();
    mp_guard_leave(g);
}

/* ---- the system break ---- */

void mp_runtime_after_break(uintptr_t old, uintptr_t now)
{
    mp_maps_note_break(old, now);
}

void mp_runtime_before_seccomp(void)
{
    if (__atomic_exchange_n(&mp_sandboxed, 1, __ATOMIC_ACQ_REL))
        return;
    if (mp_runtime_phase < MP_PHASE_TRACKING)
        return;
    int g = mp_guard_enter();
    mp_signals_hand_back();
    mp_unwind_stop_syscalls();
    if (mp_opt.report_on_exit || mp_opt.verbosity > 0)
        mp_fdprintf(mp_err_fd(), "==%d== memplumber: the program installs a seccomp filter: from here "
                                 "memplumber makes no system calls of its own, and writes no leak "
                                 "report for this process\n",
                    (int)mp_runtime_pid);
    mp_guard_leave(g);
}

/* ---- reports ---- */

static void at_exit_report(void)
{
    if (__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING || getpid() != mp_runtime_pid)
        return;
    struct mp_report_roots roots;
    mp_runtime_report_ex("exit", MP_REPORT_AT_EXIT, mp_exit_roots(&roots) ? &roots : NULL);
}

void mp_runtime_exit_handler_check(int quick)
{
    int *taken = quick ? &quick_handler_taken : &exit_handler_taken;
    /* the flag first: no system call at all in the common case (under a seccomp filter, any
     * call of ours may kill the process) */
    if (__atomic_load_n(taken, __ATOMIC_ACQUIRE) &&
        !__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) && getpid() == mp_runtime_pid &&
        mp_opt.report_on_exit && __atomic_exchange_n(taken, 0, __ATOMIC_ACQ_REL))
        at_exit_report();
}

/* quick_exit: registered with at_quick_exit at start-up, so it runs after the program's own
 * at_quick_exit handlers (the list runs last-registered first). A vfork child's quick_exit
 * takes it off the list it shares with us, as exit() does with at_exit_report_cb. */
static void quick_exit_report(void)
{
    mp_runtime_adopt_clone_child();
    if (!__atomic_load_n(&mp_sandboxed, __ATOMIC_ACQUIRE) && getpid() != mp_runtime_pid) {
        __atomic_store_n(&quick_handler_taken, 1, __ATOMIC_RELEASE);
        return;
    }
    at_exit_report();
}

/* On-demand reports (report_signal): the signal handler only counts the request and wakes a
 * helper thread with a futex (async-signal-safe), which writes the report. No descriptor: a pipe
 * took the program's lowest free numbers (its first open() no longer returned 3) and could be
 * closed and reused by it (close_range, closefrom), after which the handler wrote into the
 * program's file. The thread is one of memplumber's own (own_thread.h): out of glibc's thread
 * count, so a program whose main() calls pthread_exit still ends with its last thread; never
 * returning; hidden from the program's thread list (glibc's clean-up at exit still runs); on a
 * stack of tool memory (what its reports leave there keeps no leaked block reachable). */
static unsigned int report_requests; /* the futex word: requests so far */
#define REPORT_THREAD_STACK ((size_t)2 << 20) /* as the live report thread's */

static void on_report_signal(int sig)
{
    (void)sig;
    int saved = errno;
    __atomic_add_fetch(&report_requests, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &report_requests, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    errno = saved;
}

static void *report_thread(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    mp_own_thread_hide(&mp_threads_hidden_tid[2]);
    unsigned int done = 0; /* requests made before the thread ran are answered at once */
    for (;;) {
        unsigned int now = __atomic_load_n(&report_requests, __ATOMIC_ACQUIRE);
        if (now == done) {
            /* returns at once if a request came since the load (the word changed) */
            syscall(SYS_futex, &report_requests, FUTEX_WAIT_PRIVATE, now, NULL, NULL, 0);
            continue;
        }
        done = now; /* several signals before the report starts make one report */
        if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING)
            mp_runtime_report("on demand (signal)", 0);
    }
    mp_own_thread_park(); /* not reached: it must never return (own_thread.h) */
}

static void install_report_signal(void)
{
    if (!mp_opt.report_signal)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_report_signal;
    sa.sa_flags = SA_RESTART;
    sigaction((int)mp_opt.report_signal, &sa, NULL);
    mp_own_thread_start(report_thread, REPORT_THREAD_STACK, &mp_threads_hidden_tid[2]);
}

/* The public API (include/memplumber.h). */
MP_EXPORT int memplumber_report_now(void)
{
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING || mp_tls.state != MP_IN_PROGRAM)
        return -1;
    mp_runtime_report("on demand (memplumber_report_now)", 0);
    return 0;
}

MP_EXPORT int memplumber_is_active(void)
{
    return __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING;
}

void mp_runtime_before_exit_now(int status, const struct mp_report_roots *roots)
{
    (void)status;
    if (__atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING && mp_opt.report_on_exit &&
        getpid() == mp_runtime_pid)
        mp_runtime_report_ex("exit", MP_REPORT_AT_EXIT, roots);
}
