/* realloc of memory from new[] (grown) and from new (realloc(p, 0), which frees it): each is a
 * mismatched_free naming the realloc's caller and the allocation, as valgrind reports it; the
 * realloc is still done (its result is an ordinary malloc block, freed without error), nothing
 * leaks and the program runs to its end.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     grown kept its bytes
 * STDOUT:     zero gave null
 * STDOUT:     reached the end
 * EXPECT:     error: mismatched_free count=1 frame0=grow* file=realloc_of_new.cc alloc_frame0=acquire_array*
 * EXPECT:     error: mismatched_free count=1 frame0=shrink_to_zero* file=realloc_of_new.cc alloc_frame0=acquire_scalar*
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *acquire_array()
{
    char *p = new char[16];
    std::memset(p, 'a', 16);
    NOTAIL();
    return p;
}

NOINLINE long *acquire_scalar()
{
    long *p = new long(7);
    NOTAIL();
    return p;
}

NOINLINE char *grow(char *p)
{
    char *q = static_cast<char *>(std::realloc(p, 4000));
    NOTAIL();
    return q;
}

NOINLINE void *shrink_to_zero(long *p)
{
    void *q = std::realloc(p, 0);
    NOTAIL();
    return q;
}

int main()
{
    char *q = grow(acquire_array());
    if (q && q[0] == 'a' && q[15] == 'a')
        std::printf("grown kept its bytes\n");
    std::free(q);
    void *z = shrink_to_zero(acquire_scalar());
    if (!z)
        std::printf("zero gave null\n");
    std::free(z);
    std::printf("reached the end\n");
    return 0;
}
