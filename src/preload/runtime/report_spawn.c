/* A report rendered by another process (see report_spawn.h).
 *
 * The observed process has scanned and aggregated already; what it lacks is address space for
 * the report library and libdw. It writes the model (common/model_io.h) into a memory file and
 * starts the `memplumber` command (next to this library, or in ../bin) as
 *     memplumber --render-model 3 4 REPORT_LIB
 * in a fresh address space, which renders every requested format with symbols and sends back
 * what it wrote on a pipe. How the child is started, so that the program never notices it:
 *  - clone(CLONE_VM | CLONE_VFORK) with exit signal 0, on a stack carved from memplumber's
 *    report stack (no mapping needed), of a middle process that starts the command the same way
 *    and waits for it: exec gives a process the exit signal SIGCHLD again, so the command is
 *    the middle process's child, never the program's. The program's SIGCHLD handler never runs
 *    for either, a waitpid(-1) or wait() of the program's does not reap the middle process (only
 *    __WALL / __WCLONE see a child without exit signal), pthread_atfork handlers do not run, and
 *    no memory is copied;
 *  - every signal stays blocked in the child until exec (the command unblocks them);
 *  - every descriptor but the five it needs is closed in the child; 0, 1 and 2 are /dev/null;
 *  - an empty environment (no LD_PRELOAD: the command is not observed);
 *  - RLIMIT_NPROC reached, no memfd, no command: -1 with the reason; the caller writes the
 *    unsymbolized report itself. */
#include "preload/runtime/report_spawn.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fmt.h"
#include "common/model_io.h"
#include "common/render_proto.h"

/* ---- the reserve ---- */

/* Address space the exit report may need in a process that used up its RLIMIT_AS: the scan's
 * block-start bitmap (1/64 of the address range its blocks span, per GiB region), its mark and frame
 * stacks, the mappings table, the loss records, stacks and modules of the model. */
#define RESERVE_SIZE ((size_t)40 << 20)
/* Below this much address space left, the report library is not loaded in the process. */
#define MP_REPORT_AS_HEADROOM ((uint64_t)256 << 20)

static void *reserve;

void mp_report_reserve_init(void)
{
    if (reserve)
        return;
    long p = syscall(SYS_mmap, 0, RESERVE_SIZE, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p < 0 && p > -4096)
        return;
    reserve = (void *)p;
}

void mp_report_reserve_release(void)
{
    void *r = __atomic_exchange_n(&reserve, NULL, __ATOMIC_ACQ_REL);
    if (r)
        syscall(SYS_munmap, r, RESERVE_SIZE);
}

