// SOURCES: src/preload/check/misuse.c src/preload/record/heap.c src/common/arena.c src/common/lock.c
// CFLAGS: -pthread
/* Heap-misuse checks (src/preload/check/misuse.h) as the hooks use them; after each call the test
 * takes what waits to be written, as the report entry's writer does at a safe point:
 *   - which free matches which allocation (free for the malloc family, delete / delete[] and
 *     their aligned forms for new / new[]), and a sized delete's size;
 *   - a mismatched free names the allocator, the free used and both stacks; a sized delete of the
 *     right family with the wrong size is its own kind, with the size given;
 *   - a second free of a block still in the quarantine is a double free naming its size,
 *     allocator, allocation and free stacks (realloc of it: "realloc of freed"); an address never
 *     allocated is an invalid free; an interior pointer names the block it falls in;
 *   - recording raises the "unwritten" flag, taking everything lowers it; records come out in
 *     the order of first occurrence;
 *   - the same error from the same stack is one record counted twice and written once; errors
 *     without a stack are told apart by address; past the table's capacity errors are still
 *     counted (exactly), not written, and the overflow is announced once;
 *   - the quarantine forgets the oldest frees when full, and with quarantine_size=0 it is off
 *     (no free stack is captured, a double free is an invalid free);
 *   - threads: each thread's frees are found from any thread;
 *   - keep_stacktraces=alloc (the default): a free captures no stack; a double free names the
 *     first free by its caller frame alone (a one-frame stack).
 * Configurations that need a fresh quarantine run in forked children. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/record/heap.h"
#include "preload/check/misuse.h"
#include "preload/runtime/options.h"

/* Stand-ins for the rest of the preload library. */
__thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));
struct mp_options mp_opt;
static int free_captures;
/* The "stack id" of a call is the frame-pointer value the test passes: tests choose ids. */
uint32_t mp_runtime_capture(uintptr_t *fp) { return (uint32_t)(uintptr_t)fp; }
uint32_t mp_runtime_capture_free(uintptr_t *fp)
{
    __atomic_add_fetch(&free_captures, 1, __ATOMIC_RELAXED);
    return (uint32_t)(uintptr_t)fp;
}
uint32_t mp_module_gen;
/* The depot: a one-frame stack of pc gets id pc + 1 (only the free's caller frame is put). */
static uintptr_t put_pc;
uint32_t mp_depot_put(const uintptr_t *pcs, uint32_t n, uint32_t gen)
{
    (void)gen;
    if (n != 1)
        return 0;
    put_pc = pcs[0];
    return (uint32_t)pcs[0] + 1;
}
#define MAXREC 8192
static struct mp_error_record emitted[MAXREC];
static int nemitted;
static uint64_t overflow_said;

/* The writer's side, as report_entry.c runs it at a safe point. */
static void drain(void)
{
    mp_misuse_drain_begin();
    struct mp_error_record e;
    while (mp_misuse_take(&e))
        if (nemitted < MAXREC)
            emitted[nemitted++] = e;
    overflow_said += mp_misuse_take_overflow() != 0;
    mp_misuse_drain_end();
}

/* Every recording call of the test is followed by the writer. */
#define mp_misuse_report_mismatch(...) (mp_misuse_report_mismatch(__VA_ARGS__), drain())
#define mp_misuse_report_bad_free(...) (mp_misuse_report_bad_free(__VA_ARGS__), drain())
#define mp_misuse_report_usable_size(...) (mp_misuse_report_usable_size(__VA_ARGS__), drain())

#define ID(n) ((uintptr_t *)(uintptr_t)(n))

static struct mp_block block(uintptr_t addr, size_t size, unsigned kind, uint32_t stack)
{
    struct mp_block b = {addr, size, stack, kind, 0};
    return b;
}

