// SOURCES: src/preload/runtime/options.c src/common/kinds.c
/* The option parser shared by the preload library and the CLI (src/preload/runtime/options.c): defaults,
 * every type accepted and refused with a message naming the option and what is valid, aliases,
 * MEMPLUMBER_OPTIONS strings, %p expansion, long values, and that docs/MANUAL.md documents every
 * option of options.inc with its help text. Run from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/kinds.h"
#include "preload/runtime/options.h"

#define KIND(k) (1u << MP_LEAK_##k)

static char err[4096];

/* Set name=val on o; returns what mp_options_set returns, message in err. */
static int set(struct mp_options *o, const char *name, const char *val)
{
    err[0] = 0;
    return mp_options_set(o, name, strlen(name), val, strlen(val), err, sizeof err);
}

/* Expect name=val to be accepted. */
static void accept(struct mp_options *o, const char *name, const char *val, int line)
{
    int r = set(o, name, val);
    if (r == 0) {
        check_passed++;
    } else {
        check_failed++;
        printf("FAIL line %d: %s=%s refused: expected 0, actual %d: %s\n", line, name, val, r, err);
    }
}

/* Expect name=val to be refused, o unchanged, and the message to contain name and want. */
static void refuse(const char *name, const char *val, const char *canon, const char *want,
                   int line)
{
    struct mp_options o, before;
    mp_options_defaults(&o);
    before = o;
    int r = set(&o, name, val);
    if (r != -1) {
        check_failed++;
        printf("FAIL line %d: %s=%s accepted: expected -1, actual %d\n", line, name, val, r);
        return;
    }
    check_passed++;
    CHECK(!memcmp(&o, &before, sizeof o), "line %d: %s=%s changed the options although refused",
          line, name, val);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "option '%s'", canon);
    CHECK(strstr(err, quoted) != NULL, "line %d: expected the message to contain \"%s\", actual "
          "\"%s\"", line, quoted, err);
    CHECK(strstr(err, want) != NULL, "line %d: expected the message to contain \"%s\", actual "
          "\"%s\"", line, want, err);
}

#define ACCEPT(o, n, v) accept(o, n, v, __LINE__)
#define REFUSE(n, v, canon, want) refuse(n, v, canon, want, __LINE__)

static void test_defaults(void)
{
    struct mp_options o;
    memset(&o, 0x5a, sizeof o);
    mp_options_defaults(&o);
    CHECK_STR(o.log_file, "");
    CHECK_STR(o.json, "");
    CHECK_STR(o.sarif, "");
    CHECK_STR(o.html, "");
    CHECK_STR(o.suppressions, "");
    CHECK_UL(o.depth, 30);
    CHECK_UL(o.leak_check, 2);
    CHECK_UL(o.show_leak_kinds, KIND(DEFINITE) | KIND(INDIRECT) | KIND(POSSIBLE));
    CHECK_UL(o.show_reachable, 0);
    CHECK_UL(o.error_exitcode, 0);
    CHECK_UL(o.follow_exec, 1);
    CHECK_UL(o.freeres, 1);
    CHECK_UL(o.heuristics, MP_HEUR_ALL);
    CHECK_UL(o.abort_on_error, 0);
    CHECK_UL(o.quarantine_size, 16UL << 20);
    CHECK_UL(o.report_signal, 0);
    CHECK_UL(o.report_on_exit, 1);
    CHECK_UL(o.verbosity, 1);

    /* The table's default text of every numeric and yes/no option parses back to the default:
     * the help and the manual print these. */
    for (unsigned i = 0; i < mp_option_count; i++) {
        const struct mp_option_desc *d = &mp_option_table[i];
        CHECK(d->name && d->help && d->def && d->help[0], "entry %u incomplete", i);
        if (d->type != MP_OT_BOOL && d->type != MP_OT_UINT && d->type != MP_OT_SIZE)
            continue;
        struct mp_options a, b;
        mp_options_defaults(&a);
        mp_options_defaults(&b);
        int r = set(&a, d->name, d->def);
        /* the value is the default's; only the option's given flag tells them apart */
        CHECK(a.given[i] == 1, "%s=%s: not marked given", d->name, d->def);
        b.given[i] = 1;
        CHECK(r == 0 && !memcmp(&a, &b, sizeof a), "%s=%s (its default) gives r=%d, changed=%d: %s",
              d->name, d->def, r, memcmp(&a, &b, sizeof a) != 0, err);
    }
    /* Names are unique, snake_case, and no alias shadows another option's name. */
    for (unsigned i = 0; i < mp_option_count; i++) {
        const char *n = mp_option_table[i].name;
        CHECK(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(n), "name '%s'", n);
        CHECK(mp_options_find(n, strlen(n), 1) == &mp_option_table[i], "'%s' finds another entry",
              n);
        const char *al = mp_option_table[i].alias;
        if (al)
            CHECK(mp_options_find(al, strlen(al), 1) == &mp_option_table[i],
                  "alias '%s' finds another entry", al);
    }
}