/* Bytes of address space in use (/proc/self/statm: pages, first field). */
static uint64_t as_used(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char b[64];
    long n = syscall(SYS_read, fd, b, sizeof b - 1);
    syscall(SYS_close, fd);
    uint64_t pages = 0;
    for (long i = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++)
        pages = pages * 10 + (uint64_t)(b[i] - '0');
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

int mp_report_as_short(void)
{
    struct rlimit rl;
    if (syscall(SYS_prlimit64, 0, RLIMIT_AS, NULL, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    uint64_t used = as_used();
    return used + MP_REPORT_AS_HEADROOM > rl.rlim_cur;
}

/* ---- the command ---- */

/* `memplumber` next to this library (the build directory) or in ../bin (an installation). */
static int find_command(char *out, size_t n)
{
    Dl_info di;
    if (!dladdr((void *)find_command, &di) || !di.dli_fname || di.dli_fname[0] != '/')
        return -1;
    const char *slash = strrchr(di.dli_fname, '/');
    int dirlen = (int)(slash - di.dli_fname);
    static const char *const rel[2] = {"/memplumber", "/../bin/memplumber"};
    for (int i = 0; i < 2; i++) {
        size_t k = mp_fmt(out, n, "%s", di.dli_fname);
        if (k >= n || (size_t)dirlen + strlen(rel[i]) + 1 > n)
            return -1;
        memcpy(out + dirlen, rel[i], strlen(rel[i]) + 1);
        if (syscall(SYS_faccessat, AT_FDCWD, out, X_OK) == 0)
            return 0;
    }
    /* the library's own file not there either: the program changed its root (chroot) or the
     * installation was removed since start-up */
    return syscall(SYS_faccessat, AT_FDCWD, di.dli_fname, F_OK) == 0 ? -1 : -2;
}

/* ---- the child ---- */

#define NFDS 5 /* model, result, text, xml, err: 3..7 in the child */

struct child_args {
    int src[NFDS];          /* -1: none */
    const char *path;
    char *const *argv;
    char *exec_stack;       /* top of the stack of the process that calls exec */
    int err;                /* errno of what failed (the children write it: shared memory) */
    int status;             /* the command's wait status */
};

/* Runs in the grandchild, on the parent's memory until exec: raw system calls only. */
static int exec_main(void *arg)
{
    struct child_args *a = arg;
    int tmp[NFDS];
    for (int i = 0; i < NFDS; i++) {
        tmp[i] = -1;
        if (a->src[i] >= 0 && (tmp[i] = (int)syscall(SYS_fcntl, a->src[i], F_DUPFD_CLOEXEC, 3 + NFDS)) < 0)
            goto fail;
    }
    for (int i = 0; i < NFDS; i++)
        if (tmp[i] >= 0 && syscall(SYS_dup2, tmp[i], 3 + i) < 0)
            goto fail;
    int null = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
    if (null >= 0)
        for (int i = 0; i < 3; i++)
            if (null != i)
                syscall(SYS_dup2, null, i);
    /* Everything from 3 + NFDS on: closed at exec (the descriptors the command needs are
     * 3..7, without close-on-exec; those it does not get are closed if open). */
    for (int i = 0; i < NFDS; i++)
        if (tmp[i] < 0)
            syscall(SYS_close, 3 + i);
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
    if (syscall(SYS_close_range, 3 + NFDS, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = 3 + NFDS; fd < 65536; fd++)
            syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    static char *const no_env[] = {NULL};
    syscall(SYS_execve, a->path, a->argv, no_env);
fail:
    a->err = errno ? errno : EIO;
    syscall(SYS_exit, 127);
    return 127;
}

/* Runs in the child (exit signal 0, the parent's memory, every signal blocked): starts the
 * process that calls exec, waits for it and ends. exec makes a process's exit signal SIGCHLD
 * again, so the command cannot be our own child: its SIGCHLD goes to this middle process, which
 * ends without one. */
static int middle_main(void *arg)
{
    struct child_args *a = arg;
    int pid = clone(exec_main, a->exec_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
    if (pid < 0) {
        a->err = errno ? errno : EAGAIN;
        syscall(SYS_exit, 127);
    }
    int st = 0;
    while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
        ;
    a->status = st;
    syscall(SYS_exit, 0);
    return 0;
}

int mp_report_spawn(const struct mp_report_input *in, const char *report_lib,
                    struct mp_report_result *res, int *rc, char *why, size_t whylen)
{
    char cmd[4096];
    int found = find_command(cmd, sizeof cmd);
    if (found == -2) {
        mp_fmt(why, whylen, "the memplumber command cannot be reached: libmemplumber.so's own path "
                            "is not there any more as the program sees its files (it changed its root "
                            "directory with chroot, or the installation was removed)");
        return -1;
    }
    if (found) {
        mp_fmt(why, whylen, "the memplumber command is not next to libmemplumber.so or in ../bin");
        return -1;
    }
    int mfd = (int)syscall(SYS_memfd_create, "memplumber-report-model", MFD_CLOEXEC);
    if (mfd < 0) {
        mp_fmt(why, whylen, "cannot create a memory file for the report model: %s", strerrordesc_np(errno));
        return -1;
    }
    int rp[2];
    if (syscall(SYS_pipe2, rp, O_CLOEXEC)) {
        mp_fmt(why, whylen, "cannot create a pipe: %s", strerrordesc_np(errno));
        syscall(SYS_close, mfd);
        return -1;
    }
    /* The model as the child sees it: its descriptors are 3..7. */
    struct mp_report_input m = *in;
    m.opt.text_fd = in->opt.text_fd >= 0 ? 5 : -1;
    m.opt.xml_fd = in->opt.xml_fd >= 0 ? 6 : -1;
    m.opt.err_fd = in->opt.err_fd >= 0 ? 7 : -1;
    m.opt.result = NULL;
    int ret = -1;
    if (mp_model_write(mfd, &m)) {
        mp_fmt(why, whylen, "cannot write the report model: %s", strerrordesc_np(errno));
        goto out;
    }
    char *argv[] = {cmd, MP_RENDER_OPTION, "3", "4", (char *)report_lib, NULL};
    /* The children's stacks: pieces of this (memplumber's report) stack, below us; each parent
     * waits (CLONE_VFORK) until its child has called exec or ended. */
    char stacks[2][32768] __attribute__((aligned(16)));
    struct child_args a = {{mfd, rp[1], in->opt.text_fd, in->opt.xml_fd, in->opt.err_fd},
                           cmd, argv, stacks[1] + sizeof stacks[1], 0, 0};
    int pid = clone(middle_main, stacks[0] + sizeof stacks[0], CLONE_VM | CLONE_VFORK /* exit signal 0 */, &a);
    if (pid < 0) {
        int e = errno;
        mp_fmt(why, whylen, "cannot start the memplumber command: %s%s", strerrordesc_np(e),
               e == EAGAIN ? " (RLIMIT_NPROC reached?)" : "");
        goto out;
    }
    syscall(SYS_close, rp[1]);
    rp[1] = -1;
    int mst = 0;
    while (syscall(SYS_wait4, pid, &mst, __WALL, NULL) < 0 && errno == EINTR)
        ;
    int st = a.status;
    if (a.err) {
        mp_fmt(why, whylen, "cannot run %s: %s", cmd, strerrordesc_np(a.err));
        goto out;
    }
    struct mp_render_reply reply;
    size_t got = 0;
    while (got < sizeof reply) {
        long r = syscall(SYS_read, rp[0], (char *)&reply + got, sizeof reply - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got != sizeof reply || reply.magic != MP_RENDER_MAGIC) {
        if (WIFSIGNALED(st))
            mp_fmt(why, whylen, "the memplumber command was killed by signal %d", WTERMSIG(st));
        else
            mp_fmt(why, whylen, "the memplumber command ended with status %d and no answer",
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        goto out;
    }
    if (reply.status < 0 && reply.message[0]) {
        reply.message[sizeof reply.message - 1] = 0;
        mp_fmt(why, whylen, "%s", reply.message);
        goto out;
    }
    *res = reply.result;
    *rc = reply.status;
    ret = 0;
out:
    syscall(SYS_close, mfd);
    syscall(SYS_close, rp[0]);
    if (rp[1] >= 0)
        syscall(SYS_close, rp[1]);
    return ret;
}
