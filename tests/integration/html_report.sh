#!/bin/bash
# The HTML report (--html) in a real browser: Debian's headless chromium, driven over the DevTools
# protocol by tests/integration/browser.py (no third-party module). For each page: it loads
# without console errors and without external resources; the summary shows the totals of the JSON
# report written by the same run; the loss-record table lists the largest records first, sorts by
# a click on Blocks (both ways) and Bytes, shows a record's full stack on a click, and follows the
# kind check boxes; the icicle graph's tooltips name the functions of a row with their bytes and
# file:line (as computed from the JSON report), a click zooms to a frame (it then spans the whole
# width) and a click on the top row zooms out; heap-misuse errors are listed.
# Pages: examples/leaky.c; a program with 10,000 loss records (distinct stacks) and two heap
# errors, whose page must draw all 10,000 rows on "Show all"; a program that leaks and grows a
# cache for 4.5 s under --snapshot-interval=1 (its timeline has a point per snapshot of the JSON
# report, its growth suspects are the JSON report's, cache_add first); leaky's page with snapshots and
# growth suspects added to its data (the timeline: one point per snapshot, the suspects listed,
# the top one marked on the chart and on its loss record), and, as in a `memplumber report --new`
# of a process that records ages, the report number, ages and increases); a program whose
# directory, executable and function names hold markup (</script>, <img onerror>) and a newline:
# nothing of them runs or becomes an element, each frame of a stack is one line.
# Exit 0 = pass, 1 = fail, 77 = skipped (no chromium: scripts/install-deps --test installs it).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
MP=${MEMPLUMBER:-$ROOT/build/memplumber}
if ! command -v gcc >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: needs gcc and python3"
    exit 77
fi
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    echo "skip: chromium is not installed (scripts/install-deps --test installs Debian's chromium)"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT

cat >"$T/many.c" <<'EOF'
/* 10,000 loss records: allocation stacks made distinct by a 14-level walk through a() and b()
 * chosen by the bits of i; every tenth block stays reachable. Plus a double free and an invalid
 * free. */
