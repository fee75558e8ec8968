// Threads that start and join short-lived threads in a tight loop (glibc's stack cache lock,
// memplumber's thread records, detached ones too) while main exits with status 5: the report
// must complete, the status stay 5. 4 runs.
// RUN: for i in 1 2 3 4; do timeout -s KILL 20 $PROG; echo "status $?"; done
// JSON: any
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile long made;

static void *leaf(void *a)
{
    void *p = malloc(16 + (long)a % 64);
    free(p);
    return NULL;
}

static void *churn(void *a)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    for (long i = 0;; i++) {
        pthread_t t;
        if ((long)a == 0) {
            if (pthread_create(&t, NULL, leaf, (void *)i) == 0)
                pthread_join(t, NULL);
        } else {
            pthread_create(&t, &at, leaf, (void *)i);
            usleep(50);
        }
        __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    for (long i = 0; i < 2; i++)
        pthread_create(&t, NULL, churn, (void *)i);
    malloc(55);
    while (__atomic_load_n(&made, __ATOMIC_RELAXED) < 500)
        usleep(1000);
    printf("end\n");
    exit(5);
}
