// exec while another thread writes a report: the program re-executes itself 20 times; in each
// image a second thread asks for reports (memplumber_report_now) in a loop while main execs.
// The report stops the program's threads with a real-time signal; one sent to main as it enters
// execve stayed pending in the new image, whose handlers are all SIG_DFL again, and killed it
// ("Real-time signal 28") before its first instruction. Natively the API is absent (weak
// symbols, NULL): the last image prints "end" and exits 3. The exec must wait until the report
// in progress is done, as fork does.
// OPTIONS: report_on_exit=yes
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 8
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int memplumber_report_now(void) __attribute__((weak));

static void *reporter(void *a)
{
    for (;;) {
        if (memplumber_report_now)
            memplumber_report_now();
        else
            usleep(1000);
    }
    return a;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    char *l = malloc(8);
    memset(l, 1, 8);
    l = NULL;
    if (n == 0) {
        printf("end\n");
        return 3;
    }
    pthread_t t;
    pthread_create(&t, NULL, reporter, NULL);
    usleep(3000 + n * 97 % 2000); /* into a report, at various points */
    char b[16];
    snprintf(b, sizeof b, "%d", n - 1);
    execl("/proc/self/exe", argv[0], b, (char *)NULL);
    return 9;
}
