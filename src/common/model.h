/* The report model: what the preload library hands to libmemplumber-report.so when a report is
 * written. Plain data, raw program counters; the report library symbolizes and formats it.
 * Mirrors JSON format v1 (docs/REPORT-FORMAT.md). Owned by the caller for the duration of
 * one mp_report_write() call. */
#ifndef MP_REPORT_MODEL_H
#define MP_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define MP_REPORT_ABI 13

struct mp_count {
    uint64_t bytes, blocks;
};

/* A loaded (or since unloaded) ELF object. PCs are attributed to modules by range; for a stack
 * captured at generation g, a module with unload_gen != 0 is a candidate only if g < unload_gen. */
struct mp_module {
    const char *path;       /* absolute path of the file ("" unknown) */
    const char *file;       /* where to read it when the file at path is not the one mapped (rebuilt,
                               replaced or deleted while the program ran): the kernel's link to the
                               mapped file, /proc/PID/map_files/LO-HI; NULL: read path */
    uintptr_t base;         /* load bias (dlpi_addr) */
    uintptr_t lo, hi;       /* [lo, hi) covered by its executable PT_LOAD segments */
    uint32_t unload_gen;    /* 0: still loaded */
};
/* The generation of a stack whose addresses held code of two different libraries, one loaded
 * where the other was unloaded (mp_modules_reloaded_since): its frames in code unloaded since have
 * no names (???, as valgrind's, which keeps one record per addresses too). */
#define MP_GEN_AMBIGUOUS UINT32_MAX

/* A deduplicated call stack: raw return addresses, innermost first. pcs[0] is the return
 * address into the caller of the allocator / free function. */
struct mp_stack {
    const uintptr_t *pcs;
    uint32_t n;
    uint32_t gen;           /* module generation when first captured */
};

struct mp_loss_record {
    unsigned kind;          /* enum mp_leak_kind */
    unsigned allocator;     /* enum mp_alloc_kind */
    uint64_t bytes, blocks;
    uint64_t indirect_bytes, indirect_blocks; /* for definitely lost: what hangs off it */
    uint32_t stack;         /* index into mp_report_input.stacks; 0 = unknown */
    int suppressed;         /* matched a suppression (not printed, counted in summary.suppressed) */
    /* Seconds between the allocation of the record's oldest / newest block and the report
     * (coarse: whole seconds of memplumber's clock). */
    uint64_t oldest_age_s, newest_age_s;
    /* Only in a report of what is new (mp_report_input.only_new): how much the record grew
     * since the previous check (the whole record when it is new). */
    int64_t bytes_increase, blocks_increase;
};

/* A sample of the program's live heap (snapshots): t in milliseconds since start-up. */
struct mp_snapshot {
    uint64_t t_ms;
    uint64_t live_bytes, live_blocks;
};

/* An allocation stack whose live bytes keep growing (snapshots), ranked by bytes_per_second. */
struct mp_growth {
    double bytes_per_second;
    uint64_t live_bytes, live_blocks;
    uint32_t stack;         /* index into mp_report_input.stacks */
};

struct mp_error_record {
    unsigned kind;          /* enum mp_error_kind */
    uintptr_t address;
    uint64_t count;
    uint64_t size;          /* block size where known, else 0 */
    uint64_t size_given;    /* sized delete: the size the program passed */
    unsigned allocator;     /* enum mp_alloc_kind of the block, where known */
    unsigned free_kind;     /* enum mp_free_kind used by the bad call */
    uint32_t stack, alloc_stack, free_stack; /* 0 = unknown (omitted from JSON) */
    uintptr_t block;        /* start of the block that address falls in, 0 = address itself */
    uint32_t tid;           /* thread of the first occurrence, numbered as valgrind numbers them
                             * (1 the main thread, then the lowest number no live thread holds);
                             * 0 = unknown */
};

