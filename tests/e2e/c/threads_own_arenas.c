/* 24 threads (more than glibc's 8 arenas per core on a small machine, so some have an arena of
 * their own and some share one) each allocate 2,000 blocks, free half of them themselves and
 * hand the other half to the next thread, which frees them after a barrier: frees from another
 * thread, of blocks from another arena, land in the right shard of the block table (its shards
 * are grouped by 64 MiB region, one group per arena heap in the common case). Each thread also
 * builds a 10-node list and drops its head. Expected: the 24 heads definitely lost (one record:
 * one stack), their 216 other nodes indirectly lost, every other block freed, no heap error.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     all threads done
 * EXPECT:     definitely_lost bytes=1536 blocks=24 frame0=new_node frame1=build_list
 * EXPECT:     indirectly_lost bytes=13824 blocks=216 frame0=new_node frame1=build_list
 * EXPECT:     summary.definitely_lost.blocks=24
 * EXPECT:     summary.indirectly_lost.blocks=216
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: possibly_lost
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

#define NTHREADS 24
#define NBLOCKS 2000
#define NNODES 10

struct node {
    struct node *next;
    char pad[56];
};

static void *mailbox[NTHREADS][NBLOCKS / 2];
static pthread_barrier_t handed;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE static struct node *new_node(struct node *next)
{
    struct node *n = malloc(sizeof *n);
    memset(n, 'n', sizeof *n);
    n->next = next;
    return n;
}

NOINLINE static void build_list(void)
{
    struct node *head = NULL;
    for (int i = 0; i < NNODES; i++)
        head = new_node(head);
    USE(head);
}

static void *worker(void *arg)
{
    const long me = (long)arg;
    void **mine = malloc(NBLOCKS * sizeof *mine);
    unsigned s = (unsigned)me * 2654435761u + 1;
    for (int i = 0; i < NBLOCKS; i++) {
        s = s * 1103515245u + 12345u;
        mine[i] = malloc(16 + (s >> 16) % 240);
        memset(mine[i], 'b', 16);
    }
    /* every other block to the next thread; the rest freed here, in a scrambled order */
    for (int i = 0; i < NBLOCKS / 2; i++)
        mailbox[(me + 1) % NTHREADS][i] = mine[2 * i + 1];
    for (int i = 0; i < NBLOCKS / 2; i++) {
        int j = (i * 7919) % (NBLOCKS / 2);
        free(mine[2 * j]);
    }
    free(mine);
    build_list();
    pthread_barrier_wait(&handed);
    for (int i = 0; i < NBLOCKS / 2; i++) {
        free(mailbox[me][i]);
        mailbox[me][i] = NULL;
    }
    scrub_stack();
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&handed, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i))
            return 2;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&handed);
    printf("all threads done\n");
    return 0;
}
