/* Micro-benchmark for A/B comparisons of two builds of the preload library on the churn loop:
 * the loop of workloads/churn.c (malloc/free of 16 B-4 KiB from 512 call paths 6-12 frames deep,
 * a window of 1024 live blocks), timed inside the process with CLOCK_MONOTONIC. Prints the best
 * ns per iteration over REPS repetitions of ITERS iterations, so process start-up, exit and the
 * exit report are left out, and a burst of noise on a shared machine costs one repetition, not
 * the figure. It includes workloads/churn.c, so the two stay one loop. Compare builds by running
 * it natively and under each build in turn, several rounds, and taking per-round ratios to the
 * native run:
 *   gcc -O2 -g -fomit-frame-pointer -pthread -Ibench -o build/bench/micro_churn bench/micro_churn.c
 *   for r in 1 2 3 4 5 6 7; do build/bench/micro_churn
 *     MEMPLUMBER_OPTIONS=verbosity=0 LD_PRELOAD=build/libmemplumber.so build/bench/micro_churn
 *     MEMPLUMBER_OPTIONS=verbosity=0 LD_PRELOAD=/tmp/other/libmemplumber.so build/bench/micro_churn
 *   done
 * usage: micro_churn [ITERS [REPS]] (default 150000 6). The bench tables come from bench/run. */
/* churn's own loop, levels and random numbers: its main is renamed and left unused */
#define main churn_main
#include "workloads/churn.c"
#undef main

#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 150000;
    int reps = argc > 2 ? atoi(argv[2]) : 6;
    if (iters <= 0 || reps <= 0) {
        fprintf(stderr, "usage: micro_churn [ITERS [REPS]] (positive numbers)\n");
        return 2;
    }
    levels[0] = level0; levels[1] = level1; levels[2] = level2; levels[3] = level3;
    levels[4] = level4; levels[5] = level5; levels[6] = level6; levels[7] = level7;
    double best = 1e300;
    for (int rep = 0; rep < reps; rep++) {
        /* one call of churn's run(): the loop, then the free of its 1,024-block window */
        struct job j = { iters, 0x9E3779B97F4A7C15ull * (uint64_t)(rep + 1) };
        double t0 = now_ns();
        run(&j);
        double t = (now_ns() - t0) / (double)iters;
        if (t < best)
            best = t;
    }
    printf("%.1f ns/iteration (best of %d x %ld)\n", best, reps, iters);
    return 0;
}
