/* A thread ends with pthread_exit and another is cancelled, which makes glibc load libgcc_s (for
 * the unwinding); then a double free loads the report library. Nothing leaks, so the exit report
 * is symbolized after glibc's __libc_freeres, which closes libgcc_s again after the libraries'
 * destructors ran: the report library's own dependencies (libdw, libelf) must still be mapped
 * for the JSON report (before, the process died of SIGSEGV at exit, status 139, no report).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     error: double_free count=1 free_frame0=free_twice alloc_frame0=free_twice
 * EXPECT-NOT: definitely_lost
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *exits(void *a) { pthread_exit(a); }

static void *sleeps(void *a)
{
    for (;;)
        pause();
    return a;
}

NOINLINE static void free_twice(void)
{
    char *volatile p = malloc(8);
    free(p);
    free(p);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, exits, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, sleeps, NULL);
    pthread_cancel(t);
    pthread_join(t, NULL);
    free_twice();
    return 0;
}
