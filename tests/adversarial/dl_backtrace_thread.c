// Libraries glibc loads by itself and unloads in __libc_freeres: backtrace() in a thread loads
// libgcc_s. The exit report (JSON and SARIF requested, so the report library is loaded before
// freeres) must still be written, and the program end as natively.
// OPTIONS: sarif=mp.sarif
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 48
// JSON-CHECK: os.path.getsize(os.path.join(os.path.dirname(jpath), "mp.sarif")) > 0
#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *worker(void *arg)
{
    void *pcs[32];
    int n = backtrace(pcs, 32);
    char *leak = malloc(48);
    memset(leak, n, 48);
    leak = NULL;
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
