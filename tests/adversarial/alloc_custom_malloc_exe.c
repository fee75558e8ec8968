// The executable defines malloc, free, calloc and realloc itself (a bump allocator over a static
// arena, as some embedded-style and benchmark programs do): they take precedence over the
// preloaded library's for the program and for libc. The program uses stdio, strdup, qsort and a
// thread; it must run as natively (memplumber sees nothing to report, and must not hand libc's
// blocks to the program's free or the program's to glibc).
// JSON: any
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char arena[64 << 20] __attribute__((aligned(64)));
static size_t used;
static long nalloc, nfree;

void *malloc(size_t n)
{
    size_t off = __atomic_fetch_add(&used, (n + 16 + 15) & ~(size_t)15, __ATOMIC_RELAXED);
    if (off + n + 16 > sizeof arena)
        return NULL;
    *(size_t *)(arena + off) = n;
    __atomic_add_fetch(&nalloc, 1, __ATOMIC_RELAXED);
    return arena + off + 16;
}

void free(void *p)
{
    if (!p)
        return;
    if ((char *)p < arena || (char *)p >= arena + sizeof arena)
        abort();
    __atomic_add_fetch(&nfree, 1, __ATOMIC_RELAXED);
}

void *calloc(size_t a, size_t b)
{
    void *p = malloc(a * b);
    if (p)
        memset(p, 0, a * b);
    return p;
}

void *realloc(void *p, size_t n)
{
    void *q = malloc(n);
    if (p && q) {
        size_t old = *(size_t *)((char *)p - 16);
        memcpy(q, p, old < n ? old : n);
    }
    free(p);
    return q;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void *thr(void *a)
{
    char *s = strdup((char *)a);
    FILE *f = fopen("t.txt", "w");
    fprintf(f, "%s\n", s);
    fclose(f);
    free(s);
    return NULL;
}

int main(void)
{
    char *w[200];
    for (int i = 0; i < 200; i++) {
        char b[32];
        snprintf(b, sizeof b, "w%05d", (i * 7919) % 1000);
        w[i] = strdup(b);
    }
    qsort(w, 200, sizeof *w, cmp);
    printf("%s %s\n", w[0], w[199]);
    pthread_t t;
    pthread_create(&t, NULL, thr, "hello");
    pthread_join(t, NULL);
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen("t.txt", "r");
    getline(&line, &cap, f);
    fclose(f);
    printf("read %s", line);
    printf("allocs>0 %d frees>0 %d\n", nalloc > 0, nfree > 0);
    return 0;
}