static void test_bool(void)
{
    static const char *const yes[] = {"yes", "1", "true", "on", "YES", "True", "ON"};
    static const char *const no[] = {"no", "0", "false", "off", "NO", "False", "Off"};
    struct mp_options o;
    mp_options_defaults(&o);
    for (unsigned i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        o.show_reachable = 0;
        ACCEPT(&o, "show_reachable", yes[i]);
        CHECK(o.show_reachable == 1, "show_reachable=%s: expected 1, actual %d", yes[i],
              o.show_reachable);
    }
    for (unsigned i = 0; i < sizeof no / sizeof no[0]; i++) {
        o.follow_exec = 1;
        ACCEPT(&o, "follow_exec", no[i]);
        CHECK(o.follow_exec == 0, "follow_exec=%s: expected 0, actual %d", no[i], o.follow_exec);
    }
    REFUSE("show_reachable", "maybe", "show_reachable", "use yes or no");
    REFUSE("abort_on_error", "", "abort_on_error", "yes or no");
    REFUSE("freeres", "yess", "freeres", "yes or no");
    REFUSE("report_on_exit", "y", "report_on_exit", "yes or no");
    REFUSE("report_on_exit", "yes ", "report_on_exit", "yes or no");
}

static void test_uint(void)
{
    struct mp_options o;
    mp_options_defaults(&o);
    ACCEPT(&o, "depth", "1");
    CHECK_UL(o.depth, 1);
    ACCEPT(&o, "depth", "500");
    CHECK_UL(o.depth, 500);
    ACCEPT(&o, "depth", "0007");
    CHECK_UL(o.depth, 7);
    REFUSE("depth", "0", "depth", "1 to 500");
    REFUSE("depth", "501", "depth", "1 to 500");
    REFUSE("depth", "100000", "depth", "1 to 500");
    REFUSE("depth", "", "depth", "non-negative integer");
    REFUSE("depth", "-1", "depth", "non-negative integer");
    REFUSE("depth", "+5", "depth", "non-negative integer");
    REFUSE("depth", " 5", "depth", "non-negative integer");
    REFUSE("depth", "1.5", "depth", "non-negative integer");
    REFUSE("depth", "0x10", "depth", "non-negative integer");
    REFUSE("depth", "99999999999999999999999", "depth", "non-negative integer");

    ACCEPT(&o, "error_exitcode", "0");
    CHECK_UL(o.error_exitcode, 0);
    ACCEPT(&o, "error_exitcode", "255");
    CHECK_UL(o.error_exitcode, 255);
    REFUSE("error_exitcode", "256", "error_exitcode", "0 to 255");
    REFUSE("error_exitcode", "300", "error_exitcode", "0 to 255");
    REFUSE("error_exitcode", "abc", "error_exitcode", "non-negative integer");

    ACCEPT(&o, "report_signal", "12");
    CHECK_UL(o.report_signal, 12);
    ACCEPT(&o, "report_signal", "0");
    ACCEPT(&o, "report_signal", "64");
    REFUSE("report_signal", "65", "report_signal", "1 to 64");
    REFUSE("report_signal", "9", "report_signal", "SIGKILL");
    REFUSE("report_signal", "19", "report_signal", "SIGSTOP");

    ACCEPT(&o, "verbosity", "0");
    ACCEPT(&o, "verbosity", "2");
    CHECK_UL(o.verbosity, 2);
    REFUSE("verbosity", "3", "verbosity", "0, 1 or 2");
}

