// A preload that interposes dlsym (as GL shims, frame limiters and VirtualGL's dlfaker do) and
// forwards to glibc's through dlvsym, put in front of whatever LD_PRELOAD holds by the program,
// which then re-execs itself: under memplumber, LD_PRELOAD=./libshim.so:libmemplumber.so. glibc
// takes the shim for the caller of every dlsym(RTLD_NEXT) memplumber makes, so "the next malloc"
// was memplumber's own hook: endless recursion, SIGSEGV before main. The program (a thread, a
// fork, a leak) must run as natively, and the leak be reported.
// SETUP: printf '#define _GNU_SOURCE\n#include <dlfcn.h>\nstatic long n;\nvoid *dlsym(void *h, const char *s) {\n  static void *(*real)(void *, const char *);\n  if (!real) real = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");\n  if (!real) real = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");\n  n++;\n  return real(h, s);\n}\n' > shim.c && gcc -shared -fPIC -O1 -o libshim.so shim.c -ldl
// JSON-CHECK: j['summary']['definitely_lost']['bytes'] >= 64
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *run(void *arg)
{
    char *p = malloc(100);
    strcpy(p, "thread");
    free(p);
    return arg;
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("REEXECED")) {
        char cwd[4096], pre[8192];
        const char *old = getenv("LD_PRELOAD");
        if (!getcwd(cwd, sizeof cwd))
            return 98;
        snprintf(pre, sizeof pre, "%s/libshim.so%s%s", cwd, old && *old ? ":" : "", old && *old ? old : "");
        setenv("LD_PRELOAD", pre, 1);
        setenv("REEXECED", "1", 1);
        execv("/proc/self/exe", argv);
        perror("execv");
        return 99;
    }
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    pthread_join(t, NULL);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    int st = 0;
    waitpid(c, &st, 0);
    char *volatile lost = malloc(64);
    lost = NULL;
    printf("child %d\n", WEXITSTATUS(st));
    return 2;
}
