// A program that installs dispositions with the raw system call (syscall(SYS_rt_sigaction), as
// language runtimes do): a handler on SIGUSR1 and SIGHUP (where memplumber's fatal-signal
// handler stood) and SIG_IGN on SIGTERM; it reads them back with sigaction(), fails an exec
// (memplumber puts dispositions back around it), raises the signals. Its handler runs every
// time and SIGTERM stays ignored; sigaction() read SIG_DFL for all three under memplumber (its
// own record of the program's dispositions, never told of the raw call): it must show what the
// kernel has, as natively.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ksa {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

void restore_rt(void);
__asm__(".text\n.globl restore_rt\nrestore_rt:\n\tmov $15, %rax\n\tsyscall\n");

static volatile int hits;
static void h(int s) { (void)s; hits++; }

static void raw(int sig, void (*fn)(int))
{
    struct ksa k = {fn, 0x04000000 /* SA_RESTORER */ | SA_RESTART, restore_rt, 0};
    long rc = syscall(SYS_rt_sigaction, sig, &k, NULL, 8);
    printf("raw rt_sigaction(%d) = %ld\n", sig, rc);
}

static void show(int sig)
{
    struct sigaction o;
    sigaction(sig, NULL, &o);
    printf("sigaction(%d): %s\n", sig, o.sa_handler == h ? "program's handler" : o.sa_handler == SIG_IGN ? "SIG_IGN" : o.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
}

int main(void)
{
    void *p = malloc(10);
    raw(SIGUSR1, h);
    raw(SIGHUP, h);
    raw(SIGTERM, SIG_IGN);
    show(SIGUSR1);
    show(SIGTERM);
    raise(SIGUSR1);
    printf("hits %d\n", hits);
    char *argv[] = {"/nonexistent/prog", NULL};
    execv(argv[0], argv);
    printf("exec failed\n");
    raise(SIGUSR1);
    raise(SIGHUP);
    raise(SIGTERM);
    printf("hits %d\n", hits);
    show(SIGUSR1);
    signal(SIGUSR2, h);
    raise(SIGUSR2);
    printf("hits %d\n", hits);
    free(p);
    return 0;
}
