// A mapping right above the program break: brk cannot grow, so glibc's main arena takes its
// memory with mmap (as it does when the address space is used up). A list kept in that memory
// and then dropped is lost (one head definitely, the rest indirectly), not reachable from
// itself: the allocator's mappings are not roots.
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 1
// JSON-CHECK: j["summary"]["indirectly_lost"]["blocks"] == 2999
// JSON-CHECK: j["summary"]["still_reachable"]["blocks"] == 0
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void)
{
    uintptr_t brk_end = ((uintptr_t)sbrk(0) + 4095) & ~(uintptr_t)4095;
    void *wall = mmap((void *)brk_end, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (wall == MAP_FAILED) {
        printf("no wall\n");
        return 0;
    }
    void **head = NULL;
    for (int i = 0; i < 3000; i++) {
        void **p = malloc(1024);
        if (!p)
            return 1;
        *p = head;
        head = p;
    }
    printf("list built\n");
    head = NULL;
    return 0;
}
