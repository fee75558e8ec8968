// Linked with tcmalloc (minimal): blocks from tc_malloc/tc_calloc/tc_realloc, which memplumber
// does not see, freed, reallocated and measured with free/realloc/malloc_usable_size, and the
// reverse (malloc'd blocks released with tc_free), as tcmalloc allows. Every result is checked
// (realloc returned NULL, usable size 0 under memplumber); no false invalid free is reported.
// NEEDS-LIB: libtcmalloc_minimal.so.4
// OPTIONS: error_exitcode=9
// JSON-CHECK: j['summary'].get('errors', 0) == 0
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *tc_malloc(size_t n);
void *tc_calloc(size_t n, size_t m);
void *tc_realloc(void *p, size_t n);
void tc_free(void *p);
size_t tc_malloc_size(void *p);
int MallocExtension_GetOwnership(const void *p);

int main(void)
{
    long bad = 0;
    for (int i = 0; i < 3000; i++) {
        size_t n = 8 + (size_t)(i * 13 % 5000);
        char *a = tc_malloc(n);
        memset(a, 'a', n);
        if (malloc_usable_size(a) < n)
            bad++;
        char *b = realloc(a, 2 * n);
        if (!b || b[n - 1] != 'a') {
            bad++;
            continue;
        }
        free(b);
        char *c = tc_calloc(n, 2);
        c = realloc(c, 1);
        free(c);
        char *d = malloc(n);
        memset(d, 'd', n);
        d = tc_realloc(d, n * 4);
        if (d[n - 1] != 'd')
            bad++;
        tc_free(d);
    }
    char *p = tc_malloc(10);
    printf("bad results: %ld, owned %d\n", bad, MallocExtension_GetOwnership(p));
    free(p);
    return 0;
}
