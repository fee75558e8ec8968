// A program that serves its own page faults (userfaultfd, as live migration, CRIU's lazy pages
// and some garbage collectors do): a thread fills the pages of a registered range on first
// touch. At exit only one page of the range was touched, and it holds the only pointer to a
// block. The leak scan stopped the serving thread, then read the untouched pages: the read
// waited for the stopped thread for good, and the program never ended (natively it exits at
// once; valgrind 3.19 does not implement the system call). Pages of such a range that are not in
// memory are left out of the scan (they hold nothing yet); the touched page is a root: still
// reachable. A second, shared range (a memfd) is registered too; its page 3 was written through
// another mapping of the memfd, since unmapped: the page is in the kernel's page cache, readable
// without the handler, and its pointer keeps its block reachable. Without userfaultfd (no
// permission) the ranges are plain memory: the same verdicts.
// JSON-CHECK: j["summary"]["still_reachable"] == {"bytes": 901 + 902 + 904, "blocks": 3}
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 903, "blocks": 1}
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long uffd = -1;
static void *keep;

static void *server(void *a)
{
    (void)a;
    static char page[4096] __attribute__((aligned(4096)));
    for (;;) {
        struct pollfd p = {.fd = (int)uffd, .events = POLLIN};
        poll(&p, 1, -1);
        struct uffd_msg m;
        if (read((int)uffd, &m, sizeof m) != sizeof m || m.event != UFFD_EVENT_PAGEFAULT)
            continue;
        struct uffdio_copy c = {.dst = m.arg.pagefault.address & ~4095ULL, .src = (unsigned long)page, .len = 4096};
        ioctl((int)uffd, UFFDIO_COPY, &c);
    }
    return 0;
}

int main(void)
{
    char *region = mmap(0, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
    struct uffdio_api api = {.api = UFFD_API};
    struct uffdio_register reg = {.range = {.start = (unsigned long)region, .len = 16 * 4096},
                                  .mode = UFFDIO_REGISTER_MODE_MISSING};
    int mf = memfd_create("shared", 0);
    ftruncate(mf, 16 * 4096);
    char *shared = mmap(0, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
    char *other = mmap(0, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
    struct uffdio_register reg2 = {.range = {.start = (unsigned long)shared, .len = 16 * 4096},
                                   .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (uffd >= 0 && ioctl((int)uffd, UFFDIO_API, &api) == 0 && ioctl((int)uffd, UFFDIO_REGISTER, &reg) == 0) {
        ioctl((int)uffd, UFFDIO_REGISTER, &reg2);
        pthread_t t;
        pthread_create(&t, 0, server, 0);
    }
    ((void **)(other + 3 * 4096))[1] = malloc(904); /* page 3 of the memfd, through the other mapping */
    munmap(other, 16 * 4096);
    ((void **)region)[1] = malloc(901); /* page 0, filled by the server thread */
    keep = malloc(902);
    void *lost = malloc(903);
    printf("served %d\n", lost != NULL);
    lost = NULL;
    return 0;
}
