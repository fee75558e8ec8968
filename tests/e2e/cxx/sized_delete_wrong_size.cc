/* Sized delete with the wrong size: a block from ::operator new(24) released with
 * ::operator delete(p, 32) gives one mismatched_size error (not mismatched_free: the family is
 * right); the same release with the right size (24) is no error. The block is still released
 * (nothing leaks) and the program runs to its end with its own status.
 * VALGRIND:   skip valgrind 3.19 does not check the size given to sized delete
 * BUILD:      -std=c++17 -fsized-deallocation
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: mismatched_size count=1 frame0=release_wrong* file=sized_delete_wrong_size.cc alloc_frame0=acquire*
 * EXPECT-NOT: error: mismatched_size frame0=release_right*
 * EXPECT-NOT: error: mismatched_free
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

NOINLINE void *acquire()
{
    void *p = ::operator new(24);
    std::memset(p, 's', 24);
    NOTAIL();
    return p;
}

NOINLINE void release_wrong(void *p)
{
    ::operator delete(p, 32);
    NOTAIL();
}

NOINLINE void release_right(void *p)
{
    ::operator delete(p, 24);
    NOTAIL();
}

int main()
{
    release_wrong(acquire());
    release_right(acquire());
    std::printf("reached the end\n");
    return 7;
}
