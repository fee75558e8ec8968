/* Mismatched release: delete (scalar) of memory from new[].
 * A mismatched_free error names the release and the allocation; the block is still released
 * (nothing leaks) and the program runs to its end.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: mismatched_free count=1 frame0=release* file=delete_of_new_array.cc alloc_frame0=acquire*
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdio>
#include <cstdlib>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE int *acquire()
{
    int *p = new int[8]();
    *p = 7;
    NOTAIL();
    return p;
}

NOINLINE void release(int *p)
{
    delete p;
    NOTAIL();
}

int main()
{
    int *p = acquire();
    release(p);
    std::printf("reached the end\n");
    return 0;
}
