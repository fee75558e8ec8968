// A library loaded with RTLD_DEEPBIND binds malloc and free to libc's directly (not to a
// preloaded library): it allocates blocks the program frees with free(), and frees blocks the
// program allocated with malloc(); the addresses are then reused by both. glibc is one heap, so
// natively this works; under memplumber it must too (no crash, no false abort, same output).
// SETUP: printf '%s\n' '#include <stdlib.h>' '#include <string.h>' 'void *lib_alloc(size_t n){ void *p = malloc(n); memset(p, 1, n); return p; }' 'void lib_free(void *p){ free(p); }' 'void *lib_realloc(void *p, size_t n){ return realloc(p, n); }' > lib.c && gcc -shared -fPIC -o libdb.so lib.c
// LIBS: -ldl
// JSON: any
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    void *h = dlopen("./libdb.so", RTLD_NOW | RTLD_DEEPBIND);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void *(*la)(size_t) = (void *(*)(size_t))dlsym(h, "lib_alloc");
    void (*lf)(void *) = (void (*)(void *))dlsym(h, "lib_free");
    void *(*lr)(void *, size_t) = (void *(*)(void *, size_t))dlsym(h, "lib_realloc");
    unsigned long sum = 0;
    for (int round = 0; round < 2000; round++) {
        void *a = la(24 + round % 200);
        void *b = malloc(24 + round % 200);
        memset(b, 2, 24);
        sum += ((unsigned char *)a)[0] + ((unsigned char *)b)[0];
        free(a);
        lf(b);
        void *c = malloc(40);
        c = lr(c, 400 + round % 1000);
        memset(c, 3, 400);
        free(c);
        void *d = la(100);
        d = realloc(d, 5000);
        lf(d);
    }
    printf("sum %lu\n", sum);
    dlclose(h);
    return 0;
}
