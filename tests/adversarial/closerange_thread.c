// A thread calls close_range(3, ~0U, 0) and opens files while the main thread keeps allocating;
// then the main thread exits with status 4. The program's files stay untouched, the report
// reaches stderr (fd 2 is still the original stderr).
// FILES: a.txt b.txt c.txt
// REPORT-STDERR: yes
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 77
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

static void *closer(void *arg)
{
    (void)arg;
    syscall(SYS_close_range, 3, ~0U, 0);
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    for (int i = 0; i < 3; i++) {
        int fd = open(names[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(fd, names[i], 5);
        write(fd, "\n", 1);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, closer, NULL);
    for (int i = 0; i < 2000; i++)
        free(malloc((size_t)i));
    pthread_join(t, NULL);
    char *leak = malloc(77);
    leak = NULL;
    exit(4);
}