#include <stdlib.h>
#define N 10000
static void *keep[N / 10];
static volatile int ca, cb;
__attribute__((noinline)) static void *leaf(int i)
{
    void *p = malloc(16 + (size_t)(i % 64));
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}
__attribute__((noinline)) static void *a(int i, int d);
__attribute__((noinline)) static void *b(int i, int d);
__attribute__((noinline)) static void *step(int i, int d)
{
    if (d == 0)
        return leaf(i);
    return (i >> (d - 1)) & 1 ? a(i, d - 1) : b(i, d - 1);
}
static void *a(int i, int d) { ca++; void *p = step(i, d); __asm__ volatile("" ::: "memory"); return p; }
static void *b(int i, int d) { cb--; void *p = step(i, d); __asm__ volatile("" ::: "memory"); return p; }
int main(void)
{
    for (int i = 0; i < N; i++) {
        void *p = step(i, 14);
        if (i % 10 == 0)
            keep[i / 10] = p;
    }
    char *q = malloc(8);
    free(q);
    free(q);                    /* double free */
    int local;
    free(&local);               /* invalid free */
    return 0;
}
EOF
cat >"$T/grow.c" <<'EOF'
/* Runs 4.5 s: each 0.1 s, 20 requests that each leak 24 bytes and add a 200-byte entry to a cache
 * that is never trimmed (the top growth suspect). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
struct entry { struct entry *next; char data[192]; };
static struct entry *cache;
__attribute__((noinline)) static void leak_request(int n)
{
    char *volatile p = malloc(24);
    memset(p, n, 24);
    p = NULL;
}
__attribute__((noinline)) static void cache_add(void)
{
    struct entry *e = malloc(sizeof *e);
    memset(e->data, 1, sizeof e->data);
    e->next = cache;
    cache = e;
}
int main(void)
{
    for (int s = 0; s < 45; s++) {
        for (int i = 0; i < 20; i++) {
            leak_request(i);
            cache_add();
        }
        usleep(100000);
    }
    return 0;
}
EOF
gcc -O2 -g "$ROOT/examples/leaky.c" -o "$T/leaky" || exit 1
gcc -O1 -g "$T/grow.c" -o "$T/grow" || exit 1
gcc -O1 -g -fno-optimize-sibling-calls -fno-inline -Wno-free-nonheap-object "$T/many.c" \
    -o "$T/many" || exit 1

fail=0
for prog in leaky many grow; do
    opt=
    [ $prog = grow ] && opt=--snapshot-interval=1
    "$MP" $opt --html="$T/$prog.html" --json="$T/$prog.json" -- "$T/$prog" >"$T/$prog.out" 2>&1
    if [ ! -s "$T/$prog.html" ] || [ ! -s "$T/$prog.json" ]; then
        echo "FAIL: $prog: no HTML or JSON report written"; cat "$T/$prog.out"; fail=1; continue
    fi
done
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["leaks"]))' "$T/many.json")
if [ "$n" != 10000 ]; then
    echo "FAIL: many: $n loss records, the test needs 10000 (distinct stacks)"; fail=1
fi
echo "== leaky"
python3 tests/integration/browser.py check-report "$T/leaky.html" "$T/leaky.json" || fail=1
echo "== many ($(du -k "$T/many.html" | cut -f1) KiB)"
python3 tests/integration/browser.py check-report "$T/many.html" "$T/many.json" --big || fail=1

echo "== grow (--snapshot-interval=1)"
python3 tests/integration/browser.py check-report "$T/grow.html" "$T/grow.json" --growth || fail=1

# The growth timeline, from snapshots and growth suspects added to leaky's data.
python3 - "$T/leaky.html" "$T/growth.html" <<'EOF' || fail=1
import json, re, sys
page = open(sys.argv[1]).read()
m = re.search(r'(<script type="application/json" id="mp-data">)(.*?)(</script>)', page, re.S)
d = json.loads(m.group(2))
d['snapshots'] = [{'t': i * 0.5, 'live_bytes': 1000 + 300 * i, 'live_blocks': 10 + 3 * i}
                  for i in range(40)]
# the suspect's stack: the page's stack of the definitely lost record
st = [r[5] for r in d['leaks'] if d['kinds'][r[0]] == 'definitely_lost'][0]
d['growth'] = [{'bytes_per_second': 600.0, 'live_bytes': 12000, 'live_blocks': 120, 'stack': st},
               {'bytes_per_second': 20.5, 'live_bytes': 400, 'live_blocks': 4, 'stack': 0}]
# a report of what is new since report 3, with ages: [6] oldest, [7] newest age, [8] [9] increase
d['report_seq'], d['only_new'], d['new_since_report'] = 4, True, 3
d['leaks'] = [r[:6] + [90 + i, 5 + i, r[2] // 2, 1] for i, r in enumerate(d['leaks'])]
data = json.dumps(d).replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
open(sys.argv[2], 'w').write(page[:m.start(2)] + data + page[m.end(2):])
EOF
echo "== leaky with snapshots"
python3 tests/integration/browser.py check-report "$T/growth.html" "$T/leaky.json" --growth || fail=1

# Hostile names: a program built in a directory named with "</script>", an <img onerror> and a
# newline, named with a newline and "<b>", without debug information (its frames name it), with a
# function whose symbol is an <img onerror> too: nothing of them runs or becomes an element of
# the page, and each frame (the newline shown as '?') is one line.
H=$T/$'h </script><img src=x onerror=alert(1)>\n&q'
mkdir -p "$H"
cat >"$H/h.c" <<'EOF'
#include <stdlib.h>
__attribute__((noinline)) void *f(size_t n) __asm__("\"<img src=x onerror=alert(2)>\"");
void *f(size_t n) { void *p = malloc(n); __asm__ volatile("" ::: "memory"); return p; }
int main(void) { void *p = f(10); p = 0; return 0; }
EOF
if gcc -O0 -g0 -o "$H/h"$'\n<b>' "$H/h.c"; then
    "$MP" --html="$T/hostile.html" -- "$H/h"$'\n<b>' >"$T/hostile.out" 2>&1
    echo "== hostile names"
    python3 tests/integration/browser.py check-hostile "$T/hostile.html" || fail=1
else
    echo "note: gcc cannot build the program with hostile names: not checked"
fi
exit $fail
