/* memplumber CLI options (see args.h). The option list is mp_option_table (options.inc); every
 * value goes through mp_options_set(), so the CLI accepts and rejects exactly what the preload
 * library would, but says so before the program starts instead of after. */
#include "cli/args.h"
#include "common/repfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kinds.h"
#include "common/suppress.h"
#include "report/baseline.h"
#include "cli/vgopts.h"

/* ---- messages ---- */

/* Where the options being parsed come from, when not the command line: "$VALGRIND_OPTS",
 * "~/.valgrindrc (/home/u/.valgrindrc)"; every error names it. */
static const char *origin;

void mp_args_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("memplumber: error: ", stderr);
    if (origin)
        fprintf(stderr, "in %s: ", origin);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(MP_CLI_EXIT_USAGE);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mp_args_die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* ---- option values as text ---- */

static unsigned opt_index(const struct mp_option_desc *d)
{
    return (unsigned)(d - mp_option_table);
}

/* "log_file" -> "log-file" (the CLI spelling); out holds at least strlen(name)+1 bytes. */
static const char *dashed(const char *name, char *out, size_t outlen)
{
    size_t i = 0;
    for (; name[i] && i + 1 < outlen; i++)
        out[i] = name[i] == '_' ? '-' : name[i];
    out[i] = 0;
    return out;
}

static void fmt_str(const char *v, char *buf, size_t len)
{
    snprintf(buf, len, "%s", v);
}

static void fmt_bool(int v, char *buf, size_t len)
{
    snprintf(buf, len, "%s", v ? "yes" : "no");
}

static void fmt_ulong(unsigned long v, char *buf, size_t len)
{
    snprintf(buf, len, "%lu", v);
}

static void fmt_leakcheck(int v, char *buf, size_t len)
{
    snprintf(buf, len, "%s", v == 2 ? "full" : v == 1 ? "summary" : "no");
}

static void fmt_kinds(unsigned v, char *buf, size_t len)
{
    static const char *const names[MP_LEAK_NKINDS] = {
        [MP_LEAK_DEFINITE] = "definite", [MP_LEAK_INDIRECT] = "indirect",
        [MP_LEAK_POSSIBLE] = "possible", [MP_LEAK_REACHABLE] = "reachable"};
    size_t at = 0;
    buf[0] = 0;
    if ((v & 15) == 0) {
        snprintf(buf, len, "none");
        return;
    }
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++)
        if (v & (1u << k)) {
            int n = snprintf(buf + at, len - at, "%s%s", at ? "," : "", names[k]);
            if (n < 0 || (size_t)n >= len - at)
                return;
            at += (size_t)n;
        }
}

static void fmt_heur(unsigned v, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    if ((v & MP_HEUR_ALL) == MP_HEUR_ALL || !(v & MP_HEUR_ALL)) {
        snprintf(buf, len, "%s", v ? "all" : "none");
        return;
    }
    for (unsigned h = 0; h < MP_HEUR_N; h++)
        if (v & (1u << h)) {
            int n = snprintf(buf + at, len - at, "%s%s", at ? "," : "", mp_heuristic_name(h));
            if (n < 0 || (size_t)n >= len - at)
                return;
            at += (size_t)n;
        }
}

#define FMT_STR(f) fmt_str(f, buf, len)
#define FMT_BOOL(f) fmt_bool(f, buf, len)
#define FMT_UINT(f) fmt_ulong(f, buf, len)
#define FMT_SIZE(f) fmt_ulong(f, buf, len)
#define FMT_LEAKCHECK(f) fmt_leakcheck(f, buf, len)
#define FMT_KINDS(f) fmt_kinds(f, buf, len)
#define FMT_HEUR(f) fmt_heur(f, buf, len)

/* The value of option idx in o, in the canonical spelling MEMPLUMBER_OPTIONS accepts. */
static void format_value(const struct mp_options *o, unsigned idx, char *buf, size_t len)
{
    unsigned i = 0;
#define MP_OPTION(type, name, def, alias, help)                                                    \
    if (idx == i++) {                                                                              \
        FMT_##type(o->name);                                                                       \
        return;                                                                                    \
    }
#include "preload/runtime/options.inc"
#undef MP_OPTION
    buf[0] = 0;
}

#define STRF_STR(f) (f)
#define STRF_BOOL(f) NULL
#define STRF_UINT(f) NULL
#define STRF_SIZE(f) NULL
#define STRF_LEAKCHECK(f) NULL
#define STRF_KINDS(f) NULL
#define STRF_HEUR(f) NULL

/* The text field of option idx, or NULL if the option is not a string. */
static const char *str_field(const struct mp_options *o, unsigned idx)
{
    unsigned i = 0;
#define MP_OPTION(type, name, def, alias, help)                                                    \
    if (idx == i++)                                                                                \
        return STRF_##type(o->name);
#include "preload/runtime/options.inc"
#undef MP_OPTION
    return NULL;
}

/* Report files: the library writes them, possibly after the program changed directory. */
static const char *report_label(const char *name)
{
    if (!strcmp(name, "log_file"))
        return "text report";
    if (!strcmp(name, "json"))
        return "JSON report";
    if (!strcmp(name, "sarif"))
        return "SARIF report";
    if (!strcmp(name, "html"))
        return "HTML report";
    if (!strcmp(name, "pprof"))
        return "pprof profile";
    if (!strcmp(name, "xml_file"))
        return "XML report";
    return NULL;
}