static void matching(void)
{
    static const unsigned want[MP_ALLOC_NKINDS] = {
        [MP_ALLOC_MALLOC] = MP_FREE_FREE,
        [MP_ALLOC_CALLOC] = MP_FREE_FREE,
        [MP_ALLOC_REALLOC] = MP_FREE_FREE,
        [MP_ALLOC_MEMALIGN] = MP_FREE_FREE,
        [MP_ALLOC_NEW] = MP_FREE_DELETE,
        [MP_ALLOC_NEW_ARRAY] = MP_FREE_DELETE_ARRAY,
        [MP_ALLOC_NEW_ALIGNED] = MP_FREE_DELETE_ALIGNED,
        [MP_ALLOC_NEW_ARRAY_ALIGNED] = MP_FREE_DELETE_ARRAY_ALIGNED,
    };
    for (unsigned a = 0; a < MP_ALLOC_NKINDS; a++)
        for (unsigned f = 0; f < MP_FREE_NKINDS; f++) {
            struct mp_block b = block(0x1000, 48, a, 1);
            int ok = mp_misuse_free_ok(&b, f, 0, 0);
            /* realloc releases what free releases: the malloc family's blocks, not new's */
            int right = want[a] == f || (f == MP_FREE_REALLOC && want[a] == MP_FREE_FREE);
            CHECK(ok == right, "%s freed with %s: %s, expected %s", mp_alloc_kind_name(a),
                  mp_free_kind_name(f), ok ? "ok" : "error", right ? "ok" : "error");
        }
    struct mp_block b = block(0x1000, 48, MP_ALLOC_NEW, 1);
    CHECK(mp_misuse_free_ok(&b, MP_FREE_DELETE, 48, 1), "sized delete with the right size");
    CHECK(!mp_misuse_free_ok(&b, MP_FREE_DELETE, 40, 1), "sized delete with a wrong size");
}

static const struct mp_error_record *last(void)
{
    return nemitted ? &emitted[nemitted - 1] : NULL;
}

