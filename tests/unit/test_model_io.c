// SOURCES: src/common/model_io.c src/common/fmt.c
/* The report model as a byte stream (src/common/model_io.c), the way a report reaches
 * `memplumber --render-model` when the observed process cannot write it: every field written is
 * read back equal (counts, records, errors, stacks with their return addresses, modules with
 * their paths, argv, the options' strings and descriptors, snapshots, growth); NULL strings stay
 * NULL; the result pointer is not carried; a stream cut short anywhere, or one from another build
 * (a different header), is refused with a reason instead of read. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "common/model_io.h"

/* The reader never frees what it allocates (the command exits after one report): a pool here. */
static _Alignas(16) char pool[1 << 20];
static size_t pool_used;

static void *pool_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof pool - pool_used)
        return NULL;
    void *p = pool + pool_used;
    pool_used += n;
    return p;
}

int main(void)
{
    static const uintptr_t pcs1[] = {0x401136, 0x401200, 0x7f0000001234};
    struct mp_stack stacks[3] = {{NULL, 0, 0}, {pcs1, 3, 1}, {pcs1 + 1, 1, 2}};
    struct mp_module mods[2] = {
        {.path = "/bin/prog", .file = "/proc/42/map_files/401000-402000", .base = 0x400000,
         .lo = 0x401000, .hi = 0x402000, .unload_gen = 0},
        {.path = "/lib/libc.so.6", .base = 0x7f0000000000, .lo = 0x7f0000001000,
         .hi = 0x7f0000100000, .unload_gen = 3}};
    struct mp_loss_record recs[2];
    memset(recs, 0, sizeof recs);
    recs[0] = (struct mp_loss_record){.kind = 0, .allocator = 1, .bytes = 48, .blocks = 3, .stack = 1,
                                      .indirect_bytes = 16, .bytes_increase = -5};
    recs[1] = (struct mp_loss_record){.kind = 3, .bytes = 7, .blocks = 1, .stack = 2};
    struct mp_error_record errs[1] = {{.kind = 2, .address = 0x1234, .count = 2, .stack = 1}};
    struct mp_snapshot snaps[2] = {{1000, 10, 1}, {2000, 20, 2}};
    struct mp_growth growth[1] = {{12.5, 100, 4, 2}};
    char *argv[] = {"./prog", "arg with \"quotes\"", NULL};
    struct mp_report_result result;

    struct mp_report_input in;
    memset(&in, 0, sizeof in);
    in.abi = MP_REPORT_ABI;
    in.pid = 4242;
    in.argc = 2;
    in.argv = argv;
    in.reason = "exit";
    in.lost[0] = (struct mp_count){48, 3};
    in.lost[3] = (struct mp_count){7, 1};
    in.total_allocated = (struct mp_count){1000, 10};
    in.error_count = 2;
    in.records = recs;
    in.nrecords = 2;
    in.errors = errs;
    in.nerrors = 1;
    in.stacks = stacks;
    in.nstacks = 3;
    in.modules = mods;
    in.nmodules = 2;
    in.opt.text_fd = 5;
    in.opt.json_path = "/tmp/r.json";
    in.opt.leak_check = 2;
    in.opt.show_kinds = 15;
    in.opt.report_mode = 0600;
    in.opt.xml_fd = -1;
    in.opt.result = &result;
    in.report_seq = 3;
    in.snapshots_on = 1;
    in.snapshots = snaps;
    in.nsnapshots = 2;
    in.growth = growth;
    in.ngrowth = 1;

    int fd = memfd_create("t", 0);
    CHECK(fd >= 0, "memfd");
    CHECK(mp_model_write(fd, &in) == 0, "write");
    off_t len = lseek(fd, 0, SEEK_END);
    static char buf[65536];
    CHECK(len < (off_t)sizeof buf, "small model");
    CHECK(pread(fd, buf, (size_t)len, 0) == len, "read back");

    struct mp_report_input out;
    char why[200];
    CHECK(mp_model_read(buf, (size_t)len, &out, pool_alloc, why, sizeof why) == 0, "read: %s", why);
    CHECK_UL(out.abi, MP_REPORT_ABI);
    CHECK_UL(out.pid, 4242);
    CHECK_UL(out.argc, 2);
    CHECK_STR(out.argv[1], "arg with \"quotes\"");
    CHECK(out.argv[2] == NULL, "argv ends with NULL");
    CHECK_STR(out.reason, "exit");
    CHECK_UL(out.lost[0].bytes, 48);
    CHECK_UL(out.lost[3].blocks, 1);
    CHECK_UL(out.total_allocated.bytes, 1000);
    CHECK_UL(out.nrecords, 2);
    CHECK(!memcmp(out.records, recs, sizeof recs), "records equal");
    CHECK(!memcmp(out.errors, errs, sizeof errs), "errors equal");
    CHECK_UL(out.nstacks, 3);
    CHECK(out.stacks[0].n == 0 && out.stacks[0].pcs == NULL, "empty stack 0");
    CHECK(out.stacks[1].n == 3 && out.stacks[1].gen == 1 && !memcmp(out.stacks[1].pcs, pcs1, sizeof pcs1),
          "stack 1");
    CHECK(out.stacks[2].n == 1 && out.stacks[2].pcs[0] == pcs1[1], "stack 2");
    CHECK_UL(out.nmodules, 2);
    CHECK_STR(out.modules[1].path, "/lib/libc.so.6");
    CHECK_STR(out.modules[0].file, "/proc/42/map_files/401000-402000");
    CHECK(out.modules[1].file == NULL, "a module read at its path came back with a file to read");
    CHECK(out.modules[1].lo == mods[1].lo && out.modules[1].hi == mods[1].hi &&
              out.modules[1].base == mods[1].base && out.modules[1].unload_gen == 3,
          "module fields");
    CHECK_UL(out.opt.text_fd, 5);
    CHECK(out.opt.xml_fd == -1, "xml_fd");
    CHECK_STR(out.opt.json_path, "/tmp/r.json");
    CHECK(out.opt.sarif_path == NULL && out.opt.unsymbolized == NULL, "NULL strings stay NULL");
    CHECK(out.opt.result == NULL, "no result pointer");
    CHECK_UL(out.opt.report_mode, 0600);
    CHECK_UL(out.report_seq, 3);
    CHECK(out.nsnapshots == 2 && out.snapshots[1].live_bytes == 20, "snapshots");
    CHECK(out.ngrowth == 1 && out.growth[0].bytes_per_second == 12.5, "growth");

    /* cut short anywhere: refused */
    int refused = 0;
    for (off_t cut = 0; cut < len; cut += 7)
        pool_used = 0, refused += mp_model_read(buf, (size_t)cut, &out, pool_alloc, why, sizeof why) != 0;
    CHECK_UL(refused, (len + 6) / 7);
    CHECK_HAS(why, "damaged or short");
    /* another build: refused */
    buf[0] ^= 1;
    CHECK(mp_model_read(buf, (size_t)len, &out, pool_alloc, why, sizeof why) != 0, "bad header refused");
    CHECK_HAS(why, "another build");
    return CHECK_DONE();
}
