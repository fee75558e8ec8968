// A program's own timers still armed when it exits: a watchdog alarm (SIGALRM at its default
// action, which kills), and a profiler's SIGPROF and SIGVTALRM ticks whose handlers write a
// line. Natively the process is gone within a millisecond of returning from main and none of
// them fires: status 3, no tick line. memplumber's exit report (200,000 live blocks, half of
// them lost) takes longer than the timers' 20 ms and 1 ms: they fired during it, and the
// watchdog killed the process (status 142) or the handlers printed into its output.
// The final report now sets those timer signals aside: nothing of the program's runs after its
// last exit handler, as natively.
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] >= 100000
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void tick(int s)
{
    const char *m = s == SIGPROF ? "tick\n" : "vtick\n";
    write(1, m, strlen(m));
}

static void **keep;

int main(void)
{
    enum { N = 200000 };
    keep = malloc(N * sizeof *keep);
    for (int i = 0; i < N; i++)
        keep[i] = malloc(24 + i % 40);
    for (int i = 0; i < N; i += 2)
        keep[i] = NULL; /* lost */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tick;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    sigaction(SIGVTALRM, &sa, NULL);
    printf("armed\n");
    fflush(stdout);
    struct itimerval real = {{0, 20000}, {0, 20000}}, prof = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_PROF, &prof, NULL);
    setitimer(ITIMER_VIRTUAL, &prof, NULL);
    setitimer(ITIMER_REAL, &real, NULL);
    return 3;
}
