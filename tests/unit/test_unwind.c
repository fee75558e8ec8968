// SOURCES: src/preload/record/unwind.c src/common/arena.c src/common/lock.c
// CFLAGS: -O2 -fomit-frame-pointer -pthread -DMP_UNWIND_STATS
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
#include <sys/mman.h>
#include <sys/time.h>

#include "check.h"
#include "preload/record/unwind.h"

#define NOINLINE __attribute__((noinline))
#define MAXF 64

static int verbose; /* TEST_UNWIND_VERBOSE=1: print every walk */

static void check(int ok, const char *what)
{
    if (ok) {
        check_passed++;
    } else {
        check_failed++;
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
        mp_unwind_set_stack((uintptr_t)addr, (uintptr_t)addr + size);
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

    /* unknown stack: every page checked before it is read (a foreign stack's walk) */
    mp_unwind_set_stack(0, 0);
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

/* A handler on an alternate signal stack (here below the thread's stack): the walk goes from
 * the alternate stack through the signal frame to the interrupted stack. */
static void test_signal_altstack(void)
{
    static char alt[1 << 20] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
    stack_t old;
    if (sigaltstack(&ss, &old) != 0) {
        check(0, "sigaltstack");
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGALRM, &sa, NULL);
    sig_hits = 0;
    memset(&sig_cap, 0, sizeof sig_cap);
    raise_it();
    signal(SIGALRM, SIG_DFL);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    check(sig_hits == 1, "altstack handler ran");
    check(compare(&sig_cap, "altstack"), "inside a signal handler on a sigaltstack");
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

/* SIGALRM every usec microseconds, handled by h (SA_RESTART); timer_stop ends it. */
static void timer_start(void (*h)(int), long usec)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, usec }, { 0, usec } };
    setitimer(ITIMER_REAL, &it, NULL);
}

static void timer_stop(void)
{
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
}

static void test_signal_async(void)
{
    sig_hits = 0;
    timer_start(on_timer, 200);
    spin(&spin_stop);
    timer_stop();
    if (async_bad)
        printf("  timer: %d of %d captures differ\n", async_bad, (int)sig_hits);
    check(async_bad == 0, "asynchronous timer signal interrupting a loop");
}

/* Re-entry: a timer signal lands while the main thread is inside mp_unwind (its walk memo
 * busy); the handler's captures must be right and must not disturb the interrupted one. */
static int reentry_bad;
static volatile int reentry_hits;

static NOINLINE int memo_on_off(uintptr_t *on, uintptr_t *off, int *noff)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    int n = mp_unwind(&r, on, MAXF);
    if (off) {
        mp_unwind_set_memo(0);
        *noff = mp_unwind(&r, off, MAXF);
        mp_unwind_set_memo(1);
    }
    return n;
}

static void on_reentry(int sig __attribute__((unused)))
{
    uintptr_t on[MAXF], off[MAXF];
    int noff = 0;
    int n = memo_on_off(on, off, &noff);
    int ok = n == noff && n > 3;
    for (int i = 0; ok && i < n; i++)
        ok = on[i] == off[i];
    if (!ok)
        reentry_bad++;
    reentry_hits++;
}

static NOINLINE int reentry_loop(void)
{
    int bad = 0;
    for (long i = 0; i < 20000000 && reentry_hits < 300; i++) {
        uintptr_t on[MAXF], off[MAXF];
        int noff = 0;
        int n = memo_on_off(on, off, &noff);
        int ok = n == noff && n > 3;
        for (int k = 0; ok && k < n; k++)
            ok = on[k] == off[k];
        bad += !ok;
    }
    return bad;
}

static void test_signal_reentry(void)
{
    timer_start(on_reentry, 100);
    int bad = reentry_loop();
    timer_stop();
    printf("  reentry: %d handler captures\n", (int)reentry_hits);
    check(reentry_bad == 0, "captures from a handler interrupting mp_unwind");
    check(bad == 0, "captures interrupted by a handler that captures");
}

/* ---- anchors: the constant bottom of a thread's stack, recorded once and spliced in ---- */

