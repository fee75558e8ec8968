/* The pprof profile (--pprof=FILE): a gzip-compressed profile.proto message, as `go tool pprof`,
 * Pyroscope, Grafana and speedscope read it. Encoded by hand (protobuf wire format: varints and
 * length-delimited fields), compressed with zlib's deflate in gzip framing.
 *
 * One sample per non-suppressed loss record, with four values:
 *   leaked_objects/count, leaked_space/bytes   blocks and bytes definitely, indirectly or possibly
 *                                              lost (0 for a still-reachable record)
 *   live_objects/count, live_space/bytes       blocks and bytes still reachable (0 otherwise)
 * the labels kind (definitely_lost, ...) and allocator (malloc, new, ...), the numeric labels
 * oldest_age_s and newest_age_s (seconds) and, in a report of what is new, bytes_increase and
 * blocks_increase. The default sample
 * type is leaked_space. Locations are one per distinct PC (the call instruction); a PC whose code
 * was inlined has several Lines, innermost first, as profile.proto wants. Functions are unique per
 * (name, file); a frame without a name is called after its module and offset ("libx.so+0x1a2b")
 * or its address. Mappings: the executable's first, then one per module that holds a location,
 * flagged as symbolized.
 * Depends on report.h, containers.h and zlib. */
#include "common/containers.h"
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* ---- protobuf wire format ---- */

struct pb {
    uint8_t *p;
    size_t n, cap;
    int oom;
};