static void test_size(void)
{
    static const struct {
        const char *text;
        unsigned long value;
    } ok[] = {
        {"0", 0},
        {"4096", 4096},
        {"4k", 4096},
        {"4K", 4096},
        {"16M", 16UL << 20},
        {"16m", 16UL << 20},
        {"1G", 1UL << 30},
        {"3g", 3UL << 30},
        {"18446744073709551615", ~0UL},
        {"17179869183G", 17179869183UL << 30},
    };
    struct mp_options o;
    mp_options_defaults(&o);
    for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        o.quarantine_size = 12345;
        ACCEPT(&o, "quarantine_size", ok[i].text);
        CHECK(o.quarantine_size == ok[i].value, "quarantine_size=%s: expected %lu, actual %lu",
              ok[i].text, ok[i].value, o.quarantine_size);
    }
    static const char *const bad[] = {"",    "K",    "12X",  "1.5M", "-1",
                                      "1KB", "1 M",  "M1",   "18446744073709551616",
                                      "17179869184G", "99999999999999999999K"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        REFUSE("quarantine_size", bad[i], "quarantine_size", "K, M or G");
}

static void test_leak_check(void)
{
    {
        /* given: an explicit full is not the default full (loss records become errors) */
        struct mp_options g;
        mp_options_defaults(&g);
        CHECK_UL(MP_OPT_GIVEN(&g, leak_check), 0);
        CHECK_UL(MP_OPT_GIVEN(&g, follow_exec), 0);
        char e[512];
        CHECK(mp_options_parse(&g, "leak_check=full:trace-children=yes", e, sizeof e) == 0, "%s", e);
        CHECK_UL(g.leak_check, 2);
        CHECK_UL(MP_OPT_GIVEN(&g, leak_check), 1);
        CHECK_UL(MP_OPT_GIVEN(&g, follow_exec), 1);
        CHECK_UL(MP_OPT_GIVEN(&g, depth), 0);
        CHECK(mp_options_parse(&g, "depth=0", e, sizeof e) == -1, "depth=0 accepted");
        CHECK_UL(MP_OPT_GIVEN(&g, depth), 0);
    }
    struct mp_options o;
    mp_options_defaults(&o);
    ACCEPT(&o, "leak_check", "summary");
    CHECK_UL(o.leak_check, 1);
    ACCEPT(&o, "leak_check", "no");
    CHECK_UL(o.leak_check, 0);
    ACCEPT(&o, "leak_check", "full");
    CHECK_UL(o.leak_check, 2);
    o.leak_check = 0;
    ACCEPT(&o, "leak_check", "yes"); /* valgrind accepts yes for full */
    CHECK_UL(o.leak_check, 2);
    ACCEPT(&o, "leak_check", "SUMMARY");
    CHECK_UL(o.leak_check, 1);
    REFUSE("leak_check", "maybe", "leak_check", "full, summary or no");
    REFUSE("leak_check", "", "leak_check", "full, summary or no");
    REFUSE("leak_check", "fullx", "leak_check", "full, summary or no");
    REFUSE("leak-check", "1", "leak_check", "full, summary or no");
}

static void test_kinds(void)
{
    static const struct {
        const char *text;
        unsigned mask;
    } ok[] = {
        {"definite", KIND(DEFINITE)},
        {"indirect", KIND(INDIRECT)},
        {"possible", KIND(POSSIBLE)},
        {"reachable", KIND(REACHABLE)},
        {"definite,possible", KIND(DEFINITE) | KIND(POSSIBLE)},
        {"reachable,definite", KIND(DEFINITE) | KIND(REACHABLE)},
        {"definite,definite", KIND(DEFINITE)},
        {"all", 15},
        {"ALL", 15},
        {"none", 0},
        {"none,possible", KIND(POSSIBLE)},
    };
    struct mp_options o;
    mp_options_defaults(&o);
    for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        o.show_leak_kinds = 99;
        ACCEPT(&o, "show_leak_kinds", ok[i].text);
        CHECK(o.show_leak_kinds == ok[i].mask, "show_leak_kinds=%s: expected %u, actual %u",
              ok[i].text, ok[i].mask, o.show_leak_kinds);
    }
    static const char *const bad[] = {"", "bogus", "definite,", ",definite", "definite,,possible",
                                      "definite possible", "definitely"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        REFUSE("show_leak_kinds", bad[i], "show_leak_kinds",
               "definite, indirect, possible, reachable");
}

