/* memplumber --render-model MODEL_FD RESULT_FD REPORT_LIB
 *
 * Internal: libmemplumber.so starts this when the observed process cannot load the report
 * library at exit (its address space is used up: RLIMIT_AS). The process has already scanned
 * and aggregated; it writes the model (common/model_io.h) to a memory file, MODEL_FD, and waits.
 * Here, in a fresh address space, the report library renders it exactly as it would have in the
 * process: the text report to the descriptor the model names (the process's checked stderr or
 * log file, passed down), the JSON / SARIF / HTML / XML / pprof files by path (same directory,
 * same user). What the report library says it wrote (mp_report_result: the totals after
 * suppressions, which decide the process's exit status) goes back on RESULT_FD. Exit status 0
 * when the report was written, 1 when not (a message says why on the process's stderr). */
#include "cli/render.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fmt.h"
#include "common/model_io.h"
#include "common/render_proto.h"

static int to_fd(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 0 && v < (1L << 30) ? (int)v : -1;
}

int mp_render_command(int argc, char **argv)
{
    /* The process blocked every signal to start us: take the default mask back. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct mp_render_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.magic = MP_RENDER_MAGIC;
    reply.status = -1;
    int mfd = argc == 4 ? to_fd(argv[1]) : -1, rfd = argc == 4 ? to_fd(argv[2]) : -1;
    if (mfd < 0 || rfd < 0) {
        mp_fdprintf(2, "memplumber: error: --render-model is internal: libmemplumber.so starts it "
                       "with MODEL_FD RESULT_FD REPORT_LIB\n");
        return 2;
    }
    struct stat st;
    char *buf = NULL;
    ssize_t got = -1;
    if (fstat(mfd, &st) == 0 && st.st_size > 0 && (buf = malloc((size_t)st.st_size))) {
        size_t have = 0;
        while (have < (size_t)st.st_size) {
            ssize_t r = pread(mfd, buf + have, (size_t)st.st_size - have, (off_t)have);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            have += (size_t)r;
        }
        got = (ssize_t)have;
    }
    struct mp_report_input in;
    if (got < 0 || !buf) {
        mp_fmt(reply.message, sizeof reply.message, "cannot read the report model: %s",
               strerror(errno ? errno : EIO));
    } else if (!mp_model_read(buf, (size_t)got, &in, malloc, reply.message, sizeof reply.message)) {
        void *h = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
        int (*write_fn)(const struct mp_report_input *) =
            h ? (int (*)(const struct mp_report_input *))dlsym(h, "mp_report_write") : NULL;
        if (!write_fn) {
            const char *e = dlerror();
            mp_fmt(reply.message, sizeof reply.message, "cannot load the report library: %s",
                   e ? e : argv[3]);
        } else {
            int (*prepare)(void) = (int (*)(void))dlsym(h, "mp_report_prepare");
            if (prepare)
                prepare();
            in.opt.result = &reply.result;
            reply.status = write_fn(&in);
        }
    }
    for (size_t off = 0; off < sizeof reply;) {
        ssize_t w = write(rfd, (char *)&reply + off, sizeof reply - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    return reply.status == 0 ? 0 : 1;
}
