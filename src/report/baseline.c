/* Reading memplumber JSON reports back; the baseline (baseline.h). */
#include "report/baseline.h"

#include "common/kinds.h"
#include "common/leakkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp_baseline {
    uint64_t *keys;     /* sorted */
    size_t n;
};

static int leak_kind(const char *s)
{
    for (unsigned k = 0; s && k < MP_LEAK_NKINDS; k++)
        if (!strcmp(s, mp_leak_kind_name(k)))
            return (int)k;
    return -1;
}

static int error_kind(const char *s)
{
    for (unsigned k = 0; s && k < MP_ERR_NKINDS; k++)
        if (!strcmp(s, mp_error_kind_name(k)))
            return (int)k;
    return -1;
}

static int str_or_null(const struct mp_json *v)
{
    return !v || v->type == MP_JSON_NULL || v->type == MP_JSON_STRING;
}

static int check_stack(const struct mp_json *st, const char *where, char *err, size_t errlen)
{
    if (st->type != MP_JSON_ARRAY) {
        snprintf(err, errlen, "%s is not an array of frames", where);
        return -1;
    }
    for (size_t i = 0; i < st->n; i++) {
        const struct mp_json *f = st->items[i];
        if (f->type != MP_JSON_OBJECT) {
            snprintf(err, errlen, "frame %zu of %s is not an object", i, where);
            return -1;
        }
        static const char *const names[] = {"function", "file", "module"};
        for (int k = 0; k < 3; k++)
            if (!str_or_null(mp_json_get(f, names[k]))) {
                snprintf(err, errlen, "frame %zu of %s: \"%s\" is neither a string nor null",
                         i, where, names[k]);
                return -1;
            }
    }
    return 0;
}

int mp_report_json_check(const struct mp_json *j, char *err, size_t errlen)
{
    const char *fmt = mp_json_str(j, "format");
    uint64_t version;
    if (!j || j->type != MP_JSON_OBJECT || !fmt || strcmp(fmt, "memplumber-report")) {
        snprintf(err, errlen, "not a memplumber JSON report (no \"format\": \"memplumber-report\"; "
                              "write one with --json=FILE)");
        return -1;
    }
    if (mp_json_u64(mp_json_get(j, "version"), &version) || version != 1) {
        snprintf(err, errlen, "report format version is not 1 (this memplumber reads version 1)");
        return -1;
    }
    const struct mp_json *leaks = mp_json_get(j, "leaks"), *errors = mp_json_get(j, "errors");
    if (!leaks || leaks->type != MP_JSON_ARRAY) {
        snprintf(err, errlen, "\"leaks\" is missing or not an array");
        return -1;
    }
    if (!errors || errors->type != MP_JSON_ARRAY) {
        snprintf(err, errlen, "\"errors\" is missing or not an array");
        return -1;
    }
    char where[64];
    for (size_t i = 0; i < leaks->n; i++) {
        const struct mp_json *r = leaks->items[i];
        uint64_t v;
        snprintf(where, sizeof where, "leaks[%zu]", i);
        if (r->type != MP_JSON_OBJECT) {
            snprintf(err, errlen, "%s is not an object", where);
            return -1;
        }
        if (leak_kind(mp_json_str(r, "kind")) < 0) {
            snprintf(err, errlen, "%s: \"kind\" is not one of definitely_lost, indirectly_lost, "
                                  "possibly_lost, still_reachable", where);
            return -1;
        }
        if (mp_json_u64(mp_json_get(r, "bytes"), &v) || mp_json_u64(mp_json_get(r, "blocks"), &v)) {
            snprintf(err, errlen, "%s: \"bytes\" or \"blocks\" is missing or not a non-negative "
                                  "integer", where);
            return -1;
        }
        const struct mp_json *st = mp_json_get(r, "stack");
        if (!st) {
            snprintf(err, errlen, "%s has no \"stack\"", where);
            return -1;
        }
        snprintf(where, sizeof where, "leaks[%zu].stack", i);
        if (check_stack(st, where, err, errlen))
            return -1;
    }
    for (size_t i = 0; i < errors->n; i++) {
        const struct mp_json *r = errors->items[i];
        uint64_t v;
        snprintf(where, sizeof where, "errors[%zu]", i);
        if (r->type != MP_JSON_OBJECT) {
            snprintf(err, errlen, "%s is not an object", where);
            return -1;
        }
        if (error_kind(mp_json_str(r, "kind")) < 0) {
            snprintf(err, errlen, "%s: \"kind\" is not a heap error kind memplumber knows "
                                  "(double_free, invalid_free, mismatched_free, ...)", where);
            return -1;
        }
        if (mp_json_u64(mp_json_get(r, "count"), &v)) {
            snprintf(err, errlen, "%s: \"count\" is missing or not a non-negative integer", where);
            return -1;
        }
        static const char *const names[] = {"stack", "alloc_stack", "free_stack"};
        for (int k = 0; k < 3; k++) {
            const struct mp_json *st = mp_json_get(r, names[k]);
            snprintf(where, sizeof where, "errors[%zu].%s", i, names[k]);
            if (st && check_stack(st, where, err, errlen))
                return -1;
        }
    }
    return 0;
}

uint64_t mp_report_json_key(const struct mp_json *rec)
{
    const struct mp_json *st = mp_json_get(rec, "stack");
    size_t n = st && st->type == MP_JSON_ARRAY ? st->n : 0;
    struct mp_key_frame one, *f = n ? malloc(n * sizeof *f) : &one;
    if (!f) { /* out of memory: a key no baseline holds, so the record counts as new */
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        f[i].function = mp_json_str(st->items[i], "function");
        f[i].file = mp_json_str(st->items[i], "file");
        f[i].module = mp_json_str(st->items[i], "module");
    }
    uint64_t k = mp_leak_key(mp_json_str(rec, "kind"), f, n);
    if (f != &one)
        free(f);
    return k;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct mp_baseline *mp_baseline_load(const char *path, char *err, size_t errlen)
{
    char why[768];
    struct mp_json *j = mp_json_parse_file(path, MP_REPORT_READ_MAX, why, sizeof why);
    if (!j) {
        snprintf(err, errlen, "%s", why);
        return NULL;
    }
    if (mp_report_json_check(j, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        mp_json_free(j);
        return NULL;
    }
    const struct mp_json *leaks = mp_json_get(j, "leaks"), *errors = mp_json_get(j, "errors");
    struct mp_baseline *b = calloc(1, sizeof *b);
    size_t n = leaks->n + errors->n;
    if (!b || !(b->keys = malloc((n ? n : 1) * sizeof *b->keys))) {
        snprintf(err, errlen, "out of memory");
        free(b);
        mp_json_free(j);
        return NULL;
    }
    for (size_t i = 0; i < leaks->n; i++)
        b->keys[b->n++] = mp_report_json_key(leaks->items[i]);
    for (size_t i = 0; i < errors->n; i++)
        b->keys[b->n++] = mp_report_json_key(errors->items[i]);
    qsort(b->keys, b->n, sizeof *b->keys, cmp_u64);
    mp_json_free(j);
    return b;
}

int mp_baseline_has(const struct mp_baseline *b, uint64_t key)
{
    return b && bsearch(&key, b->keys, b->n, sizeof key, cmp_u64) != NULL;
}

void mp_baseline_free(struct mp_baseline *b)
{
    if (b)
        free(b->keys);
    free(b);
}
