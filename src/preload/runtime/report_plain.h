/* The JSON report written by the preload library itself (report_plain.c), the last resort when
 * neither this process nor the memplumber command can load the report library. */
#ifndef MP_REPORT_PLAIN_H
#define MP_REPORT_PLAIN_H

#include <stddef.h>

#include "common/model.h"

/* Write in as a JSON report (docs/REPORT-FORMAT.md) to path, without symbols: every frame has
 * "function", "file" and "line" null, "module" and "offset" (the address in the module's file)
 * set where known, and the top-level "unsymbolized" says why. Records as given (largest first is
 * the caller's order). Allocation-free. 0, or -1 with the reason in err. */
int mp_report_plain_json(const struct mp_report_input *in, const struct mp_loss_record *recs,
                         size_t nrecs, const char *path, const char *why, char *err, size_t errlen);

#endif
