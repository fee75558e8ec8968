/* A server-like program for tests/integration/live.sh: it reads commands from the FIFO argv[1]
 * and answers each on the FIFO argv[2] ("ok"), so that the test knows exactly what it has done:
 *   serve N   handle N requests: each leaks 24 bytes (leak_request: definitely lost), adds a
 *             200-byte entry to a cache that is never trimmed (cache_add: still reachable and
 *             growing), and uses a few temporary blocks it frees
 *   report    memplumber_report_now() (the configured report files; %p paths get PID.SEQ)
 *   new       memplumber_report_new()
 *   snapshot  memplumber_snapshot()
 *   block     block every signal in this (the only) thread
 *   thread    start a thread that blocks every signal and waits forever
 *   fork      fork a child that leaks 48 bytes (child_leak) and waits to be killed; the answer
 *             is "ok 0 CHILDPID"
 *   quit      exit with status 7
 * One allocation at start-up (config_load, 100 bytes, reachable) never changes. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "memplumber.h"

struct entry {
    struct entry *next;
    char data[192];
};

static struct entry *cache;
static char *volatile config; /* volatile: the allocation must not be optimised away */
static unsigned long served;

__attribute__((noinline)) static void config_load(void)
{
    config = malloc(100);
    memset(config, 'c', 100);
}

__attribute__((noinline)) static void leak_request(unsigned long n)
{
    char *volatile p = malloc(24);
    snprintf(p, 24, "request %lu", n);
    p = NULL;
}

__attribute__((noinline)) static void cache_add(unsigned long n)
{
    struct entry *e = malloc(sizeof *e);
    snprintf(e->data, sizeof e->data, "entry %lu", n);
    e->next = cache;
    cache = e;
}

__attribute__((noinline)) static void child_leak(void)
{
    char *volatile p = malloc(48);
    memset(p, 'x', 48);
    p = NULL;
}

__attribute__((noinline)) static void handle(unsigned long n)
{
    char *tmp[4];
    for (int i = 0; i < 4; i++)
        tmp[i] = malloc(64 + 32 * i);
    leak_request(n);
    cache_add(n);
    for (int i = 0; i < 4; i++)
        free(tmp[i]);
}

static void *idle_thread(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
    return arg;
}

/* Wipe the stack below us, so that no stale copy of a leaked pointer keeps it reachable. */
__attribute__((noinline)) static void wipe(void)
{
    volatile char buf[8192];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: live_server IN_FIFO OUT_FIFO\n");
        return 2;
    }
    config_load();
    FILE *in = fopen(argv[1], "r");
    FILE *out = fopen(argv[2], "w");
    if (!in || !out) {
        perror("live_server: fifo");
        return 2;
    }
    char line[128];
    while (fgets(line, sizeof line, in)) {
        unsigned long n = 0;
        int rc = 0;
        if (sscanf(line, "serve %lu", &n) == 1) {
            for (unsigned long i = 0; i < n; i++)
                handle(served++);
            wipe();
        } else if (!strncmp(line, "report", 6)) {
            rc = memplumber_report_now ? memplumber_report_now() : -9;
        } else if (!strncmp(line, "new", 3)) {
            rc = memplumber_report_new ? memplumber_report_new() : -9;
        } else if (!strncmp(line, "snapshot", 8)) {
            rc = memplumber_snapshot ? memplumber_snapshot() : -9;
        } else if (!strncmp(line, "block", 5)) {
            sigset_t all;
            sigfillset(&all);
            sigprocmask(SIG_BLOCK, &all, NULL);
        } else if (!strncmp(line, "thread", 6)) {
            pthread_t t;
            rc = pthread_create(&t, NULL, idle_thread, NULL);
        } else if (!strncmp(line, "fork", 4)) {
            fflush(out);
            int ready[2];
            if (pipe(ready))
                return 2;
            pid_t c = fork();
            if (c == 0) {
                /* fork() returned here: memplumber's fork handlers are done (the child's own
                 * rendezvous exists), which the parent waits for */
                child_leak();
                wipe();
                (void)!write(ready[1], "r", 1);
                for (;;)
                    pause();
            }
            char r;
            close(ready[1]);
            if (c > 0 && read(ready[0], &r, 1) != 1)
                c = -1;
            close(ready[0]);
            fprintf(out, "ok %d %ld\n", c < 0 ? -1 : 0, (long)c);
            fflush(out);
            continue;
        } else if (!strncmp(line, "quit", 4)) {
            fprintf(out, "bye\n");
            fflush(out);
            return 7;
        }
        fprintf(out, "ok %d %lu\n", rc, served);
        fflush(out);
    }
    return 3;
}
