// Libraries opened with RTLD_DEEPBIND (one lazily bound, one linked -z now -z relro, whose GOT is
// read-only after loading) allocate blocks the program frees, free blocks the program allocated,
// and leak one block each. DEEPBIND binds their malloc and free to glibc's, past memplumber:
// every cross free was reported as an invalid free or a double free (thousands of errors), the
// blocks they freed stayed "definitely lost", and their own leaks were not seen. As valgrind:
// no errors, exactly the three leaks (the program's and the two libraries'), named. A C++
// library opened so binds operator new and delete to libstdc++'s: its new[] was "malloc".
// Also: libraries found through the executable's RUNPATH ("sub", relative to the directory the
// program runs in: check.py builds it elsewhere, so not $ORIGIN) are still found, by a plain
// dlopen (memplumber's dlopen jumps to glibc's, which sees the program's return address) and by
// a DEEPBIND one (made by memplumber: the caller's search list is walked for it).
// SETUP: printf '%s\n' '#include <stdlib.h>' '#include <string.h>' 'void *lib_alloc(size_t n){ void *p = malloc(n); memset(p, 1, n); return p; }' 'void lib_free(void *p){ free(p); }' 'void *lib_realloc(void *p, size_t n){ return realloc(p, n); }' 'void *lib_calloc(size_t n){ return calloc(n, 2); }' 'void lib_leak(size_t n){ char *p = malloc(n); memset(p, 3, n); }' > lib.c && gcc -g -shared -fPIC -o liblazy.so lib.c && gcc -g -shared -fPIC -Wl,-z,now -Wl,-z,relro -o libnow.so lib.c
// SETUP: printf '%s\n' '#include <string>' '#include <vector>' 'extern "C" void *cxx_make() { return new std::vector<std::string>(10, "a string longer than the small buffer"); }' 'extern "C" void cxx_del(void *p) { delete (std::vector<std::string> *)p; }' 'extern "C" void cxx_leak() { new int[7]; }' > cxx.cc && g++ -g -shared -fPIC -o libcxx.so cxx.cc
// SETUP: mkdir -p sub && printf 'int in_sub(void) { return 42; }\n' > sub.c && gcc -shared -fPIC -o sub/libinsub.so sub.c && gcc -shared -fPIC -o sub/libinsub2.so sub.c
// LIBS: -ldl -Wl,--enable-new-dtags,-rpath,sub
// OPTIONS: show_leak_kinds=definite
// JSON-CHECK: j["errors"] == []
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 111 + 222 + 333 + 28, "blocks": 4}
// JSON-CHECK: sorted(l["stack"][0].get("function") for l in j["leaks"] if l["kind"] == "definitely_lost") == ["cxx_leak", "lib_leak", "lib_leak", "main"]
// JSON-CHECK: [l["allocator"] for l in j["leaks"] if l["stack"][0].get("function") == "cxx_leak"] == ["new[]"]
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(const char *path, size_t leak)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_DEEPBIND);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void *(*la)(size_t) = (void *(*)(size_t))dlsym(h, "lib_alloc");
    void (*lf)(void *) = (void (*)(void *))dlsym(h, "lib_free");
    void *(*lr)(void *, size_t) = (void *(*)(void *, size_t))dlsym(h, "lib_realloc");
    void *(*lc)(size_t) = (void *(*)(size_t))dlsym(h, "lib_calloc");
    void (*ll)(size_t) = (void (*)(size_t))dlsym(h, "lib_leak");
    unsigned long sum = 0;
    for (int i = 0; i < 300; i++) {
        unsigned char *a = la(24 + i % 100);
        void *b = malloc(24 + i % 100);
        memset(b, 2, 24);
        sum += a[0];
        free(a);
        lf(b);
        void *c = lr(malloc(40), 400);
        free(c);
        void *d = realloc(lc(10), 5000);
        lf(d);
    }
    ll(leak);
    printf("%s sum %lu\n", path, sum);
    return 0;
}

int main(void)
{
    void *s = dlopen("libinsub.so", RTLD_NOW);
    printf("sub %s\n", s ? "found" : "not found");
    void *s2 = dlopen("libinsub2.so", RTLD_NOW | RTLD_DEEPBIND);
    printf("sub2 %s\n", s2 ? "found" : "not found");
    if (run("./liblazy.so", 111) || run("./libnow.so", 222))
        return 1;
    void *c = dlopen("./libcxx.so", RTLD_NOW | RTLD_DEEPBIND);
    if (!c) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void *(*mk)(void) = (void *(*)(void))dlsym(c, "cxx_make");
    void (*del)(void *) = (void (*)(void *))dlsym(c, "cxx_del");
    for (int i = 0; i < 100; i++)
        del(mk());
    ((void (*)(void))dlsym(c, "cxx_leak"))();
    void *lost = malloc(333);
    memset(lost, 4, 333);
    lost = NULL;
    return 0;
}
