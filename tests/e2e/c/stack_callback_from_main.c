/* Stacks of code that libc calls back, when main itself made the call into libc: a qsort
 * comparator that leaks, and a SIGUSR1 handler (raised by main) that frees a block twice. The
 * stacks go on through libc's frames (qsort's, raise's) to main, as valgrind shows them; they
 * must not end at the callback (the executable's frame above a run of libc frames is main only
 * below main, in libc's start-up code).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     definitely_lost bytes=77 blocks=1 frame0=compare anyframe=main
 * EXPECT:     error: double_free count=1 frame0=on_signal anyframe=raise anyframe=main
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

static char *volatile freed;
static int leaked;

NOINLINE int compare(const void *a, const void *b)
{
    if (!leaked) {
        char *p = malloc(77);
        memset(p, 'q', 77);
        __asm__ volatile("" : : "r"(p) : "memory");
        leaked = 1;
    }
    int x = *(const int *)a, y = *(const int *)b;
    NOTAIL();
    return (x > y) - (x < y);
}

NOINLINE void on_signal(int sig)
{
    (void)sig;
    free(freed);
    NOTAIL();
}

int main(void)
{
    int v[8] = {5, 3, 8, 1, 9, 2, 7, 4};
    qsort(v, 8, sizeof v[0], compare);
    freed = malloc(24);
    memset(freed, 'f', 24);
    free(freed);
    signal(SIGUSR1, on_signal);
    raise(SIGUSR1);
    printf("reached the end\n");
    return 0;
}
