/* A function that reallocs, called from several callers with the same frame (a buffer grown by
 * grow(p, n) from site_a, then from site_b, as string builders and realloc loops do): every
 * capture starts at the same pc and sp, and the stacks part one frame further out. With the stack
 * cache on, the memo keeps one walk and the cache answers the other through its shortcut to its
 * last answer. One chain in ten ends at a third caller, site_c, whose captures start there too and
 * must not be taken for site_b's. Meanwhile, every 1 ms of CPU time, a SIGPROF handler grows a
 * buffer through a fourth caller, site_h, on whatever the main loop was doing, inside a capture or
 * not. Every leaked block must carry its own stack: 200 from each main-loop site, and the
 * handler's first 100 blocks (their stacks go on through the signal frame into whatever main was
 * running: several records, 9,600 bytes in all, counted by the summary). With the cache off, the
 * same records.
 * RUN:        %memplumber --stack-cache=yes --json %t.json -- %bin
 * STDOUT:     done
 * EXPECT:     definitely_lost bytes=16800 blocks=200 frame0=grow frame1=site_a frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=24800 blocks=200 frame0=grow frame1=site_b frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=40000 blocks=200 frame0=grow frame1=site_c frame2=chain frame3=main
 * EXPECT:     definitely_lost frame0=grow frame1=site_h frame2=on_prof
 * EXPECT:     summary.definitely_lost.blocks=700
 * EXPECT:     summary.definitely_lost.bytes=91200
 * RUN:        %memplumber --stack-cache=no --json %t.off.json -- %bin
 * STDOUT:     done
 * JSON:       %t.off.json
 * EXPECT:     definitely_lost bytes=16800 blocks=200 frame0=grow frame1=site_a frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=24800 blocks=200 frame0=grow frame1=site_b frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=40000 blocks=200 frame0=grow frame1=site_c frame2=chain frame3=main
 * EXPECT:     summary.definitely_lost.blocks=700
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define NOINLINE __attribute__((noinline))

NOINLINE char *grow(char *p, size_t n)
{
    char *q = realloc(p, n);
    memset(q, 0x11, n); /* no stale heap pointer in a leaked block: each leak is definite */
    return q;
}

/* callers with the same frame: grow starts at the same sp under each */
#define SITE(name)                                                                                 \
    NOINLINE char *name(char *p, size_t n)                                                         \
    {                                                                                              \
        char *q = grow(p, n);                                                                      \
        __asm__ volatile("" ::: "memory");                                                         \
        return q;                                                                                  \
    }
SITE(site_a)
SITE(site_b)
SITE(site_c)
SITE(site_h)

/* steps reallocs, in turn from site A and site B: the last one is site A's when steps is odd;
 * with at_c, one more from site C, a third stack from the same start */
NOINLINE char *chain(int steps, int at_c)
{
    char *p = NULL;
    for (int k = 0; k < steps; k += 2) {
        p = site_a(p, 20 + 8 * (size_t)k);
        if (k + 1 == steps)
            break;
        p = site_b(p, 28 + 8 * (size_t)k);
    }
    if (at_c)
        p = site_c(p, 200);
    __asm__ volatile("" ::: "memory");
    return p;
}

static char *kept[1024], *hkept[128];
static int nkept;
static volatile sig_atomic_t hruns;

/* glibc's malloc is not async-signal-safe: the handler allocates only while the main loop says it
 * is between calls (a spin loop), never when it interrupted a realloc. Captures and the stack
 * cache are interrupted all the same: memplumber's own work after the real realloc returns runs
 * with between == 0, but the timer fires anywhere, and a handler that returns at once still
 * lands in the middle of those. */
static volatile sig_atomic_t between;

static void on_prof(int sig)
{
    (void)sig;
    if (!between || hruns >= 100)
        return;
    char *p = site_h(NULL, 40);
    p = site_h(p, 96);
    hkept[hruns] = p;
    hruns++;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_PROF, &it, NULL);
    long i = 0;
    for (; i < 2000 || hruns < 100; i++) {
        if (i == 20000000) {
            fprintf(stderr, "the profiling timer ran the handler %d times in 20M chains\n", (int)hruns);
            return 1;
        }
        /* odd i: 9 steps, the last at site A (84 bytes); even i: 14 steps, the last at site B
         * (124 bytes); i % 10 == 1 and i % 10 == 0 are kept while i < 2000: 200 blocks each;
         * i % 10 == 2 ends at site C (200 bytes), kept too */
        int steps = (i & 1) ? 9 : 14;
        char *p = chain(steps, i % 10 == 2);
        between = 1;
        for (volatile int spin = 0; spin < 200; spin++)
            ;
        between = 0;
        if (i < 2000 && i % 10 < 3)
            kept[nkept++] = p;
        else
            free(p);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    memset(kept, 0, sizeof kept);
    memset(hkept, 0, sizeof hkept);
    nkept = 0;
    scrub_stack();
    puts("done");
    return 0;
}
