// SOURCES: src/common/suppress.c src/common/kinds.c
/* Suppression files (src/common/suppress.c): both formats parsed into caller storage, every
 * error message with its file:line and what is valid, validation without storage, the storage
 * bound, file reading limits, glob matching, valgrind frame lines with "...", the skipped leading
 * allocator / free frame, leak-kind filtering and memplumber-format patterns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common/kinds.h"
#include "common/suppress.h"

#define KIND(k) (1u << MP_LEAK_##k)

static char err[2048];

/* Parsed sets keep their storage until the end of the test (freed by drop()). */
#define MAXSTORE 64
static void *stores[MAXSTORE];
static int nstores;

/* Parse text (as file name) into set with exactly the storage the bound asks for, and check that
 * validation without storage agrees. Returns what mp_suppress_parse returns. */
static int parse_into(struct mp_supp_set *set, const char *name, const char *text)
{
    size_t len = strlen(text);
    size_t need = mp_suppress_storage_needed(text, len, name);
    void *st = malloc(need);
    char dry_err[2048];
    int dry = mp_suppress_parse(text, len, name, NULL, NULL, 0, dry_err, sizeof dry_err);
    err[0] = 0;
    int rc = mp_suppress_parse(text, len, name, set, st, need, err, sizeof err);
    CHECK(dry == rc && !strcmp(dry_err, err), "validation (%d '%s') and parse (%d '%s') differ",
          dry, dry_err, rc, err);
    if (rc == 0 && nstores < MAXSTORE)
        stores[nstores++] = st;
    else
        free(st);
    return rc;
}

static void drop(void)
{
    while (nstores)
        free(stores[--nstores]);
}

/* Expect text to be refused with exactly want as the message. */
static void refuse(const char *text, const char *want, int line)
{
    struct mp_supp_set set;
    mp_suppress_init(&set);
    int rc = parse_into(&set, "s.supp", text);
    if (rc != -1 || strcmp(err, want)) {
        check_failed++;
        printf("FAIL line %d: expected -1 '%s', actual %d '%s'\n", line, want, rc, err);
    } else {
        check_passed++;
    }
    CHECK(set.count == 0 && set.head == NULL, "line %d: a refused file appended suppressions",
          line);
}

/* ---- glob ---- */

static void test_glob(void)
{
    CHECK(mp_suppress_glob("malloc", "malloc"), "exact");
    CHECK(!mp_suppress_glob("malloc", "xmalloc"), "whole name only");
    CHECK(!mp_suppress_glob("malloc", "mallo"), "shorter");
    CHECK(mp_suppress_glob("*", ""), "* matches empty");
    CHECK(mp_suppress_glob("*alloc", "calloc"), "leading *");
    CHECK(mp_suppress_glob("_Znwm*", "_Znwm"), "trailing * matches nothing");
    CHECK(mp_suppress_glob("a*b*c", "aXbYbZc"), "backtracking");
    CHECK(!mp_suppress_glob("a*b*c", "aXbYbZ"), "backtracking, no end");
    CHECK(mp_suppress_glob("m?lloc", "malloc"), "?");
    CHECK(!mp_suppress_glob("m?lloc", "mlloc"), "? is one character");
    CHECK(mp_suppress_glob("*/libfoo.so*", "/usr/lib/libfoo.so.1"), "path");
    CHECK(!mp_suppress_glob("", "x"), "empty glob");
    CHECK(mp_suppress_glob("", ""), "empty glob, empty name");
    CHECK(mp_suppress_glob("**x", "abx"), "**");
}

