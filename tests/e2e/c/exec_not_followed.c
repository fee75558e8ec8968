/* --trace-children=no: a program forks a child that execs another leaky program
 * (exec_leaky_aux.c, which would leak 300 bytes): the exec'd program is not observed (no report
 * file for it), while the parent, which leaked 150 bytes, is. Without the option the exec'd
 * program would write %t.json.<pid> (see exec_leaky.c).
 * BUILD-AUX:  exec_leaky_aux.c
 * RUN:        %memplumber --trace-children=no --json %t.json -- %bin %aux
 * EXIT:       0
 * STDOUT:     aux ran
 * EXPECT-FILE-COUNT: %t.json* 1
 * EXPECT:     definitely_lost bytes=150 blocks=1 frame0=before_exec file=exec_not_followed.c
 * EXPECT-NOT: definitely_lost frame0=aux_leak
 * VALGRIND:   skip the point is memplumber's option (valgrind --trace-children=no does the same)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE void before_exec(void)
{
    char *p = malloc(150);
    memset(p, 'b', 150);
    USE(p);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    before_exec();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(argv[1], argv[1], "from-exec", (char *)NULL);
        perror("execl");
        _exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