/* A thread whose stack below anchor_fn's frame alternates between two callers with the same
 * frame layout (outer_a, outer_b): the anchor frame (the return address into anchor_fn at the
 * same sp) is the same each time, the frames below it are not, so only the re-check of the
 * recorded words tells them apart. */
static volatile int anchor_phase;
static int anchor_bad, anchor_trunc_bad, anchor_sig_bad;

static NOINLINE int anchor_fn(struct cap *c);
static NOINLINE int outer_a(struct cap *c)
{
    int r = anchor_fn(c);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}
static NOINLINE int outer_b(struct cap *c)
{
    int r = anchor_fn(c);
    __asm__ volatile("" ::: "memory");
    return r + 2;
}

/* compares a capture with the memo on (anchors used) to one with it off, at several maxima */
static NOINLINE int anchored_leaf(struct cap *c)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    uintptr_t on[MAXF], off[MAXF];
    mp_unwind_set_memo(0);
    int noff = mp_unwind(&r, off, MAXF);
    mp_unwind_set_memo(1);
    for (int max = noff + 2; max >= 1; max--) {
        int n = mp_unwind(&r, on, max);
        int ok = n == (noff < max ? noff : max);
        for (int i = 0; ok && i < n; i++)
            ok = on[i] == off[i];
        if (!ok)
            ++*(max >= noff ? &anchor_bad : &anchor_trunc_bad);
    }
    if (c)
        capture(c);
    return noff;
}

static void on_anchor_signal(int sig __attribute__((unused)))
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    uintptr_t on[MAXF], off[MAXF];
    mp_unwind_set_memo(0);
    int noff = mp_unwind(&r, off, MAXF);
    mp_unwind_set_memo(1);
    int n = mp_unwind(&r, on, MAXF);
    int ok = n == noff;
    for (int i = 0; ok && i < n; i++)
        ok = on[i] == off[i];
    anchor_sig_bad += !ok;
}

static NOINLINE int anchor_body(struct cap *c, int depth)
{
    volatile char pad[32];
    pad[0] = (char)depth;
    int r = depth > 0 ? anchor_body(c, depth - 1) : anchored_leaf(c);
    if (depth == 2 && anchor_phase == 3)
        raise(SIGUSR1);
    return r + pad[0];
}

static NOINLINE int anchor_fn(struct cap *c)
{
    int r = anchor_body(c, anchor_phase % 5 + 1);
    __asm__ volatile("" ::: "memory");
    return r;
}

static int (*volatile outer_ptr[2])(struct cap *) = { outer_a, outer_b };

static void *anchor_thread(void *arg)
{
    struct cap *c = arg;
    set_top_from_pthread();
    for (int i = 0; i < 40; i++) {
        anchor_phase = i;
        outer_ptr[(i / 3) & 1](i == 39 ? c : NULL);
    }
    return NULL;
}

static void test_anchors(void)
{
#ifdef MP_UNWIND_STATS
    extern unsigned long mp_unwind_stat_anchored, mp_unwind_stat_anchor_missed;
    unsigned long anchored0 = mp_unwind_stat_anchored, missed0 = mp_unwind_stat_anchor_missed;
#endif
    mp_unwind_add_anchor_function((uintptr_t)anchor_fn, 0);
    signal(SIGUSR1, on_anchor_signal);
    static struct cap c;
    pthread_t t;
    if (pthread_create(&t, NULL, anchor_thread, &c) != 0) {
        check(0, "pthread_create");
        return;
    }
    pthread_join(t, NULL);
    signal(SIGUSR1, SIG_DFL);
    check(compare(&c, "anchored thread"), "anchored thread: the same frames as backtrace()");
    check(anchor_bad == 0, "anchored walks give the frames of a walk without the memo");
    check(anchor_trunc_bad == 0, "anchored walks cut at max give the same frames");
    check(anchor_sig_bad == 0, "a signal handler's walk through the anchor");
#ifdef MP_UNWIND_STATS
    printf("  anchors: %lu walks spliced, %lu re-checks failed\n",
           mp_unwind_stat_anchored - anchored0, mp_unwind_stat_anchor_missed - missed0);
    check(mp_unwind_stat_anchored > anchored0, "walks were spliced at the anchor");
    check(mp_unwind_stat_anchor_missed > missed0,
          "walks whose frames below the anchor changed were caught by the re-check");
#endif
}

