// A program under a tight task limit (RLIMIT_NPROC, as `ulimit -u` or a service manager sets it)
// counts on every task it may have: run as an unprivileged user (nobody) with a limit of the
// tasks that user already has plus 3, it starts 3 threads that wait for each other. Natively all
// three start; memplumber's report thread, started with the program's first thread, took one of
// them and the third pthread_create failed with EAGAIN. Needs root to change user (otherwise the
// program says so and exits 0 in both runs).
// SETUP: chmod a+rwx . && chmod a+x ..
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define UID 65534

/* tasks (threads included) whose real user is uid */
static long tasks_of(uid_t uid)
{
    long n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned long real = (unsigned long)-1, threads = 0;
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "Uid:", 4))
                real = strtoul(line + 4, NULL, 10);
            else if (!strncmp(line, "Threads:", 8))
                threads = strtoul(line + 8, NULL, 10);
        }
        fclose(f);
        if (real == uid)
            n += (long)threads;
    }
    closedir(d);
    return n;
}

static pthread_barrier_t bar;

static void *worker(void *arg)
{
    char *p = malloc(32 + (size_t)(long)arg);
    pthread_barrier_wait(&bar);
    free(p);
    return NULL;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("not root: nothing to check\n");
        return 0;
    }
    if (setgid(UID) != 0 || setuid(UID) != 0) {
        printf("cannot become nobody: nothing to check\n");
        return 0;
    }
    long have = tasks_of(UID); /* this process included */
    if (have < 1)
        return 2;
    struct rlimit rl = {(rlim_t)have + 3, (rlim_t)have + 3};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0)
        return 3;
    pthread_barrier_init(&bar, NULL, 4);
    pthread_t t[3];
    int made = 0;
    for (long i = 0; i < 3; i++) {
        int rc = pthread_create(&t[i], NULL, worker, (void *)i);
        if (rc != 0) {
            printf("thread %ld: %s\n", i, strerror(rc));
            break;
        }
        made++;
    }
    if (made == 3)
        pthread_barrier_wait(&bar);
    else
        return 4; /* the others wait at the barrier for ever: leave */
    for (int i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    printf("%d threads started\n", made);
    return 0;
}
