/* A C++ program that returns from main while a detached worker thread still runs, its stdout
 * redirected (a CI log, a pipe: fully buffered, a 4 KiB buffer from malloc).
 * valgrind runs glibc's and libstdc++'s freeres after the other threads are gone: neither the
 * emergency exception pool (72,704 bytes) nor stdout's buffer is in its report. memplumber cannot
 * run __libc_freeres while another thread may still use stdio, so it reported both as still
 * reachable (76,800 more bytes, two more loss records than valgrind). libstdc++'s freeres (the
 * pool only) now runs anyway, and the buffers glibc's would free are taken as freed (not
 * scanned, not reported, counted as frees).
 * RUN:        %memplumber --show-leak-kinds=all --json %t.json -- %bin > %t.out
 * EXIT:       0
 * EXPECT-NOT: still_reachable bytes=72704
 * EXPECT-NOT: still_reachable bytes=4096
 * EXPECT-NOT: definitely_lost
 */
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

int main()
{
    std::thread([] {
        for (;;)
            std::this_thread::sleep_for(std::chrono::seconds(1));
    }).detach();
    std::string s(100, 'x');
    printf("size %zu\n", s.size());
    return 0;
}
