/* A SIGALRM handler, fired every 200 us, frees the block the main loop is freeing at that
 * moment: one of the two frees is a double free, and the handler often runs while memplumber is
 * writing that error (or inside glibc's free). Natively glibc aborts; under valgrind each is a
 * double free and the program runs to its end. memplumber ran the handler inside its own error
 * write, where a free went straight to glibc: glibc aborted ("double free detected in tcache
 * 2"), or the handler freed memory the report library had just been given at the same address
 * and it crashed. Now the program's signals wait until the error is written, and a double free
 * from a handler that interrupted glibc's free is reported instead of silently dropped.
 * VALGRIND:   skip how many double frees there are depends on when the timer fires
 * RUN:        %memplumber --error-exitcode=42 --json %t.json -- %bin
 * EXIT:       42
 * STDOUT:     done
 * EXPECT:     error: double_free
 * EXPECT-NOT: definitely_lost
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static void *volatile cur;
static volatile long hits;

static void on_alrm(int sig)
{
    (void)sig;
    void *p = cur;
    if (p) {
        free(p);
        hits++;
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (long i = 0; i < 300000 && hits < 200; i++) {
        void *p = malloc(48);
        cur = p;
        free(p);
        cur = NULL;
    }
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, NULL);
    printf("done\n");
    return 0;
}
