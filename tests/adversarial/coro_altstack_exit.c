// Coroutines (makecontext/swapcontext) on 16 KiB stacks taken from malloc: one coroutine
// allocates, the other frees that block and leaks one of its own; then, still on a coroutine
// stack, it raises SIGUSR1 whose handler runs on an 8 KiB sigaltstack and calls exit(3). The
// report must not run on either small stack, and the leak must be found.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 200 + 48 + 2 * 16384 and j["summary"]["total_freed"]["bytes"] >= 200
// (the 48-byte block may stay reachable: stale copies in the coroutine stacks, heap blocks)
// REPORT-STDERR: yes
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static ucontext_t main_ctx, a_ctx, b_ctx;
static char *shared;

static void on_usr1(int sig)
{
    (void)sig;
    printf("handler on altstack\n");
    exit(3);
}

static void coro_a(void)
{
    shared = malloc(200);
    strcpy(shared, "from a");
    swapcontext(&a_ctx, &b_ctx);
    printf("a resumed: %s\n", shared ? shared : "(null)");
    swapcontext(&a_ctx, &b_ctx);
}

static void coro_b(void)
{
    printf("b sees: %s\n", shared);
    free(shared);
    shared = NULL;
    swapcontext(&b_ctx, &a_ctx);
    char *leak = malloc(48);
    memset(leak, 1, 48);
    leak = NULL;
    raise(SIGUSR1);
    printf("not reached\n");
}

int main(void)
{
    static char alt[8192];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    char *sa_stack = malloc(16384), *sb_stack = malloc(16384);
    getcontext(&a_ctx);
    a_ctx.uc_stack.ss_sp = sa_stack;
    a_ctx.uc_stack.ss_size = 16384;
    a_ctx.uc_link = &main_ctx;
    makecontext(&a_ctx, coro_a, 0);
    getcontext(&b_ctx);
    b_ctx.uc_stack.ss_sp = sb_stack;
    b_ctx.uc_stack.ss_size = 16384;
    b_ctx.uc_link = &main_ctx;
    makecontext(&b_ctx, coro_b, 0);
    fflush(stdout);
    swapcontext(&main_ctx, &a_ctx);
    printf("main again\n");
    return 0;
}
