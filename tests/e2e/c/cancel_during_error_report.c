/* Threads that double-free in a loop are cancelled at random moments (deferred cancellation, with
 * a cancellation point in their loop). memplumber writes a heap error from a safe point inside the
 * next allocation, and the writing uses write(), a cancellation point: a cancel acted on there
 * unwound the thread out of memplumber's report code with its report stack still taken, and the
 * program hung at exit waiting for it. memplumber's own code runs with cancellation disabled; a
 * pending cancel acts at the program's next cancellation point, as natively. The program ends,
 * every thread counted as cancelled, the leak and the double frees reported.
 * RUN:        %memplumber --json %t.json -- %bin
 * TIMEOUT:    60
 * VALGRIND:   skip how many double frees each thread makes before its cancel depends on timing
 * STDOUT:     cancelled 40 of 40
 * EXPECT:     error: double_free free_frame0=free_twice
 * EXPECT:     definitely_lost bytes=100 blocks=1 frame0=leak_one
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

void *volatile sink;

NOINLINE static void free_twice(void)
{
    char *p = malloc(32);
    sink = p;
    free(sink);
    free(sink);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        free_twice();
        pthread_testcancel();
        sink = malloc(16); /* the safe point that writes the error */
        free(sink);
    }
    return NULL;
}

NOINLINE static void leak_one(void)
{
    sink = malloc(100);
}

int main(void)
{
    int cancelled = 0;
    for (int i = 0; i < 40; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, NULL);
        struct timespec ts = {0, 100000 + (i % 7) * 50000};
        nanosleep(&ts, NULL);
        pthread_cancel(t);
        void *r;
        pthread_join(t, &r);
        cancelled += r == PTHREAD_CANCELED;
    }
    printf("cancelled %d of 40\n", cancelled);
    leak_one();
    sink = NULL;
    return 0;
}
