// RLIMIT_AS set just above the program's use, then three threads malloc until it fails (each
// keeps its own list), the main thread joins them, drops the lists and exits 0. The report is
// rendered by the memplumber command, with symbols: the 77-byte block and the three heads
// definitely lost, every other node indirectly lost. (brk fails early here, so glibc's main
// arena takes its memory with mmap: those mappings are the allocator's, not roots.)
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 4
// JSON-CHECK: j["summary"]["indirectly_lost"]["blocks"] == int(open(os.path.join(os.path.dirname(jpath), "count")).read()) - 3
// JSON-CHECK: j["summary"]["still_reachable"]["blocks"] == 0
// JSON-CHECK: any(f.get("function") == "grow" for l in j["leaks"] for f in l["stack"])
// REPORT-STDERR: yes
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long vm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char l[256];
    long v = 0;
    while (fgets(l, sizeof l, f))
        if (!strncmp(l, "VmSize:", 7))
            v = atol(l + 7);
    fclose(f);
    return v;
}

static void *heads[3];
static long counts[3];

static pthread_barrier_t first_done;

static void *grow(void *arg)
{
    long i = (long)arg;
    void **head = NULL;
    /* every thread has its first block before any of them runs the others out of memory (under
     * load, a thread started last could find nothing left, natively as under memplumber) */
    void **p0 = malloc(1024);
    if (p0) {
        *p0 = NULL;
        head = p0;
        counts[i]++;
    }
    pthread_barrier_wait(&first_done);
    for (;;) {
        void **p = malloc(1024);
        if (!p)
            break;
        *p = head;
        head = p;
        counts[i]++;
    }
    heads[i] = head;
    return NULL;
}

int main(void)
{
    char *leak = malloc(77);
    leak[0] = 1;
    leak = NULL;
    /* the threads' stacks first, then the limit */
    pthread_t t[3];
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 1 << 20);
    struct rlimit r;
    r.rlim_cur = r.rlim_max = (rlim_t)(vm_kib() + 3 * 1024 + 24 * 1024) * 1024;
    if (setrlimit(RLIMIT_AS, &r))
        return 2;
    pthread_barrier_init(&first_done, NULL, 3);
    for (long i = 0; i < 3; i++)
        if (pthread_create(&t[i], &at, grow, (void *)i))
            return 3;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    FILE *f = fopen("count", "w");
    if (f) {
        fprintf(f, "%ld\n", counts[0] + counts[1] + counts[2]);
        fclose(f);
    }
    printf("threads done, every list %s\n", counts[0] && counts[1] && counts[2] ? "non-empty" : "empty?");
    for (int i = 0; i < 3; i++)
        heads[i] = NULL;
    return 0;
}
