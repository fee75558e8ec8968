/* Hash mixing shared by the stack depot (a stack's identity) and the unwinder's stack cache (an
 * entry's check): both sum independent per-word terms and finish the sum, and both rely on each
 * term moving with every bit of its word. Header-only, no state. */
#ifndef MP_RECORD_MIX_H
#define MP_RECORD_MIX_H

#include <stdint.h>

/* Both 64-bit halves of x * k, folded: a non-linear mix of every bit of x. One MUL gives both
 * halves (rdx:rax); GCC 12 computes them as two products (IMUL and MUL) or sends the 128-bit
 * product through the stack, so the instruction is written out. */
static inline uint64_t mp_mix_fold(uint64_t x, uint64_t k)
{
#if defined(__x86_64__)
    uint64_t lo, hi;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(x), "rm"(k) : "cc");
    return lo ^ hi;
#else
    return (x * k) ^ (uint64_t)(((unsigned __int128)x * k) >> 64);
#endif
}

/* The last avalanche over a sum of folded terms. */
static inline uint64_t mp_mix_finish(uint64_t h)
{
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}

#endif
