/* Correct pairs in one program: new/delete, new[]/delete[] (with and without an array cookie),
 * aligned new/delete, malloc/free. No heap error, nothing leaks, the program runs to its end.
 * BUILD:      -std=c++17
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT-NOT: error
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: indirectly_lost
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

struct WithDtor {
    int v = 1;
    ~WithDtor() { std::printf(""); }
};

struct alignas(64) Aligned {
    char bytes[64];
};

NOINLINE int *make_scalar() { int *p = new int(5); NOTAIL(); return p; }
NOINLINE int *make_array() { int *p = new int[16](); p[3] = 9; NOTAIL(); return p; }
NOINLINE WithDtor *make_cookie_array() { WithDtor *p = new WithDtor[5]; NOTAIL(); return p; }
NOINLINE Aligned *make_aligned() { Aligned *p = new Aligned; p->bytes[0] = 1; NOTAIL(); return p; }
NOINLINE char *make_malloc() { char *p = static_cast<char *>(std::malloc(30)); std::memset(p, 'm', 30); NOTAIL(); return p; }

NOINLINE void drop_scalar(int *p) { delete p; NOTAIL(); }
NOINLINE void drop_array(int *p) { delete[] p; NOTAIL(); }
NOINLINE void drop_cookie_array(WithDtor *p) { delete[] p; NOTAIL(); }
NOINLINE void drop_aligned(Aligned *p) { delete p; NOTAIL(); }
NOINLINE void drop_malloc(char *p) { std::free(p); NOTAIL(); }

int main()
{
    for (int i = 0; i < 3; i++) {
        drop_array(make_array());
        drop_scalar(make_scalar());
        drop_cookie_array(make_cookie_array());
        drop_aligned(make_aligned());
        drop_malloc(make_malloc());
    }
    std::printf("reached the end\n");
    return 0;
}
