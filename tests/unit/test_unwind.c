// SOURCES: src/preload/unwind.c
// CFLAGS: -O2 -fomit-frame-pointer -pthread
// NOSAN
/* mp_unwind against glibc's backtrace() (libgcc's unwinder) on -O2 -fomit-frame-pointer code:
 * a chain of noinline frames with big frames, VLA/alloca (rbp-based CFA), stack realignment
 * (DRAP), a recursion, a call through a function pointer; from the main thread, a second thread,
 * a signal handler (raise and an asynchronous timer signal), and on garbage stacks. */
#include <alloca.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "preload/unwind.h"

#define NOINLINE __attribute__((noinline))
#define MAXF 64

static int passed, failed;
static int verbose; /* TEST_UNWIND_VERBOSE=1: print every walk */

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL: %s\n", what);
    }
}

struct cap {
    uintptr_t mine[MAXF];
    int nmine;
    void *ref[MAXF];
    int nref;
};

/* Like the hook: a frame-pointer frame (forced by __builtin_frame_address) hands its caller's
 * registers to mp_unwind; then the reference walk from the same frame. */
static NOINLINE void capture(struct cap *c)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    c->nmine = mp_unwind(&r, c->mine, MAXF);
    c->nref = backtrace(c->ref, MAXF);
    __asm__ volatile("" ::: "memory");
}

/* ref[0] is inside capture(); ref[1..] must equal mine[0..]. */
static int compare(const struct cap *c, const char *ctx)
{
    int ok = 1;
    int nref = c->nref - 1;
    int n = c->nmine < nref ? c->nmine : nref;
    for (int i = 0; i < n; i++) {
        if (c->mine[i] != (uintptr_t)c->ref[i + 1]) {
            printf("  %s: frame %d: mp_unwind %#lx, backtrace %#lx\n", ctx, i,
                   (unsigned long)c->mine[i], (unsigned long)(uintptr_t)c->ref[i + 1]);
            ok = 0;
        }
    }
    if (c->nmine < nref) {
        printf("  %s: mp_unwind gave %d frames, backtrace %d\n", ctx, c->nmine, nref);
        ok = 0;
    }
    if (!ok || verbose) {
        printf("  %s:\n", ctx);
        for (int i = 0; i < c->nmine || i < nref; i++)
            printf("    #%-2d mine %#-16lx ref %#lx\n", i,
                   i < c->nmine ? (unsigned long)c->mine[i] : 0ul,
                   i < nref ? (unsigned long)(uintptr_t)c->ref[i + 1] : 0ul);
    }
    return ok;
}

/* ---- the chain ---- */

