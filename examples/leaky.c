/* A small program with one leak of each kind, for ./quickstart and for trying memplumber:
 *   build/memplumber -- build/examples/leaky
 * - a 3-node list whose only pointer is dropped: the head is "definitely lost", the two nodes it
 *   links are "indirectly lost" (reachable only through a lost block);
 * - a buffer of which only a pointer into its middle is kept: "possibly lost";
 * - a configuration string kept in a global: "still reachable" (not a leak, but not freed).
 * Compiled with -O2 -g; noinline keeps each function visible in the stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct node {
    struct node *next;
    int value;
};

static char *config;        /* still reachable through this global */
static char *cursor;        /* points into the middle of a buffer: possibly lost */
static volatile int list_length = 3;    /* volatile: gcc would unroll a constant loop */

NOINLINE static struct node *push(struct node *head, int value)
{
    struct node *n = malloc(sizeof *n);
    n->value = value;
    n->next = head;
    return n;
}

NOINLINE static int sum_list(void)
{
    struct node *list = NULL;
    for (int i = 1; i <= list_length; i++)
        list = push(list, i);
    int sum = 0;
    for (struct node *n = list; n; n = n->next)
        sum += n->value;
    return sum;             /* forgets to free the list: the only pointer to it dies here */
}

NOINLINE static void start_parser(const char *text)
{
    char *buf = malloc(64);
    snprintf(buf, 64, "%s", text);
    cursor = buf + 8;       /* the start of the buffer is forgotten */
}

NOINLINE static void load_config(void)
{
    config = strdup("verbose=1");
}

int main(void)
{
    load_config();
    start_parser("example input");
    printf("sum = %d, config = %s, cursor = %s\n", sum_list(), config, cursor);
    return 0;
}
