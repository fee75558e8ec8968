// A runtime tearing down (ruby after SIGTERM or SIGINT): it frees the memory of its sigaltstack
// while the stack is still registered, puts SIG_DFL back and raises the signal to die of it.
// Natively no handler runs, so the dead alternate stack never matters: the program dies of
// SIGTERM. memplumber's handler for SIGTERM at SIG_DFL must not run on that stack (here unmapped:
// the kernel could not deliver the signal and would kill the process with SIGSEGV; ruby's was
// freed heap memory, and the report ran on it and crashed). The report is still written.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 77
// STDERR-HAS: fatal signal 15
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *leak;

int main(void)
{
    leak = malloc(77);
    memset(leak, 1, 77);
    leak = NULL;

    size_t sz = 64 * 1024;
    void *alt = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt == MAP_FAILED)
        return 2;
    stack_t ss = {.ss_sp = alt, .ss_size = sz, .ss_flags = 0};
    if (sigaltstack(&ss, NULL))
        return 3;
    munmap(alt, sz); /* freed, still registered */

    printf("tearing down\n");
    fflush(stdout);
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