static void pb_bytes(struct pb *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (grow((void **)&b->p, &b->cap, b->n + n, 1)) {
        b->oom = 1;
        return;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_bytes(b, tmp, n);
}

/* Wire types: 0 varint, 2 length-delimited. */
static void pb_tag(struct pb *b, unsigned field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

/* An int64/uint64 field; zero is the default and is left out. */
static void pb_int(struct pb *b, unsigned field, uint64_t v)
{
    if (!v)
        return;
    pb_tag(b, field, 0);
    pb_varint(b, v);
}

static void pb_bool(struct pb *b, unsigned field, int v)
{
    pb_int(b, field, v ? 1 : 0);
}

static void pb_len(struct pb *b, unsigned field, const void *data, size_t n)
{
    pb_tag(b, field, 2);
    pb_varint(b, n);
    pb_bytes(b, data, n);
}

/* A nested message: sub holds its encoding; sub is emptied for reuse. */
static void pb_msg(struct pb *b, unsigned field, struct pb *sub)
{
    if (sub->oom)
        b->oom = 1;
    pb_len(b, field, sub->p, sub->n);
    sub->n = 0;
}

/* ---- the tables ---- */

struct pprof {
    struct mp_report_ctx *ctx;
    struct pb prof, sub, sub2;
    struct strtab str;
    int oom;
    struct u64map func;     /* (name index << 32 | file index) + 1 -> function id */
    struct u64map loc;      /* pc -> location id */
    struct u64map map;      /* module string index -> mapping id */
    uint64_t nfunc, nloc, nmap;
    char **owned;           /* names made up here ("libx.so+0x12"), freed at the end */
    size_t nowned, capowned;
};

static const char *own(struct pprof *p, const char *s)
{
    char *c = strdup(s);
    if (!c || grow((void **)&p->owned, &p->capowned, p->nowned + 1, sizeof *p->owned)) {
        free(c);
        p->oom = 1;
        return "?";
    }
    p->owned[p->nowned++] = c;
    return c;
}

/* s with every byte that is not part of a UTF-8 sequence replaced by U+FFFD, in memory of its
 * own (malloc), or NULL when s is all UTF-8 already (or out of memory: p->oom). profile.proto is
 * proto3, whose strings must be UTF-8: strict decoders (protobuf's C++, Java and Python, Go's
 * protobuf-go) refuse a whole profile for one path or name with a byte that is not. */
static char *utf8_copy(struct pprof *p, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, len;
    while (i < n && (len = mp_out_utf8_len(s + i, n - i)) != 0)
        i += len;
    if (i == n)
        return NULL;
    char *c = malloc(3 * n + 1), *w = c;
    if (!c) {
        p->oom = 1;
        return NULL;
    }
    for (i = 0; i < n; i += len) {
        len = mp_out_utf8_len(s + i, n - i);
        if (len) {
            memcpy(w, s + i, len);
            w += len;
        } else {
            memcpy(w, "\xef\xbf\xbd", 3);
            w += 3;
            len = 1;
        }
    }
    *w = 0;
    return c;
}

/* String table index of s (added to the Profile on first use; 0 is ""). s must outlive p. */
static uint64_t str_index(struct pprof *p, const char *s)
{
    if (!s || !s[0])
        return 0;
    int added;
    char *copy = utf8_copy(p, s);
    if (copy) {
        if (grow((void **)&p->owned, &p->capowned, p->nowned + 1, sizeof *p->owned)) {
            free(copy);
            p->oom = 1;
            return 0;
        }
        s = copy;
    }
    long i = strtab_index(&p->str, s, &added);
    if (copy && added)
        p->owned[p->nowned++] = copy;   /* kept while the table holds it */
    else
        free(copy);                     /* the same string met before is in the table */
    if (i < 0) {
        p->oom = 1;
        return 0;
    }
    if (added)
        pb_len(&p->prof, 6, s, strlen(s));
    return (uint64_t)i;
}

static uint64_t function_id(struct pprof *p, const struct mp_frame *f)
{
    const char *name = f->function;
    if (!name) {
        char buf[512];
        if (f->module)
            snprintf(buf, sizeof buf, "%s+0x%lx", mp_report_basename(f->module),
                     (unsigned long)f->offset);
        else
            snprintf(buf, sizeof buf, "0x%lx", (unsigned long)f->pc);
        name = own(p, buf);
    }
    uint64_t ni = str_index(p, name), fi = str_index(p, f->file);
    uint64_t key = (ni << 32 | fi) + 1, id;
    if (map_get(&p->func, key, &id))
        return id;
    id = ++p->nfunc;
    if (map_put(&p->func, key, id))
        p->oom = 1;
    struct pb *s = &p->sub;
    pb_int(s, 1, id);
    pb_int(s, 2, ni);
    pb_int(s, 3, ni);
    pb_int(s, 4, fi);
    pb_msg(&p->prof, 5, s);
    return id;
}

/* The mapping of the module at path (the first entry of the model's module table with that
 * path gives its address range); 0 when the frame has no module. */
static uint64_t mapping_id(struct pprof *p, const char *path)
{
    if (!path || !path[0])
        return 0;
    uint64_t pi = str_index(p, path), id;
    if (map_get(&p->map, pi + 1, &id))
        return id;
    id = ++p->nmap;
    if (map_put(&p->map, pi + 1, id))
        p->oom = 1;
    const struct mp_report_input *in = p->ctx->in;
    uintptr_t lo = 0, hi = 0, off = 0;
    for (size_t i = 0; in->modules && i < in->nmodules; i++)
        if (in->modules[i].path && !strcmp(in->modules[i].path, path)) {
            lo = in->modules[i].lo;
            hi = in->modules[i].hi;
            off = lo - in->modules[i].base; /* the segment's address in the file */
            break;
        }
    struct pb *s = &p->sub;
    pb_int(s, 1, id);
    pb_int(s, 2, lo);
    pb_int(s, 3, hi);
    pb_int(s, 4, off);
    pb_int(s, 5, pi);
    pb_bool(s, 7, 1);   /* has_functions */
    pb_bool(s, 8, 1);   /* has_filenames */
    pb_bool(s, 9, 1);   /* has_line_numbers */
    pb_bool(s, 10, 1);  /* has_inline_frames */
    pb_msg(&p->prof, 3, s);
    return id;
}

/* The location of the frames f[0..n) (one PC: inlined frames, then the real one). */
static uint64_t location_id(struct pprof *p, const struct mp_frame *f, uint32_t n)
{
    uint64_t id;
    if (map_get(&p->loc, (uint64_t)f[0].pc + 1, &id))
        return id;
    uint64_t mid = mapping_id(p, f[n - 1].module);
    id = ++p->nloc;
    if (map_put(&p->loc, (uint64_t)f[0].pc + 1, id))
        p->oom = 1;
    /* Functions first: they use p->sub; the location is built in p->sub2. */
    uint64_t fids[64];
    uint32_t m = n < 64 ? n : 64;
    for (uint32_t i = 0; i < m; i++)
        fids[i] = function_id(p, &f[i]);
    struct pb *s = &p->sub2, *line = &p->sub;
    pb_int(s, 1, id);
    pb_int(s, 2, mid);
    pb_int(s, 3, f[0].pc);
    for (uint32_t i = 0; i < m; i++) {
        pb_int(line, 1, fids[i]);
        pb_int(line, 2, f[i].line);
        pb_msg(s, 4, line);
    }
    pb_msg(&p->prof, 4, s);
    return id;
}

static void value_type(struct pprof *p, unsigned field, const char *type, const char *unit)
{
    struct pb *s = &p->sub;
    pb_int(s, 1, str_index(p, type));
    pb_int(s, 2, str_index(p, unit));
    pb_msg(&p->prof, field, s);
}

static void label(struct pprof *p, struct pb *sample, const char *key, const char *val)
{
    struct pb *s = &p->sub2;
    pb_int(s, 1, str_index(p, key));
    pb_int(s, 2, str_index(p, val));
    pb_msg(sample, 3, s);
}

/* A numeric label (int64: a negative value is its two's complement, as protobuf encodes it). */
static void label_num(struct pprof *p, struct pb *sample, const char *key, int64_t val,
                      const char *unit)
{
    struct pb *s = &p->sub2;
    pb_int(s, 1, str_index(p, key));
    pb_int(s, 3, (uint64_t)val);
    pb_int(s, 4, str_index(p, unit));
    pb_msg(sample, 3, s);
}

/* Packed repeated varints: field, length, values. */
static void packed(struct pb *b, unsigned field, const uint64_t *v, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        do {
            len++;
            x >>= 7;
        } while (x);
    }
    pb_tag(b, field, 2);
    pb_varint(b, len);
    for (size_t i = 0; i < n; i++)
        pb_varint(b, v[i]);
}

static void sample(struct pprof *p, struct pb *smp, const struct mp_loss_record *r,
                   uint64_t **locs, size_t *loccap)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(p->ctx, r->stack, &n);
    size_t nloc = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && f[j].pc == f[i].pc && f[j - 1].inlined)
            j++;
        if (grow((void **)locs, loccap, nloc + 1, sizeof **locs)) {
            p->oom = 1;
            return;
        }
        (*locs)[nloc++] = location_id(p, &f[i], j - i);
        i = j;
    }
    if (!n) {
        static const struct mp_frame none = {.function = "(no stack recorded)"};
        if (grow((void **)locs, loccap, 1, sizeof **locs)) {
            p->oom = 1;
            return;
        }
        (*locs)[nloc++] = location_id(p, &none, 1);
    }
    int live = r->kind == MP_LEAK_REACHABLE;
    uint64_t v[4] = {live ? 0 : r->blocks, live ? 0 : r->bytes, live ? r->blocks : 0,
                     live ? r->bytes : 0};
    packed(smp, 1, *locs, nloc);
    packed(smp, 2, v, 4);
    label(p, smp, "kind", mp_leak_kind_name(r->kind));
    label(p, smp, "allocator", mp_alloc_kind_name(r->allocator));
    label_num(p, smp, "oldest_age_s", (int64_t)r->oldest_age_s, "seconds");
    label_num(p, smp, "newest_age_s", (int64_t)r->newest_age_s, "seconds");
    if (p->ctx->in->only_new) {
        label_num(p, smp, "bytes_increase", r->bytes_increase, "bytes");
        label_num(p, smp, "blocks_increase", r->blocks_increase, "count");
    }
    pb_msg(&p->prof, 2, smp);
}

