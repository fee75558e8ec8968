// A thread's signal handler frees with free() a block made by operator new[] (a mismatched free,
// which glibc accepts natively), 20 times, while another thread keeps allocating and freeing.
// The error is recorded in the handler and written later, at a safe point of some thread (never
// from the handler); 20 counted, in the text log and the JSON report, all with the handler as
// their first frame. (Usually one context; two when a signal lands while the receiver is still
// in the sem_post that told main it was ready rather than in pause(): the frames under the
// handler differ then, and valgrind would not merge them either.)
// LIBS: -lstdc++
// JSON-CHECK: sum(e["count"] for e in j["errors"] if e["kind"] == "mismatched_free") == 20
// JSON-CHECK: all(e["stack"][0]["function"] == "on_usr1" for e in j["errors"] if e["kind"] == "mismatched_free")
// JSON-CHECK: j["summary"]["errors"] == 20
// STDERR-HAS: Mismatched free() / delete / delete []
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *_Znam(unsigned long n); /* operator new[] */

#define ROUNDS 20
static void *blocks[ROUNDS];
static volatile int round_no;
static sem_t handled, ready;
static volatile int stop;

static void on_usr1(int sig)
{
    (void)sig;
    free(blocks[round_no]); /* mismatched: new[] then free */
    sem_post(&handled);
}

static void *receiver(void *arg)
{
    (void)arg;
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

static void *churn(void *arg)
{
    (void)arg;
    while (!stop) {
        void *p = malloc(64);
        memset(p, 1, 64);
        free(p);
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < ROUNDS; i++)
        blocks[i] = _Znam(32);
    sem_init(&handled, 0, 0);
    sem_init(&ready, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* threads made from now on block it too */
    pthread_t c;
    pthread_create(&c, NULL, churn, NULL);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    pthread_t r;
    pthread_create(&r, NULL, receiver, NULL); /* the only thread that takes SIGUSR1 */
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    sem_wait(&ready);
    for (int i = 0; i < ROUNDS; i++) {
        round_no = i;
        pthread_kill(r, SIGUSR1);
        while (sem_wait(&handled) != 0)
            ;
    }
    stop = 1;
    pthread_join(c, NULL); /* the receiver stays in pause() until exit */
    printf("handled %d signals\n", ROUNDS);
    return 0;
}