struct mp_report_options {
    int text_fd;                /* text report destination (-1: none) */
    const char *json_path;      /* NULL/"" = none; already %p-expanded */
    const char *sarif_path;
    const char *html_path;
    const char *pprof_path;     /* gzip-compressed profile.proto (pprof.c) */
    unsigned show_kinds;        /* bitmask of (1u << enum mp_leak_kind) printed in the text report */
    int leak_check;             /* 0 no, 1 summary, 2 full */
    int leak_errors;            /* under leak_check 2, loss records of errors_kinds count as
                                 * errors (ERROR SUMMARY, error_exitcode): leak_check=full given,
                                 * XML or baseline; valgrind's default is summary */
    int text_prefix_pid;        /* prefix every text line with ==pid== */
    const char *suppressions;   /* suppression files, absolute paths separated by ','; NULL/"" none */
    int gen_suppressions;       /* text: a valgrind suppression after each loss record / error */
    unsigned verbosity;         /* text: 2 lists the suppressions used */
    struct mp_report_result *result; /* if set, filled with the totals after suppressions */
    int show_below_main;        /* keep libc's start-up frames below main in stacks */
    const char *symbol_cache;   /* directory of the symbol cache (report/symcache.h); NULL = off */
    unsigned errors_kinds;      /* loss records of these kinds count as errors (leak_errors) */
    const char *xml_path;       /* valgrind XML (protocol 4) file; NULL/"" = none */
    int xml_fd;                 /* valgrind XML to this descriptor; -1 = none */
    int err_fd;                 /* memplumber's messages (a checked copy of stderr); -1: none */
    unsigned report_mode;       /* permissions of the report files created (e.g. 0600) */
    const char *unsymbolized;   /* why stacks are not symbolized (NULL: they are) */
    const char *sarif_root;     /* SARIF's %SRCROOT% (absolute); NULL/"": the current directory */
    const char *baseline;       /* earlier JSON report (absolute path): its records are known,
                                 * only new ones count for the exit status; NULL/"": none */
};

/* What the report said, after suppressions (the exit status depends on it). */
struct mp_report_result {
    int valid;
    struct mp_count lost[4];
    uint64_t errors;
    uint64_t leak_errors;       /* loss records counted as errors (opt.errors_kinds) */
    /* With opt.baseline: only what is not in the baseline. baseline_used 0: no baseline. */
    int baseline_used;
    uint64_t new_leak_errors;   /* as leak_errors */
    uint64_t new_errors;        /* as errors */
};

struct mp_report_input {
    int abi;                    /* MP_REPORT_ABI */
    int pid;
    int argc;
    char *const *argv;          /* the observed program's command line */
    const char *reason;         /* "exit", "on demand", ... */

    struct mp_count lost[4];    /* indexed by enum mp_leak_kind */
    struct mp_count suppressed;
    struct mp_count total_allocated, total_freed;
    /* Per enum mp_heuristic (common/kinds.h): blocks made reachable by an interior pointer of that
     * shape, whatever their kind and suppressed or not, as valgrind counts them ("of which
     * reachable via heuristic" in the LEAK SUMMARY). */
    struct mp_count heuristic[4];
    uint64_t error_count;       /* sum of error counts */

    const struct mp_loss_record *records;
    size_t nrecords;
    const struct mp_error_record *errors;
    size_t nerrors;

    const struct mp_stack *stacks;   /* stacks[0] is the empty stack */
    size_t nstacks;
    const struct mp_module *modules;
    size_t nmodules;

    struct mp_report_options opt;

    /* Long-running programs (live.c). */
    uint32_t report_seq;        /* 1, 2, ... per process, the exit report included */
    int only_new;               /* records: only those new or grown since report prev_seq */
    uint32_t prev_seq;          /* the check only_new compares with (0: none, all are new) */
    struct mp_count lost_increase[4]; /* only_new: summary growth per kind (may be 0) */
    uint64_t min_age_s;         /* records hold only blocks at least this old (0: all) */
    int snapshots_on;           /* snapshots were recorded (the JSON lists them, maybe empty) */
    uint64_t snapshot_interval_s;
    const struct mp_snapshot *snapshots;
    size_t nsnapshots;
    const struct mp_growth *growth;  /* largest bytes_per_second first */
    size_t ngrowth;
};

/* Entry points of libmemplumber-report.so (looked up with dlsym). Return 0 or -1 (a message has
 * been written to stderr). */
int mp_report_write(const struct mp_report_input *in);
/* Called once right after dlopen: resolve whatever would need dlsym/dlopen at report time. */
int mp_report_prepare(void);
/* Print one heap-misuse error as it happens (text only), symbolized. Returns 1 when it was
 * written, 0 when not (suppressed, no text descriptor), -1 on failure. */
int mp_report_error_now(const struct mp_report_input *in, const struct mp_error_record *err);

#endif
