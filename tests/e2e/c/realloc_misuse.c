/* Heap misuse after realloc, whether the block stayed where it was or moved: a block shrunk in
 * place and then freed twice is a double free whose allocation stack is the realloc's (the
 * block belongs to its last realloc, as valgrind reports it) and whose first free is named; the
 * old pointer of a block that realloc moved (a live neighbour is in the way) freed again is a
 * double free whose "freed at" is the realloc; and the grown block itself is still live and
 * freed once without error.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=1 frame0=second_free file=realloc_misuse.c free_frame0=first_free alloc_frame0=shrink
 * EXPECT:     error: double_free count=1 frame0=free_old file=realloc_misuse.c free_frame0=grow alloc_frame0=make_block
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(size_t n)
{
    char *p = malloc(n);
    memset(p, 'm', n);
    return p;
}

NOINLINE char *shrink(char *p, size_t n)
{
    char *q = realloc(p, n);
    NOTAIL();
    return q;
}

NOINLINE char *grow(char *p, size_t n)
{
    char *q = realloc(p, n);
    memset(q, 'g', n);
    NOTAIL();
    return q;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }
NOINLINE void free_old(char *p) { free(p); NOTAIL(); }
NOINLINE void free_new(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *a = make_block(200);
    char *b = shrink(a, 40);
    first_free(b);
    second_free(b);

    char *c = make_block(64);
    char *wall = make_block(64); /* keeps c from growing in place */
    char *d = grow(c, 4000);
    if (d == c) {
        printf("realloc did not move the block\n");
        return 1;
    }
    free_old(c);
    free_new(d);
    free(wall);
    printf("reached the end\n");
    return 0;
}