/* Per thread, and put back by the timer's handler: the garbage test's inputs stay the same from
 * run to run whatever the other threads and the handler drew. */
static __thread uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random call trees: consecutive captures share some frames (same pc at the same sp) and differ
 * in others, which is what the walk memo must tell apart. Every capture is done with the memo on
 * and off, and must give the same frames; every 16th is also checked against backtrace(). */
static int tree_bad, tree_count, same_bad, same_hits;
static uintptr_t same_prev[MAXF];
static int same_prev_n;
static uint32_t same_prev_id;

/* The memo's same-stack answer: an id handed back must be the one attached to the previous
 * capture, whose frames must equal those of a walk with the memo off (ref), frame for frame.
 * The capture's own pcs then hold only the first frame: the previous frames stand for them. */
static void check_same(const struct mp_unwind_info *info, uintptr_t *pcs, int *n,
                       const uintptr_t *ref, int nref)
{
    if (info->same_id) {
        same_hits++;
        int ok = info->same_id == same_prev_id && nref == same_prev_n && pcs[0] == ref[0];
        for (int i = 0; ok && i < nref; i++)
            ok = ref[i] == same_prev[i];
        if (!ok && same_bad++ < 3)
            printf("  capture %d: same_id %u (previous %u) but the frames differ\n", tree_count,
                   info->same_id, same_prev_id);
        *n = same_prev_n;
        memcpy(pcs, same_prev, (size_t)same_prev_n * sizeof *pcs);
        return; /* the id stays attached to the memo's walk */
    }
    same_prev_id = 1000 + (uint32_t)tree_count;
    mp_unwind_attach_id(info->token, same_prev_id);
    same_prev_n = *n;
    memcpy(same_prev, pcs, (size_t)*n * sizeof *pcs);
}

/* ---- the stack cache: an id handed back for any earlier stack must name identical frames ---- */

#define SC_IDS 400000
static uint64_t sc_frames_hash[SC_IDS]; /* per id given out (1 + index): a hash of its frames */
static int sc_ids, sc_bad, sc_testing, sc_in_handler;
static unsigned long sc_answers;

static uint64_t frames_hash(const uintptr_t *pcs, int n)
{
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 0xff51afd7ed558ccdull + (uint64_t)i;
    return h | 1; /* 0: not written yet */
}

/* With stack_cache on: the capture's answer against a walk with memo (and so cache) off.
 * Lock-free (a signal handler checks too): a new id's frames are written before the id is
 * attached, so an id handed back always has its frames. */
static void sc_check(const struct mp_unwind_regs *r)
{
    uintptr_t pcs[MAXF], off[MAXF];
    struct mp_unwind_info info;
    int n = mp_unwind_ex(r, pcs, MAXF, &info);
    mp_unwind_set_memo(0);
    int noff = mp_unwind(r, off, MAXF);
    mp_unwind_set_memo(1);
    int bad = 0;
    if (info.same_id) {
        __atomic_add_fetch(&sc_answers, 1, __ATOMIC_RELAXED);
        uint32_t i = info.same_id - 1;
        bad = i >= SC_IDS || n != noff ||
              __atomic_load_n(&sc_frames_hash[i], __ATOMIC_ACQUIRE) != frames_hash(off, noff);
    } else {
        int ok = n == noff;
        for (int k = 0; ok && k < n; k++)
            ok = pcs[k] == off[k];
        bad = !ok;
        int i = __atomic_fetch_add(&sc_ids, 1, __ATOMIC_RELAXED);
        if (i < SC_IDS) {
            __atomic_store_n(&sc_frames_hash[i], frames_hash(off, noff), __ATOMIC_RELEASE);
            mp_unwind_attach_id(info.token, (uint32_t)i + 1);
        }
    }
    if (bad && __atomic_fetch_add(&sc_bad, 1, __ATOMIC_RELAXED) < 3 && !sc_in_handler)
        printf("  stack cache: an answer differs from the walk with the memo off (%d vs %d frames%s)\n",
               n, noff, info.same_id ? ", from the cache or the memo" : "");
}

