// SOURCES: src/report/report.c src/report/baseline.c src/report/jsonread.c src/common/leakkey.c src/report/json.c src/report/text.c src/report/sarif.c src/report/html.c src/report/out.c src/report/symbolize.c src/report/symcache.c src/report/suppressions.c src/common/suppress.c src/common/kinds.c src/report/pprof.c src/report/html_page.S src/common/repfile.c src/common/fmt.c src/common/summary.c src/report/xml.c
// LIBS: -ldw -lelf -lz
/* The report library (src/report): a model built by hand from this test's own code addresses
 * (return addresses captured in noinline functions, an always_inline chain, a libc function,
 * modules from dl_iterate_phdr) goes through mp_report_write / mp_report_error_now. Checked:
 * JSON parses (python3) with the expected functions, file basenames, __LINE__ lines, inline
 * frames, order, escaping and summary; the text report's valgrind-like lines; SARIF 2.1.0 shape;
 * HTML escaping; attribution of PCs to dlclose'd modules by generation; write errors; no fd leak.
 * Run from the repository root. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common/kinds.h"
#include "common/model.h"
#include "report/symbolize.h"

/* libdw keeps a few allocations for the life of the process; not our leaks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

/* ---- code whose addresses make the stacks ---- */

static uintptr_t stk[3];
static unsigned stk_line[3];
static uintptr_t inl_pc;
static unsigned inl_line[3];

__attribute__((noinline)) static uintptr_t grab(void)
{
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
    return ra;
}