static const char *metavar(const struct mp_option_desc *d)
{
    switch (d->type) {
    case MP_OT_STR:
        if (report_label(d->name))
            return "FILE";
        if (!strcmp(d->name, "suppressions"))
            return "FILE[,FILE...]";
        if (!strcmp(d->name, "baseline"))
            return "FILE";
        if (!strcmp(d->name, "sarif_root"))
            return "DIR";
        return "TEXT";
    case MP_OT_UINT:
        return "N";
    case MP_OT_SIZE:
        return "SIZE";
    case MP_OT_BOOL:
        return "yes|no";
    case MP_OT_LEAKCHECK:
        return "full|summary|no";
    case MP_OT_KINDS:
        return "KIND[,KIND...]";
    case MP_OT_HEUR:
        return "HEUR[,HEUR...]";
    }
    return "VALUE";
}

/* ---- --help ---- */

/* Print text word-wrapped at 79 columns, every line indented by indent spaces. */
static void print_wrapped(FILE *f, const char *text, int indent)
{
    const int width = 79;
    const char *p = text;
    while (*p) {
        int col = indent;
        fprintf(f, "%*s", indent, "");
        int first = 1;
        while (*p) {
            const char *w = p;
            while (*w == ' ')
                w++;
            const char *e = w;
            while (*e && *e != ' ')
                e++;
            int wl = (int)(e - w);
            if (!first && col + 1 + wl > width)
                break;
            fprintf(f, "%s%.*s", first ? "" : " ", wl, w);
            col += (first ? 0 : 1) + wl;
            first = 0;
            p = e;
        }
        while (*p == ' ')
            p++;
        fputc('\n', f);
    }
}

/* 16777216 -> "16M": sizes in the help read as they are written. */
static void human_size(unsigned long v, char *buf, size_t len)
{
    static const char suffix[] = "KMG";
    int k = -1;
    while (k < 2 && v && v % 1024 == 0) {
        v /= 1024;
        k++;
    }
    if (k < 0)
        snprintf(buf, len, "%lu", v);
    else
        snprintf(buf, len, "%lu%c", v, suffix[k]);
}

static void print_usage(FILE *f)
{
    fputs("Usage: memplumber [options] [--] program [args...]\n"
          "       memplumber merge OUT.json IN.json...   (add up the JSON reports of several runs)\n", f);
}

/* The texts of --help, shared with the man page (--help-man): one source for both. */
static const char HELP_SUMMARY[] =
    "find memory leaks and heap misuse in a program; a drop-in for valgrind memcheck";
static const char HELP_DESCRIPTION[] =
    "Runs PROGRAM with libmemplumber.so preloaded and, when it exits, reports the heap blocks it "
    "never freed, classified like valgrind memcheck (definitely lost, indirectly lost, possibly "
    "lost, still reachable), plus heap misuse (double, invalid and mismatched frees) as it "
    "happens. Child processes are followed.";
static const char HELP_OPTIONS_INTRO[] =
    "Options (in brackets: the name in MEMPLUMBER_OPTIONS=name=value:name=value):";
static const char HELP_VALUES[] =
    "A value follows its option after '=' or as the next argument (--json out.json). Yes/no "
    "options take a value only after '=': a bare --name means yes and --no-name means no. "
    "Relative report paths are made absolute against the current directory. The last "
    "occurrence of an option wins.";
static const char *const HELP_MORE[][2] = {
    {"-h, --help", "print this help and exit"},
    {"--help-valgrind", "print what memplumber does with each of valgrind's options (all are "
                        "accepted: -q, -v, --tool=memcheck, --xml=yes, --track-origins=...)"},
    {"--version", "print the version and exit"},
};
static const char *const HELP_EXAMPLES[] = {
    "memplumber ./prog arg1 arg2",
    "memplumber --leak-check=full --show-leak-kinds=all --num-callers=40 ./prog",
    "memplumber --json=leaks.json --error-exitcode=1 -- make check",
    "memplumber --log-file=leaks.%p.txt -- sh -c './server & ./client'",
    "memplumber --json=new.json --baseline=old.json --error-exitcode=1 -- ./tests",
    "LD_PRELOAD=/usr/local/lib/libmemplumber.so MEMPLUMBER_OPTIONS=json=/tmp/r.%p.json ./prog",
    "memplumber report 4242 --json=now.json",
};
static const char *const HELP_ENV[][2] = {
    {"MEMPLUMBER_LIB", "path of libmemplumber.so (default: next to this binary, or ../lib)"},
    {"MEMPLUMBER_OPTIONS", "options applied before those of the command line"},
    {"VALGRIND_OPTS", "valgrind options read after ~/.valgrindrc and before ./.valgrindrc and "
                      "the command line, as valgrind does (not with --command-line-only=yes)"},
};
static const char HELP_EXIT[] =
    "The program's (see --error-exitcode); 2 for memplumber's own errors; 127 if the program is "
    "not found, 126 if it cannot be executed; if the program is killed by a signal, memplumber "
    "kills itself with the same signal.";
static const char HELP_MERGE[] =
    "memplumber merge OUT.json IN.json... adds up the JSON reports of several runs (the "
    "per-process reports of a test suite) into one, identical records added together; SARIF "
    "logs merge the same way.";
static const char HELP_REPORT[] =
    "memplumber report PID asks a process running under memplumber for a leak report now; the "
    "program keeps running (memplumber report --help).";

/* Where the manual is: installed next to this binary (PREFIX/share/doc/memplumber), else in
 * the source tree. */
static void manual_path(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            slash = strrchr(self, '/');
            if (slash) {
                *slash = 0;
                snprintf(out, len, "%s/share/doc/memplumber/MANUAL.md", self);
                if (access(out, R_OK) == 0)
                    return;
            }
        }
    }
    snprintf(out, len, "docs/MANUAL.md in memplumber's source tree");
}

