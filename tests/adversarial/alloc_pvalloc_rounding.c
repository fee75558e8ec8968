// pvalloc rounds the size up to whole pages as glibc does: pvalloc(SIZE_MAX) (the rounding
// overflows) fails with ENOMEM, also as the very first allocation of the process (from the
// executable's .preinit_array, before memplumber's constructor ran); pvalloc(0) is a block of
// nothing, as glibc makes it (memalign of at most one byte), not a page: the leak scan must not
// read the page after it, where the next blocks lie. Here a block right after a reachable
// pvalloc(0) is lost and holds the only pointer to another: definitely lost, and the other
// indirectly lost (not still reachable through the phantom page).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 100
// JSON-CHECK: j["summary"]["indirectly_lost"]["bytes"] == 200
// JSON-CHECK: j["summary"]["still_reachable"]["bytes"] < 4096
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char early_out[256];
static void early(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv, (void)envp;
    errno = 0;
    void *p = pvalloc(SIZE_MAX);
    snprintf(early_out, sizeof early_out, "preinit pvalloc(SIZE_MAX): %s errno=%d\n",
             p ? "block" : "NULL", errno);
}
__attribute__((section(".preinit_array"), used)) static void (*early_ptr)(int, char **, char **) = early;

static void *volatile page0;

static __attribute__((noinline)) void lose_pair(void)
{
    char **x = malloc(100);
    memset(x, 1, 100);
    x[0] = malloc(200);
    memset(x[0], 2, 200);
    printf("next block within a page of pvalloc(0): %d\n",
           (uintptr_t)x > (uintptr_t)page0 && (uintptr_t)x - (uintptr_t)page0 < 4096);
}

static __attribute__((noinline)) void scrub(void)
{
    volatile char pad[8192];
    memset((char *)pad, 0, sizeof pad);
}

int main(void)
{
    fputs(early_out, stdout);
    errno = 0;
    void *p = pvalloc(SIZE_MAX);
    printf("pvalloc(SIZE_MAX): %s errno=%d\n", p ? "block" : "NULL", errno);
    errno = 0;
    p = pvalloc(SIZE_MAX - 4094);
    printf("pvalloc(SIZE_MAX-4094): %s errno=%d\n", p ? "block" : "NULL", errno);
    p = pvalloc(1);
    printf("pvalloc(1): page aligned %d, usable >= 4096 %d\n", (uintptr_t)p % 4096 == 0,
           malloc_usable_size(p) >= 4096);
    free(p);
    page0 = pvalloc(0);
    printf("pvalloc(0): page aligned %d\n", (uintptr_t)page0 % 4096 == 0);
    lose_pair();
    scrub();
    return 0;
}
