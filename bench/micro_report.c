/* Micro-benchmark of libmemplumber-report's symbolizer and writers: a synthetic model of N loss
 * records x F frames whose PCs are random addresses in the executable segments of this program
 * and of the libraries it has loaded (libc, libdw, libelf, ...), drawn from a pool of P distinct
 * PCs (stacks share frames, as real ones do; P = N*F makes every PC distinct: the worst case).
 * Prints the time to symbolize every stack, then to write text, JSON, SARIF and HTML.
 *   gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -Isrc -Iinclude bench/micro_report.c src/report/[a-z]*.c \
 *       src/report/html_page.S src/common/[a-z]*.c -ldw -lelf -lz -ldl -lpthread \
 *       -o build/micro_report
 *   build/micro_report [records=10000] [frames=30] [distinct_pcs=3000]
 * Depends on the report sources only. */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/kinds.h"
#include "common/model.h"
#include "report/report.h"
#include "report/symbolize.h"

static struct mp_module mods[512];
static char paths[512][1024];
static size_t nmods;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    if (!name && nmods > 0)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && nmods < 512; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (name)
            snprintf(paths[nmods], sizeof paths[0], "%s", name);
        else if (readlink("/proc/self/exe", paths[nmods], sizeof paths[0] - 1) < 0)
            continue;
        mods[nmods] = (struct mp_module){paths[nmods], info->dlpi_addr,
                                         info->dlpi_addr + ph->p_vaddr,
                                         info->dlpi_addr + ph->p_vaddr + ph->p_memsz, 0};
        nmods++;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

int main(int argc, char **argv)
{
    size_t nrec = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    uint32_t nfr = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 30;
    size_t npool = argc > 3 ? strtoul(argv[3], NULL, 10) : 3000;
    if (!nrec || !nfr || !npool) {
        fprintf(stderr, "usage: %s [records] [frames] [distinct_pcs]\n", argv[0]);
        return 2;
    }
    dl_iterate_phdr(phdr_cb, NULL);

    /* PCs spread over modules in proportion to their code size. */
    uint64_t total = 0;
    for (size_t i = 0; i < nmods; i++)
        total += mods[i].hi - mods[i].lo;
    uintptr_t *pool = malloc(npool * sizeof *pool);
    for (size_t i = 0; i < npool; i++) {
        uint64_t r = next_rand() % total;
        size_t m = 0;
        while (r >= mods[m].hi - mods[m].lo) {
            r -= mods[m].hi - mods[m].lo;
            m++;
        }
        pool[i] = mods[m].lo + r + 1;
    }
    uintptr_t *pcs = malloc(nrec * nfr * sizeof *pcs);
    for (size_t i = 0; i < nrec * nfr; i++)
        pcs[i] = npool >= nrec * nfr ? pool[i] : pool[next_rand() % npool];
    struct mp_stack *stacks = calloc(nrec + 1, sizeof *stacks);
    struct mp_loss_record *recs = calloc(nrec, sizeof *recs);
    for (size_t i = 0; i < nrec; i++) {
        stacks[i + 1] = (struct mp_stack){pcs + i * nfr, nfr, 0};
        recs[i] = (struct mp_loss_record){(unsigned)(i % 4), MP_ALLOC_MALLOC, 16 + i % 1000, 1 + i % 7,
                                          0, 0, (uint32_t)i + 1, 0};
    }
    struct mp_report_input in = {.abi = MP_REPORT_ABI, .pid = (int)getpid(), .argc = argc,
                                 .argv = argv, .reason = "exit"};
    in.records = recs;
    in.nrecords = nrec;
    in.stacks = stacks;
    in.nstacks = nrec + 1;
    in.modules = mods;
    in.nmodules = nmods;
    in.opt.show_kinds = 15;
    in.opt.leak_check = 2;
    in.opt.text_prefix_pid = 1;
    in.opt.err_fd = 2;
    in.opt.xml_fd = -1;

    printf("%zu records x %u frames, %zu distinct PCs, %zu modules\n", nrec, nfr,
           npool < nrec * nfr ? npool : nrec * nfr, nmods);

    /* 1. Symbolize every stack (what every writer needs first). */
    double t0 = now(), c0 = cpu();
    struct mp_report_ctx ctx;
    if (mp_report_ctx_init(&ctx, &in))
        return 1;
    size_t frames = 0, named = 0, lined = 0;
    for (size_t i = 1; i <= nrec; i++) {
        uint32_t n;
        const struct mp_frame *f = mp_report_ctx_stack(&ctx, (uint32_t)i, &n);
        frames += n;
        for (uint32_t k = 0; k < n; k++) {
            named += f[k].function != NULL;
            lined += f[k].line != 0;
        }
    }
    double t1 = now(), c1 = cpu();
    printf("symbolize: %.3f s wall, %.3f s cpu (%zu frames out, %.0f%% with a function, %.0f%% "
           "with a line)\n",
           t1 - t0, c1 - c0, frames, 100.0 * (double)named / (double)frames,
           100.0 * (double)lined / (double)frames);

    /* 2. Each writer on the symbolized context. */
    static const char *const names[] = {"text", "json", "sarif", "html"};
    void (*writers[])(struct mp_report_ctx *, struct mp_out *) = {mp_text_write, mp_json_write,
                                                                 mp_sarif_write, mp_html_write};
    for (int w = 0; w < 4; w++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/micro_report.%d.%s", (int)getpid(), names[w]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        double a = now(), ca = cpu();
        struct mp_out o;
        mp_out_init(&o, fd);
        writers[w](&ctx, &o);
        mp_out_close(&o);
        close(fd);
        printf("%-6s %.3f s wall, %.3f s cpu, %.1f MB\n", names[w], now() - a, cpu() - ca,
               (double)file_size(path) / 1e6);
        unlink(path);
    }
    mp_report_ctx_free(&ctx);

    /* 3. The whole entry point, as libmemplumber.so calls it (symbolizes again from scratch). */
    char json[64];
    snprintf(json, sizeof json, "/tmp/micro_report.%d.json", (int)getpid());
    in.opt.text_fd = -1;
    in.opt.json_path = json;
    double a = now(), ca = cpu();
    int rc = mp_report_write(&in);
    printf("mp_report_write (JSON only): %.3f s wall, %.3f s cpu, rc %d\n", now() - a, cpu() - ca,
           rc);
    unlink(json);
    free(pool);
    free(pcs);
    free(stacks);
    free(recs);
    return 0;
}
