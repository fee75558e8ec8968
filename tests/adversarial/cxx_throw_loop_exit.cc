// Threads throw and catch C++ exceptions in a tight loop (each throw walks the loaded objects
// with dl_iterate_phdr, which holds the loader's lock, and allocates the exception) while main
// exits with status 3 after a short while: the exit report stops those threads wherever they
// are, inside the loader's lock included; it must not wait for it. 4 runs.
// RUN: for i in 1 2 3 4; do timeout -s KILL 20 $PROG; echo "status $?"; done
// JSON: any
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

static std::atomic<long> caught;

static void thrower(int k)
{
    std::string s(40, 'x');
    if (k % 3 == 0)
        throw std::runtime_error(s);
    throw k;
}

static void loop()
{
    for (long i = 0;; i++) {
        try {
            thrower((int)i);
        } catch (const std::exception &e) {
            caught++;
        } catch (int) {
            caught++;
        }
    }
}

int main()
{
    for (int i = 0; i < 3; i++)
        std::thread(loop).detach();
    new char[33]; // leaked
    while (caught.load() < 2000)
        usleep(1000);
    usleep(20000);
    std::printf("done\n");
    std::exit(3);
}