/* heuristics: valgrind's --leak-check-heuristics set; the yes/no spellings of the earlier
 * boolean option still mean all and none. */
static void test_heuristics(void)
{
#define H(x) (1u << MP_HEUR_##x)
    static const struct {
        const char *text;
        unsigned mask;
    } ok[] = {
        {"all", MP_HEUR_ALL},
        {"none", 0},
        {"stdstring", H(STDSTRING)},
        {"length64", H(LENGTH64)},
        {"newarray", H(NEWARRAY)},
        {"multipleinheritance", H(MULTIPLEINHERITANCE)},
        {"stdstring,newarray", H(STDSTRING) | H(NEWARRAY)},
        {"multipleinheritance,length64,length64", H(MULTIPLEINHERITANCE) | H(LENGTH64)},
        {"stdstring,length64,newarray,multipleinheritance", MP_HEUR_ALL},
        {"newarray,", H(NEWARRAY)}, /* valgrind skips empty items */
        {"yes", MP_HEUR_ALL},
        {"on", MP_HEUR_ALL},
        {"1", MP_HEUR_ALL},
        {"no", 0},
        {"false", 0},
        {"0", 0},
    };
#undef H
    struct mp_options o;
    mp_options_defaults(&o);
    for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        o.heuristics = 99;
        ACCEPT(&o, "heuristics", ok[i].text);
        CHECK(o.heuristics == ok[i].mask, "heuristics=%s: expected %u, actual %u", ok[i].text,
              ok[i].mask, o.heuristics);
        o.heuristics = 99;
        ACCEPT(&o, "leak-check-heuristics", ok[i].text);
        CHECK(o.heuristics == ok[i].mask, "leak-check-heuristics=%s: expected %u, actual %u",
              ok[i].text, ok[i].mask, o.heuristics);
    }
    /* valgrind refuses all and none inside a list, and unknown names */
    static const char *const bad[] = {"", ",", "2", "bogus", "all,none", "stdstring,all",
                                      "none,newarray", "stdstring,bogus", "std-string",
                                      "stdstring newarray"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        REFUSE("heuristics", bad[i], "heuristics",
               "stdstring, length64, newarray, multipleinheritance, or all, or none");
}

