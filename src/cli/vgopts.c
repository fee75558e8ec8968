/* valgrind's options on memplumber's command line (see vgopts.h). One table lists every option
 * of valgrind 3.19's core and memcheck (`valgrind --help`; tests/integration/valgrind_options.sh
 * checks that none is missing) with what memplumber does with it:
 *   OWN      memplumber's option table (options.inc) takes it under this name or alias;
 *   MAP      mapped here onto memplumber options (mp_vgopt_apply's switch);
 *   NOEFFECT accepted, with one note on stderr when the value differs from valgrind's default;
 *   REFUSE   an error naming what to use instead.
 * The same table prints the manual's "valgrind's options" section (--help-valgrind). */
#include "cli/vgopts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kinds.h"

enum vg_how { VG_OWN, VG_MAP, VG_NOEFFECT, VG_REFUSE };

struct vg_opt {
    const char *name;   /* as valgrind spells it: "--leak-check", "-q" */
    const char *values; /* "" flag without value; "yes|no" a choice; "N" decimal; "HEX"; "TEXT" */
    const char *def;    /* valgrind's default value (NOEFFECT: no note when given it), or NULL */
    enum vg_how how;
    const char *what;   /* what memplumber does with it (the manual's table, the note) */
};

static const struct vg_opt vg_table[] = {
    /* ---- core: basic ---- */
    {"--tool", "memcheck|TEXT", "memcheck", VG_MAP,
     "memcheck is accepted; any other tool is refused (memplumber is memcheck's leak checker)"},
    {"-h", "", NULL, VG_OWN, "print memplumber's help"},
    {"--help", "", NULL, VG_OWN, "print memplumber's help"},
    {"--help-debug", "", NULL, VG_MAP, "print memplumber's help"},
    {"--help-dyn-options", "", NULL, VG_MAP, "print memplumber's help"},
    {"--version", "", NULL, VG_OWN, "print memplumber's version"},
    {"-q", "", NULL, VG_MAP,
     "verbosity=0: only loss records and heap errors, no preamble or summaries (as valgrind -q)"},
    {"--quiet", "", NULL, VG_MAP, "as -q"},
    {"-v", "", NULL, VG_MAP,
     "verbosity=2: also the suppressions used, scan timings and memplumber's memory"},
    {"--verbose", "", NULL, VG_MAP, "as -v"},
    {"--trace-children", "yes|no", "no", VG_OWN,
     "follow_exec (note: memplumber follows exec by default, valgrind does not; error_exitcode "
     "applies in exec'd programs only with --trace-children=yes)"},
    {"--trace-children-skip", "TEXT", NULL, VG_MAP,
     "trace_children_skip: programs (path or name, with * and ?) started by exec that are "
     "not observed, nor their children"},
    {"--trace-children-skip-by-arg", "TEXT", NULL, VG_MAP,
     "trace_children_skip_by_arg: as --trace-children-skip, matched against every argument"},
    {"--child-silent-after-fork", "yes|no", "no", VG_MAP,
     "child_silent_after_fork: a forked child that does not exec writes no report (its leak "
     "check still runs for --error-exitcode)"},
    {"--vgdb", "no|yes|full", "yes", VG_NOEFFECT, "has no effect (no gdbserver; use gdb directly, "
     "with --abort-on-error)"},
    {"--vgdb-error", "N", "999999999", VG_NOEFFECT, "has no effect (no gdbserver)"},
    {"--vgdb-stop-at", "TEXT", "none", VG_NOEFFECT, "has no effect (no gdbserver)"},
    {"--track-fds", "no|yes|all|bad", "no", VG_NOEFFECT, "has no effect (file descriptors are not tracked)"},
    {"--time-stamp", "yes|no", "no", VG_NOEFFECT, "has no effect (no time stamps in the report)"},
    {"--log-fd", "N", "2", VG_MAP, "log_fd: the text report goes to this file descriptor"},
    {"--log-file", "TEXT", NULL, VG_MAP,
     "log_file: the text report goes to this file; %p = pid, %q{VAR} = $VAR, %n = a sequence "
     "number (1, 2, ... for each %n of --log-file then --xml-file), %% = %, as in valgrind; any "
     "other %X and an empty name are refused"},
    {"--log-socket", "TEXT", NULL, VG_MAP,
     "log_fd: the text report goes to a TCP connection to IP[:PORT] (port 1500 by default) made "
     "before the program starts; to stderr when it cannot be made, as in valgrind"},
    {"--enable-debuginfod", "yes|no", "yes", VG_NOEFFECT, "has no effect (debug information is "
     "read from the files installed on the machine)"},
    /* ---- core: error reporting ---- */
    {"--xml", "yes|no", "no", VG_MAP,
     "xml: write valgrind's XML (protocol 4) to --xml-file or --xml-fd, as valgrind does"},
    {"--xml-fd", "N", NULL, VG_MAP, "xml_fd: where --xml=yes writes"},
    {"--xml-file", "TEXT", NULL, VG_MAP,
     "xml_file: where --xml=yes writes (%p, %q{VAR}, %n, %% as in --log-file)"},
    {"--xml-socket", "TEXT", NULL, VG_MAP,
     "xml_fd: the XML goes to a TCP connection to IP[:PORT] (port 1500 by default) made before "
     "the program starts, as IDEs ask (KDevelop, Qt Creator); to stderr when it cannot be made"},
    {"--xml-user-comment", "TEXT", NULL, VG_NOEFFECT, "has no effect (no <usercomment> is written)"},
    {"--demangle", "yes|no", "yes", VG_NOEFFECT, "has no effect (names are always demangled)"},
    {"--num-callers", "N", "12", VG_OWN, "depth: frames per stack, 1 to 500 (memplumber's default: 30)"},
    {"--error-limit", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (memplumber has no error limit: each distinct error is reported once and "
     "its repeats counted)"},
    {"--exit-on-first-error", "yes|no", "no", VG_OWN,
     "exit_on_first_error (needs --error-exitcode=N, as in valgrind)"},
    {"--error-exitcode", "INT", "0", VG_MAP,
     "error_exitcode; as in valgrind, 0 or a negative number turns it off and a number above "
     "255 is taken modulo 256 (the status the system keeps); one that is then 0 also turns it "
     "off, with a note (valgrind would exit with status 0 on errors)"},
    {"--error-markers", "TEXT", NULL, VG_NOEFFECT, "has no effect (no marker lines are written)"},
    {"--show-error-list", "yes|no", "no", VG_NOEFFECT,
     "has no effect (each error is printed when it happens; -v lists the suppressions used)"},
    {"-s", "", NULL, VG_NOEFFECT,
     "has no effect (each error is printed when it happens; -v lists the suppressions used)"},
    {"--keep-debuginfo", "yes|no", "no", VG_NOEFFECT,
     "has no effect (frames in unloaded libraries are always symbolized)"},
    {"--show-below-main", "yes|no", "no", VG_OWN, "show_below_main"},
    {"--fullpath-after", "TEXT", NULL, VG_NOEFFECT,
     "has no effect on the text report (file base names, as valgrind's default); JSON, XML and "
     "SARIF carry full paths"},
    {"--extra-debuginfo-path", "TEXT", NULL, VG_NOEFFECT,
     "has no effect (debug files are looked up by build-id under /usr/lib/debug)"},
    {"--debuginfo-server", "TEXT", NULL, VG_NOEFFECT, "has no effect"},
    {"--allow-mismatched-debuginfo", "yes|no", "no", VG_NOEFFECT, "has no effect"},
    {"--default-suppressions", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (memplumber has no built-in suppressions; glibc's and libstdc++'s buffers "
     "are freed at exit, see --run-libc-freeres)"},
    {"--suppressions", "TEXT", NULL, VG_MAP,
     "suppressions: may be given several times, as in valgrind; valgrind and LeakSanitizer "
     "formats"},
    {"--gen-suppressions", "no|yes|all", "no", VG_MAP,
     "gen_suppressions: yes and all both print a suppression after every record (never asks); with --xml=yes, also a suppression element in each error element, as in valgrind"},
    {"--input-fd", "N", "0", VG_NOEFFECT, "has no effect (memplumber never asks questions)"},
    {"--dsymutil", "yes|no", "yes", VG_NOEFFECT, "has no effect (macOS only)"},
    {"--max-stackframe", "N", "2000000", VG_NOEFFECT, "has no effect"},
    {"--main-stacksize", "N", NULL, VG_NOEFFECT, "has no effect (the program keeps its own stack)"},
    {"--max-threads", "N", "500", VG_NOEFFECT, "has no effect"},
    /* ---- core: malloc ---- */
    {"--alignment", "N", "16", VG_NOEFFECT, "has no effect (the program's own allocator aligns)"},
    {"--redzone-size", "N", "16", VG_NOEFFECT, "has no effect (no redzones)"},
    {"--xtree-memory", "none|allocs|full", "none", VG_NOEFFECT, "has no effect (no xtree files)"},
    {"--xtree-memory-file", "TEXT", NULL, VG_NOEFFECT, "has no effect (no xtree files)"},
    /* ---- core: uncommon ---- */
    {"--smc-check", "none|stack|all|all-non-file", "all-non-file", VG_NOEFFECT,
     "has no effect (the program runs natively: no code translation)"},
    {"--read-inline-info", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (inlined frames are always shown)"},
    {"--read-var-info", "yes|no", "no", VG_NOEFFECT, "has no effect"},
    {"--vgdb-poll", "N", "5000", VG_NOEFFECT, "has no effect (no gdbserver)"},
    {"--vgdb-shadow-registers", "yes|no", "no", VG_NOEFFECT, "has no effect (no gdbserver)"},
    {"--vgdb-prefix", "TEXT", NULL, VG_NOEFFECT, "has no effect (no gdbserver)"},
    {"--run-libc-freeres", "yes|no", "yes", VG_OWN, "freeres"},
    {"--run-cxx-freeres", "yes|no", "yes", VG_MAP,
     "freeres (one option for glibc and libstdc++; the last of the two given wins)"},
    {"--sim-hints", "TEXT", NULL, VG_NOEFFECT, "has no effect (no simulated CPU)"},
    {"--fair-sched", "no|yes|try", "no", VG_NOEFFECT,
     "has no effect (threads run in parallel, as without valgrind)"},
    {"--kernel-variant", "TEXT", NULL, VG_NOEFFECT, "has no effect"},
    {"--merge-recursive-frames", "N", "0", VG_NOEFFECT, "has no effect"},
    {"--num-transtab-sectors", "N", NULL, VG_NOEFFECT, "has no effect (no code translation)"},
    {"--avg-transtab-entry-size", "N", NULL, VG_NOEFFECT, "has no effect (no code translation)"},
    {"--aspace-minaddr", "TEXT", NULL, VG_NOEFFECT, "has no effect"},
    {"--valgrind-stacksize", "N", NULL, VG_NOEFFECT, "has no effect"},
    {"--show-emwarns", "yes|no", "no", VG_NOEFFECT, "has no effect (no emulation)"},
    {"--require-text-symbol", "TEXT", NULL, VG_NOEFFECT, "has no effect"},
    {"--soname-synonyms", "TEXT", NULL, VG_NOEFFECT,
     "has no effect (malloc is intercepted wherever it is defined: static allocators are not "
     "seen)"},
    {"--sigill-diagnostics", "yes|no", "yes", VG_NOEFFECT, "has no effect (no emulation)"},
    {"--unw-stack-scan-thresh", "N", "0", VG_NOEFFECT, "has no effect (stacks are unwound with "
     "DWARF call-frame information)"},
    {"--unw-stack-scan-frames", "N", "5", VG_NOEFFECT, "has no effect"},
    {"--resync-filter", "no|yes|verbose", "yes", VG_NOEFFECT, "has no effect (macOS only)"},
    {"--progress-interval", "N", "0", VG_NOEFFECT, "has no effect"},
    /* ---- memcheck ---- */
    {"--leak-check", "no|summary|yes|full", "summary", VG_OWN,
     "leak_check (yes = full; memplumber's default prints full records, but loss records "
     "count as errors only under an explicit full, as valgrind's default is summary)"},
    {"--leak-resolution", "low|med|high", "high", VG_NOEFFECT,
     "has no effect (loss records are always merged by the whole stack, as with high)"},
    {"--show-leak-kinds", "TEXT", "definite,possible", VG_OWN,
     "show_leak_kinds (memplumber's default adds indirect)"},
    {"--errors-for-leak-kinds", "TEXT", "definite,possible", VG_OWN,
     "errors_for_leak_kinds: the loss records counted as errors (ERROR SUMMARY, --error-exitcode)"},
    {"--leak-check-heuristics", "TEXT", "all", VG_OWN,
     "heuristics: the set of stdstring, length64, newarray, multipleinheritance applied, or all, "
     "or none; blocks reachable through each are counted in the LEAK SUMMARY as valgrind's"},
    {"--show-reachable", "yes|no", "no", VG_OWN,
     "show_reachable: yes adds reachable to the kinds shown (with the default kinds: all, as "
     "valgrind's yes)"},
    {"--show-possibly-lost", "yes|no", "yes", VG_MAP, "adds or removes possible in show_leak_kinds"},
    {"--xtree-leak", "yes|no", "no", VG_NOEFFECT, "has no effect (no xtree files; see --json)"},
    {"--xtree-leak-file", "TEXT", NULL, VG_NOEFFECT, "has no effect (no xtree files)"},
    {"--undef-value-errors", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (memplumber finds leaks and heap misuse, not uses of undefined values)"},
    {"--track-origins", "yes|no", "no", VG_NOEFFECT,
     "has no effect (memplumber does not track undefined values)"},
    {"--partial-loads-ok", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (memory accesses are not checked)"},
    {"--expensive-definedness-checks", "no|auto|yes", "auto", VG_NOEFFECT,
     "has no effect (memory accesses are not checked)"},
    {"--keep-stacktraces", "alloc|alloc-and-free|alloc-then-free", "alloc-and-free", VG_OWN,
     "keep_stacktraces (free and none are refused: the allocation stack is always kept)"},
    {"--freelist-vol", "N", "20000000", VG_MAP,
     "quarantine_size: memory for the records of recent frees (to name double frees; by count of frees, not by their bytes)"},
    {"--freelist-big-blocks", "N", "1000000", VG_NOEFFECT, "has no effect"},
    {"--workaround-gcc296-bugs", "yes|no", "no", VG_NOEFFECT, "has no effect"},
    {"--ignore-ranges", "TEXT", NULL, VG_NOEFFECT, "has no effect (memory accesses are not checked)"},
    {"--ignore-range-below-sp", "TEXT", NULL, VG_NOEFFECT,
     "has no effect (memory accesses are not checked)"},
    {"--malloc-fill", "HEX", NULL, VG_MAP, "malloc_fill: new blocks are filled with this byte"},
    {"--free-fill", "HEX", NULL, VG_MAP, "free_fill: freed blocks are filled with this byte"},
    {"--show-mismatched-frees", "yes|no", "yes", VG_NOEFFECT,
     "has no effect (mismatched frees are always reported)"},
    {"--show-realloc-size-zero", "yes|no", "yes", VG_NOEFFECT, "has no effect"},
    /* ---- debugging options (valgrind --help-debug) ---- */
    {"--command-line-only", "yes|no", "no", VG_MAP,
     "yes: ~/.valgrindrc, $VALGRIND_OPTS and ./.valgrindrc are not read, as in valgrind (only "
     "when given on the command line)"},
    {"-d", "", NULL, VG_NOEFFECT, "has no effect (valgrind's own debugging output)"},
    {"--stats", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own statistics)"},
    {"--sanity-level", "N", "1", VG_NOEFFECT, "has no effect (valgrind's own sanity checks)"},
    {"--trace-flags", "TEXT", "00000000", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--profile-flags", "TEXT", "00000000", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--profile-interval", "N", "0", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--trace-notbelow", "N", "999999999", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--trace-notabove", "N", "0", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--trace-syscalls", "yes|no", "no", VG_NOEFFECT, "has no effect (use strace)"},
    {"--trace-signals", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--trace-symtab", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--trace-symtab-patt", "TEXT", NULL, VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--trace-cfi", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--debug-dump", "syms|line|frames", NULL, VG_NOEFFECT, "has no effect (use readelf)"},
    {"--trace-redir", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--trace-sched", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--profile-heap", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own memory)"},
    {"--core-redzone-size", "N", NULL, VG_NOEFFECT, "has no effect (no redzones)"},
    {"--wait-for-gdb", "yes|no", "no", VG_NOEFFECT,
     "has no effect (attach gdb to the program's pid, or run it under gdb)"},
    {"--sym-offsets", "yes|no", "no", VG_NOEFFECT, "has no effect (frames show file and line)"},
    {"--vex-iropt-verbosity", "N", "0", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--vex-iropt-level", "N", "2", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--vex-iropt-unroll-thresh", "N", "120", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--vex-guest-max-insns", "N", "50", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--vex-guest-chase", "yes|no", "yes", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--vex-iropt-register-updates",
     "sp-at-mem-access|unwindregs-at-mem-access|allregs-at-mem-access|allregs-at-each-insn",
     "unwindregs-at-mem-access", VG_NOEFFECT,
     "has no effect (the program runs natively: its registers are always precise)"},
    {"--px-default",
     "sp-at-mem-access|unwindregs-at-mem-access|allregs-at-mem-access|allregs-at-each-insn",
     "unwindregs-at-mem-access", VG_NOEFFECT,
     "has no effect (the program runs natively: its registers are always precise)"},
    {"--px-file-backed",
     "sp-at-mem-access|unwindregs-at-mem-access|allregs-at-mem-access|allregs-at-each-insn",
     "unwindregs-at-mem-access", VG_NOEFFECT,
     "has no effect (the program runs natively: its registers are always precise)"},
    {"--vex-regalloc-version", "2|3", "3", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--dump-error", "N", "0", VG_NOEFFECT, "has no effect (no code translation)"},
    {"--trace-malloc", "yes|no", "no", VG_NOEFFECT, "has no effect (valgrind's own tracing)"},
    {"--xtree-compress-strings", "yes|no", "yes", VG_NOEFFECT, "has no effect (no xtree files)"},
};

#define NVG (sizeof vg_table / sizeof vg_table[0])

/* ---- helpers ---- */

static const struct vg_opt *lookup(const char *arg, size_t nlen)
{
    for (size_t i = 0; i < NVG; i++)
        if (strlen(vg_table[i].name) == nlen && !strncmp(vg_table[i].name, arg, nlen))
            return &vg_table[i];
    return NULL;
}

static int is_hex(const char *v)
{
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
        v += 2;
    if (!*v)
        return 0;
    for (; *v; v++)
        if (!strchr("0123456789abcdefABCDEF", *v))
            return 0;
    return 1;
}

static int in_choice(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    for (const char *p = choices; *p;) {
        size_t n = strcspn(p, "|");
        if (n == vl && !strncmp(p, v, n))
            return 1;
        if (n == 4 && !strncmp(p, "TEXT", 4))
            return 1;
        p += n + (p[n] == '|');
    }
    return 0;
}

/* Check v against o->values; exits with valgrind-style guidance on a bad value. */
static void check_value(const struct vg_opt *o, const char *v)
{
    const char *want = o->values;
    if (!strcmp(want, "TEXT"))
        return;
    if (!strcmp(want, "N") && o->how == VG_NOEFFECT) {
        /* read as valgrind reads most of its numbers (strtoll, the whole value): an optional
         * sign and decimal digits, an empty value being 0 (--max-stackframe=-1 and
         * --main-stacksize= pass there); this build does nothing with them anyway */
        const char *d = v + (v[0] == '-' || v[0] == '+');
        errno = 0;
        if ((!*d && *v) || strspn(d, "0123456789") != strlen(d) || (*d && (strtoll(v, NULL, 10), errno)))
            mp_args_die("option '%s=%s': the value is not a decimal number", o->name, v);
        return;
    }
    if (!strcmp(want, "N")) {
        if (!*v || strspn(v, "0123456789") != strlen(v))
            mp_args_die("option '%s=%s': the value is not a non-negative decimal number", o->name, v);
        return;
    }
    if (!strcmp(want, "INT")) {
        /* valgrind's integer options: an optional sign and decimal digits, within an int. As
         * valgrind reads them (strtoll), an empty value is 0: a script's --error-exitcode=$CODE
         * with CODE empty turns the option off; a sign alone is refused. */
        const char *d = v + (v[0] == '-' || v[0] == '+');
        errno = 0;
        long long n = *d && strspn(d, "0123456789") == strlen(d) ? strtoll(v, NULL, 10) : 0;
        if ((!*d && *v) || strspn(d, "0123456789") != strlen(d))
            mp_args_die("option '%s=%s': the value is not a decimal number", o->name, v);
        if (errno || n > 2147483647LL || n < -2147483648LL)
            mp_args_die("option '%s=%s': the value is out of range (valgrind takes a 32-bit "
                        "number; use 1 to 255)", o->name, v);
        return;
    }
    if (!strcmp(want, "HEX")) {
        /* none: memplumber's own value for the fill options (no fill) */
        if (!is_hex(v) && strcmp(v, "none"))
            mp_args_die("option '%s=%s': the value is not a hexadecimal number (e.g. 0x55)", o->name, v);
        return;
    }
    if (!in_choice(want, v))
        mp_args_die("option '%s=%s': the value is not valid; use one of %s", o->name, v, want);
}

static void set(struct mp_args *a, const char *name, const char *val, const char *given)
{
    const struct mp_option_desc *d = mp_options_find(name, strlen(name), 0);
    char err[2048];
    if (!d)
        mp_args_die("%s: this build has no option '%s'", given, name);
    if (mp_options_set(&a->opts, name, strlen(name), val, strlen(val), err, sizeof err))
        mp_args_die("%s (given as %s)", err, given);
    if (d->type == MP_OT_STR && strchr(val, ':'))
        mp_args_die("%s: '%s' contains ':', which separates the items of MEMPLUMBER_OPTIONS, so "
                    "it cannot be passed to the program",
                    given, val);
    a->set[d - mp_option_table] = 1;
}

/* The "has no effect" notes wait for the end of the command line (mp_vgopt_finish): under -q
 * (verbosity=0, wherever it comes on the line) they are not printed, as valgrind -q prints
 * nothing for a clean run: harnesses compare a test's stderr, or require it empty, under
 * `valgrind -q --track-origins=yes ...`. */
static char *notes;
static size_t notes_len;

static void note(const struct vg_opt *o, const char *arg)
{
    size_t need = strlen(arg) + strlen(o->what) + 32;
    char *n = realloc(notes, notes_len + need);
    if (!n)
        mp_args_die("out of memory");
    notes = n;
    notes_len += (size_t)snprintf(notes + notes_len, need, "memplumber: note: %s %s\n", arg,
                                  o->what);
}

/* valgrind's expansion of a --log-file/--xml-file name: %q{VAR} = $VAR, %% = '%', %n = *seq (then
 * incremented), %p kept for the library (which replaces it in each process); any other %X is
 * refused, as valgrind does. */
char *mp_vgopt_expand_path(const char *opt, const char *path, unsigned *seq)
{
    size_t cap = strlen(path) + 1, len = 0;
    char *out = malloc(cap);
    char num[16];
    if (!out)
        mp_args_die("out of memory");
    if (!path[0])
        mp_args_die("option '%s=': no file name given (as valgrind, memplumber needs one; leave "
                    "the option out to write to stderr)", opt);
    for (const char *s = path; *s;) {
        const char *add = s;
        size_t n = 1;
        if (s[0] != '%') {
            s++;
        } else if (s[1] == 'p') {
            n = 2;
            s += 2;
        } else if (s[1] == '%') {
            if (s[2] == 'p')
                mp_args_die("option '%s=%s': '%%%%p' would name a file with a literal '%%p', which "
                            "memplumber cannot write: its library replaces every %%p by the pid",
                            opt, path);
            s += 2;
        } else if (s[1] == 'n') {
            snprintf(num, sizeof num, "%u", (*seq)++);
            add = num;
            n = strlen(num);
            s += 2;
        } else if (s[1] == 'q' && s[2] == '{') {
            const char *end = strchr(s + 3, '}');
            if (!end)
                mp_args_die("option '%s=%s': %%q{ has no closing '}'", opt, path);
            char var[256];
            size_t vl = (size_t)(end - (s + 3));
            if (vl == 0 || vl >= sizeof var)
                mp_args_die("option '%s=%s': %%q{} needs an environment variable's name", opt, path);
            memcpy(var, s + 3, vl);
            var[vl] = 0;
            add = getenv(var);
            if (!add)
                mp_args_die("option '%s=%s': environment variable %s (named by %%q{%s}) is not set",
                            opt, path, var, var);
            n = strlen(add);
            s = end + 1;
        } else if (s[1] == 'q') {
            mp_args_die("option '%s=%s': expected '{' after %%q (%%q{VAR} is the value of the "
                        "environment variable VAR)", opt, path);
        } else if (!s[1]) {
            mp_args_die("option '%s=%s': the name ends with a lone '%%'; write %%%% for a '%%'",
                        opt, path);
        } else {
            mp_args_die("option '%s=%s': '%%%.1s' is not valid after '%%'; use %%p (the pid), "
                        "%%n (a sequence number), %%q{VAR} (an environment variable) or %%%% (a "
                        "'%%'), as in valgrind", opt, path, s[1] ? s + 1 : "");
        }
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            out = realloc(out, cap);
            if (!out)
                mp_args_die("out of memory");
        }
        memcpy(out + len, add, n);
        len += n;
    }
    out[len] = 0;
    return out;
}

/* ---- applying ---- */

static int xml_on, xml_dest_given, xml_sock = -1;
static char xml_given[64];
/* --log-file and --xml-file as given, and as first expanded: %n is numbered once the whole
 * command line is known (valgrind numbers the log file's %n first, then the XML file's). */
static char *log_raw, *log_set, *xml_raw, *xml_set;

static void keep(char **raw, char **set_as, const char *v, const char *expanded)
{
    free(*raw);
    free(*set_as);
    *raw = v ? strdup(v) : NULL;
    *set_as = expanded ? strdup(expanded) : NULL;
    if ((v && !*raw) || (expanded && !*set_as))
        mp_args_die("out of memory");
}

/* --log-socket / --xml-socket: IPv4-ADDRESS[:PORT], as valgrind takes them. The connection is
 * made here, before the program starts, and handed to it as a descriptor placed high (where a
 * program's lowest-first numbers do not reach); the preload library writes to it like any
 * --log-fd/--xml-fd. When it cannot be made, valgrind writes to stderr instead: so does this
 * (returns 2), with one line saying why. A malformed address is an error. */
static int connect_socket(const char *arg, const char *v)
{
    char host[64];
    unsigned long port = 1500;
    const char *colon = strchr(v, ':');
    size_t hl = colon ? (size_t)(colon - v) : strlen(v);
    if (colon) {
        char *end;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
            mp_args_die("option '%s': '%s' is not a port number (1-65535); the form is "
                        "IPv4-ADDRESS[:PORT], e.g. 127.0.0.1:1500", arg, colon + 1);
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (hl == 0 || hl >= sizeof host)
        mp_args_die("option '%s': the form is IPv4-ADDRESS[:PORT], e.g. 127.0.0.1:1500", arg);
    memcpy(host, v, hl);
    host[hl] = 0;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        mp_args_die("option '%s': '%s' is not an IPv4 address (valgrind takes a numeric address, "
                    "e.g. 127.0.0.1:1500)", arg, host);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        int high = fcntl(fd, F_DUPFD, 100);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
        return fd; /* inherited by the program (no close-on-exec) */
    }
    const int e = errno;
    if (fd >= 0)
        close(fd);
    fflush(stdout);
    fprintf(stderr, "memplumber: warning: %s: cannot connect to %s:%lu (%s); writing to stderr "
            "instead, as valgrind does\n", arg, host, port, strerror(e));
    return 2;
}

static void set_kinds_bit(struct mp_args *a, unsigned kind, int on)
{
    char buf[128];
    unsigned v = a->opts.show_leak_kinds;
    v = on ? v | (1u << kind) : v & ~(1u << kind);
    static const char *const names[] = {"definite", "indirect", "possible", "reachable"};
    size_t at = 0;
    buf[0] = 0;
    for (unsigned k = 0; k < 4; k++)
        if (v & (1u << k))
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", at ? "," : "", names[k]);
    set(a, "show_leak_kinds", at ? buf : "none", on ? "--show-possibly-lost=yes" : "--show-possibly-lost=no");
}

int mp_vgopt_apply(struct mp_args *a, const char *arg)
{
    const char *eqs = strchr(arg, '=');
    size_t nlen = eqs ? (size_t)(eqs - arg) : strlen(arg);
    const struct vg_opt *o = lookup(arg, nlen);
    if (!o || o->how == VG_OWN)
        return 0;
    const char *v = eqs ? eqs + 1 : NULL;
    if (o->values[0] && !v) {
        /* valgrind's options always take their value after '=' */
        if (mp_options_find(arg + 2, nlen - 2, 1))
            return 0; /* memplumber's own option of that name: its rules */
        mp_args_die("option '%s' needs a value: %s=%s (valgrind's options take their value after '=')",
                    arg, arg, o->values);
    }
    if (!o->values[0] && v)
        mp_args_die("option '%.*s' takes no value", (int)nlen, arg);
    if (v)
        check_value(o, v);

    switch (o->how) {
    case VG_REFUSE:
        mp_args_die("option '%s' is not supported: %s", arg, o->what + strlen("refused: "));
    case VG_NOEFFECT:
        if (!o->def || !v || strcmp(v, o->def))
            note(o, arg);
        return 1;
    default:
        break;
    }

    const char *n = o->name;
    if (!strcmp(n, "--tool")) {
        if (strcmp(v, "memcheck"))
            mp_args_die("option '%s': memplumber replaces valgrind's memcheck only; the tool '%s' "
                        "is not available (use --tool=memcheck, or leave the option out)",
                        arg, v);
    } else if (!strcmp(n, "--help-debug") || !strcmp(n, "--help-dyn-options")) {
        return 0; /* the caller prints the help for -h/--help: let it fail over */
    } else if (!strcmp(n, "-q") || !strcmp(n, "--quiet")) {
        set(a, "verbosity", "0", arg);
    } else if (!strcmp(n, "-v") || !strcmp(n, "--verbose")) {
        set(a, "verbosity", "2", arg);
    } else if (!strcmp(n, "--trace-children-skip")) {
        set(a, "trace_children_skip", v, arg);
    } else if (!strcmp(n, "--trace-children-skip-by-arg")) {
        set(a, "trace_children_skip_by_arg", v, arg);
    } else if (!strcmp(n, "--child-silent-after-fork")) {
        set(a, "child_silent_after_fork", v, arg);
    } else if (!strcmp(n, "--log-socket")) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", connect_socket(arg, v));
        set(a, "log_fd", fd, arg);
        set(a, "log_file", "", arg);
    } else if (!strcmp(n, "--xml-socket")) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", connect_socket(arg, v));
        set(a, "xml_fd", fd, arg);
        set(a, "xml_file", "", arg);
        xml_sock = atoi(fd);
        xml_dest_given = 1;
        snprintf(xml_given, sizeof xml_given, "%.60s", arg);
    } else if (!strcmp(n, "--log-fd")) {
        set(a, "log_fd", v, arg);
        set(a, "log_file", "", arg); /* the last destination given wins, as in valgrind */
        keep(&log_raw, &log_set, NULL, NULL);
    } else if (!strcmp(n, "--log-file")) {
        unsigned seq = 1;
        char *p = mp_vgopt_expand_path(n, v, &seq);
        set(a, "log_file", p, arg);
        set(a, "log_fd", "2", arg);
        keep(&log_raw, &log_set, v, p);
        free(p);
    } else if (!strcmp(n, "--xml")) {
        xml_on = !strcmp(v, "yes");
    } else if (!strcmp(n, "--xml-fd")) {
        set(a, "xml_fd", v, arg);
        set(a, "xml_file", "", arg);
        keep(&xml_raw, &xml_set, NULL, NULL);
        xml_dest_given = 1;
        snprintf(xml_given, sizeof xml_given, "%.60s", arg);
    } else if (!strcmp(n, "--xml-file")) {
        unsigned seq = 1;
        char *p = mp_vgopt_expand_path(n, v, &seq);
        set(a, "xml_file", p, arg);
        keep(&xml_raw, &xml_set, v, p);
        free(p);
        set(a, "xml_fd", "0", arg);
        xml_dest_given = 1;
        snprintf(xml_given, sizeof xml_given, "%.60s", arg);
    } else if (!strcmp(n, "--suppressions")) {
        if (!v[0])
            mp_args_die("option '--suppressions=': no file name given (valgrind refuses it too); "
                        "give a suppression file, or leave the option out");
        /* valgrind reads the whole value as one file; memplumber's list separates files with
         * ','. A file whose name has a ',' would be split into names that do not exist ("cannot
         * read the suppression file 'odd'"), so say what is wrong. */
        struct stat st;
        if (strchr(v, ',') && !stat(v, &st))
            mp_args_die("option '%s': memplumber separates suppression files with ',', so it "
                        "cannot read '%s' as one file (valgrind does); link or copy it to a path "
                        "without ','",
                        arg, v);
        /* Repeated: one more file, as in valgrind. */
        const struct mp_option_desc *d = mp_options_find("suppressions", 12, 0);
        int had = a->set[d - mp_option_table] && a->opts.suppressions[0];
        size_t need = strlen(a->opts.suppressions) + strlen(v) + 2;
        char *list = malloc(need);
        if (!list)
            mp_args_die("out of memory");
        snprintf(list, need, "%s%s%s", had ? a->opts.suppressions : "", had ? "," : "", v);
        set(a, "suppressions", list, arg);
        free(list);
    } else if (!strcmp(n, "--error-exitcode")) {
        long long code = strtoll(v, NULL, 10);
        char buf[16];
        if (code > 255 && code % 256 == 0) {
            fflush(stdout);
            fprintf(stderr, "memplumber: note: %s is 0 modulo 256, the exit status the system "
                    "keeps: valgrind would exit with status 0 when it finds errors; memplumber "
                    "turns --error-exitcode off (the program's own status is kept)\n", arg);
        }
        snprintf(buf, sizeof buf, "%lld", code <= 0 ? 0 : code % 256);
        set(a, "error_exitcode", buf, arg);
    } else if (!strcmp(n, "--command-line-only")) {
        /* read by mp_args_parse before anything else (mp_vgopt_command_line_only) */
    } else if (!strcmp(n, "--gen-suppressions")) {
        set(a, "gen_suppressions", strcmp(v, "no") ? "yes" : "no", arg);
    } else if (!strcmp(n, "--run-cxx-freeres")) {
        set(a, "freeres", v, arg);
    } else if (!strcmp(n, "--show-possibly-lost")) {
        set_kinds_bit(a, MP_LEAK_POSSIBLE, !strcmp(v, "yes"));
    } else if (!strcmp(n, "--freelist-vol")) {
        set(a, "quarantine_size", v, arg);
    } else if (!strcmp(n, "--malloc-fill") || !strcmp(n, "--free-fill")) {
        const char *target = n[2] == 'm' ? "malloc_fill" : "free_fill";
        if (!mp_options_find(target, strlen(target), 0)) {
            fflush(stdout);
            fprintf(stderr, "memplumber: note: %s has no effect in this version (no %s option)\n",
                    arg, target);
            return 1;
        }
        /* valgrind reads the byte as hexadecimal with or without 0x (--malloc-fill=55 is 0x55);
         * memplumber's own option reads digits alone as decimal, so say 0x. */
        char hex[64];
        int bare = strcmp(v, "none") && !(v[0] == '0' && (v[1] == 'x' || v[1] == 'X'));
        snprintf(hex, sizeof hex, "%s%.40s", bare ? "0x" : "", v);
        set(a, target, hex, arg);
    }
    return 1;
}

/* Number the %n of the final --log-file, then of the final --xml-file, from 1, as valgrind
 * does; only where the option still holds what --log-file/--xml-file set (a later
 * destination replaces it). */
static void renumber(struct mp_args *a, const char *opt, const char *field, const char *cur,
                     const char *raw, const char *set_as, unsigned *seq)
{
    if (!raw || !set_as || strcmp(cur, set_as) || !strstr(raw, "%n"))
        return;
    char *p = mp_vgopt_expand_path(opt, raw, seq);
    char given[64];
    snprintf(given, sizeof given, "%s=%.40s", opt, raw);
    set(a, field, p, given);
    free(p);
}

void mp_vgopt_finish(struct mp_args *a)
{
    if (notes && a->opts.verbosity > 0) {
        fflush(stdout);
        fputs(notes, stderr);
    }
    free(notes);
    notes = NULL;
    notes_len = 0;
    unsigned seq = 1;
    renumber(a, "--log-file", "log_file", a->opts.log_file, log_raw, log_set, &seq);
    if (xml_on)
        renumber(a, "--xml-file", "xml_file", a->opts.xml_file, xml_raw, xml_set, &seq);
    keep(&log_raw, &log_set, NULL, NULL);
    keep(&xml_raw, &xml_set, NULL, NULL);
    if (xml_on && !xml_dest_given)
        mp_args_die("--xml=yes needs a destination: add --xml-file=FILE or --xml-fd=N (as "
                    "valgrind requires)");
    if (!xml_on && xml_dest_given) {
        fflush(stdout);
        if (a->opts.verbosity > 0) /* as the notes above */
            fprintf(stderr, "memplumber: note: %s has no effect without --xml=yes (as in valgrind)\n",
                    xml_given);
        set(a, "xml_file", "", "--xml=no");
        set(a, "xml_fd", "0", "--xml=no");
        if (xml_sock > 2)
            close(xml_sock); /* not handed to the program for nothing */
    }
    if (a->opts.exit_on_first_error && !a->opts.error_exitcode) {
        /* valgrind says "Bad option" but runs, and stops at the first error with status 0 */
        fflush(stdout);
        fputs("memplumber: note: --exit-on-first-error=yes needs --error-exitcode=N (as in "
              "valgrind): without it the program stops at its first error with status 0\n",
              stderr);
    }
}

void mp_vgopt_print_table(FILE *f)
{
    static const char *const how[] = {"memplumber option", "mapped", "no effect", "refused"};
    fputs("| valgrind option | values | memplumber | what memplumber does |\n"
          "|---|---|---|---|\n",
          f);
    for (size_t i = 0; i < NVG; i++) {
        const struct vg_opt *o = &vg_table[i];
        fprintf(f, "| `%s` | ", o->name);
        for (const char *c = o->values; *c; c++)
            fputs(*c == '|' ? "\\|" : (char[2]){*c, 0}, f);
        fprintf(f, " | %s | %s |\n", how[o->how], o->what);
    }
}

/* The same table for the man page: a tagged paragraph per option. */
void mp_vgopt_print_man(FILE *f)
{
    static const char *const how[] = {"a memplumber option", "mapped", "no effect", "refused"};
    for (size_t i = 0; i < NVG; i++) {
        const struct vg_opt *o = &vg_table[i];
        fputs(".TP\n.B ", f);
        mp_roff_text(f, o->name);
        /* A long list of choices does not fit a tag line: named VALUE there, listed below. */
        int long_list = strlen(o->values) > 40;
        if (o->values[0]) {
            fputs("=", f);
            mp_roff_text(f, long_list ? "VALUE" : o->values);
        }
        fprintf(f, "\n(%s) ", how[o->how]);
        if (long_list) {
            fputs("VALUE is one of: ", f);
            for (const char *v = o->values; *v;) {
                size_t n = strcspn(v, "|");
                char part[128];
                snprintf(part, sizeof part, "%.*s%s", (int)n, v, v[n] ? ", " : "; ");
                mp_roff_text(f, part);
                v += n + (v[n] == '|');
            }
        }
        mp_roff_text(f, o->what);
        fputc('\n', f);
    }
}

int mp_vgopt_command_line_only(int argc, char **argv)
{
    int only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--") || argv[i][0] != '-')
            break;
        if (!strcmp(argv[i], "--command-line-only=yes"))
            only = 1;
        else if (!strcmp(argv[i], "--command-line-only=no"))
            only = 0;
    }
    return only;
}

int mp_vgopt_is_valgrind_option(const char *arg)
{
    return lookup(arg, strcspn(arg, "=")) != NULL;
}
