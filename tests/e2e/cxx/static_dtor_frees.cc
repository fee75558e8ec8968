/* A static object's destructor frees a block whose only reference is hidden (XOR-ed): destructors
 * of statics run in exit(), before the leak scan, so nothing is reported.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     destructor ran
 * EXPECT:     summary.definitely_lost.blocks=0
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define KEY ((std::uintptr_t)0x3c3c3c3c3c3c3c3cull)

struct Registry {
    volatile std::uintptr_t hidden;
    Registry()
    {
        char *p = static_cast<char *>(std::malloc(120));
        std::memset(p, 'r', 120);
        hidden = reinterpret_cast<std::uintptr_t>(p) ^ KEY;
    }
    ~Registry()
    {
        std::free(reinterpret_cast<void *>(hidden ^ KEY));
        std::printf("destructor ran\n");
    }
};

static Registry registry;

int main()
{
    return reinterpret_cast<char *>(registry.hidden ^ KEY)[0] == 'r' ? 0 : 1;
}
