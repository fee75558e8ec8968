#!/usr/bin/env python3
"""Per-process leak verdicts of one command under valgrind memcheck and under memplumber.

usage: _verdicts.py DIR
DIR holds valgrind's logs (vg.PID, from --log-file=DIR/vg.%p --trace-children=yes) and
memplumber's JSON reports (mp.PID.json). Processes are paired by command line (program base name
and arguments, as each tool recorded it at start). Prints one line per process: SAME, DIFF (with
both verdicts), NOREPORT (valgrind reported a process memplumber did not) or EXTRA (the reverse).
Exit status 0 when every process has the same definitely, indirectly and possibly lost bytes and
blocks under both tools (still reachable is shown, not compared: valgrind counts the blocks its
own start-up code allocates differently), 1 otherwise."""
import glob, json, os, re, sys
d = sys.argv[1]
KINDS = ('definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable')
def key(args):
    """The pairing key: program base name and arguments, with gcc's random temporary file names
    (/tmp/ccXXXXXX.s) made equal."""
    k = ' '.join([os.path.basename(args[0])] + list(args[1:]))
    return re.sub(r'/cc[A-Za-z0-9]{6}\.', '/ccXXXXXX.', k)
def vg_parse(path):
    txt = open(path, errors='replace').read()
    m = re.search(r'^==\d+== Command: (.*)$', txt, re.M)
    cmd = m.group(1).strip() if m else '?'
    # valgrind escapes spaces and backslashes inside arguments; argv[0] is the path it executed
    args = [re.sub(r'\\(.)', r'\1', a) for a in re.findall(r'(?:\\.|[^ \\])+', cmd)]
    cmd = key(args)
    r = {k: (0, 0) for k in KINDS}
    for k in KINDS:
        w = k.replace('_', ' ')
        m = re.search(r'==\d+==\s+%s: ([\d,]+) bytes in ([\d,]+) blocks' % w, txt)
        if m:
            r[k] = (int(m.group(1).replace(',', '')), int(m.group(2).replace(',', '')))
    return cmd, r
def mp_parse(path):
    j = json.load(open(path))
    argv = j.get('command') or ['?']
    cmd = key(argv)
    s = j['summary']
    return cmd, {k: (s[k]['bytes'], s[k]['blocks']) for k in KINDS}
vg = sorted((vg_parse(p) for p in glob.glob(os.path.join(d, 'vg.[0-9]*'))), key=lambda x: x[0])
mp = sorted((mp_parse(p) for p in glob.glob(os.path.join(d, 'mp.*.json'))), key=lambda x: x[0])
bad = 0
used = [False] * len(mp)
for cmd, v in vg:
    # the memplumber process with the same command line (first unused)
    idx = next((i for i, (c, _) in enumerate(mp) if not used[i] and c == cmd), None)
    if idx is None:
        print('NOREPORT %s: valgrind has a report, memplumber none' % cmd); bad += 1; continue
    used[idx] = True
    m = mp[idx][1]
    diff = [k for k in KINDS[:3] if v[k] != m[k]]
    fmt = lambda r: ' '.join('%s=%d/%d' % (k.split('_')[0][:4], r[k][0], r[k][1]) for k in KINDS)
    if diff:
        bad += 1
        print('DIFF %s\n  valgrind:   %s\n  memplumber: %s' % (cmd, fmt(v), fmt(m)))
    else:
        print('SAME %s  (%s)' % (cmd, fmt(v)))
for i, (c, _) in enumerate(mp):
    if not used[i]:
        print('EXTRA %s: memplumber reported a process valgrind did not' % c)
sys.exit(1 if bad else 0)
