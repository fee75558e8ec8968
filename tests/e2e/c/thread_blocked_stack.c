/* The only pointer to a block is a local of a thread that is still blocked when main returns:
 * thread stacks are roots, so the block is still reachable, not lost. (glibc's DTV of that thread
 * is "possibly lost" for valgrind: the thread control block points 8 bytes into it.)
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     worker parked
 * EXPECT:     still_reachable bytes=72 blocks=1 frame0=worker_block file=thread_blocked_stack.c
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost frame0=worker_block
 * EXPECT-NOT: indirectly_lost
 * VALGRIND:   skip known differences (docs/DESIGN.md): the live thread's DTV is 16 bytes larger (memplumber's own TLS slot) and glibc's freeres is not run while a thread is alive, so stdout's buffer stays reachable
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static sem_t ready;
static int never_written[2];

NOINLINE char *worker_block(void)
{
    char *p = malloc(72);
    memset(p, 'w', 72);
    return p;
}

static void *worker(void *arg)
{
    char *volatile held = worker_block();   /* lives in this thread's stack frame */
    (void)arg;
    sem_post(&ready);
    char c;
    while (read(never_written[0], &c, 1) != 0)   /* blocks until the process exits */
        ;
    return (void *)held;
}

int main(void)
{
    pthread_t t;
    if (pipe(never_written) != 0 || sem_init(&ready, 0, 0) != 0)
        return 1;
    pthread_create(&t, NULL, worker, NULL);
    sem_wait(&ready);
    printf("worker parked\n");
    return 0;
}
