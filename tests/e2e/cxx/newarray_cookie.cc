/* new[] of a class with a destructor returns a pointer 8 bytes into the block (after the element
 * count). The only pointer, in a global, is that interior one: valgrind's "newarray" heuristic
 * (in the default set, all) makes the block still reachable, not possibly lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=72 blocks=1 allocator=new[] frame0=make_array*
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: definitely_lost
 */
#include <cstddef>

#define NOINLINE __attribute__((noinline))

struct Obj {
    long a, b;
    Obj() : a(1), b(2) {}
    ~Obj() { a = 0; __asm__ volatile("" ::: "memory"); }
};

Obj *g_objs;

NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (std::size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void make_array()
{
    g_objs = new Obj[4];
    __asm__ volatile("" ::: "memory");
}

int main()
{
    make_array();
    scrub_stack();
    return g_objs[3].b == 2 ? 0 : 1;
}