/* LeakSanitizer's templates: a part of the name, '*', '^' and '$'. */
static void test_template(void)
{
    CHECK(mp_suppress_template("FooBar", "FooBar"), "whole name");
    CHECK(mp_suppress_template("oBa", "FooBar"), "a part of the name");
    CHECK(!mp_suppress_template("foobar", "FooBar"), "case matters");
    CHECK(mp_suppress_template("libfoo.so", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"),
          "libfoo.so in a loaded libfoo.so.1");
    CHECK(mp_suppress_template("*FooBar*", "ns::FooBar(int)"), "stars at both ends");
    CHECK(mp_suppress_template("Foo*Bar", "Foo::Baz::Bar()"), "star in the middle");
    CHECK(!mp_suppress_template("Bar*Foo", "Foo::Bar()"), "pieces in order");
    CHECK(mp_suppress_template("^Foo", "Foo::Bar"), "^ at the start");
    CHECK(!mp_suppress_template("^Bar", "Foo::Bar"), "^ only at the start");
    CHECK(mp_suppress_template("^*Bar", "Foo::Bar"), "^ then *");
    CHECK(mp_suppress_template("Bar$", "Foo::Bar"), "$ at the end");
    CHECK(!mp_suppress_template("Foo$", "Foo::Bar"), "$ only at the end");
    CHECK(mp_suppress_template("^Foo::Bar$", "Foo::Bar"), "^ and $: the whole name");
    CHECK(!mp_suppress_template("^Foo$", "Foo::Bar"), "^ and $: not a part");
    CHECK(!mp_suppress_template("^Foo$", "FooFoo"), "^Foo$ on FooFoo");
    CHECK(mp_suppress_template("foo.c$", "/src/foo.c"), "file suffix");
    CHECK(mp_suppress_template("x.c$", "/src/x.c/x.c"), "$: the last occurrence");
    CHECK(mp_suppress_template("a*$", "abc"), "* then $");
    CHECK(mp_suppress_template("Foo$junk", "Foo"), "what follows $ is ignored");
    CHECK(!mp_suppress_template("$", "Foo"), "$ alone");
    CHECK(mp_suppress_template("*", "Foo"), "* alone");
    CHECK(mp_suppress_template("", "Foo"), "empty template");
    CHECK(!mp_suppress_template("Foo", ""), "empty name");
    CHECK(!mp_suppress_template("Foo", NULL), "no name");
    CHECK(!mp_suppress_template("m?lloc", "malloc"), "? is a character");
    CHECK(mp_suppress_template("operator new", "operator new(unsigned long)"), "spaces");
    CHECK(mp_suppress_template("a*b*c", "XaYbZbc"), "two stars");
    CHECK(!mp_suppress_template("a*b*c", "XaYbZ"), "two stars, no c");
}

/* ---- parsing ---- */

static const char VG_FILE[] =
    "# known leaks\n"
    "\n"
    "{\r\n"
    "   cache_init\r\n"
    "   Memcheck:Leak\n"
    "   match-leak-kinds: definite,possible\n"
    "   fun:malloc\n"
    "\tfun:cache_*\n"
    "   # a comment inside\n"
    "   ...\n"
    "   obj:*/libfoo.so*\n"
    "   src:cache.c:42\n"
    "}\n"
    "{\n"
    "   bad_free\n"
    "   Memcheck:Free\n"
    "   fun:free\n"
    "   fun:release\n"
    "}\n"
    "{\n"
    "   uninit\n"
    "   Memcheck:Cond\n"
    "   fun:whatever\n"
    "}\n"
    "{\n"
    "   syscall_param\n"
    "   Memcheck:Param\n"
    "   write(buf)\n"
    "   fun:write\n"
    "}\n"
    "{\n"
    "   race\n"
    "   Helgrind:Race\n"
    "   any tool-specific line\n"
    "}\n"
    "{\n"
    "   both_tools\n"
    "   Memcheck,Addrcheck:Leak\n"
    "   fun:x\n"
    "}\n";

static void test_parse_valgrind(void)
{
    struct mp_supp_set set;
    mp_suppress_init(&set);
    CHECK_UL(parse_into(&set, "/d/known.supp", VG_FILE), 0);
    CHECK(err[0] == 0, "message on success: %s", err);
    CHECK_UL(set.count, 6);
    CHECK(set.any_fun, "any_fun");
    struct mp_supp *s = set.head;
    if (!s)
        return;
    CHECK_STR(s->name, "cache_init");
    CHECK_STR(s->file, "/d/known.supp");
    CHECK_UL(s->line, 4);
    CHECK_UL(s->format, MP_SUPP_VALGRIND);
    CHECK_UL(s->type, MP_SUPP_LEAK);
    CHECK_UL(s->kinds, KIND(DEFINITE) | KIND(POSSIBLE));
    CHECK_UL(s->npats, 5);
    if (s->npats == 5) {
        CHECK_UL(s->pats[0].kind, MP_SUPP_FUN);
        CHECK_STR(s->pats[0].glob, "malloc");
        CHECK_STR(s->pats[1].glob, "cache_*");
        CHECK_UL(s->pats[2].kind, MP_SUPP_ANY);
        CHECK_UL(s->pats[3].kind, MP_SUPP_OBJ);
        CHECK_STR(s->pats[3].glob, "*/libfoo.so*");
        CHECK_UL(s->pats[4].kind, MP_SUPP_SRC);
        CHECK_STR(s->pats[4].glob, "cache.c");
        CHECK_UL(s->pats[4].line, 42);
    }
    s = s->next;
    CHECK_STR(s->name, "bad_free");
    CHECK_UL(s->type, MP_SUPP_ERROR);
    CHECK_UL(s->kinds, 15);
    CHECK_UL(s->npats, 2);
    s = s->next;
    CHECK_STR(s->name, "uninit");
    CHECK_UL(s->type, MP_SUPP_OTHER);
    s = s->next;
    CHECK_STR(s->name, "syscall_param");
    CHECK_UL(s->type, MP_SUPP_OTHER);
    CHECK_UL(s->npats, 1);
    s = s->next;
    CHECK_STR(s->name, "race");
    CHECK_UL(s->type, MP_SUPP_OTHER);
    CHECK_UL(s->npats, 0);
    s = s->next;
    CHECK_STR(s->name, "both_tools");
    CHECK_UL(s->type, MP_SUPP_LEAK);
    CHECK(s->next == NULL, "end of list");

    /* A second file appends, in order. */
    CHECK_UL(parse_into(&set, "b.supp", "leak:zzz\n"), 0);
    CHECK_UL(set.count, 7);
    struct mp_supp *last = set.head;
    while (last->next)
        last = last->next;
    CHECK_STR(last->name, "leak:zzz");
    CHECK(set.tail == &last->next, "tail");

    /* Empty and comment-only files are valid and add nothing. */
    mp_suppress_init(&set);
    CHECK_UL(parse_into(&set, "e.supp", ""), 0);
    CHECK_UL(parse_into(&set, "e.supp", "# nothing\n\n   \n#{\n"), 0);
    CHECK_UL(set.count, 0);
    /* The storage bound for tiny texts. */
    CHECK_UL(parse_into(&set, "e.supp", "{\nn\nMemcheck:Leak\nfun:x\n}"), 0);
    CHECK_UL(set.count, 1);
    drop();
}

static void test_parse_native(void)
{
    struct mp_supp_set set;
    mp_suppress_init(&set);
    CHECK_UL(parse_into(&set, "n.supp",
                        "# memplumber format\n"
                        "leak:libfoo.so*\n"
                        "  leak:foo::Cache::load   kinds=definite,possible  \n"
                        "error:legacy.c\n"
                        "leak:operator new*\n"
                        "leak:x kinds=all\n"),
             0);
    CHECK_UL(set.count, 5);
    CHECK(!set.any_fun, "no valgrind fun: lines");
    struct mp_supp *s = set.head;
    CHECK_STR(s->name, "leak:libfoo.so*");
    CHECK_UL(s->line, 2);
    CHECK_UL(s->format, MP_SUPP_NATIVE);
    CHECK_UL(s->type, MP_SUPP_LEAK);
    CHECK_UL(s->kinds, 15);
    CHECK_STR(s->pats[0].glob, "libfoo.so*");
    s = s->next;
    CHECK_STR(s->pats[0].glob, "foo::Cache::load");
    CHECK_UL(s->kinds, KIND(DEFINITE) | KIND(POSSIBLE));
    CHECK_UL(s->line, 3);
    s = s->next;
    CHECK_UL(s->type, MP_SUPP_ERROR);
    CHECK_STR(s->pats[0].glob, "legacy.c");
    s = s->next;
    CHECK_STR(s->pats[0].glob, "operator new*");
    s = s->next;
    CHECK_UL(s->kinds, 15);
    drop();
}

/* Every kind memcheck knows loads (valgrind 3.19's and later ones'); FishyValue's line after
 * the kind names a function and argument, as Param's names a parameter, not a frame. */
static void test_memcheck_kinds(void)
{
    static const char *const kinds[] = {
        "Param", "User", "CoreMem", "Addr1", "Addr2", "Addr4", "Addr8", "Addr16", "Addr32",
        "Jump", "Free", "Leak", "Overlap", "Mempool", "Cond", "Value0", "Value1", "Value2",
        "Value4", "Value8", "Value16", "Value32", "FishyValue", "ReallocZero", "BadAlign",
        "BadSize", "SizeMismatch", "AlignMismatch"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char text[256];
        int extra = !strcmp(kinds[i], "Param") || !strcmp(kinds[i], "FishyValue");
        snprintf(text, sizeof text, "{\n n\n Memcheck:%s\n%s fun:main\n}\n", kinds[i],
                 extra ? " malloc(size)\n" : "");
        struct mp_supp_set set;
        mp_suppress_init(&set);
        int rc = parse_into(&set, "k.supp", text);
        CHECK(rc == 0, "Memcheck:%s refused: %s", kinds[i], err);
        if (rc == 0 && set.head)
            CHECK_UL(set.head->npats, 1);
    }
}

static void test_errors(void)
{
    /* valgrind format */
    refuse("{\n n\n Memcheck:Leak\n fun:malloc\n fun:a\n fun:b\n fn:main\n}\n",
           "s.supp:7: unknown frame kind 'fn:'; expected fun:, obj:, src: or ...", __LINE__);
    refuse("# c\n\n{\n n\n Memcheck:Leak\n fun:x\n",
           "s.supp:3: '{' without a matching '}'", __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:x\n{\n m\n Memcheck:Leak\n fun:y\n}\n",
           "s.supp:1: '{' without a matching '}'", __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:x\n}\n}\n", "s.supp:6: '}' without a matching '{'",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:x\n}\nfun:y\n",
           "s.supp:6: expected '{' to start a suppression, found 'fun:y'", __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:x\n}\nleak:y\n",
           "s.supp:6: expected '{' to start a suppression, found 'leak:y'; this file is in "
           "valgrind's format (it starts with '{'): put memplumber lines (leak:, error:) in a "
           "file of their own",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n match-leak-kinds: definite,bogus\n fun:x\n}\n",
           "s.supp:4: match-leak-kinds: unknown leak kind 'bogus'; expected definite, indirect, "
           "possible, reachable, all or none",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n match-leak-kinds:\n fun:x\n}\n",
           "s.supp:4: match-leak-kinds: has no value; expected definite, indirect, possible, "
           "reachable, all or none",
           __LINE__);
    refuse("{\n n\n Memcheck:Free\n match-leak-kinds: all\n fun:x\n}\n",
           "s.supp:4: match-leak-kinds: is only valid in Memcheck:Leak suppressions", __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:x\n match-leak-kinds: all\n}\n",
           "s.supp:5: match-leak-kinds: must come right after the Memcheck:Leak line, before the "
           "frame lines",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n match-leak-kinds: all\n}\n",
           "s.supp:5: suppression 'n' has no frame lines; give at least one (fun:NAME, obj:PATH, "
           "src:FILE or ...)",
           __LINE__);
    /* only "...": valgrind refuses it; accepted, it would hide every record */
    refuse("{\n n\n Memcheck:Leak\n match-leak-kinds: all\n ...\n}\n",
           "s.supp:6: suppression 'n' has only '...' frame lines, which would match every stack "
           "(valgrind refuses it too); give at least one fun:NAME, obj:PATH or src:FILE line "
           "(fun:* to match any function)",
           __LINE__);
    refuse("{\n n\n Memcheck:Free\n ...\n ...\n}\n",
           "s.supp:6: suppression 'n' has only '...' frame lines, which would match every stack "
           "(valgrind refuses it too); give at least one fun:NAME, obj:PATH or src:FILE line "
           "(fun:* to match any function)",
           __LINE__);
    refuse("{\n}\n",
           "s.supp:2: empty suppression; write '{', a name, Tool:Kind (e.g. Memcheck:Leak), frame "
           "lines (fun:, obj:, src:, ...), '}'",
           __LINE__);
    refuse("{\n Memcheck:Leak\n fun:x\n}\n",
           "s.supp:2: the suppression has no name: 'Memcheck:Leak' stands where the name belongs; "
           "write a name on the line after '{'",
           __LINE__);
    refuse("{\n name\n}\n",
           "s.supp:3: suppression 'name' has no Tool:Kind line; expected e.g. Memcheck:Leak after "
           "the name",
           __LINE__);
    refuse("{\n name\n fun:malloc\n}\n",
           "s.supp:3: expected Tool:Kind (e.g. Memcheck:Leak or Memcheck:Free) after the name, "
           "found 'fun:malloc'",
           __LINE__);
    refuse("{\n name\n Memcheck\n}\n",
           "s.supp:3: expected Tool:Kind (e.g. Memcheck:Leak or Memcheck:Free) after the name, "
           "found 'Memcheck'",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n fun:\n}\n",
           "s.supp:4: empty pattern after 'fun:'; write a name or a glob (* and ?), e.g. fun:*",
           __LINE__);
    refuse("{\n n\n Memcheck:Leak\n malloc\n}\n",
           "s.supp:4: expected a frame line (fun:NAME, obj:PATH, src:FILE[:LINE] or ...), found "
           "'malloc'",
           __LINE__);
    refuse("{\n n\n Helgrind:Race\n whatever\n", "s.supp:1: '{' without a matching '}'",
           __LINE__);
    /* Memcheck kinds: exactly memcheck's (valgrind stops on any other, as a typo would
     * otherwise leave the leak it was meant to hide reported). */
