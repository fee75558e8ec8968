/* Creating report files safely (see repfile.h). Raw syscalls and mp_fmt only: used by the preload
 * library at exit, by the report library and by the CLI's checks. */
#include "common/repfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fmt.h"

int mp_discard_report_file(int fd, const char *path)
{
    struct stat st, now;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        return 0;
    if (ftruncate(fd, 0)) {
        /* nothing more to do: the name is still removed below */
    }
    if (!strncmp(path, "/proc/self/fd/", 14))
        return 0; /* a descriptor the caller handed over: not ours to unlink */
    return !lstat(path, &now) && now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
           syscall(SYS_unlinkat, AT_FDCWD, path, 0) == 0;
}

int mp_open_report_tmp(const char *path, unsigned mode, char *tmp, size_t tmplen)
{
    struct stat st;
    if (!path[0] || !strncmp(path, "/proc/self/fd/", 14))
        return -1;
    if (!lstat(path, &st) && !S_ISREG(st.st_mode))
        return -1;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    if (!base[0] || dlen >= tmplen)
        return -1;
    memcpy(tmp, path, dlen); /* mp_fmt has no precision: the directory part is copied */
    if (mp_fmt(tmp + dlen, tmplen - dlen, ".%s.%d.tmp", base, (int)getpid()) >= tmplen - dlen)
        return -1;
    for (int tries = 0; tries < 2; tries++) {
        int fd = (int)syscall(SYS_openat, AT_FDCWD, tmp,
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
        if (fd >= 0)
            return fd;
        /* left by a process of the same pid that died while writing: ours to replace */
        if (errno != EEXIST || lstat(tmp, &st) || !S_ISREG(st.st_mode) ||
            syscall(SYS_unlinkat, AT_FDCWD, tmp, 0))
            break;
    }
    return -1;
}

int mp_commit_report_tmp(const char *tmp, const char *path)
{
    if (!syscall(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, path))
        return 0;
    int e = errno;
    syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
    errno = e;
    return -1;
}

void mp_discard_report_tmp(const char *tmp, const char *path)
{
    struct stat st;
    syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
    if (!lstat(path, &st) && S_ISREG(st.st_mode))
        syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}

const char *mp_file_type_name(mode_t t)
{
    switch (t) {
    case S_IFIFO:
        return "a FIFO (named pipe)";
    case S_IFDIR:
        return "a directory";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    case S_IFLNK:
        return "a symbolic link";
    default:
        return "not a regular file";
    }
}

/* Wait for another process's report to the same file, for a few seconds at most: a holder that
 * is stopped must not keep this process from ending. Without the lock (timed out, a file system
 * without flock) the file is written as before. */
static void lock_whole(int fd)
{
    for (int i = 0; i < 300; i++) {
        if (!syscall(SYS_flock, fd, LOCK_EX | LOCK_NB) || errno != EWOULDBLOCK)
            return;
        struct timespec ts = {0, 10 * 1000000L};
        syscall(SYS_nanosleep, &ts, NULL);
    }
}

int mp_open_report_file(const char *path, int flags, unsigned mode, char *why, size_t whylen)
{
    int append = flags & MP_REPFILE_APPEND;
    struct stat st;
    why[0] = 0;
    /* A descriptor handed over by the memplumber command ('memplumber report PID' opens the
     * output files itself and passes them): its /proc/self/fd link is memplumber's own. */
    int passed = !strncmp(path, "/proc/self/fd/", 14);
    /* Look before opening: opening a device can have effects of its own. */
    /* Character devices are accepted: `--log-file=/dev/null` (as valgrind users write it) or a
     * terminal. They are opened without blocking and never truncated. */
    if (!passed && !lstat(path, &st) && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        mp_fmt(why, whylen, "it is %s; report files must be regular files or character devices (/dev/null)%s",
               mp_file_type_name(st.st_mode & S_IFMT),
               S_ISLNK(st.st_mode) ? " and memplumber does not follow symbolic links (name the "
                                     "target itself)"
                                   : "");
        errno = EINVAL;
        return -1;
    }
    /* The handed-over descriptor itself is used (a duplicate), not reopened through its
     * /proc/self/fd link: a program that changed its user (setuid to nobody after start) may not
     * reopen a file the command's user created, and its /proc/self/fd is not its own any more. */
    int fd = -1;
    if (passed) {
        int n = 0;
        const char *d = path + 14;
        while (*d >= '0' && *d <= '9')
            n = n * 10 + (*d++ - '0');
        fd = *d || d == path + 14 ? (errno = EBADF, -1) : fcntl(n, F_DUPFD_CLOEXEC, n);
    } else {
        fd = (int)syscall(SYS_openat, AT_FDCWD, path,
                          O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                              (append ? O_APPEND : 0),
                          mode);
    }
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            mp_fmt(why, whylen, "it is a symbolic link; memplumber does not follow symbolic links "
                                "for report files (name the target itself)");
        else
            mp_fmt(why, whylen, "%s", strerrordesc_np(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
        mp_fmt(why, whylen, "it is %s; report files must be regular files or character devices",
               mp_file_type_name(st.st_mode & S_IFMT));
        syscall(SYS_close, fd);
        errno = EINVAL;
        return -1;
    }
    if ((flags & MP_REPFILE_WHOLE) && !passed && !append && S_ISREG(st.st_mode))
        lock_whole(fd);
    if (!append && S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
        int e = errno;
        mp_fmt(why, whylen, "%s", strerrordesc_np(e));
        syscall(SYS_close, fd);
        errno = e;
        return -1;
    }
    /* the duplicate shares its offset with the handed-over descriptor: a report written twice
     * to it (a retry, a second writer) starts at the beginning again */
    if (passed && !append && S_ISREG(st.st_mode))
        lseek(fd, 0, SEEK_SET);
    fcntl(fd, F_SETFL, append ? O_APPEND : 0);
    return fd;
}