static void errors_main(void)
{
    int before = nemitted;
    struct mp_block b = block(0x10000, 100, MP_ALLOC_NEW_ARRAY, 11);
    mp_misuse_report_mismatch(&b, MP_FREE_FREE, 0, 0, ID(21));
    const struct mp_error_record *e = last();
    CHECK(nemitted == before + 1 && e, "a mismatch is written at once");
    if (e) {
        CHECK_UL(e->kind, MP_ERR_MISMATCHED_FREE);
        CHECK_UL(e->allocator, MP_ALLOC_NEW_ARRAY);
        CHECK_UL(e->free_kind, MP_FREE_FREE);
        CHECK_UL(e->address, 0x10000);
        CHECK_UL(e->size, 100);
        CHECK_UL(e->stack, 21);
        CHECK_UL(e->alloc_stack, 11);
    }
    struct mp_block c = block(0x20000, 64, MP_ALLOC_NEW, 12);
    mp_misuse_report_mismatch(&c, MP_FREE_DELETE, 32, 1, ID(22));
    e = last();
    CHECK(e && e->kind == MP_ERR_SIZED_DELETE && e->size_given == 32 && e->size == 64,
          "delete of the right family with a wrong size: kind %u, given %lu",
          e ? e->kind : 99u, e ? (unsigned long)e->size_given : 0ul);
    mp_misuse_report_mismatch(&c, MP_FREE_DELETE_ARRAY, 64, 1, ID(23));
    e = last();
    CHECK(e && e->kind == MP_ERR_MISMATCHED_FREE, "delete[] of new with the right size: mismatch");

    /* Double free: the block's record is in the quarantine. */
    struct mp_block d = block(0x30000, 24, MP_ALLOC_MALLOC, 13);
    CHECK_UL(mp_misuse_free_stack(ID(31)), 31);
    mp_misuse_remember_free_as(&d, 31, ID(31));
    mp_misuse_report_bad_free((void *)0x30000, MP_FREE_FREE, 0, ID(32));
    e = last();
    CHECK(e && e->kind == MP_ERR_DOUBLE_FREE, "double free recognised");
    if (e) {
        CHECK_UL(e->size, 24);
        CHECK_UL(e->allocator, MP_ALLOC_MALLOC);
        CHECK_UL(e->alloc_stack, 13);
        CHECK_UL(e->free_stack, 31);
        CHECK_UL(e->stack, 32);
    }
    mp_misuse_report_bad_free((void *)0x30000, MP_FREE_FREE, 1, ID(33));
    e = last();
    CHECK(e && e->kind == MP_ERR_REALLOC_FREED && e->free_stack == 31, "realloc of a freed block");

    /* Invalid: never allocated; interior of a live block. */
    mp_misuse_report_bad_free((void *)0x40000, MP_FREE_DELETE, 0, ID(41));
    e = last();
    CHECK(e && e->kind == MP_ERR_INVALID_FREE && e->block == 0 && e->alloc_stack == 0,
          "an address never allocated is an invalid free with no block");
    mp_heap_insert(0x50000, 200, 14, MP_ALLOC_CALLOC);
    mp_misuse_report_bad_free((void *)0x50010, MP_FREE_FREE, 0, ID(42));
    e = last();
    CHECK(e && e->kind == MP_ERR_INVALID_FREE && e->block == 0x50000 && e->size == 200 &&
              e->alloc_stack == 14 && e->allocator == MP_ALLOC_CALLOC,
          "an interior pointer names its block (block %#lx size %lu)",
          e ? (unsigned long)e->block : 0ul, e ? (unsigned long)e->size : 0ul);
    /* up to 15 bytes past the end: valgrind's red zone, "3 bytes after a block of size 200" */
    mp_misuse_report_bad_free((void *)0x50000 + 203, MP_FREE_FREE, 0, ID(43));
    e = last();
    CHECK(e && e->kind == MP_ERR_INVALID_FREE && e->block == 0x50000 && e->size == 200,
          "just past the block's end: the block it follows");
    mp_misuse_report_bad_free((void *)0x50000 + 216, MP_FREE_FREE, 0, ID(46));
    e = last();
    CHECK(e && e->kind == MP_ERR_INVALID_FREE && e->block == 0, "16 bytes past the end: no block");
    mp_misuse_report_bad_free((void *)0x50000 + 205, MP_FREE_FREE, 1, ID(44));
    e = last();
    CHECK(e && e->kind == MP_ERR_REALLOC_INVALID, "realloc of a pointer never allocated");
    mp_misuse_report_usable_size((void *)0x60000, ID(45));
    e = last();
    CHECK(e && e->kind == MP_ERR_USABLE_SIZE_INVALID && e->stack == 45, "usable size");

    /* The same error from the same stack: one record, counted twice, written once. */
    int n0 = nemitted;
    mp_misuse_report_bad_free((void *)0x70000, MP_FREE_FREE, 0, ID(50));
    mp_misuse_report_bad_free((void *)0x70008, MP_FREE_FREE, 0, ID(50));
    CHECK_UL(nemitted - n0, 1);
    const struct mp_error_record *recs;
    uint64_t total;
    size_t n = mp_misuse_errors(&recs, &total);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (recs[i].stack == 50) {
            found++;
            CHECK_UL(recs[i].count, 2);
        }
    CHECK_UL(found, 1);
    /* Without a stack (0), errors at different addresses are different records. */
    n0 = nemitted;
    mp_misuse_report_bad_free((void *)0x80000, MP_FREE_FREE, 0, ID(0));
    mp_misuse_report_bad_free((void *)0x80010, MP_FREE_FREE, 0, ID(0));
    mp_misuse_report_bad_free((void *)0x80010, MP_FREE_FREE, 0, ID(0));
    CHECK_UL(nemitted - n0, 2);
    uint64_t total2;
    mp_misuse_errors(&recs, &total2);
    CHECK_UL(total2 - total, 3);

    /* Recorded, not written: the flag says so until the writer has taken it; first occurrences
     * come out in order. */
    n0 = nemitted;
    (mp_misuse_report_bad_free)((void *)0x88000, MP_FREE_FREE, 0, ID(60));
    (mp_misuse_report_bad_free)((void *)0x88000, MP_FREE_FREE, 0, ID(61));
    (mp_misuse_report_bad_free)((void *)0x88000, MP_FREE_FREE, 0, ID(60));
    CHECK(mp_misuse_unwritten && nemitted == n0, "recorded errors wait for the writer");
    drain();
    CHECK(!mp_misuse_unwritten, "taking every record lowers the flag");
    CHECK(nemitted == n0 + 2 && emitted[n0].stack == 60 && emitted[n0 + 1].stack == 61 &&
              emitted[n0].count == 1,
          "two contexts, in the order of their first occurrence, each written once");

    /* Past the table's capacity: counted, not stored nor written; said once. */
    size_t had = mp_misuse_errors(&recs, &total2);
    n0 = nemitted;
    for (int i = 0; i < 5000; i++)
        mp_misuse_report_bad_free((void *)0x90000, MP_FREE_FREE, 0, ID(1000 + i));
    size_t stored = mp_misuse_errors(&recs, &total);
    CHECK_UL(stored, 4096);
    CHECK_UL((size_t)(nemitted - n0), 4096 - had);
    CHECK_UL(total - total2, 5000);
    CHECK_UL(mp_misuse_unshown(), 5000 - (4096 - had));
    CHECK_UL(overflow_said, 1);
    /* A context past the capacity keeps its exact count: not listed, but in the total. */
    mp_misuse_report_bad_free((void *)0x90000, MP_FREE_FREE, 0, ID(1000 + 4999));
    mp_misuse_errors(&recs, &total2);
    CHECK_UL(total2 - total, 1);
    CHECK_UL(overflow_said, 1);
    CHECK(!mp_misuse_unwritten, "nothing left to write");
}

