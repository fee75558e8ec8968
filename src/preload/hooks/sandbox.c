/* Confinement the program puts itself in: chroot, and seccomp filters.
 *
 * chroot (and pivot_root through syscall()): the new root usually has no /proc, and the leak
 * scan's roots come from /proc/self/maps; the run-time keeps it open from start-up, and a fork
 * child opens its own here, before the chroot (mp_runtime_before_chroot).
 *
 * Seccomp filters. A program that confines itself with a seccomp filter (sshd's privilege-separated
 * child, browsers' content processes, anything built on libseccomp) allows the system calls its own
 * code makes, and kills (or fails) any other: memplumber's own calls (the live-report poll, the
 * stack cache's timing, page checks on foreign stacks, a report at exit) would end a program that
 * runs natively. So the two ways a filter is installed through libc, prctl(PR_SET_SECCOMP) and
 * syscall(SYS_seccomp) (libseccomp's), tell the run-time first (mp_runtime_before_seccomp); a
 * filter installed by a raw system call instruction is not seen. Both hooks pass every call on
 * unchanged.
 *
 * syscall(SYS_exit_group, status) ends the process as _exit(status) does (it is the system call
 * _exit makes), so it goes through memplumber's _exit: the program gets its report, as under
 * valgrind, where before it ended without one. */
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/runtime/live.h"
#include "preload/runtime/runtime.h"

/* The system call itself, as glibc's syscall() makes it (its x86_64 version is these few
 * instructions): -1 with errno for a result in [-4095, -1]. */
static long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* Namespaces. unshare of a user namespace (or with CLONE_THREAD, CLONE_SIGHAND, CLONE_VM) and
 * setns into a user or mount namespace need a process whose only thread is the caller: a program
 * that joined its threads first (sandboxes and container tools check, then unshare) was refused
 * with EINVAL because memplumber's report thread still ran. On EINVAL with such flags the call
 * is made again once after the report thread has ended (mp_live_stop_report_thread). */
static int needs_one_thread(long n, long a, long b)
{
    const unsigned one = CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    if ((int)n == SYS_unshare)
        return ((unsigned)a & one) != 0;
    return (int)b == 0 || ((unsigned)b & (CLONE_NEWUSER | CLONE_NEWNS)) != 0; /* SYS_setns */
}

static long ns_call(long n, long a, long b)
{
    long rc = raw_syscall6(n, a, b, 0, 0, 0, 0);
    if (rc == -1 && errno == EINVAL && needs_one_thread(n, a, b) && mp_live_stop_report_thread())
        rc = raw_syscall6(n, a, b, 0, 0, 0, 0);
    return rc;
}

MP_EXPORT int unshare(int flags)
{
    return (int)ns_call(SYS_unshare, flags, 0);
}

MP_EXPORT int setns(int fd, int nstype)
{
    return (int)ns_call(SYS_setns, fd, nstype);
}

/* The kernel reads both as 32-bit values: so are they compared (a caller may pass an int). */
static int installs_filter(long n, long a)
{
    const unsigned op = (unsigned)a;
    return ((int)n == SYS_seccomp && (op == SECCOMP_SET_MODE_FILTER || op == SECCOMP_SET_MODE_STRICT)) ||
           ((int)n == SYS_prctl && (int)op == PR_SET_SECCOMP);
}

MP_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    const long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    const long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (__builtin_expect(installs_filter(n, a), 0))
        mp_runtime_before_seccomp();
    else if (__builtin_expect((int)n == SYS_chroot || (int)n == SYS_pivot_root, 0))
        mp_runtime_before_chroot();
    else if (__builtin_expect((int)n == SYS_unshare || (int)n == SYS_setns, 0))
        return ns_call(n, a, b);
    else if (__builtin_expect((int)n == SYS_exit_group, 0))
        _exit((int)a); /* what glibc's _exit does: the report is written as for _exit */
    return raw_syscall6(n, a, b, c, d, e, f);
}

MP_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    const unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long);
    const unsigned long c = va_arg(ap, unsigned long), d = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP)
        mp_runtime_before_seccomp();
    return (int)raw_syscall6(SYS_prctl, option, (long)a, (long)b, (long)c, (long)d, 0);
}

MP_EXPORT int chroot(const char *path)
{
    mp_runtime_before_chroot();
    return (int)raw_syscall6(SYS_chroot, (long)path, 0, 0, 0, 0, 0);
}
