// Programs that watch their own heap: mallinfo2() before and after (what it says of blocks in
// use and freed), malloc_trim, mallopt's return values, malloc_info written to a file. The
// program compares its heap in use before and after freeing everything it allocated (a
// leak self-check some test suites do) and prints the verdict.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("mallopt M_MMAP_THRESHOLD=%d\n", mallopt(M_MMAP_THRESHOLD, 256 * 1024));
    printf("mallopt M_TRIM_THRESHOLD=%d\n", mallopt(M_TRIM_THRESHOLD, 128 * 1024));
    printf("mallopt M_ARENA_MAX=%d\n", mallopt(M_ARENA_MAX, 2));
    printf("mallopt bogus=%d\n", mallopt(12345, 1));
    struct mallinfo2 a = mallinfo2();
    void *v[2000];
    for (int i = 0; i < 2000; i++)
        v[i] = malloc(16 + i % 300);
    struct mallinfo2 b = mallinfo2();
    for (int i = 0; i < 2000; i++)
        free(v[i]);
    struct mallinfo2 c = mallinfo2();
    printf("grew while allocating: %d\n", b.uordblks > a.uordblks + 2000 * 16);
    printf("back to start after freeing: %d (delta %ld)\n", c.uordblks == a.uordblks,
           (long)c.uordblks - (long)a.uordblks);
    printf("free space grew: %d\n", c.fordblks > a.fordblks);
    void *big = malloc(1 << 20);
    struct mallinfo2 d = mallinfo2();
    printf("mmapped block counted: %d\n", d.hblkhd >= (1 << 20));
    free(big);
    struct mallinfo2 e = mallinfo2();
    printf("mmapped block gone: %d\n", e.hblkhd == c.hblkhd);
    printf("malloc_trim: %d\n", malloc_trim(0) >= 0);
    FILE *f = fopen("info.xml", "w");
    printf("malloc_info rc=%d\n", malloc_info(0, f));
    fclose(f);
    return 0;
}
