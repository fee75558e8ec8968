// A C++ exception thrown from a signal handler (installed with SA_RESETHAND, so memplumber runs
// it through its trampoline; and SA_NODEFER) out through raise() into a try block of the
// caller; then the same from a handler without SA_RESETHAND. The unwinder must pass the
// handler's frames (memplumber's included) and the signal frame.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
static void h(int s) { throw std::runtime_error("signal " + std::to_string(s)); }
static void arm(int sig, int flags)
{
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(sig, &sa, nullptr);
}
int main()
{
    int caught = 0;
    for (int i = 0; i < 50; i++) {
        arm(SIGUSR1, SA_RESETHAND | SA_NODEFER);
        arm(SIGUSR2, SA_NODEFER);
        try {
            std::raise(i % 2 ? SIGUSR1 : SIGUSR2);
        } catch (const std::exception &e) {
            if (i < 2)
                std::printf("caught %s\n", e.what());
            caught++;
        }
    }
    std::printf("caught %d\n", caught);
    new int[4];
    return 0;
}
