#!/bin/bash
# Every report format stays valid and readable whatever the program's names hold. A program built
# in a directory whose name has spaces, quotes, '<', '&', a backslash, "</script>", a newline, a
# tab and bytes that are not UTF-8 (so DWARF carries them), from a source file named the same
# way, with functions whose symbol names (asm labels) hold "]]>", "<img onerror=...>", a byte
# that is not UTF-8, a control character and U+FFFE, an executable named with a newline and
# bad bytes, and an argument with all of these; run with every format at once and
# --gen-suppressions=all:
# - JSON and SARIF parse (python3 json), the JSON has the leak with its three functions;
# - the valgrind-style XML parses (python3 ElementTree, as ValgrindCI and Jenkins read it) and
#   holds the functions, with U+FFFD for the bad bytes; the suppressions' <sframe> and rawtext
#   keep a '?' (valgrind's one-character wildcard) per bad byte, so that they still match;
# - the pprof profile's strings are UTF-8, as profile.proto (proto3) requires of every string
#   (strict protobuf decoders reject the whole profile otherwise), and its first mapping, pprof's
#   main binary, is the executable (not libc, where the largest record's innermost frame is);
# - the text report: every line of it is a whole "==PID==" line or a suppression's;
# - the HTML page: its data parses and nothing in it can end the script element (in a browser:
#   tests/integration/html_report.sh);
# - a second run with --baseline of the first's JSON report finds every record known, and
#   `memplumber merge` of the two adds each record up (the keys of names that are not UTF-8);
# - without the report library (the last resort): the JSON report is UTF-8 and parses, and each
#   module+offset frame of the text report is one whole line.
# Exit 0 = pass, 1 = fail, 77 = skipped (no gcc or python3).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
MP=${MEMPLUMBER:-$ROOT/build/memplumber}
if ! command -v gcc >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: needs gcc and python3"
    exit 77
fi
T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT
unset MEMPLUMBER_OPTIONS LD_PRELOAD MEMPLUMBER_ROOT_PID MEMPLUMBER_LIB
export MEMPLUMBER_SYMBOL_CACHE=no

cat >"$T/check.py" <<'EOF'
import gzip, json, os, re, subprocess, sys
import xml.etree.ElementTree as ET
T, MP = sys.argv[1].encode(), sys.argv[2].encode()
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)
    return cond

d = T + b'/src dir \'q\' "dq" <lt> &amp; \\bs </script><script>alert(1)</script>\nnl\t\xff\xfe bad'
os.makedirs(d)
src = d + b'/h\xe9llo <x>&"q".c'
open(src, 'wb').write(b'''#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) void *f1(size_t n) __asm__("\\"]]><x>&amp;<img src=x onerror=alert(5)>\xff\x01 \xef\xbf\xbe\\"");
void *f1(size_t n) { void *p = malloc(n); __asm__ volatile("" ::: "memory"); return p; }
__attribute__((noinline)) void *caf\xc3\xa9(size_t n) { void *p = f1(n); __asm__ volatile("" ::: "memory"); return p; }
static char *keep;
int main(int argc, char **argv) { void *p = caf\xc3\xa9(40); p = 0; keep = strdup(argv[1]); printf("%d\\n", argc); return 0; }
''')
exe = d + b'/prog\n\xfe <&>'
r = subprocess.run([b'gcc', b'-g', b'-O0', b'-w', b'-o', exe, src], stderr=subprocess.PIPE)
if r.returncode:
    print('skip: gcc cannot build the program: ' + r.stderr.decode('utf-8', 'replace')[-300:])
    sys.exit(77)
