/* Safe points for writing heap-misuse errors (see safepoint.h). */
#include "preload/runtime/safepoint.h"
#include "preload/runtime/outfd.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "preload/hooks/real.h"
#include "preload/record/unwind.h"
#include "preload/runtime/guard.h"
#include "preload/runtime/report_entry.h"
#include "preload/runtime/runtime.h"

struct range {
    uintptr_t lo, hi;
};

#define NRANGES 4
static struct range ldso[NRANGES];  /* ld.so's executable segments */
static struct range libc_x[NRANGES]; /* libc's (where __restore_rt is) */
static struct range iterate;        /* dl_iterate_phdr's code */

/* The executable PT_LOAD segments of the object loaded at base (its ELF header is mapped). */
static void exec_segments(uintptr_t base, struct range *out)
{
    if (!base)
        return;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
    int k = 0;
    for (int i = 0; i < eh->e_phnum && k < NRANGES; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
            out[k].lo = base + ph[i].p_vaddr;
            out[k].hi = base + ph[i].p_vaddr + ph[i].p_memsz;
            k++;
        }
}

void mp_safepoint_init(void)
{
    exec_segments((uintptr_t)getauxval(AT_BASE), ldso);
    Dl_info di;
    if (mp_real.free && dladdr((void *)mp_real.free, &di) && di.dli_fbase)
        exec_segments((uintptr_t)di.dli_fbase, libc_x);
    void *f = dlsym(RTLD_DEFAULT, "dl_iterate_phdr");
    const ElfW(Sym) *sym = NULL;
    if (f && dladdr1(f, &di, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
        iterate.lo = (uintptr_t)f;
        iterate.hi = (uintptr_t)f + sym->st_size;
    }
}

/* Is [pc, pc + len) inside one of the ranges? */
static int in_ranges(const struct range *r, uintptr_t pc, uintptr_t len)
{
    for (int i = 0; i < NRANGES && r[i].hi; i++)
        if (pc >= r[i].lo && pc + len <= r[i].hi)
            return 1;
    return 0;
}

/* glibc's x86_64 signal return trampoline: mov $15,%rax; syscall (rt_sigreturn). A handler's
 * return address points at it. */
static const unsigned char restore_rt_code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

#define WALK_MAX 256

/* Is the thread whose hook frame is fp at a safe point? Unknown (a walk deeper than WALK_MAX
 * frames) counts as no. */
static int here_is_safe(uintptr_t *fp)
{
    if (mp_tls.state != MP_IN_PROGRAM ||
        __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) != MP_PHASE_TRACKING)
        return 0;
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
        return 0;
    uintptr_t pcs[WALK_MAX];
    struct mp_unwind_regs r = {fp[1], (uintptr_t)(fp + 2), fp[0]};
    int g = mp_guard_enter();
    int n = mp_unwind(&r, pcs, WALK_MAX);
    mp_guard_leave(g);
    if (n >= WALK_MAX)
        return 0;
    for (int i = 0; i < n; i++) {
        uintptr_t pc = pcs[i];
        if (in_ranges(ldso, pc, 1) || (pc >= iterate.lo && pc < iterate.hi))
            return 0;
        if (in_ranges(libc_x, pc, sizeof restore_rt_code) &&
            memcmp((const void *)pc, restore_rt_code, sizeof restore_rt_code) == 0)
            return 0;
    }
    return 1;
}

/* After an "unsafe" verdict the thread skips the check (a stack walk) in hook calls made from as
 * deep as the unsafe one or deeper (their caller's stack pointer at or below it: most likely
 * still inside the same handler or destructor), at most 256 times in a row; a call from a
 * shallower frame (the program has returned from there) checks again. */
static __thread uintptr_t unsafe_sp __attribute__((tls_model("initial-exec")));
static __thread unsigned skip_left __attribute__((tls_model("initial-exec")));

static void unsafe_here(uintptr_t *fp)
{
    unsafe_sp = (uintptr_t)(fp + 2);
    skip_left = 256;
}

void mp_safepoint_errors(uintptr_t *fp)
{
    if (skip_left && (uintptr_t)(fp + 2) <= unsafe_sp) {
        skip_left--;
        return;
    }
    if (!here_is_safe(fp)) {
        unsafe_here(fp);
        return;
    }
    skip_left = 0;
    mp_report_write_errors();
}

void mp_safepoint_after_error(uintptr_t *fp)
{
    /* A repeat of a context already written leaves nothing to write: no walk. */
    if (__atomic_load_n(&mp_misuse_unwritten, __ATOMIC_ACQUIRE)) {
        if (here_is_safe(fp)) {
            skip_left = 0;
            mp_report_write_errors();
        } else {
            unsafe_here(fp);
        }
    }
    if (mp_opt.abort_on_error)
        abort(); /* what is not written yet goes out with the fatal-signal report */
}

void mp_runtime_before_exec(void)
{
    mp_outfd_before_exec();
    /* exec ends this image: like exit, write what waits unless this thread interrupted the
     * allocator or memplumber (its locks may be held). A vfork child shares our memory and
     * writes nothing (mp_report_write_errors checks the pid). */
    if (__builtin_expect(mp_misuse_unwritten, 0) && mp_tls.state == MP_IN_PROGRAM &&
        __atomic_load_n(&mp_runtime_phase, __ATOMIC_ACQUIRE) == MP_PHASE_TRACKING)
        mp_report_write_errors();
}
