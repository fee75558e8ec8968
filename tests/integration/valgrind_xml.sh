#!/bin/bash
# valgrind's XML (protocol 4) from --xml=yes --xml-file / --xml-fd, read the way its consumers
# read it (a Python ElementTree reader shaped like ValgrindCI's and Jenkins' valgrind plugin:
# protocolversion, pid, error/kind, what or xwhat/text, leakedbytes/leakedblocks, stack frames
# with fn/dir/file/line, errorcounts), well-formed for xmllint, and, when valgrind is installed,
# the same errors as valgrind's XML for the same program: kind, text, leaked bytes and blocks, and
# the innermost frame in the program's own file. Exit 0 = pass, 1 = fail, 77 = skipped.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
M=$ROOT/build/memplumber
[ -x "$M" ] || { echo "skip: $M is missing (make)"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no
fail=0
cat >"$T/prog.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
struct node { struct node *a, *b; };
void *keep;
int main(void)
{
    struct node *n = malloc(sizeof *n);
    n->a = malloc(24);
    n->b = malloc(24);
    n = NULL;
    char *s = strdup("a <tag> & more");
    s = NULL;
    keep = malloc(100);
    char *p = malloc(8);
    free(p);
    free(p);
    return 0;
}
EOF
gcc -g -O0 -o "$T/prog" "$T/prog.c" || { echo "skip: cannot compile"; exit 77; }
cat >"$T/read.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'valgrindoutput', root.tag
assert root.findtext('protocolversion') == '4'
assert root.findtext('protocoltool') == 'memcheck'
assert int(root.findtext('pid')) > 0
counts = {p.findtext('unique'): int(p.findtext('count')) for p in root.iter('pair') if p.find('unique') is not None}
out = []
for e in root.findall('error'):
    kind = e.findtext('kind')
    text = e.findtext('what') or e.findtext('xwhat/text')
    own = None
    for f in e.find('stack').findall('frame'):
        if f.findtext('file') == 'prog.c':
            own = '%s %s:%s' % (f.findtext('fn'), f.findtext('file'), f.findtext('line'))
            assert f.findtext('dir'), 'frame without dir'
            assert f.findtext('ip').startswith('0x')
            break
    lb = e.findtext('xwhat/leakedbytes') or '-'
    lk = e.findtext('xwhat/leakedblocks') or '-'
    if not kind.startswith('Leak_'):
        assert e.findtext('unique') in counts, 'error without errorcounts pair'
    out.append('%s|%s|%s|%s|%s' % (kind, text, lb, lk, own))
print('\n'.join(sorted(out)))
EOF
"$M" --xml=yes --xml-file="$T/mp.xml" --leak-check=full --show-leak-kinds=all "$T/prog" 2>/dev/null
"$M" --xml=yes --xml-fd=5 --leak-check=full --show-leak-kinds=all "$T/prog" 5>"$T/fd.xml" 2>/dev/null
for f in mp.xml fd.xml; do
    if command -v xmllint >/dev/null; then
        xmllint --noout "$T/$f" || { echo "FAIL: $f is not well-formed XML"; fail=1; }
    fi
    python3 "$T/read.py" "$T/$f" >"$T/$f.txt" || { echo "FAIL: the reader cannot read $f"; fail=1; }
done
grep -q 'Leak_DefinitelyLost|64 (16 direct, 48 indirect) bytes in 1 blocks are definitely lost in loss record 4 of 5|64|1|main prog.c:7' "$T/mp.xml.txt" ||
    { echo "FAIL: no 64 (16 direct, 48 indirect) record"; cat "$T/mp.xml.txt"; fail=1; }
cmp -s "$T/mp.xml.txt" "$T/fd.xml.txt" || { echo "FAIL: --xml-fd and --xml-file differ"; fail=1; }
if command -v valgrind >/dev/null; then
    valgrind --xml=yes --xml-file="$T/vg.xml" --leak-check=full --show-leak-kinds=all "$T/prog" 2>/dev/null
    python3 "$T/read.py" "$T/vg.xml" >"$T/vg.txt"
    # Records of equal size are numbered in an order of their own by each tool.
    norm() { sed -E 's/in loss record [0-9]+ of/in loss record N of/' "$1" | sort; }
    if ! diff <(norm "$T/vg.txt") <(norm "$T/mp.xml.txt") >"$T/diff"; then
        echo "FAIL: memplumber's XML reads differently from valgrind's"; sed 's/^/      /' "$T/diff"; fail=1
    fi
else
    echo "note: valgrind not installed: not compared with valgrind's XML"
fi
# Threads and suppressions: each heap error's <tid> is the thread that made it, numbered as
# valgrind numbers threads (1 main; a new thread takes the lowest number no live thread holds:
# the first thread has exited, so the second gets 2 again and the third 3); leaks are reported
# by thread 1; <suppcounts> lists every suppression used with its count (not the unused one).
cat >"$T/thr.c" <<'EOF'
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static int gate[2];
static void *noop(void *a) { return a; }
static void *waiter(void *a) { char c; if (read(gate[0], &c, 1) < 0) return NULL; return a; }
__attribute__((noinline)) static void bad_in_thread(void) { char *p = malloc(8); free(p); free(p); }
__attribute__((noinline)) static void leak_in_thread(void) { void *q = malloc(33); q = 0; (void)q; }
static void *worker(void *a) { bad_in_thread(); leak_in_thread(); return a; }
__attribute__((noinline)) static void main_double(void) { char *p = malloc(8); free(p); free(p); }
__attribute__((noinline)) static void main_leak(void) { void *q = malloc(21); q = 0; (void)q; }
__attribute__((noinline)) static void main_bad(void) { char x[8]; free(x + 1); }
int main(void)
{
    pthread_t t1, t2, t3;
    if (pipe(gate))
        return 1;
    pthread_create(&t1, 0, noop, 0);
    pthread_join(t1, 0);
    pthread_create(&t2, 0, waiter, 0);
    pthread_create(&t3, 0, worker, 0);
    pthread_join(t3, 0);
    if (write(gate[1], "x", 1) != 1)
        return 1;
    pthread_join(t2, 0);
    main_double();
    main_leak();
    main_bad();
    return 0;
}
EOF
cat >"$T/thr.supp" <<'EOF'
{
   main_double_free
   Memcheck:Free
   fun:free
   fun:main_double
}
{
   thread_leak
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   fun:leak_in_thread
}
{
   unused_one
   Memcheck:Leak
   fun:malloc
   fun:no_such_function
}
EOF
cat >"$T/thr.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = []
for e in root.findall('error'):
    fns = [f.findtext('fn') for f in e.find('stack').findall('frame') if f.findtext('file') == 'thr.c']
    out.append('error %s tid=%s in %s' % (e.findtext('kind'), e.findtext('tid'), fns[0] if fns else '?'))
for p in root.find('suppcounts').findall('pair'):
    out.append('suppcount %s=%s' % (p.findtext('name'), p.findtext('count')))
print('\n'.join(sorted(out)))
EOF
if gcc -g -O0 -pthread -Wno-free-nonheap-object -o "$T/thr" "$T/thr.c"; then
    "$M" --xml=yes --xml-file="$T/thr.xml" --leak-check=full --suppressions="$T/thr.supp" "$T/thr" 2>/dev/null
    python3 "$T/thr.py" "$T/thr.xml" >"$T/thr.txt" || { echo "FAIL: cannot read the threads' XML"; fail=1; }
    printf '%s\n' 'error InvalidFree tid=1 in main_bad' 'error InvalidFree tid=3 in bad_in_thread' \
        'error Leak_DefinitelyLost tid=1 in main_leak' 'suppcount main_double_free=1' \
        'suppcount thread_leak=1' | sort >"$T/thr.want"
    if ! diff "$T/thr.want" "$T/thr.txt" >"$T/diff"; then
        echo "FAIL: threads and suppressions in the XML:"; sed 's/^/      /' "$T/diff"; fail=1
    fi
    if command -v valgrind >/dev/null; then
        valgrind --xml=yes --xml-file="$T/thr.vg.xml" --leak-check=full --suppressions="$T/thr.supp" \
            "$T/thr" 2>/dev/null
        python3 "$T/thr.py" "$T/thr.vg.xml" >"$T/thr.vg.txt"
        if ! diff "$T/thr.vg.txt" "$T/thr.txt" >"$T/diff"; then
            echo "FAIL: threads and suppressions read differently from valgrind's XML:"
            sed 's/^/      /' "$T/diff"; fail=1
        fi
    fi
fi
# without --xml=yes, --xml-file writes nothing (as in valgrind)
"$M" --xml-file="$T/no.xml" true 2>"$T/e"
[ -e "$T/no.xml" ] && { echo "FAIL: --xml-file without --xml=yes wrote XML"; fail=1; }
grep -q "has no effect without --xml=yes" "$T/e" || { echo "FAIL: no note for --xml-file without --xml=yes"; fail=1; }
# XML mode with valgrind's defaults: no text on stderr (IDEs show stderr as the program's own
# output), and the loss records of valgrind's default kinds only (definite, possible): XML readers
# count every <error>. An explicit --log-file still gets the text; --show-leak-kinds still decides.
"$M" --xml=yes --xml-file="$T/def.xml" "$T/prog" 2>"$T/def.err"
grep -q "==[0-9]*==" "$T/def.err" && { echo "FAIL: --xml=yes: text report on stderr:"; head -5 "$T/def.err"; fail=1; }
kinds() { python3 -c 'import sys, xml.etree.ElementTree as ET; print(" ".join(sorted(e.findtext("kind") for e in ET.parse(sys.argv[1]).getroot().findall("error"))))' "$1"; }
mk=$(kinds "$T/def.xml")
case " $mk " in *Leak_IndirectlyLost*|*Leak_StillReachable*) echo "FAIL: --xml=yes by default lists kinds valgrind does not: $mk"; fail=1 ;; esac
case " $mk " in *Leak_DefinitelyLost*) ;; *) echo "FAIL: --xml=yes by default: no definitely lost record: $mk"; fail=1 ;; esac
if command -v valgrind >/dev/null; then
    valgrind --xml=yes --xml-file="$T/def.vg.xml" "$T/prog" >/dev/null 2>&1
    vk=$(kinds "$T/def.vg.xml")
    [ "$mk" = "$vk" ] || { echo "FAIL: --xml=yes defaults: memplumber's kinds '$mk', valgrind's '$vk'"; fail=1; }