static void test_aliases(void)
{
    struct mp_options o;
    mp_options_defaults(&o);
    ACCEPT(&o, "num-callers", "40");
    CHECK_UL(o.depth, 40);
    ACCEPT(&o, "num_callers", "41");
    CHECK_UL(o.depth, 41);
    ACCEPT(&o, "log-file", "/tmp/x.txt");
    CHECK_STR(o.log_file, "/tmp/x.txt");
    ACCEPT(&o, "trace-children", "no");
    CHECK_UL(o.follow_exec, 0);
    ACCEPT(&o, "run-libc-freeres", "no");
    CHECK_UL(o.freeres, 0);
    ACCEPT(&o, "show-leak-kinds", "all");
    CHECK_UL(o.show_leak_kinds, 15);
    ACCEPT(&o, "error-exitcode", "9");
    CHECK_UL(o.error_exitcode, 9);
    ACCEPT(&o, "quarantine-size", "1M");
    CHECK_UL(o.quarantine_size, 1UL << 20);
    ACCEPT(&o, "Abort-On-Error", "yes");
    CHECK_UL(o.abort_on_error, 1);
    ACCEPT(&o, "show-reachable", "yes");
    CHECK_UL(o.show_reachable, 1);
    /* Refusals name the canonical option even when an alias was used. */
    REFUSE("num-callers", "0", "depth", "1 to 500");
    REFUSE("trace-children", "maybe", "follow_exec", "yes or no");

    const struct mp_option_desc *d = mp_options_find("num-callers", 11, 1);
    CHECK(d && !strcmp(d->name, "depth"), "find num-callers: %s", d ? d->name : "NULL");
    CHECK(mp_options_find("num-callers", 11, 0) == NULL, "aliases must need allow_alias");
    d = mp_options_find("error-exitcode", 14, 0);
    CHECK(d && !strcmp(d->name, "error_exitcode"), "dashed name without alias: %s",
          d ? d->name : "NULL");
    CHECK(mp_options_find("jsonx", 5, 1) == NULL, "unknown name found");
    CHECK(mp_options_find("jso", 3, 1) == NULL, "a prefix must not match");
    CHECK(mp_options_find("", 0, 1) == NULL, "empty name found");
    /* Names need not be NUL-terminated: "depth" inside "depthx". */
    d = mp_options_find("depthx", 5, 0);
    CHECK(d && !strcmp(d->name, "depth"), "length-bounded name: %s", d ? d->name : "NULL");
    const char *buf = "depth=12345";
    CHECK_UL(mp_options_set(&o, buf, 5, buf + 6, 2, err, sizeof err), 0);
    CHECK_UL(o.depth, 12);
}

static void test_unknown(void)
{
    struct mp_options o, before;
    mp_options_defaults(&o);
    before = o;
    int r = set(&o, "bogus", "1");
    CHECK_UL((unsigned long)(long)r, (unsigned long)-1L);
    CHECK(!memcmp(&o, &before, sizeof o), "unknown option changed the options");
    CHECK_HAS(err, "unknown option 'bogus'");
    for (unsigned i = 0; i < mp_option_count; i++)
        CHECK_HAS(err, mp_option_table[i].name);

    /* A small buffer is truncated, never overrun, and stays NUL-terminated. */
    char small[24];
    memset(small, 'x', sizeof small);
    r = mp_options_set(&o, "bogus", 5, "1", 1, small, sizeof small);
    CHECK_UL((unsigned long)(long)r, (unsigned long)-1L);
    CHECK(memchr(small, 0, sizeof small) != NULL, "message not NUL-terminated");
    CHECK(!strncmp(small, "unknown option 'bogus'", strlen("unknown option 'bogus'")),
          "expected a prefix of \"unknown option 'bogus'...\", actual \"%s\"", small);
    char one[1] = {'x'};
    r = mp_options_set(&o, "depth", 5, "0", 1, one, sizeof one);
    CHECK(r == -1 && one[0] == 0, "errlen 1: r=%d, buffer=%d", r, one[0]);
    r = mp_options_set(&o, "depth", 5, "0", 1, NULL, 0);
    CHECK(r == -1, "errlen 0: r=%d", r);
}

