// A program that enters new namespaces (user, then mount), as sandboxes and container tools do:
// the kernel allows it only in a single-threaded process, so memplumber must not have started a
// thread of its own in it. Natively refused (EPERM in some containers)? Then both runs print that.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *keep = malloc(64);
    strcpy(keep, "before unshare");
    int r = unshare(CLONE_NEWUSER);
    printf("unshare(CLONE_NEWUSER): %s\n", r ? strerror(errno) : "ok");
    if (r == 0) {
        r = unshare(CLONE_NEWNS);
        printf("unshare(CLONE_NEWNS): %s\n", r ? strerror(errno) : "ok");
    }
    free(keep);
    return r ? 3 : 0;
}
