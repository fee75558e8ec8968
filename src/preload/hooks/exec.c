/* exec: the image is replaced, so the heap-misuse errors recorded and not written yet (an error
 * in a signal handler, in a destructor dlclose ran, in a fork child) are written first. Every
 * exec entry of glibc is interposed, since each reaches the kernel through libc's internal
 * execve, not through the exported one. The l-forms gather their arguments into an array on the
 * stack, as glibc does. posix_spawn's child runs none of memplumber's code. Fault signals the
 * program ignores get the real SIG_IGN back for the new image (mp_signals_before_exec), and for
 * the children of posix_spawn, system and popen (below). An exec waits until a report in
 * progress on another thread is done (mp_report_exec_lock): the report's stop signal must not
 * reach the new image. */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "common/arena.h"
#include "common/fmt.h"
#include "preload/hooks/real.h"
#include "preload/runtime/options.h"
#include "preload/runtime/outfd.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/runtime.h"

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

/* The body of every v-form: the real function resolved once, what must be written before the
 * image goes, then the call; a failed exec comes back, and memplumber's fault handlers with it. */
/* With --trace-children=yes the user expects a report from every process. A program exec'd that
 * LD_PRELOAD cannot reach (statically linked: no dynamic loader; setuid or setgid to another
 * user or group: the loader ignores LD_PRELOAD in secure-execution mode) ran unobserved and its
 * report was silently missing. Say so on the way in, as the command does for the program it
 * starts. Only a path with a '/' is looked at (no PATH search here); no allocation: stack
 * buffers and raw system calls. */
static void note_unobservable(const char *path);
static int follow_on;
#define EXEC(type, name, ...)                                                                  \
    static type real_;                                                                         \
    if (!real_)                                                                                \
        real_ = (type)mp_real_next(name);                                                      \
    mp_runtime_before_exec();                                                                  \
    mp_signals_before_exec();                                                                  \
    int locked_ = mp_report_exec_lock();                                                       \
    int rc_ = real_(__VA_ARGS__);                                                              \
    int errno_ = errno;                                                                        \
    mp_report_exec_unlock(locked_);                                                            \
    errno = errno_;                                                                            \
    mp_signals_after_exec_failed();                                                            \
    return rc_;

extern char **environ;

/* ldd: LD_TRACE_LOADED_OBJECTS in the new image's environment makes the dynamic loader print the
 * libraries it loads and exit, running none of their code: nothing there to observe, and our
 * library, in LD_PRELOAD, would be one more line of ldd's output (which scripts and packaging
 * tools parse). Such an exec gets a copy of its environment, on the stack, with libmemplumber.so
 * taken out of LD_PRELOAD; the program's own array and strings are left as they are.
 * ldd_env_size: 0 when envp needs no change, else its number of entries, with the bytes the
 * LD_PRELOAD strings take in *bytes. */
static size_t ldd_env_size(char *const envp[], size_t *bytes)
{
    size_t n = 0, b = 0;
    int trace = 0, preload = 0;
    if (!envp)
        return 0;
    for (; envp[n]; n++) {
        if (!strncmp(envp[n], "LD_TRACE_LOADED_OBJECTS=", 24))
            trace = 1;
        else if (!strncmp(envp[n], "LD_PRELOAD=", 11)) {
            preload = 1;
            b += strlen(envp[n]) + 1;
        }
    }
    if (!trace || !preload || n > 4096 || b > 65536) /* the copy lives on the stack */
        return 0;
    *bytes = b;
    return n;
}

/* Fills out[0..n] (NULL-terminated) from envp, LD_PRELOAD values rewritten into buf without the
 * entries that name this library (matched by file name, as step_follow_exec does). */
static void ldd_env_build(char *const envp[], char **out, char *buf)
{
    Dl_info di;
    const char *self = "libmemplumber.so";
    if (dladdr((void *)ldd_env_build, &di) && di.dli_fname) {
        const char *slash = strrchr(di.dli_fname, '/');
        self = slash ? slash + 1 : di.dli_fname;
    }
    size_t selflen = strlen(self), i;
    for (i = 0; envp[i]; i++) {
        out[i] = envp[i];
        if (strncmp(envp[i], "LD_PRELOAD=", 11))
            continue;
        char *o = buf;
        memcpy(o, "LD_PRELOAD=", 11);
        o += 11;
        const char *s = envp[i] + 11;
        while (*s) {
            const char *end = s;
            while (*end && *end != ':' && *end != ' ')
                end++;
            size_t len = (size_t)(end - s);
            if (len && !(len >= selflen && !memcmp(end - selflen, self, selflen))) {
                if (o > buf + 11)
                    *o++ = ':';
                memcpy(o, s, len);
                o += len;
            }
            s = *end ? end + 1 : end;
        }
        *o++ = 0;
        out[i] = buf;
        buf = o;
    }
    out[i] = NULL;
}

