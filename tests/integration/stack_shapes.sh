#!/usr/bin/env bash
# Allocation stacks in the shapes where the unwinder's shortcuts (walk memo, same-stack answer,
# the anchors at the bottom of each thread's stack) could go wrong, compared pc for pc with the
# stack the program itself sees at each leak through glibc's backtrace() (libgcc's unwinder):
# the main thread, threads started through memplumber's pthread_create and through libc's own
# (no trampoline), recursion beyond the 30 frames kept and around that limit, a signal handler in
# a thread, a longjmp out of deeper frames, a coroutine on a stack of its own (memplumber may go
# on past __start_context, where backtrace() stops: compared as a prefix), with and without
# --show-below-main. Leaks whose stacks are equal share a loss record (its bytes are their sum).
# Exit 0 = pass, 1 = fail, 77 = skipped (gcc or python3 missing).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v gcc >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
[ -x "$root/build/memplumber" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.c" <<'SRC'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int sink_v;

/* Leaks a block of n bytes (n names the leak) and prints n and the return addresses from the
 * caller of this function outwards, as backtrace() sees them. */
NOINLINE void leak(size_t n)
{
    void *p = malloc(n);
    void *bt[128];
    int k = backtrace(bt, 128);
    pthread_mutex_lock(&out_lock);
    printf("%zu", n);
    for (int i = 1; i < k; i++) {
        Dl_info di;
        const char *tag = "";
        if (dladdr((char *)bt[i] - 1, &di)) {
            if (di.dli_sname && !strcmp(di.dli_sname, "main"))
                tag = ":main";
            else if (di.dli_fname && strstr(di.dli_fname, "libmemplumber"))
                tag = ":self";
        }
        printf(" %#lx%s", (unsigned long)(uintptr_t)bt[i], tag);
    }
    printf("\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    memset(p, 0, n);
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* Allocations that are freed: they make the unwinder record and use its shortcuts first. */
NOINLINE void churn(int k)
{
    for (int i = 0; i < k; i++) {
        void *p = malloc(16 + (size_t)i);
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
    }
}

NOINLINE int rec(int d, size_t n)
{
    volatile char pad[24 + 8 * (d & 3)];
    pad[0] = (char)d;
    churn(3);
    if (d > 0)
        return rec(d - 1, n) + pad[0];
    leak(n);
    return pad[0];
}
static int (*volatile rec_ptr)(int, size_t) = rec;

/* signal handler: allocates on the thread's stack, through the kernel's signal frame */
static __thread volatile size_t sig_size; /* each thread's own, as jb: the workers run at once */
static void on_usr1(int sig)
{
    (void)sig;
    rec_ptr(2, sig_size);
}

static __thread jmp_buf jb; /* shared, a worker's longjmp took another's registers and stack */
NOINLINE void jump_deep(int d)
{
    volatile char pad[64];
    pad[0] = (char)d;
    churn(2);
    if (d > 0)
        jump_deep(d - 1);
    longjmp(jb, 1 + pad[0]);
}

/* a coroutine on a stack of its own (malloc'ed) inside the thread */
static ucontext_t co_main, co_ctx;
static void co_fn(void)
{
    churn(4);
    rec_ptr(3, 1999);
    swapcontext(&co_ctx, &co_main);
}

static void *worker(void *arg)
{
    size_t base = (size_t)(uintptr_t)arg;
    churn(50);
    rec_ptr(1, base + 1);
    rec_ptr(6, base + 2);
    rec_ptr(45, base + 3); /* deeper than the 30 frames kept */
    rec_ptr(24, base + 4); /* around the 30-frame limit */
    rec_ptr(25, base + 5);
    rec_ptr(26, base + 6);
    sig_size = base + 7;
    raise(SIGUSR1);
    if (!setjmp(jb))
        jump_deep(5);
    rec_ptr(4, base + 8); /* after a longjmp out of deeper frames */
    if (base == 1100) {
        static char stack[256 * 1024];
        getcontext(&co_ctx);
        co_ctx.uc_stack.ss_sp = stack;
        co_ctx.uc_stack.ss_size = sizeof stack;
        co_ctx.uc_link = &co_main;
        makecontext(&co_ctx, co_fn, 0);
        swapcontext(&co_main, &co_ctx);
        rec_ptr(2, base + 9); /* back on the thread's own stack */
    }
    return NULL;
}

int main(void)
{
    void *bt[4];
    backtrace(bt, 4); /* libgcc is loaded now, not at the first leak */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    churn(20);
    rec_ptr(3, 1001);
    rec_ptr(40, 1002);
    /* threads started through the program's pthread_create (memplumber's, when preloaded) */
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(1100 + 100 * i));
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    /* a thread started by libc's own pthread_create, around memplumber's */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    int (*libc_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
        libc ? (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(libc, "pthread_create") : NULL;
    if (libc_create && libc_create(&t[0], NULL, worker, (void *)(uintptr_t)1500) == 0)
        pthread_join(t[0], NULL);
    rec_ptr(5, 1003);
    return 0;
}
SRC
echo '{ main; };' >"$tmp/dyn.list"
# main exported (and only main: a program exporting common names would interpose on libraries),
# so that dladdr() can tell which frame is main's
gcc -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -Wl,--dynamic-list="$tmp/dyn.list" \
    -pthread "$tmp/prog.c" -o "$tmp/prog" -ldl || exit 1
cat >"$tmp/cmp.py" <<'PY'
import json, sys
out, rep, below = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
depth = 30
PREFIX_SIZE = 1999  # the coroutine: backtrace() stops at __start_context, memplumber may go on
groups = {}
for line in open(out):
    tok = line.split()
    n = int(tok[0])
    walk = ["leak"]
    for t in tok[1:]:
        pc, _, tag = t.partition(":")
        walk.append((int(pc, 16), tag))
        if tag == "main" and not below:
            break
    walk = tuple(walk[:depth])
    groups.setdefault(walk, []).append(n)
r = json.load(open(rep))
bad = 0
for walk, sizes in groups.items():
    exp = tuple(pc for pc, tag in walk[1:] if tag != "self")
    recs = [l for l in r["leaks"] if l["bytes"] == sum(sizes)]
    if len(recs) != 1:
        print("leaks %s: %d records of %d bytes" % (sizes, len(recs), sum(sizes))); bad += 1; continue
    got = tuple(int(f["pc"], 16) + 1 for f in recs[0]["stack"][1:])
    if sizes == [PREFIX_SIZE]:
        got = got[:len(exp)]
    if got != exp:
        bad += 1
        print("leaks %s: stack differs" % sizes)
        for i in range(max(len(got), len(exp))):
            g = "%#x" % got[i] if i < len(got) else "-"
            e = "%#x" % exp[i] if i < len(exp) else "-"
            print("   %2d %-16s %-16s %s" % (i + 1, g, e, "" if g == e else "<-"))
print("%d stacks compared, %d differ" % (len(groups), bad))
sys.exit(1 if bad else 0)
PY
status=0
for below in no yes; do
    # --run-libc-freeres=no: libc's freeres unloads libgcc_s, which backtrace() loaded
    "$root/build/memplumber" --run-libc-freeres=no --show-below-main=$below --json "$tmp/r.json" \
        -- "$tmp/prog" >"$tmp/out.txt" 2>"$tmp/err.txt" || { echo "run failed (show_below_main=$below)"; tail -5 "$tmp/err.txt"; exit 1; }
    echo "show_below_main=$below:"
    python3 "$tmp/cmp.py" "$tmp/out.txt" "$tmp/r.json" $below || status=1
done
exit $status
