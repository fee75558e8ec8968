// main() ends with pthread_exit while two workers run: one returns, the last calls exit(7). The
// status 7 must come through; and a second run (argument "ret") where both return must end
// with status 0 and with no hang.
// RUN: timeout -s KILL 20 $PROG; echo "status $?"; timeout -s KILL 20 $PROG ret
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 40
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ret_only;

static void *first(void *arg)
{
    (void)arg;
    usleep(50000);
    char *leak = malloc(40);
    leak[0] = 0;
    return NULL;
}

static void *last(void *arg)
{
    pthread_t *other = arg;
    pthread_join(*other, NULL);
    usleep(50000);
    printf("last thread %s\n", ret_only ? "returns" : "calls exit(7)");
    fflush(stdout);
    if (!ret_only)
        exit(7);
    return NULL;
}

int main(int argc, char **argv)
{
    static pthread_t a, b;
    ret_only = argc > 1 && !strcmp(argv[1], "ret");
    pthread_create(&a, NULL, first, NULL);
    pthread_create(&b, NULL, last, &a);
    pthread_exit(NULL);
}