/* Quarantine eviction: quarantine_size for 4 entries per thread ring, 64 (16 times 4) in the
 * ring of the first thread that frees (this one). */
static int child_small(void)
{
    nemitted = 0;
    for (uintptr_t i = 0; i < 65; i++) {
        struct mp_block b = block(0x100000 + i * 64, 32, MP_ALLOC_MALLOC, 7);
        mp_misuse_remember_free_as(&b, (uint32_t)(100 + i), ID(100 + i));
    }
    mp_misuse_report_bad_free((void *)0x100000, MP_FREE_FREE, 0, ID(1));
    CHECK(nemitted == 1 && emitted[0].kind == MP_ERR_INVALID_FREE,
          "the oldest of 65 frees left a 64-entry quarantine (kind %u)", emitted[0].kind);
    mp_misuse_report_bad_free((void *)(0x100000 + 64 * 64), MP_FREE_FREE, 0, ID(2));
    CHECK(nemitted == 2 && emitted[1].kind == MP_ERR_DOUBLE_FREE && emitted[1].free_stack == 164,
          "the newest free is still known");
    mp_misuse_report_bad_free((void *)(0x100000 + 1 * 64), MP_FREE_FREE, 0, ID(3));
    CHECK(nemitted == 3 && emitted[2].kind == MP_ERR_DOUBLE_FREE && emitted[2].free_stack == 101,
          "the second free is still known");
    return check_failed;
}

static int child_off(void)
{
    nemitted = 0;
    struct mp_block b = block(0x200000, 32, MP_ALLOC_MALLOC, 7);
    CHECK_UL(mp_misuse_free_stack(ID(9)), 0);
    CHECK_UL(free_captures, 0);
    mp_misuse_remember_free(&b, ID(9));
    CHECK_UL(free_captures, 0);
    mp_misuse_report_bad_free((void *)0x200000, MP_FREE_FREE, 0, ID(1));
    CHECK(nemitted == 1 && emitted[0].kind == MP_ERR_INVALID_FREE,
          "with the quarantine off a double free is an invalid free");
    return check_failed;
}