/* Deflate the encoded profile in gzip framing into o. */
static void gzip_out(struct mp_out *o, const uint8_t *data, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        o->err = ENOMEM;
        return;
    }
    unsigned char buf[16384];
    z.next_in = (unsigned char *)data;
    int rc;
    do {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        z.avail_in = (uInt)chunk;
        n -= chunk;
        do {
            z.next_out = buf;
            z.avail_out = sizeof buf;
            rc = deflate(&z, n ? Z_NO_FLUSH : Z_FINISH);
            mp_out_write(o, buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0);
    } while (n);
    if (rc != Z_STREAM_END && !o->err)
        o->err = EIO;
    deflateEnd(&z);
}

void mp_pprof_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    struct pprof p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    /* String 0 must be "". */
    int added;
    if (strtab_index(&p.str, "", &added) != 0)
        p.oom = 1;
    pb_len(&p.prof, 6, "", 0);
    value_type(&p, 1, "leaked_objects", "count");
    value_type(&p, 1, "leaked_space", "bytes");
    value_type(&p, 1, "live_objects", "count");
    value_type(&p, 1, "live_space", "bytes");
    /* Mapping 1 is the executable (the model's first module): pprof takes the first mapping for
     * the main binary (go tool pprof's "File:" header). In order of first use it was the module
     * of the largest record's innermost frame: ld.so or libc as often as not. */
    if (in->modules && in->nmodules && in->modules[0].path && in->modules[0].path[0])
        mapping_id(&p, in->modules[0].path);
    struct pb smp = {0};
    uint64_t *locs = NULL;
    size_t loccap = 0;
    for (size_t i = 0; i < ctx->norder && !p.oom; i++)
        sample(&p, &smp, &in->records[ctx->order[i]], &locs, &loccap);
    free(locs);
    free(smp.p);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pb_int(&p.prof, 9, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
    value_type(&p, 11, "space", "bytes");
    pb_int(&p.prof, 12, 1);
    /* Comments: the command line, the pid and why the report was written. */
    char buf[4096];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; in->argv && i < in->argc && len + 2 < sizeof buf; i++) {
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "",
                         in->argv[i] ? in->argv[i] : "");
        len = w < 0 ? len : (size_t)w + len < sizeof buf ? (size_t)w + len : sizeof buf - 1;
    }
    char head[256];
    snprintf(head, sizeof head, "memplumber report (%s), pid %d",
             in->reason && in->reason[0] ? in->reason : "exit", in->pid);
    const char *comments[2] = {own(&p, head), own(&p, buf)};
    for (int i = 0; i < 2; i++)
        if (comments[i][0])
            pb_int(&p.prof, 13, str_index(&p, comments[i]));
    pb_int(&p.prof, 14, str_index(&p, "leaked_space"));

    if (p.prof.oom || p.sub.oom || p.sub2.oom || p.oom)
        o->err = ENOMEM;
    else
        gzip_out(o, p.prof.p, p.prof.n);

    free(p.prof.p);
    free(p.sub.p);
    free(p.sub2.p);
    strtab_free(&p.str);
    map_free(&p.func);
    map_free(&p.loc);
    map_free(&p.map);
    for (size_t i = 0; i < p.nowned; i++)
        free(p.owned[i]);
    free(p.owned);
}