static void print_help(void)
{
    struct mp_options def;
    char dn[128], da[128], val[MP_OPT_STR_MAX];
    mp_options_defaults(&def);
    print_usage(stdout);
    fputs("       memplumber report PID [--json FILE] ...\n\n", stdout);
    print_wrapped(stdout, HELP_DESCRIPTION, 0);
    printf("\n%s\n", HELP_OPTIONS_INTRO);
    for (unsigned i = 0; i < mp_option_count; i++) {
        const struct mp_option_desc *d = &mp_option_table[i];
        dashed(d->name, dn, sizeof dn);
        if (d->type == MP_OT_BOOL)
            printf("  --%s[=yes|no], --no-%s", dn, dn);
        else if (d->type == MP_OT_HEUR)
            printf("  --%s[=%s], --no-%s", dn, metavar(d), dn);
        else
            printf("  --%s=%s", dn, metavar(d));
        if (d->alias && strcmp(dashed(d->alias, da, sizeof da), dn))
            printf(", --%s=%s (valgrind)", da, metavar(d));
        else if (d->alias)
            printf(" (as in valgrind)");
        printf("  [%s]\n", d->name);
        print_wrapped(stdout, d->help, 8);
        format_value(&def, i, val, sizeof val);
        if (d->type == MP_OT_SIZE)
            human_size(strtoul(val, NULL, 10), val, sizeof val);
        printf("        default: %s\n", val[0] ? val : "none");
    }
    for (size_t i = 0; i < sizeof HELP_MORE / sizeof HELP_MORE[0]; i++) {
        printf("  %s\n", HELP_MORE[i][0]);
        print_wrapped(stdout, HELP_MORE[i][1], 8);
    }
    fputs("\n", stdout);
    print_wrapped(stdout, HELP_VALUES, 0);
    fputs("\n", stdout);
    print_wrapped(stdout, HELP_REPORT, 0);
    print_wrapped(stdout, HELP_MERGE, 0);
    fputs("\nExamples:\n", stdout);
    for (size_t i = 0; i < sizeof HELP_EXAMPLES / sizeof HELP_EXAMPLES[0]; i++)
        printf("  %s\n", HELP_EXAMPLES[i]);
    fputs("\nEnvironment:\n", stdout);
    for (size_t i = 0; i < sizeof HELP_ENV / sizeof HELP_ENV[0]; i++)
        printf("  %-20s%s\n", HELP_ENV[i][0], HELP_ENV[i][1]);
    fputs("\nExit status:\n", stdout);
    print_wrapped(stdout, HELP_EXIT, 2);
    char manual[PATH_MAX + 64];
    manual_path(manual, sizeof manual);
    printf("\nManual: man memplumber\nThe full manual: %s\n", manual);
}

/* ---- the man page (--help-man=DOCDIR), from the same texts as --help ---- */

