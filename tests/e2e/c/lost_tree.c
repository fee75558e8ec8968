/* A 7-node binary tree whose root pointer dies: root definitely lost, its 6 descendants indirectly.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=32 blocks=1 frame0=new_node frame1=build_tree frame2=plant
 * EXPECT:     indirectly_lost bytes=32 blocks=1 frame0=new_node frame2=build_tree line2=41 frame3=build_tree line3=41 frame4=plant
 * EXPECT:     summary.definitely_lost.bytes=32
 * EXPECT:     summary.indirectly_lost.bytes=192
 * EXPECT:     summary.indirectly_lost.blocks=6
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

struct tnode {
    struct tnode *left, *right;
    long key, pad;
};

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE struct tnode *new_node(long key)
{
    struct tnode *t = malloc(sizeof *t);
    t->left = t->right = NULL;
    t->key = key;
    t->pad = 0;
    return t;
}

NOINLINE struct tnode *build_tree(int depth, long key)
{
    struct tnode *t = new_node(key);
    if (depth > 1) {
        t->left = build_tree(depth - 1, 2 * key);
        t->right = build_tree(depth - 1, 2 * key + 1);
    }
    __asm__ volatile("" ::: "memory");
    return t;
}

NOINLINE void plant(void)
{
    struct tnode *root = build_tree(3, 1);
    USE(root);
}

int main(void)
{
    plant();
    scrub_stack();
    return 0;
}