static NOINLINE void tree_capture(void)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    if (sc_testing) {
        sc_check(&r);
        __asm__ volatile("" ::: "memory");
        return;
    }
    static struct cap c;
    uintptr_t off[MAXF];
    struct mp_unwind_info info;
    c.nmine = mp_unwind_ex(&r, c.mine, MAXF, &info);
    mp_unwind_set_memo(0);
    int noff = mp_unwind(&r, off, MAXF);
    mp_unwind_set_memo(1);
    check_same(&info, c.mine, &c.nmine, off, noff);
    int ok = noff == c.nmine;
    for (int i = 0; ok && i < noff; i++)
        ok = off[i] == c.mine[i];
    if (!ok && tree_bad++ < 3) {
        printf("  tree %d: memo on/off differ (%d vs %d frames)\n", tree_count, c.nmine, noff);
        for (int i = 0; i < c.nmine || i < noff; i++)
            printf("    #%-2d on %#-16lx off %#lx\n", i,
                   i < c.nmine ? (unsigned long)c.mine[i] : 0ul,
                   i < noff ? (unsigned long)off[i] : 0ul);
    }
    if ((tree_count++ & 15) == 0) {
        c.nref = backtrace(c.ref, MAXF);
        /* ref[0] is in tree_capture: shift it to line up with mine[0] */
        if (ok && !compare(&c, "tree vs backtrace") && tree_bad++ < 3)
            printf("  tree %d: differs from backtrace\n", tree_count);
    }
    __asm__ volatile("" ::: "memory");
}

static NOINLINE int tree(int depth);
static int tree_fixed_below; /* levels at this depth and below: always t_plain */

static NOINLINE int t_plain(int depth)
{
    volatile int pad[6];
    pad[0] = depth;
    int r = tree(depth - 1);
    return r + pad[0];
}

static NOINLINE int t_vla(int depth)
{
    int n = 1 + (int)(rnd() % 40);
    volatile char v[n];
    v[0] = (char)depth;
    int r = tree(depth - 1);
    return r + v[0];
}

static NOINLINE int t_regs(int depth)
{
    int a = (int)rnd(), b = (int)rnd() + sink_v;
    int x1 = a * 3 + sink_v, x2 = b * 5 + sink_v, x3 = a ^ b, x4 = a - b, x5 = a * b,
        x6 = a + 7 * b;
    int r = tree(depth - 1);
    return r + x1 + x2 + x3 + x4 + x5 + x6;
}

static NOINLINE int t_align(int depth)
{
    int n = 8 + (int)(rnd() % 24);
    char vla[n];
    __attribute__((aligned(64))) char al[64];
    vla[0] = (char)depth;
    al[0] = vla[0];
    sink(vla);
    sink(al);
    int r = tree(depth - 1);
    return r + al[0] + vla[0];
}

static NOINLINE int tree(int depth)
{
    if (depth <= 0) {
        tree_capture();
        return sink_v;
    }
    if (depth <= tree_fixed_below)
        return t_plain(depth) + sink_v;
    switch (rnd() % 4) {
    case 0: return t_plain(depth) + sink_v;
    case 1: return t_vla(depth) + sink_v;
    case 2: return t_regs(depth) + sink_v;
    default: return t_align(depth) + sink_v;
    }
}

/* counters of src/preload/record/unwind.c built with -DMP_UNWIND_STATS */
extern unsigned long mp_unwind_stat_match, mp_unwind_stat_replayed;

