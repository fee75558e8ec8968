/* Pointers kept only in memory the program mapped itself, by kind of mapping. valgrind scans every
 * readable and writable client mapping: shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, what
 * forked workers share; /proc/self/maps names it "/dev/zero (deleted)"), a shared file mapping and
 * a private file mapping keep their blocks still reachable; a mapping made read-only or
 * inaccessible after the pointer was written, or unmapped, is not read: those blocks are
 * definitely lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=103 blocks=1 frame0=block frame1=in_shared_anon file=reachable_shared_anon.c
 * EXPECT:     still_reachable bytes=104 blocks=1 frame0=block frame1=in_shared_file
 * EXPECT:     still_reachable bytes=105 blocks=1 frame0=block frame1=in_private_file
 * EXPECT:     definitely_lost bytes=101 blocks=1 frame0=block frame1=in_read_only
 * EXPECT:     definitely_lost bytes=102 blocks=1 frame0=block frame1=in_no_access
 * EXPECT:     definitely_lost bytes=106 blocks=1 frame0=block frame1=in_unmapped
 * EXPECT:     summary.still_reachable.blocks=3
 * EXPECT:     summary.definitely_lost.blocks=3
 * EXPECT-NOT: possibly_lost
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE static void *block(size_t n)
{
    char *p = malloc(n);
    memset(p, 'b', n);
    return p;
}

NOINLINE static void **region(int flags, int fd)
{
    void **r = mmap(NULL, 8192, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (r == MAP_FAILED)
        exit(2);
    return r;
}

NOINLINE static int temp_file(const char *name)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 8192) != 0)
        exit(3);
    return fd;
}

NOINLINE void in_read_only(void)
{
    void **r = region(MAP_PRIVATE | MAP_ANONYMOUS, -1);
    r[10] = block(101);
    mprotect(r, 8192, PROT_READ);
}

NOINLINE void in_no_access(void)
{
    void **r = region(MAP_PRIVATE | MAP_ANONYMOUS, -1);
    r[10] = block(102);
    mprotect(r, 8192, PROT_NONE);
}

NOINLINE void in_shared_anon(void)
{
    void **r = region(MAP_SHARED | MAP_ANONYMOUS, -1);
    r[10] = block(103);
}

NOINLINE void in_shared_file(void)
{
    int fd = temp_file("shared.map");
    void **r = region(MAP_SHARED, fd);
    close(fd);
    r[10] = block(104);
}

NOINLINE void in_private_file(void)
{
    int fd = temp_file("private.map");
    void **r = region(MAP_PRIVATE, fd);
    close(fd);
    r[10] = block(105);
}

NOINLINE void in_unmapped(void)
{
    void **r = region(MAP_PRIVATE | MAP_ANONYMOUS, -1);
    r[10] = block(106);
    munmap(r, 8192);
}

int main(void)
{
    in_read_only();
    in_no_access();
    in_shared_anon();
    in_shared_file();
    in_private_file();
    in_unmapped();
    scrub_stack();
    return 0;
}
