/* free() of the address 8 bytes before a block (where delete[] of an object made by plain new
 * lands: it steps back over the array cookie such an object does not have): valgrind says
 * "Address 0x... is 8 bytes before a block of size 64 alloc'd", naming the block's allocation;
 * memplumber said "not stack'd, malloc'd or (recently) free'd", or named the block before as
 * "N bytes after" it. The free is dropped; the block is freed properly afterwards.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * STDERR-RE:  Address 0x[0-9a-f]+ is 8 bytes before a block of size 64 alloc'd\n==[0-9]+==    at 0x[0-9a-f]+: make_block
 * EXPECT:     error: invalid_free count=1 frame0=free_before file=invalid_free_before_block.c alloc_frame0=make_block
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(64);
    memset(p, 'b', 64);
    NOTAIL();
    return p;
}

NOINLINE void free_before(char *volatile p)
{
    free(p - 8);
    NOTAIL();
}

int main(void)
{
    char *before = malloc(100); /* a live block right before, as in most heaps */
    char *p = make_block();
    free_before(p);
    free(p);
    free(before);
    printf("reached the end\n");
    return 0;
}
