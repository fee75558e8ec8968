// An executable linked with -Wl,--no-eh-frame-hdr: its .eh_frame is loaded but there is no
// PT_GNU_EH_FRAME segment to find it by (_dl_find_object reports no eh_frame). valgrind and gdb
// read the section from the file; memplumber's walks stopped at the first frame in such an
// object and never found main to stop at. The leak's stack must be the whole call path, ending
// at main as valgrind shows it. Built without frame pointers (as -O2 builds are): a chain of
// saved rbp would otherwise stand in for the missing unwind tables.
// LIBS: -Wl,--no-eh-frame-hdr -fomit-frame-pointer
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 123 and j["summary"]["definitely_lost"]["blocks"] == 1
// JSON-CHECK: [[f["function"] for f in l["stack"]] for l in j["leaks"] if l["kind"] == "definitely_lost"] == [["leaf", "mid", "mid", "mid", "top", "main"]]
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink;

__attribute__((noinline)) static void *leaf(size_t n)
{
    char pad[100];
    memset(pad, 1, sizeof pad);
    sink = pad;
    return malloc(n);
}

__attribute__((noinline)) static void *mid(int d, size_t n)
{
    char pad[700];
    memset(pad, d, sizeof pad);
    sink = pad;
    void *p = d ? mid(d - 1, n) : leaf(n);
    sink = 0;
    return p;
}

__attribute__((noinline)) static void *top(size_t n)
{
    void *p = mid(2, n);
    sink = 0;
    return p;
}

/* The executable is the first object dl_iterate_phdr reports. */
static int has_eh_frame_hdr(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
            *(int *)data = 1;
    return 1;
}

int main(void)
{
    int hdr = 0;
    dl_iterate_phdr(has_eh_frame_hdr, &hdr);
    if (hdr) {
        puts("linked with an .eh_frame_hdr: the test proves nothing");
        return 2;
    }
    for (int i = 0; i < 3; i++) {
        void *p = top(123);
        if (i < 2)
            free(p);
    }
    puts("done");
    return 0;
}
