#!/usr/bin/env python3
"""Runs one adversarial program natively and under memplumber and compares what a user sees.

usage: tests/adversarial/check.py PROGRAM.c|PROGRAM.cc     (exit 0 pass, 1 fail, 77 skip)
       MP_VIA_CLI=1 tests/adversarial/check.py ...    (run through the memplumber command)

The program is built with gcc (-O0 -g -pthread; g++ -std=gnu++17 for .cc) and run twice, each time in a fresh directory
prepared the same way: natively, then with libmemplumber.so preloaded (MEMPLUMBER_OPTIONS sets
json=<dir>/mp.json unless the test says otherwise). Compared: the wait status (exit status or
killing signal; core dumps are turned off), stdout, stderr without memplumber's own lines
(==PID== and "memplumber:"), and the files the test names. Then the JSON report is checked.

Header lines of PROGRAM.c (all optional):
  // RUN: shell command line; $PROG is the program, run by bash in the test directory
  //      (default: $PROG). A pipeline's statuses (PIPESTATUS) are compared as a whole.
  // SETUP: shell commands run in the directory before the program (both runs)
  // OPTIONS: more MEMPLUMBER_OPTIONS, ':'-separated
  // FILES: files (relative to the directory) whose content must be identical in both runs
  // JSON: yes (default: mp.json must be a valid report) | no (must not exist) | any
  // JSON-CHECK: a Python expression over j (the report) that must be true; several allowed
  // STDERR-HAS: text memplumber's stderr must contain (e.g. an error message); several allowed
  // STDERR-LACKS: text memplumber's stderr must not contain
  // STDERR: compare (default) | ignore
  // ULIMIT-V: KiB for ulimit -v in both runs
  // LIBS: more linker arguments (e.g. -lstdc++ to call operator new[]/delete from C)
  // REPORT-STDERR: yes: the text report (LEAK SUMMARY) must reach stderr
  // NEEDS-LIB: a shared library's file name (libjemalloc.so.2), found with ldconfig -p: the
  //      program is linked with it, and its path is in $LIB_<name> (libjemalloc_so_2) for RUN;
  //      the test skips (77) when it is not installed
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('MP_BUILD') or os.path.join(ROOT, 'build')  # another build to test
LIB = os.path.join(BUILD, 'libmemplumber.so')
TIMEOUT = 60


def header(path):
    h = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^//\s*([A-Z][A-Z-]*):\s?(.*?)\s*$', line)
            if m:
                h.setdefault(m.group(1), []).append(m.group(2))
            elif line.strip() and not line.startswith('//'):
                break
    return h


def find_lib(name):
    """The path of an installed shared library (ldconfig's cache), or None."""
    try:
        out = subprocess.run(['ldconfig', '-p'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    except OSError:
        out = b''
    for line in out.decode('utf-8', 'replace').split('\n'):
        m = re.match(r'^\s*(\S+) \(([^)]*)\) => (\S+)$', line)
        if m and m.group(1) == name and 'x86-64' in m.group(2) and os.path.exists(m.group(3)):
            return m.group(3)
    for d in ('/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


def one(h, exe, mode, work):
    os.makedirs(work)
    for s in h.get('SETUP', []):
        subprocess.run(['bash', '-c', s], cwd=work, check=True)
    run = ' '.join(h.get('RUN', ['$PROG']))
    ulimit = 'ulimit -c 0; '
    if 'ULIMIT-V' in h:
        ulimit += 'ulimit -v %s; ' % h['ULIMIT-V'][0]
    script = ulimit + run + '\necho "${PIPESTATUS[*]}" > "$STATUS_FILE"\n'
    env = dict(os.environ)
    for k in ('LD_PRELOAD', 'MEMPLUMBER_OPTIONS', 'MEMPLUMBER_ROOT_PID'):
        env.pop(k, None)
    status_file = os.path.join(os.path.dirname(work), mode + '.status')
    for name, path in h.get('_libs', {}).items():
        env['LIB_' + re.sub(r'[^A-Za-z0-9]', '_', name)] = path
    env['PROG'] = exe
    env['STATUS_FILE'] = status_file
    if mode == 'mp':
        # only the program is observed, not bash or the other commands of a pipeline
        opts = []
        if h.get('JSON', ['yes'])[0] != 'no':
            opts.append('json=' + os.path.join(work, 'mp.json'))
        opts += h.get('OPTIONS', [])
        env['PROG'] = 'env LD_PRELOAD=%s MEMPLUMBER_OPTIONS=%s %s' % (
            LIB, ':'.join(o for o in opts if o), exe)
        if os.environ.get('MP_VIA_CLI'):    # the same through the memplumber command
            env['PROG'] = 'env MEMPLUMBER_OPTIONS=%s %s -- %s' % (
                ':'.join(o for o in opts if o), os.path.join(BUILD, 'memplumber'), exe)
    try:
        p = subprocess.run(['bash', '-c', script], cwd=work, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    try:
        with open(status_file) as f:
            status = f.read().strip()
    except OSError:
        status = 'bash:%d' % p.returncode
    return status, p.stdout, p.stderr


def strip_tool(err):
    keep = []
    for line in err.decode('utf-8', 'replace').split('\n'):
        if re.match(r'^==\d+==', line) or line.startswith('memplumber:'):
            continue
        # bash's note on a child killed by a signal names its pid
        line = re.sub(r'^bash: line \d+: +\d+ ', 'bash: line N: PID ', line)
        keep.append(line)
    return '\n'.join(keep)


def main():
    src = os.path.abspath(sys.argv[1])
    h = header(src)
    stem = os.path.splitext(os.path.basename(src))[0]
    if not os.path.exists(LIB):
        print('no %s: run make' % LIB)
        return 77
    h['_libs'] = {}
    for name in ' '.join(h.get('NEEDS-LIB', [])).split():
        path = find_lib(name)
        if not path:
            print('skipped: %s is not installed' % name)
            return 77
        h['_libs'][name] = path
    tmp = tempfile.mkdtemp(prefix='mp-adv-%s-' % stem)
    fails = []
    try:
        exe = os.path.join(tmp, stem)
        libs = ' '.join(h.get('LIBS', [])).split() + list(h['_libs'].values())
        if src.endswith('.cc'):     # C++ (exceptions, std::thread): g++, libstdc++
            comp = ['g++', '-std=gnu++17']
        else:
            comp = ['gcc', '-std=gnu11']
        cc = subprocess.run(comp + ['-O0', '-g', '-pthread', src, '-o', exe] + libs,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if cc.returncode:
            print('compile failed:\n' + cc.stdout.decode())
            return 1
        nat = one(h, exe, 'native', os.path.join(tmp, 'native'))
        mp = one(h, exe, 'mp', os.path.join(tmp, 'mp'))
        if nat is None:
            print('the native run timed out (%ds): the test is broken' % TIMEOUT)
            return 1
        if mp is None:
            print('under memplumber the program did not end within %ds (natively it did)' % TIMEOUT)
            return 1
        if nat[0] != mp[0]:
            fails.append('status: native %s, under memplumber %s' % (nat[0], mp[0]))
        if nat[1] != mp[1]:
            fails.append('stdout differs:\n  native: %r\n  memplumber: %r' % (nat[1][:400], mp[1][:400]))
        mperr = mp[2].decode('utf-8', 'replace')
        if h.get('STDERR', ['compare'])[0] == 'compare' and strip_tool(nat[2]) != strip_tool(mp[2]):
            fails.append('stderr differs (memplumber lines removed):\n  native: %r\n  memplumber: %r'
                         % (strip_tool(nat[2])[:400], strip_tool(mp[2])[:400]))
        for f in h.get('FILES', []):
            for name in f.split():
                a, b = (os.path.join(tmp, d, name) for d in ('native', 'mp'))
                ca = open(a, 'rb').read() if os.path.exists(a) else None
                cb = open(b, 'rb').read() if os.path.exists(b) else None
                if ca != cb:
                    fails.append('file %s differs:\n  native: %r\n  memplumber: %r'
                                 % (name, (ca or b'(missing)')[:300], (cb or b'(missing)')[:300]))
        for s in h.get('STDERR-HAS', []):
            if s not in mperr:
                fails.append('memplumber\'s stderr lacks %r' % s)
        for s in h.get('STDERR-LACKS', []):
            if s in mperr:
                fails.append('memplumber\'s stderr has %r' % s)
        if h.get('REPORT-STDERR', ['no'])[0] == 'yes' and 'LEAK SUMMARY' not in mperr:
            fails.append('no text report (LEAK SUMMARY) on stderr')
        jpath = os.path.join(tmp, 'mp', 'mp.json')
        want = h.get('JSON', ['yes'])[0]
        if want == 'yes':
            try:
                with open(jpath) as f:
                    j = json.load(f)
                if j.get('format') != 'memplumber-report' or 'summary' not in j:
                    fails.append('mp.json is not a memplumber report')
                for expr in h.get('JSON-CHECK', []):
                    try:
                        ok = eval(expr, {'j': j, 'os': os, 'jpath': jpath})
                    except Exception as e:      # a wrong key is a failure, not a crash
                        ok, expr = False, '%s (%r)' % (expr, e)
                    if not ok:
                        fails.append('JSON check failed: %s\n  summary: %s' % (expr, json.dumps(j.get('summary'))))
            except (OSError, ValueError) as e:
                fails.append('no valid JSON report: %s' % e)
        elif want == 'no' and os.path.exists(jpath):
            fails.append('mp.json exists')
        if fails:
            print('%s:\n' % stem + '\n'.join(fails))
            print('memplumber stderr (tail):\n' + '\n'.join(mperr.rstrip().split('\n')[-15:]))
            return 1
        return 0
    finally:
        if not fails:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print('(left in %s)' % tmp)


if __name__ == '__main__':
    sys.exit(main())
