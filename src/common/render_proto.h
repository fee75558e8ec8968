/* What `memplumber --render-model` (src/cli/render.c) sends back to the process that started it
 * (src/preload/runtime/report_spawn.c) on its result descriptor, once, before it exits. */
#ifndef MP_RENDER_PROTO_H
#define MP_RENDER_PROTO_H

#include <stdint.h>

#include "common/model.h"

#define MP_RENDER_MAGIC 0x52444e52U /* "RNDR" */
#define MP_RENDER_OPTION "--render-model"

struct mp_render_reply {
    uint32_t magic;
    int32_t status;                /* what mp_report_write returned (0: written), -1 if not run */
    struct mp_report_result result;
    char message[400];             /* why not, when it did not run */
};

#endif
