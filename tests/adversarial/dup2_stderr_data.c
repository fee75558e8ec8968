// dup2 of a data file over fd 2 from a second thread while main allocates, then stdout closed
// and reopened as another data file; the report must land in neither file (stderr is a pipe,
// and fd 2 is no longer it).
// FILES: err.log out.log
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 18
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *redirect(void *arg)
{
    (void)arg;
    int fd = open("err.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, redirect, NULL);
    for (int i = 0; i < 10000; i++)
        free(malloc(i % 300));
    pthread_join(t, NULL);
    fprintf(stderr, "to err.log\n");
    fclose(stdout);
    int o = open("out.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dprintf(o, "out fd %d\n", o);
    char *leak = malloc(18);
    leak[0] = 0;
    leak = NULL;
    return 0;
}
