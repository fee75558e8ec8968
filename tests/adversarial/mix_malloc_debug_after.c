// A program that appends glibc's malloc debugging library (libc_malloc_debug.so.0, what makes
// MALLOC_CHECK_, mcheck and mtrace work) to whatever LD_PRELOAD holds and re-execs itself with
// MALLOC_CHECK_=3 (as `LD_PRELOAD=libc_malloc_debug.so.0 memplumber prog` also arranges): under
// memplumber it runs with LD_PRELOAD=libmemplumber.so:libc_malloc_debug.so.0. The library's
// functions are compatibility symbols that memplumber's lookup of the real allocator passes
// over: memplumber calls libc's, and the checks silently never run. The program runs as it does
// with the checks (it makes no heap error), and a warning says the checks are off.
// RUN: MD_LIB=$(ldconfig -p | awk '/libc_malloc_debug\.so\.0 .*x86-64/ {print $NF; exit}') $PROG
// STDERR-HAS: memplumber: warning: libc_malloc_debug.so.0 comes after libmemplumber.so
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("REEXECED")) {
        const char *md = getenv("MD_LIB"), *old = getenv("LD_PRELOAD");
        if (!md || !*md) {
            printf("no libc_malloc_debug.so.0\n");
            return 0;
        }
        char pre[8192];
        snprintf(pre, sizeof pre, "%s%s%s", old && *old ? old : "", old && *old ? ":" : "", md);
        setenv("LD_PRELOAD", pre, 1);
        setenv("MALLOC_CHECK_", "3", 1);
        setenv("REEXECED", "1", 1);
        execv("/proc/self/exe", argv);
        perror("execv");
        return 99;
    }
    char *p = malloc(100);
    strcpy(p, "checked");
    p = realloc(p, 5000);
    printf("%s\n", p);
    free(p);
    char *volatile lost = malloc(64);
    lost = NULL;
    printf("done %d\n", lost == NULL);
    return 0;
}
