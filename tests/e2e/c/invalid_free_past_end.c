/* free() of the address just past a 64-byte block (p + 64), and 8 bytes past it: valgrind says
 * "Address 0x... is 0 bytes after a block of size 64 alloc'd", naming the block's allocation
 * (8 bytes past, glibc's header of the next chunk, is named after that chunk when it is a block
 * of the program's, so only its kind is checked); memplumber said "not stack'd, malloc'd or
 * (recently) free'd". Both frees are dropped; the block is freed properly afterwards and the
 * program runs to its end.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * STDERR-RE:  Address 0x[0-9a-f]+ is 0 bytes after a block of size 64 alloc'd\n==[0-9]+==    at 0x[0-9a-f]+: make_block
 * EXPECT:     error: invalid_free count=1 frame0=free_past_end file=invalid_free_past_end.c alloc_frame0=make_block
 * EXPECT:     error: invalid_free count=1 frame0=free_further
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
    memset(p, 'e', 64);
    NOTAIL();
    return p;
}

NOINLINE void free_past_end(char *volatile p)
{
    free(p + 64);
    NOTAIL();
}

NOINLINE void free_further(char *volatile p)
{
    free(p + 72);
    NOTAIL();
}

int main(void)
{
    char *p = make_block();
    free_past_end(p);
    free_further(p);
    free(p);
    printf("reached the end\n");
    return 0;
}