/* envp replaced by the copy ldd_env_build makes, when it needs one (the arrays live until the
 * hook returns, that is past a failed exec). */
#define LDD_ENV(envp)                                                                          \
    size_t lddbytes_ = 0;                                                                      \
    size_t lddn_ = ldd_env_size(envp, &lddbytes_);                                             \
    char *lddenv_[lddn_ + 1];                                                                  \
    char lddbuf_[lddbytes_ + 1];                                                               \
    if (lddn_) {                                                                               \
        ldd_env_build(envp, lddenv_, lddbuf_);                                                 \
        envp = lddenv_;                                                                        \
    }

/* --trace-children=yes (follow_exec=yes given): a program that starts another with an
 * environment of its own making (env -i, execle or execve with an array it built, Python's
 * subprocess with env={}, clearenv() before an exec, a sandbox that scrubs the environment)
 * started it without memplumber, where valgrind follows every exec whatever the environment
 * holds: no report at all for `memplumber --trace-children=yes env -i ./prog`. The variables that
 * carry memplumber into a new image are copied at start-up (mp_exec_save_env), and such an exec
 * gets a copy of its environment, on the stack, with the missing ones added (in LD_PRELOAD, this
 * library in front of what the program put there); the program's own array and strings are left
 * as they are. Not under the default follow_exec (not given): valgrind's default traces nothing,
 * and a program that clears its child's environment gets it clear. */
static const char *const follow_names[] = {"LD_PRELOAD", "MEMPLUMBER_OPTIONS", "MEMPLUMBER_ROOT_PID",
                                           "MEMPLUMBER_EXECED", "MEMPLUMBER_STDERR_ID",
                                           "MEMPLUMBER_REPORT_LIB", "G_SLICE"};
#define NFOLLOW (sizeof follow_names / sizeof follow_names[0])
static char *follow_saved[NFOLLOW]; /* "NAME=value" as at start-up; NULL: not set */
static char follow_self[4096];      /* this library's path, for LD_PRELOAD */

void mp_exec_save_env(void)
{
    follow_on = MP_OPT_GIVEN(&mp_opt, follow_exec) && mp_opt.follow_exec;
    if (!follow_on)
        return;
    Dl_info di;
    if (dladdr((void *)mp_exec_save_env, &di) && di.dli_fname && di.dli_fname[0] == '/' &&
        strlen(di.dli_fname) < sizeof follow_self)
        memcpy(follow_self, di.dli_fname, strlen(di.dli_fname) + 1);
    for (size_t k = 0; k < NFOLLOW; k++) {
        const char *v = getenv(follow_names[k]);
        if (!v || k == 0) /* LD_PRELOAD: only this library is added back */
            continue;
        size_t nl = strlen(follow_names[k]), vl = strlen(v);
        char *s = mp_arena_alloc(nl + vl + 2);
        if (!s)
            continue;
        memcpy(s, follow_names[k], nl);
        s[nl] = '=';
        memcpy(s + nl + 1, v, vl + 1);
        follow_saved[k] = s;
    }
}

/* Whether entry e is variable name (of length nl). */
static int env_is(const char *e, const char *name, size_t nl)
{
    return !strncmp(e, name, nl) && e[nl] == '=';
}

/* 0 when envp needs nothing added, else its number of entries (*n), with the bytes a new
 * LD_PRELOAD entry takes in *bytes (0: none). */
