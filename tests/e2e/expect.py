#!/usr/bin/env python3
"""Runs one end-to-end test program and checks its report against the expectations in its header.

The header syntax is documented in tests/e2e/README.md. Two modes:
  --mode e2e       build the program, run its RUN lines with %memplumber = build/memplumber and check
                   every expectation against the JSON report(s) memplumber wrote.
  --mode valgrind  valgrind is the reference. (A) run the RUN lines with %memplumber standing for a
                   shim that runs valgrind and turns its XML into a JSON report of format v1, and
                   check the expectations against that (this validates the corpus itself); then
                   (B) run the RUN lines with the real memplumber and compare, report by report, the
                   per-kind bytes and blocks (and the heap-error kinds) of both runs.
  --vg-shim        internal: the stand-in for %memplumber used by (A).
Exit status: 0 pass, 1 fail, 77 skip; the reasons go to stdout, one per line.
Depends on python3's standard library only, and on valgrind for --mode valgrind.
"""
import argparse
import collections
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get('MEMPLUMBER_BUILD', os.path.join(ROOT, 'build'))

LEAK_KINDS = ('definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable')
SUMMARY_KEYS = LEAK_KINDS + ('suppressed', 'total_allocated', 'total_freed')
# memplumber error kind -> the valgrind XML kind that reports the same misuse.
VG_ERROR_KIND = {
    'double_free': 'InvalidFree', 'invalid_free': 'InvalidFree', 'realloc_freed': 'InvalidFree',
    'realloc_invalid': 'InvalidFree', 'mismatched_free': 'MismatchedFree',
}

DIRECTIVES = {
    'BUILD', 'BUILD-SO', 'BUILD-AUX', 'RUN', 'EXIT', 'TIMEOUT', 'CAPTURE', 'JSON', 'EXPECT',
    'EXPECT-NOT', 'EXPECT-FILE-COUNT', 'STDOUT', 'STDOUT-NOT', 'STDOUT-RE', 'STDERR',
    'STDERR-NOT', 'STDERR-RE', 'FILE-EXISTS', 'FILE-NOT-EXISTS', 'VALGRIND',
}
# Directives that count as "an expectation": a test without any of them fails.
EXPECTATIONS = {'EXPECT', 'EXPECT-NOT', 'EXPECT-FILE-COUNT', 'STDOUT', 'STDOUT-RE', 'STDERR',
                'STDERR-RE'}


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Header parsing


