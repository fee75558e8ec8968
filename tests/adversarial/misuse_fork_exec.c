// A forked child's signal handler frees a block made by operator new[] with free() (a
// mismatched free, which glibc accepts natively), then the child execs /bin/true without another
// allocation: the error, recorded in the handler, is written before the exec replaces the image.
// The parent waits for the child and exits with its status.
// LIBS: -lstdc++
// STDERR-HAS: Mismatched free() / delete / delete []
// JSON: any
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *_Znam(unsigned long n); /* operator new[] */

static void *block;

static void on_usr1(int sig)
{
    (void)sig;
    free(block); /* mismatched: new[] then free */
}

int main(void)
{
    block = _Znam(16);
    memset(block, 'c', 16);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGUSR1);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