static volatile int sink_v;
static void sink(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static NOINLINE int f8(struct cap *c)
{
    capture(c);
    return sink_v + 1;
}

/* Register pressure: values live across the call make it save rbp as a general register. */
static NOINLINE int f7(struct cap *c, int a, int b)
{
    int x1 = a * 3 + sink_v, x2 = b * 5 + sink_v, x3 = a ^ b, x4 = a - b, x5 = a * b,
        x6 = a + 7 * b, x7 = b - 3 * a;
    int r = f8(c);
    return r + x1 + x2 + x3 + x4 + x5 + x6 + x7 + sink_v;
}

/* Stack realignment with a VLA: DRAP, CFA = *(rbp - 8). */
static NOINLINE int f6(struct cap *c, int n)
{
    char vla[n];
    __attribute__((aligned(64))) char al[64];
    memset(vla, 1, (size_t)n);
    al[0] = (char)n;
    sink(vla);
    sink(al);
    int r = f7(c, n, vla[0]);
    return r + al[0] + vla[n - 1];
}

static NOINLINE int f5(struct cap *c, int n)
{
    char *p = alloca((size_t)n + 16);
    memset(p, 2, (size_t)n);
    sink(p);
    int r = f6(c, n + 8 + sink_v);
    return r + p[3];
}

static NOINLINE int f4_rec(struct cap *c, int depth)
{
    volatile char pad[40];
    pad[0] = (char)depth;
    int r = depth > 0 ? f4_rec(c, depth - 1) : f5(c, 24 + sink_v);
    return r + pad[0];
}

/* VLA without realignment: CFA = rbp + 16. */
static NOINLINE int f3(struct cap *c, int n)
{
    int vla[n];
    for (int i = 0; i < n; i++)
        vla[i] = i;
    sink(vla);
    int r = f4_rec(c, 3);
    return r + vla[n / 2];
}

/* Big frame: sub $0x19000,%rsp. */
static NOINLINE int f2(struct cap *c)
{
    char big[100000];
    memset(big, 3, sizeof big);
    sink(big);
    int r = f3(c, 17 + sink_v);
    return r + big[12345];
}

static int (*volatile f2_ptr)(struct cap *) = f2;

static NOINLINE int f1(struct cap *c)
{
    int r = f2_ptr(c);
    return r + sink_v;
}

static NOINLINE int run_chain(struct cap *c)
{
    int r = f1(c);
    __asm__ volatile("" ::: "memory");
    return r;
}

/* ---- tests ---- */

static void set_top_from_pthread(void)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &addr, &size);
        mp_unwind_set_stack_top((uintptr_t)addr + size);
        pthread_attr_destroy(&a);
    }
}

static void test_main_thread(void)
{
    struct cap c;
    run_chain(&c);
    check(compare(&c, "main cold"), "main thread, cold cache");
    check(c.nmine >= 14, "main thread: at least 14 frames");
    struct cap c2;
    run_chain(&c2);
    check(compare(&c2, "main warm"), "main thread, warm cache");
    check(c2.nmine == c.nmine, "warm capture has the same depth");
    mp_unwind_flush();
    run_chain(&c2);
    check(compare(&c2, "after flush"), "main thread after mp_unwind_flush");

    /* unknown stack top: 64 MiB window */
    mp_unwind_set_stack_top(0);
    run_chain(&c2);
    check(compare(&c2, "no stack top"), "main thread with unknown stack top");
    set_top_from_pthread();

    /* max frames respected */
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    uintptr_t few[3] = { 0, 0, 0 };
    check(mp_unwind(&r, few, 2) <= 2 && few[2] == 0, "max is respected");
    check(mp_unwind(&r, few, 0) == 0, "max 0 gives 0");
    struct mp_unwind_regs z = { 0, 0, 0 };
    check(mp_unwind(&z, few, 3) == 0, "pc 0 gives 0");
}

static void *thread_fn(void *arg)
{
    struct cap *c = arg;
    set_top_from_pthread();
    run_chain(c);
    run_chain(c);
    return NULL;
}

static void test_thread(void)
{
    static struct cap c;
    pthread_t t;
    if (pthread_create(&t, NULL, thread_fn, &c) != 0) {
        check(0, "pthread_create");
        return;
    }
    pthread_join(t, NULL);
    check(compare(&c, "thread"), "second thread");
}

static struct cap sig_cap;
static volatile sig_atomic_t sig_hits;

static void on_signal(int sig __attribute__((unused)))
{
    run_chain(&sig_cap);
    sig_hits++;
}

static NOINLINE int raise_it(void)
{
    raise(SIGALRM);
    return sink_v;
}

static void test_signal_raise(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    raise_it();
    check(sig_hits == 1, "handler ran");
    check(compare(&sig_cap, "raise"), "inside a signal handler (raise)");
}

/* Work for the timer to interrupt: prologues, epilogues, VLA (rbp CFA), a big frame, a loop. */
static NOINLINE int work_vla(int n)
{
    volatile char v[n];
    v[0] = 1;
    v[n - 1] = 2;
    return v[0] + v[n - 1];
}

static NOINLINE int work_big(int n)
{
    volatile char b[20000];
    b[n] = 1;
    return b[n] + work_vla(n + 1 + sink_v);
}

