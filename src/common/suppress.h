/* Suppression files: parser, validator and matcher, shared by the CLI (checks files before the
 * program starts), libmemplumber.so (checks them again at startup when only MEMPLUMBER_OPTIONS
 * names them) and libmemplumber-report.so (matches loss records and heap errors).
 * Two formats, one per file, told apart by the first line that is not blank or a '#' comment:
 *   valgrind:   { name / Memcheck:Leak / [match-leak-kinds: ...] / fun:|obj:|src:|... / }
 *   memplumber: leak:TEMPLATE [kinds=LIST] and error:TEMPLATE, one per line: LeakSanitizer's
 *               format (leak: lines, matched as LeakSanitizer matches them) and two additions
 * Context: no malloc, no stdio, no locks: every result goes into memory the caller supplies, and
 * files are read with raw system calls, so the preload library may call it during its
 * initialisation. Depends on libc headers and common/kinds.h only. Not thread-safe per set. */
#ifndef MP_SUPPRESS_H
#define MP_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Largest suppression file accepted, by every caller alike (so that the CLI and the library
 * accept exactly the same files). */
#define MP_SUPP_FILE_MAX (1u << 20)
/* Why a pipe (bash's <(...), a FIFO) or a socket cannot be a suppression file: the file is read
 * again in every process observed and at each report, and a pipe gives its text only once, so
 * the suppressions would be lost without a word. */
#define MP_SUPP_PIPE_WHY                                                                       \
    "it is a pipe, which can be read only once, and memplumber reads the file in every "      \
    "process and again at each report; write the suppressions to a regular file and give that"

enum mp_supp_format { MP_SUPP_VALGRIND = 0, MP_SUPP_NATIVE = 1 };

enum mp_supp_type {
    MP_SUPP_OTHER = 0,  /* a valgrind kind memplumber does not report (Memcheck:Cond ...): never matches */
    MP_SUPP_LEAK = 1,   /* Memcheck:Leak, leak: */
    MP_SUPP_ERROR = 2,  /* Memcheck:Free, error: (every heap-misuse error kind) */
};

enum mp_supp_pat_kind { MP_SUPP_FUN = 0, MP_SUPP_OBJ, MP_SUPP_SRC, MP_SUPP_ANY /* "..." */ };

/* One frame line of a valgrind suppression (or the one pattern of a memplumber line). */
struct mp_supp_pat {
    unsigned kind;          /* enum mp_supp_pat_kind */
    unsigned line;          /* src:FILE:LINE: the line, else 0 */
    const char *glob;       /* NULL for MP_SUPP_ANY */
};

struct mp_supp {
    struct mp_supp *next;
    const char *name;       /* valgrind: the block's name; memplumber: the line as written */
    const char *file;       /* the file name given to mp_suppress_parse */
    unsigned line;          /* valgrind: the name's line (as valgrind reports it); else the line */
    unsigned format;        /* enum mp_supp_format */
    unsigned type;          /* enum mp_supp_type */
    unsigned kinds;         /* leaks: bitmask of (1u << enum mp_leak_kind) matched */
    const struct mp_supp_pat *pats;
    unsigned npats;
    /* Statistics, kept by the caller (the matcher never writes). */
    uint64_t used, bytes, blocks;
};

/* The suppressions of one or more files, as a list (in file order). */
struct mp_supp_set {
    struct mp_supp *head, **tail;
    size_t count;
    int any_fun;            /* some valgrind suppression has a fun: line (mangled names help) */
};

/* One symbolized frame, as the matcher sees it. Any string may be NULL (unknown). */
struct mp_supp_frame {
    const char *function;   /* demangled name */
    const char *mangled;    /* linkage name when it differs from function */
    const char *file;       /* source file path */
    unsigned line;
    const char *module;     /* path of the ELF object */
};

/* An empty set. */
void mp_suppress_init(struct mp_supp_set *set);

/* Bytes of storage that mp_suppress_parse needs at most for text (an upper bound). */
size_t mp_suppress_storage_needed(const char *text, size_t len, const char *filename);

/* Parse one file's text. filename is used in messages and copied into the suppressions.
 * With storage == NULL only validates (out may be NULL). Otherwise appends the suppressions to
 * out, every string and structure living in storage (which must outlive out; see
 * mp_suppress_storage_needed). Returns 0, or -1 with "FILE:LINE: what is wrong; what is valid"
 * in err (nothing is appended to out then). */
int mp_suppress_parse(const char *text, size_t len, const char *filename, struct mp_supp_set *out,
                      void *storage, size_t storage_len, char *err, size_t errlen);

/* Read a whole file into buf (cap bytes; a NUL is added, so the text is at most cap - 1
 * bytes). display names the file in messages. Returns 0 and the length in *len, or -1 with a
 * message (cannot open, a directory, larger than cap - 1 bytes). Raw system calls only. */
int mp_suppress_read_file(const char *path, const char *display, char *buf, size_t cap,
                          size_t *len, char *err, size_t errlen);

/* Read and validate one file with buf as scratch space (cap bytes). 0 or -1 with a message. */
int mp_suppress_check_file(const char *path, const char *display, char *buf, size_t cap,
                           char *err, size_t errlen);

/* Glob match of all of s: '*' any run of characters, '?' any one character. */
int mp_suppress_glob(const char *glob, const char *s);

/* LeakSanitizer's template match: does s (NULL or "" never matches) contain templ, where '*' in
 * templ is any run of characters, a leading '^' anchors it to the start of s and a '$' to the
 * end (what follows a '$' is ignored, as in LeakSanitizer)? */
int mp_suppress_template(const char *templ, const char *s);

/* The first suppression that matches a loss record of kind leak_kind (enum mp_leak_kind) made
 * by allocator alloc_kind (enum mp_alloc_kind) whose stack is frames[0..n) (frame 0 = the
 * allocator's caller), or NULL. A valgrind suppression's first frame line may name the
 * allocator itself (fun:malloc, fun:_Znwm, ...), as valgrind's stacks start there. */
struct mp_supp *mp_suppress_match_leak(const struct mp_supp_set *set, unsigned leak_kind,
                                       unsigned alloc_kind, const struct mp_supp_frame *frames,
                                       size_t n);

/* Same for a heap-misuse error of kind err_kind (enum mp_error_kind) made by a call of
 * free_kind (enum mp_free_kind) whose stack is frames[0..n) (frame 0 = the bad call's caller). */
struct mp_supp *mp_suppress_match_error(const struct mp_supp_set *set, unsigned err_kind,
                                        unsigned free_kind, const struct mp_supp_frame *frames,
                                        size_t n);

/* The frame line valgrind would show first for a block / an error ("fun:malloc",
 * "fun:_Znwm", "fun:free", ...): the first line of a generated suppression. */
const char *mp_suppress_alloc_frame(unsigned alloc_kind);
const char *mp_suppress_free_frame(unsigned err_kind, unsigned free_kind);

#endif
