/* __libc_start_main, interposed to learn which function is the program's main: the unwinder
 * then ends a walk at main's frame (stacks are shown up to main, as in valgrind), instead of
 * stepping through libc's start-up frames below it at every capture. With show_below_main the
 * walk goes on as before. A program that does not start through __libc_start_main (or a libc
 * whose symbol we cannot find) keeps walking below main; nothing else changes. */
#include <stdint.h>

#include "preload/hooks/interpose.h"
#include "preload/hooks/real.h"
#include "preload/runtime/runtime.h"
#include "preload/record/unwind.h"

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                             void (*)(void), void *);

/* main is called through this when the walks stop at main (below it nothing is shown, so this
 * frame never appears in a stack): after main returns, libc calls its exit, which runs the exit
 * handlers without passing through memplumber's exit(). If a vfork child called exit() and so
 * ran glibc's handlers (memplumber's report among them) for us, the report is written here. */
static main_fn program_main;
static int call_main(int argc, char **argv, char **envp)
{
    int status = program_main(argc, argv, envp);
    mp_runtime_exit_handler_check(0);
    return status;
}

MP_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    start_main_fn real = (start_main_fn)mp_real_next("__libc_start_main");
    if (!real)
        __builtin_trap(); /* cannot happen with glibc; nothing sensible to fall back on */
    if (main && mp_runtime_ensure()) {
        if (!mp_opt.show_below_main) {
            mp_unwind_set_stop_function((uintptr_t)main);
            program_main = main;
            main = call_main;
        } else
            mp_unwind_add_anchor_function((uintptr_t)main, 1); /* libc's start-up frames below it
                                                              are walked once per thread */
    }
    return real(main, argc, argv, init, fini, rtld_fini, stack_end);
}
