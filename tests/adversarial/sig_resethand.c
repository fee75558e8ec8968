// SA_RESETHAND handlers: SIGSEGV's handler (SA_RESETHAND|SA_NODEFER, on a 12 KiB sigaltstack)
// makes the faulting page writable and returns; the disposition is then SIG_DFL (sigaction says
// so), and the second fault kills the program with SIGSEGV after the report. Also SIGUSR1 with
// SA_RESETHAND: handled once, what sigaction reports afterwards is SIG_DFL.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 44
// STDERR-HAS: fatal signal 11
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *page;
static volatile int hits;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    hits++;
    if ((char *)si->si_addr == page)
        mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

static void on_usr1(int sig)
{
    (void)sig;
    hits += 10;
}

int main(void)
{
    static char alt[12288];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa, q;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &q);
    printf("usr1 after: %s\n", q.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
    page[0] = 1;
    sigaction(SIGSEGV, NULL, &q);
    printf("segv after: %s flags-reset=%d hits=%d\n", q.sa_handler == SIG_DFL ? "SIG_DFL" : "other",
           (q.sa_flags & SA_RESETHAND) != 0, hits);
    fflush(stdout);
    char *leak = malloc(44);
    leak[0] = 0;
    leak = NULL;
    *(volatile int *)16 = 0;
    return 0;
}
