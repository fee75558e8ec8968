// A failed assert() in a second thread, with a SIGABRT handler of the program's that logs and
// returns: glibc prints the assertion, the handler runs once, glibc puts SIG_DFL back itself and
// the process dies of SIGABRT. The report must be written before it dies.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 37
// STDERR-HAS: fatal signal 6
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int counter;

static void on_abrt(int sig)
{
    (void)sig;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "abrt handler, counter %d\n", counter);
    write(1, msg, n);
}

static void *checker(void *arg)
{
    (void)arg;
    char *leak = malloc(37);
    leak[0] = 0;
    leak = NULL;
    counter = 3;
    assert(counter == 4);
    return NULL;
}

int main(void)
{
    signal(SIGABRT, on_abrt);
    pthread_t t;
    pthread_create(&t, NULL, checker, NULL);
    pthread_join(t, NULL);
    printf("not reached\n");
    return 0;
}