/* keep_stacktraces=alloc: no capture at the free, its caller frame (fp[1]) is kept instead. */
static int child_caller_frame(void)
{
    nemitted = 0;
    struct mp_block b = block(0x300000, 40, MP_ALLOC_MALLOC, 8);
    uintptr_t frame[2] = {0, 0x4242}; /* a hook's frame: saved rbp, return address */
    CHECK_UL(mp_misuse_free_stack(frame), 0);
    CHECK_UL(free_captures, 0);
    mp_misuse_remember_free_as(&b, 0, frame);
    mp_misuse_report_bad_free((void *)0x300000, MP_FREE_FREE, 0, ID(1));
    CHECK(nemitted == 1 && emitted[0].kind == MP_ERR_DOUBLE_FREE, "a double free is found");
    CHECK_UL(put_pc, 0x4242);
    CHECK_UL(emitted[0].free_stack, 0x4243);
    CHECK_UL(emitted[0].alloc_stack, 8);
    /* realloc's path: the same through mp_misuse_remember_free */
    struct mp_block c = block(0x310000, 40, MP_ALLOC_MALLOC, 9);
    uintptr_t frame2[2] = {0, 0x5150};
    mp_misuse_remember_free(&c, frame2);
    CHECK_UL(free_captures, 0);
    mp_misuse_report_bad_free((void *)0x310000, MP_FREE_FREE, 1, ID(2));
    CHECK(nemitted == 2 && emitted[1].kind == MP_ERR_REALLOC_FREED && emitted[1].free_stack == 0x5151,
          "realloc of a freed block names the free's caller frame");
    return check_failed;
}

enum { T = 4, PER = 500 };
static void *freer(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (uintptr_t i = 0; i < PER; i++) {
        struct mp_block b = block(0x1000000 + (t * PER + i) * 32, 16, MP_ALLOC_MALLOC, 1);
        mp_misuse_remember_free_as(&b, (uint32_t)(t * PER + i + 1), ID(1));
    }
    return NULL;
}

static int child_threads(void)
{
    nemitted = 0;
    pthread_t th[T];
    for (uintptr_t t = 0; t < T; t++)
        pthread_create(&th[t], NULL, freer, (void *)t);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    int bad = 0;
    for (uintptr_t k = 0; k < T * PER; k += 7) {
        int n0 = nemitted;
        mp_misuse_report_bad_free((void *)(0x1000000 + k * 32), MP_FREE_FREE, 0, ID(5000 + k));
        if (nemitted != n0 + 1 || emitted[n0].kind != MP_ERR_DOUBLE_FREE ||
            emitted[n0].free_stack != k + 1)
            bad++;
    }
    CHECK(bad == 0, "%d frees made by other threads not found as double frees", bad);
    return check_failed;
}

static void in_child(int (*fn)(void), size_t quarantine, const char *what)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        mp_opt.quarantine_size = quarantine;
        mp_misuse_init();
        int f = fn();
        fflush(stdout);
        _exit(f ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child failed (status %#x)", what, st);
}

int main(void)
{
    mp_heap_init();
    matching();
    in_child(child_small, 64 * 4 * 32, "eviction"); /* 64 rings of 4 entries of 32 bytes */
    in_child(child_off, 0, "quarantine off");
    in_child(child_threads, 16 << 20, "threads");
    strcpy(mp_opt.keep_stacktraces, "alloc");
    in_child(child_caller_frame, 16 << 20, "keep_stacktraces=alloc");
    strcpy(mp_opt.keep_stacktraces, "alloc-and-free");
    mp_opt.quarantine_size = 16 << 20;
    mp_misuse_init();
    errors_main();
    return CHECK_DONE();
}
