/* A list is leaked after the program freed a large array full of pointers to its head. At exit,
 * memplumber loads its report library, whose start-up allocates (libstdc++'s 72 KiB exception
 * pool, among others) and glibc hands it that freed array's memory, stale pointers included.
 * Those tool-made blocks are scanned like the program's: unless their memory is cleared, the
 * stale pointers keep the leaked list "still reachable". Expected: the head definitely lost, its
 * 9 other nodes indirectly lost, nothing reachable from the list.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     done
 * EXPECT:     definitely_lost bytes=64 blocks=1 frame0=new_node frame1=build_list
 * EXPECT:     indirectly_lost bytes=576 blocks=9 frame0=new_node frame1=build_list
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.indirectly_lost.blocks=9
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

struct node {
    struct node *next;
    char pad[56];
};

NOINLINE static struct node *new_node(struct node *next)
{
    struct node *n = malloc(sizeof *n);
    memset(n, 'n', sizeof *n);
    n->next = next;
    return n;
}

NOINLINE static struct node *build_list(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 10; i++)
        head = new_node(head);
    return head;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE static void spray_and_free(struct node *head)
{
    /* arrays of every size the tool's start-up might ask for, all freed (under the mmap
     * threshold: they go back to the heap, not to the kernel) */
    for (size_t n = 1024; n <= 120 * 1024; n *= 2) {
        struct node **a = malloc(n);
        for (size_t i = 0; i < n / sizeof *a; i++)
            a[i] = head;
        USE(a);
        free(a);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct node *head = build_list();
    spray_and_free(head);
    head = NULL;
    USE(head);
    scrub_stack();
    printf("done\n");
    return 0;
}
