// Aligned operator new (C++17 std::align_val_t) with an alignment that is not a power of two:
// 0, 3, 24 (a computed value gone wrong). libstdc++'s aligned forms refuse it: std::bad_alloc
// from the throwing forms (plain and array, without calling the new-handler), nullptr from the
// nothrow ones. memalign would round the alignment up and hand out a block. Powers of two keep
// working, and a huge one fails as natively.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0 and j["summary"]["total_allocated"]["blocks"] >= 3
#include <cstdint>
#include <cstdio>
#include <new>

static int handler_calls;
static void handler() { handler_calls++; std::set_new_handler(nullptr); }

static void attempt(size_t al)
{
    try {
        void *p = ::operator new(40, std::align_val_t(al));
        printf("new(40, %zu): block, aligned %d\n", al, (int)((uintptr_t)p % (al ? al : 1) == 0));
        ::operator delete(p, std::align_val_t(al));
    } catch (const std::bad_alloc &) {
        printf("new(40, %zu): bad_alloc\n", al);
    }
    try {
        void *p = ::operator new[](40, std::align_val_t(al));
        printf("new[](40, %zu): block\n", al);
        ::operator delete[](p, std::align_val_t(al));
    } catch (const std::bad_alloc &) {
        printf("new[](40, %zu): bad_alloc\n", al);
    }
    void *q = ::operator new(40, std::align_val_t(al), std::nothrow);
    printf("nothrow new(40, %zu): %s\n", al, q ? "block" : "nullptr");
    if (q)
        ::operator delete(q, std::align_val_t(al));
    q = ::operator new[](40, std::align_val_t(al), std::nothrow);
    printf("nothrow new[](40, %zu): %s\n", al, q ? "block" : "nullptr");
    if (q)
        ::operator delete[](q, std::align_val_t(al));
}

int main()
{
    std::set_new_handler(handler);
    static const size_t aligns[] = {0, 3, 24, 48, 64, 4096, (size_t)1 << 62};
    for (size_t al : aligns)
        attempt(al);
    printf("new-handler called %d times\n", handler_calls);
    return 0;
}