__attribute__((noinline)) static void leaf(void)
{
    stk[0] = grab(); stk_line[0] = __LINE__;
    stk[1] = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void middle(void)
{
    leaf(); stk_line[1] = __LINE__;
    stk[2] = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void outer(void)
{
    middle(); stk_line[2] = __LINE__;
    __asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void inl_inner(void)
{
    inl_pc = grab(); inl_line[0] = __LINE__;
}

static inline __attribute__((always_inline)) void inl_outer(void)
{
    inl_inner(); inl_line[1] = __LINE__;
}

__attribute__((noinline)) static void inl_host(void)
{
    inl_outer(); inl_line[2] = __LINE__;
    __asm__ volatile("" ::: "memory");
}

/* ---- helpers ---- */

static char tmpdir[64];
static char exe_path[4096];

struct mods {
    struct mp_module m[256];
    char paths[256][4096];
    size_t n;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct mods *ms = arg;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    if (!name && ms->n > 0)
        return 0;   /* vdso has an empty name too; only the first object is the executable */
    for (int i = 0; i < info->dlpi_phnum && ms->n < 256; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        struct mp_module *m = &ms->m[ms->n];
        snprintf(ms->paths[ms->n], sizeof ms->paths[0], "%s", name ? name : exe_path);
        m->path = ms->paths[ms->n];
        m->base = info->dlpi_addr;
        m->lo = info->dlpi_addr + ph->p_vaddr;
        m->hi = m->lo + ph->p_memsz;
        m->file = NULL;
        m->unload_gen = 0;
        ms->n++;
    }
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t r = fread(b, 1, (size_t)n, f);
    b[r] = 0;
    fclose(f);
    return b;
}

static int has(const char *hay, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int has(const char *hay, const char *fmt, ...)
{
    char needle[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(needle, sizeof needle, fmt, ap);
    va_end(ap);
    if (strstr(hay, needle))
        return 1;
    fprintf(stderr, "  expected to find: %s\n", needle);
    return 0;
}

/* The line starting with prefix contains word (getpid is __GI_getpid with libc debug info). */
static int line_has(const char *hay, const char *prefix, const char *word)
{
    for (const char *l = hay; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (strncmp(l, prefix, strlen(prefix)) == 0) {
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)len, l);
            if (strstr(line, word))
                return 1;
        }
    }
    fprintf(stderr, "  expected a line '%s...' containing '%s'\n", prefix, word);
    return 0;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n++;
    closedir(d);
    return n;
}

/* Flatten a JSON report into lines the C side can match (and check the frame keys). */
static const char flatten_py[] =
    "import json,sys,os\n"
    "d=json.load(open(sys.argv[1]))\n"
    "o=open(sys.argv[2],'w')\n"
    "p=lambda *a: print(*a,file=o)\n"
    "p('head',d['format'],d['version'],d['pid'],sorted(d.keys())==sorted(['format','version',"
    "'pid','command','summary','leaks','errors','report_seq','only_new','min_age_s',"
    "'snapshot_interval_s','snapshots','growth','baseline']))\n"
    "p('command',json.dumps(d['command']))\n"
    "for k,v in d['summary'].items(): p('summary',k,v if isinstance(v,int) else "
    "'%d/%d'%(v['bytes'],v['blocks']))\n"
    "keys=sorted(['pc','function','file','line','module','inlined'])\n"
    "fr=lambda tag,i,st: [p(tag,i,j,f['function'],os.path.basename(f['file'] or '-'),f['line'],"
    "int(f['inlined']),f['module'],f['pc'],sorted(f.keys())==keys) for j,f in enumerate(st)]\n"
    "for i,l in enumerate(d['leaks']):\n"
    "  p('leak',i,l['kind'],l['bytes'],l['blocks'],l['allocator'],len(l['stack']))\n"
    "  fr('frame',i,l['stack'])\n"
    "for i,e in enumerate(d['errors']):\n"
    "  p('error',i,e['kind'],e['address'],e['count'],e.get('size'),"
    "','.join(k for k in ('stack','alloc_stack','free_stack') if k in e))\n"
    "  for k in ('stack','alloc_stack','free_stack'):\n"
    "    if k in e: fr('e'+k,i,e[k])\n";

static const char sarif_py[] =
    "import json,sys,os\n"
    "d=json.load(open(sys.argv[1]))\n"
    "o=open(sys.argv[2],'w')\n"
    "p=lambda *a: print(*a,file=o)\n"
    "p('version',d['version'],d['$schema'])\n"
    "r=d['runs'][0]\n"
    "p('driver',r['tool']['driver']['name'],' '.join(x['id'] for x in r['tool']['driver']['rules']))\n"
    "rules=r['tool']['driver']['rules']\n"
    "for x in r['results']:\n"
    "  assert rules[x['ruleIndex']]['id']==x['ruleId']\n"
    "  loc=x.get('locations',[{}])[0].get('physicalLocation',{})\n"
    "  al=loc.get('artifactLocation',{})\n"
    "  p('result',x['ruleId'],x['level'],repr(x['message']['text']),al.get('uriBaseId','-'),"
    "os.path.basename(al.get('uri','-')),loc.get('region',{}).get('startLine'),"
    "sum(len(t['locations']) for c in x.get('codeFlows',[]) for t in c['threadFlows']))\n";

static int run_py(const char *script, const char *in, const char *out)
{
    char spath[256], cmd[1024];
    snprintf(spath, sizeof spath, "%s/check.py", tmpdir);
    FILE *f = fopen(spath, "w");
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 %s %s %s", spath, in, out);
    return system(cmd);
}

/* The HTML report's embedded data, flattened. */
static const char html_py[] =
    "import json, re, sys\n"
    "page = open(sys.argv[1], encoding='utf-8').read()\n"
    "m = re.search(r'<script type=\"application/json\" id=\"mp-data\">(.*?)</script>', page, re.S)\n"
    "d = json.loads(m.group(1))\n"
    "o = open(sys.argv[2], 'w')\n"
    "o.write('argv %s\\n' % d['command'][1])\n"
    "for i in set(f[1] for f in d['frames'] if f[1] >= 0):\n"
    "    o.write('function %s\\n' % d['strings'][i])\n"
    "for i in set(f[4] for f in d['frames'] if f[4] >= 0):\n"
    "    o.write('module %s\\n' % d['strings'][i])\n"
    "o.write('leaks %d first %d last %d\\n' % (len(d['leaks']), d['leaks'][0][2], d['leaks'][-1][2]))\n"
    "o.write('errors %d\\n' % len(d['errors']))\n";

/* ---- the model ---- */

static struct mods mods;
static uintptr_t pcs_main[3], pcs_inl[1], pcs_libc[2], pcs_bad[2];
static struct mp_stack stacks[5];
static struct mp_loss_record recs[5];
static struct mp_error_record errs[2];
static char bad_module[] = "/nonexistent/<b>x&y\".so";
static char *argv_[] = {"./prog", "<script>alert(1)</script>", "q\"b\\s\n\x01\xff\xc3\xa9", NULL};

static void build_model(struct mp_report_input *in)
{
    memset(in, 0, sizeof *in);
    in->abi = MP_REPORT_ABI;
    in->pid = 4242;
    in->argc = 3;
    in->argv = argv_;
    in->reason = "exit";
    pcs_main[0] = stk[0];
    pcs_main[1] = stk[1];
    pcs_main[2] = stk[2];
    pcs_inl[0] = inl_pc;
    pcs_libc[0] = (uintptr_t)dlsym(RTLD_DEFAULT, "getpid") + 1;
    pcs_libc[1] = stk[2];
    /* A fabricated module that does not exist on disk, its path full of HTML metacharacters. */
    size_t nm = mods.n;
    mods.m[nm] = (struct mp_module){.path = bad_module, .base = 0x7e0000000000, .lo = 0x7e0000000000,
                                    .hi = 0x7e0000100000};
    pcs_bad[0] = 0x7e0000001235;
    pcs_bad[1] = stk[2];
    stacks[1] = (struct mp_stack){pcs_main, 3, 0};
    stacks[2] = (struct mp_stack){pcs_inl, 1, 0};
    stacks[3] = (struct mp_stack){pcs_libc, 2, 0};
    stacks[4] = (struct mp_stack){pcs_bad, 2, 0};
    in->stacks = stacks;
    in->nstacks = 5;
    in->modules = mods.m;
    in->nmodules = nm + 1;
    recs[0] = (struct mp_loss_record){MP_LEAK_DEFINITE, MP_ALLOC_MALLOC, 48, 3, 32, 2, 1, 0};
    recs[1] = (struct mp_loss_record){MP_LEAK_POSSIBLE, MP_ALLOC_NEW_ARRAY, 100, 1, 0, 0, 2, 0};
    recs[2] = (struct mp_loss_record){MP_LEAK_REACHABLE, MP_ALLOC_MALLOC, 72704, 1, 0, 0, 3, 0};
    recs[3] = (struct mp_loss_record){MP_LEAK_DEFINITE, MP_ALLOC_MALLOC, 7, 1, 0, 0, 1, 1};
    recs[4] = (struct mp_loss_record){MP_LEAK_INDIRECT, MP_ALLOC_CALLOC, 32, 2, 0, 0, 4, 0};
    in->records = recs;
    in->nrecords = 5;
    in->lost[MP_LEAK_DEFINITE] = (struct mp_count){48, 3};
    in->lost[MP_LEAK_INDIRECT] = (struct mp_count){32, 2};
    in->lost[MP_LEAK_POSSIBLE] = (struct mp_count){100, 1};
    in->lost[MP_LEAK_REACHABLE] = (struct mp_count){72704, 1};
    in->suppressed = (struct mp_count){7, 1};
    in->total_allocated = (struct mp_count){73000, 10};
    in->total_freed = (struct mp_count){109, 9};
    errs[0] = (struct mp_error_record){.kind = MP_ERR_DOUBLE_FREE, .address = 0x1000, .count = 2,
                                       .size = 16, .stack = 1, .alloc_stack = 2, .free_stack = 3};
    errs[1] = (struct mp_error_record){.kind = MP_ERR_MISMATCHED_FREE, .address = 0x2000,
                                       .count = 1, .allocator = MP_ALLOC_NEW_ARRAY,
                                       .free_kind = MP_FREE_FREE, .stack = 2};
    in->errors = errs;
    in->nerrors = 2;
    in->error_count = 3;
    in->opt.text_fd = -1;
    in->opt.err_fd = 2;
    in->opt.show_kinds = 7;
    in->opt.errors_kinds = 5; /* valgrind's default: definite, possible */
    in->opt.leak_check = 2;
    in->opt.leak_errors = 1; /* leak_check=full given: loss records are errors */
    in->opt.text_prefix_pid = 1;
    in->opt.verbosity = 1;
}

/* ---- tests ---- */

static void test_full_report(void)
{
    struct mp_report_input in;
    build_model(&in);
    char json[128], sarif[128], html[128], text[128], flat[128], sflat[128];
    snprintf(json, sizeof json, "%s/r.json", tmpdir);
    snprintf(sarif, sizeof sarif, "%s/r.sarif", tmpdir);
    snprintf(html, sizeof html, "%s/r.html", tmpdir);
    snprintf(text, sizeof text, "%s/r.txt", tmpdir);
    snprintf(flat, sizeof flat, "%s/flat.txt", tmpdir);
    snprintf(sflat, sizeof sflat, "%s/sflat.txt", tmpdir);
    int tfd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    in.opt.text_fd = tfd;
    in.opt.json_path = json;
    in.opt.sarif_path = sarif;
    in.opt.html_path = html;
    int fds = count_fds();
    int rc = mp_report_write(&in);
    CHECK(rc == 0, "mp_report_write returned %d", rc);
    CHECK(count_fds() == fds, "fds before %d, after %d", fds, count_fds());
    close(tfd);

    /* JSON */
    CHECK(run_py(flatten_py, json, flat) == 0, "JSON report does not parse (%s)", json);
    char *f = slurp(flat);
    CHECK(has(f, "head memplumber-report 1 4242 True"), "JSON head:\n%s", f);
    CHECK(has(f, "command [\"./prog\", \"<script>alert(1)</script>\", "
                 "\"q\\\"b\\\\s\\n\\u0001\\ufffd\\u00e9\"]"),
          "argv escaping");
    CHECK(has(f, "summary definitely_lost 48/3") && has(f, "summary indirectly_lost 32/2") &&
              has(f, "summary possibly_lost 100/1") && has(f, "summary still_reachable 72704/1") &&
              has(f, "summary suppressed 7/1") && has(f, "summary total_allocated 73000/10") &&
              has(f, "summary total_freed 109/9") && has(f, "summary errors 3"),
          "summary");
    /* Order: largest bytes first; the suppressed record is absent. */
    CHECK(has(f, "leak 0 still_reachable 72704 1 malloc 2\n") &&
              has(f, "leak 1 possibly_lost 100 1 new[] 3\n") &&
              has(f, "leak 2 definitely_lost 48 3 malloc 3\n") &&
              has(f, "leak 3 indirectly_lost 32 2 calloc 2\n") && !strstr(f, "leak 4 "),
          "records and order");
    CHECK(has(f, "frame 2 0 leaf test_report.c %u 0 %s 0x%lx True", stk_line[0], exe_path,
              (unsigned long)stk[0] - 1),
          "frame leaf");
    CHECK(has(f, "frame 2 1 middle test_report.c %u 0 %s", stk_line[1], exe_path), "frame middle");
    CHECK(has(f, "frame 2 2 outer test_report.c %u 0 %s", stk_line[2], exe_path), "frame outer");
    /* Inline chain: innermost inlined function first, at the call's line; then each container at
     * the call site of the inlined instance; the real function last, not inlined. */
    CHECK(has(f, "frame 1 0 inl_inner test_report.c %u 1 ", inl_line[0]), "inline frame 0");
    CHECK(has(f, "frame 1 1 inl_outer test_report.c %u 1 ", inl_line[1]), "inline frame 1");
    CHECK(has(f, "frame 1 2 inl_host test_report.c %u 0 ", inl_line[2]), "inline frame 2");
    /* libc: a name from the symbol table (no debug info needed), stack continues into outer. */
    CHECK(line_has(f, "frame 0 0 ", "getpid"), "libc frame:\n%s", f);
    CHECK(has(f, "frame 0 1 outer test_report.c %u", stk_line[2]), "after libc");
    /* A module that is not on disk: unsymbolized but attributed. */
    CHECK(has(f, "frame 3 0 None - None 0 %s 0x7e0000001234 True", bad_module), "unknown module");
    CHECK(has(f, "error 0 double_free 0x1000 2 16 stack,alloc_stack,free_stack"), "error 0");
    CHECK(has(f, "error 1 mismatched_free 0x2000 1 None stack\n"), "error 1");
    CHECK(has(f, "estack 0 0 leaf test_report.c %u", stk_line[0]), "error stack");
    CHECK(line_has(f, "efree_stack 0 0 ", "getpid"), "error free stack");
    CHECK(!strstr(f, "False\n"), "frame keys:\n%s", f);
    free(f);
    /* The file name as DWARF gives it, absolute. */
    char *j = slurp(json);
    CHECK(has(j, "\"file\": \"/") && has(j, "/test_report.c\""), "absolute file");
    free(j);

    /* Text */
    char *t = slurp(text);
    CHECK(has(t, "==4242== 80 (48 direct, 32 indirect) bytes in 3 blocks are definitely lost in "
                 "loss record 2 of 4 (allocated by malloc)\n"),
          "definite record:\n%s", t);
    CHECK(has(t, "==4242==    at 0x%lx: leaf (test_report.c:%u)\n", (unsigned long)stk[0] - 1,
              stk_line[0]),
          "at line");
    CHECK(has(t, "==4242==    by 0x%lx: middle (test_report.c:%u)\n", (unsigned long)stk[1] - 1,
              stk_line[1]),
          "by line");
    CHECK(has(t, "==4242==    at 0x%lx: inl_inner (test_report.c:%u) [inlined]\n",
              (unsigned long)inl_pc - 1, inl_line[0]) &&
              has(t, "==4242==    by 0x%lx: inl_outer (test_report.c:%u) [inlined]\n",
                  (unsigned long)inl_pc - 1, inl_line[1]) &&
              has(t, "==4242==    by 0x%lx: inl_host (test_report.c:%u)\n",
                  (unsigned long)inl_pc - 1, inl_line[2]),
          "inlined frames");
    CHECK(has(t, "==4242== 32 bytes in 2 blocks are indirectly lost in loss record 1 of 4 "
                 "(allocated by calloc)\n==4242==    at 0x7e0000001234: ??? (in %s+0x1234)\n",
              bad_module),
          "unsymbolized frame");
    CHECK(has(t, "possibly lost in loss record 3 of 4 (allocated by new[])"), "possible");
    CHECK(!strstr(t, "still reachable in loss record"), "reachable hidden by default");
    static const char head[] = "==4242==\n"
                               "==4242== HEAP SUMMARY:\n"
                               "==4242==     in use at exit: 72,891 bytes in 8 blocks\n"
                               "==4242==   total heap usage: 10 allocs, 9 frees, 73,000 bytes allocated\n"
                               "==4242==\n"
                               "==4242== 32 bytes in 2 blocks are indirectly lost in loss record 1 of 4";
    CHECK(!strncmp(t, head, sizeof head - 1), "heap summary first:\n%s", t);
    CHECK(has(t, "==4242== LEAK SUMMARY:\n"
                 "==4242==    definitely lost: 48 bytes in 3 blocks\n"
                 "==4242==    indirectly lost: 32 bytes in 2 blocks\n"
                 "==4242==      possibly lost: 100 bytes in 1 blocks\n"
                 "==4242==    still reachable: 72,704 bytes in 1 blocks\n"
                 "==4242==         suppressed: 7 bytes in 1 blocks\n"
                 "==4242==\n"
                 "==4242== ERROR SUMMARY: 5 errors"),
          "summary block:\n%s", t);
    CHECK(has(t, "\n==4242==\n"), "empty prefixed line");
    free(t);

    /* SARIF */
    CHECK(run_py(sarif_py, sarif, sflat) == 0, "SARIF does not parse (%s)", sarif);
    char *s = slurp(sflat);
    CHECK(has(s, "version 2.1.0 https://json.schemastore.org/sarif-2.1.0.json"), "sarif head");
    CHECK(has(s, "driver memplumber definitely-lost indirectly-lost possibly-lost "
                 "still-reachable double-free invalid-free mismatched-free"),
          "rules:\n%s", s);
    CHECK(has(s, "result definitely-lost error '48 bytes in 3 blocks are definitely lost "
                 "(malloc)' "),
          "definite result:\n%s", s);
    /* still reachable is neither shown (show_kinds 7) nor an error kind: no result */
    CHECK(!has(s, "result still-reachable"), "reachable result:\n%s", s);
    CHECK(has(s, "result possibly-lost error "), "possible level (an error kind)");
    CHECK(has(s, "result indirectly-lost warning "), "indirect level (shown, not an error kind)");
    CHECK(has(s, "test_report.c %u 3\n", stk_line[0]), "location + codeFlow of 3 frames:\n%s", s);
    CHECK(has(s, "result double-free error "), "error result");
    free(s);

    /* HTML */
    char *h = slurp(html);
    CHECK(has(h, "<!DOCTYPE html>") && has(h, "</html>"), "html shape");
    CHECK(!strstr(h, "<b>x&") && !strstr(h, "<script>alert"), "unescaped data in HTML");
    /* The data is JSON inside <script>: < > & escaped as \u003c..., so nothing closes it. */
    CHECK(has(h, "/nonexistent/\\u003cb\\u003ex\\u0026y\\\".so"), "escaped module path");
    CHECK(has(h, "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), "escaped argv");
    CHECK(!strstr(h, "http://") && !strstr(h, "https://") && !strstr(h, " src="),
          "external resources");
    /* Two script elements (data, code) and nothing in them that ends one early. */
    int ends = 0;
    for (const char *p = h; (p = strcasestr(p, "</script")); p++)
        ends++;
    CHECK(ends == 2, "%d </script in the page, want 2", ends);
    CHECK(!strstr(h, "<!--"), "<!-- in the page (would change how the scripts are parsed)");
    free(h);
    /* The embedded data decodes to the model: argv, the function, the module path, the records. */
    CHECK(run_py(html_py, html, flat) == 0, "HTML data does not parse (%s)", html);
    h = slurp(flat);
    CHECK(has(h, "argv <script>alert(1)</script>\n"), "argv in html data:\n%s", h);
    CHECK(has(h, "function leaf\n"), "function in html data:\n%s", h);
    CHECK(has(h, "module /nonexistent/<b>x&y\".so\n"), "module in html data:\n%s", h);
    CHECK(has(h, "leaks 4 first 72704 last 32\n"), "records in html data:\n%s", h);
    CHECK(has(h, "errors 2\n"), "errors in html data:\n%s", h);
    free(h);
}

static void test_error_now(void)
{
    struct mp_report_input in;
    build_model(&in);
    in.records = NULL;
    in.nrecords = 0;
    in.errors = NULL;
    in.nerrors = 0;
    char text[128];
    snprintf(text, sizeof text, "%s/err.txt", tmpdir);
    int tfd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    in.opt.text_fd = tfd;
    CHECK(mp_report_error_now(&in, &errs[0]) == 1, "error_now: 1 = written");
    CHECK(mp_report_error_now(&in, &errs[1]) == 1, "error_now: 1 = written");
    close(tfd);
    char *t = slurp(text);
    CHECK(has(t, "==4242== Invalid free() / delete / delete[] / realloc() (double_free"),
          "double free title:\n%s", t);
    CHECK(has(t, "==4242==    at 0x%lx: leaf (test_report.c:%u)\n", (unsigned long)stk[0] - 1,
              stk_line[0]),
          "stack");
    CHECK(has(t, "==4242==  Address 0x1000 is 0 bytes inside a block of size 16 free'd\n"
                 "==4242==    at 0x"),
          "freed address");
    CHECK(has(t, "==4242==  Block was alloc'd at\n==4242==    at 0x%lx: inl_inner", 
              (unsigned long)inl_pc - 1),
          "alloc stack");
    CHECK(has(t, "==4242== Mismatched free() / delete / delete [] (mismatched_free: allocated by "
                 "new[], released by free)"),
          "mismatch title");
    CHECK(has(t, "==4242==  Address 0x2000 is not stack'd, malloc'd or (recently) free'd"),
          "unknown block");
    free(t);
}

/* A PC in a range that three modules covered over time: a dlclose'd one (unload_gen 2), then
 * another dlclose'd one (unload_gen 3, the real file), then the one loaded now. */
static void test_unloaded_modules(void)
{
    static struct mp_module m[3];
    static uintptr_t pcs[1];
    static struct mp_stack st[5];
    static struct mp_loss_record r[4];
    const struct mp_module *exe = NULL;
    for (size_t i = 0; i < mods.n; i++)
        if (stk[0] - 1 >= mods.m[i].lo && stk[0] - 1 < mods.m[i].hi)
            exe = &mods.m[i];
    CHECK(exe != NULL, "no module for the test's own code");
    if (!exe)
        return;
    m[0] = (struct mp_module){.path = "/nonexistent/older.so", .base = exe->base, .lo = exe->lo,
                              .hi = exe->hi, .unload_gen = 2};
    m[1] = (struct mp_module){.path = exe->path, .base = exe->base, .lo = exe->lo, .hi = exe->hi,
                              .unload_gen = 3};
    m[2] = (struct mp_module){.path = "/nonexistent/new.so", .base = exe->base, .lo = exe->lo,
                              .hi = exe->hi, .unload_gen = 0};

    struct mp_symbolizer *s = mp_symbolize_open(m, 3);
    CHECK(mp_symbolize_pick_module(s, stk[0], 0) == 0, "gen 0 -> older.so");
    CHECK(mp_symbolize_pick_module(s, stk[0], 1) == 0, "gen 1 -> older.so");
    CHECK(mp_symbolize_pick_module(s, stk[0], 2) == 1, "gen 2 -> the real file (unloaded at 3)");
    CHECK(mp_symbolize_pick_module(s, stk[0], 3) == 2, "gen 3 -> loaded");
    CHECK(mp_symbolize_pick_module(s, stk[0], 9) == 2, "gen 9 -> loaded");
    CHECK(mp_symbolize_pick_module(s, 0x10, 0) == -1, "no module");
    mp_symbolize_close(s);

    pcs[0] = stk[0];
    st[1] = (struct mp_stack){pcs, 1, 1};
    st[2] = (struct mp_stack){pcs, 1, 2};
    st[3] = (struct mp_stack){pcs, 1, 5};
    for (int i = 0; i < 3; i++)
        r[i] = (struct mp_loss_record){MP_LEAK_DEFINITE, MP_ALLOC_MALLOC, 300 - 100 * (unsigned)i,
                                       1, 0, 0, (uint32_t)i + 1, 0};
    struct mp_report_input in;
    memset(&in, 0, sizeof in);
    in.abi = MP_REPORT_ABI;
    in.opt.err_fd = 2;
    in.pid = 1;
    in.stacks = st;
    in.nstacks = 4;
    in.modules = m;
    in.nmodules = 3;
    in.records = r;
    in.nrecords = 3;
    in.opt.text_fd = -1;
    char json[128], flat[128];
    snprintf(json, sizeof json, "%s/gen.json", tmpdir);
    snprintf(flat, sizeof flat, "%s/gen.txt", tmpdir);
    in.opt.json_path = json;
    CHECK(mp_report_write(&in) == 0, "write");
    CHECK(run_py(flatten_py, json, flat) == 0, "JSON parses");
    char *f = slurp(flat);
    CHECK(has(f, "frame 0 0 None - None 0 /nonexistent/older.so"), "gen 1:\n%s", f);
    CHECK(has(f, "frame 1 0 leaf test_report.c %u 0 %s", stk_line[0], exe->path), "gen 2:\n%s", f);
    CHECK(has(f, "frame 2 0 None - None 0 /nonexistent/new.so"), "gen 5:\n%s", f);
    free(f);
}

static void test_failures_and_empty(void)
{
    struct mp_report_input in;
    memset(&in, 0, sizeof in);
    in.abi = MP_REPORT_ABI + 1;
    in.opt.text_fd = -1;
    char errf[128], json[128], html[128], flat[128];
    snprintf(errf, sizeof errf, "%s/stderr.txt", tmpdir);
    snprintf(json, sizeof json, "%s/empty.json", tmpdir);
    snprintf(html, sizeof html, "%s/empty.html", tmpdir);
    snprintf(flat, sizeof flat, "%s/empty.txt", tmpdir);
    int saved = dup(2);
    int efd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(efd, 2);
    close(efd);

    CHECK(mp_report_write(&in) == -1, "ABI mismatch accepted");
    CHECK(mp_report_write(NULL) == -1, "NULL accepted");

    /* An empty model; the JSON path cannot be written, the HTML one still is. */
    in.abi = MP_REPORT_ABI;
    in.opt.err_fd = 2;
    in.opt.json_path = "/nonexistent-dir/x.json";
    in.opt.html_path = html;
    CHECK(mp_report_write(&in) == -1, "unwritable JSON path not reported");
    in.opt.json_path = json;
    in.opt.html_path = NULL;
    in.opt.sarif_path = "";
    CHECK(mp_report_write(&in) == 0, "empty model");

    dup2(saved, 2);
    close(saved);
    char *e = slurp(errf);
    CHECK(has(e, "memplumber: error: report library ABI mismatch"), "ABI message:\n%s", e);
    CHECK(has(e, "memplumber: error: cannot write JSON report to '/nonexistent-dir/x.json': No "
                 "such file or directory\n"),
          "write error message:\n%s", e);
    free(e);
    struct stat sb;
    CHECK(stat(html, &sb) == 0 && sb.st_size > 100, "HTML not written after the JSON failure");
    CHECK(run_py(flatten_py, json, flat) == 0, "empty JSON parses");
    char *f = slurp(flat);
    CHECK(has(f, "head memplumber-report 1 0 True") && has(f, "command []") && !strstr(f, "leak "),
          "empty report:\n%s", f);
    free(f);
}

int main(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mp_test_report_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    outer();
    inl_host();
    dl_iterate_phdr(phdr_cb, &mods);

    test_full_report();
    test_error_now();
    test_unloaded_modules();
    test_failures_and_empty();

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (getenv("MP_TEST_KEEP"))
        fprintf(stderr, "outputs kept in %s\n", tmpdir);
    else if (check_failed == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    else if (check_failed)
        fprintf(stderr, "outputs kept in %s\n", tmpdir);
    return CHECK_DONE();
}
