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
#include <unistd.h>

#include "preload/hooks/real.h"
#include "preload/runtime/outfd.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/runtime.h"

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

/* The body of every v-form: the real function resolved once, what must be written before the
 * image goes, then the call; a failed exec comes back, and memplumber's fault handlers with it. */
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

MP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    EXEC(execve_fn, "execve", path, argv, envp);
}

MP_EXPORT int execv(const char *path, char *const argv[])
{
    EXEC(execv_fn, "execv", path, argv);
}

MP_EXPORT int execvp(const char *file, char *const argv[])
{
    EXEC(execv_fn, "execvp", file, argv);
}

MP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    EXEC(execve_fn, "execvpe", file, argv, envp);
}

MP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    EXEC(fexecve_fn, "fexecve", fd, argv, envp);
}

MP_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
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
    SPAWN(spawn_fn, "posix_spawn", ENOSYS, pid, path, fa, attr, argv, envp);
}

MP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
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
