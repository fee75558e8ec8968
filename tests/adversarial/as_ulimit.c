// The same as as_exhaust, with the limit set by the shell (ulimit -v, soft and hard) before the
// program starts: it allocates until malloc fails, frees one block and exits 0; the report is rendered by the
// memplumber command (under the same limit) with symbols and the right totals.
// ULIMIT-V: 262144
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 2
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 77 + 4096
// JSON-CHECK: j["summary"]["indirectly_lost"]["blocks"] == int(open(os.path.join(os.path.dirname(jpath), "count")).read()) - 1
// JSON-CHECK: any(f.get("function") == "main" for l in j["leaks"] for f in l["stack"])
// REPORT-STDERR: yes
// STDERR-HAS: in loss record
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *leak = malloc(77);
    leak[0] = 1;
    leak = NULL;
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
    /* Give one block back before going on, as a program that meets ENOMEM does: whether the
     * heap's last region has room left for fopen's buffer after malloc failed is luck (the
     * remainder of glibc's last 1 MiB region), natively as under memplumber. */
    if (head) {
        void **top = head;
        head = *top;
        free(top);
        n--;
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
