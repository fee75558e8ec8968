/* memplumber's own stack for reports (see runtime.h, mp_on_report_stack). A program may call
 * exit() from a signal handler running on a small alternate stack (8-16 KiB, as crash handlers
 * and language runtimes install), or after catching a stack overflow there: the report (the
 * scan, libdw) needs far more. The stack is mapped at start-up, when the address space still
 * has room, with an inaccessible guard page at its low end; it is tool memory (not a root). */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/arena.h"
#include "preload/runtime/runtime.h"

#define REPORT_STACK_SIZE ((size_t)8 << 20)

static char *stack_lo;      /* the guard page; usable from stack_lo + 4096 */
static int owner;           /* tid of the thread running on the stack, 0 = free */

/* mp_call_on_stack(top, fn, arg): fn(arg) with the stack pointer at top. The frame pointer
 * chain and the CFI lead back to the caller's stack, for debuggers. */
void mp_call_on_stack(void *top, void (*fn)(void *), void *arg);
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl mp_call_on_stack\n"
        ".hidden mp_call_on_stack\n"
        ".type mp_call_on_stack, @function\n"
        "mp_call_on_stack:\n"
        ".cfi_startproc\n"
        "    pushq %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "    movq %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "    andq $-16, %rdi\n"
        "    movq %rdi, %rsp\n"
        "    movq %rdx, %rdi\n"
        "    callq *%rsi\n"
        "    movq %rbp, %rsp\n"
        "    popq %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size mp_call_on_stack, .-mp_call_on_stack\n");
#define HAVE_SWITCH 1
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl mp_call_on_stack\n"
        ".hidden mp_call_on_stack\n"
        ".type mp_call_on_stack, %function\n"
        "mp_call_on_stack:\n"
        ".cfi_startproc\n"
        "    stp x29, x30, [sp, #-16]!\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset x29, -16\n"
        ".cfi_offset x30, -8\n"
        "    mov x29, sp\n"
        ".cfi_def_cfa_register x29\n"
        "    and x0, x0, #-16\n"
        "    mov sp, x0\n"
        "    mov x0, x2\n"
        "    blr x1\n"
        "    mov sp, x29\n"
        "    ldp x29, x30, [sp], #16\n"
        ".cfi_def_cfa sp, 0\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size mp_call_on_stack, .-mp_call_on_stack\n");
#define HAVE_SWITCH 1
#endif

void mp_report_stack_init(void)
{
#ifdef HAVE_SWITCH
    if (stack_lo)
        return;
    char *p = mp_pages_alloc(REPORT_STACK_SIZE);
    if (!p)
        return;
    syscall(SYS_mprotect, p, 4096, PROT_NONE);
    stack_lo = p;
#endif
}

int mp_on_report_stack(void (*fn)(void *), void *arg)
{
    int me = (int)syscall(SYS_gettid);
    if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == me) {
        fn(arg); /* nested (an error message while reporting): already on it */
        return 0;
    }
    if (!stack_lo) {
        fn(arg);
        return -1;
    }
    for (;;) {
        int free_ = 0;
        if (__atomic_compare_exchange_n(&owner, &free_, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            break;
        /* Another thread reports: wait for it (reports are rare; the stack is not shared). */
        syscall(SYS_futex, &owner, FUTEX_WAIT_PRIVATE, free_, NULL, NULL, 0);
    }
#ifdef HAVE_SWITCH
    mp_call_on_stack(stack_lo + REPORT_STACK_SIZE, fn, arg);
#else
    fn(arg);
#endif
    __atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
    syscall(SYS_futex, &owner, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return 0;
}

/* fork: a thread of the parent may have been on the stack; it does not exist in the child. */
void mp_report_stack_child_after_fork(void)
{
    __atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
}
