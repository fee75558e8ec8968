// The same with _exit() called with the pointer in rbx: still reachable.
// RUN: $PROG
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: j["summary"]["still_reachable"]["bytes"] >= 2000
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int quick;

__attribute__((noinline)) static void finish(int status)
{
    if (quick)
        quick_exit(status);
    _exit(status);
}

int main(int argc, char **argv)
{
    quick = argc > 1 && !strcmp(argv[1], "quick");
    __asm__ volatile("mov $2000, %%edi\n\t"
                     "call malloc@PLT\n\t"
                     "mov %%rax, %%rbx\n\t"
                     "xor %%eax, %%eax\n\t"
                     :
                     :
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "rbx",
                       "memory");
    finish(0);
}
