// Plugins loaded by a relative name (dlopen("./plugin.so")), one of them closed again, and the
// program's directory changed before it exits: the loader keeps the names as given, yet the
// report names the plugins' functions, as valgrind does (before: "???" for both, since the
// symbolizer could not open a file named relative to another directory).
// LIBS: -ldl
// SETUP: for n in 1 2; do printf '#include <stdlib.h>\nvoid *plugin%s_make(void) { return malloc(4%s); }\n' $n $n > p$n.c && gcc -shared -fPIC -O1 -o libplugin$n.so p$n.c; done
// JSON-CHECK: j['summary']['definitely_lost']['bytes'] == 41 + 42
// JSON-CHECK: any(f.get('function') == 'plugin1_make' for r in j['leaks'] for f in r['stack'])
// JSON-CHECK: any(f.get('function') == 'plugin2_make' for r in j['leaks'] for f in r['stack'])
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static void *make(void *h, const char *name)
{
    void *(*f)(void) = (void *(*)(void))dlsym(h, name);
    return f ? f() : NULL;
}

int main(void)
{
    void *a = dlopen("./libplugin1.so", RTLD_NOW);
    void *b = dlopen("./libplugin2.so", RTLD_NOW);
    if (!a || !b) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    void *p = make(a, "plugin1_make");
    p = make(b, "plugin2_make");
    p = NULL;
    dlclose(b);
    if (chdir("/"))
        return 1;
    puts(p ? "?" : "done");
    return 0;
}