static int follow_env_size(char *const envp[], size_t *n, size_t *bytes)
{
    if (!follow_on || !follow_self[0])
        return 0;
    unsigned have = 0;
    size_t i = 0, preload_len = 0;
    const size_t selflen = strlen(follow_self);
    int preload_ours = 0;
    for (; envp && envp[i]; i++) {
        for (size_t k = 0; k < NFOLLOW; k++) {
            const size_t nl = strlen(follow_names[k]);
            if (!env_is(envp[i], follow_names[k], nl))
                continue;
            have |= 1u << k;
            if (k == 0) {
                preload_len = strlen(envp[i]);
                preload_ours = strstr(envp[i] + nl + 1, follow_self) != NULL;
            }
        }
    }
    int missing = !preload_ours;
    for (size_t k = 1; k < NFOLLOW; k++)
        if (follow_saved[k] && !(have & (1u << k)))
            missing = 1;
    if (!missing || i > 4096 || preload_len > 65536) /* the copy lives on the stack */
        return 0;
    *n = i;
    *bytes = preload_ours ? 0 : 11 + selflen + 1 + preload_len + 1;
    return 1;
}

/* Fills out (NULL-terminated, at most n + NFOLLOW + 1 entries) from envp with what is missing
 * added; buf (follow_env_size's bytes) holds a new LD_PRELOAD entry. */
static void follow_env_build(char *const envp[], size_t n, char **out, char *buf, size_t bytes)
{
    size_t o = 0;
    unsigned have = 0;
    for (size_t i = 0; i < n; i++) {
        out[o] = envp[i];
        for (size_t k = 0; k < NFOLLOW; k++)
            if (env_is(envp[i], follow_names[k], strlen(follow_names[k])))
                have |= 1u << k;
        if (bytes && env_is(envp[i], "LD_PRELOAD", 10)) {
            /* this library first, then the program's own */
            const char *theirs = envp[i] + 11;
            snprintf(buf, bytes, "LD_PRELOAD=%s%s%s", follow_self, theirs[0] ? ":" : "", theirs);
            out[o] = buf;
        }
        o++;
    }
    if (bytes && !(have & 1u)) {
        snprintf(buf, bytes, "LD_PRELOAD=%s", follow_self);
        out[o++] = buf;
    }
    for (size_t k = 1; k < NFOLLOW; k++)
        if (follow_saved[k] && !(have & (1u << k)))
            out[o++] = follow_saved[k];
    out[o] = NULL;
}

/* envp replaced by the copy follow_env_build makes, when it needs one. */
#define FOLLOW_ENV(envp)                                                                       \
    size_t fwn_ = 0, fwbytes_ = 0;                                                             \
    const int fw_ = follow_env_size(envp, &fwn_, &fwbytes_);                                   \
    char *fwenv_[fw_ ? fwn_ + NFOLLOW + 2 : 1];                                                \
    char fwbuf_[fwbytes_ + 1];                                                                 \
    if (fw_) {                                                                                 \
        follow_env_build(envp, fwn_, fwenv_, fwbuf_, fwbytes_);                                \
        envp = fwenv_;                                                                         \
    }

/* Whether an exec with environ must take the envp path (a copy is needed). */
static int environ_needs_copy(void)
{
    size_t a, b;
    return ldd_env_size(environ, &a) || follow_env_size(environ, &a, &b);
}

static void note_unobservable(const char *path)
{
    if (!follow_on || !path || !strchr(path, '/') || !mp_opt.report_on_exit ||
        mp_opt.trace_children_skip[0] || mp_opt.trace_children_skip_by_arg[0] ||
        mp_runtime_phase != MP_PHASE_TRACKING)
        return;
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    const char *why = NULL;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        struct statvfs vfs;
        int nosuid = fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
        Elf64_Ehdr eh;
        if (!nosuid && (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
                        ((st.st_mode & S_ISGID) && st.st_gid != getegid())))
            why = "is setuid or setgid: the dynamic loader ignores LD_PRELOAD for it";
        else if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
                 !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
                 eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum > 0 && eh.e_phnum <= 64) {
            Elf64_Phdr ph[64];
            size_t len = (size_t)eh.e_phnum * sizeof ph[0];
            if (pread(fd, ph, len, (off_t)eh.e_phoff) == (ssize_t)len) {
                int interp = 0;
                for (unsigned i = 0; i < eh.e_phnum; i++)
                    interp |= ph[i].p_type == PT_INTERP;
                if (!interp)
                    why = "is statically linked: LD_PRELOAD has no effect on it";
            }
        }
    }
    if (fd >= 0)
        syscall(SYS_close, fd);
    if (why) {
        int efd = mp_err_fd();
        if (efd >= 0)
            mp_fdprintf(efd, "==%d== memplumber: note: %s %s, so it runs unobserved (no report)\n",
                        (int)getpid(), path, why);
    }
    errno = saved;
}