static void test_parse(void)
{
    struct mp_options o;
    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "depth=10:json=/tmp/r.%p.json:leak_check=summary", err,
                              sizeof err), 0);
    CHECK_UL(o.depth, 10);
    CHECK_STR(o.json, "/tmp/r.%p.json");
    CHECK_UL(o.leak_check, 1);

    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "::depth=11::show-leak-kinds=all:", err, sizeof err), 0);
    CHECK_UL(o.depth, 11);
    CHECK_UL(o.show_leak_kinds, 15);

    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "depth=5:depth=7", err, sizeof err), 0);
    CHECK_UL(o.depth, 7); /* later items win: the CLI appends its options */

    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "num-callers=8:trace-children=no", err, sizeof err), 0);
    CHECK_UL(o.depth, 8);
    CHECK_UL(o.follow_exec, 0);

    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "", err, sizeof err), 0);
    CHECK_UL(mp_options_parse(&o, NULL, err, sizeof err), 0);
    CHECK_UL(o.depth, 30);

    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, "json=a=b", err, sizeof err), 0);
    CHECK_STR(o.json, "a=b"); /* only the first '=' separates */

    mp_options_defaults(&o);
    CHECK_UL((unsigned long)(long)mp_options_parse(&o, "depth", err, sizeof err),
             (unsigned long)-1L);
    CHECK_HAS(err, "'depth' has no value");
    /* a name without '=' that is no option at all: said to be unknown, with the valid ones */
    mp_options_defaults(&o);
    CHECK_UL((unsigned long)(long)mp_options_parse(&o, "jsn", err, sizeof err), (unsigned long)-1L);
    CHECK_HAS(err, "unknown option 'jsn'");

    mp_options_defaults(&o);
    CHECK_UL((unsigned long)(long)mp_options_parse(&o, "depth=5:depth=0:json=x", err, sizeof err),
             (unsigned long)-1L);
    CHECK_HAS(err, "1 to 500");
    CHECK_UL(o.depth, 5);      /* the item before the error applied... */
    CHECK_STR(o.json, "");     /* ...and nothing after it */

    mp_options_defaults(&o);
    CHECK_UL((unsigned long)(long)mp_options_parse(&o, "depth=3:nosuch=1", err, sizeof err),
             (unsigned long)-1L);
    CHECK_HAS(err, "unknown option 'nosuch'");

    mp_options_defaults(&o);
    CHECK_UL((unsigned long)(long)mp_options_parse(&o, "=5", err, sizeof err),
             (unsigned long)-1L);
}

static void test_expand(void)
{
    char out[64];
    CHECK_UL(mp_options_expand_path("/tmp/r-%p.json", 1234, out, sizeof out), 0);
    CHECK_STR(out, "/tmp/r-1234.json");
    CHECK_UL(mp_options_expand_path("%p/%p", 7, out, sizeof out), 0);
    CHECK_STR(out, "7/7");
    CHECK_UL(mp_options_expand_path("/tmp/report.json", 1234, out, sizeof out), 0);
    CHECK_STR(out, "/tmp/report.json");
    CHECK_UL(mp_options_expand_path("100%", 5, out, sizeof out), 0);
    CHECK_STR(out, "100%");
    CHECK_UL(mp_options_expand_path("%d%P", 5, out, sizeof out), 0);
    CHECK_STR(out, "%d%P");
    CHECK_UL(mp_options_expand_path("%%p", 42, out, sizeof out), 0);
    CHECK_STR(out, "%42");
    CHECK_UL(mp_options_expand_path("r.%p", 0, out, sizeof out), 0);
    CHECK_STR(out, "r.0");
    CHECK_UL(mp_options_expand_path("r.%p", 4194304, out, sizeof out), 0);
    CHECK_STR(out, "r.4194304");
    CHECK_UL(mp_options_expand_path("r.%p", 2147483647, out, sizeof out), 0);
    CHECK_STR(out, "r.2147483647");
    CHECK_UL(mp_options_expand_path("", 1, out, sizeof out), 0);
    CHECK_STR(out, "");

    /* Fits exactly / one byte short, with and without a pid at the end. */
    char exact[8];
    CHECK_UL(mp_options_expand_path("abcdefg", 1, exact, 8), 0);
    CHECK_STR(exact, "abcdefg");
    CHECK_UL((unsigned long)(long)mp_options_expand_path("abcdefgh", 1, exact, 8),
             (unsigned long)-1L);
    CHECK_UL(mp_options_expand_path("a.%p", 12345, exact, 8), 0);
    CHECK_STR(exact, "a.12345");
    CHECK_UL((unsigned long)(long)mp_options_expand_path("a.%p", 123456, exact, 8),
             (unsigned long)-1L);
    CHECK_UL((unsigned long)(long)mp_options_expand_path("a", 1, exact, 0), (unsigned long)-1L);

    /* A maximal value with %p does not fit MP_OPT_STR_MAX once expanded: refused, not cut. */
    char big[MP_OPT_STR_MAX], outbig[MP_OPT_STR_MAX];
    memset(big, 'a', sizeof big - 3);
    memcpy(big + sizeof big - 3, "%p", 3);
    CHECK_UL((unsigned long)(long)mp_options_expand_path(big, 123, outbig, sizeof outbig),
             (unsigned long)-1L);
}