/* Text for roff: backslashes and hyphens escaped, no line starting with '.' or '\''. */
void mp_roff_text(FILE *f, const char *s)
{
    int bol = 1;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        bol = *s == '\n';
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

static void man_section(const char *name)
{
    printf(".SH %s\n", name);
}

static void man_para(const char *text)
{
    fputs(".PP\n", stdout);
    mp_roff_text(stdout, text);
    fputc('\n', stdout);
}

static void man_item(const char *tag, const char *text)
{
    fputs(".TP\n.B ", stdout);
    mp_roff_text(stdout, tag);
    fputc('\n', stdout);
    mp_roff_text(stdout, text);
    fputc('\n', stdout);
}

static void print_man(const char *docdir)
{
    struct mp_options def;
    char dn[128], da[128], val[MP_OPT_STR_MAX], tag[512];
    mp_options_defaults(&def);
    printf(".\\\" Generated by memplumber --help-man from the texts of memplumber --help.\n"
           ".TH MEMPLUMBER 1 \"\" \"memplumber %s\" \"User Commands\"\n",
           MP_CLI_VERSION);
    man_section("NAME");
    fputs("memplumber \\- ", stdout);
    mp_roff_text(stdout, HELP_SUMMARY);
    fputc('\n', stdout);
    man_section("SYNOPSIS");
    fputs(".B memplumber\n[\\fIoptions\\fR] [\\fB\\-\\-\\fR] \\fIprogram\\fR [\\fIargs\\fR...]\n"
          ".br\n.B memplumber report\n\\fIPID\\fR [\\fB\\-\\-json\\fR \\fIFILE\\fR] ...\n"
          ".br\n.B memplumber merge\n\\fIOUT.json\\fR \\fIIN.json\\fR...\n",
          stdout);
    man_section("DESCRIPTION");
    man_para(HELP_DESCRIPTION);
    man_para(HELP_REPORT);
    man_para(HELP_MERGE);
    man_section("OPTIONS");
    man_para(HELP_OPTIONS_INTRO);
    for (unsigned i = 0; i < mp_option_count; i++) {
        const struct mp_option_desc *d = &mp_option_table[i];
        dashed(d->name, dn, sizeof dn);
        size_t at;
        if (d->type == MP_OT_BOOL)
            at = (size_t)snprintf(tag, sizeof tag, "--%s[=yes|no], --no-%s", dn, dn);
        else if (d->type == MP_OT_HEUR)
            at = (size_t)snprintf(tag, sizeof tag, "--%s[=%s], --no-%s", dn, metavar(d), dn);
        else
            at = (size_t)snprintf(tag, sizeof tag, "--%s=%s", dn, metavar(d));
        if (at < sizeof tag && d->alias && strcmp(dashed(d->alias, da, sizeof da), dn))
            at += (size_t)snprintf(tag + at, sizeof tag - at, ", --%s=%s (valgrind)", da,
                                   metavar(d));
        else if (at < sizeof tag && d->alias)
            at += (size_t)snprintf(tag + at, sizeof tag - at, " (as in valgrind)");
        if (at < sizeof tag)
            snprintf(tag + at, sizeof tag - at, "  [%s]", d->name);
        format_value(&def, i, val, sizeof val);
        if (d->type == MP_OT_SIZE)
            human_size(strtoul(val, NULL, 10), val, sizeof val);
        man_item(tag, d->help);
        fputs(".br\ndefault: ", stdout);
        mp_roff_text(stdout, val[0] ? val : "none");
        fputc('\n', stdout);
    }
    for (size_t i = 0; i < sizeof HELP_MORE / sizeof HELP_MORE[0]; i++)
        man_item(HELP_MORE[i][0], HELP_MORE[i][1]);
    man_para(HELP_VALUES);
    man_section("VALGRIND OPTIONS");
    man_para("Every valgrind memcheck option is accepted; what memplumber does with each:");
    mp_vgopt_print_man(stdout);
    man_section("ENVIRONMENT");
    for (size_t i = 0; i < sizeof HELP_ENV / sizeof HELP_ENV[0]; i++)
        man_item(HELP_ENV[i][0], HELP_ENV[i][1]);
    man_section("EXIT STATUS");
    man_para(HELP_EXIT);
    man_section("EXAMPLES");
    fputs(".nf\n", stdout);
    for (size_t i = 0; i < sizeof HELP_EXAMPLES / sizeof HELP_EXAMPLES[0]; i++) {
        mp_roff_text(stdout, HELP_EXAMPLES[i]);
        fputc('\n', stdout);
    }
    fputs(".fi\n", stdout);
    man_section("FILES");
    snprintf(tag, sizeof tag, "%s/MANUAL.md", docdir);
    man_item(tag, "the full manual: every option, suppression files, reports, CTest, CI");
    snprintf(tag, sizeof tag, "%s/REPORT-FORMAT.md", docdir);
    man_item(tag, "the JSON report format");
    man_section("SEE ALSO");
    fputs(".BR valgrind (1),\n.BR pkg-config (1)\n", stdout);
}

/* ---- "did you mean" ---- */

/* Optimal-string-alignment distance (edits, with adjacent transpositions) between a and b,
 * both already lowercase with '-' for '_'. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t *d = xmalloc((n + 1) * (m + 1) * sizeof *d);
#define D(i, j) d[(i) * (m + 1) + (j)]
    for (size_t i = 0; i <= n; i++)
        D(i, 0) = i;
    for (size_t j = 0; j <= m; j++)
        D(0, j) = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < best)
                best = D(i, j - 1) + 1;
            if (D(i - 1, j - 1) + cost < best)
                best = D(i - 1, j - 1) + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                D(i - 2, j - 2) + 1 < best)
                best = D(i - 2, j - 2) + 1;
            D(i, j) = best;
        }
    size_t r = D(n, m);
#undef D
    free(d);
    return r;
}

static void normalize(const char *in, size_t n, char *out, size_t outlen)
{
    size_t i = 0;
    for (; i < n && i + 1 < outlen; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        out[i] = c == '_' ? '-' : c;
    }
    out[i] = 0;
}

struct suggestion {
    char best[160];
    size_t dist;
};

static void consider(struct suggestion *s, const char *given, const char *cand)
{
    size_t gl = strlen(given);
    size_t dist = edit_distance(given, cand);
    if (gl >= 3 && !strncmp(cand, given, gl) && dist > 1)
        dist = 1; /* a truncated spelling: --leak for --leak-check */
    if (dist < s->dist) {
        s->dist = dist;
        snprintf(s->best, sizeof s->best, "--%s", cand);
    }
}

/* The closest valid spelling to name (without its dashes), or NULL if none is close. */
static const char *suggest(const char *name, size_t namelen, struct suggestion *s)
{
    char given[128], cand[160];
    if (namelen >= sizeof given)
        return NULL;
    normalize(name, namelen, given, sizeof given);
    s->dist = (size_t)-1;
    s->best[0] = 0;
    consider(s, given, "help");
    consider(s, given, "version");
    for (unsigned i = 0; i < mp_option_count; i++) {
        const struct mp_option_desc *d = &mp_option_table[i];
        const char *spell[2] = {d->name, d->alias};
        for (int k = 0; k < 2; k++) {
            if (!spell[k])
                continue;
            char sp[128];
            dashed(spell[k], sp, sizeof sp);
            consider(s, given, sp);
            if (d->type == MP_OT_BOOL || d->type == MP_OT_HEUR) {
                snprintf(cand, sizeof cand, "no-%s", sp);
                consider(s, given, cand);
            }
        }
    }
    size_t gl = strlen(given);
    size_t limit = gl <= 3 ? 1 : gl <= 7 ? 2 : 3;
    return s->dist <= limit ? s->best : NULL;
}

static void die_unknown(const char *arg)
{
    const char *name = arg;
    while (*name == '-')
        name++;
    size_t n = strcspn(name, "=");
    struct suggestion s;
    const char *best = n ? suggest(name, n, &s) : NULL;
    fflush(stdout);
    fprintf(stderr, "memplumber: error: %s%s%sunknown option '%.*s'", origin ? "in " : "",
            origin ? origin : "", origin ? ": " : "", (int)((size_t)(name - arg) + n), arg);
    if (best)
        fprintf(stderr, "; did you mean %s?", best);
    fputs("\nsee memplumber --help for the list of options\n", stderr);
    exit(MP_CLI_EXIT_USAGE);
}

