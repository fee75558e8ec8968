/* Identity-checked output descriptors (see outfd.h). Raw syscalls and fstat only: runs at exit,
 * in signal handlers (the fatal-signal report) and inside hooks. */
#include "preload/runtime/outfd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fmt.h"

static struct mp_fdid stderr_copy = {.fd = -1};  /* memplumber's private dup of fd 2 */
static struct mp_fdid stderr_orig = {.fd = -1};  /* fd 2 as it was at start-up */
static struct mp_fdid stderr_reopened = {.fd = -1};

void mp_outfd_record(struct mp_fdid *id, int fd, const char *path)
{
    struct stat st;
    id->fd = -1;
    id->path[0] = 0;
    if (fd < 0 || fstat(fd, &st))
        return;
    id->fd = fd;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->type = st.st_mode & S_IFMT;
    if (path && strlen(path) < sizeof id->path)
        memcpy(id->path, path, strlen(path) + 1);
}

int mp_outfd_same(const struct mp_fdid *id)
{
    struct stat st;
    if (id->fd < 0 || fstat(id->fd, &st))
        return 0;
    return st.st_dev == id->dev && st.st_ino == id->ino && (st.st_mode & S_IFMT) == id->type;
}

/* The top of the numbers memplumber places its descriptors at: the soft limit, at most 1024
 * (the kernel's table grows to the highest number used, and select() takes numbers below
 * 1024); 0 when the limit is below MP_OUTFD_MIN_LIMIT. */
static int fd_top(void)
{
    struct rlimit rl;
    long top = 1024;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < top)
        top = (long)rl.rlim_cur;
    return top >= MP_OUTFD_MIN_LIMIT ? (int)top : 0;
}

int mp_outfd_can_keep(void) { return fd_top() != 0; }

/* fd moved to the highest free number from top-1 down (F_DUPFD never replaces an open
 * descriptor: it takes the lowest free one at or above its argument); -1 when there is none
 * (fd left as it is). */
static int to_top(int fd)
{
    int top = fd_top();
    for (int n = top - 1; top && n >= top - MP_OUTFD_SPAN; n--) {
        if (fd >= n)
            return fd;
        int high = fcntl(fd, F_DUPFD_CLOEXEC, n);
        if (high == n) {
            syscall(SYS_close, fd);
            return high;
        }
        if (high >= 0) /* n is taken, and the limit is above top: one lower */
            syscall(SYS_close, high);
    }
    return -1;
}

/* The descriptors memplumber opened for itself and keeps (placed or moved high), by number, with
 * the file each was: exec must not hand them to the new image (mp_outfd_before_exec). */
#define OWN_MAX 32
static struct {
    int fd;
    dev_t dev;
    ino_t ino;
} own[OWN_MAX];
static int own_next;

static void own_note(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        return;
    int slot = -1;
    for (int i = 0; i < OWN_MAX && slot < 0; i++)
        if (own[i].fd == fd + 1) /* stored +1: 0 is an empty slot */
            slot = i;
    if (slot < 0)
        slot = __atomic_fetch_add(&own_next, 1, __ATOMIC_RELAXED) % OWN_MAX;
    own[slot].dev = st.st_dev;
    own[slot].ino = st.st_ino;
    __atomic_store_n(&own[slot].fd, fd + 1, __ATOMIC_RELEASE);
}

/* A program that clears FD_CLOEXEC on every descriptor before exec (to hand its whole table
 * to the new image) cleared it on memplumber's too, and the new image started with them open
 * (`ls /proc/self/fd` listed five more): each one memplumber still holds (same file) gets it
 * back. */
void mp_outfd_before_exec(void)
{
    for (int i = 0; i < OWN_MAX; i++) {
        int fd = __atomic_load_n(&own[i].fd, __ATOMIC_ACQUIRE) - 1;
        struct stat st;
        if (fd < 0 || fstat(fd, &st) || st.st_dev != own[i].dev || st.st_ino != own[i].ino)
            continue;
        long fl = syscall(SYS_fcntl, fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC))
            syscall(SYS_fcntl, fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

int mp_outfd_place_high(int fd)
{
    if (fd < 0)
        return -1;
    int high = to_top(fd);
    if (high < 0)
        syscall(SYS_close, fd);
    own_note(high);
    return high;
}

int mp_outfd_move_high(int fd)
{
    if (fd < 0)
        return fd;
    int high = to_top(fd);
    own_note(high);
    return high < 0 ? fd : high;
}

void mp_outfd_init(void)
{
    /* A name to reopen stderr by: only a terminal or a regular file can be reopened and still be
     * the same thing (a pipe or a socket cannot). */
    char path[512];
    ssize_t n = readlink("/proc/self/fd/2", path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    if (path[0] != '/')
        path[0] = 0;
    mp_outfd_record(&stderr_orig, 2, path);
    if (stderr_orig.fd < 0)
        return;
    if (stderr_orig.type != S_IFCHR && stderr_orig.type != S_IFREG)
        stderr_orig.path[0] = 0;
    /* At the top of the descriptor range, where programs allocating descriptors lowest-first
     * do not reach; under a limit too low for that, no copy at all (fd 2 is used while it is
     * still the same file, see mp_err_fd): a low number is the program's to have. */
    int fd = mp_outfd_place_high(fcntl(2, F_DUPFD_CLOEXEC, 3));
    mp_outfd_record(&stderr_copy, fd, stderr_orig.path);
}

int mp_err_fd(void)
{
    if (mp_outfd_same(&stderr_copy))
        return stderr_copy.fd;
    /* fd 2 itself, if it is still the stderr the program started with. */
    struct mp_fdid two = stderr_orig;
    two.fd = 2;
    if (stderr_orig.fd >= 0 && mp_outfd_same(&two))
        return 2;
    if (stderr_reopened.fd >= 0 && mp_outfd_same(&stderr_reopened))
        return stderr_reopened.fd;
    if (!stderr_orig.path[0])
        return -1;
    /* A terminal or a file: open it again by name, if the name still leads to it. */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, stderr_orig.path,
                          O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct mp_fdid now;
    mp_outfd_record(&now, fd, stderr_orig.path);
    if (now.fd < 0 || now.dev != stderr_orig.dev || now.ino != stderr_orig.ino ||
        now.type != stderr_orig.type) {
        syscall(SYS_close, fd);
        return -1;
    }
    fd = mp_outfd_place_high(fd);
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFL, O_APPEND);
    mp_outfd_record(&stderr_reopened, fd, stderr_orig.path);
    return fd;
}
