// A program that turns off its own access to the time stamp counter (prctl PR_SET_TSC,
// PR_TSC_SIGSEGV: rdtsc then raises SIGSEGV, as some sandboxes and timing-hardened programs ask),
// then allocates and frees hundreds of thousands of blocks in main and in two threads (created
// after the prctl, so they inherit it) and leaks one block per thread. Natively it runs to the
// end. memplumber's allocation path must not read the counter itself (its report-request poll
// uses the coarse clock through the vDSO instead): where the processor honours the setting, an
// rdtsc in a hook kills the program. (Some virtual machines ignore the setting: there rdtsc
// works either way and this test cannot tell.)
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 3
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define N 300000

static __attribute__((noinline)) void *grab(size_t n)
{
    void *p = malloc(n);
    memset(p, 1, n);
    return p;
}

static __attribute__((noinline)) unsigned long churn(unsigned seed)
{
    void *keep[64] = {0};
    unsigned long sum = 0;
    for (unsigned i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 8) & 63;
        free(keep[k]);
        keep[k] = grab(16 + ((seed >> 16) & 127));
        sum += ((unsigned char *)keep[k])[0];
    }
    for (unsigned k = 0; k < 64; k++)
        free(keep[k]);
    void *leak = grab(40);
    leak = NULL; /* the only pointer is gone: definitely lost */
    return sum + (leak != NULL);
}

static void *worker(void *arg)
{
    unsigned long s = churn((unsigned)(unsigned long)arg);
    return (void *)s;
}

int main(void)
{
    int rc = prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    printf("prctl: %s\n", rc == 0 ? "counter off" : "not supported");
    fflush(stdout);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)(unsigned long)(i + 7));
    unsigned long sum = churn(3);
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (unsigned long)r;
    }
    printf("done %lu\n", sum);
    return 0;
}
