/* memplumber merge OUT.json IN.json...
 *
 * Combines JSON reports (docs/REPORT-FORMAT.md; e.g. the json=report-%p.json files of every
 * process of a test suite) into one report of the same format, usable as a --baseline. Loss
 * records with the same matching key (common/leakkey.h: kind and the program's own functions
 * and file names) are added up (bytes, blocks; allocator and stack of the first; oldest age the
 * largest, newest the smallest); heap errors with the same key are kept once with their counts
 * added up (address and stacks of the first). Summaries are added up. "merged_from" lists the
 * inputs; "reports" on each record says in how many inputs it was found. Every input is read
 * and checked before OUT is written; a bad one stops the command naming the file and what is
 * wrong. */
#include "cli/merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "common/leakkey.h"
#include "report/baseline.h"

static const char usage[] =
    "usage: memplumber merge OUT.json IN.json [IN.json...]\n"
    "       memplumber merge OUT.sarif IN.sarif [IN.sarif...]\n"
    "  Combine the JSON reports of several processes (e.g. json=report-%p.json over a test\n"
    "  suite) into OUT.json: identical loss records (same kind and the program's own functions\n"
    "  and files) are added up, heap errors are kept (identical ones once, counts added up).\n"
    "  SARIF logs (sarif=report-%p.sarif) combine into one run for code-scanning uploads:\n"
    "  results with the same rule and fingerprint are kept once, with an occurrenceCount.\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("memplumber merge: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(MP_CLI_EXIT_USAGE);
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p)
        die("out of memory");
    return p;
}

/* ---- writing JSON ---- */

static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* A value as it was read (numbers keep their text), on one line. */
static void put_value(FILE *f, const struct mp_json *j)
{
    switch (j->type) {
    case MP_JSON_NULL:
        fputs("null", f);
        break;
    case MP_JSON_BOOL:
        fputs(j->boolean ? "true" : "false", f);
        break;
    case MP_JSON_NUMBER:
        fputs(j->text, f);
        break;
    case MP_JSON_STRING:
        put_str(f, j->text);
        break;
    case MP_JSON_ARRAY:
    case MP_JSON_OBJECT:
        fputc(j->type == MP_JSON_ARRAY ? '[' : '{', f);
        for (size_t i = 0; i < j->n; i++) {
            if (i)
                fputs(", ", f);
            if (j->type == MP_JSON_OBJECT) {
                put_str(f, j->keys[i]);
                fputs(": ", f);
            }
            put_value(f, j->items[i]);
        }
        fputc(j->type == MP_JSON_ARRAY ? ']' : '}', f);
        break;
    }
}

/* A stack: one frame a line, as the reports write it. */
static void put_stack(FILE *f, const struct mp_json *st)
{
    if (!st || st->type != MP_JSON_ARRAY || !st->n) {
        fputs("[]", f);
        return;
    }
    fputc('[', f);
    for (size_t i = 0; i < st->n; i++) {
        fputs(i ? ",\n      " : "\n      ", f);
        put_value(f, st->items[i]);
    }
    fputs("\n    ]", f);
}

static uint64_t u64(const struct mp_json *obj, const char *key)
{
    uint64_t v = 0;
    if (mp_json_u64(mp_json_get(obj, key), &v))
        v = 0;
    return v;
}

static void add_sat(uint64_t *a, uint64_t b)
{
    *a = *a + b < *a ? UINT64_MAX : *a + b;
}

/* ---- merging ---- */

struct rec {
    uint64_t key;
    const struct mp_json *first;    /* the first input's record: kind, allocator, stacks */
    uint64_t bytes, blocks, count;  /* count: errors */
    uint64_t oldest, newest;
    int has_age;
    size_t reports;
    size_t last_input;              /* to count each input once */
    int bstate;                     /* --baseline: 0 none, 1 new in some input, 2 known in all */
};

struct table {
    struct rec *r;
    size_t n, cap;
};

static struct rec *find_or_add(struct table *t, uint64_t key, const struct mp_json *first)
{
    for (size_t i = 0; i < t->n; i++) /* reports hold hundreds of records, not millions */
        if (t->r[i].key == key)
            return &t->r[i];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        if (!t->r)
            die("out of memory");
    }
    struct rec *r = &t->r[t->n++];
    memset(r, 0, sizeof *r);
    r->key = key;
    r->first = first;
    r->last_input = (size_t)-1;
    return r;
}