fi
"$M" --xml=yes --xml-file="$T/log.xml" --log-file="$T/x.log" "$T/prog" 2>/dev/null
grep -q "definitely lost" "$T/x.log" || { echo "FAIL: --xml=yes --log-file: no text in the log file"; fail=1; }
"$M" --xml=yes --xml-file="$T/fd2.xml" --log-fd=2 "$T/prog" 2>"$T/fd2.err"
grep -q "definitely lost" "$T/fd2.err" || { echo "FAIL: --xml=yes --log-fd=2: no text on stderr"; fail=1; }
# --gen-suppressions=all with --xml=yes (CLion's and Qt Creator's command lines): as valgrind,
# every <error> carries a <suppression> (sname, skind, skaux for leaks, sframe with fun/obj,
# rawtext), which IDEs offer as "suppress this error"; it used to be missing. The rawtexts, fed
# back as a suppression file, hide every record and error.
cat >"$T/supp.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
n = 0
for e in root.findall('error'):
    s = e.findall('suppression')
    assert len(s) == 1, 'error %s: %d <suppression>' % (e.findtext('unique'), len(s))
    s = s[0]
    kind = e.findtext('kind')
    assert s.findtext('sname'), 'no sname'
    assert s.findtext('skind') == ('Memcheck:Leak' if kind.startswith('Leak_') else 'Memcheck:Free'), s.findtext('skind')
    if kind.startswith('Leak_'):
        assert (s.findtext('skaux') or '').startswith('match-leak-kinds: '), 'no skaux'
    frames = [f.findtext('fun') or f.findtext('obj') for f in s.findall('sframe')]
    assert frames and all(frames), 'sframes: %r' % frames
    raw = s.findtext('rawtext').strip()
    assert raw.startswith('{') and raw.endswith('}'), raw
    for f in frames:
        assert ('fun:' + f) in raw or ('obj:' + f) in raw, 'sframe %s not in rawtext' % f
    print(raw)
    n += 1
