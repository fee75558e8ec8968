/* Report: leak N blocks (default 10,000), each from a distinct call stack of DEPTH frames
 * (default 32, so the 30 frames memplumber records by default are all distinct). The stack of
 * leak i goes through a chain of functions f0..f9 chosen by the decimal digits of i, so every
 * i gives its own stack. Measures the time to aggregate, symbolize and write the report.
 * Build: -O2 -g -fomit-frame-pointer. usage: report [N] [DEPTH] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *(*fns[10])(unsigned long i, unsigned level, unsigned depth);
static volatile uintptr_t sink;

/* Frame `level` (counted from the allocation) is chosen by digit (level % 5) of i: the five
 * innermost frames spell i out, so the 10,000 stacks differ, and the frames above repeat the
 * pattern to make the stack deep. The volatile pad and the use of the result after the call keep
 * -O2 from turning the calls into jumps (which would drop frames). */
#define F(k)                                                                               \
    __attribute__((noinline)) static void *f##k(unsigned long i, unsigned level,           \
                                                unsigned depth)                            \
    {                                                                                      \
        volatile char pad[8 + k];                                                          \
        pad[0] = (char)level;                                                              \
        void *r;                                                                           \
        if (level == 0) {                                                                  \
            r = malloc(24 + k);                                                            \
        } else {                                                                           \
            unsigned long d = i;                                                           \
            for (unsigned j = (level - 1) % 5; j; j--)                                     \
                d /= 10;                                                                   \
            switch (d % 10) {                                                              \
            case 0: r = f0(i, level - 1, depth); break;                                    \
            case 1: r = f1(i, level - 1, depth); break;                                    \
            case 2: r = f2(i, level - 1, depth); break;                                    \
            case 3: r = f3(i, level - 1, depth); break;                                    \
            case 4: r = f4(i, level - 1, depth); break;                                    \
            case 5: r = f5(i, level - 1, depth); break;                                    \
            case 6: r = f6(i, level - 1, depth); break;                                    \
            case 7: r = f7(i, level - 1, depth); break;                                    \
            case 8: r = f8(i, level - 1, depth); break;                                    \
            default: r = f9(i, level - 1, depth); break;                                   \
            }                                                                              \
        }                                                                                  \
        sink += (uintptr_t)r & (uintptr_t)pad[0] & 0;                                      \
        return r;                                                                          \
    }
static void *f0(unsigned long, unsigned, unsigned);
static void *f1(unsigned long, unsigned, unsigned);
static void *f2(unsigned long, unsigned, unsigned);
static void *f3(unsigned long, unsigned, unsigned);
static void *f4(unsigned long, unsigned, unsigned);
static void *f5(unsigned long, unsigned, unsigned);
static void *f6(unsigned long, unsigned, unsigned);
static void *f7(unsigned long, unsigned, unsigned);
static void *f8(unsigned long, unsigned, unsigned);
static void *f9(unsigned long, unsigned, unsigned);
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9)

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    unsigned depth = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
    fns[0] = f0;
    unsigned long leaked = 0;
    for (unsigned long i = 0; i < n; i++) {
        void *p = f0(i, depth - 1, depth);
        if (p) {
            *(volatile char *)p = 1;
            leaked++;
        }
        p = NULL; /* the only pointer is dropped: definitely lost */
    }
    printf("report: %lu leaked blocks, %u-frame stacks\n", leaked, depth);
    return 0;
}
