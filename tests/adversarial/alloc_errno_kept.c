// errno is the program's: a successful malloc, calloc, realloc, free, posix_memalign,
// aligned_alloc and operator new leave it as the program set it, at the very first allocation
// (memplumber's start-up), at the first allocation of a new thread, on a coroutine stack (where
// memplumber checks pages it walks) and in a forked child. glibc's allocator keeps errno on
// success; a program that sets errno = 0, allocates, then reads errno (after strtol, say) must
// read what it reads natively.
// LIBS: -lstdc++
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

void *_Znwm(size_t);
void _ZdlPv(void *);

static int bad;
static void *keep[64];
static int nkeep;

static void round_of(const char *where)
{
    static const int marks[] = {0, EBADF, ENOENT, EINTR, ENOMEM};
    for (unsigned m = 0; m < sizeof marks / sizeof *marks; m++) {
        void *p;
        errno = marks[m]; p = malloc(24);
        if (errno != marks[m]) { printf("%s malloc: errno %d\n", where, errno); bad++; }
        errno = marks[m]; p = realloc(p, 4000);
        if (errno != marks[m]) { printf("%s realloc: errno %d\n", where, errno); bad++; }
        errno = marks[m]; free(p);
        if (errno != marks[m]) { printf("%s free: errno %d\n", where, errno); bad++; }
        errno = marks[m]; p = calloc(3, 300000);
        if (errno != marks[m]) { printf("%s calloc big: errno %d\n", where, errno); bad++; }
        errno = marks[m]; free(p);
        if (errno != marks[m]) { printf("%s free big: errno %d\n", where, errno); bad++; }
        errno = marks[m];
        if (posix_memalign(&p, 256, 100) == 0) {
            if (errno != marks[m]) { printf("%s posix_memalign: errno %d\n", where, errno); bad++; }
            errno = marks[m]; free(p);
        }
        errno = marks[m]; p = aligned_alloc(64, 128);
        if (errno != marks[m]) { printf("%s aligned_alloc: errno %d\n", where, errno); bad++; }
        free(p);
        errno = marks[m]; p = _Znwm(40);
        if (errno != marks[m]) { printf("%s new: errno %d\n", where, errno); bad++; }
        errno = marks[m]; _ZdlPv(p);
        if (errno != marks[m]) { printf("%s delete: errno %d\n", where, errno); bad++; }
        errno = marks[m]; p = strdup(where);
        if (errno != marks[m]) { printf("%s strdup: errno %d\n", where, errno); bad++; }
        if (nkeep < 64) keep[nkeep++] = p; else free(p);
    }
}

static void *thr(void *a)
{
    (void)a;
    round_of("thread");
    return NULL;
}

static ucontext_t mctx, cctx;
static void coro(void)
{
    round_of("coroutine");
}

static void deep(int n, const char *w)
{
    char pad[2000];
    memset(pad, n, sizeof pad);
    __asm__ volatile("" : : "r"(pad) : "memory");
    if (n)
        deep(n - 1, w);
    else
        round_of(w);
}

int main(void)
{
    errno = EBADF;
    void *first = malloc(10);
    if (errno != EBADF) { printf("first malloc: errno %d\n", errno); bad++; }
    free(first);
    round_of("main");
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_join(t, NULL);
    char *stk = malloc(256 * 1024);
    getcontext(&cctx);
    cctx.uc_stack.ss_sp = stk;
    cctx.uc_stack.ss_size = 256 * 1024;
    cctx.uc_link = &mctx;
    makecontext(&cctx, coro, 0);
    swapcontext(&mctx, &cctx);
    deep(40, "deep");
    pid_t pid = fork();
    if (pid == 0) {
        round_of("child");
        fflush(stdout);
        _exit(bad ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d, bad %d\n", WEXITSTATUS(st), bad);
    return bad ? 1 : 0;
}
