// Threads open, write and close stdio files in a tight loop (fopen/fclose take glibc's lock of
// the list of streams) and format with vfprintf while main exits with status 4 after a short
// while: the exit report stops them wherever they are and must not wait for a lock one of them
// holds; exit's own flush of the streams then completes as natively. 4 runs.
// RUN: for i in 1 2 3 4; do timeout -s KILL 20 $PROG; echo "status $?"; done
// JSON: any
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile long rounds;

static void *loop(void *a)
{
    char name[32];
    snprintf(name, sizeof name, "f%ld.txt", (long)a);
    for (;;) {
        FILE *f = fopen(name, "w");
        if (!f)
            continue;
        fprintf(f, "%ld %s %g\n", (long)rounds, name, 1.5 * rounds);
        fclose(f);
        FILE *m = open_memstream(&(char *){0}, &(size_t){0});
        fprintf(m, "%d", 5);
        fclose(m);
        __atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(void)
{
    printf("start\n");
    pthread_t t;
    for (long i = 0; i < 3; i++)
        pthread_create(&t, NULL, loop, (void *)i);
    malloc(44);
    while (__atomic_load_n(&rounds, __ATOMIC_RELAXED) < 3000)
        usleep(1000);
    printf("end\n");
    exit(4);
}
