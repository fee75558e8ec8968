// C++ exceptions thrown through frames that own heap objects (destructors run during the
// unwind), rethrown across threads with std::exception_ptr, std::bad_alloc from a huge new[]
// caught, and finally an exception nobody catches in a thread: std::terminate, abort, SIGABRT
// after the report.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 57
// STDERR-HAS: fatal signal 6
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Holder {
    std::vector<int> v;
    std::string s;
    Holder(int n) : v(n, n), s(std::string(n * 10, 'x')) {}
    ~Holder() { std::printf("~Holder %zu\n", v.size()); }
};

static int depth(int n)
{
    Holder h(n);
    auto p = std::make_unique<char[]>(100 + n);
    if (n == 0)
        throw std::runtime_error("bottom reached with a long message that allocates");
    return depth(n - 1) + (int)h.v.size();
}

int main()
{
    try {
        depth(5);
    } catch (const std::exception &e) {
        std::printf("caught: %s\n", e.what());
    }
    std::exception_ptr ep;
    std::thread t([&ep] {
        try {
            depth(3);
        } catch (...) {
            ep = std::current_exception();
        }
    });
    t.join();
    try {
        std::rethrow_exception(ep);
    } catch (const std::runtime_error &e) {
        std::printf("from thread: %s\n", e.what());
    }
    ep = nullptr;
    try {
        volatile size_t huge = (size_t)1 << 62;
        char *p = new char[huge];
        p[0] = 0;
    } catch (const std::bad_alloc &) {
        std::printf("bad_alloc\n");
    }
    char *leak = new char[57];
    leak[0] = 0;
    leak = nullptr;
    std::fflush(stdout);
    std::thread u([] { depth(2); });
    u.join();
    return 0;
}
