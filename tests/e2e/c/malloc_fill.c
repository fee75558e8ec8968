/* --malloc-fill and --free-fill (valgrind's options of the same names): what the program reads
 * from memory it never wrote. A new block from malloc holds the malloc-fill byte, calloc's is
 * still zero, the part realloc adds holds the malloc-fill byte while the old part keeps its
 * contents; a freed block holds the free-fill byte (past the first 16 bytes, where glibc keeps
 * its free-list links). Reading freed memory is what valgrind reports as an invalid read; the
 * program does it on purpose.
 * RUN:        %memplumber --malloc-fill=0xab --free-fill=0xcd --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     malloc: ab ab ab ab
 * STDOUT:     calloc: 00 00 00 00
 * STDOUT:     realloc kept: 11 11 grown: ab ab
 * STDOUT:     freed: cd cd cd cd
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(const char *what, const unsigned char *p)
{
    printf("%s: %02x %02x %02x %02x\n", what, p[0], p[1], p[2], p[3]);
}

int main(void)
{
    unsigned char *m = malloc(40);
    show("malloc", m + 8);
    unsigned char *c = calloc(10, 4);
    show("calloc", c + 8);
    memset(m, 0x11, 40);
    unsigned char *r = realloc(m, 4000);
    printf("realloc kept: %02x %02x grown: %02x %02x\n", r[38], r[39], r[40], r[3999]);
    unsigned char *f = malloc(64);
    memset(f, 0x22, 64);
    free(f);
    show("freed", (unsigned char *)((volatile unsigned char *)f + 32)); /* read after free */
    free(c);
    free(r);
    return 0;
}
