/* 1000 exceptions thrown and caught (the exception objects and their std::string messages are
 * freed by the runtime): no leak at all. libstdc++'s emergency exception pool is released at exit
 * by its freeres hook, as under valgrind.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     caught 1000
 * EXPECT:     summary.definitely_lost.blocks=0
 * EXPECT:     summary.indirectly_lost.blocks=0
 * EXPECT:     summary.possibly_lost.blocks=0
 * EXPECT:     summary.still_reachable.blocks=0
 * EXPECT-NOT: error
 */
#include <cstdio>
#include <stdexcept>
#include <string>

#define NOINLINE __attribute__((noinline))

NOINLINE void may_throw(int i)
{
    if (i >= 0)
        throw std::runtime_error("failure number " + std::to_string(i) +
                                 " with a message long enough to need the heap");
}

int main()
{
    int caught = 0;
    for (int i = 0; i < 1000; i++) {
        try {
            may_throw(i);
        } catch (const std::exception &e) {
            caught += e.what()[0] == 'f';
        }
    }
    std::printf("caught %d\n", caught);
    return 0;
}