/* ---- parsing ---- */

static void set_option(struct mp_args *a, const struct mp_option_desc *d, const char *arg,
                       const char *val)
{
    char err[2048];
    if (mp_options_set(&a->opts, d->name, strlen(d->name), val, strlen(val), err, sizeof err)) {
        /* The message names the option as options.inc spells it; say how it was given when
         * that differs (--num-callers=0 is option 'depth'). */
        char dn[128], given[128];
        size_t gl = strcspn(arg, "=");
        normalize(arg, gl < sizeof given ? gl : sizeof given - 1, given, sizeof given);
        snprintf(dn, sizeof dn, "--");
        dashed(d->name, dn + 2, sizeof dn - 2);
        if (strcmp(given, dn))
            mp_args_die("%s (given as %.*s=%s)", err, (int)gl, arg, val);
        mp_args_die("%s", err);
    }
    if (d->type == MP_OT_STR && strchr(val, ':'))
        mp_args_die("option '%s': '%s' contains ':', which separates the items of "
                    "MEMPLUMBER_OPTIONS, so it cannot be passed to the program; use a path "
                    "without ':'",
                    d->name, val);
    a->set[opt_index(d)] = 1;
}

/* One option at argv[i] (not "--", not the program): applied to a. Returns how many
 * arguments it took (2 when its value is the next one). */
static int parse_one(struct mp_args *a, int argc, char **argv, int i)
{
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "--help-debug") ||
        !strcmp(arg, "--help-dyn-options")) {
        print_help();
        exit(0);
    }
    if (!strcmp(arg, "--version")) {
        /* Run as "valgrind" (a symlink put first in PATH, the drop-in use): scripts and CMake
         * modules read valgrind's "valgrind-X.Y.Z" to gate their memcheck runs (git's test
         * suite wants 3.10 or later, FindValgrind modules fail without a version), so answer in
         * that shape, with the valgrind version whose command line is taken, and say what runs. */
        const char *me = argv[0] ? strrchr(argv[0], '/') : NULL;
        me = me ? me + 1 : argv[0] ? argv[0] : "";
        if (!strcmp(me, "valgrind"))
            printf("valgrind-3.19.0-memplumber-%s\n", MP_CLI_VERSION);
        else
            printf("memplumber %s\n", MP_CLI_VERSION);
        exit(0);
    }
    if (!strncmp(arg, "--help-man=", 11)) {
        print_man(arg + 11);
        exit(0);
    }
    if (!strcmp(arg, "--help-valgrind")) {
        mp_vgopt_print_table(stdout);
        exit(0);
    }
    if (mp_vgopt_apply(a, arg))
        return 1;
    if (arg[1] != '-')
        die_unknown(arg);

    const char *name = arg + 2;
    const char *eqs = strchr(name, '=');
    size_t nlen = eqs ? (size_t)(eqs - name) : strlen(name);
    const struct mp_option_desc *d = nlen ? mp_options_find(name, nlen, 1) : NULL;

    if (!d && nlen > 3 && !strncmp(name, "no", 2) && (name[2] == '-' || name[2] == '_')) {
        const struct mp_option_desc *pos = mp_options_find(name + 3, nlen - 3, 1);
        if (pos && (pos->type == MP_OT_BOOL || pos->type == MP_OT_HEUR)) {
            if (eqs)
                mp_args_die("option '%.*s' takes no value (write --%.*s, or --%.*s=%s)",
                            (int)(nlen + 2), arg, (int)nlen, name, (int)(nlen - 3), name + 3,
                            pos->type == MP_OT_BOOL ? "yes|no" : "none");
            set_option(a, pos, arg, pos->type == MP_OT_BOOL ? "no" : "none");
            return 1;
        }
        if (pos) {
            char dn[128];
            mp_args_die("option '%.*s': --%s is not a yes/no option, so it has no --no- "
                        "form; see memplumber --help",
                        (int)(nlen + 2), arg, dashed(pos->name, dn, sizeof dn));
        }
    }
    if (!d)
        die_unknown(arg);

    if (eqs) {
        set_option(a, d, arg, eqs + 1);
    } else if (d->type == MP_OT_BOOL) {
        set_option(a, d, arg, "yes");
    } else if (d->type == MP_OT_HEUR && !strcmp(name, "heuristics")) {
        set_option(a, d, arg, "all"); /* the earlier yes/no option's bare form */
    } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
        set_option(a, d, arg, argv[i + 1]);
        return 2;
    } else {
        mp_args_die("option '%s' needs a value: %s=%s", arg, arg, metavar(d));
    }
    return 1;
}

/* ---- ~/.valgrindrc, $VALGRIND_OPTS, ./.valgrindrc ---- */

/* Split text into words at white space, as valgrind does: a '...' or "..." part may hold
 * spaces (the quotes are dropped). Each word must be one of valgrind's options, with its value
 * after '='; it is applied as on the command line, errors naming where. */
