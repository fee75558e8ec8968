// Programs that export symbols of libraries they embed (node exports OpenSSL's, a program
// linked with -rdynamic exports everything): whatever the report pulls into the process at exit
// binds to them. A leak is allocated in a library without DWARF, so the symbolizer looks for its
// separate debug file; libdw's own search asks libdebuginfod when none is found locally, which
// starts libcurl, whose curl_global_init then resolved to the program's function here (node: its
// OpenSSL, already torn down: SIGSEGV after the report). Separate debug files are searched
// locally only: the program's curl_global_init is never called, and the leak is reported.
// LIBS: -rdynamic -ldl
// SETUP: printf '#include <stdlib.h>\nvoid *nodw_make(void) { return malloc(40); }\n' > nodw.c && gcc -shared -fPIC -O1 -o libnodw.so nodw.c
// JSON-CHECK: j['summary']['definitely_lost']['bytes'] >= 40
// JSON-CHECK: any(f.get('function') == 'nodw_make' for r in j['leaks'] for f in r['stack'])
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* what libdebuginfod's client calls first; a program that embeds libcurl exports it */
int curl_global_init(long flags)
{
    (void)flags;
    static const char msg[] = "the program's curl_global_init was called\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(66);
}

int main(void)
{
    char path[4096];
    if (!getcwd(path, sizeof path - 16))
        return 1;
    strcat(path, "/libnodw.so");
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    void *(*make)(void) = (void *(*)(void))dlsym(h, "nodw_make");
    void *p = make();
    printf("made %s\n", p ? "one" : "none");
    p = NULL;
    return 3;
}