#define MC_KINDS                                                                               \
    "Memcheck's kinds are: Param, User, CoreMem, Addr1, Addr2, Addr4, Addr8, Addr16, Addr32, "  \
    "Jump, Free, Leak, Overlap, Mempool, Cond, Value0, Value1, Value2, Value4, Value8, Value16, " \
    "Value32, FishyValue, ReallocZero, BadAlign, BadSize, SizeMismatch, AlignMismatch "         \
    "(memplumber uses Leak and Free)"
    refuse("{\n n\n Memcheck:leak\n fun:main\n}\n",
           "s.supp:3: unknown Memcheck suppression kind 'leak' (did you mean 'Leak'?); valgrind "
           "stops on it too. " MC_KINDS, __LINE__);
    refuse("{\n n\n Memcheck:Leek\n fun:main\n}\n",
           "s.supp:3: unknown Memcheck suppression kind 'Leek'; valgrind stops on it too. " MC_KINDS,
           __LINE__);
    refuse("{\n ok\n Memcheck:Leak\n fun:a\n}\n{\n n\n Helgrind,Memcheck:Race\n fun:main\n}\n",
           "s.supp:8: unknown Memcheck suppression kind 'Race'; valgrind stops on it too. " MC_KINDS,
           __LINE__);
#undef MC_KINDS
    /* format detection */
    refuse("\n# hello\nsuppress malloc\n",
           "s.supp:3: cannot tell the format from 'suppress malloc': a valgrind suppression "
           "starts with '{', a memplumber one with leak: or error:",
           __LINE__);
    /* memplumber format */
    refuse("leak:a\nleek:b\n",
           "s.supp:2: unknown suppression type 'leek:'; expected leak: (LeakSanitizer's) or error:",
           __LINE__);
    refuse("leak:a\nrace:b\n",
           "s.supp:2: unknown suppression type 'race:'; expected leak: (LeakSanitizer's) or error: "
           "(the other sanitizers' types belong in their own files)",
           __LINE__);
    refuse("leak:a\nmalloc\n", "s.supp:2: expected leak:PATTERN or error:PATTERN, found 'malloc'",
           __LINE__);
    refuse("leak:a\nleak:\n",
           "s.supp:2: empty pattern after 'leak:'; write leak:FUNCTION, leak:FILE or leak:MODULE "
           "(a part of the name: * any characters, ^ its start, $ its end)",
           __LINE__);
    refuse("leak: kinds=definite\n",
           "s.supp:1: empty pattern after 'leak:'; write leak:FUNCTION, leak:FILE or leak:MODULE "
           "(a part of the name: * any characters, ^ its start, $ its end)",
           __LINE__);
    refuse("leak:a kinds=bogus\n",
           "s.supp:1: kinds=: unknown leak kind 'bogus'; expected definite, indirect, possible, "
           "reachable, all or none",
           __LINE__);
    refuse("leak:a kinds=\n",
           "s.supp:1: kinds= has no value; expected definite, indirect, possible, reachable, all "
           "or none",
           __LINE__);
    refuse("error:a kinds=definite\n", "s.supp:1: kinds= only applies to leak: lines", __LINE__);
    refuse("# mine\nleak:a\n{\n",
           "s.supp:3: valgrind-style '{' in a memplumber-format file (line 2 is a leak:/error: "
           "line); put valgrind suppressions in a file of their own",
           __LINE__);
    /* binary */
    {
        struct mp_supp_set set;
        mp_suppress_init(&set);
        const char bin[] = "leak:a\nleak:b\0c\n";
        int rc = mp_suppress_parse(bin, sizeof bin - 1, "s.supp", &set, NULL, 0, err, sizeof err);
        CHECK(rc == -1 && !strcmp(err, "s.supp:2: contains a NUL byte; is this a text file?"),
              "NUL: %d '%s'", rc, err);
    }
    /* A long line is quoted cut short, control characters as '?'. */
    {
        char text[400];
        snprintf(text, sizeof text, "leak:a\nbad\001%0200d\n", 0);
        struct mp_supp_set set;
        mp_suppress_init(&set);
        CHECK_UL(parse_into(&set, "s.supp", text), -1);
        CHECK(strstr(err, "found 'bad?000") && strstr(err, "...'") && strlen(err) < 200,
              "quoting: %s", err);
    }
    /* A small err buffer is truncated, NUL-terminated. */
    {
        char small[12];
        int rc = mp_suppress_parse("leak:\n", 6, "s.supp", NULL, NULL, 0, small, sizeof small);
        CHECK(rc == -1 && !strcmp(small, "s.supp:1: e"), "truncated: '%s'", small);
    }
    /* Storage too small: an error, nothing appended. */
    {
        struct mp_supp_set set;
        mp_suppress_init(&set);
        char st[64];
        int rc = mp_suppress_parse(VG_FILE, strlen(VG_FILE), "s.supp", &set, st, sizeof st, err,
                                   sizeof err);
        CHECK(rc == -1 && strstr(err, "storage") && set.count == 0 && !set.head,
              "small storage: %d '%s'", rc, err);
    }
}

