// A thread's signal handler releases a malloc'd block with operator delete (a mismatched free,
// which glibc accepts natively) and calls _exit(3) right away: the error, recorded in the handler
// and never written there, is written by the exit report; same status as natively.
// LIBS: -lstdc++
// JSON-CHECK: [e["count"] for e in j["errors"] if e["kind"] == "mismatched_free"] == [1]
// JSON-CHECK: j["summary"]["errors"] == 1
// STDERR-HAS: Mismatched free() / delete / delete []
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void _ZdlPv(void *p); /* operator delete */

static void *block;

static void on_usr1(int sig)
{
    (void)sig;
    _ZdlPv(block); /* mismatched: malloc then delete */
    _exit(3);
}

static void *worker(void *arg)
{
    (void)arg;
    block = malloc(48);
    memset(block, 'w', 48);
    pthread_kill(pthread_self(), SIGUSR1);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("started\n");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("not reached\n");
    return 0;
}
