/* A small JSON reader (RFC 8259) for the reports memplumber reads back: the baseline
 * (--baseline) in the report library and the CLI, and `memplumber merge` in the CLI. Builds a
 * tree with malloc (the report library runs under the preload library's guard, so this is not
 * tracked). Numbers keep their text; strings are decoded to UTF-8 (\u escapes included). */
#ifndef MP_REPORT_JSONREAD_H
#define MP_REPORT_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

enum mp_json_type { MP_JSON_NULL, MP_JSON_BOOL, MP_JSON_NUMBER, MP_JSON_STRING, MP_JSON_ARRAY,
                    MP_JSON_OBJECT };

struct mp_json {
    enum mp_json_type type;
    int boolean;
    char *text;                 /* STRING: decoded; NUMBER: as written */
    size_t n;                   /* ARRAY / OBJECT: number of items */
    struct mp_json **items;     /* ARRAY / OBJECT: the values */
    char **keys;                /* OBJECT: the member names */
};

/* Parse len bytes of text. NULL on error, with "line L, column C: what" in err. */
struct mp_json *mp_json_parse(const char *text, size_t len, char *err, size_t errlen);
void mp_json_free(struct mp_json *j);
/* Read a whole file (up to max bytes) and parse it; NULL with the reason in err (no file name:
 * the caller names the file). */
struct mp_json *mp_json_parse_file(const char *path, size_t max, char *err, size_t errlen);

/* The member `key` of an object (NULL if j is not an object or has no such member). */
const struct mp_json *mp_json_get(const struct mp_json *j, const char *key);
/* A string member's text, or NULL (missing, null or not a string). */
const char *mp_json_str(const struct mp_json *j, const char *key);
/* A non-negative integer: 0 and the value, or -1 when j is not one. */
int mp_json_u64(const struct mp_json *j, uint64_t *v);

#endif