assert n > 0, 'no <error>'
EOF
"$M" --tool=memcheck --xml=yes --xml-file="$T/gen.xml" --gen-suppressions=all --leak-check=full \
    --show-leak-kinds=all "$T/prog" 2>/dev/null
if ! python3 "$T/supp.py" "$T/gen.xml" >"$T/gen.supp" 2>"$T/e"; then
    echo "FAIL: --xml=yes --gen-suppressions=all: $(tail -1 "$T/e")"; fail=1
else
    "$M" --xml=yes --xml-file="$T/gen2.xml" --leak-check=full --show-leak-kinds=all \
        --suppressions="$T/gen.supp" "$T/prog" 2>/dev/null
    left=$(kinds "$T/gen2.xml")
    [ -z "$left" ] || { echo "FAIL: the XML's suppressions fed back leave: $left"; fail=1; }
fi
# --xml-fd naming a descriptor that is not open: valgrind writes the XML to stderr (it says
# "failed to move XML file descriptor into safe range, using stderr"); the XML used to be lost.
"$M" --xml=yes --xml-fd=9 --leak-check=full "$T/prog" 9>&- 2>"$T/fd9.err" >/dev/null
sed -n '/^<?xml/,$p' "$T/fd9.err" >"$T/fd9.xml"
grep -q 'xml-fd=9 is not an open file descriptor' "$T/fd9.err" ||
    { echo "FAIL: --xml-fd=9 (closed): no note"; fail=1; }
case " $(kinds "$T/fd9.xml" 2>/dev/null) " in
*Leak_DefinitelyLost*) ;;
*) echo "FAIL: --xml-fd=9 (closed): no XML on stderr:"; head -5 "$T/fd9.err"; fail=1 ;;
esac
[ $fail = 0 ] && echo "ok: $(wc -l <"$T/mp.xml.txt") errors read the same as valgrind's"
exit $fail
