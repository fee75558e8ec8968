// SOURCES: src/report/jsonread.c src/report/baseline.c src/common/leakkey.c src/common/kinds.c src/common/fmt.c
/* Reading memplumber's JSON back (src/report/jsonread.c, baseline.c) and the matching key
 * (src/common/leakkey.c): values, escapes (\u, surrogate pairs), numbers kept as text, errors
 * with line and column, depth limit, trailing text; the report checks with their messages; the
 * key ignores addresses, lines, directories and system frames, and separates kinds, functions
 * and file names, and sees a byte that is not UTF-8 as the JSON's U+FFFD; which frames are the
 * program's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/leakkey.h"
#include "report/baseline.h"
#include "report/jsonread.h"

static char err[1024];

static struct mp_json *parse(const char *s)
{
    return mp_json_parse(s, strlen(s), err, sizeof err);
}

static void test_values(void)
{
    struct mp_json *j = parse(" {\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\", \"n\": 18446744073709551615} ");
    CHECK(j != NULL, "parse: %s", err);
    if (!j)
        return;
    const struct mp_json *a = mp_json_get(j, "a");
    CHECK(a && a->type == MP_JSON_ARRAY && a->n == 5, "array");
    if (a && a->n == 5) {
        CHECK_STR(a->items[1]->text, "-2.5e3");
        CHECK(a->items[2]->type == MP_JSON_BOOL && a->items[2]->boolean, "true");
        CHECK(a->items[3]->type == MP_JSON_BOOL && !a->items[3]->boolean, "false");
        CHECK(a->items[4]->type == MP_JSON_NULL, "null");
    }
    CHECK_STR(mp_json_str(j, "s"), "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
    uint64_t v = 0;
    CHECK(mp_json_u64(mp_json_get(j, "n"), &v) == 0 && v == UINT64_MAX, "u64 max");
    CHECK(mp_json_u64(a ? a->items[1] : NULL, &v) == -1, "negative is not a u64");
    CHECK(mp_json_get(j, "missing") == NULL, "missing member");
    mp_json_free(j);
    j = parse("{\"n\": 18446744073709551616}");
    CHECK(j && mp_json_u64(mp_json_get(j, "n"), &v) == -1, "u64 overflow refused");
    mp_json_free(j);
}

static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"a\": 1,\n \"b\": }", "line 2, column 7: unexpected character '}'"},
        {"[1, 2", "line 1, column 6: unexpected end of the text"},
        {"{\"a\" 1}", "line 1, column 6: expected ':' after the member name \"a\""},
        {"[01]", "bad number"},
        {"[1.]", "no digits after '.'"},
        {"\"a\\q\"", "unknown escape \\q"},
        {"\"tab\there\"", "control character in a string"},
        {"\"open", "unterminated string"},
        {"{} x", "text after the end of the JSON value"},
        {"[tru]", "unexpected character 't'"},
        {"", "unexpected end of the text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mp_json *j = parse(bad[i].text);
        CHECK(j == NULL, "'%s' parsed", bad[i].text);
        mp_json_free(j);
        CHECK(strstr(err, bad[i].want) != NULL, "'%s': '%s', expected '%s'", bad[i].text, err,
              bad[i].want);
    }
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = 0;
    struct mp_json *j = parse(deep);
    CHECK(j == NULL && strstr(err, "nested more than"), "depth limit: %s", err);
    mp_json_free(j);
}

static const char report_head[] = "{\"format\": \"memplumber-report\", \"version\": 1, ";

static void check_report(const char *body, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s}", report_head, body);
    struct mp_json *j = parse(text);
    CHECK(j != NULL, "parse %s: %s", text, err);
    int rc = mp_report_json_check(j, err, sizeof err);
    if (want)
        CHECK(rc == -1 && strstr(err, want), "%s: '%s', expected '%s'", body, rc ? err : "accepted", want);
    else
        CHECK(rc == 0, "%s refused: %s", body, err);
    mp_json_free(j);
}

static void test_report_check(void)
{
    check_report("\"leaks\": [], \"errors\": []", NULL);
    check_report("\"leaks\": [{\"kind\": \"possibly_lost\", \"bytes\": 1, \"blocks\": 1, \"stack\": "
                 "[{\"function\": null, \"file\": \"a.c\", \"module\": null}]}], \"errors\": "
                 "[{\"kind\": \"double_free\", \"count\": 2, \"stack\": []}]", NULL);
    check_report("\"errors\": []", "\"leaks\" is missing");
    check_report("\"leaks\": [{\"kind\": \"lost\", \"bytes\": 1, \"blocks\": 1, \"stack\": []}], "
                 "\"errors\": []", "leaks[0]: \"kind\" is not one of");
    check_report("\"leaks\": [{\"kind\": \"still_reachable\", \"bytes\": -1, \"blocks\": 1, "
                 "\"stack\": []}], \"errors\": []", "leaks[0]: \"bytes\" or \"blocks\"");
    check_report("\"leaks\": [{\"kind\": \"still_reachable\", \"bytes\": 1, \"blocks\": 1, "
                 "\"stack\": [{\"function\": 3}]}], \"errors\": []",
                 "frame 0 of leaks[0].stack: \"function\" is neither a string nor null");
    check_report("\"leaks\": [], \"errors\": [{\"kind\": \"oops\", \"count\": 1}]",
                 "errors[0]: \"kind\" is not a heap error kind");
    struct mp_json *j = parse("{\"format\": \"memplumber-report\", \"version\": 2, \"leaks\": [], \"errors\": []}");
    CHECK(j && mp_report_json_check(j, err, sizeof err) == -1 && strstr(err, "version is not 1"),
          "version 2: %s", err);
    mp_json_free(j);
    j = parse("{\"version\": \"2.1.0\", \"runs\": []}");
    CHECK(j && mp_report_json_check(j, err, sizeof err) == -1 &&
          strstr(err, "not a memplumber JSON report"), "SARIF as a report: %s", err);
    mp_json_free(j);
}

static void test_key(void)
{
    struct mp_key_frame a[] = {
        {"strdup", "string/strdup.c", "/lib/x86_64-linux-gnu/libc.so.6"},
        {"copy_name", "/home/u/proj/src/prog.c", "/home/u/proj/build/prog"},
        {"main", "/home/u/proj/src/prog.c", "/home/u/proj/build/prog"},
    };
    /* the same leak in another checkout, another build, with a system frame less */
    struct mp_key_frame b[] = {
        {"copy_name", "/builds/ci/src/prog.c", "/builds/ci/prog"},
        {"main", "/builds/ci/src/prog.c", "/builds/ci/prog"},
    };
    uint64_t ka = mp_leak_key("definitely_lost", a, 3);
    CHECK(ka == mp_leak_key("definitely_lost", b, 2), "system frames, directories and modules count");
    CHECK(ka != mp_leak_key("possibly_lost", a, 3), "kind ignored");
    b[0].function = "copy_nam";
    b[1].function = "emain";
    CHECK(ka != mp_leak_key("definitely_lost", b, 2), "function boundaries ignored");
    b[0].function = "copy_name";
    b[1].function = "main";
    b[1].file = "/builds/ci/src/other.c";
    CHECK(ka != mp_leak_key("definitely_lost", b, 2), "file name ignored");
    CHECK_UL(mp_key_first_users(a, 3), 1);
    struct mp_key_frame sys[] = {
        {"operator new", NULL, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"},
        {"std::vector<int>::push_back", "/usr/include/c++/12/bits/stl_vector.h", "/home/u/a.out"},
        {"f", NULL, "/opt/glibc/lib/libc.so.6"},
        {"g", NULL, "/usr/local/lib/libfoo.so"},
        {NULL, NULL, NULL},
        {"h", "./src/h.c", "/srv/app/bin/app"},
        {"k", NULL, "/home/u/a.out"},
    };
    int want[] = {0, 0, 0, 0, 0, 1, 1};
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        CHECK(mp_key_frame_is_users(&sys[i]) == want[i], "frame %zu (%s): %d", i,
              sys[i].function ? sys[i].function : "?", mp_key_frame_is_users(&sys[i]));
    /* only system frames: every frame counts */
    uint64_t k1 = mp_leak_key("still_reachable", sys, 4);
    CHECK(k1 != mp_leak_key("still_reachable", sys, 3), "a stack without own frames keys on all frames");
    /* a name with bytes that are not UTF-8 keys as its JSON form (U+FFFD for each), which is
     * what the baseline and merge read back; a key of the exact bytes is what it was before */
    struct mp_key_frame raw[] = {{"caf\xe9_\xff", "/src/h\xe9llo.c", "/p/prog"}};
    struct mp_key_frame js[] = {{"caf\xef\xbf\xbd_\xef\xbf\xbd", "/src/h\xef\xbf\xbdllo.c", "/p/prog"}};
    struct mp_key_frame ok[] = {{"caf\xc3\xa9_\xef\xbf\xbd", "/src/h\xef\xbf\xbdllo.c", "/p/prog"}};
    CHECK(mp_leak_key("definitely_lost", raw, 1) == mp_leak_key("definitely_lost", js, 1),
          "bytes that are not UTF-8 key as U+FFFD");
    CHECK(mp_leak_key("definitely_lost", ok, 1) != mp_leak_key("definitely_lost", js, 1),
          "UTF-8 names keep their own key");
    char hex[17];
    mp_leak_key_hex(0x0123456789abcdefULL, hex);
    CHECK_STR(hex, "0123456789abcdef");
}

int main(void)
{
    test_values();
    test_errors();
    test_report_check();
    test_key();
    return CHECK_DONE();
}
