// RLIMIT_AS set just above the program's use, then malloc until it fails, and exit 0: the
// report library cannot be loaded in the process at exit, the memplumber command renders the
// report in a fresh process. The leak totals must be right (one 77-byte block and the list's
// head definitely lost, the rest of the list indirectly lost) and the stacks symbolized.
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 2
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 77 + 4096
// JSON-CHECK: j["summary"]["indirectly_lost"]["blocks"] == int(open(os.path.join(os.path.dirname(jpath), "count")).read()) - 1
// JSON-CHECK: any(f.get("function") == "main" for l in j["leaks"] for f in l["stack"])
// REPORT-STDERR: yes
// STDERR-HAS: in loss record
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

int main(void)
{
    char *leak = malloc(77);
    leak[0] = 1;
    leak = NULL;
    struct rlimit r;
    r.rlim_cur = r.rlim_max = (rlim_t)(vm_kib() + 16 * 1024) * 1024;
    if (setrlimit(RLIMIT_AS, &r))
        return 2;
    void **head = NULL;
    long n = 0;
    for (;;) {
        void **p = malloc(4096);
        if (!p)
            break;
        *p = head;
        head = p;
        n++;
    }
    FILE *f = fopen("count", "w");
    if (f) {
        fprintf(f, "%ld\n", n);
        fclose(f);
    }
    printf("malloc failed after %s\n", n > 100 ? "many blocks" : "few blocks");
    head = NULL;
    return 0;
}
