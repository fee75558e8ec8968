/* Stress: worker threads allocate and free while the main thread forks children repeatedly;
 * each child allocates in a thread of its own, leaks one 777-byte block and exits; some children
 * exec /bin/true. No deadlock (fork while other threads hold tool locks), every child reaped.
 * usage: forks SECONDS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;

static void *churn(void *arg)
{
    (void)arg;
    void *keep[64] = {0};
    unsigned i = 0;
    while (!stop) {
        free(keep[i & 63]);
        keep[i & 63] = malloc(16 + (i * 7919u) % 2000);
        i++;
    }
    for (int k = 0; k < 64; k++)
        free(keep[k]);
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        free(malloc(64));
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 5;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int children = 0, bad = 0;
    do {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            pthread_t ct;
            pthread_create(&ct, NULL, child_thread, NULL);
            pthread_join(ct, NULL);
            void *volatile leak = malloc(777);
            memset((void *)leak, 2, 777);
            leak = NULL;
            if (children % 4 == 3)
                execl("/bin/true", "true", (char *)NULL);
            _exit(children % 4 == 1 ? 0 : 3); /* _exit: the report still runs */
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3))
            bad++;
        children++;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("forks: %d children, %d bad, pid %d\n", children, bad, (int)getpid());
    return bad ? 1 : 0;
}
