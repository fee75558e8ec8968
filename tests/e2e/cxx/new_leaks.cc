/* Leaks from new and new[]: the records name the allocator ("new", "new[]") and the function that
 * called it.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=4 blocks=1 allocator=new frame0=leak_scalar* file=new_leaks.cc
 * EXPECT:     definitely_lost bytes=40 blocks=1 allocator=new[] frame0=leak_array* file=new_leaks.cc
 * EXPECT:     definitely_lost bytes=24 blocks=1 allocator=new frame0=leak_widget* file=new_leaks.cc
 * EXPECT:     summary.definitely_lost.bytes=68
 * EXPECT:     summary.definitely_lost.blocks=3
 * EXPECT-NOT: still_reachable
 * EXPECT-NOT: error
 */
#include <cstddef>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (std::size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

struct Widget {
    long a, b, c;
    Widget() : a(1), b(2), c(3) {}
};

NOINLINE void leak_scalar() { int *p = new int(5); USE(p); }
NOINLINE void leak_array() { int *p = new int[10](); USE(p); }
NOINLINE void leak_widget() { Widget *w = new Widget; USE(w); }

int main()
{
    leak_scalar();
    leak_array();
    leak_widget();
    scrub_stack();
    return 0;
}
