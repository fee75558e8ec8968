/* Threads created and joined just before exit, over and over (one process per round): the exit
 * report must see a single-threaded process every time, so __libc_freeres runs and the joined
 * threads' DTVs are not reported. Races this catches: memplumber's own report thread, started
 * when the program creates its first thread, not yet known as memplumber's when the program
 * exits; a joined thread still listed in /proc/self/task while the kernel finishes its exit.
 * Each thread leaks 100 bytes, so the report must say exactly 4 blocks definitely lost. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *leaker(void *arg)
{
    char *p = malloc(100);
    memset(p, 1, 100);
    USE(p);
    return arg;
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, leaker, NULL) != 0)
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return 0;
}
