// closefrom(3) while a second thread runs, then the program opens its own files; it closes
// stderr and its next file gets fd 2. Neither file may receive memplumber's report; the text
// report is written nowhere rather than into the program's file (stderr is a pipe here, which
// cannot be reopened by name), the JSON report is complete.
// FILES: data.txt log.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 30
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *spin(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        free(malloc(32));
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    closefrom(3);
    int d = open("data.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(d, "data\n", 5);
    close(2);
    int l = open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644); /* fd 2 now */
    write(l, "log line\n", 9);
    pthread_join(t, NULL);
    char *leak = malloc(30);
    leak = NULL;
    return 0;
}
