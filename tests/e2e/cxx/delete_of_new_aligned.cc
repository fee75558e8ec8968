/* Mismatched release of C++17 aligned new: a type with alignas(64) from new (which calls
 * operator new(size_t, std::align_val_t)) released with the plain ::operator delete(void *), and
 * an aligned new[] released with the plain ::operator delete[](void *). One mismatched_free per
 * pair names the release and the allocation; the blocks are still released (nothing leaks) and
 * the program runs to its end with its own status.
 * VALGRIND:   skip valgrind 3.19 treats aligned and plain new/delete as one family (no error reported)
 * BUILD:      -std=c++17
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: mismatched_free count=1 frame0=release_scalar* file=delete_of_new_aligned.cc alloc_frame0=acquire_scalar*
 * EXPECT:     error: mismatched_free count=1 frame0=release_array* file=delete_of_new_aligned.cc alloc_frame0=acquire_array*
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdio>
#include <cstring>
#include <new>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

struct alignas(64) Aligned {
    char bytes[64];
};

NOINLINE Aligned *acquire_scalar()
{
    Aligned *p = new Aligned;
    std::memset(p->bytes, 'a', sizeof p->bytes);
    NOTAIL();
    return p;
}

NOINLINE void release_scalar(Aligned *p)
{
    ::operator delete(static_cast<void *>(p));
    NOTAIL();
}

NOINLINE char *acquire_array()
{
    char *p = new (std::align_val_t(64)) char[100];
    std::memset(p, 'b', 100);
    NOTAIL();
    return p;
}

NOINLINE void release_array(char *p)
{
    ::operator delete[](static_cast<void *>(p));
    NOTAIL();
}

int main()
{
    Aligned *a = acquire_scalar();
    release_scalar(a);
    char *b = acquire_array();
    release_array(b);
    std::printf("reached the end\n");
    return 7;
}
