// stdin, stdout and stderr all closed at start (prog <&- >&- 2>&-): the program's first open
// gets 0, pipe() the next two; a thread writes into the pipe, main reads and writes what it got
// into its file (fd 0), and writes a second file through stdio; exit status 3.
// RUN: $PROG <&- >&- 2>&-
// FILES: a.txt b.txt
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int p[2];
static void *w(void *a) { (void)a; char *m = strdup("from thread\n"); write(p[1], m, strlen(m)); free(m); return NULL; }
int main(void)
{
    int a = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pipe(p);
    char line[64];
    int n = snprintf(line, sizeof line, "a=%d p=%d,%d\n", a, p[0], p[1]);
    write(a, line, n);
    pthread_t t;
    pthread_create(&t, NULL, w, NULL);
    char buf[64];
    ssize_t k = read(p[0], buf, sizeof buf);
    write(a, buf, k);
    pthread_join(t, NULL);
    FILE *f = fopen("b.txt", "w");
    fprintf(f, "b fd %d\n", fileno(f));
    fclose(f);
    malloc(9);
    return 3;
}
