// fork() while three threads allocate and free; the child (one thread, its locks reset by the
// atfork handlers) allocates, writes a data file with stdio and leaves with _exit(4) without
// flushing another stream; the parent waits, prints the child's status and exits 0.
// FILES: child.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 25
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        void *p = malloc(64);
        void *q = calloc(3, 40);
        free(p);
        free(q);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    usleep(20000);
    printf("before fork\n");        /* buffered: the child inherits it and must not flush it */
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            char *s = malloc(1000);
            snprintf(s, 1000, "child round %d\n", round);
            FILE *f = fopen("child.txt", "a");
            fputs(s, f);
            fclose(f);
            char *leak = malloc(77);
            leak[0] = 0;
            _exit(4);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("child %d: exited=%d status=%d\n", round, WIFEXITED(st), WEXITSTATUS(st));
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    char *leak = malloc(25);
    leak[0] = 0;
    leak = NULL;
    return 0;
}
