/* /proc/self/maps parser (see maps.h): reads in 16 KiB chunks, parses line by line. */
#include "preload/record/maps.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static uintptr_t hex(const char **s)
{
    uintptr_t v = 0;
    for (;; (*s)++) {
        char c = **s;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else
            return v;
    }
}

static void parse_line(const char *l, const char *end, struct mp_map *m)
{
    memset(m, 0, sizeof *m);
    m->lo = hex(&l);
    if (*l == '-')
        l++;
    m->hi = hex(&l);
    while (l < end && *l == ' ')
        l++;
    if (end - l >= 4) {
        m->prot = (l[0] == 'r' ? 1u : 0) | (l[1] == 'w' ? 2u : 0) | (l[2] == 'x' ? 4u : 0);
        m->shared = l[3] == 's';
    }
    /* skip perms, offset, dev, inode */
    for (int field = 0; field < 4 && l < end; field++) {
        while (l < end && *l != ' ')
            l++;
        while (l < end && *l == ' ')
            l++;
    }
    size_t n = (size_t)(end - l);
    if (n >= sizeof m->name)
        n = sizeof m->name - 1;
    memcpy(m->name, l, n);
    m->name[n] = 0;
    m->anon = n == 0 || m->name[0] == '[';
}

/* The file opened at start-up (mp_maps_keep_fd), for when it can no longer be opened by name: a
 * program that calls chroot (daemons do) leaves /proc behind. Used only while it is still that
 * file (a program may close the number and open its own file there). */
static int kept_fd = -1;
static dev_t kept_dev;
static ino_t kept_ino;

void mp_maps_keep_fd(int fd)
{
    struct stat st;
    /* the old one is closed only if it still is ours (the program may have reused the number) */
    if (kept_fd >= 0 && kept_fd != fd && syscall(SYS_fstat, kept_fd, &st) == 0 &&
        st.st_dev == kept_dev && st.st_ino == kept_ino)
        syscall(SYS_close, kept_fd);
    kept_fd = -1;
    if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0)
        return;
    kept_dev = st.st_dev;
    kept_ino = st.st_ino;
    kept_fd = fd;
}

int mp_maps_kept_fd(void) { return kept_fd; }

/* A handful of ranges: each rise of the break that does not continue the previous one starts a
 * new range (glibc's malloc grew the heap in between); when they are all used the last one
 * stretches over the gap, which only makes more memory a root. */
#define BRK_MAX 32
static struct mp_brk_range brk_ranges[BRK_MAX];
static size_t brk_n;

void mp_maps_note_break(uintptr_t old, uintptr_t now)
{
    if (now < old) {
        while (brk_n && brk_ranges[brk_n - 1].lo >= now)
            brk_n--;
        if (brk_n && brk_ranges[brk_n - 1].hi > now)
            brk_ranges[brk_n - 1].hi = now;
        return;
    }
    if (now == old)
        return;
    /* The break only moves up from where it is, so a new range lies above every kept one. */
    if (brk_n && (brk_ranges[brk_n - 1].hi == old || brk_n == BRK_MAX)) {
        brk_ranges[brk_n - 1].hi = now;
        return;
    }
    brk_ranges[brk_n].lo = old;
    brk_ranges[brk_n].hi = now;
    brk_n++;
}

size_t mp_maps_program_break(const struct mp_brk_range **out)
{
    *out = brk_ranges;
    return brk_n;
}

static int open_maps(int *own)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    *own = fd >= 0;
    if (fd >= 0 || kept_fd < 0)
        return fd;
    struct stat st;
    if (syscall(SYS_fstat, kept_fd, &st) != 0 || st.st_dev != kept_dev || st.st_ino != kept_ino)
        return -1;
    return kept_fd;
}

/* Calls fn with each mapping, in the file's order (by address), until fn returns nonzero.
 * Returns the number of mappings passed to fn, or -1 when the file cannot be read. Reads with
 * pread from offset 0, so the kept descriptor serves any number of readers in turn. */
static long maps_each(int (*fn)(const struct mp_map *m, void *arg), void *arg)
{
    int own;
    int fd = open_maps(&own);
    if (fd < 0)
        return -1;
    char buf[16384];
    struct mp_map m;
    size_t have = 0;
    long count = 0;
    off_t off = 0;
    for (;;) {
        ssize_t r = syscall(SYS_pread64, fd, buf + have, sizeof buf - have, off);
        if (r < 0) {
            if (own)
                syscall(SYS_close, fd);
            return -1;
        }
        off += r;
        have += (size_t)r;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            parse_line(buf + start, buf + i, &m);
            count++;
            start = i + 1;
            if (fn(&m, arg)) {
                if (own)
                    syscall(SYS_close, fd);
                return count;
            }
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (r == 0)
            break;
        if (have == sizeof buf) /* absurdly long line: drop it */
            have = 0;
    }
    if (own)
        syscall(SYS_close, fd);
    return count;
}

struct read_arg {
    struct mp_map *out;
    size_t max, n;
};

static int keep_map(const struct mp_map *m, void *arg)
{
    struct read_arg *a = arg;
    if (a->n < a->max)
        a->out[a->n++] = *m;
    return 0;
}

