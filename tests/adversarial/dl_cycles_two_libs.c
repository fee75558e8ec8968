// 600 dlopen/dlclose cycles alternating two different libraries (liba.so, libb.so), each
// leaking one block per cycle from its own function; ld.so puts each at the address the other
// just left. Then one library (libc1.so) loaded again and again, leaking each time. memplumber
// keeps one record per stack's addresses (as valgrind): the blocks of liba.so and libb.so were
// all named after whichever library was loaded there first (every 40-byte block of libb.so
// reported as "a_leak"). Now, as valgrind, frames of code two libraries held have no names; the
// library loaded again and again at one address keeps its names. No crash, totals right.
// SETUP: printf '#include <stdlib.h>\n#include <string.h>\nvoid *a_leak(void) { char *p = malloc(24); memset(p, 1, 24); return p; }\n' > a.c && gcc -shared -fPIC -g -o liba.so a.c
// SETUP: printf '#include <stdlib.h>\n#include <string.h>\nvoid *b_leak(void) { char *p = malloc(40); memset(p, 2, 40); return p; }\n' > b.c && gcc -shared -fPIC -g -o libb.so b.c
// SETUP: printf '#include <stdlib.h>\n#include <string.h>\nvoid *c_leak(void) { char *p = malloc(56); memset(p, 3, 56); return p; }\n' > c.c && gcc -shared -fPIC -g -o libc1.so c.c
// LIBS: -ldl
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 300 * 24 + 300 * 40 + 100 * 56
// JSON-CHECK: not any(f.get("function") in ("a_leak", "b_leak") for l in j["leaks"] for f in l["stack"])
// JSON-CHECK: sum(l["blocks"] for l in j["leaks"] if l["kind"] == "definitely_lost" and l["stack"][0].get("function") == "c_leak") == 100
// JSON-CHECK: all(l["stack"][-1].get("function") == "main" for l in j["leaks"] if l["kind"] == "definitely_lost")
#include <dlfcn.h>
#include <stdio.h>

static void *cycle(const char *path, const char *sym)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return NULL;
    }
    void *(*f)(void) = (void *(*)(void))dlsym(h, sym);
    void *p = f();
    dlclose(h);
    return p;
}

int main(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < 600; i++) {
        unsigned char *p = cycle(i % 2 ? "./libb.so" : "./liba.so", i % 2 ? "b_leak" : "a_leak");
        if (!p)
            return 1;
        sum += p[0];
    }
    for (int i = 0; i < 100; i++) {
        unsigned char *p = cycle("./libc1.so", "c_leak");
        if (!p)
            return 1;
        sum += p[0];
    }
    printf("sum %lu\n", sum);
    return 0;
}