static void apply_words(struct mp_args *a, char *text, const char *where)
{
    origin = where;
    for (char *cp = text;;) {
        while (*cp == ' ' || (*cp >= '\t' && *cp <= '\r'))
            cp++;
        if (!*cp)
            break;
        char *word = cp, *out = cp;
        char quoted = 0;
        while (*cp && (quoted || !(*cp == ' ' || (*cp >= '\t' && *cp <= '\r')))) {
            if (*cp == quoted)
                quoted = 0;
            else if (!quoted && (*cp == '\'' || *cp == '"'))
                quoted = *cp;
            else
                *out++ = *cp;
            cp++;
        }
        int more = *cp != 0;
        *out = 0;
        if (quoted)
            mp_args_die("'%s': the quote %c is not closed", word, quoted);
        if (word[0] != '-' || !mp_vgopt_is_valgrind_option(word)) {
            const char *e = strchr(word, '=');
            if (word[0] == '-' && word[1] == '-' &&
                mp_options_find(word + 2, e ? (size_t)(e - word - 2) : strlen(word) - 2, 1))
                mp_args_die("'%s' is a memplumber option, not one of valgrind's; only valgrind's "
                            "options are read from here (give memplumber's on the command line "
                            "or in MEMPLUMBER_OPTIONS)", word);
            if (word[0] == '-')
                die_unknown(word);
            mp_args_die("'%s' is not an option; only valgrind's options (--name=value) are read "
                        "from here", word);
        }
        char *one[2] = {NULL, word};
        parse_one(a, 2, one, 1);
        if (!more)
            break;
        cp++;
    }
    origin = NULL;
}

/* The text of dir/.valgrindrc when valgrind would read it: a regular file owned by the user,
 * not writable by others (CVE-2008-4865). Malloc'ed, or NULL (with a note when the file exists
 * but is refused, as valgrind says). */
static char *read_valgrindrc(const char *dir, const char *shown)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/.valgrindrc", dir);
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st))
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "it is not a regular file";
    else if (st.st_uid != geteuid())
        why = "it is not owned by the current user";
    else if (st.st_mode & S_IWOTH)
        why = "it is world-writable";
    if (why) {
        close(fd);
        fflush(stdout);
        fprintf(stderr, "memplumber: note: %s was not read: %s (valgrind does not read it "
                "either)\n", shown, why);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *text = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            text = realloc(text, cap);
            if (!text)
                mp_args_die("out of memory");
        }
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            mp_args_die("cannot read %s: %s", shown, strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    text[len] = 0;
    return text;
}

/* valgrind's order: ~/.valgrindrc, $VALGRIND_OPTS, ./.valgrindrc (read only when $HOME is set
 * and is not the current directory), all before the command line. */
static void apply_valgrind_sources(struct mp_args *a)
{
    const char *home = getenv("HOME");
    char where[PATH_MAX + 64];
    if (home && home[0]) {
        char *t = read_valgrindrc(home, "~/.valgrindrc");
        if (t) {
            snprintf(where, sizeof where, "~/.valgrindrc (%s/.valgrindrc)", home);
            apply_words(a, t, where);
            free(t);
        }
    }
    const char *env = getenv("VALGRIND_OPTS");
    if (env) {
        char *t = xstrdup(env);
        apply_words(a, t, "$VALGRIND_OPTS");
        free(t);
    }
    if (home) {
        struct stat hs, cs;
        if (stat(".", &cs) == 0 && !(stat(home, &hs) == 0 && hs.st_dev == cs.st_dev &&
                                     hs.st_ino == cs.st_ino)) {
            char *t = read_valgrindrc(".", "./.valgrindrc");
            if (t) {
                apply_words(a, t, "./.valgrindrc");
                free(t);
            }
        }
    }
}

void mp_args_parse(struct mp_args *a, int argc, char **argv)
{
    int i;
    mp_options_defaults(&a->opts);
    a->set = xmalloc(mp_option_count);
    memset(a->set, 0, mp_option_count);

    if (!mp_vgopt_command_line_only(argc, argv))
        apply_valgrind_sources(a);
    for (i = 1; i < argc;) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--")) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == 0)
            break; /* the program */
        i += parse_one(a, argc, argv, i);
    }
    mp_vgopt_finish(a);
    if (i >= argc) {
        fflush(stdout);
        fputs("memplumber: error: no program given\n", stderr);
        print_usage(stderr);
        fputs("see memplumber --help for the list of options\n", stderr);
        exit(MP_CLI_EXIT_USAGE);
    }
    a->prog = i;
}

/* ---- files the library will open ---- */

/* path if absolute, else cwd/path (without leading "./"). Malloc'ed. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        mp_args_die("cannot make '%s' absolute: cannot read the current directory: %s", path,
                    strerror(errno));
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/')
            path++;
    }
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *r = xmalloc(n);
    snprintf(r, n, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
    free(cwd);
    return r;
}

/* Store a rewritten value (absolute paths), with the same checks as the command line. */
static void reset_value(struct mp_args *a, unsigned idx, const char *val, const char *given)
{
    const struct mp_option_desc *d = &mp_option_table[idx];
    char err[2048];
    if (mp_options_set(&a->opts, d->name, strlen(d->name), val, strlen(val), err, sizeof err))
        mp_args_die("%s (after making '%s' absolute)", err, given);
    if (strchr(val, ':'))
        mp_args_die("option '%s': the absolute path '%s' contains ':', which separates the "
                    "items of MEMPLUMBER_OPTIONS; run memplumber from another directory or give "
                    "an absolute path without ':'",
                    d->name, val);
}

