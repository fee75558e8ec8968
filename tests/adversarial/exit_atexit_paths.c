// Exit paths the program's own handlers take: an atexit handler that allocates and prints, one
// registered earlier that calls _exit(5) (so later-registered ones ran, earlier ones never
// run), a destructor function that would print, on_exit with its status argument, and output
// left in stdout's buffer (lost by _exit).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void never(void) { printf("never runs\n"); }
static void bail(void) { static const char m[] = "bail: _exit(5)\n"; write(1, m, sizeof m - 1); _exit(5); }
static void alloc_print(int st, void *a) { char *s = strdup((char *)a); printf("on_exit %d %s\n", st, s); fflush(stdout); free(s); malloc(13); }
__attribute__((destructor)) static void dtor(void) { printf("destructor\n"); }
int main(void)
{
    atexit(never);
    atexit(bail);
    on_exit(alloc_print, "arg");
    printf("unflushed");
    exit(9);
}
