// Fault signals set to SIG_IGN are inherited by every child the program starts, however it
// starts it: posix_spawn, posix_spawnp, system and popen (glibc reaches exec for these without
// the exported exec functions). memplumber keeps its own handler in place of the program's
// SIG_IGN; it must hand the children the real SIG_IGN, as natively, not SIG_DFL. Each child
// prints what it inherited and ignores a raise of each signal.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 31
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

static int child(const char *how)
{
    char line[128] = "";
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction q;
        sigaction(sigs[i], NULL, &q);
        strcat(line, q.sa_handler == SIG_IGN ? " ign" : q.sa_handler == SIG_DFL ? " dfl" : " handler");
        if (q.sa_handler == SIG_IGN)
            raise(sigs[i]);
    }
    printf("child via %s:%s\n", how, line);
    return 0;
}

static void wait_for(pid_t pid, const char *how)
{
    int st = 0;
    waitpid(pid, &st, 0);
    printf("%s: status %d\n", how, st);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 2)
        return child(argv[2]);
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_IGN);
    fflush(stdout);

    char *a1[] = {argv[0], "child", "posix_spawn", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, a1, environ) == 0)
        wait_for(pid, "posix_spawn");
    char *a2[] = {argv[0], "child", "posix_spawnp", NULL};
    if (posix_spawnp(&pid, "/proc/self/exe", NULL, NULL, a2, environ) == 0)
        wait_for(pid, "posix_spawnp");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "exec '%s' child system", argv[0]);
    printf("system: %d\n", system(cmd));
    fflush(stdout);
    snprintf(cmd, sizeof cmd, "exec '%s' child popen", argv[0]);
    FILE *p = popen(cmd, "r");
    char buf[256];
    while (p && fgets(buf, sizeof buf, p))
        fputs(buf, stdout);
    printf("pclose: %d\n", p ? pclose(p) : -1);

    /* the parent's own SIG_IGN still holds */
    raise(SIGSEGV);
    char *leak = malloc(31);
    memset(leak, 1, 31);
    leak = NULL;
    printf("parent done\n");
    return 0;
}
