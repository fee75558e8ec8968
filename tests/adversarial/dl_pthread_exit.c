// pthread_exit and pthread_cancel unwind the thread with libgcc_s, which glibc loads on first
// use and unloads in __libc_freeres. With the report library loaded before freeres (HTML and
// JSON requested), the report must still be written, and the program end as natively.
// OPTIONS: html=mp.html
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 64 + 32
// JSON-CHECK: os.path.getsize(os.path.join(os.path.dirname(jpath), "mp.html")) > 0
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *exiter(void *arg)
{
    char *leak = malloc(64);
    memset(leak, 1, 64);
    leak = NULL;
    pthread_exit(arg);
}

static void *sleeper(void *arg)
{
    char *leak = malloc(32);
    memset(leak, 2, 32);
    leak = NULL;
    for (;;)
        pause();
    return arg;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, exiter, NULL);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    usleep(10000);
    pthread_cancel(b);
    pthread_join(b, NULL);
    puts("done");
    return 0;
}