arg = b'arg \xfe\n<script>alert(2)</script> "&" \\ \x1b[31m ]]>' + b'.' * 100
o = T + b'/out'
os.makedirs(o)
r = subprocess.run([MP, b'--json=' + o + b'/r.json', b'--sarif=' + o + b'/r.sarif',
                    b'--html=' + o + b'/r.html', b'--xml=yes', b'--xml-file=' + o + b'/r.xml',
                    b'--pprof=' + o + b'/r.pb.gz', b'--log-file=' + o + b'/r.txt',
                    b'--gen-suppressions=all', b'--', exe, arg],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
check(r.returncode == 0 and r.stdout == b'2\n', 'the program ran differently: %r' % (r,))
FUNCS = ['f1', 'caf\u00e9', 'main']

def load(name, how):
    try:
        return how(o + b'/' + name)
    except Exception as e:
        fail.append('%s does not parse: %s' % (name.decode(), e))
        return None

j = load(b'r.json', lambda p: json.load(open(p, encoding='utf-8')))
if j:
    leaks = [l for l in j['leaks'] if l['kind'] == 'definitely_lost' and l['bytes'] == 40]
    if check(len(leaks) == 1, 'JSON: no 40-byte definitely lost record'):
        fns = [f['function'] for f in leaks[0]['stack']][:3]
        check(fns[1:] == FUNCS[1:] and fns[0].startswith(']]><x>&amp;<img') and
              '\ufffd' in fns[0], 'JSON: functions %r' % fns)
        check(leaks[0]['stack'][0]['file'].endswith('/h\ufffdllo <x>&"q".c'),
              'JSON: file %r' % leaks[0]['stack'][0]['file'])
    check(j['command'][1].startswith('arg \ufffd\n<script>'), 'JSON: command %r' % j['command'])

s = load(b'r.sarif', lambda p: json.load(open(p, encoding='utf-8')))
if s:
    res = [x for x in s['runs'][0]['results'] if x['ruleId'] == 'definitely-lost']
    check(len(res) == 1 and res[0]['locations'][0]['physicalLocation']['region']['startLine'] == 5,
          'SARIF: the leak\'s primary location %r' % res)

x = load(b'r.xml', lambda p: ET.parse(p).getroot())
if x is not None:
    errs = [e for e in x.findall('error') if e.findtext('kind') == 'Leak_DefinitelyLost'
            and e.findtext('xwhat/leakedbytes') == '40']
    if check(len(errs) == 1, 'XML: no 40-byte Leak_DefinitelyLost'):
        fns = [f.findtext('fn') for f in errs[0].find('stack').findall('frame')][:3]
        check(fns[1:] == FUNCS[1:] and fns[0].startswith(']]><x>&amp;<img') and
              '\ufffd' in fns[0], 'XML: functions %r' % fns)
        fr = errs[0].find('stack').find('frame')
        check(fr.findtext('file') == 'h\ufffdllo <x>&"q".c' and '</script>' in fr.findtext('dir'),
              'XML: dir %r file %r' % (fr.findtext('dir'), fr.findtext('file')))
        supp = errs[0].find('suppression')
        if check(supp is not None, 'XML: no <suppression>'):
            sf = [f.findtext('fun') for f in supp.findall('sframe')]
            check(len(sf) > 2 and sf[1] == ']]><x>&amp;<img src=x onerror=alert(5)>?? ???' and
                  sf[2] == FUNCS[1], 'XML: suppression frames %r' % sf)
            raw = supp.findtext('rawtext')
            check('fun:]]><x>&amp;<img src=x onerror=alert(5)>?? ???\n' in raw,
                  'XML: suppression rawtext %r' % raw)
    check(x.find('args/argv/arg').text.startswith('arg \ufffd?<script>'), 'XML: argument')

def pb_fields(data, want):
    """The length-delimited fields number want of a message, decoded by hand from the wire
    format (the Profile's string_table is field 6, its mappings field 3)."""
    out, i = [], 0
    def varint():
        nonlocal i
        v = sh = 0
        while True:
            b = data[i]; i += 1
            v |= (b & 0x7f) << sh; sh += 7
            if b < 0x80:
                return v
    while i < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 2:
            n = varint()
            if field == want:
                out.append(data[i:i + n])
            i += n
        else:
            raise ValueError('wire type %d' % wire)
    return out

def pb_varints(data):
    """The varint fields of a message: [(field, value)]."""
    out, i = [], 0
    def varint():
        nonlocal i
        v = sh = 0
        while True:
            b = data[i]; i += 1
            v |= (b & 0x7f) << sh; sh += 7
            if b < 0x80:
                return v
    while i < len(data):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        elif key & 7 == 2:
            i += varint()
        else:
            raise ValueError('wire type %d' % (key & 7))
    return out

prof = load(b'r.pb.gz', lambda p: gzip.open(p).read())
p = pb_fields(prof, 6) if prof else None
if p:
    # the first mapping is the executable's (pprof's main binary), though the largest record
    # (strdup of the 100-byte argument) has its innermost frame in libc
    m1 = pb_fields(prof, 3)[0]
    fn = [v for k, v in pb_varints(m1) if k == 5]
    check(fn and p[fn[0]].startswith(d.replace(b'\xff\xfe', '\ufffd\ufffd'.encode()) + b'/prog'),
          'pprof: the first mapping is %r' % (p[fn[0]] if fn else None))
    bad = []
    for b in p:
        try:
            b.decode('utf-8')
        except UnicodeDecodeError:
            bad.append(b)
    check(not bad, 'pprof: strings that are not UTF-8: %r' % bad[:3])
    check(any(b.startswith(b']]><x>&amp;<img') for b in p), 'pprof: no f1 in the strings')

t = open(o + b'/r.txt', 'rb').read().split(b'\n')
insupp = False
for line in t[:-1]:
    if line == b'{':
        insupp = True
    elif line == b'}':
        insupp = False
    elif not insupp and not re.match(rb'^==\d+==( |$)', line):
        check(False, 'text: a line cut: %r' % line)
        break
check(any(b' caf\xc3\xa9 (h\xe9llo <x>&"q".c:6)' in l for l in t), 'text: no cafe frame')

h = open(o + b'/r.html', 'rb').read()
m = re.search(rb'<script type="application/json" id="mp-data">(.*?)</script>', h, re.S)
if check(m, 'HTML: no data element'):
    check(b'<' not in m.group(1), 'HTML: "<" in the data')
    try:
        data = json.loads(m.group(1).decode('utf-8'))
        check('caf\u00e9' in data['strings'], 'HTML: no cafe in the strings')
    except Exception as e:
        fail.append('HTML: the data does not parse: %s' % e)
    check(h.count(b'<script') == 2, 'HTML: %d script elements' % h.count(b'<script'))

# The same run again against the first one's JSON report: its records are known (the matching
# key of a name that is not UTF-8 is that of its JSON form, where it is U+FFFD), and merged with
# it, each record is found in both.
r = subprocess.run([MP, b'--baseline=' + o + b'/r.json', b'--json=' + o + b'/b.json',
                    b'--error-exitcode=3', b'--', exe, arg],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
check(r.returncode == 0, '--baseline: exit status %d (records counted as new)' % r.returncode)
b = load(b'b.json', lambda p: json.load(open(p, encoding='utf-8')))
if b:
    check(b['baseline'] and b['baseline']['new_leaks'] == 0 and b['baseline']['known_leaks'] >= 1,
          '--baseline: %r' % b['baseline'])
r = subprocess.run([MP, b'merge', o + b'/m.json', o + b'/r.json', o + b'/b.json'],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
mj = load(b'm.json', lambda p: json.load(open(p, encoding='utf-8')))
if mj:
    check(all(l['reports'] == 2 for l in mj['leaks']),
          'merge: %r' % [(l['bytes'], l['reports']) for l in mj['leaks']])
if j and s:
    fp = {x['partialFingerprints']['memplumberKey/v1'] for x in s['runs'][0]['results']}
    check(all(l['key'] in fp for l in j['leaks'] if l['kind'] == 'definitely_lost'),
          'SARIF fingerprints differ from the JSON keys')

# The last resort: no report library (the process writes its own text report, frames as
# module+offset, and the JSON report without symbols).
env = dict(os.environ, LD_PRELOAD=os.path.join(os.path.dirname(MP), b'libmemplumber.so').decode(),
           MEMPLUMBER_REPORT_LIB='/nonexistent/libmemplumber-report.so',
           MEMPLUMBER_OPTIONS='json=' + (o + b'/u.json').decode())
r = subprocess.run([exe, arg], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
check(r.returncode == 0 and r.stdout == b'2\n', 'unsymbolized: the program ran differently: %r' % (r,))
u = load(b'u.json', lambda p: json.load(open(p, encoding='utf-8')))
if u:
    check(u.get('unsymbolized') and u['command'][1].startswith('arg \ufffd\n<script>') and
          any(l['stack'] and '\ufffd' in l['stack'][0]['module'] for l in u['leaks']),
          'unsymbolized JSON: command %r' % u['command'])
frames = [l for l in r.stderr.split(b'\n') if b'(in ' in l]
check(frames and all(re.match(rb'^==\d+==    (at|by) 0x[0-9a-f]+: \?\?\? \(in .*\+0x[0-9a-f]+\)$', l)
                     for l in frames), 'unsymbolized text: frames cut: %r' % r.stderr[-600:])

for f in fail:
    print('FAIL: ' + f)
sys.exit(1 if fail else 0)
EOF
python3 "$T/check.py" "$T" "$MP"