static void test_long_values(void)
{
    struct mp_options o;
    char *v = malloc(8192);
    mp_options_defaults(&o);
    memset(v, 'a', 8192);
    v[0] = '/';
    /* 1023 bytes is the longest string value. */
    CHECK_UL(mp_options_set(&o, "json", 4, v, MP_OPT_STR_MAX - 1, err, sizeof err), 0);
    CHECK_UL(strlen(o.json), MP_OPT_STR_MAX - 1);
    CHECK_UL((unsigned long)(long)mp_options_set(&o, "sarif", 5, v, MP_OPT_STR_MAX, err,
                                                 sizeof err), (unsigned long)-1L);
    CHECK_HAS(err, "option 'sarif'");
    CHECK_HAS(err, "too long");
    CHECK_STR(o.sarif, "");
    /* A huge value in a message is shortened, and a small buffer is never overrun. */
    CHECK_UL((unsigned long)(long)mp_options_set(&o, "depth", 5, v, 8192, err, sizeof err),
             (unsigned long)-1L);
    CHECK(strlen(err) < 400, "message for an 8 KiB value is %zu bytes", strlen(err));
    char small[40];
    CHECK_UL((unsigned long)(long)mp_options_set(&o, "log_file", 8, v, 8192, small, sizeof small),
             (unsigned long)-1L);
    CHECK(strlen(small) < sizeof small, "small buffer overrun");
    /* A huge unknown name. */
    CHECK_UL((unsigned long)(long)mp_options_set(&o, v, 8192, "1", 1, err, sizeof err),
             (unsigned long)-1L);
    CHECK_HAS(err, "unknown option");
    /* A long MEMPLUMBER_OPTIONS string with many items. */
    char *spec = malloc(65536);
    size_t at = 0;
    for (int i = 0; i < 2000; i++)
        at += (size_t)snprintf(spec + at, 65536 - at, "depth=%d:", i % 256 + 1);
    snprintf(spec + at, 65536 - at, "json=/tmp/end.json");
    mp_options_defaults(&o);
    CHECK_UL(mp_options_parse(&o, spec, err, sizeof err), 0);
    CHECK_UL(o.depth, 1999 % 256 + 1);
    CHECK_STR(o.json, "/tmp/end.json");
    free(spec);
    free(v);
}

/* ---- docs/MANUAL.md documents every option ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static void test_manual(void)
{
    char *man = read_file("docs/MANUAL.md");
    CHECK(man != NULL, "cannot read docs/MANUAL.md (tests run from the repository root)");
    if (!man)
        return;
    for (unsigned i = 0; i < mp_option_count; i++) {
        const struct mp_option_desc *d = &mp_option_table[i];
        char want[160], dashed[128];
        size_t k = 0;
        for (; d->name[k] && k + 1 < sizeof dashed; k++)
            dashed[k] = d->name[k] == '_' ? '-' : d->name[k];
        dashed[k] = 0;
        /* The MEMPLUMBER_OPTIONS name, as code. */
        snprintf(want, sizeof want, "`%s`", d->name);
        CHECK(strstr(man, want) != NULL, "docs/MANUAL.md does not document option %s", want);
        snprintf(want, sizeof want, "--%s", dashed);
        CHECK(strstr(man, want) != NULL, "docs/MANUAL.md does not show the CLI spelling %s",
              want);
        if (d->alias) {
            snprintf(want, sizeof want, "--%s", d->alias);
            CHECK(strstr(man, want) != NULL, "docs/MANUAL.md does not show the alias %s", want);
        }
        /* The help text of options.inc, word for word, so that the two stay in sync. */
        CHECK(strstr(man, d->help) != NULL,
              "docs/MANUAL.md lacks the help text of %s from options.inc: \"%s\"", d->name,
              d->help);
    }
    free(man);
}

int main(void)
{
    test_defaults();
    test_bool();
    test_uint();
    test_size();
    test_leak_check();
    test_kinds();
    test_heuristics();
    test_aliases();
    test_unknown();
    test_parse();
    test_expand();
    test_long_values();
    test_manual();
    return CHECK_DONE();
}
