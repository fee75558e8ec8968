// RLIMIT_AS set just above the program's use, malloc until it fails, exit 0, with JSON, SARIF,
// HTML and valgrind XML reports asked for. The memplumber command renders all of them; the
// program's SIGCHLD handler (it prints on stdout, compared with the native run) never runs for
// memplumber's helper processes.
// OPTIONS: sarif=mp.sarif:html=mp.html:xml_file=mp.xml
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 2
// JSON-CHECK: '"ruleId"' in open(os.path.join(os.path.dirname(jpath), "mp.sarif")).read()
// JSON-CHECK: "<html" in open(os.path.join(os.path.dirname(jpath), "mp.html")).read().lower()
// JSON-CHECK: "<valgrindoutput>" in open(os.path.join(os.path.dirname(jpath), "mp.xml")).read()
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void on_child(int sig)
{
    (void)sig;
    write(1, "SIGCHLD\n", 8);
}

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

int main(void)
{
    signal(SIGCHLD, on_child);
    char *leak = malloc(77);
    leak[0] = 1;
    leak = NULL;
    struct rlimit r;
    r.rlim_cur = r.rlim_max = (rlim_t)(vm_kib() + 16 * 1024) * 1024;
    if (setrlimit(RLIMIT_AS, &r))
        return 2;
    void **head = NULL;
    for (;;) {
        void **p = malloc(4096);
        if (!p)
            break;
        *p = head;
        head = p;
    }
    printf("malloc failed\n");
    head = NULL;
    return 0;
}
