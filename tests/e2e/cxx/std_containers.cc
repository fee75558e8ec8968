/* Leaked heap-allocated std::vector, std::string and std::map objects: each object is definitely
 * lost and the storage it owns (vector buffer, string buffer, map nodes) indirectly lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=24 blocks=1 allocator=new frame0=make_vector*
 * EXPECT:     definitely_lost bytes=32 blocks=1 allocator=new frame0=make_string*
 * EXPECT:     definitely_lost bytes=48 blocks=1 allocator=new frame0=make_map*
 * EXPECT:     indirectly_lost bytes=400 blocks=1 allocator=new anyframe=make_vector*
 * EXPECT:     indirectly_lost bytes=61 blocks=1 allocator=new anyframe=make_string*
 * EXPECT:     indirectly_lost bytes=200 blocks=5 allocator=new anyframe=make_map*
 * EXPECT:     summary.definitely_lost.bytes=104
 * EXPECT:     summary.indirectly_lost.bytes=661
 * EXPECT:     summary.indirectly_lost.blocks=7
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (std::size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void make_vector()
{
    auto *v = new std::vector<int>(100, 7);
    USE(v);
}

NOINLINE void make_string()
{
    auto *s = new std::string(60, 's');
    USE(s);
}

NOINLINE void make_map()
{
    auto *m = new std::map<int, int>;
    for (int i = 0; i < 5; i++)
        (*m)[i] = i * i;
    USE(m);
}

int main()
{
    make_vector();
    make_string();
    make_map();
    scrub_stack();
    return 0;
}
