/* The report model (model.h) as a byte stream, to hand a report to another process: when the
 * observed process cannot load the report library at exit (its address space is used up,
 * RLIMIT_AS), it writes the model to a memory file and the `memplumber` command renders it in a
 * fresh process (memplumber --render-model, src/cli/render.c). Both directions walk the model
 * with one function (model_io.c), so the two sides cannot disagree on the layout. Same build on
 * both sides: the stream starts with MP_REPORT_ABI and the sizes of the records it copies whole.
 * Writing is allocation-free (the preload library writes at exit); reading allocates with the
 * function it is given. */
#ifndef MP_MODEL_IO_H
#define MP_MODEL_IO_H

#include <stddef.h>

#include "common/model.h"

/* Write in to fd (the result pointer is not written). 0, or -1 (errno set). */
int mp_model_write(int fd, const struct mp_report_input *in);

/* Read a model written by mp_model_write from buf[0..len) into *in; strings and arrays are
 * allocated with alloc (never freed here). 0, or -1 with the reason in why. */
int mp_model_read(const void *buf, size_t len, struct mp_report_input *in, void *(*alloc)(size_t),
                  char *why, size_t whylen);

#endif