static void test_trees(void)
{
    unsigned long replayed = mp_unwind_stat_replayed;
    mp_unwind_set_stack_cache(MP_STACK_CACHE_OFF); /* the memo alone: same_id = the previous id */
    for (int i = 0; i < 20000; i++)
        tree(1 + (int)(rnd() % 10));
    /* the trees go up to 20 frames deep above this one: walks do join deep previous walks */
    printf("  trees: %lu frames taken from the previous walk\n",
           mp_unwind_stat_replayed - replayed);
    check(mp_unwind_stat_replayed - replayed > 5000, "random call trees: deep walks are joined");
    check(tree_bad == 0, "random call trees: memo on == memo off == backtrace");
    check(same_bad == 0, "random call trees: a same-stack answer always names identical frames");
    /* the same call site twice in a row: the second capture is recognised */
    int hits = same_hits;
    static volatile int four = 4; /* a loop the compiler cannot unroll into four call sites */
    for (int i = 0; i < four; i++)
        t_plain(1);
    check(same_hits >= hits + 3, "repeated captures from one call site are recognised as the same");
    mp_unwind_set_stack_cache(MP_STACK_CACHE_AUTO);
}

/* Random call trees (the same leaf at many depths, frames of four layouts, rbp-based CFAs) with
 * the stack cache always on: stacks that share their first frames and part further out, again and
 * again, so the cache fills and is hit; in the main thread, then in two threads at once, then in
 * a thread that takes a finished thread's cache from the pool and runs on its recycled stack. */
extern unsigned long mp_unwind_stat_sc_hit;

static void *sc_thread(void *arg)
{
    set_top_from_pthread();
    for (int i = 0; i < 20000; i++)
        tree(1 + (int)(rnd() % 8));
    mp_unwind_thread_end();
    return arg;
}

static int sc_handler_runs;

static void on_sc_timer(int sig __attribute__((unused)))
{
    int slot = mp_unwind_memo_slot;
    uint64_t saved_rng = rng;
    mp_unwind_memo_slot = 1;
    sc_in_handler = 1;
    tree(1 + (int)(sc_handler_runs % 5));
    sc_in_handler = 0;
    mp_unwind_memo_slot = slot;
    rng = saved_rng;
    sc_handler_runs++;
}

/* One function called from two call sites in turn (a realloc loop: grow(p, n) then grow(p, n + 1);
 * a node and its string): both captures start at the same pc and sp, and part one frame further
 * out. The memo keeps one of the two walks, the cache answers the other through its shortcut. */
extern unsigned long mp_unwind_stat_short_try, mp_unwind_stat_short_hit;

static NOINLINE void two_sites_leaf(void)
{
    tree_capture();
    __asm__ volatile("" ::: "memory");
}

static NOINLINE void two_sites(int n)
{
    for (int i = 0; i < n; i++) {
        two_sites_leaf();
        sink_v += i;
        two_sites_leaf();
        sink_v -= i;
    }
}

