// A thread calls execv while two others allocate and free in a loop and main waits in join:
// the exec replaces every thread; the new image (the program again, observed) prints and exits 4.
// RUN: $PROG
// JSON: any
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char *self;
static void *churn(void *a) { void *v[16] = {0}; for (unsigned long i = 0;; i++) { free(v[i % 16]); v[i % 16] = malloc(8 + (i + (long)a) % 700); } return NULL; }
static void *execer(void *a) { (void)a; usleep(20000); char *argv[] = {self, "child", NULL}; execv(self, argv); perror("execv"); return NULL; }
int main(int argc, char **argv)
{
    if (argc > 1) { printf("new image %s\n", argv[1]); malloc(12); return 4; }
    self = argv[0];
    printf("before exec\n"); fflush(stdout);
    pthread_t t[3];
    pthread_create(&t[0], NULL, churn, (void *)1);
    pthread_create(&t[1], NULL, churn, (void *)2);
    pthread_create(&t[2], NULL, execer, NULL);
    pthread_join(t[0], NULL);
    return 1;
}