MP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    note_unobservable(path);
    FOLLOW_ENV(envp);
    LDD_ENV(envp);
    EXEC(execve_fn, "execve", path, argv, envp);
}

MP_EXPORT int execv(const char *path, char *const argv[])
{
    if (environ_needs_copy()) /* execv is execve with environ */
        return execve(path, argv, environ);
    note_unobservable(path);
    EXEC(execv_fn, "execv", path, argv);
}

MP_EXPORT int execvp(const char *file, char *const argv[])
{
    if (environ_needs_copy()) /* execvp is execvpe with environ */
        return execvpe(file, argv, environ);
    note_unobservable(file);
    EXEC(execv_fn, "execvp", file, argv);
}

MP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    note_unobservable(file);
    FOLLOW_ENV(envp);
    LDD_ENV(envp);
    EXEC(execve_fn, "execvpe", file, argv, envp);
}

MP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    FOLLOW_ENV(envp);
    LDD_ENV(envp);
    EXEC(fexecve_fn, "fexecve", fd, argv, envp);
}

MP_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
    FOLLOW_ENV(envp);
    LDD_ENV(envp);
    EXEC(execveat_fn, "execveat", dirfd, path, argv, envp, flags);
}

/* The arguments of an l-form: arg0, then up to the NULL; envp after it for execle. */
#define GATHER(arg0, argv, envp_out, has_envp)                                                 \
    size_t n_ = 1;                                                                             \
    va_list ap_;                                                                               \
    va_start(ap_, arg0);                                                                       \
    while (va_arg(ap_, const char *))                                                          \
        n_++;                                                                                  \
    va_end(ap_);                                                                               \
    char *argv[n_ + 1];                                                                        \
    argv[0] = (char *)(arg0);                                                                  \
    va_start(ap_, arg0);                                                                       \
    for (size_t i_ = 1; i_ <= n_; i_++)                                                        \
        argv[i_] = va_arg(ap_, char *);                                                        \
    if (has_envp)                                                                              \
        envp_out = va_arg(ap_, char **);                                                       \
    va_end(ap_);

MP_EXPORT int execl(const char *path, const char *arg, ...)
{
    char **unused = NULL;
    GATHER(arg, argv, unused, 0);
    (void)unused;
    return execv(path, argv);
}

MP_EXPORT int execlp(const char *file, const char *arg, ...)
{
    char **unused = NULL;
    GATHER(arg, argv, unused, 0);
    (void)unused;
    return execvp(file, argv);
}

MP_EXPORT int execle(const char *path, const char *arg, ...)
{
    char **envp = NULL;
    GATHER(arg, argv, envp, 1);
    return execve(path, argv, envp);
}

/* Children started without the exported exec functions (glibc's posix_spawn, and system and
 * popen, which spawn through glibc's internal posix_spawn) inherit the parent's dispositions
 * through their exec: a fault signal the program ignores must reach them as the real SIG_IGN,
 * not as memplumber's handler (which exec turns into SIG_DFL). The parent has the real SIG_IGN
 * for the length of the call (all of system's wait: a real fault of another thread then kills
 * without a report, as SIG_IGN does natively), then memplumber's handler back. */
#define SPAWN(type, name, failed, ...)                                                         \
    static type real_;                                                                         \
    if (!real_)                                                                                \
        real_ = (type)mp_real_next(name);                                                      \
    if (!real_)                                                                                \
        return failed;                                                                         \
    mp_outfd_before_exec();                                                                    \
    mp_signals_before_exec();                                                                  \
    __typeof__(real_(__VA_ARGS__)) rc_ = real_(__VA_ARGS__);                                   \
    mp_signals_after_exec_failed();                                                            \
    return rc_;

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

MP_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    FOLLOW_ENV(envp);
    LDD_ENV(envp); /* glibc's child is gone to exec before it returns */
    SPAWN(spawn_fn, "posix_spawn", ENOSYS, pid, path, fa, attr, argv, envp);
}

MP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    FOLLOW_ENV(envp);
    LDD_ENV(envp); /* glibc's child is gone to exec before it returns */
    SPAWN(spawn_fn, "posix_spawnp", ENOSYS, pid, file, fa, attr, argv, envp);
}

MP_EXPORT int system(const char *command)
{
    SPAWN(system_fn, "system", -1, command);
}

MP_EXPORT FILE *popen(const char *command, const char *mode)
{
    SPAWN(popen_fn, "popen", NULL, command, mode);
}
