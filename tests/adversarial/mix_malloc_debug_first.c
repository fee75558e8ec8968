// A program that puts glibc's malloc debugging library (libc_malloc_debug.so.0, what makes
// MALLOC_CHECK_, mcheck and mtrace work) in front of whatever LD_PRELOAD holds and re-execs
// itself: under memplumber it then runs with LD_PRELOAD=libc_malloc_debug.so.0:libmemplumber.so.
// That library takes the program's calls (its malloc is a compatibility symbol, malloc@GLIBC_2.2.5,
// which the program's references bind to but a lookup by name passes over, so no warning came):
// memplumber sees only what it passes on (nothing at all with MALLOC_CHECK_ set). The program
// runs as natively, and a warning names the library that owns malloc.
// RUN: MD_LIB=$(ldconfig -p | awk '/libc_malloc_debug\.so\.0 .*x86-64/ {print $NF; exit}') $PROG
// STDERR-HAS: memplumber: warning: malloc in this process is libc_malloc_debug.so.0's
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
        snprintf(pre, sizeof pre, "%s%s%s", md, old && *old ? ":" : "", old && *old ? old : "");
        setenv("LD_PRELOAD", pre, 1);
        setenv("REEXECED", "1", 1);
        execv("/proc/self/exe", argv);
        perror("execv");
        return 99;
    }
    char *p = malloc(100);
    strcpy(p, "debug");
    p = realloc(p, 5000);
    printf("%s\n", p);
    free(p);
    char *volatile lost = malloc(64);
    lost = NULL;
    printf("done %d\n", lost == NULL);
    return 0;
}
