/* The only pointer to an object is a pointer to its second base class, which is not at the start
 * of the block: valgrind's "multipleinheritance" heuristic (both words hold vtable pointers) makes
 * the block still reachable, not possibly lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=40 blocks=1 allocator=new frame0=make_derived*
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: definitely_lost
 */
#include <cstddef>

#define NOINLINE __attribute__((noinline))

struct A {
    long a = 1;
    virtual ~A() {}
    virtual long fa() { return a; }
};
struct B {
    long b = 2;
    virtual ~B() {}
    virtual long fb() { return b; }
};
struct C : A, B {
    long c = 3;
    long fb() override { return c; }
};

B *g_b;

NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (std::size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void make_derived()
{
    g_b = new C;
    __asm__ volatile("" ::: "memory");
}

int main()
{
    make_derived();
    scrub_stack();
    return g_b->fb() == 3 ? 0 : 1;
}
