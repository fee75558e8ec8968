/* Reading memplumber JSON reports back (docs/REPORT-FORMAT.md): validation with messages that
 * say what is wrong where, the matching key of a record (common/leakkey.h) computed from its
 * JSON frames, and the baseline (--baseline=OLD.json): the set of keys of an earlier report's
 * loss records and heap errors. Used by the report library (marking records known or new) and
 * by the CLI (checking the baseline before the program starts; `memplumber merge`). */
#ifndef MP_REPORT_BASELINE_H
#define MP_REPORT_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "report/jsonread.h"

/* Largest report file read back (a report of millions of records is still far below). */
#define MP_REPORT_READ_MAX ((size_t)1 << 30)

/* Check that j is a memplumber report, format version 1, whose "leaks" and "errors" have the
 * shape the format promises (a kind memplumber knows, counts, frames with string-or-null
 * function/file/module). 0, or -1 with "what is wrong (where)" in err. */
int mp_report_json_check(const struct mp_json *j, char *err, size_t errlen);

/* The key of a record of the JSON report: kind and the frames of its "stack". */
uint64_t mp_report_json_key(const struct mp_json *rec);

struct mp_baseline;

/* Read and check the report at path. NULL with the reason in err, without the file's name
 * ("line 3, column 5: ...", "not a memplumber JSON report ..."). */
struct mp_baseline *mp_baseline_load(const char *path, char *err, size_t errlen);
/* 1 when a record or error with this key is in the baseline. */
int mp_baseline_has(const struct mp_baseline *b, uint64_t key);
void mp_baseline_free(struct mp_baseline *b);

#endif
