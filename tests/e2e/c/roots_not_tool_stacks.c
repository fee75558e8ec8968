/* The leak scan reads the program's memory, not memplumber's. A multi-threaded program gets
 * memplumber's report thread (started when the program creates its first thread); its stack
 * must not be read as a root: it was, whole (8 MiB), at every report, and pointers a report left
 * there could keep leaked blocks reachable. The roots of this small program are its data and
 * libc's, about 100 KB: the scan must read well under 1 MB. The threads' own leaks stay exact.
 * RUN:        %memplumber --verbosity=2 --json %t.json -- %bin
 * STDOUT:     joined 4 threads
 * STDERR-RE:  memplumber: scan of \d+ blocks \(\d{1,6} root bytes
 * EXPECT:     definitely_lost bytes=400 blocks=4 frame0=worker
 * EXPECT:     definitely_lost bytes=77 blocks=1 frame0=main
 * VALGRIND:   skip the check is on memplumber's own scan statistics (verbosity=2)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++)
        free(malloc(32 + i % 100));
    char *p = malloc(100);
    memset(p, 0x5a, 100);
    __asm__ volatile("" : : "r"(p) : "memory");
    p = NULL;
    scrub_stack();
    return arg;
}

int main(void)
{
    char *q = malloc(77);
    memset(q, 1, 77);
    __asm__ volatile("" : : "r"(q) : "memory");
    q = NULL;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    scrub_stack();
    printf("joined 4 threads\n");
    return 0;
}
