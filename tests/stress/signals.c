/* Stress: a high-rate interval timer interrupts threads that are inside malloc/free (and so
 * inside memplumber's hooks); the handler does async-signal-safe work only. No crash, no
 * deadlock, no lost output. usage: signals SECONDS */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static volatile int stop;

static void on_alarm(int sig)
{
    (void)sig;
    hits++;
}

static void *work(void *arg)
{
    (void)arg;
    void *keep[128] = {0};
    unsigned i = 0;
    while (!stop) {
        free(keep[i & 127]);
        keep[i & 127] = (i & 1) ? calloc(1, 24 + i % 900) : malloc(24 + i % 3000);
        i++;
    }
    for (int k = 0; k < 128; k++)
        free(keep[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 5;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}}; /* every 200 us of real time */
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, work, NULL);
    struct timespec d = {(time_t)secs, (long)((secs - (time_t)secs) * 1e9)};
    while (nanosleep(&d, &d) != 0)
        ;
    stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("signals: %d signals handled\n", (int)hits);
    return hits > 0 ? 0 : 1;
}
