/* /proc/self/maps parser (see maps.h): reads in 16 KiB chunks, parses line by line. */
#include "preload/record/maps.h"

#include <fcntl.h>
#include <string.h>
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

long mp_maps_read(struct mp_map *out, size_t max)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[16384];
    size_t have = 0, count = 0;
    for (;;) {
        ssize_t r = syscall(SYS_read, fd, buf + have, sizeof buf - have);
        if (r < 0) {
            syscall(SYS_close, fd);
            return -1;
        }
        have += (size_t)r;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            if (count < max)
                parse_line(buf + start, buf + i, &out[count]);
            count++;
            start = i + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (r == 0)
            break;
        if (have == sizeof buf) /* absurdly long line: drop it */
            have = 0;
    }
    syscall(SYS_close, fd);
    return (long)(count < max ? count : max);
}

int mp_maps_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    static struct mp_map maps[512];
    static int busy;
    if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
        return -1;
    long n = mp_maps_read(maps, 512);
    int rc = -1;
    for (long i = 0; i < n; i++)
        if (addr >= maps[i].lo && addr < maps[i].hi) {
            *lo = maps[i].lo;
            *hi = maps[i].hi;
            rc = 0;
            break;
        }
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
    return rc;
}
