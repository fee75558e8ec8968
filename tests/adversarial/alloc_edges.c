// The allocation family's edge cases return what glibc returns, with the same errno: malloc(0),
// realloc(p, 0) (frees, NULL), realloc(NULL, 0), reallocarray and calloc overflows, malloc of
// huge sizes, aligned_alloc/memalign/posix_memalign with odd alignments, valloc/pvalloc of huge
// sizes, malloc_usable_size of small, aligned and grown blocks (the program writes the whole
// usable size, as glibc allows), a failed realloc keeps the old block.
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW(name, expr) do { errno = 0; void *p_ = (expr); \
    printf("%-28s %s errno=%d align64=%d\n", name, p_ ? "ptr " : "NULL", errno, p_ && strstr(name, "align") ? (int)((uintptr_t)p_ % 64 == 0) : -1); \
    if (p_) { size_t u_ = malloc_usable_size(p_); if (!strstr(name, "align")) printf("   usable %zu\n", u_); memset(p_, 0x5a, u_); } \
    free(p_); } while (0)

int main(void)
{
    SHOW("malloc(0)", malloc(0));
    SHOW("malloc(1)", malloc(1));
    SHOW("malloc(24)", malloc(24));
    SHOW("malloc(25)", malloc(25));
    SHOW("malloc(SIZE_MAX)", malloc(SIZE_MAX));
    SHOW("malloc(PTRDIFF_MAX+1)", malloc((size_t)PTRDIFF_MAX + 1));
    SHOW("malloc(1<<46)", malloc((size_t)1 << 46));
    SHOW("calloc(0,0)", calloc(0, 0));
    SHOW("calloc overflow", calloc(SIZE_MAX / 2, 3));
    SHOW("calloc(1<<20,1<<20)", calloc(1 << 20, 1 << 20));
    SHOW("realloc(NULL,0)", realloc(NULL, 0));
    SHOW("realloc(NULL,100)", realloc(NULL, 100));
    SHOW("reallocarray ovf", reallocarray(NULL, SIZE_MAX / 2, 3));
    SHOW("reallocarray(NULL,0,5)", reallocarray(NULL, 0, 5));
    SHOW("aligned_alloc(64,100)", aligned_alloc(64, 100));
    SHOW("aligned_alloc(64,0)", aligned_alloc(64, 0));
    SHOW("aligned_alloc(3,10)", aligned_alloc(3, 10));
    SHOW("aligned_alloc(0,10)", aligned_alloc(0, 10));
    SHOW("aligned_alloc(1<<20,1)", aligned_alloc(1 << 20, 1));
    SHOW("memalign(3,10)", memalign(3, 10));
    SHOW("memalign(0,10)", memalign(0, 10));
    SHOW("memalign(48,10)", memalign(48, 10));
    SHOW("memalign(SIZE_MAX/2+1,1)", memalign(SIZE_MAX / 2 + 1, 1));
    SHOW("memalign(64,SIZE_MAX)", memalign(64, SIZE_MAX));
    SHOW("valloc(0)", valloc(0));
    SHOW("valloc(SIZE_MAX)", valloc(SIZE_MAX));
    SHOW("pvalloc(0)", pvalloc(0));
    SHOW("pvalloc(1)", pvalloc(1));
    SHOW("pvalloc(SIZE_MAX)", pvalloc(SIZE_MAX));
    SHOW("pvalloc(SIZE_MAX-4000)", pvalloc(SIZE_MAX - 4000));
    static const size_t al[] = {0, 1, 3, 4, 8, 16, 24, 4096, (size_t)1 << 40};
    for (unsigned i = 0; i < sizeof al / sizeof *al; i++) {
        void *p = (void *)0x1;
        errno = 0;
        int rc = posix_memalign(&p, al[i], 33);
        printf("posix_memalign(%zu) rc=%d errno=%d p=%s\n", al[i], rc, errno,
               p == (void *)0x1 ? "untouched" : p ? "ptr" : "NULL");
        if (rc == 0)
            free(p);
    }
    void *p = malloc(100);
    memset(p, 7, 100);
    errno = 0;
    void *q = realloc(p, SIZE_MAX - 10);
    printf("realloc huge: %s errno=%d old kept=%d\n", q ? "ptr" : "NULL", errno, ((char *)p)[99] == 7);
    errno = 0;
    q = realloc(p, 0);
    printf("realloc(p,0): %s errno=%d\n", q ? "ptr" : "NULL", errno);
    free(q);
    p = malloc(10);
    errno = 0;
    q = reallocarray(p, 0, 0);
    printf("reallocarray(p,0,0): %s errno=%d\n", q ? "ptr" : "NULL", errno);
    free(q);
    printf("usable(NULL)=%zu\n", malloc_usable_size(NULL));
    /* grow by usable size, the way some string builders do */
    char *s = malloc(5);
    size_t cap = malloc_usable_size(s), len = 0;
    for (int i = 0; i < 5000; i++) {
        if (len + 1 >= cap) {
            s = realloc(s, cap * 2);
            cap = malloc_usable_size(s);
        }
        s[len++] = 'a' + i % 26;
        s[len] = 0;
    }
    printf("built %zu cap>=%d\n", strlen(s), cap >= len);
    free(s);
    return 0;
}
