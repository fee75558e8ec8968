/* malloc_usable_size() of a block just freed: a usable_size_invalid error that says the block
 * was freed, with where it was freed and allocated (memplumber said "not stack'd, malloc'd or
 * (recently) free'd" though its quarantine knew the block). The call returns 0, as valgrind's.
 * VALGRIND:   skip valgrind 3.19 returns 0 for a freed pointer without reporting an error
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     usable size of freed 0
 * STDERR-RE:  \(usable_size_invalid: a freed block\)
 * STDERR-RE:  Address 0x[0-9a-f]+ is 0 bytes inside a block of size 40 free'd\n==[0-9]+==    at 0x[0-9a-f]+: release
 * EXPECT:     error: usable_size_invalid count=1 frame0=ask file=usable_size_freed.c alloc_frame0=make_block free_frame0=release
 * EXPECT-NOT: definitely_lost
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(40);
    memset(p, 'u', 40);
    NOTAIL();
    return p;
}

NOINLINE void release(char *p)
{
    free(p);
    NOTAIL();
}

NOINLINE size_t ask(char *volatile p)
{
    size_t n = malloc_usable_size(p);
    NOTAIL();
    return n;
}

int main(void)
{
    char *p = make_block();
    release(p);
    printf("usable size of freed %zu\n", ask(p));
    return 0;
}
