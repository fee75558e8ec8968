// gcc -fsplit-stack, linked with ld.bfd (no __morestack_non_split: a call into libc runs on
// whatever is left of the current stack segment), recursing through frames of five sizes so that
// malloc runs at every depth of a segment, with --num-callers=500. memplumber once kept a capture
// deeper than 64 frames in a 4 KiB array on the program's stack: the hook ran off the end of the
// segment (SIGSEGV) where the program runs natively. Stacks still go through the segments
// (__morestack frames). (A leaked block may stay reachable: the segments keep stale words.)
// LIBS: -fsplit-stack
// OPTIONS: depth=500
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] + j["summary"]["still_reachable"]["blocks"] == 11
// JSON-CHECK: all(len(l["stack"]) == 500 for l in j["leaks"] if l["kind"] == "definitely_lost")
// JSON-CHECK: any(f["function"] == "__morestack" for l in j["leaks"] for f in l["stack"])
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink;
int rec(int d);
#define R(name, n)                                                                             \
    __attribute__((noinline)) int name(int d)                                                  \
    {                                                                                          \
        char buf[n];                                                                           \
        memset(buf, d, sizeof buf);                                                            \
        void *p = malloc(16 + d % 50);                                                         \
        sink = p;                                                                              \
        free(p);                                                                               \
        if (d == 0)                                                                            \
            sink = malloc(5); /* leaked at the next round's bottom */                          \
        return d ? rec(d - 1) + buf[3] : buf[1];                                               \
    }
R(r1, 24) R(r2, 136) R(r3, 520) R(r4, 1000) R(r5, 72)

int rec(int d)
{
    switch (d % 7) {
    case 0: case 5: return r1(d);
    case 1: return r2(d);
    case 2: case 6: return r3(d);
    case 3: return r4(d);
    default: return r5(d);
    }
}

int main(void)
{
    long r = 0;
    for (int i = 0; i < 11; i++)
        r += rec(1000 + i);
    printf("%ld\n", r);
    return 0;
}
