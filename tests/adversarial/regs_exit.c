// The only pointer to a block is in a callee-saved register when exit() is called from a nested
// function (GNU seq keeps its buffer so). valgrind: still reachable; so must memplumber be.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: j["summary"]["still_reachable"]["bytes"] >= 1000
#include <stdlib.h>

__attribute__((noinline)) static void finish(int status)
{
    exit(status);
}

int main(void)
{
    /* malloc's result goes to r15 and nowhere else; then a nested call exits. */
    __asm__ volatile("mov $1000, %%edi\n\t"
                     "call malloc@PLT\n\t"
                     "mov %%rax, %%r15\n\t"
                     "xor %%eax, %%eax\n\t"
                     :
                     :
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r15",
                       "memory");
    finish(0);
}