/* Fail unless the library can create the report file abs (given as given) later. */
static void check_report_path(const char *label, const char *given, const char *abs)
{
    const char *slash = strrchr(abs, '/');
    size_t dl = (size_t)(slash - abs);
    char *dir = xmalloc(dl + 2);
    if (dl == 0)
        strcpy(dir, "/");
    else {
        memcpy(dir, abs, dl);
        dir[dl] = 0;
    }
    /* The directory as the user wrote it, for the message. */
    const char *gslash = strrchr(given, '/');
    char *gdir;
    if (!gslash)
        gdir = xstrdup(dir);
    else if (gslash == given)
        gdir = xstrdup("/");
    else {
        gdir = xmalloc((size_t)(gslash - given) + 1);
        memcpy(gdir, given, (size_t)(gslash - given));
        gdir[gslash - given] = 0;
    }
    struct stat st;
    if (strstr(dir, "%p")) {
        /* The directory depends on the pid: nothing to check before the program runs. */
    } else if (!strstr(abs, "%p") && !lstat(abs, &st) && S_ISCHR(st.st_mode)) {
        /* A character device (/dev/null, a terminal): written as it is, never truncated; its
         * directory need not be writable. */
        if (access(abs, W_OK))
            mp_args_die("cannot write the %s to '%s': %s", label, given, strerror(errno));
    } else if (stat(dir, &st)) {
        if (errno == ENOENT)
            mp_args_die("cannot write the %s to '%s': directory '%s' does not exist", label,
                        given, gdir);
        mp_args_die("cannot write the %s to '%s': directory '%s': %s", label, given, gdir,
                    strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        mp_args_die("cannot write the %s to '%s': '%s' is not a directory", label, given, gdir);
    } else if (access(dir, W_OK | X_OK)) {
        mp_args_die("cannot write the %s to '%s': directory '%s' is not writable (%s)", label,
                    given, gdir, strerror(errno));
    } else if (!strstr(abs, "%p") && !lstat(abs, &st)) {
        if (S_ISLNK(st.st_mode))
            mp_args_die("cannot write the %s to '%s': it is a symbolic link, and memplumber does "
                        "not follow symbolic links for report files; name the target itself",
                        label, given);
        if (!S_ISREG(st.st_mode))
            mp_args_die("cannot write the %s to '%s': it is %s; report files must be regular "
                        "files or character devices (/dev/null)", label, given,
                        mp_file_type_name(st.st_mode & S_IFMT));
        if (access(abs, W_OK))
            mp_args_die("cannot write the %s to '%s': the file exists and is not writable (%s)",
                        label, given, strerror(errno));
    }
    free(dir);
    free(gdir);
}

/* A report path that names the program itself (--json=./prog, a slip of the keyboard): the report
 * would replace the program's file when it ends. Refused before the program starts. */
void mp_args_check_not_program(const struct mp_args *a, const char *program)
{
    struct stat ps, st;
    if (stat(program, &ps))
        return;
    for (unsigned i = 0; i < mp_option_count; i++) {
        const char *v = str_field(&a->opts, i);
        const char *label = report_label(mp_option_table[i].name);
        if (!a->set[i] || !v || !v[0] || !label || stat(v, &st))
            continue;
        if (st.st_dev == ps.st_dev && st.st_ino == ps.st_ino)
            mp_args_die("cannot write the %s to '%s': it is the program being run (%s); name "
                        "another file for the report", label, v, program);
    }
}

/* suppressions=FILE[,FILE...]: each must be a readable, valid suppression file; rewritten with
 * absolute paths. */
/* The baseline is read and checked now: a wrong file would otherwise show only at exit, after a
 * whole test run, as every record counting as new. */
static void check_baseline(const char *given, const char *abs)
{
    char err[1024];
    struct mp_baseline *b = mp_baseline_load(abs, err, sizeof err);
    if (!b)
        mp_args_die("cannot use the baseline '%s': %s", given, err);
    mp_baseline_free(b);
}

static void check_suppressions(struct mp_args *a, unsigned idx)
{
    const char *cur = str_field(&a->opts, idx);
    if (!cur)
        return;
    char *list = xstrdup(cur);
    size_t cap = strlen(list) + 1, len = 0;
    char *out = NULL;
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *abs = absolute(item);
        struct stat st;
        FILE *f;
        if (strchr(abs, ','))
            mp_args_die("suppression file '%s': the absolute path '%s' contains ',', which "
                        "separates suppression files",
                        item, abs);
        if (stat(abs, &st))
            mp_args_die("cannot read the suppression file '%s': %s", item, strerror(errno));
        if (S_ISDIR(st.st_mode))
            mp_args_die("cannot read the suppression file '%s': it is a directory", item);
        if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) /* before fopen: a FIFO would block */
            mp_args_die("cannot read the suppression file '%s': " MP_SUPP_PIPE_WHY, item);
        if (!(f = fopen(abs, "r")))
            mp_args_die("cannot read the suppression file '%s': %s", item, strerror(errno));
        fclose(f);
        /* The syntax, with the parser the library uses (it checks again at startup). */
        char err[1536];
        char *text = xmalloc(MP_SUPP_FILE_MAX + 1);
        if (mp_suppress_check_file(abs, item, text, MP_SUPP_FILE_MAX + 1, err, sizeof err))
            mp_args_die("%s", err);
        free(text);
        size_t al = strlen(abs);
        cap += al + 1;
        out = realloc(out, cap);
        if (!out)
            mp_args_die("out of memory");
        if (len)
            out[len++] = ',';
        memcpy(out + len, abs, al + 1);
        len += al;
        free(abs);
    }
    reset_value(a, idx, out ? out : "", cur);
    free(out);
    free(list);
}

