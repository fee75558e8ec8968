// A thread dlopens a library whose constructor allocates and then sleeps 150 ms (the loader's
// lock is held all along), and two threads dlopen and dlclose a second library in a loop (the
// loader allocates while it holds its locks), while main exits with status 6 in the middle:
// natively exit waits for the loader's lock in _dl_fini. The exit report stops those threads
// wherever they are, and hung (about one run in ten) two ways: its scan asked the loader
// (dladdr) for the allocator's data with the loader's lock held by a stopped thread; and a
// thread whose malloc was waiting for memplumber's block table (locked by the report) took the
// stop signal in that wait, was kept parked after the report as if the program's own wait had
// been interrupted, and the report's symbolizer then waited for the loader's TLS lock it held.
// 8 runs.
// SETUP: printf '%s\n' '#include <stdlib.h>' '#include <unistd.h>' 'static void *g; __attribute__((constructor)) static void c(void){g=malloc(50); usleep(150000);} int slow(void){return 1;}' > slow.c && gcc -shared -fPIC -o libslow.so slow.c && printf '%s\n' '#include <stdlib.h>' 'static void *g; __attribute__((constructor)) static void c(void){g=malloc(10);} __attribute__((destructor)) static void d(void){free(g);} int fast(void){return 2;}' > fast.c && gcc -shared -fPIC -o libfast.so fast.c
// RUN: for i in $(seq 8); do timeout -s KILL 10 $PROG; echo "status $?"; done
// LIBS: -ldl
// JSON: any
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int started;

static void *slow(void *a)
{
    (void)a;
    started = 1;
    void *h = dlopen("./libslow.so", RTLD_NOW);
    if (!h)
        printf("dlopen: %s\n", dlerror());
    return NULL;
}

static void *fast(void *a)
{
    (void)a;
    for (;;) {
        void *h = dlopen("./libfast.so", RTLD_NOW);
        if (h)
            dlclose(h);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, fast, NULL);
    pthread_create(&t, NULL, fast, NULL);
    pthread_create(&t, NULL, slow, NULL);
    while (!started)
        usleep(1000);
    usleep(50000);
    malloc(31);
    printf("exiting\n");
    exit(6);
}
