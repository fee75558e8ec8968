/* An exception skips the delete of a heap object (no RAII): the object is definitely lost and the
 * buffer it owns indirectly lost. The exception itself is caught and freed.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     caught: step failed
 * EXPECT:     definitely_lost bytes=16 blocks=1 allocator=new frame0=run_step*
 * EXPECT:     indirectly_lost bytes=64 blocks=1 allocator=new[] frame0=Holder::Holder*
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.indirectly_lost.blocks=1
 * EXPECT-NOT: still_reachable
 */
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#define NOINLINE __attribute__((noinline))

struct Holder {
    char *buf;
    std::size_t len;
    NOINLINE Holder() : buf(new char[64]), len(64) { std::memset(buf, 'h', 64); }
    ~Holder() { delete[] buf; }
};

NOINLINE static void scrub_stack()
{
    volatile char junk[4096];
    for (std::size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void fail(const Holder *h)
{
    if (h->len == 64)
        throw std::runtime_error("step failed");
}

NOINLINE void run_step()
{
    Holder *h = new Holder;
    fail(h);
    delete h;       /* never reached */
}

int main()
{
    try {
        run_step();
    } catch (const std::exception &e) {
        std::printf("caught: %s\n", e.what());
    }
    scrub_stack();
    return 0;
}
