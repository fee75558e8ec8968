// Built with -fno-asynchronous-unwind-tables -fomit-frame-pointer: gcc writes the call-frame
// information to .debug_frame only (not loaded with the program; .eh_frame has none for these
// functions) and no frame pointer chain is there to fall back on. valgrind reads .debug_frame
// from the file and shows whole stacks; memplumber's stacks ended at the allocating function.
// Leaks from three depths, each stack ending at main, with the memo and the stack cache, in the
// main thread and in a thread.
// LIBS: -fno-asynchronous-unwind-tables -fomit-frame-pointer
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 2 * (3 + 5 + 7)
// JSON-CHECK: sorted([f["function"] for f in l["stack"]] for l in j["leaks"] if l["kind"] == "definitely_lost" and l["stack"][-1]["function"] == "main") == [["leaf", "mid", "top", "main"], ["leaf", "top", "main"], ["top", "main"]]
// JSON-CHECK: sorted(fs[:fs.index("worker") + 1] for fs in ([f["function"] for f in l["stack"]] for l in j["leaks"] if l["kind"] == "definitely_lost") if "worker" in fs) == [["leaf", "mid", "top", "worker"], ["leaf", "top", "worker"], ["top", "worker"]]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) void leaf(int n)
{
    for (int i = 0; i < 100; i++) {
        void *p = malloc(16 + i);
        sink = p;
        free(p);
    }
    sink = malloc(10 + n);
}

__attribute__((noinline)) void mid(int n)
{
    leaf(n);
    sink = 0;
}

__attribute__((noinline)) void top(int n)
{
    for (int i = 0; i < 7; i++)
        mid(n);
    for (int i = 0; i < 5; i++)
        leaf(n);
    for (int i = 0; i < 3; i++)
        sink = malloc(20);
    sink = 0;
}

__attribute__((noinline)) void *worker(void *arg)
{
    top(1);
    return arg;
}

int main(void)
{
    top(0);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
