// SOURCES: src/preload/record/unwind.c src/common/arena.c src/common/lock.c
/* Micro-benchmark of a warm stack capture: mp_unwind vs libunwind's unw_backtrace (dlopen'ed from
 * libunwind.so.8 when present) vs glibc's backtrace(), from the bottom of a chain of 15 distinct
 * noinline -O2 -fomit-frame-pointer frames (plus main and libc's start frames).
 * Build (from the repo root; unwind.c and what it uses with the preload library's flags):
 *   mkdir -p build/bench
 *   for f in src/preload/record/unwind.c src/common/arena.c src/common/lock.c; do
 *     gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -Isrc -Iinclude -fPIC -fvisibility=hidden \
 *         -fomit-frame-pointer -fno-tree-slp-vectorize -fno-stack-protector \
 *         -ftls-model=initial-exec -c $f -o build/bench/$(basename $f .c).o; done
 *   gcc -std=gnu11 -O2 -fomit-frame-pointer -D_GNU_SOURCE -Isrc -Iinclude bench/micro_unwind.c \
 *       build/bench/unwind.o build/bench/arena.o build/bench/lock.o \
 *       -o build/bench/micro_unwind -ldl -lpthread
 * Run: build/bench/micro_unwind [iterations [mode number]]. Prints ns per capture and per frame,
 * the best of 5 runs (the machine may be shared). "2 call sites": captures alternate between two
 * call paths that join below the capture, so each replays the other's memo from a few frames up.
 * "no memo": the per-thread walk memo off, every frame through the rule cache. */
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "preload/record/unwind.h"

#define NOINLINE __attribute__((noinline))

enum { M_MP, M_MP15, M_MP_ALT, M_MP_NOMEMO, M_MP_NOMEMO15, M_LIBUNWIND, M_GLIBC, M_COUNT };
static const char *const mode_name[M_COUNT] = {
    "mp_unwind",
    "mp_unwind max=15",
    "mp_unwind 2 call sites",
    "mp_unwind no memo",
    "mp_unwind no memo max=15",
    "libunwind unw_backtrace",
    "glibc backtrace()",
};

static int (*unw_bt)(void **, int);
static long iterations = 2000000;
static double ns_per[M_COUNT];
static int frames[M_COUNT];
static volatile int sink_v;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The hook's way in: a frame-pointer frame hands its caller's registers over. */
static NOINLINE int capture(int mode, uintptr_t *buf, int max)
{
    uintptr_t *fp = __builtin_frame_address(0);
    struct mp_unwind_regs r = { .pc = fp[1], .sp = (uintptr_t)(fp + 2), .bp = fp[0] };
    switch (mode) {
    case M_MP:
    case M_MP_ALT:
    case M_MP_NOMEMO: return mp_unwind(&r, buf, max);
    case M_MP15:
    case M_MP_NOMEMO15: return mp_unwind(&r, buf, max < 15 ? max : 15);
    case M_LIBUNWIND: return unw_bt((void **)buf, max);
    default: return backtrace((void **)buf, max);
    }
}

/* Two call sites of different depth below the same frame, taken in turn: the memo joins the
 * previous capture one or two frames up (as consecutive mallocs from one function would). */
static NOINLINE int site_b2(int mode, uintptr_t *buf)
{
    int r = capture(mode, buf, 64);
    return r + sink_v;
}

static NOINLINE int site_b(int mode, uintptr_t *buf)
{
    int r = site_b2(mode, buf);
    return r - (sink_v != 0);
}

static NOINLINE int site_a(int mode, uintptr_t *buf)
{
    int r = capture(mode, buf, 64);
    return r + sink_v;
}

static NOINLINE int bottom(int mode)
{
    uintptr_t buf[64];
    long n = mode == M_GLIBC ? iterations / 20 : mode == M_LIBUNWIND ? iterations / 4 : iterations;
    mp_unwind_set_memo(mode != M_MP_NOMEMO && mode != M_MP_NOMEMO15);
    int depth = capture(mode, buf, 64); /* warm-up: fills the caches */
    site_b(mode, buf);
    double t0 = now_ns();
    if (mode == M_MP_ALT) {
        for (long i = 0; i < n; i += 2) {
            depth = site_a(mode, buf);
            site_b(mode, buf);
        }
    } else {
        for (long i = 0; i < n; i++)
            depth = capture(mode, buf, 64);
    }
    double t1 = now_ns();
    ns_per[mode] = (t1 - t0) / (double)n;
    frames[mode] = depth;
    return depth;
}

/* 15 distinct frames of different sizes; the pad keeps each one a real frame. */
#define LEVEL(n, next)                                                                          \
    static NOINLINE int lvl##n(int mode)                                                        \
    {                                                                                           \
        volatile char pad[8 + 24 * (n)];                                                        \
        pad[0] = (char)mode;                                                                    \
        int r = next(mode + sink_v);                                                            \
        return r + pad[0];                                                                      \
    }
LEVEL(15, bottom)
LEVEL(14, lvl15)
LEVEL(13, lvl14)
LEVEL(12, lvl13)
LEVEL(11, lvl12)
LEVEL(10, lvl11)
LEVEL(9, lvl10)
LEVEL(8, lvl9)
LEVEL(7, lvl8)
LEVEL(6, lvl7)
LEVEL(5, lvl6)
LEVEL(4, lvl5)
LEVEL(3, lvl4)
LEVEL(2, lvl3)
LEVEL(1, lvl2)

int main(int argc, char **argv)
{
    if (argc > 1)
        iterations = atol(argv[1]);
    int only = argc > 2 ? atoi(argv[2]) : -1; /* run one mode only (profiling) */
    mp_unwind_init();
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &addr, &size);
        mp_unwind_set_stack((uintptr_t)addr, (uintptr_t)addr + size);
    }
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h)
        unw_bt = (int (*)(void **, int))dlsym(h, "unw_backtrace");

    for (int m = 0; m < M_COUNT; m++) {
        if (only >= 0 && m != only)
            continue;
        if (m == M_LIBUNWIND && !unw_bt) {
            printf("%-26s  (libunwind.so.8 not found)\n", mode_name[m]);
            continue;
        }
        double best = 0;
        for (int run = 0; run < 5; run++) {
            lvl1(m);
            if (run == 0 || ns_per[m] < best)
                best = ns_per[m];
        }
        ns_per[m] = best;
        /* backtrace() and unw_backtrace count the capture() frame too */
        int f = frames[m] - (m >= M_LIBUNWIND ? 1 : 0);
        printf("%-26s %8.1f ns/capture %3d frames %6.2f ns/frame\n", mode_name[m], ns_per[m], f,
               ns_per[m] / (f > 0 ? f : 1));
    }
    return 0;
}
