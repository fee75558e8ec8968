// A program that puts jemalloc in front of whatever LD_PRELOAD holds and re-execs itself (as
// launchers and job scripts do to pick an allocator): under memplumber it then runs with
// LD_PRELOAD=libjemalloc.so.2:libmemplumber.so. jemalloc's malloc, free and operator new take
// every call, and memplumber sees none. The program runs as natively; the report said "total
// heap usage: 0 allocs ... All heap blocks were freed -- no leaks are possible" about a program
// that leaks, with no word of why. A warning must name the library that owns malloc.
// NEEDS-LIB: libjemalloc.so.2
// STDERR-HAS: memplumber: warning: malloc in this process is libjemalloc.so.2's
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *run(void *arg)
{
    char *p = malloc(100);
    strcpy(p, "thread");
    p = realloc(p, 5000);
    free(p);
    return arg;
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("REEXECED")) {
        const char *je = getenv("LIB_libjemalloc_so_2"), *old = getenv("LD_PRELOAD");
        char pre[8192];
        snprintf(pre, sizeof pre, "%s%s%s", je, old && *old ? ":" : "", old && *old ? old : "");
        setenv("LD_PRELOAD", pre, 1);
        setenv("REEXECED", "1", 1);
        execv("/proc/self/exe", argv);
        perror("execv");
        return 99;
    }
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    pthread_join(t, NULL);
    char *volatile lost = malloc(64);
    lost = NULL;
    printf("done %d\n", lost == NULL);
    return 2;
}