/* A record marked new in any input is new; known in every input that marked it, known. */
static void add_state(struct rec *r, const struct mp_json *x)
{
    const char *b = mp_json_str(x, "baseline");
    if (b && !strcmp(b, "new"))
        r->bstate = 1;
    else if (b && !strcmp(b, "known") && r->bstate == 0)
        r->bstate = 2;
}

static const char *state_name(int s)
{
    return s == 1 ? "new" : "known";
}

static int by_bytes(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static const char *const summary_names[] = {"definitely_lost", "indirectly_lost", "possibly_lost",
                                            "still_reachable", "suppressed", "total_allocated",
                                            "total_freed"};
#define NSUM (sizeof summary_names / sizeof summary_names[0])

/* ---- SARIF ---- */

static int is_sarif(const struct mp_json *j)
{
    const char *v = mp_json_str(j, "version");
    return v && mp_json_get(j, "runs") && !mp_json_get(j, "format");
}

/* 0, or -1 with what is wrong in err. */
static int check_sarif(const struct mp_json *j, char *err, size_t errlen)
{
    const char *v = mp_json_str(j, "version");
    const struct mp_json *runs = mp_json_get(j, "runs");
    if (!v || strcmp(v, "2.1.0")) {
        snprintf(err, errlen, "not a SARIF 2.1.0 log (\"version\" is not \"2.1.0\")");
        return -1;
    }
    if (!runs || runs->type != MP_JSON_ARRAY || runs->n == 0) {
        snprintf(err, errlen, "\"runs\" is missing, empty or not an array");
        return -1;
    }
    for (size_t r = 0; r < runs->n; r++) {
        const struct mp_json *run = runs->items[r];
        const char *name = mp_json_str(mp_json_get(mp_json_get(run, "tool"), "driver"), "name");
        if (!name || strcmp(name, "memplumber")) {
            snprintf(err, errlen, "run %zu was not written by memplumber (tool.driver.name is "
                     "not \"memplumber\"); only memplumber's SARIF logs are merged", r);
            return -1;
        }
        const struct mp_json *res = mp_json_get(run, "results");
        if (!res || res->type != MP_JSON_ARRAY) {
            snprintf(err, errlen, "run %zu has no \"results\" array", r);
            return -1;
        }
        for (size_t i = 0; i < res->n; i++)
            if (res->items[i]->type != MP_JSON_OBJECT || !mp_json_str(res->items[i], "ruleId")) {
                snprintf(err, errlen, "runs[%zu].results[%zu] is not a result with a ruleId", r, i);
                return -1;
            }
    }
    return 0;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
    return h;
}

/* Results are the same when rule and memplumber's fingerprint are; without a fingerprint, never. */
static uint64_t result_id(const struct mp_json *res, size_t unique)
{
    const char *fp = mp_json_str(mp_json_get(res, "partialFingerprints"), "memplumberKey/v1");
    if (!fp)
        return ~(uint64_t)unique;
    return fnv_str(fnv_str(0xcbf29ce484222325ULL, mp_json_str(res, "ruleId")), fp);
}

static void merge_sarif(const char *out, struct mp_json **in, size_t nin, char **names)
{
    char err[1024];
    for (size_t i = 0; i < nin; i++)
        if (check_sarif(in[i], err, sizeof err))
            die("'%s' is not a usable memplumber SARIF log: %s", names[i], err);
    const struct mp_json *run0 = mp_json_get(in[0], "runs")->items[0];
    const struct mp_json *base0 = mp_json_get(run0, "originalUriBaseIds");
    const char *root0 = mp_json_str(mp_json_get(base0, "%SRCROOT%"), "uri");
    struct table t = {0};
    size_t unique = 0;
    for (size_t i = 0; i < nin; i++) {
        const struct mp_json *runs = mp_json_get(in[i], "runs");
        for (size_t r = 0; r < runs->n; r++) {
            const char *root = mp_json_str(mp_json_get(mp_json_get(runs->items[r],
                                                                   "originalUriBaseIds"),
                                                       "%SRCROOT%"), "uri");
            if (root && root0 && strcmp(root, root0))
                fprintf(stderr, "memplumber merge: warning: '%s' has another source root (%s) "
                        "than '%s' (%s): its relative paths are kept as they are; give every "
                        "run the same --sarif-root\n", names[i], root, names[0], root0);
            const struct mp_json *res = mp_json_get(runs->items[r], "results");
            for (size_t k = 0; k < res->n; k++) {
                struct rec *x = find_or_add(&t, result_id(res->items[k], unique++), res->items[k]);
                uint64_t c = 0;
                if (mp_json_u64(mp_json_get(res->items[k], "occurrenceCount"), &c) || !c)
                    c = 1;
                add_sat(&x->count, c);
            }
        }
    }
    char *tmp = xcalloc(strlen(out) + 32, 1);
    snprintf(tmp, strlen(out) + 32, "%s.tmp%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        die("cannot write '%s': %s", out, strerror(errno));
    fputs("{\n  \"$schema\": ", f);
    const char *schema = mp_json_str(in[0], "$schema");
    put_str(f, schema ? schema : "https://json.schemastore.org/sarif-2.1.0.json");
    fputs(",\n  \"version\": \"2.1.0\",\n  \"runs\": [{\n    \"tool\": ", f);
    put_value(f, mp_json_get(run0, "tool"));
    if (base0) {
        fputs(",\n    \"originalUriBaseIds\": ", f);
        put_value(f, base0);
    }
    fputs(",\n    \"invocations\": [", f);
    int first = 1;
    for (size_t i = 0; i < nin; i++) {
        const struct mp_json *runs = mp_json_get(in[i], "runs");
        for (size_t r = 0; r < runs->n; r++) {
            const struct mp_json *inv = mp_json_get(runs->items[r], "invocations");
            for (size_t k = 0; inv && inv->type == MP_JSON_ARRAY && k < inv->n; k++) {
                fputs(first ? "\n      " : ",\n      ", f);
                put_value(f, inv->items[k]);
                first = 0;
            }
        }
    }
    fputs("],\n    \"results\": [", f);
    for (size_t i = 0; i < t.n; i++) {
        const struct mp_json *res = t.r[i].first;
        fputs(i ? ",\n      {" : "\n      {", f);
        int any = 0;
        for (size_t k = 0; k < res->n; k++) {
            if (!strcmp(res->keys[k], "occurrenceCount"))
                continue;
            fputs(any ? ", " : "", f);
            put_str(f, res->keys[k]);
            fputs(": ", f);
            put_value(f, res->items[k]);
            any = 1;
        }
        fprintf(f, "%s\"occurrenceCount\": %llu}", any ? ", " : "", (unsigned long long)t.r[i].count);
    }
    fputs(t.n ? "\n    ]\n  }]\n}\n" : "]\n  }]\n}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, out) != 0) {
        int e = errno;
        unlink(tmp);
        die("cannot write '%s': %s", out, strerror(e));
    }
    fprintf(stderr, "memplumber merge: %zu SARIF log%s, %zu result%s -> %s\n", nin,
            nin == 1 ? "" : "s", t.n, t.n == 1 ? "" : "s", out);
    free(t.r);
    free(tmp);
}

int mp_merge_command(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 3) {
        fputs(usage, stderr);
        die("give the output file and at least one input report");
    }
    const char *out = argv[1];
    size_t nin = (size_t)argc - 2;
    struct mp_json **in = xcalloc(nin, sizeof *in);
    for (size_t i = 0; i < nin; i++) {
        char err[1024];
        const char *path = argv[2 + i];
        if (!strcmp(path, out))
            die("'%s' is both the output and an input; write the merged report to another file",
                path);
        in[i] = mp_json_parse_file(path, MP_REPORT_READ_MAX, err, sizeof err);
        if (!in[i])
            die("cannot read the report '%s': %s", path, err);
        if (is_sarif(in[i]) != is_sarif(in[0]))
            die("'%s' is a %s but '%s' is a %s: merge JSON reports with JSON reports, SARIF "
                "logs with SARIF logs", path, is_sarif(in[i]) ? "SARIF log" : "JSON report",
                argv[2], is_sarif(in[0]) ? "SARIF log" : "JSON report");
        if (!is_sarif(in[i]) && mp_report_json_check(in[i], err, sizeof err))
            die("'%s' is not a usable memplumber JSON report: %s", path, err);
    }
    if (is_sarif(in[0])) {
        merge_sarif(out, in, nin, argv + 2);
        for (size_t i = 0; i < nin; i++)
            mp_json_free(in[i]);
        free(in);
        return 0;
    }

    uint64_t sum[NSUM][2] = {{0}}, errors_total = 0;
    struct table leaks = {0}, errs = {0};
    for (size_t i = 0; i < nin; i++) {
        const struct mp_json *s = mp_json_get(in[i], "summary");
        for (size_t k = 0; k < NSUM; k++) {
            const struct mp_json *c = mp_json_get(s, summary_names[k]);
            add_sat(&sum[k][0], u64(c, "bytes"));
            add_sat(&sum[k][1], u64(c, "blocks"));
        }
        add_sat(&errors_total, u64(s, "errors"));
        const struct mp_json *l = mp_json_get(in[i], "leaks");
        for (size_t j = 0; j < l->n; j++) {
            const struct mp_json *x = l->items[j];
            struct rec *r = find_or_add(&leaks, mp_report_json_key(x), x);
            add_sat(&r->bytes, u64(x, "bytes"));
            add_sat(&r->blocks, u64(x, "blocks"));
            add_state(r, x);
            uint64_t o, nw;
            if (!mp_json_u64(mp_json_get(x, "oldest_age_s"), &o) &&
                !mp_json_u64(mp_json_get(x, "newest_age_s"), &nw)) {
                if (!r->has_age || o > r->oldest)
                    r->oldest = o;
                if (!r->has_age || nw < r->newest)
                    r->newest = nw;
                r->has_age = 1;
            }
            if (r->last_input != i) {
                /* a merged input already counts several reports */
                uint64_t rep = u64(x, "reports");
                r->reports += rep ? rep : 1;
                r->last_input = i;
            }
        }
        const struct mp_json *e = mp_json_get(in[i], "errors");
        for (size_t j = 0; j < e->n; j++) {
            const struct mp_json *x = e->items[j];
            struct rec *r = find_or_add(&errs, mp_report_json_key(x), x);
            add_sat(&r->count, u64(x, "count"));
            add_state(r, x);
            if (r->last_input != i) {
                uint64_t rep = u64(x, "reports");
                r->reports += rep ? rep : 1;
                r->last_input = i;
            }
        }
    }
    if (leaks.n)
        qsort(leaks.r, leaks.n, sizeof *leaks.r, by_bytes);

    char *tmp = xcalloc(strlen(out) + 16, 1);
    snprintf(tmp, strlen(out) + 16, "%s.tmp%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        die("cannot write '%s': %s", out, strerror(errno));
    const struct mp_json *first = in[0];
    uint64_t pid = u64(first, "pid");
    fprintf(f, "{\n  \"format\": \"memplumber-report\",\n  \"version\": 1,\n  \"pid\": %llu,\n"
               "  \"report_seq\": 1,\n  \"command\": ", (unsigned long long)pid);
    const struct mp_json *cmd = mp_json_get(first, "command");
    if (cmd && cmd->type == MP_JSON_ARRAY)
        put_value(f, cmd);
    else
        fputs("[]", f);
    fputs(",\n  \"merged_from\": [", f);
    for (size_t i = 0; i < nin; i++) {
        fputs(i ? ",\n    {\"file\": " : "\n    {\"file\": ", f);
        put_str(f, argv[2 + i]);
        fprintf(f, ", \"pid\": %llu, \"command\": ", (unsigned long long)u64(in[i], "pid"));
        cmd = mp_json_get(in[i], "command");
        if (cmd && cmd->type == MP_JSON_ARRAY)
            put_value(f, cmd);
        else
            fputs("[]", f);
        fputc('}', f);
    }
    fputs("\n  ],\n  \"summary\": {\n", f);
    for (size_t k = 0; k < NSUM; k++)
        fprintf(f, "    \"%s\": {\"bytes\": %llu, \"blocks\": %llu},\n", summary_names[k],
                (unsigned long long)sum[k][0], (unsigned long long)sum[k][1]);
    fprintf(f, "    \"errors\": %llu\n  },\n  \"only_new\": false,\n  \"min_age_s\": 0,\n",
            (unsigned long long)errors_total);
    /* The inputs' baseline marks, summed up over the merged records. */
    const char *bfile = NULL;
    for (size_t i = 0; i < nin && !bfile; i++)
        bfile = mp_json_str(mp_json_get(in[i], "baseline"), "file");
    if (bfile) {
        size_t c[2][2] = {{0}}; /* [leaks, errors][new, known] */
        for (size_t i = 0; i < leaks.n; i++)
            if (leaks.r[i].bstate)
                c[0][leaks.r[i].bstate - 1]++;
        for (size_t i = 0; i < errs.n; i++)
            if (errs.r[i].bstate)
                c[1][errs.r[i].bstate - 1]++;
        fputs("  \"baseline\": {\"file\": ", f);
        put_str(f, bfile);
        fprintf(f, ", \"new_leaks\": %zu, \"known_leaks\": %zu, \"new_errors\": %zu, "
                   "\"known_errors\": %zu},\n", c[0][0], c[0][1], c[1][0], c[1][1]);
    } else {
        fputs("  \"baseline\": null,\n", f);
    }
    fputs("  \"leaks\": [", f);
    for (size_t i = 0; i < leaks.n; i++) {
        const struct rec *r = &leaks.r[i];
        char hex[17];
        mp_leak_key_hex(r->key, hex);
        fputs(i ? ",\n    {\"kind\": " : "\n    {\"kind\": ", f);
        put_str(f, mp_json_str(r->first, "kind"));
        fprintf(f, ", \"bytes\": %llu, \"blocks\": %llu, \"allocator\": ",
                (unsigned long long)r->bytes, (unsigned long long)r->blocks);
        const char *alloc = mp_json_str(r->first, "allocator");
        put_str(f, alloc ? alloc : "unknown");
        fprintf(f, ", \"oldest_age_s\": %llu, \"newest_age_s\": %llu, \"key\": \"%s\", "
                   "\"reports\": %zu, ",
                (unsigned long long)r->oldest, (unsigned long long)r->newest, hex, r->reports);
        if (r->bstate)
            fprintf(f, "\"baseline\": \"%s\", ", state_name(r->bstate));
        fputs("\"stack\": ", f);
        put_stack(f, mp_json_get(r->first, "stack"));
        fputc('}', f);
    }
    fputs(leaks.n ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [", f);
    for (size_t i = 0; i < errs.n; i++) {
        const struct rec *r = &errs.r[i];
        char hex[17];
        mp_leak_key_hex(r->key, hex);
        fputs(i ? ",\n    {\"kind\": " : "\n    {\"kind\": ", f);
        put_str(f, mp_json_str(r->first, "kind"));
        const char *addr = mp_json_str(r->first, "address");
        fputs(", \"address\": ", f);
        put_str(f, addr ? addr : "0x0");
        fprintf(f, ", \"count\": %llu", (unsigned long long)r->count);
        const struct mp_json *size = mp_json_get(r->first, "size");
        if (size && size->type == MP_JSON_NUMBER)
            fprintf(f, ", \"size\": %s", size->text);
        fprintf(f, ", \"key\": \"%s\", \"reports\": %zu", hex, r->reports);
        if (r->bstate)
            fprintf(f, ", \"baseline\": \"%s\"", state_name(r->bstate));
        static const char *const names[] = {"stack", "alloc_stack", "free_stack"};
        for (int k = 0; k < 3; k++) {
            const struct mp_json *st = mp_json_get(r->first, names[k]);
            if (!st)
                continue;
            fprintf(f, ", \"%s\": ", names[k]);
            put_stack(f, st);
        }
        fputc('}', f);
    }
    fputs(errs.n ? "\n  ],\n" : "],\n", f);
    fputs("  \"snapshot_interval_s\": 0,\n  \"snapshots\": [],\n  \"growth\": []\n}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        int e = errno;
        unlink(tmp);
        die("cannot write '%s': %s", out, strerror(e));
    }
    if (rename(tmp, out) != 0) {
        int e = errno;
        unlink(tmp);
        die("cannot write '%s': %s", out, strerror(e));
    }
    fprintf(stderr, "memplumber merge: %zu report%s, %zu loss record%s, %zu error context%s -> %s\n",
            nin, nin == 1 ? "" : "s", leaks.n, leaks.n == 1 ? "" : "s", errs.n,
            errs.n == 1 ? "" : "s", out);
    for (size_t i = 0; i < nin; i++)
        mp_json_free(in[i]);
    free(in);
    free(leaks.r);
    free(errs.r);
    free(tmp);
    return 0;
}