long mp_maps_read(struct mp_map *out, size_t max)
{
    struct read_arg a = { out, max, 0 };
    return maps_each(keep_map, &a) < 0 ? -1 : (long)a.n;
}

struct find_arg {
    uintptr_t addr, lo, hi;
    int found;
};

static int match_map(const struct mp_map *m, void *arg)
{
    struct find_arg *a = arg;
    if (a->addr < m->lo || a->addr >= m->hi)
        return 0;
    a->lo = m->lo;
    a->hi = m->hi;
    a->found = 1;
    return 1;
}

/* Every line is looked at (not only the first 512: a program with hundreds of libraries has more
 * mappings than that below its stack). */
int mp_maps_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    struct find_arg a = { addr, 0, 0, 0 };
    if (maps_each(match_map, &a) < 0 || !a.found)
        return -1;
    *lo = a.lo;
    *hi = a.hi;
    return 0;
}

/* ---- userfaultfd ranges (see maps.h) ---- */

static int holds_userfaultfd(void)
{
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    static const char want[] = "anon_inode:[userfaultfd]";
    char buf[4096], link[64];
    int found = 0;
    for (long r; !found && (r = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0;)
        for (long off = 0; off < r;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (d->name[0] >= '0' && d->name[0] <= '9') {
                long n = syscall(SYS_readlinkat, dfd, d->name, link, sizeof link);
                if (n == (long)sizeof want - 1 && !memcmp(link, want, sizeof want - 1)) {
                    found = 1;
                    break;
                }
            }
            off += d->reclen;
        }
    syscall(SYS_close, dfd);
    return found;
}

/* Adds the not-in-memory pages of [lo, hi) to out as runs. In a shared range registered for
 * missing faults only, a page the kernel holds in its page cache (written through another
 * mapping, or by another process) is read without the handler, though this mapping has no entry
 * for it yet: there mincore says what is in memory, elsewhere the page table (pagemap). */
static size_t pagemap_holes(int pm, uintptr_t lo, uintptr_t hi, int by_cache, struct mp_brk_range *out,
                            size_t n, size_t max)
{
    uint64_t e[512];
    unsigned char v[512];
    for (uintptr_t a = lo; a < hi;) {
        size_t want = (hi - a) / 4096 < 512 ? (hi - a) / 4096 : 512;
        long r;
        if (by_cache)
            r = syscall(SYS_mincore, a, want * 4096, v) == 0 ? (long)want * 8 : -1;
        else
            r = syscall(SYS_pread64, pm, e, want * 8, (off_t)(a / 4096 * 8));
        if (r <= 0)
            break;
        for (long i = 0; i < r / 8; i++, a += 4096) {
            /* present or swapped (pagemap), or in the page cache (mincore): readable */
            if (by_cache ? (v[i] & 1) : (e[i] & (3ULL << 62)) != 0)
                continue;
            if (n && out[n - 1].hi == a)
                out[n - 1].hi = a + 4096;
            else if (n < max) {
                out[n].lo = a;
                out[n].hi = a + 4096;
                n++;
            }
        }
    }
    return n;
}

size_t mp_maps_uffd_holes(struct mp_brk_range *out, size_t max)
{
    if (!max || !holds_userfaultfd())
        return 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/smaps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int pm = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    char buf[16384];
    size_t have = 0, n = 0;
    uintptr_t lo = 0, hi = 0;
    int shared = 0;
    for (;;) {
        long r = syscall(SYS_read, fd, buf + have, sizeof buf - have);
        if (r > 0)
            have += (size_t)r;
        char *l = buf, *end = buf + have;
        for (char *nl; (nl = memchr(l, '\n', (size_t)(end - l))) || (r <= 0 && l < end);
             l = nl ? nl + 1 : end) {
            char *le = nl ? nl : end;
            if ((*l >= '0' && *l <= '9') || (*l >= 'a' && *l <= 'f')) {
                const char *c = l;
                lo = hex(&c);
                hi = *c == '-' ? (c++, hex(&c)) : lo;
                shared = le - c > 4 && c[4] == 's'; /* " rw-s" */
            } else if (le - l > 8 && !memcmp(l, "VmFlags:", 8)) {
                int missing = 0, minor = 0;
                for (const char *c = l + 8; c + 2 <= le; c++)
                    if (c[-1] == ' ' && c[0] == 'u' && (c + 2 == le || c[2] == ' ')) {
                        missing |= c[1] == 'm';
                        minor |= c[1] == 'i';
                    }
                if ((missing || minor) && (pm >= 0 || (shared && !minor)))
                    n = pagemap_holes(pm, lo, hi, shared && !minor, out, n, max);
            }
            if (!nl)
                break;
        }
        if (r <= 0)
            break;
        /* Keep the unfinished line; a line longer than the buffer (a very long path) is cut. */
        have = (size_t)(end - l);
        if (have == sizeof buf)
            have = 0;
        memmove(buf, l, have);
    }
    if (pm >= 0)
        syscall(SYS_close, pm);
    syscall(SYS_close, fd);
    return n;
}
