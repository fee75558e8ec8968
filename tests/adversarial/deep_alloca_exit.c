// 20,000 frames of recursion, each with an alloca'd buffer holding the previous level's heap
// block; at the bottom the program calls exit(0). Every block is reachable only from the stack
// (the report scans the deep stack from exit's frame) except one dropped on purpose.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 29
// JSON-CHECK: j["summary"]["still_reachable"]["blocks"] >= 20000
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void down(int n, void *prev)
{
    void **slot = alloca(sizeof(void *) * 4);
    slot[0] = malloc(16);
    slot[1] = prev;
    if (n == 0) {
        char *leak = malloc(29);
        leak[0] = 0;
        leak = NULL;
        printf("bottom\n");
        exit(0);
    }
    down(n - 1, slot);
    free(slot[0]);
}

int main(void)
{
    down(20000, NULL);
    return 1;
}
