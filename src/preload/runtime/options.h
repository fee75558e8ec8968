/* memplumber options: parsed from MEMPLUMBER_OPTIONS (name=value:name=value) in the preload
 * library, and validated by the CLI before the program starts. The list lives in options.inc.
 * Allocation-free and stdio-free: safe to call from the first malloc of a process. */
#ifndef MP_OPTIONS_H
#define MP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define MP_OPT_STR_MAX 1024
/* Deepest stack option depth accepts (valgrind's --num-callers limit). */
#define MP_MAX_DEPTH 500

enum mp_opt_type { MP_OT_BOOL, MP_OT_UINT, MP_OT_SIZE, MP_OT_STR, MP_OT_LEAKCHECK, MP_OT_KINDS,
                   MP_OT_HEUR };

#define MP_OT_FIELD_BOOL int
#define MP_OT_FIELD_UINT unsigned long
#define MP_OT_FIELD_SIZE unsigned long
#define MP_OT_FIELD_LEAKCHECK int
#define MP_OT_FIELD_KINDS unsigned
#define MP_OT_FIELD_HEUR unsigned

/* Index of each option in options.inc (and mp_option_table): MP_OPTIDX_name. */
enum mp_option_index {
#define MP_OPTION(type, name, def, alias, help) MP_OPTIDX_##name,
#include "preload/runtime/options.inc"
#undef MP_OPTION
    MP_OPTION_COUNT
};

struct mp_options {
#define MP_OPT_FIELD_STR(name) char name[MP_OPT_STR_MAX];
#define MP_OPT_FIELD_BOOL(name) int name;
#define MP_OPT_FIELD_UINT(name) unsigned long name;
#define MP_OPT_FIELD_SIZE(name) unsigned long name;
#define MP_OPT_FIELD_LEAKCHECK(name) int name;
#define MP_OPT_FIELD_KINDS(name) unsigned name;
#define MP_OPT_FIELD_HEUR(name) unsigned name;
#define MP_OPTION(type, name, def, alias, help) MP_OPT_FIELD_##type(name)
#include "preload/runtime/options.inc"
#undef MP_OPTION
    /* given[MP_OPTIDX_name]: the option was set (mp_options_set), not left at its default.
     * An option given explicitly at its default value can mean more than the default:
     * leak_check=full makes loss records errors, follow_exec=yes lets error_exitcode apply in
     * programs started with exec. */
    unsigned char given[MP_OPTION_COUNT];
};

#define MP_OPT_GIVEN(o, name) ((o)->given[MP_OPTIDX_##name])

struct mp_option_desc {
    const char *name;       /* snake_case */
    enum mp_opt_type type;
    const char *def;        /* default, as text */
    const char *alias;      /* valgrind spelling (CLI only), or NULL */
    const char *help;
};

extern const struct mp_option_desc mp_option_table[];
extern const unsigned mp_option_count;

/* Fill o with the defaults. */
void mp_options_defaults(struct mp_options *o);

/* Set one option from text. name/value need not be NUL-terminated. Returns 0, or -1 with a
 * message in err naming the option, the bad value and what is valid. */
int mp_options_set(struct mp_options *o, const char *name, size_t namelen, const char *val,
                   size_t vallen, char *err, size_t errlen);

/* Parse a whole MEMPLUMBER_OPTIONS string ("a=1:b=x"). Stops at the first error (-1, message
 * in err), else 0. A name may be written with dashes instead of underscores. */
int mp_options_parse(struct mp_options *o, const char *spec, char *err, size_t errlen);

/* Look up an option by name (underscores or dashes) or valgrind alias; NULL if none. */
const struct mp_option_desc *mp_options_find(const char *name, size_t namelen, int allow_alias);

/* Expand %p in a path with pid into out. Returns 0, or -1 if it does not fit. */
int mp_options_expand_path(const char *in, int pid, char *out, size_t outlen);

/* report_mode's octal text (0-0777) and the fill options' byte (0xNN or 0-255): 0, or -1 when
 * the text is not one. out may be NULL (only check). */
int mp_options_octal(const char *s, size_t n, unsigned *out);
int mp_options_byte(const char *s, size_t n, int *out);

#endif
