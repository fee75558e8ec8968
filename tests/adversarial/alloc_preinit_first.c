// The process's first allocation made from the executable's .preinit_array: it runs before any
// library's constructor (memplumber's too) and before libc has set environ (getenv finds
// nothing there, natively). memplumber starts inside that malloc: errno stays as the program
// set it, main finds its environment (memplumber's start-up dlopen made ld.so initialise libc
// with environ as it was then: NULL for good), and MEMPLUMBER_OPTIONS is read all the same (the
// JSON report this test asks for is written, with the block lost there).
// RUN: ADV_MARK=here $PROG
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
// JSON-CHECK: any(l["kind"] == "definitely_lost" and l["stack"][0].get("function") == "early" for l in j["leaks"])
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;
static char early_out[512];

static void early(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv;
    int had_environ = environ != NULL, had_path = getenv("PATH") != NULL;
    errno = EBADF;
    char *p = malloc(33);
    int e_malloc = errno;
    memset(p, 'x', 33);
    errno = EBADF;
    char *q = calloc(4, 8);
    int e_calloc = errno;
    errno = EBADF;
    free(q);
    int e_free = errno;
    snprintf(early_out, sizeof early_out,
             "preinit: errno after malloc %d, calloc %d, free %d; environ %s, getenv(PATH) %s, "
             "envp %s\n", e_malloc, e_calloc, e_free, had_environ ? "set" : "NULL",
             had_path ? "found" : "NULL", envp && envp[0] ? "given" : "empty");
    p = NULL; /* lost */
}
__attribute__((section(".preinit_array"), used)) static void (*early_ptr)(int, char **, char **) = early;

static __attribute__((noinline)) void scrub(void)
{
    volatile char pad[8192];
    memset((char *)pad, 0, sizeof pad);
}

int main(void)
{
    scrub();
    fputs(early_out, stdout);
    printf("main: environ %s, getenv(PATH) %s, getenv(ADV_MARK) %s\n", environ ? "set" : "NULL",
           getenv("PATH") ? "found" : "NULL", getenv("ADV_MARK") ? getenv("ADV_MARK") : "NULL");
    return 0;
}
