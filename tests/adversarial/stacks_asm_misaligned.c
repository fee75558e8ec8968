// Hand-written assembly without CFI that calls malloc, calloc, realloc and free with rsp off by
// 8 from the ABI's 16-byte alignment (a JIT or an old asm routine may). glibc's allocator works
// with any alignment, so this runs natively; memplumber's hooks must not fault on an aligned SSE
// store to their own frame. The leaks' stacks are what valgrind shows: the asm routine, then
// the frame whose return address the routine's caller left (no CFI: level2 is skipped).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 101 + 102 + 3 * 8 + 300
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 4
// JSON-CHECK: j["summary"]["total_freed"]["blocks"] >= 3 * 4
// JSON-CHECK: all(l["stack"][0]["function"].startswith("asm_") for l in j["leaks"] if l["kind"] == "definitely_lost")
// JSON-CHECK: all([f["function"] for f in l["stack"][1:]] == ["level1", "main"] for l in j["leaks"] if l["kind"] == "definitely_lost")
#include <stdio.h>
#include <stdlib.h>

/* Each routine enters with rsp = 8 mod 16 (the call pushed the return address) and calls on
 * without adjusting it: the callee starts with rsp = 0 mod 16, off by 8. */
__asm__(".text\n"
        ".globl asm_malloc\n.type asm_malloc,@function\n"
        "asm_malloc:\n call malloc@PLT\n ret\n.size asm_malloc,.-asm_malloc\n"
        ".globl asm_calloc\n.type asm_calloc,@function\n"
        "asm_calloc:\n call calloc@PLT\n ret\n.size asm_calloc,.-asm_calloc\n"
        ".globl asm_realloc\n.type asm_realloc,@function\n"
        "asm_realloc:\n call realloc@PLT\n ret\n.size asm_realloc,.-asm_realloc\n"
        ".globl asm_free\n.type asm_free,@function\n"
        "asm_free:\n call free@PLT\n ret\n.size asm_free,.-asm_free\n");
void *asm_malloc(size_t n);
void *asm_calloc(size_t n, size_t m);
void *asm_realloc(void *p, size_t n);
void asm_free(void *p);

void *volatile sink;

__attribute__((noinline)) void level2(int round)
{
    void *a = asm_malloc(101), *b = asm_malloc(102), *c = asm_calloc(3, 8);
    void *d = asm_realloc(asm_malloc(10), 300);
    if (round) {
        asm_free(a);
        asm_free(b);
        asm_free(c);
        asm_free(d);
    }
    sink = 0;
}

__attribute__((noinline)) void level1(int round)
{
    level2(round);
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    for (int round = 3; round >= 0; round--)
        level1(round);
    puts("done");
    return 0;
}