static void test_stack_cache(void)
{
    unsigned long hits = mp_unwind_stat_sc_hit;
    mp_unwind_set_stack_cache(MP_STACK_CACHE_ON);
    sc_testing = 1;
    unsigned long short_hits = mp_unwind_stat_short_hit, short_tries = mp_unwind_stat_short_try;
    two_sites(5000);
    printf("  stack cache: two call sites in turn: %lu of %lu shortcuts right\n",
           mp_unwind_stat_short_hit - short_hits, mp_unwind_stat_short_try - short_tries);
    check(mp_unwind_stat_short_hit - short_hits > 4000,
          "stack cache: a function's two call sites in turn are answered by the shortcut");
    for (int i = 0; i < 30000; i++)
        tree(1 + (int)(rnd() % 8));
    /* deep stacks that differ only far from the leaf: 14 levels alike (t_plain), 1-3 random
     * levels above them (84 paths, each taken again and again); entries of 20 words and more */
    tree_fixed_below = 14;
    for (int i = 0; i < 20000; i++)
        tree(15 + (int)(rnd() % 3));
    tree_fixed_below = 0;
    /* random deep trees: walks too deep to be kept, too */
    for (int i = 0; i < 5000; i++)
        tree(9 + (int)(rnd() % 24));
    pthread_t t[2];
    for (int round = 0; round < 2; round++) {
        int nt = round ? 1 : 2;
        for (int i = 0; i < nt; i++)
            pthread_create(&t[i], NULL, sc_thread, NULL);
        for (int i = 0; i < nt; i++)
            pthread_join(t[i], NULL);
    }
    /* a timer signal whose handler captures through the other memo (as a free does with full
     * free stacks), so that it looks up and records while the interrupted capture may be in
     * the middle of a lookup or a record of its own */
    timer_start(on_sc_timer, 50);
    for (int i = 0; i < 30000; i++)
        tree(1 + (int)(rnd() % 8));
    timer_stop();
    printf("  stack cache: %d handler captures\n", sc_handler_runs);
    check(sc_handler_runs > 50, "stack cache: the timer's handler captured");
    sc_testing = 0;
    mp_unwind_set_stack_cache(MP_STACK_CACHE_AUTO);
    printf("  stack cache: %lu answers from the cache, %lu in all without a walk, %d stacks, "
           "shortcuts right %lu of %lu\n", mp_unwind_stat_sc_hit - hits, sc_answers, sc_ids,
           mp_unwind_stat_short_hit - short_hits, mp_unwind_stat_short_try - short_tries);
    check(mp_unwind_stat_sc_hit - hits > 10000, "stack cache: stacks seen before are answered");
    check(sc_bad == 0, "stack cache: every id handed back names the capture's own frames");
}

/* Garbage stacks: must return without crashing. The buffer lives on this thread's stack so that
 * everything between it and the stack top is mapped, as the contract requires. */
/* Walks from r with the memo off, then on (which records): 1 when both give the same frames
 * (n in *np, at least the first frame, at most MAXF), into out. */
static int walk_memo_off_on(const struct mp_unwind_regs *r, uintptr_t *out, int *np)
{
    uintptr_t ref[MAXF];
    mp_unwind_set_memo(0);
    int nref = mp_unwind(r, ref, MAXF);
    mp_unwind_set_memo(1);
    int n = mp_unwind(r, out, MAXF);
    *np = n;
    int same = n == nref;
    for (int i = 0; same && i < n; i++)
        same = out[i] == ref[i];
    return same && n >= 1 && n <= MAXF && out[0] == r->pc;
}

/* Return addresses garbage may hold: a real chain's, and a few functions of libc. */
static int garbage_code(uintptr_t *code)
{
    int ncode = 0;
    struct cap c;
    run_chain(&c);
    for (int i = 0; i < c.nmine && ncode < MAXF; i++)
        code[ncode++] = c.mine[i];
    code[ncode++] = (uintptr_t)&memcpy;
    code[ncode++] = (uintptr_t)&raise;
    code[ncode++] = (uintptr_t)&pthread_create;
    return ncode;
}

static NOINLINE void test_garbage(void)
{
    enum { W = 16384 };
    static uintptr_t code[MAXF * 2];
    const int ncode = garbage_code(code);

    uintptr_t *buf = alloca(W * sizeof(uintptr_t));
    uintptr_t out[MAXF];
    int bad = 0, total_frames = 0;
    /* Walks stay in the buffer: above it lies this function's frame, whose words (the frames the
     * previous walk wrote, its count) change between the two walks compared. Reading them made
     * one garbage input in about 14 show a memo-on walk unlike the memo-off one, with ASLR
     * deciding which input (a start pc whose rule reads 336 bytes up, past the buffer's end). */
    mp_unwind_set_stack((uintptr_t)buf, (uintptr_t)(buf + W));
    for (int trial = 0; trial < 5000; trial++) {
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
        /* memo off, then on (which records), then mutate a few words: memo on must still
         * agree with a fresh walk */
        for (int round = 0; round < 3; round++) {
            int n;
            if (!walk_memo_off_on(&r, out, &n) && bad++ < 3)
                printf("  garbage trial %d round %d: %d frames, unlike the walk without memo\n",
                       trial, round, n);
            total_frames += n;
            for (int i = 0; i < 3; i++)
                buf[rnd() % W] = (rnd() & 1) ? rnd() : (uintptr_t)&buf[rnd() % W];
        }
    }
    set_top_from_pthread();
    printf("  garbage: 15000 walks, %d frames in all\n", total_frames);
    check(bad == 0, "garbage stacks: result in range");
}

