// A library built by the test (SETUP) with a constructor that allocates, thread-local data with
// a destructor (pthread_key), and a function that leaks, is dlopen'ed by two threads at once,
// used, and dlclose'd while a third thread still runs code of another library kept open; then
// the program exits with JSON requested. The leak made inside the unloaded library is found.
// SETUP: printf '%s\n' '#include <stdlib.h>' '#include <pthread.h>' 'static pthread_key_t k; static void *g; static void d(void *p){free(p);} __attribute__((constructor)) static void c(void){g=malloc(50); pthread_key_create(&k,d);} __attribute__((destructor)) static void e(void){free(g); pthread_key_delete(k);} void *use(int n){pthread_setspecific(k, malloc(8)); return malloc(n);} ' > lib.c && gcc -shared -fPIC -o libt.so lib.c
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 2 * (61 + 8)
// (the 8-byte values set with pthread_setspecific leak too: the key is deleted at dlclose, and
// neither opener exits before both have closed the library: one that exited earlier would have
// its value freed by the key's destructor, a timing the test used to leave to the scheduler)
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t closed;

static void *opener(void *arg)
{
    (void)arg;
    void *h = dlopen("./libt.so", RTLD_NOW);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        pthread_barrier_wait(&closed);
        return NULL;
    }
    void *(*use)(int) = (void *(*)(int))dlsym(h, "use");
    void *leak = use(61);
    leak = NULL;
    dlclose(h);
    pthread_barrier_wait(&closed);
    return NULL;
}

static volatile int stop;

static void *spinner(void *arg)
{
    (void)arg;
    void *h = dlopen("libm.so.6", RTLD_NOW);
    double (*c)(double) = (double (*)(double))dlsym(h, "cos");
    volatile double x = 0;
    while (!stop) {
        x += c(x);
        free(malloc(16));
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b, s;
    pthread_barrier_init(&closed, NULL, 2);
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&a, NULL, opener, NULL);
    pthread_create(&b, NULL, opener, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    void *h = dlopen("./libt.so", RTLD_NOW | RTLD_NOLOAD);
    printf("still loaded: %s\n", h ? "yes" : "no");
    stop = 1;
    pthread_join(s, NULL);
    return 0;
}
