// Stacks switched by hand, as green-thread libraries and language runtimes do (no unwind info
// describes the switch): a function called on a stack from mmap whose words above the first frame
// are stale return addresses (into a function with a 128-byte frame) running up to a PROT_NONE
// guard page; the same on a stack from malloc with stale return addresses into a function with a
// 300,000-byte frame; both in the main thread and in a thread. Then a signal handler on a
// sigaltstack from mmap that allocates: its stack goes on through the signal frame to the
// function that raised the signal. Natively nothing reads those stale words; memplumber's walk
// followed them into the guard page (SIGSEGV). Each leak is found with the frames the program has.
// (the handler's block may stay reachable: a copy of its address stays on the sigaltstack)
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] >= 2 * 2 * 2
// JSON-CHECK: sum(j["summary"][k]["blocks"] for k in ("definitely_lost", "possibly_lost", "still_reachable")) == 2 * 2 * 2 + 1
// JSON-CHECK: any(f.get("function") == "green_entry" for l in j["leaks"] for f in l["stack"])
// JSON-CHECK: any(f.get("function") == "raiser" for l in j["leaks"] for f in l["stack"] if any(g.get("function") == "on_usr1" for g in l["stack"]))
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Written in assembly so that their unwind rules are exactly these, whatever the compiler does:
 * frame128 and framebig keep 128 and 300,008 bytes of frame around a call; the return addresses
 * after those calls are what the stale words hold. green_switch moves to another stack and calls
 * fn there; its unwind info (like a coroutine library's) says nothing of the switch. */
__asm__(".text\n"
        ".globl frame128\n.type frame128,@function\nframe128:\n.cfi_startproc\n"
        "sub $120,%rsp\n.cfi_def_cfa_offset 128\ncall *%rdi\n"
        ".globl frame128_ra\nframe128_ra:\nadd $120,%rsp\n.cfi_def_cfa_offset 8\nret\n.cfi_endproc\n"
        ".size frame128,.-frame128\n"
        ".globl framebig\n.type framebig,@function\nframebig:\n.cfi_startproc\n"
        "sub $300000,%rsp\n.cfi_def_cfa_offset 300008\ncall *%rdi\n"
        ".globl framebig_ra\nframebig_ra:\nadd $300000,%rsp\n.cfi_def_cfa_offset 8\nret\n.cfi_endproc\n"
        ".size framebig,.-framebig\n"
        ".globl green_switch\n.type green_switch,@function\ngreen_switch:\n.cfi_startproc\n"
        "push %rbx\n.cfi_def_cfa_offset 16\n.cfi_offset rbx,-16\n"
        "mov %rsp,%rbx\nmov %rdi,%rsp\ncall *%rsi\nmov %rbx,%rsp\n"
        "pop %rbx\n.cfi_def_cfa_offset 8\nret\n.cfi_endproc\n"
        ".size green_switch,.-green_switch\n");
extern char frame128_ra[], framebig_ra[];
void green_switch(void *top, void (*fn)(void));

static void *(*volatile alloc)(size_t) = malloc;

__attribute__((noinline)) static void green_entry(void)
{
    void *volatile p = alloc(40); /* leaked */
    (void)p;
    void *q = alloc(100);
    free(q);
}

static void guarded_stack(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *base = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    mprotect(base + 2 * pg, pg, PROT_NONE); /* the guard above the stack */
    char *top = base + 2 * pg - 512;
    for (uintptr_t *w = (uintptr_t *)top; (char *)w < base + 2 * pg; w++)
        *w = (uintptr_t)frame128_ra;
    green_switch(top, green_entry);
    green_switch(top, green_entry);
    munmap(base, 3 * pg);
}

static void heap_stack(void)
{
    size_t len = 64 * 1024;
    uintptr_t *stack = malloc(len);
    for (size_t i = 0; i < len / sizeof *stack; i++)
        stack[i] = (uintptr_t)framebig_ra;
    char *top = (char *)stack + len - 256;
    green_switch(top, green_entry);
    green_switch(top, green_entry);
    free(stack);
}

static void *both(void *arg)
{
    (void)arg;
    guarded_stack();
    heap_stack();
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    void *volatile p = alloc(64); /* leaked, allocated on the sigaltstack */
    (void)p;
}

__attribute__((noinline)) static void raiser(void)
{
    raise(SIGUSR1);
}

int main(void)
{
    both(NULL);
    pthread_t t;
    pthread_create(&t, NULL, both, NULL);
    pthread_join(t, NULL);

    long pg = sysconf(_SC_PAGESIZE);
    size_t alt = 16 * pg;
    char *ss = mmap(NULL, alt + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(ss + alt, pg, PROT_NONE);
    stack_t st = {.ss_sp = ss, .ss_size = alt, .ss_flags = 0};
    sigaltstack(&st, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raiser();
    printf("done\n");
    return 0;
}
