/* Shared state of one report inside libmemplumber-report.so: the input model, its symbolizer,
 * the symbolized stacks (computed once, on first use) and the loss records in report order.
 * Built by report.c; read by the writers (text.c, json.c, sarif.c, html.c), which format it and
 * never look at anything else. Internal to the library. */
#ifndef MP_REPORT_REPORT_H
#define MP_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/kinds.h"
#include "common/model.h"
#include "report/out.h"
#include "report/symbolize.h"

struct mp_report_ctx {
    const struct mp_report_input *in;
    struct mp_symbolizer *sym;
    struct mp_frame **frames;   /* per stack index: symbolized frames, NULL until computed */
    uint32_t *nframes;
    unsigned char *done;
    uint32_t *order;            /* indices of the non-suppressed records, largest bytes first */
    size_t norder;
    char cwd[4096];             /* "" when unknown */
    struct mp_report_supp *supp; /* suppressions.c: what the suppressions changed; NULL none */
    char root[4096];            /* SARIF's %SRCROOT%: opt.sarif_root or cwd, no trailing '/' */
    /* --baseline (mp_report_baseline_apply): per record index of in->records / per error index,
     * 1 new, 2 known (0: no baseline); the counts of non-suppressed ones. */
    int baseline_on;
    unsigned char *rec_status, *err_status;
    size_t new_records, known_records, new_errors, known_errors;
};

/* Set up ctx for in (symbolizer, record order). Returns 0 or -1 (out of memory). */
int mp_report_ctx_init(struct mp_report_ctx *ctx, const struct mp_report_input *in);
void mp_report_ctx_free(struct mp_report_ctx *ctx);
/* Loss records (not suppressed) of opt.errors_kinds under leak_check=full with opt.leak_errors
 * (0 otherwise): valgrind counts each
 * as one error from one context in the ERROR SUMMARY. */
uint64_t mp_report_leak_errors(const struct mp_report_ctx *ctx);
/* The frames of stack index `stack` (0 or out of range: none), symbolized on first use. */
const struct mp_frame *mp_report_ctx_stack(struct mp_report_ctx *ctx, uint32_t stack, uint32_t *n);

/* The matching key (common/leakkey.h) of a record of kind name `kind` with this stack: the
 * SARIF fingerprint, the baseline's and merge's key. */
uint64_t mp_report_stack_key(struct mp_report_ctx *ctx, const char *kind, uint32_t stack);
uint64_t mp_report_record_key(struct mp_report_ctx *ctx, const struct mp_loss_record *r);
uint64_t mp_report_error_key(struct mp_report_ctx *ctx, const struct mp_error_record *e);
/* Read opt.baseline (if any) and mark every record and error new or known. 0, or -1 when the
 * baseline cannot be used (message said; everything then counts as new). */
int mp_report_baseline_apply(struct mp_report_ctx *ctx);
/* 0 no baseline, 1 new, 2 known. */
int mp_report_record_status(const struct mp_report_ctx *ctx, const struct mp_loss_record *r);
int mp_report_error_status(const struct mp_report_ctx *ctx, const struct mp_error_record *e);

/* "definitely lost" etc.: the words the text report uses for a leak kind. */
const char *mp_report_kind_words(unsigned kind);
/* The valgrind headline of a heap error ("Invalid free() / delete / delete[] / realloc()"). */
const char *mp_report_error_title(unsigned kind);
/* Basename of a path (pointer into it). */
const char *mp_report_basename(const char *path);

/* Suppressions (suppressions.c). apply: match every loss record and error of ctx->in against
 * opt.suppressions and, when some match, point ctx->in at a copy without them (summary moved to
 * suppressed); 0, or -1 out of memory. error_suppressed: 1 if err matches. free: release.
 * gen_leak / gen_error: a ready-to-paste valgrind suppression (for opt.gen_suppressions).
 * counts: suppressed records + error occurrences, and distinct suppressions used. used: the
 * "used_suppression:" lines (verbosity 2). */
int mp_report_supp_apply(struct mp_report_ctx *ctx);
int mp_report_supp_error_suppressed(struct mp_report_ctx *ctx, const struct mp_error_record *err);
void mp_report_supp_free(struct mp_report_ctx *ctx);
/* --gen-suppressions: a valgrind suppression for a record / an error, as text to paste (xml 0)
 * or as the <suppression> element of valgrind's XML (xml 1). */
void mp_report_supp_gen_leak(struct mp_report_ctx *ctx, struct mp_out *o,
                             const struct mp_loss_record *r, int xml);
void mp_report_supp_gen_error(struct mp_report_ctx *ctx, struct mp_out *o,
                              const struct mp_error_record *e, int xml);
/* The ERROR SUMMARY's "(suppressed: N from M)", valgrind's way: N suppressed error occurrences
 * (heap errors by occurrence, loss records once each, only those that would count as errors)
 * from M contexts. */
void mp_report_supp_counts(const struct mp_report_ctx *ctx, uint64_t *matched, uint64_t *used);
void mp_report_supp_used(struct mp_report_ctx *ctx, struct mp_out *o,
                         void (*line_begin)(struct mp_report_ctx *, struct mp_out *));
/* The i-th suppression used (file order): its name and how many records / error occurrences
 * it hid. 0 past the last. */
int mp_report_supp_used_at(struct mp_report_ctx *ctx, size_t i, const char **name,
                           uint64_t *count);
/* At the exit report: a warning per suppression that matched nothing, into the text report o
 * (each line started with line_begin), or to memplumber's messages when o is NULL. */
void mp_report_supp_unused(struct mp_report_ctx *ctx, struct mp_out *o,
                           void (*line_begin)(struct mp_report_ctx *, struct mp_out *));

/* The writers. Each writes one complete document to o (errors are collected in o). */
void mp_text_write(struct mp_report_ctx *ctx, struct mp_out *o);
/* valgrind's XML, protocol 4 (xml.c). */
void mp_xml_write(struct mp_report_ctx *ctx, struct mp_out *o);
void mp_text_write_error(struct mp_report_ctx *ctx, struct mp_out *o,
                         const struct mp_error_record *err);
void mp_json_write(struct mp_report_ctx *ctx, struct mp_out *o);
void mp_sarif_write(struct mp_report_ctx *ctx, struct mp_out *o);
void mp_html_write(struct mp_report_ctx *ctx, struct mp_out *o);
/* pprof.c: a gzip-compressed profile.proto of leaked and live bytes by allocation stack. */
void mp_pprof_write(struct mp_report_ctx *ctx, struct mp_out *o);

/* Where memplumber's messages go (set from mp_report_options.err_fd at each entry; -1 none). */
extern int mp_report_err_fd;

#endif