def parse_header(path):
    """Returns [(lineno, directive, value)] from the first /* ... */ comment of the file."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    start = text.find('/*')
    end = text.find('*/', start)
    if start < 0 or end < 0 or text[:start].strip():
        raise Fail('no header comment at the top of the file')
    first_line = text[:start].count('\n') + 1
    out = []
    for i, line in enumerate(text[start + 2:end].split('\n')):
        m = re.match(r'^\s*\*?\s*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*):(?:\s+(.*?))?\s*$', line)
        if not m:
            continue
        key, value = m.group(1), m.group(2) or ''
        if key not in DIRECTIVES:
            raise Fail('%s:%d: unknown directive %s:' % (os.path.basename(path), first_line + i, key))
        out.append((first_line + i, key, value))
    return out


# ---------------------------------------------------------------------------------------------
# Reports


def load_report(path):
    try:
        with open(path, encoding='utf-8') as f:
            rep = json.load(f)
    except FileNotFoundError:
        raise Fail('no report: %s was not written' % path)
    except (ValueError, UnicodeDecodeError) as e:
        raise Fail('%s is not valid JSON: %s' % (path, e))
    check_report_shape(rep, path)
    return rep


def check_report_shape(rep, path):
    """The parts of format v1 every report must have (docs/REPORT-FORMAT.md)."""
    name = os.path.basename(path)
    if not isinstance(rep, dict):
        raise Fail('%s: top level is not an object' % name)
    if rep.get('format') != 'memplumber-report' or rep.get('version') != 1:
        raise Fail('%s: format/version are %r/%r, want "memplumber-report"/1'
                   % (name, rep.get('format'), rep.get('version')))
    summ = rep.get('summary')
    if not isinstance(summ, dict):
        raise Fail('%s: no summary object' % name)
    for k in SUMMARY_KEYS:
        v = summ.get(k)
        if not (isinstance(v, dict) and isinstance(v.get('bytes'), int)
                and isinstance(v.get('blocks'), int)):
            raise Fail('%s: summary.%s is %r, want {"bytes": int, "blocks": int}' % (name, k, v))
    if not isinstance(rep.get('leaks'), list) or not isinstance(rep.get('errors'), list):
        raise Fail('%s: "leaks" and "errors" must be lists' % name)
    for r in rep['leaks']:
        if r.get('kind') not in LEAK_KINDS or not isinstance(r.get('stack'), list):
            raise Fail('%s: malformed loss record %s' % (name, json.dumps(r)[:300]))
    for e in rep['errors']:
        if not isinstance(e.get('kind'), str):
            raise Fail('%s: malformed error record %s' % (name, json.dumps(e)[:300]))
    # Loss records add up to the summary (when nothing was suppressed, so every record counts).
    if summ['suppressed']['blocks'] == 0 and rep['leaks']:
        for k in LEAK_KINDS:
            b = sum(r.get('bytes', 0) for r in rep['leaks'] if r['kind'] == k)
            n = sum(r.get('blocks', 0) for r in rep['leaks'] if r['kind'] == k)
            if (b, n) != (summ[k]['bytes'], summ[k]['blocks']):
                raise Fail('%s: %s records add up to %d bytes in %d blocks but the summary says '
                           '%d bytes in %d blocks' % (name, k, b, n, summ[k]['bytes'],
                                                       summ[k]['blocks']))


def frame_str(st, n=3):
    names = []
    for fr in (st or [])[:n]:
        s = str(fr.get('function') or '??')
        if fr.get('file'):
            s += '@%s:%s' % (os.path.basename(str(fr['file'])), fr.get('line'))
        names.append(s)
    return ' <- '.join(names) or '(no stack)'


def record_str(r):
    parts = []
    for k in ('kind', 'bytes', 'blocks', 'allocator', 'count', 'address'):
        if k in r:
            parts.append('%s=%s' % (k, r[k]))
    s = ' '.join(parts) + ' [' + frame_str(r.get('stack')) + ']'
    for k in ('alloc_stack', 'free_stack'):
        if r.get(k):
            s += ' %s=[%s]' % (k, frame_str(r[k], 2))
    return s


def func_match(want, got):
    if got is None:
        return False
    if want.endswith('*'):
        return str(got).startswith(want[:-1])
    return str(got) == want


def stack_key_match(stack, field, idx, want):
    stack = stack or []
    if idx >= len(stack):
        return False
    fr = stack[idx]
    if field == 'frame':
        return func_match(want, fr.get('function'))
    if field == 'file':
        return fr.get('file') is not None and os.path.basename(str(fr['file'])) == want
    if field == 'line':
        return str(fr.get('line')) == want
    if field == 'module':
        return fr.get('module') is not None and os.path.basename(str(fr['module'])) == want
    raise Fail('unknown stack key %s' % field)


def int_value(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def record_matches(r, keys):
    for key, want in keys:
        m = re.match(r'^(alloc_|free_)?(frame|file|line|module)(\d*)$', key)
        if m:
            stack = r.get((m.group(1) or '') + 'stack')
            if not stack_key_match(stack, m.group(2), int(m.group(3) or 0), want):
                return False
        elif key == 'anyframe':
            if not any(func_match(want, fr.get('function')) for fr in r.get('stack') or []):
                return False
        elif key in ('bytes', 'blocks', 'count', 'address'):
            got = r.get(key)
            got = int_value(got) if isinstance(got, str) else got
            if got != int_value(want):
                return False
        elif key == 'allocator':
            if r.get('allocator') != want:
                return False
        else:
            raise Fail('unknown key %r in expectation' % key)
    return True


def parse_expect(value):
    """'definitely_lost bytes=24 frame0=f' -> ('leak', 'definitely_lost', [(k, v)]);
       'error: double_free count=1'       -> ('error', 'double_free', [...]);
       'error'                            -> ('error', None, []);
       'summary.definitely_lost.blocks=1' -> ('summary', ('definitely_lost', 'blocks'), '1')."""
    toks = value.split()
    if not toks:
        raise Fail('empty expectation')
    m = re.match(r'^summary\.([a-z_]+)\.(bytes|blocks)=(\d+)$', toks[0])
    if m:
        if len(toks) != 1 or m.group(1) not in SUMMARY_KEYS:
            raise Fail('bad summary expectation %r' % value)
        return ('summary', (m.group(1), m.group(2)), int(m.group(3)))
    if toks[0] in ('error', 'error:'):
        kind = None
        rest = toks[1:]
        if rest and '=' not in rest[0]:
            kind, rest = rest[0], rest[1:]
        return ('error', kind, split_keys(rest))
    if toks[0] not in LEAK_KINDS:
        raise Fail('unknown kind %r in expectation (want one of %s, error:, summary.*)'
                   % (toks[0], ', '.join(LEAK_KINDS)))
    return ('leak', toks[0], split_keys(toks[1:]))


def split_keys(toks):
    out = []
    for t in toks:
        if '=' not in t:
            raise Fail('expected key=value, got %r' % t)
        k, v = t.split('=', 1)
        out.append((k, v))
    return out


def check_expect(rep, name, value, negate):
    what, kind, keys = parse_expect(value)
    if what == 'summary':
        if negate:
            raise Fail('EXPECT-NOT does not take summary checks')
        got = rep['summary'][kind[0]][kind[1]]
        if got != keys:
            raise Fail('%s: summary.%s.%s is %d, want %d' % (name, kind[0], kind[1], got, keys))
        return
    if what == 'error':
        pool = [e for e in rep['errors'] if kind is None or e.get('kind') == kind]
        label = 'error %s' % (kind or '(any kind)')
        others = rep['errors']
    else:
        pool = [r for r in rep['leaks'] if r.get('kind') == kind]
        label = kind
        others = pool
    hits = [r for r in pool if record_matches(r, keys)]
    spec = ' '.join('%s=%s' % kv for kv in keys)
    if negate and hits:
        raise Fail('%s: unexpected %s record %s: %s' % (name, label, spec, record_str(hits[0])))
    if not negate and not hits:
        lines = ['%s: no %s record with %s' % (name, label, spec or '(anything)')]
        if others:
            lines.append('  records there:')
            lines += ['    ' + record_str(r) for r in others[:12]]
        else:
            lines.append('  (the report has no %s records)' % ('error' if what == 'error' else kind))
        raise Fail('\n'.join(lines))


# ---------------------------------------------------------------------------------------------
# Valgrind XML -> report v1 (used by the shim)

VG_ALLOCATORS = [
    (r'^malloc$', 'malloc'), (r'^calloc$', 'calloc'), (r'^realloc', 'realloc'),
    (r'^(memalign|posix_memalign|aligned_alloc|valloc|pvalloc)$', 'memalign'),
    (r'^operator new\[\]\(unsigned long, std::align_val_t', 'new[](align_val_t)'),
    (r'^operator new\(unsigned long, std::align_val_t', 'new(align_val_t)'),
    (r'^operator new\[\]', 'new[]'), (r'^operator new', 'new'),
]


def vg_frames(stack_el):
    """Frames of a valgrind <stack>, minus valgrind's own replacement functions; returns
    (frames, name of the outermost replacement function)."""
    frames, top = [], None
    for fr in stack_el.findall('frame'):
        obj = fr.findtext('obj') or ''
        fn = fr.findtext('fn')
        if not frames and 'vgpreload' in os.path.basename(obj):
            top = fn    # the outermost replacement is what the program called (realloc -> malloc)
            continue
        line = fr.findtext('line')
        frames.append({'pc': fr.findtext('ip'), 'function': fn, 'file': fr.findtext('file'),
                       'line': int(line) if line else None, 'module': obj or None,
                       'inlined': False})
    return frames, top


def vg_allocator(fn):
    for pat, name in VG_ALLOCATORS:
        if fn and re.search(pat, fn):
            return name
    return fn or 'unknown'


def vg_split_xml(path):
    """valgrind has no per-process XML file after fork: a forked child writes its whole document
    into its parent's file, in the middle of the parent's. Returns the documents, un-nested (this
    holds when the parent waits for the child, as the tests do)."""
    docs, stack = [], []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('<?xml'):
                stack.append([])
            if not stack:
                continue
            stack[-1].append(line)
            if line.startswith('</valgrindoutput>'):
                docs.append(''.join(stack.pop()))
    docs += [''.join(d) for d in stack]     # unfinished: a process killed before the end
    return docs


def vg_xml_to_report(text, argv):
    root = ET.fromstring(text)
    pid = int(root.findtext('pid') or 0)
    kind_map = {'Leak_DefinitelyLost': 'definitely_lost', 'Leak_IndirectlyLost': 'indirectly_lost',
                'Leak_PossiblyLost': 'possibly_lost', 'Leak_StillReachable': 'still_reachable'}
    counts = {}
    for pair in root.iter('pair'):
        counts[pair.findtext('unique')] = int(pair.findtext('count'))
    summary = {k: {'bytes': 0, 'blocks': 0} for k in SUMMARY_KEYS}
    leaks, errors = [], []
    for err in root.findall('error'):
        vkind = err.findtext('kind')
        stacks = err.findall('stack')
        if vkind in kind_map:
            kind = kind_map[vkind]
            frames, top = vg_frames(stacks[0]) if stacks else ([], None)
            xw = err.find('xwhat')
            b = int(xw.findtext('leakedbytes'))
            # leakedbytes counts what hangs off the block too: "72 (24 direct, 48 indirect)".
            dm = re.match(r'^\s*[\d,]+ \(([\d,]+) direct, ', xw.findtext('text') or '')
            if dm:
                b = int(dm.group(1).replace(',', ''))
            n = int(xw.findtext('leakedblocks'))
            summary[kind]['bytes'] += b
            summary[kind]['blocks'] += n
            leaks.append({'kind': kind, 'bytes': b, 'blocks': n, 'allocator': vg_allocator(top),
                          'stack': frames})
        elif vkind in ('InvalidFree', 'MismatchedFree'):
            frames, top = vg_frames(stacks[0])
            aux = [a.text or '' for a in err.findall('auxwhat')]
            m = re.search(r'Address (0x[0-9a-fA-F]+)', ' '.join(aux))
            rec = {'address': m.group(1) if m else '0x0',
                   'count': counts.get(err.findtext('unique'), 1), 'stack': frames}
            freed = any(re.search(r"block of size [\d,]+ free'd", a) for a in aux)
            if vkind == 'MismatchedFree':
                rec['kind'] = 'mismatched_free'
            elif top and top.startswith('realloc'):
                rec['kind'] = 'realloc_freed' if freed else 'realloc_invalid'
            else:
                rec['kind'] = 'double_free' if freed else 'invalid_free'
            # The stacks after the first: "...free'd" then "Block was alloc'd at", or just alloc.
            rest = stacks[1:]
            if freed and rest:
                rec['free_stack'] = vg_frames(rest[0])[0]
                rest = rest[1:]
            if rest:
                rec['alloc_stack'] = vg_frames(rest[0])[0]
            errors.append(rec)
    return {'format': 'memplumber-report', 'version': 1, 'pid': pid, 'command': argv,
            'summary': summary, 'leaks': leaks, 'errors': errors, 'producer': 'valgrind'}


def vg_shim(args):
    """Stands in for build/memplumber: same command line, valgrind underneath."""
    opts, i = {}, 0
    while i < len(args) and args[i] != '--':
        a = args[i]
        if a in ('--json', '--log-file') and i + 1 < len(args):
            opts[a[2:]], i = args[i + 1], i + 2
            continue
        if a.startswith('--') and '=' in a:
            k, v = a[2:].split('=', 1)
            opts[k.replace('_', '-')] = v
        i += 1
    json_path, exitcode, log_path = opts.get('json'), opts.get('error-exitcode'), opts.get('log-file')
    # valgrind counts the allocator's own frame, memplumber does not.
    callers = int(opts.get('num-callers', opts.get('depth', '30'))) + 1
    prog = args[i + 1:]
    if not prog:
        sys.stderr.write('vg-shim: no program after --\n')
        return 2
    xdir = os.environ.get('EXPECT_VG_DIR') or '.'
    os.makedirs(xdir, exist_ok=True)
    before = set(os.listdir(xdir))
    cmd = ['valgrind', '--leak-check=full', '--show-leak-kinds=all', '--num-callers=%d' % callers,
           '--keep-debuginfo=yes', '--trace-children=yes', '--xml=yes',
           '--xml-file=%s/vg.%%p.xml' % xdir, '--log-file=%s/vg.%%p.log' % xdir]
    if exitcode is not None:
        # valgrind counts loss records as errors only under an explicit --leak-check=full (its
        # default is summary) or --xml=yes; the shim's own XML forces full, so otherwise no
        # loss record may count.
        lc = opts.get('leak-check')
        kinds = opts.get('errors-for-leak-kinds', 'definite,possible')
        cmd += ['--error-exitcode=%s' % exitcode, '--errors-for-leak-kinds=%s' % (
            kinds if lc in ('full', 'yes') or opts.get('xml') == 'yes' else 'none')]
    for k in ('malloc-fill', 'free-fill', 'leak-check-heuristics'):  # valgrind's own, same spelling
        if k in opts:
            cmd.append('--%s=%s' % (k, opts[k]))
    rc = subprocess.call(cmd + prog)
    if log_path:
        for f in sorted(os.listdir(xdir)):
            if f not in before and f.endswith('.log'):
                pid = f.split('.')[1]
                shutil.copyfile(os.path.join(xdir, f), log_path.replace('%p', pid))
    if json_path:
        for f in sorted(os.listdir(xdir)):
            if f in before or not f.endswith('.xml'):
                continue
            for doc in vg_split_xml(os.path.join(xdir, f)):
                try:
                    rep = vg_xml_to_report(doc, prog)
                except ET.ParseError as e:
                    sys.stderr.write('vg-shim: %s: %s\n' % (f, e))
                    continue
                with open(json_path.replace('%p', str(rep['pid'])), 'w') as out:
                    json.dump(rep, out, indent=1)
    if rc < 0:
        signal.signal(-rc, signal.SIG_DFL)
        os.kill(os.getpid(), -rc)
    return rc


# ---------------------------------------------------------------------------------------------
# Running one test


class Test:
    def __init__(self, src, work, memplumber, tprefix='t'):
        self.src = os.path.abspath(src)
        self.tprefix = tprefix
        self.stem = os.path.splitext(os.path.basename(src))[0]
        self.work = work
        self.memplumber = memplumber
        self.lines = parse_header(self.src)
        self.captures = {}
        self.subst = {}

    def directive(self, key):
        return [v for _, k, v in self.lines if k == key]

    def build(self, compile=True):
        """Compiles the program and its companions into the work directory (compile=False: they
        are there already, from an earlier run of the same test)."""
        if compile:
            shutil.rmtree(self.work, ignore_errors=True)
            os.makedirs(self.work)
        else:
            for f in glob.glob(os.path.join(self.work, self.tprefix + '.*')):
                if os.path.isdir(f):
                    shutil.rmtree(f)
                else:
                    os.unlink(f)
        cxx = self.src.endswith('.cc')
        srcdir = os.path.dirname(self.src)
        binp = os.path.join(self.work, self.stem)
        self.subst = {'%memplumber': self.memplumber, '%bin': binp,
                      '%t': os.path.join(self.work, self.tprefix),
                      '%lib': os.path.join(BUILD, 'libmemplumber.so'), '%S': srcdir,
                      '%so': '', '%aux': ''}
        extra = ' '.join(self.directive('BUILD'))
        if compile:
            self.compile(cxx, [self.src], binp, extra, [])
        for kind in ('BUILD-SO', 'BUILD-AUX'):
            vals = self.directive(kind)
            if len(vals) > 1:
                raise Fail('at most one %s line' % kind)
            if vals:
                toks = shlex.split(vals[0])
                comp = os.path.join(srcdir, toks[0])
                out = os.path.join(self.work, os.path.splitext(toks[0])[0])
                if kind == 'BUILD-SO':
                    out += '.so'
                    self.subst['%so'] = out
                    if compile:
                        self.compile(comp.endswith('.cc'), [comp], out, ' '.join(toks[1:]),
                                     ['-shared', '-fPIC'])
                else:
                    self.subst['%aux'] = out
                    if compile:
                        self.compile(comp.endswith('.cc'), [comp], out, ' '.join(toks[1:]), [])

    def compile(self, cxx, srcs, out, extra, pre):
        cmd = (['g++' if cxx else 'gcc', '-O2', '-g'] + pre + shlex.split(extra) + srcs
               + ['-o', out, '-pthread', '-ldl'])
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=self.work)
        if p.returncode != 0:
            raise Fail('compile failed: %s\n%s' % (' '.join(cmd), p.stdout[-3000:]))

    def expand(self, s):
        s = re.sub(r'\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]', lambda m: self.capture(m.group(1)), s)
        # Longest names first so that %so does not eat the start of a longer name.
        for k in sorted(self.subst, key=len, reverse=True):
            s = s.replace(k, self.subst[k])
        return s

    def capture(self, name):
        if name not in self.captures:
            raise Fail('[[%s]] used before a CAPTURE defines it' % name)
        return self.captures[name]

    def run_cmd(self, cmd, timeout, env_extra):
        env = dict(os.environ)
        for k in ('LD_PRELOAD', 'MEMPLUMBER_OPTIONS'):
            env.pop(k, None)
        env.update(env_extra)
        try:
            p = subprocess.run(['bash', '-c', cmd], cwd=self.work, env=env, timeout=timeout,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        except subprocess.TimeoutExpired:
            raise Fail('timed out after %ds: %s' % (timeout, cmd))
        rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return (rc, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace'))

    def run(self, check=True, check_stderr=True, timeout_scale=1, env_extra=None, compile=True):
        """Runs the directives in order; returns the reports the expectations were checked
        against, in order. check=False: run and load the reports, check nothing else."""
        if not any(k in EXPECTATIONS for _, k, _v in self.lines):
            raise Fail('no expectation (EXPECT, EXPECT-NOT, STDOUT or STDERR line) in the header')
        if not self.directive('RUN'):
            raise Fail('no RUN line')
        timeout = int((self.directive('TIMEOUT') or ['120'])[-1]) * timeout_scale
        self.build(compile)
        # EXIT lines belong to the RUN line above them; a RUN line without one must exit 0.
        runs = []
        for _, k, v in self.lines:
            if k == 'RUN':
                runs.append([v, None])
            elif k == 'EXIT':
                if not runs or runs[-1][1] is not None:
                    raise Fail('EXIT: must follow a RUN line (one EXIT per RUN)')
                runs[-1][1] = v
        out = err = ''
        run_idx = 0
        report_path = None
        reports = {}
        checked = []

        def current_report():
            path = report_path or self.expand('%t.json')
            if path not in reports:
                reports[path] = load_report(path)
                checked.append(path)
            return path, reports[path]

        for _, k, v in self.lines:
            if k == 'RUN':
                cmd, want = runs[run_idx]
                run_idx += 1
                cmd = self.expand(cmd)
                rc, out, err = self.run_cmd(cmd, timeout, env_extra or {})
                want = (want or '0').strip()
                ok = (want == 'any' or (want == 'nonzero' and rc != 0)
                      or (want.isdigit() and rc == int(want)))
                if check and not ok:
                    raise Fail('exit status %d, want %s: %s\n  stderr (tail):\n%s'
                               % (rc, want, cmd, indent(tail(err, 25), 4)))
                reports.clear()
            elif k == 'CAPTURE':
                m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*)=(.*)$', v)
                if not m:
                    raise Fail('CAPTURE wants NAME=regex, got %r' % v)
                mm = re.search(m.group(2), out, re.M)
                if not mm:
                    raise Fail('CAPTURE %s: /%s/ not found in stdout:\n%s'
                               % (m.group(1), m.group(2), indent(tail(out, 10), 4)))
                self.captures[m.group(1)] = mm.group(1) if mm.groups() else mm.group(0)
            elif k == 'JSON':
                pat = self.expand(v)
                files = sorted(glob.glob(pat))
                if len(files) != 1:
                    raise Fail('JSON: %s matches %d files, want 1: %s'
                               % (v, len(files), [os.path.basename(f) for f in files]))
                report_path = files[0]
            elif k in ('EXPECT', 'EXPECT-NOT'):
                path, rep = current_report()
                if check:
                    check_expect(rep, os.path.basename(path), v, k == 'EXPECT-NOT')
            elif not check:
                continue
            elif k == 'EXPECT-FILE-COUNT':
                toks = v.rsplit(None, 1)
                if len(toks) != 2 or not toks[1].isdigit():
                    raise Fail('EXPECT-FILE-COUNT wants "GLOB N", got %r' % v)
                files = glob.glob(self.expand(toks[0]))
                if len(files) != int(toks[1]):
                    raise Fail('%s matches %d files, want %s: %s'
                               % (toks[0], len(files), toks[1],
                                  [os.path.basename(f) for f in files]))
                for f in files:
                    if f.endswith('.json'):
                        load_report(f)
            elif k == 'STDOUT':
                if v not in out.splitlines():
                    raise Fail('stdout has no line %r; stdout (tail):\n%s'
                               % (v, indent(tail(out, 10), 4)))
            elif k == 'STDOUT-NOT':
                if v in out:
                    raise Fail('stdout contains %r' % v)
            elif k == 'STDOUT-RE':
                if not re.search(v, out, re.M):
                    raise Fail('stdout does not match /%s/; stdout (tail):\n%s'
                               % (v, indent(tail(out, 10), 4)))
            elif k in ('STDERR', 'STDERR-NOT', 'STDERR-RE'):
                if not check_stderr:
                    continue
                if k == 'STDERR' and not any(v in line for line in err.splitlines()):
                    raise Fail('stderr has no line containing %r; stderr (tail):\n%s'
                               % (v, indent(tail(err, 15), 4)))
                if k == 'STDERR-NOT' and v in err:
                    raise Fail('stderr contains %r' % v)
                if k == 'STDERR-RE' and not re.search(v, err, re.M):
                    raise Fail('stderr does not match /%s/; stderr (tail):\n%s'
                               % (v, indent(tail(err, 15), 4)))
            elif k == 'FILE-EXISTS':
                if not os.path.exists(self.expand(v)):
                    raise Fail('%s does not exist' % v)
            elif k == 'FILE-NOT-EXISTS':
                if os.path.exists(self.expand(v)):
                    raise Fail('%s exists' % v)
        return checked

    def has_error_expectations(self):
        return any(k == 'EXPECT' and v.split()[:1] in (['error'], ['error:'])
                   for _, k, v in self.lines)


def tail(s, n):
    return '\n'.join(s.rstrip('\n').split('\n')[-n:])


def indent(s, n):
    return '\n'.join(' ' * n + line for line in s.split('\n'))


def summary_tuple(rep):
    return tuple((rep['summary'][k]['bytes'], rep['summary'][k]['blocks']) for k in LEAK_KINDS)


def summary_str(t):
    short = ('definite', 'indirect', 'possible', 'reachable')
    return ', '.join('%s %d/%d' % (short[i], t[i][0], t[i][1]) for i in range(4))


def error_counts(rep):
    c = collections.Counter()
    for e in rep['errors']:
        vk = VG_ERROR_KIND.get(e['kind'])
        if vk:
            c[vk] += int(e.get('count', 1))
    return dict(c)


def mode_e2e(src, work, memplumber):
    if not os.access(memplumber, os.X_OK):
        raise Fail('%s is not built' % memplumber)
    Test(src, work, memplumber).run()


def mode_valgrind(src, work, memplumber, reference_only=False):
    t = Test(src, work, '')
    skip = t.directive('VALGRIND')
    if skip and skip[0].startswith('skip'):
        raise Skip(skip[0][4:].strip() or 'VALGRIND: skip')
    if not shutil.which('valgrind'):
        raise Skip('valgrind is not installed')
    t.memplumber = '%s %s --vg-shim' % (shlex.quote(sys.executable),
                                         shlex.quote(os.path.abspath(__file__)))
    # (A) the corpus against the reference.
    try:
        vg_reports = [load_report(p) for p in
                      t.run(check_stderr=False, timeout_scale=5,
                            env_extra={'EXPECT_VG_DIR': os.path.join(work, 't.xml')})]
    except Fail as e:
        raise Fail('the test disagrees with valgrind (fix the test):\n' + indent(str(e), 2))
    if reference_only:
        return
    # (B) memplumber against the reference: the same runs, only the verdicts compared.
    if not os.access(memplumber, os.X_OK):
        raise Fail('%s is not built' % memplumber)
    try:
        mp_paths = Test(src, work, memplumber, tprefix='mp').run(check=False, compile=False)
    except Fail as e:
        raise Fail('memplumber run failed:\n' + indent(str(e), 2))
    problems = []
    for i, (vg, mpp) in enumerate(zip(vg_reports, mp_paths)):
        mp = load_report(mpp)
        a, b = summary_tuple(vg), summary_tuple(mp)
        if a != b:
            problems.append('report %d (%s): memplumber %s; valgrind %s'
                            % (i + 1, os.path.basename(mpp), summary_str(b), summary_str(a)))
        if t.has_error_expectations():
            ea, eb = error_counts(vg), error_counts(mp)
            if ea != eb:
                problems.append('report %d: heap errors: memplumber %s; valgrind %s'
                                % (i + 1, eb, ea))
    if len(vg_reports) != len(mp_paths):
        problems.append('%d reports from valgrind, %d from memplumber'
                        % (len(vg_reports), len(mp_paths)))
    if problems:
        raise Fail('memplumber disagrees with valgrind:\n' + '\n'.join('  ' + p for p in problems))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--vg-shim':
        return vg_shim(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mode', choices=('e2e', 'valgrind'), default='e2e')
    ap.add_argument('--work', help='work directory (default build/tests/<mode>/<dir>/<name>)')
    ap.add_argument('--memplumber', default=os.path.join(BUILD, 'memplumber'))
    ap.add_argument('--reference-only', action='store_true',
                    help='valgrind mode: check the test against valgrind only (for writing tests)')
    ap.add_argument('test')
    a = ap.parse_args()
    src = os.path.abspath(a.test)
    sub = os.path.basename(os.path.dirname(src))
    work = a.work or os.path.join(BUILD, 'tests', a.mode, sub,
                                  os.path.splitext(os.path.basename(src))[0])
    try:
        if a.mode == 'e2e':
            mode_e2e(src, os.path.abspath(work), os.path.abspath(a.memplumber))
        else:
            mode_valgrind(src, os.path.abspath(work), os.path.abspath(a.memplumber),
                          a.reference_only)
    except Skip as e:
        print(str(e))
        return 77
    except Fail as e:
        print(str(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
