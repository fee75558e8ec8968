// Threads on the smallest stacks a program can ask for keep the room they have natively: one
// with PTHREAD_STACK_MIN (16 KiB; glibc carves the static TLS of every library out of it), one on
// 16 KiB of the program's own memory (pthread_attr_setstack). Each recurses through about 5 KiB of
// frames and allocates at the bottom, calls a libc function that allocates (strdup, fopen), then
// leaks a block. memplumber's thread state must not come out of that stack (it took 7.9 KiB of
// TLS: such a thread overflowed its stack under memplumber and the program died of SIGSEGV).
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] >= 2
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long deep(int n, size_t size)
{
    volatile char pad[256];
    memset((char *)pad, n, sizeof pad);
    if (n == 0) {
        char *p = malloc(size);
        char *s = strdup("small stack");
        FILE *f = fopen("/dev/null", "w");
        long r = p ? (long)size + (long)strlen(s) : -1;
        if (f)
            fclose(f);
        free(s);
        free(p);
        return r + pad[3];
    }
    return deep(n - 1, size + 8) + pad[7];
}

static void *work(void *arg)
{
    long r = deep(18, 24); /* 19 frames of about 280 bytes */
    char *leak = malloc(40);
    if (leak)
        leak[0] = 1;
    leak = NULL;
    return (void *)r;
}

int main(void)
{
    pthread_attr_t a;
    pthread_t t;
    void *r1 = NULL, *r2 = NULL;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
    if (pthread_create(&t, &a, work, NULL) != 0)
        return 100;
    pthread_join(t, &r1);
    pthread_attr_destroy(&a);

    size_t sz = 16384;
    char *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 101;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, mem, sz);
    if (pthread_create(&t, &a, work, NULL) != 0)
        return 102;
    pthread_join(t, &r2);
    printf("threads returned %ld and %ld\n", (long)r1, (long)r2);
    return 0;
}