static NOINLINE int spin(volatile int *stop)
{
    unsigned x = 1;
    while (!*stop) {
        x = x * 1103515245u + 12345u;
        x += (unsigned)work_big((int)(x >> 22));
    }
    return (int)x;
}

static volatile int spin_stop;
static int async_bad;
static struct cap async_cap;

static void on_timer(int sig __attribute__((unused)))
{
    run_chain(&async_cap);
    int nref = async_cap.nref - 1;
    int ok = async_cap.nmine >= nref;
    for (int i = 0; ok && i < nref; i++)
        ok = async_cap.mine[i] == (uintptr_t)async_cap.ref[i + 1];
    if (!ok && async_bad++ == 0)
        compare(&async_cap, "timer");
    if (++sig_hits >= 200)
        spin_stop = 1;
}

static void test_signal_async(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_timer;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sig_hits = 0;
    struct itimerval it = { { 0, 200 }, { 0, 200 } };
    setitimer(ITIMER_REAL, &it, NULL);
    spin(&spin_stop);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    if (async_bad)
        printf("  timer: %d of %d captures differ\n", async_bad, (int)sig_hits);
    check(async_bad == 0, "asynchronous timer signal interrupting a loop");
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Garbage stacks: must return without crashing. The buffer lives on this thread's stack so that
 * everything between it and the stack top is mapped, as the contract requires. */
static NOINLINE void test_garbage(void)
{
    enum { W = 16384 };
    static uintptr_t code[MAXF * 2];
    int ncode = 0;
    struct cap c;
    run_chain(&c);
    for (int i = 0; i < c.nmine && ncode < MAXF; i++)
        code[ncode++] = c.mine[i];
    code[ncode++] = (uintptr_t)&memcpy;
    code[ncode++] = (uintptr_t)&raise;
    code[ncode++] = (uintptr_t)&pthread_create;

    uintptr_t *buf = alloca(W * sizeof(uintptr_t));
    uintptr_t out[MAXF];
    int bad = 0, total_frames = 0;
    for (int trial = 0; trial < 20000; trial++) {
        for (int i = 0; i < W; i++) {
            switch (rnd() % 6) {
            case 0: buf[i] = rnd(); break;
            case 1: buf[i] = (uintptr_t)&buf[rnd() % W]; break;
            case 2: buf[i] = code[rnd() % ncode] + (rnd() % 64) - 32; break;
            case 3: buf[i] = rnd() % 4096; break;
            case 4: buf[i] = (uintptr_t)&buf[rnd() % W] + (rnd() % 512); break;
            default: buf[i] = 0; break;
            }
        }
        struct mp_unwind_regs r;
        switch (trial % 4) {
        case 0: r.pc = 0x1234; break;
        case 1: r.pc = code[rnd() % ncode]; break;
        case 2: r.pc = code[rnd() % ncode] + rnd() % 200; break;
        default: r.pc = rnd(); break;
        }
        r.sp = (uintptr_t)&buf[rnd() % W];
        r.bp = (trial & 1) ? (uintptr_t)&buf[rnd() % W] : rnd();
        int n = mp_unwind(&r, out, MAXF);
        total_frames += n;
        if (n < 1 || n > MAXF || out[0] != r.pc)
            bad++;
    }
    printf("  garbage: 20000 walks, %d frames in all\n", total_frames);
    check(bad == 0, "garbage stacks: result in range");
}

int main(void)
{
    mp_unwind_init();
    verbose = getenv("TEST_UNWIND_VERBOSE") != NULL;
    set_top_from_pthread();
    struct cap warm;
    run_chain(&warm); /* loads libgcc_s for backtrace() */

    test_main_thread();
    test_thread();
    test_signal_raise();
    test_signal_async();
    test_garbage();
    /* the walk still agrees after the garbage filled the cache with odd rules */
    struct cap c;
    run_chain(&c);
    check(compare(&c, "after garbage"), "main thread after garbage walks");

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