/* Garbage on a stack that is not the thread's own (a coroutine's, from mmap): a guard page
 * (PROT_NONE) right above it and a hole (unmapped) above that, and the garbage holds return
 * addresses whose rules step into both, pointers into both, code and other words. Every read
 * outside the own stack is checked first: the walks return, with the first frame at least, and
 * the memo and stack cache (on) do not change what a walk gives. */
static NOINLINE void test_foreign_garbage(void)
{
    const size_t pg = 4096;
    char *base = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        check(0, "foreign garbage: mmap");
        return;
    }
    mprotect(base + 2 * pg, pg, PROT_NONE);
    munmap(base + 3 * pg, pg);
    check(mp_unwind_readable_end((uintptr_t)base + 100, 1 << 20) == (uintptr_t)base + 2 * pg,
          "readable pages end at the guard page");
    check(mp_unwind_readable_end((uintptr_t)base, pg) == (uintptr_t)base + pg,
          "readable pages: no further than asked");
    uintptr_t *buf = (uintptr_t *)base;
    const int W = (int)(2 * pg / sizeof(uintptr_t));
    static uintptr_t code[MAXF * 2];
    const int ncode = garbage_code(code);
    int bad = 0, total_frames = 0;
    for (int trial = 0; trial < 3000; trial++) {
        for (int i = 0; i < W; i++) {
            switch (rnd() % 7) {
            case 0: buf[i] = rnd(); break;
            case 1: buf[i] = (uintptr_t)base + 2 * pg + rnd() % (2 * pg); break; /* guard, hole */
            case 2:
            case 3: buf[i] = code[rnd() % ncode] + (rnd() % 64) - 32; break;
            case 4: buf[i] = (uintptr_t)&buf[rnd() % W] + (rnd() % 512); break;
            default: buf[i] = 0; break;
            }
        }
        struct mp_unwind_regs r;
        r.pc = code[rnd() % ncode] + (trial & 1 ? rnd() % 200 : 0);
        r.sp = (uintptr_t)&buf[W - 1 - rnd() % 64]; /* near the top: the next steps leave it */
        r.bp = (trial & 2) ? (uintptr_t)base + 2 * pg + rnd() % pg : (uintptr_t)&buf[rnd() % W];
        uintptr_t out[MAXF];
        int n;
        if (!walk_memo_off_on(&r, out, &n) && bad++ < 3)
            printf("  foreign garbage trial %d: %d frames, unlike the walk without memo\n", trial, n);
        total_frames += n;
    }
    munmap(base, 3 * pg);
    printf("  foreign garbage: 3000 walks (twice), %d frames in all\n", total_frames);
    check(bad == 0, "foreign garbage: walks return without reading an unreadable page");
    check(total_frames > 3000, "foreign garbage: some walks step past the first frame");
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
    test_signal_altstack();
    test_signal_async();
    test_signal_reentry();
    test_trees();
    test_stack_cache();
    test_anchors();
    test_garbage();
    test_foreign_garbage();
    /* the walk still agrees after the garbage filled the cache with odd rules */
    struct cap c;
    run_chain(&c);
    check(compare(&c, "after garbage"), "main thread after garbage walks");

#ifdef MP_UNWIND_STATS
    extern unsigned long mp_unwind_stat_slow, mp_unwind_stat_match, mp_unwind_stat_replayed,
        mp_unwind_stat_replay_break;
    printf("  stats: %lu slow rules, %lu memo matches, %lu frames replayed, %lu replay breaks\n",
           mp_unwind_stat_slow, mp_unwind_stat_match, mp_unwind_stat_replayed,
           mp_unwind_stat_replay_break);
#endif
    return CHECK_DONE();
}