/* The storage bound holds for many generated files, valid or not (ASan checks the writes). */
static void test_storage_bound(void)
{
    static const char *const frames[] = {"fun:a\n", "obj:*\n", "src:x.c:1\n", "...\n", "# c\n",
                                         "\n", "fun:*b?c*\n", "  fun:x  \r\n", "src:y\n"};
    static const char *const lines[] = {"leak:a\n", "error:*.c\n", "leak:x kinds=definite\n",
                                        "# c\n", "\n", "  leak: b c \r\n"};
    static const char *const junk[] = {"{\n", "}\n", "x\n", "match-leak-kinds: all\n",
                                       "Memcheck:Param\n", "leak:\n"};
    unsigned seed = 12345;
#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 8) % (n)
#define PICK(a) a[RND(sizeof a / sizeof a[0])]
    int ok = 0;
    for (int round = 0; round < 3000; round++) {
        char text[1024];
        size_t len = 0;
        int native = round % 4 == 0;
        for (int b = 0, nb = 1 + (int)RND(4); b < nb && len < 800; b++) {
            if (native) {
                len += (size_t)snprintf(text + len, sizeof text - len, "%s", PICK(lines));
                continue;
            }
            len += (size_t)snprintf(text + len, sizeof text - len, "{\nn%d\nMemcheck:%s\n", b,
                                    RND(2) ? "Leak" : "Free");
            for (int i = 0, nf = 1 + (int)RND(6); i < nf; i++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s", PICK(frames));
            len += (size_t)snprintf(text + len, sizeof text - len, "}\n");
        }
        if (round % 5 == 0)   /* and some broken ones */
            len += (size_t)snprintf(text + len, sizeof text - len, "%s", PICK(junk));
        size_t need = mp_suppress_storage_needed(text, len, "f.supp");
        char *st = malloc(need);
        struct mp_supp_set set;
        mp_suppress_init(&set);
        int dry = mp_suppress_parse(text, len, "f.supp", NULL, NULL, 0, err, sizeof err);
        int rc = mp_suppress_parse(text, len, "f.supp", &set, st, need, err, sizeof err);
        CHECK(rc == dry && !strstr(err, "storage"), "round %d: %d/%d '%s'", round, dry, rc, err);
        ok += rc == 0;
        free(st);
    }
#undef RND
#undef PICK
    CHECK(ok > 1500 && ok < 3000, "%d of the generated files parsed", ok);
}

/* ---- files ---- */

static void test_files(void)
{
    char dir[] = "/tmp/test_suppress.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256], buf[64];
    size_t len = 99;
    snprintf(path, sizeof path, "%s/missing.supp", dir);
    CHECK_UL(mp_suppress_read_file(path, "missing.supp", buf, sizeof buf, &len, err, sizeof err),
             -1);
    CHECK_STR(err, "cannot read the suppression file 'missing.supp': No such file or directory");
    CHECK_UL(mp_suppress_read_file(dir, "d", buf, sizeof buf, &len, err, sizeof err), -1);
    CHECK_STR(err, "cannot read the suppression file 'd': it is a directory");

    snprintf(path, sizeof path, "%s/ok.supp", dir);
    FILE *f = fopen(path, "w");
    fputs("leak:a\n", f);
    fclose(f);
    CHECK_UL(mp_suppress_read_file(path, NULL, buf, sizeof buf, &len, err, sizeof err), 0);
    CHECK_UL(len, 7);
    CHECK_STR(buf, "leak:a\n");
    CHECK_UL(mp_suppress_check_file(path, "ok.supp", buf, sizeof buf, err, sizeof err), 0);
    /* Exactly cap - 1 bytes fit; one more does not. */
    CHECK_UL(mp_suppress_read_file(path, "ok.supp", buf, 8, &len, err, sizeof err), 0);
    CHECK_UL(mp_suppress_read_file(path, "ok.supp", buf, 7, &len, err, sizeof err), -1);
    CHECK_STR(err, "the suppression file 'ok.supp' is larger than 6 bytes, the most memplumber "
                   "reads; split it into several files (suppressions=a.supp,b.supp)");
    char *big = malloc(MP_SUPP_FILE_MAX + 2);
    CHECK_UL(mp_suppress_read_file(path, "ok.supp", big, MP_SUPP_FILE_MAX + 1, &len, err,
                                   sizeof err),
             0);
    f = fopen(path, "w");
    for (unsigned i = 0; i < MP_SUPP_FILE_MAX / 8 + 1; i++)
        fputs("leak:ab\n", f);
    fclose(f);
    CHECK_UL(mp_suppress_check_file(path, "big.supp", big, MP_SUPP_FILE_MAX + 1, err, sizeof err),
             -1);
    CHECK(strstr(err, "'big.supp' is larger than 1 MiB"), "big: %s", err);
    free(big);

    f = fopen(path, "w");
    fputs("{\n n\n Memcheck:Leak\n fn:x\n}\n", f);
    fclose(f);
    CHECK_UL(mp_suppress_check_file(path, "bad.supp", buf, sizeof buf, err, sizeof err), -1);
    CHECK_STR(err, "bad.supp:4: unknown frame kind 'fn:'; expected fun:, obj:, src: or ...");
    unlink(path);
    rmdir(dir);
}

/* ---- matching ---- */

#define F(fn, file, line, mod) {fn, NULL, file, line, mod}

/* leak_known <- helper <- main <- (below main), in /bin/prog, from prog.c */
static const struct mp_supp_frame STACK[] = {
    F("leak_known", "/src/prog.c", 10, "/bin/prog"),
    F("helper(int)", "/src/util/helper.c", 20, "/lib/libhelp.so.1"),
    F("main", "/src/prog.c", 30, "/bin/prog"),
    F("(below main)", NULL, 0, NULL),
};
#define NSTACK (sizeof STACK / sizeof STACK[0])

static struct mp_supp *leak(const char *text, unsigned kind, unsigned alloc,
                            const struct mp_supp_frame *f, size_t n)
{
    static struct mp_supp_set set;
    drop();
    mp_suppress_init(&set);
    if (parse_into(&set, "m.supp", text)) {
        check_failed++;
        printf("FAIL: does not parse: %s\n", err);
        return NULL;
    }
    return mp_suppress_match_leak(&set, kind, alloc, f, n);
}

static struct mp_supp *error(const char *text, unsigned ekind, unsigned fkind,
                             const struct mp_supp_frame *f, size_t n)
{
    static struct mp_supp_set set;
    drop();
    mp_suppress_init(&set);
    if (parse_into(&set, "m.supp", text)) {
        check_failed++;
        printf("FAIL: does not parse: %s\n", err);
        return NULL;
    }
    return mp_suppress_match_error(&set, ekind, fkind, f, n);
}

#define VG(body) "{\n name\n Memcheck:Leak\n" body "}\n"
#define VGK(kinds, body) "{\n name\n Memcheck:Leak\n match-leak-kinds: " kinds "\n" body "}\n"
#define VGF(body) "{\n name\n Memcheck:Free\n" body "}\n"
#define DEF MP_LEAK_DEFINITE
#define MAL MP_ALLOC_MALLOC

static void test_match_frames(void)
{
    const struct mp_supp_frame *s = STACK;
    size_t n = NSTACK;
    /* Frame by frame from the top; the stack may be longer. */
    CHECK(leak(VG(" fun:leak_known\n"), DEF, MAL, s, n), "one frame");
    CHECK(leak(VG(" fun:leak_known\n fun:helper(int)\n fun:main\n fun:(below main)\n"), DEF, MAL,
               s, n),
          "whole stack");
    CHECK(!leak(VG(" fun:helper*\n"), DEF, MAL, s, n), "not frame 0");
    CHECK(!leak(VG(" fun:leak_known\n fun:main\n"), DEF, MAL, s, n), "frames are consecutive");
    CHECK(!leak(VG(" fun:leak_known\n fun:helper(int)\n fun:main\n fun:(below main)\n fun:x\n"),
                DEF, MAL, s, n),
          "more lines than frames");
    /* "..." */
    CHECK(leak(VG(" ...\n fun:main\n"), DEF, MAL, s, n), "... then main");
    CHECK(leak(VG(" ...\n fun:leak_known\n"), DEF, MAL, s, n), "... matches no frame");
    CHECK(leak(VG(" fun:leak_known\n ...\n fun:main\n"), DEF, MAL, s, n), "... in the middle");
    CHECK(leak(VG(" fun:leak_known\n ...\n"), DEF, MAL, s, n), "... at the end");
    /* (... alone is refused, as by valgrind: test_parse_valgrind) */
    CHECK(leak(VG(" fun:*\n ...\n"), DEF, MAL, s, n), "fun:* then ...");
    CHECK(leak(VG(" fun:*\n ...\n"), DEF, MAL, NULL, 0), "fun:* then ..., empty stack");
    CHECK(!leak(VG(" ...\n fun:main\n"), DEF, MAL, NULL, 0), "empty stack");
    CHECK(!leak(VG(" ...\n fun:nothere\n"), DEF, MAL, s, n), "... then a missing frame");
    CHECK(leak(VG(" ...\n fun:helper*\n ...\n fun:(below main)\n"), DEF, MAL, s, n),
          "two ...");
    CHECK(!leak(VG(" ...\n fun:main\n fun:helper*\n"), DEF, MAL, s, n), "order matters");
    /* obj: full path, src: base name or path, and line. */
    CHECK(leak(VG(" obj:/bin/prog\n obj:*/libhelp.so*\n"), DEF, MAL, s, n), "obj:");
    CHECK(!leak(VG(" obj:prog\n"), DEF, MAL, s, n), "obj: is the full path");
    CHECK(leak(VG(" src:prog.c\n src:*/util/*\n"), DEF, MAL, s, n), "src:");
    CHECK(leak(VG(" src:prog.c:10\n"), DEF, MAL, s, n), "src:FILE:LINE");
    CHECK(!leak(VG(" src:prog.c:11\n"), DEF, MAL, s, n), "src: wrong line");
    /* A first obj: line that matches valgrind's allocator frame (in vgpreload_memcheck) stands
     * for it, as valgrind matches it there: obj:* then the caller's frame. */
    CHECK(leak(VG(" obj:*\n src:prog.c:10\n fun:helper*\n"), DEF, MAL, s, n),
          "obj:* for the allocator frame");
    CHECK(leak(VG(" obj:/usr/*\n fun:leak_known\n"), DEF, MAL, s, n),
          "obj:/usr/* for the allocator frame");
    CHECK(!leak(VG(" obj:*/libc.so*\n fun:leak_known\n"), DEF, MAL, s, n),
          "obj: of another library is not the allocator frame");
    /* Unknown names are "???". */
    struct mp_supp_frame unk[] = {F(NULL, NULL, 0, NULL), F("main", NULL, 0, NULL)};
    CHECK(leak(VG(" fun:???\n fun:main\n"), DEF, MAL, unk, 2), "fun:???");
    CHECK(leak(VG(" obj:*\n fun:main\n"), DEF, MAL, unk, 2), "obj:* on an unknown module");
    CHECK(!leak(VG(" fun:a*\n"), DEF, MAL, unk, 2), "unknown function");
    /* Mangled names, and the demangled spelling too. */
    struct mp_supp_frame cxx[] = {{"ns::Foo::mk(int)", "_ZN2ns3Foo2mkEi", NULL, 0, "/p"},
                                  F("main", NULL, 0, "/p")};
    CHECK(leak(VG(" fun:_Znam\n fun:_ZN2ns3Foo2mkEi\n fun:main\n"), DEF, MP_ALLOC_NEW_ARRAY, cxx,
               2),
          "mangled");
    CHECK(leak(VG(" fun:ns::Foo::mk(int)\n"), DEF, MP_ALLOC_NEW_ARRAY, cxx, 2), "demangled");
    CHECK(!leak(VG(" fun:ns::Foo::mk\n"), DEF, MP_ALLOC_NEW_ARRAY, cxx, 2),
          "valgrind format: no parameter stripping");
}

static void test_match_allocator(void)
{
    const struct mp_supp_frame *s = STACK;
    size_t n = NSTACK;
    /* valgrind's first frame is the allocator: skipped when it names the block's allocator. */
    CHECK(leak(VG(" fun:malloc\n fun:leak_known\n fun:helper*\n"), DEF, MAL, s, n), "malloc");
    CHECK(leak(VG(" fun:*alloc\n fun:leak_known\n"), DEF, MAL, s, n), "glob on the allocator");
    CHECK(!leak(VG(" fun:malloc\n fun:leak_known\n"), DEF, MP_ALLOC_CALLOC, s, n),
          "fun:malloc on a calloc block");
    CHECK(leak(VG(" fun:calloc\n fun:leak_known\n"), DEF, MP_ALLOC_CALLOC, s, n), "calloc");
    CHECK(leak(VG(" fun:realloc\n fun:leak_known\n"), DEF, MP_ALLOC_REALLOC, s, n), "realloc");
    CHECK(leak(VG(" fun:posix_memalign\n fun:leak_known\n"), DEF, MP_ALLOC_MEMALIGN, s, n),
          "posix_memalign");
    CHECK(leak(VG(" fun:aligned_alloc\n fun:leak_known\n"), DEF, MP_ALLOC_MEMALIGN, s, n),
          "aligned_alloc");
    CHECK(leak(VG(" fun:_Znwm\n fun:leak_known\n"), DEF, MP_ALLOC_NEW, s, n), "_Znwm");
    CHECK(leak(VG(" fun:operator new(unsigned long)\n fun:leak_known\n"), DEF, MP_ALLOC_NEW, s,
               n),
          "demangled operator new");
    CHECK(!leak(VG(" fun:_Znwm\n fun:leak_known\n"), DEF, MP_ALLOC_NEW_ARRAY, s, n),
          "_Znwm on a new[] block");
    CHECK(leak(VG(" fun:_Znam\n fun:leak_known\n"), DEF, MP_ALLOC_NEW_ARRAY, s, n), "_Znam");
    CHECK(leak(VG(" fun:_ZnwmSt11align_val_t\n fun:leak_known\n"), DEF, MP_ALLOC_NEW_ALIGNED, s,
               n),
          "aligned new");
    CHECK(leak(VG(" obj:/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so\n"
                  " fun:leak_known\n"),
               DEF, MAL, s, n),
          "valgrind's preload object");
    /* The allocator line alone matches every block of that allocator, as in valgrind. */
    CHECK(leak(VG(" fun:malloc\n"), DEF, MAL, s, n), "fun:malloc alone");
    /* A first line for the caller still works: fun:* tried both ways. */
    CHECK(leak(VG(" fun:*\n fun:helper*\n"), DEF, MAL, s, n), "fun:* as the caller");
    CHECK(leak(VG(" fun:*\n fun:leak_known\n"), DEF, MAL, s, n), "fun:* as the allocator");
    /* Only one frame is skipped. */
    CHECK(!leak(VG(" fun:malloc\n fun:malloc\n fun:leak_known\n"), DEF, MAL, s, n), "one skip");
    /* Errors: the free function. */
    CHECK(error(VGF(" fun:free\n fun:leak_known\n"), MP_ERR_DOUBLE_FREE, MP_FREE_FREE, s, n),
          "free");
    CHECK(error(VGF(" fun:_ZdlPv\n fun:leak_known\n"), MP_ERR_MISMATCHED_FREE, MP_FREE_DELETE, s,
                n),
          "delete");
    CHECK(error(VGF(" fun:_ZdlPvm\n fun:leak_known\n"), MP_ERR_SIZED_DELETE, MP_FREE_DELETE, s,
                n),
          "sized delete");
    CHECK(!error(VGF(" fun:_ZdlPv\n fun:leak_known\n"), MP_ERR_INVALID_FREE, MP_FREE_FREE, s, n),
          "delete line on a free()");
    CHECK(error(VGF(" fun:realloc\n fun:leak_known\n"), MP_ERR_REALLOC_FREED, MP_FREE_FREE, s, n),
          "realloc");
    CHECK(error(VGF(" fun:leak_known\n"), MP_ERR_INVALID_FREE, MP_FREE_FREE, s, n),
          "without the free frame");
}

static void test_match_kinds_types(void)
{
    const struct mp_supp_frame *s = STACK;
    size_t n = NSTACK;
    CHECK(leak(VGK("definite", " fun:leak_known\n"), DEF, MAL, s, n), "definite");
    CHECK(!leak(VGK("definite", " fun:leak_known\n"), MP_LEAK_POSSIBLE, MAL, s, n),
          "possible not in definite");
    CHECK(leak(VGK("indirect,reachable", " fun:leak_known\n"), MP_LEAK_REACHABLE, MAL, s, n),
          "reachable");
    CHECK(leak(VGK("all", " fun:leak_known\n"), MP_LEAK_INDIRECT, MAL, s, n), "all");
    CHECK(!leak(VGK("none", " fun:leak_known\n"), DEF, MAL, s, n), "none");
    CHECK(leak(VG(" fun:leak_known\n"), MP_LEAK_REACHABLE, MAL, s, n), "no line: every kind");
    CHECK(!leak(VG(" fun:leak_known\n"), MP_LEAK_NKINDS, MAL, s, n), "bad kind");
    CHECK(leak("leak:leak_known kinds=possible\n", MP_LEAK_POSSIBLE, MAL, s, n), "native kinds");
    CHECK(!leak("leak:leak_known kinds=possible\n", DEF, MAL, s, n), "native kinds, other kind");
    /* Types do not cross. */
    CHECK(!leak(VGF(" fun:leak_known\n"), DEF, MAL, s, n), "Free on a leak");
    CHECK(!error(VG(" fun:leak_known\n"), MP_ERR_DOUBLE_FREE, MP_FREE_FREE, s, n),
          "Leak on an error");
    CHECK(!leak("{\n n\n Memcheck:Cond\n fun:*\n}\n", DEF, MAL, s, n), "other kinds never match");
    CHECK(!leak("{\n n\n Helgrind:Race\n fun:*\n}\n", DEF, MAL, s, n), "other tools never match");
    CHECK(!leak("error:*\n", DEF, MAL, s, n), "error: on a leak");
    CHECK(!error("leak:*\n", MP_ERR_DOUBLE_FREE, MP_FREE_FREE, s, n), "leak: on an error");
    CHECK(error("error:helper.c\n", MP_ERR_USABLE_SIZE_INVALID, MP_FREE_FREE, s, n), "error:");
    /* The first match wins, in file order. */
    struct mp_supp *m = leak(VG(" fun:nope\n") "{\n second\n Memcheck:Leak\n fun:leak_known\n}\n"
                             "{\n third\n Memcheck:Leak\n fun:*\n ...\n}\n",
                             DEF, MAL, s, n);
    CHECK(m && !strcmp(m->name, "second") && m->line == 7, "first match: %s:%u",
          m ? m->name : "none", m ? m->line : 0);
}

static void test_match_native(void)
{
    const struct mp_supp_frame *s = STACK;
    size_t n = NSTACK;
    CHECK(leak("leak:leak_known\n", DEF, MAL, s, n), "function, frame 0");
    CHECK(leak("leak:main\n", DEF, MAL, s, n), "function, any frame");
    CHECK(leak("leak:helper\n", DEF, MAL, s, n), "function without its parameters");
    CHECK(leak("leak:helper(int)\n", DEF, MAL, s, n), "function with its parameters");
    CHECK(leak("leak:help\n", DEF, MAL, s, n), "a part of a name");
    CHECK(leak("leak:_kno\n", DEF, MAL, s, n), "a part of a function name");
    CHECK(leak("leak:helper.c\n", DEF, MAL, s, n), "file base name");
    CHECK(leak("leak:/util/\n", DEF, MAL, s, n), "a directory");
    CHECK(leak("leak:libhelp.so\n", DEF, MAL, s, n), "libhelp.so in libhelp.so.1");
    CHECK(leak("leak:/lib/libhelp.so.1\n", DEF, MAL, s, n), "module path");
    CHECK(leak("leak:^/lib/libhelp*1$\n", DEF, MAL, s, n), "anchored module path");
    CHECK(!leak("leak:^libhelp.so\n", DEF, MAL, s, n), "^: a path starts with /");
    CHECK(!leak("leak:nothere\nleak:Prog\n", DEF, MAL, s, n), "no match");
    CHECK(leak("leak:prog\n", DEF, MAL, s, n), "module base name of the executable");
    CHECK(leak("leak:nothere\nleak:prog.c\n", DEF, MAL, s, n), "second line");
    CHECK(leak("leak:malloc\n", DEF, MAL, s, n), "the allocator's frame, as in LeakSanitizer");
    CHECK(!leak("leak:calloc\n", DEF, MAL, s, n), "another allocator");
    CHECK(leak("leak:operator new\n", DEF, MP_ALLOC_NEW, s, n), "operator new");
    CHECK(!leak("leak:_Znwm\n", DEF, MP_ALLOC_NEW, s, n), "no mangled allocator names");
    CHECK(!leak("leak:below\n", DEF, MAL, s, n), "not the frames below main");
    struct mp_supp_frame cxx[] = {
        {"ns::Foo::mk(int) const", "_ZNK2ns3Foo2mkEi", NULL, 0, NULL},
        {"(anonymous namespace)::run()", NULL, NULL, 0, NULL},
        {"main::{lambda()#1}::operator()() const", NULL, NULL, 0, NULL}};
    CHECK(leak("leak:ns::Foo::mk\n", DEF, MAL, cxx, 3), "const method");
    CHECK(!leak("leak:_ZNK2ns3Foo2mkEi\n", DEF, MAL, cxx, 3), "no mangled names (LSan)");
    CHECK(leak("leak:ns::\n", DEF, MAL, cxx, 3), "namespace");
    CHECK(leak("leak:^ns::*const$\n", DEF, MAL, cxx, 3), "anchors and star");
    CHECK(leak("leak:(anonymous namespace)::run\n", DEF, MAL, cxx, 3), "anonymous namespace");
    CHECK(leak("leak:main::{lambda()#1}::operator()\n", DEF, MAL, cxx, 3), "lambda");
    CHECK(!leak("leak:x\n", DEF, MAL, NULL, 0), "empty stack");
    struct mp_supp_frame unk[] = {F(NULL, NULL, 0, NULL)};
    CHECK(!leak("leak:?\n", DEF, MAL, unk, 1), "unknown names match nothing");
}

static void test_gen_frames(void)
{
    CHECK_STR(mp_suppress_alloc_frame(MP_ALLOC_MALLOC), "fun:malloc");
    CHECK_STR(mp_suppress_alloc_frame(MP_ALLOC_CALLOC), "fun:calloc");
    CHECK_STR(mp_suppress_alloc_frame(MP_ALLOC_NEW), "fun:_Znwm*");
    CHECK_STR(mp_suppress_alloc_frame(MP_ALLOC_NEW_ARRAY), "fun:_Znam*");
    CHECK_STR(mp_suppress_alloc_frame(MP_ALLOC_MEMALIGN), "fun:*");
    CHECK_STR(mp_suppress_free_frame(MP_ERR_DOUBLE_FREE, MP_FREE_FREE), "fun:free");
    CHECK_STR(mp_suppress_free_frame(MP_ERR_REALLOC_FREED, MP_FREE_FREE), "fun:realloc*");
    CHECK_STR(mp_suppress_free_frame(MP_ERR_MISMATCHED_FREE, MP_FREE_DELETE_ARRAY), "fun:_ZdaPv*");
    /* Each generated first line is skipped as the allocator of its own kind. */
    const struct mp_supp_frame *s = STACK;
    for (unsigned k = 0; k < MP_ALLOC_NKINDS; k++) {
        char text[256];
        snprintf(text, sizeof text, "{\n n\n Memcheck:Leak\n %s\n fun:leak_known\n}\n",
                 mp_suppress_alloc_frame(k));
        CHECK(leak(text, DEF, k, s, NSTACK), "generated line for allocator %u", k);
    }
    for (unsigned e = 0; e < MP_ERR_NKINDS; e++)
        for (unsigned f = 0; f < MP_FREE_NKINDS; f++) {
            char text[256];
            snprintf(text, sizeof text, "{\n n\n Memcheck:Free\n %s\n fun:leak_known\n}\n",
                     mp_suppress_free_frame(e, f));
            CHECK(error(text, e, f, s, NSTACK), "generated line for error %u free %u", e, f);
        }
}

int main(void)
{
    test_glob();
    test_template();
    test_parse_valgrind();
    test_parse_native();
    test_errors();
    test_memcheck_kinds();
    test_storage_bound();
    test_files();
    test_match_frames();
    test_match_allocator();
    test_match_kinds_types();
    test_match_native();
    test_gen_frames();
    drop();
    return CHECK_DONE();
}
