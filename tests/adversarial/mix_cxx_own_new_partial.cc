// The program replaces only the plain operator new and delete (counting them, over malloc and
// free), as the standard allows: the forms it did not replace (new[], delete[], sized and nothrow
// forms, used by std::map, std::string and new[] here) must reach its operators as libstdc++'s
// default definitions do. memplumber's own definitions of those forms went straight to malloc and
// free: the program's counts changed, and every sized delete of its malloc'd nodes was reported
// as a mismatched free (exit status changed under error_exitcode).
// OPTIONS: error_exitcode=9
// JSON-CHECK: j['summary'].get('errors', 0) == 0
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <string>
#include <thread>
#include <vector>

static long nnew, ndel;

void *operator new(std::size_t n)
{
    __atomic_add_fetch(&nnew, 1, __ATOMIC_RELAXED);
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}

void operator delete(void *p) noexcept
{
    if (p)
        __atomic_add_fetch(&ndel, 1, __ATOMIC_RELAXED);
    std::free(p);
}

static void work()
{
    std::map<int, std::string> m;
    for (int i = 0; i < 500; i++)
        m[i] = std::string(40 + i % 20, 'x');
    m.clear();
    for (int i = 0; i < 100; i++) {
        int *a = new int[i + 1];
        delete[] a;
        long *b = new (std::nothrow) long[8];
        delete[] b;
    }
}

int main()
{
    std::thread t(work);
    work();
    t.join();
    std::printf("new calls %ld, delete calls %ld, balanced %d\n", nnew, ndel, nnew == ndel);
    return 0;
}
