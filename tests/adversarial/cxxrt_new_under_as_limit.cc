// Under ulimit -v 256 MiB the program news one 120 MiB buffer (natively it fits with room to
// spare) and would catch std::bad_alloc; then it news 1 MiB blocks until std::bad_alloc,
// catches it, frees them and goes on. memplumber reserved 128 MiB of address space for its
// stack-record table at the first allocation, so the 120 MiB new failed under it only.
// ULIMIT-V: 262144
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>
int main() {
    try {
        char *big = new char[120 << 20];
        memset(big, 1, 1 << 20);
        printf("big new ok\n");
        delete[] big;
    } catch (const std::bad_alloc &) {
        printf("big new failed\n");
    }
    std::vector<char *> v;
    v.reserve(1000);
    try { for (int i = 0; i < 1000; i++) v.push_back(new char[1 << 20]); }
    catch (const std::bad_alloc &) { printf("caught\n"); }
    for (char *p : v) delete[] p;
    std::vector<int> after(100000, 3);
    printf("after %d\n", after[5]);
    return 0;
}
