/* Fuzz: random bad frees (stack, global and random addresses, interior pointers, double frees,
 * realloc of freed blocks) mixed with valid traffic. memplumber must report them and never pass
 * them to glibc: the program runs to its end with exit status 0. usage: garbage SECONDS */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char global_buf[64];

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 5;
    uint64_t s = 12345;
    char stack_buf[64];
    void *live[512] = {0};
    long bad = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        for (int k = 0; k < 1000; k++) {
            uint64_t r = rng(&s);
            unsigned slot = (unsigned)(r >> 20) & 511;
            switch (r % 16) {
            case 0: free(stack_buf + (r >> 32) % 32); bad++; break;
            case 1: free(global_buf + (r >> 32) % 32); bad++; break;
            case 2: free((void *)(uintptr_t)((r >> 12) << 4)); bad++; break;
            case 3:
                if (live[slot]) {
                    free((char *)live[slot] + 8);
                    bad++;
                }
                break;
            case 4:
                if (live[slot]) {
                    void *p = live[slot];
                    free(p);
                    free(p); /* double free */
                    live[slot] = NULL;
                    bad++;
                }
                break;
            case 5:
                if (live[slot]) {
                    void *p = live[slot];
                    free(p);
                    live[slot] = NULL;
                    if (realloc(p, 100) == NULL) /* realloc of a freed block: NULL */
                        bad++;
                }
                break;
            default:
                free(live[slot]);
                live[slot] = malloc(1 + (r >> 40) % 500);
                break;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
    for (int i = 0; i < 512; i++)
        free(live[i]);
    printf("garbage: %ld bad calls\n", bad);
    return 0;
}