void mp_args_check_files(struct mp_args *a)
{
    for (unsigned i = 0; i < mp_option_count; i++) {
        const char *name = mp_option_table[i].name;
        const char *v = str_field(&a->opts, i);
        if (!a->set[i] || !v || !v[0])
            continue;
        const char *label = report_label(name);
        if (label) {
            char *given = xstrdup(v);
            char *abs = absolute(given);
            reset_value(a, i, abs, given);
            check_report_path(label, given, abs);
            free(abs);
            free(given);
        } else if (!strcmp(name, "suppressions")) {
            check_suppressions(a, i);
        } else if (!strcmp(name, "baseline")) {
            char *given = xstrdup(v);
            char *abs = absolute(given);
            reset_value(a, i, abs, given);
            check_baseline(given, abs);
            free(abs);
            free(given);
        } else if (!strcmp(name, "sarif_root")) {
            char *given = xstrdup(v);
            struct stat st;
            if (stat(given, &st))
                mp_args_die("--sarif-root=%s: %s (give the directory your source files are under, "
                            "e.g. the repository's top directory)", given, strerror(errno));
            if (!S_ISDIR(st.st_mode))
                mp_args_die("--sarif-root=%s: not a directory (give the directory your source "
                            "files are under, e.g. the repository's top directory)", given);
            char *abs = realpath(given, NULL);
            if (!abs)
                mp_args_die("--sarif-root=%s: %s", given, strerror(errno));
            reset_value(a, i, abs, given);
            free(abs);
            free(given);
        }
    }
    /* A --log-fd that is not open in the program (nothing was given that number): the text goes
     * to stderr, and valgrind says so; so does this. */
    if (a->set[MP_OPTIDX_log_fd] && a->opts.log_fd != 2 && fcntl((int)a->opts.log_fd, F_GETFD) < 0)
        fprintf(stderr, "memplumber: note: --log-fd=%u is not an open file descriptor; the text "
                        "report goes to stderr\n", (unsigned)a->opts.log_fd);
    /* The same for --xml-fd: valgrind then writes its XML to stderr ("failed to move XML file
     * descriptor into safe range, using stderr"), as it does when --xml-socket cannot connect;
     * the library would otherwise fail at exit and the XML would be lost. */
    if (a->set[MP_OPTIDX_xml_fd] && a->opts.xml_fd > 2 && fcntl((int)a->opts.xml_fd, F_GETFD) < 0) {
        char err[256];
        fprintf(stderr, "memplumber: note: --xml-fd=%u is not an open file descriptor; the XML "
                        "report goes to stderr, as valgrind does\n", (unsigned)a->opts.xml_fd);
        if (mp_options_set(&a->opts, "xml_fd", 6, "2", 1, err, sizeof err))
            mp_args_die("%s", err);
    }
    /* Two reports to one file: the second would overwrite the first at exit, so one report the
     * user asked for would be lost without a word. (/dev/null and other devices may be shared.) */
    for (unsigned i = 0; i < mp_option_count; i++) {
        const char *v = str_field(&a->opts, i);
        struct stat st;
        if (!a->set[i] || !v || !v[0] || !report_label(mp_option_table[i].name) ||
            (!stat(v, &st) && S_ISCHR(st.st_mode)))
            continue;
        for (unsigned j = i + 1; j < mp_option_count; j++) {
            const char *w = str_field(&a->opts, j);
            if (a->set[j] && w && report_label(mp_option_table[j].name) && !strcmp(v, w))
                mp_args_die("the %s and the %s would both be written to '%s', and one would "
                            "overwrite the other; give each report a file of its own",
                            report_label(mp_option_table[i].name),
                            report_label(mp_option_table[j].name), v);
        }
    }
}

/* ---- MEMPLUMBER_OPTIONS for the child ---- */

char *mp_args_env_options(const struct mp_args *a, const char *inherited)
{
    struct mp_options def, tmp;
    char err[2048];
    unsigned char *in_env = xmalloc(mp_option_count);
    memset(in_env, 0, mp_option_count);
    mp_options_defaults(&def);

    if (inherited && inherited[0]) {
        mp_options_defaults(&tmp);
        if (mp_options_parse(&tmp, inherited, err, sizeof err))
            mp_args_die("in MEMPLUMBER_OPTIONS (from the environment): %s", err);
        /* Which options the environment sets: those the command line must override even
         * when it sets them back to their defaults. */
        for (const char *p = inherited; *p;) {
            const char *item = p;
            size_t n = strcspn(item, ":");
            size_t nl = strcspn(item, "=:");
            const struct mp_option_desc *d = nl < n ? mp_options_find(item, nl, 1) : NULL;
            if (d)
                in_env[opt_index(d)] = 1;
            p = item + n + (item[n] == ':');
        }
    }

    char *buf = NULL;
    size_t buflen = 0;
    FILE *f = open_memstream(&buf, &buflen);
    if (!f)
        mp_args_die("out of memory");
    int any = 0;
    if (inherited && inherited[0]) {
        fputs(inherited, f);
        any = inherited[strlen(inherited) - 1] != ':';
    }
    char val[MP_OPT_STR_MAX], dval[MP_OPT_STR_MAX];
    int ours = 0;
    for (unsigned i = 0; i < mp_option_count; i++) {
        if (!a->set[i])
            continue;
        format_value(&a->opts, i, val, sizeof val);
        format_value(&def, i, dval, sizeof dval);
        /* leak_check, follow_exec, show_leak_kinds and log_fd given at their default still say
         * something the default does not (options.h, given; XML mode follows valgrind's leak
         * kinds and keeps text off stderr unless they are given): passed whenever given. */
        if (!strcmp(val, dval) && !in_env[i] && i != MP_OPTIDX_leak_check &&
            i != MP_OPTIDX_follow_exec && i != MP_OPTIDX_show_leak_kinds && i != MP_OPTIDX_log_fd)
            continue;
        fprintf(f, "%s%s=%s", any ? ":" : "", mp_option_table[i].name, val);
        any = 1;
        ours = 1;
    }
    fclose(f);
    free(in_env);
    if (!buflen || (!ours && !(inherited && inherited[0]))) {
        free(buf);
        return NULL;
    }
    return buf;
}
