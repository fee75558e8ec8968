/* The stack cache on deep stacks: a capture 24 frames deep whose two paths share the leaf and
 * its first 20 callers, frame for frame and byte for byte, and differ only at the 22nd frame
 * (via_a or via_b), past the words an entry once kept (14). On the way, two frames are larger
 * than 2 KiB (the entry's places take their long form) and two keep a frame pointer and a
 * variable-length array (their CFA comes from rbp, so the saved rbp words are part of the
 * entry); a second pair of paths (near_a, near_b) is the same without the large frames. Tens of
 * thousands of captures alternate between the paths in the main thread and in two threads; each
 * path leaks a known number of blocks, and each path's record must count its own.
 * RUN:        %memplumber --stack-cache=yes --verbosity=2 --json %t.json -- %bin
 * STDOUT:     done
 * STDERR-RE:  memplumber: stack cache: [1-9]\d* caches?, [1-9]\d* lookups, [1-9]\d* answered \(\d+%\)
 * EXPECT:     definitely_lost bytes=8000 blocks=500 frame0=leaf frame1=c1 frame20=c20 frame21=via_a frame22=run frame23=main
 * EXPECT:     definitely_lost bytes=6000 blocks=375 frame0=leaf frame1=c1 frame20=c20 frame21=via_b frame22=run frame23=main
 * EXPECT:     definitely_lost bytes=4288 blocks=268 frame0=leaf frame20=c20 frame21=via_a frame22=run frame23=worker
 * EXPECT:     definitely_lost bytes=10240 blocks=640 frame0=leaf frame20=c20 frame21=via_b frame22=run frame23=worker
 * EXPECT:     definitely_lost bytes=5344 blocks=334 frame0=leaf frame1=n1 frame20=n20 frame21=near_a frame22=run frame23=main
 * EXPECT:     definitely_lost bytes=4000 blocks=250 frame0=leaf frame1=n1 frame20=n20 frame21=near_b frame22=run frame23=main
 * EXPECT:     summary.definitely_lost.blocks=2367
 * RUN:        %memplumber --stack-cache=no --json %t.off.json -- %bin
 * STDOUT:     done
 * JSON:       %t.off.json
 * EXPECT:     definitely_lost bytes=8000 blocks=500 frame0=leaf frame1=c1 frame20=c20 frame21=via_a frame22=run frame23=main
 * EXPECT:     definitely_lost bytes=6000 blocks=375 frame0=leaf frame1=c1 frame20=c20 frame21=via_b frame22=run frame23=main
 * EXPECT:     summary.definitely_lost.blocks=2367
 * VALGRIND:   skip stack_cache is a memplumber option (the plain run is the same program)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE void *leaf(int n)
{
    char *p = malloc(16 + (n & 0));
    memset(p, 0x5a, 16);
    return p;
}

/* a plain frame */
#define PLAIN(name, callee)                                                                        \
    NOINLINE void *name(int n)                                                                     \
    {                                                                                              \
        void *p = callee(n);                                                                       \
        NOTAIL();                                                                                  \
        return p;                                                                                  \
    }
/* a frame of more than 2 KiB */
#define BIG(name, callee)                                                                          \
    NOINLINE void *name(int n)                                                                     \
    {                                                                                              \
        volatile char pad[3000];                                                                   \
        pad[n & 1023] = 1;                                                                         \
        void *p = callee(n);                                                                       \
        NOTAIL();                                                                                  \
        return pad[0] == 2 ? NULL : p;                                                             \
    }
/* a frame whose CFA is computed from rbp (frame pointer, variable-length array) */
#define FP(name, callee)                                                                           \
    __attribute__((optimize("no-omit-frame-pointer"))) NOINLINE void *name(int n)                  \
    {                                                                                              \
        volatile char vla[16 + (n & 7)];                                                           \
        vla[0] = 1;                                                                                \
        void *p = callee(n);                                                                       \
        NOTAIL();                                                                                  \
        return vla[0] == 2 ? NULL : p;                                                             \
    }

PLAIN(c1, leaf)
PLAIN(c2, c1)
FP(c3, c2)
PLAIN(c4, c3)
BIG(c5, c4)
PLAIN(c6, c5)
PLAIN(c7, c6)
PLAIN(c8, c7)
FP(c9, c8)
PLAIN(c10, c9)
PLAIN(c11, c10)
PLAIN(c12, c11)
BIG(c13, c12)
PLAIN(c14, c13)
PLAIN(c15, c14)
PLAIN(c16, c15)
PLAIN(c17, c16)
PLAIN(c18, c17)
PLAIN(c19, c18)
PLAIN(c20, c19)
PLAIN(via_a, c20)
PLAIN(via_b, c20)

/* the same without the large frames: every word within 2 KiB of the first frame's sp (an
 * entry's places are then kept in their short form) */
PLAIN(n1, leaf)
PLAIN(n2, n1)
FP(n3, n2)
PLAIN(n4, n3)
PLAIN(n5, n4)
PLAIN(n6, n5)
PLAIN(n7, n6)
PLAIN(n8, n7)
FP(n9, n8)
PLAIN(n10, n9)
PLAIN(n11, n10)
PLAIN(n12, n11)
PLAIN(n13, n12)
PLAIN(n14, n13)
PLAIN(n15, n14)
PLAIN(n16, n15)
PLAIN(n17, n16)
PLAIN(n18, n17)
PLAIN(n19, n18)
PLAIN(n20, n19)
PLAIN(near_a, n20)
PLAIN(near_b, n20)

/* Allocates through via_a three times in five, via_b otherwise; keeps one block in every
 * a_every (via_a) or b_every (via_b) and frees the others. The kept blocks are returned. */
NOINLINE static int run(void **kept, int iters, int a_every, int b_every, int near)
{
    int n = 0;
    for (int i = 0; i < iters; i++) {
        const int a = i % 5 < 3;
        void *p = near ? (a ? near_a(i) : near_b(i)) : a ? via_a(i) : via_b(i);
        NOTAIL();
        if (a ? i % a_every == 0 : i % b_every == 3)
            kept[n++] = p;
        else
            free(p);
    }
    return n;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

static void *worker(void *arg)
{
    void **kept = calloc(1024, sizeof *kept);
    /* 8,000 captures: via_a 4,800 (134 kept: i % 60 == 0), via_b 3,200 (320 kept: i % 25 == 3);
     * two workers, one record per path for both */
    int n = run(kept, 8000, 60, 25, 0);
    (void)n;
    memset(kept, 0, 1024 * sizeof *kept);
    free(kept);
    scrub_stack();
    return arg;
}

int main(void)
{
    static void *kept[4096];
    /* 30,000 captures: via_a 18,000 (500 kept: i % 60 == 0), via_b 12,000 (375 kept: i % 80 == 3) */
    int n = run(kept, 30000, 60, 80, 0);
    /* the short form: 20,000 captures, near_a 12,000 (334 kept: i % 60 == 0), near_b 8,000
     * (250 kept: i % 80 == 3) */
    n += run(kept + n, 20000, 60, 80, 1);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    memset(kept, 0, sizeof kept);
    scrub_stack();
    printf("done\n");
    return n > 0 ? 0 : 1;
}
