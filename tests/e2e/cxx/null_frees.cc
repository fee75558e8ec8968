/* Releasing a null pointer is no error: free(NULL), delete nullptr, delete[] nullptr, sized and
 * aligned deletes of nullptr; realloc(NULL, n) allocates, and that block freed is no leak.
 * RUN:        %memplumber --json %t.json -- %bin
 * BUILD:      -std=c++17
 * EXIT:       7
 * STDOUT:     realloc(NULL) gave a block
 * STDOUT:     reached the end
 * EXPECT-NOT: error
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

int main()
{
    void *volatile null = nullptr;
    std::free(null);
    delete static_cast<int *>(null);
    delete[] static_cast<int *>(null);
    ::operator delete(null, std::size_t(16));
    ::operator delete(null, std::align_val_t(64));
    ::operator delete[](null, std::align_val_t(64));
    char *p = static_cast<char *>(std::realloc(null, 40));
    std::memset(p, 'n', 40);
    std::printf("realloc(NULL) gave %s\n", p ? "a block" : "NULL");
    std::free(p);
    std::printf("reached the end\n");
    return 7;
}
