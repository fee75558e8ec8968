/* --leak-check-heuristics takes a set, each heuristic applied only when in it. Two blocks known
 * only through interior pointers: a new[] array of objects with destructors (pointer past the
 * element count) and a copy-on-write std::string layout (pointer to the characters). With the
 * set stdstring only, the string is still reachable and the array possibly lost, as in valgrind.
 * RUN:        %memplumber --leak-check-heuristics=stdstring --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=73 blocks=1 frame0=make_string*
 * EXPECT:     possibly_lost bytes=72 blocks=1 allocator=new[] frame0=make_array*
 * EXPECT:     summary.possibly_lost.blocks=1
 * EXPECT-NOT: definitely_lost
 */
#include <cstdlib>
#include <cstring>

#define NOINLINE __attribute__((noinline))

struct Obj {
    long a, b;
    Obj() : a(1), b(2) {}
    ~Obj() { a = 0; __asm__ volatile("" ::: "memory"); }
};

struct rep {
    std::size_t length, capacity;
    int refcount;
};

Obj *volatile g_objs;
char *volatile g_chars;

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

NOINLINE void make_string()
{
    char *block = (char *)std::malloc(sizeof(rep) + 48 + 1);
    rep *r = (rep *)block;
    r->length = 10;
    r->capacity = 48;
    r->refcount = 0;
    std::memcpy(block + sizeof(rep), "0123456789", 11);
    g_chars = block + sizeof(rep);
    __asm__ volatile("" ::: "memory");
}

int main()
{
    make_array();
    make_string();
    scrub_stack();
    return g_objs[3].b == 2 && g_chars[0] == '0' ? 0 : 1;
}
