#!/usr/bin/env python3
"""A minimal driver of Debian's headless chromium over the DevTools protocol, for the HTML report
tests (html_report.sh) and for docs/leaky-report.png (scripts/report-screenshot). No third-party
module: chromium is started with --remote-debugging-pipe, which speaks the protocol as
NUL-terminated JSON messages on file descriptors 3 (to the browser) and 4 (from it).

  browser.py check-report REPORT.html REPORT.json [--growth] [--big]
      loads the page, asserts what a user sees (see check_report) and prints one line per check
  browser.py check-hostile REPORT.html
      a page whose names hold markup and control characters: nothing of them runs, each frame
      of a stack is one line (see check_hostile)
  browser.py screenshot REPORT.html OUT.png [--hover FUNCTION]
      a 1280-wide screenshot of the whole page
Exit status: 0 all checks passed, 1 a check failed, 77 chromium is missing.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


def find_chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    def __init__(self, width=1280, height=900):
        exe = find_chromium()
        if not exe:
            raise FileNotFoundError('chromium')
        self.profile = tempfile.mkdtemp(prefix='mp-chromium-')
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        # the child's ends move to fds 3 and 4: first above them, so dup2 never meets itself
        hi_r = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_r)
        os.close(from_w)
        to_r, from_w = hi_r, hi_w

        def child_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        self.proc = subprocess.Popen(
            [exe, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
             '--no-default-browser-check', '--disable-extensions', '--disable-dev-shm-usage',
             '--remote-debugging-pipe', '--user-data-dir=' + self.profile,
             '--window-size=%d,%d' % (width, height), 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self.buf = b''
        self.next_id = 0
        self.events = []
        self.session = None
        targets = self.call('Target.getTargets')['targetInfos']
        page = [t for t in targets if t['type'] == 'page']
        tid = page[0]['targetId'] if page else self.call('Target.createTarget',
                                                         url='about:blank')['targetId']
        self.session = self.call('Target.attachToTarget', targetId=tid, flatten=True)['sessionId']
        for domain in ('Runtime', 'Log', 'Page'):
            self.call(domain + '.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _read(self, timeout):
        r, _, _ = select.select([self.from_r], [], [], timeout)
        if not r:
            return None
        chunk = os.read(self.from_r, 1 << 20)
        if not chunk:
            raise RuntimeError('chromium closed the DevTools pipe')
        self.buf += chunk
        return True

    def _messages(self):
        while b'\0' in self.buf:
            raw, self.buf = self.buf.split(b'\0', 1)
            yield json.loads(raw)

    def call(self, method, timeout=60, **params):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params}
        if self.session and not method.startswith('Target.'):
            msg['sessionId'] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b'\0')
        end = time.time() + timeout
        while True:
            for m in self._messages():
                if m.get('id') == self.next_id:
                    if 'error' in m:
                        raise RuntimeError('%s: %s' % (method, m['error']))
                    return m.get('result', {})
                if 'method' in m:
                    self.events.append(m)
            if time.time() > end:
                raise TimeoutError(method)
            self._read(max(0.0, end - time.time()))

    def wait_event(self, name, timeout=60):
        end = time.time() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get('method') == name:
                    del self.events[i]
                    return m
            for m in self._messages():
                self.events.append(m)
            if any(m.get('method') == name for m in self.events):
                continue
            if time.time() > end:
                raise TimeoutError(name)
            self._read(max(0.0, end - time.time()))

    def eval(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('page script failed: %s: %s' % (expr, r['exceptionDetails']))
        return r['result'].get('value')

    def load(self, path, timeout=60):
        self.events = []
        self.call('Page.navigate', url='file://' + os.path.abspath(path))
        self.wait_event('Page.loadEventFired', timeout)
        end = time.time() + timeout
        while self.eval("document.body && document.body.dataset.ready || ''") != '1':
            if time.time() > end:
                raise TimeoutError('the page never finished drawing (body.dataset.ready)')
            time.sleep(0.05)

    def errors(self):
        """Console errors and uncaught exceptions seen so far."""
        for m in self._messages():
            self.events.append(m)
        out = []
        for m in self.events:
            p = m.get('params', {})
            if m.get('method') == 'Runtime.exceptionThrown':
                out.append('exception: %s' % p.get('exceptionDetails', {}).get('exception', {})
                           .get('description', p))
            elif m.get('method') == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
                out.append('console.%s: %s' % (p['type'], [a.get('value') for a in p.get('args', [])]))
            elif m.get('method') == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
                out.append('log: %s' % p['entry'].get('text'))
        return out

    def mouse(self, kind, x, y):
        if kind == 'move':
            self.call('Input.dispatchMouseEvent', type='mouseMoved', x=x, y=y)
        else:
            for t in ('mousePressed', 'mouseReleased'):
                self.call('Input.dispatchMouseEvent', type=t, x=x, y=y, button='left', clickCount=1)

    def click_element(self, selector):
        """A real mouse click at the centre of the element (scrolled into view first)."""
        r = self.eval("(function(){var e=document.querySelector(%s);e.scrollIntoView({block:'center'});"
                      "var r=e.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];})()"
                      % json.dumps(selector))
        self.mouse('click', r[0], r[1])

    def screenshot(self, out):
        h = self.eval('document.documentElement.scrollHeight')
        self.call('Emulation.setDeviceMetricsOverride', width=1280, height=min(int(h), 4000),
                  deviceScaleFactor=1, mobile=False)
        data = self.call('Page.captureScreenshot', format='png')['data']
        with open(out, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call('Browser.close', timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)
        shutil.rmtree(self.profile, ignore_errors=True)


# ---- the HTML report's checks ----------------------------------------------------------------

LOST = ('definitely_lost', 'indirectly_lost', 'possibly_lost')


def commas(n):
    return '{:,}'.format(n)


class Checker:
    def __init__(self):
        self.failed = 0

    def ok(self, cond, what, detail=''):
        print('%s %s%s' % ('ok  ' if cond else 'FAIL', what, '' if cond or not detail else ': ' + str(detail)))
        if not cond:
            self.failed += 1
        return cond


def expected_tree_level(report, depth):
    """{(function, file basename): bytes} of the icicle's row `depth` (1 = outermost frames),
    computed from the JSON report: lost kinds, stacks outermost first, merged per function+file."""
    out = {}
    for r in report['leaks']:
        if r['kind'] not in LOST or len(r['stack']) < depth:
            continue
        f = r['stack'][len(r['stack']) - depth]
        key = f['function'] or '?'
        out[key] = out.get(key, 0) + r['bytes']
    return out


def d_new(b):
    """The page is a report of what is new (memplumber report --new)."""
    return b.eval("JSON.parse(document.getElementById('mp-data').textContent).only_new === true")


def check_report(b, html, report, growth=False, big=False):
    c = Checker()
    t0 = time.time()
    b.load(html)
    load_s = time.time() - t0
    c.ok(not b.errors(), 'loads without console errors', b.errors())
    print('note: page loaded and drawn in %.2f s (script %.0f ms), %d loss records'
          % (load_s, b.eval('window.mpRenderMs'), len(report['leaks'])))
    ext = b.eval("Array.from(document.querySelectorAll('[src],link[href]')).length")
    c.ok(ext == 0, 'no external resources', ext)

    # totals, as printed
    s = report['summary']
    for k in ('definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable'):
        got = b.eval("[document.getElementById('sum-%s-bytes').textContent,"
                     "document.getElementById('sum-%s-blocks').textContent]" % (k, k))
        c.ok(got == [commas(s[k]['bytes']), commas(s[k]['blocks'])],
             'summary %s shows %s bytes in %s blocks' % (k, commas(s[k]['bytes']),
                                                         commas(s[k]['blocks'])), got)
    got = b.eval("document.getElementById('sum-errors').textContent")
    c.ok(got == commas(s['errors']), 'summary shows %d heap errors' % s['errors'], got)
    nerr = b.eval("document.querySelectorAll('#errors .err').length")
    c.ok(nerr == len(report['errors']), '%d heap-misuse errors listed' % len(report['errors']), nerr)
    for e in report['errors']:
        n = b.eval("document.querySelectorAll('#errors .err[data-kind=\"%s\"]').length" % e['kind'])
        c.ok(n >= 1, 'error %s listed' % e['kind'], n)

    # the table: default kinds are the lost ones; rows match the JSON report
    shown = [r for r in report['leaks'] if r['kind'] in LOST]
    got = b.eval("document.getElementById('shown').textContent")
    c.ok(got == commas(len(shown)), 'table says %d records shown' % len(shown), got)
    rows = lambda: b.eval("Array.from(document.querySelectorAll('#leaks tr.rec')).map(function(r){"
                          "return [+r.dataset.bytes,+r.dataset.blocks,r.dataset.kind]})")
    first = rows()
    c.ok(len(first) == min(500, len(shown)), 'first page has %d rows' % min(500, len(shown)), len(first))
    want = sorted([(r['bytes'], r['blocks'], r['kind']) for r in shown], reverse=True)
    c.ok(sorted(map(tuple, first), reverse=True) == want[:len(first)] and
         [x[0] for x in first] == sorted([x[0] for x in first], reverse=True),
         'rows are the largest records, largest first')
    # sort by blocks: click the header (descending), again (ascending)
    b.click_element('#leaks th[data-sort=blocks]')
    got = rows()
    blocks = [x[1] for x in got]
    c.ok(blocks == sorted(blocks, reverse=True) and blocks[0] == max(r['blocks'] for r in shown),
         'click on Blocks sorts by blocks, most first', blocks[:10])
    b.click_element('#leaks th[data-sort=blocks]')
    got = rows()
    blocks = [x[1] for x in got]
    c.ok(blocks == sorted(blocks) and blocks[0] == min(r['blocks'] for r in shown),
         'second click sorts by blocks, fewest first', blocks[:10])
    b.click_element('#leaks th[data-sort=bytes]')
    got = rows()
    c.ok([x[0] for x in got] == sorted([x[0] for x in got], reverse=True),
         'click on Bytes sorts by bytes, most first')
    # a row's full stack on click
    b.click_element('#leaks tr.rec')
    nfr = b.eval("(function(){var r=document.querySelector('#leaks tr.rec');"
                 "var n=r.nextElementSibling;return n&&n.classList.contains('stackrow')?"
                 "n.querySelectorAll('li').length:-1})()")
    top = [r for r in shown if r['bytes'] == got[0][0] and r['blocks'] == got[0][1]]
    c.ok(nfr > 0 and any(nfr == len(r['stack']) for r in top),
         'click on a row shows its full stack', nfr)
    # kind filter: still reachable on
    b.click_element('#records input.kind[value=still_reachable]')
    got = b.eval("document.getElementById('shown').textContent")
    c.ok(got == commas(len(report['leaks'])), 'still reachable checked: all %d records'
         % len(report['leaks']), got)
    if big:
        b.click_element('#all')
        n = b.eval("document.querySelectorAll('#leaks tr.rec').length")
        c.ok(n == len(report['leaks']), '"Show all" draws all %d rows' % len(report['leaks']), n)

    # the icicle graph: hover names the function with its file:line, click zooms
    geo = b.eval("(function(){var c=document.getElementById('flame');c.scrollIntoView({block:'start'});"
                 "var r=c.getBoundingClientRect();return [r.left,r.top,r.width,r.height,"
                 "+c.dataset.row,c.dataset.zoom]})()")
    left, top_, width, height, row, zoom = geo
    c.ok(zoom == 'all', 'icicle starts unzoomed', zoom)

    def hover(x, depth):
        b.mouse('move', left + x, top_ + depth * row + row / 2)
        return b.eval("(function(){var t=document.getElementById('tip');"
                      "return t.style.display==='block'?t.innerText:''})()")
    level = expected_tree_level(report, 2)
    found = {}
    for i in range(1, 40):
        t = hover(width * i / 40.0, 2)
        if t:
            found[t.split('\n')[0]] = (t, width * i / 40.0)
    c.ok(set(found) <= set(level) and found, 'hover on row 2 names its functions',
         (sorted(found), sorted(level)))
    for fn, (t, _) in found.items():
        c.ok(commas(level[fn]) + ' bytes' in t, 'tooltip of %s shows %s bytes' % (fn, commas(level[fn])), t)
        files = [f for r in report['leaks'] if r['kind'] in LOST and len(r['stack']) >= 2
                 for f in [r['stack'][-2]] if f['function'] == fn and f['file']]
        if files:
            c.ok(files[0]['file'] + ':' in t and str(files[0]['line']) in t,
                 'tooltip of %s shows %s:%d' % (fn, os.path.basename(files[0]['file']), files[0]['line']), t)
    if found:
        fn, (_, x) = min(found.items(), key=lambda kv: level[kv[0]])
        b.mouse('click', left + x, top_ + 2 * row + row / 2)
        zoom = b.eval("document.getElementById('flame').dataset.zoom")
        c.ok(zoom.endswith(' > ' + fn), 'click on %s zooms to it' % fn, zoom)
        edges = [hover(3, 2).split('\n')[0], hover(width - 3, 2).split('\n')[0]]
        c.ok(edges == [fn, fn], 'zoomed: %s spans the whole width' % fn, edges)
        crumb = b.eval("document.getElementById('fg-path').innerText")
        c.ok(fn in crumb, 'breadcrumb names %s' % fn, crumb)
        # "List its records": the table filtered to the function, with the graph's kinds
        b.click_element('#fg-list')
        q = fn.lower()
        want = [r for r in report['leaks'] if r['kind'] in LOST and (q in r['allocator'].lower() or any(
            q in (f['function'] or '').lower() or q in (f['file'] or '').lower() or
            q in (f['module'] or '').lower() or q in f['pc'] for f in r['stack']))]
        got = b.eval("[document.getElementById('filter').value, document.getElementById('shown').textContent]")
        c.ok(got == [fn, commas(len(want))], '"List its records" shows the %d records with %s'
             % (len(want), fn), got)
        b.eval("(function(){var f=document.getElementById('filter');f.value='';"
               "f.dispatchEvent(new Event('input'))})()")
        time.sleep(0.4)     # the filter box waits 120 ms for more typing
        b.click_element('#records input.kind[value=still_reachable]')
        got = b.eval("document.getElementById('shown').textContent")
        c.ok(got == commas(len(report['leaks'])),
             'an empty filter and every kind checked: all records again', got)
        b.eval("document.getElementById('flame').scrollIntoView({block:'start'})")
        geo = b.eval("(function(){var r=document.getElementById('flame').getBoundingClientRect();"
                     "return [r.left,r.top]})()")
        left, top_ = geo
        b.mouse('click', left + width / 2, top_ + row / 2)
        zoom = b.eval("document.getElementById('flame').dataset.zoom")
        c.ok(zoom == 'all', 'click on the top row zooms back out', zoom)

    if growth:
        # the timeline and suspects against the JSON report of the same run (or, for a page whose
        # data was made up by the test, against that data)
        d = b.eval("JSON.parse(document.getElementById('mp-data').textContent)")
        src = report if report.get('snapshots') else d
        npts = b.eval("document.querySelectorAll('#timeline circle.dot').length")
        c.ok(npts == len(src['snapshots']), 'timeline has one point per snapshot (%d)'
             % len(src['snapshots']), npts)
        sus = b.eval("Array.from(document.querySelectorAll('#suspects tbody tr')).map(function(r){"
                     "return r.innerText})")
        c.ok(len(sus) == len(src['growth']), '%d growth suspects listed' % len(src['growth']), sus)
        top = src['growth'][0]['stack'] if src['growth'] else None
        if isinstance(top, list) and top:
            c.ok(sus and top[0]['function'] in sus[0], 'suspect #1 is %s' % top[0]['function'], sus[:1])
        mark = b.eval("document.querySelectorAll('#timeline .suspect').length")
        c.ok(mark == (1 if src['growth'] else 0), 'top growth suspect marked on the timeline', mark)
        badge = b.eval("document.querySelectorAll('#leaks .badge').length")
        c.ok(badge >= 1, 'loss records of a growth suspect marked "growing"', badge)
    if d_new(b):
        d = b.eval("JSON.parse(document.getElementById('mp-data').textContent)")
        h1 = b.eval("document.querySelector('h1').textContent")
        c.ok(h1.endswith('#%d' % d['report_seq']), 'title shows report #%d' % d['report_seq'], h1)
        note = b.eval("(document.getElementById('only-new')||{}).textContent||''")
        c.ok('since report #%d' % d['new_since_report'] in note, 'says what the report is new since', note)
        ages = b.eval("Array.from(document.querySelectorAll('#leaks tr.rec')).map(function(r){"
                      "return r.children[5].textContent})")
        want_ages = sorted(['%d s' % r[6] if r[6] < 60 else '1m %02ds' % (r[6] - 60) for r in d['leaks']])
        c.ok(sorted(ages) == want_ages, 'Age column shows the oldest block ages', (ages, want_ages))
        inc = b.eval("Array.from(document.querySelectorAll('#leaks tr.rec')).map(function(r){"
                     "var e=r.children[1].querySelector('.inc');return e?e.textContent:''})")
        want_inc = sorted('+' + commas(r[8]) for r in d['leaks'])
        c.ok(sorted(inc) == want_inc, 'bytes increases shown', (inc, want_inc))
    c.ok(not b.errors(), 'no console errors after the interactions', b.errors())
    return c.failed


def check_hostile(b, html):
    """A page whose names hold markup and control characters: nothing of them runs or becomes
    an element, and each frame of a stack is one line."""
    c = Checker()
    b.call('Page.addScriptToEvaluateOnNewDocument',
           source='window.__pwn=[];window.alert=function(x){window.__pwn.push(String(x))};')
    b.load(html)
    b.eval("document.getElementById('allstacks').click()")
    b.eval("document.querySelectorAll('details').forEach(function(d){d.open=true})")
    # hover every row of the icicle graph: its tooltips are markup too
    geo = b.eval("(function(){var c=document.getElementById('flame');c.scrollIntoView();"
                 "var r=c.getBoundingClientRect();return [r.left,r.top,r.width,r.height]})()")
    for y in range(int(geo[1]) + 4, int(geo[1] + geo[3]), 18):
        for x in range(int(geo[0]) + 4, int(geo[0] + geo[2]), 150):
            b.mouse('move', x, y)
    lis = b.eval("Array.from(document.querySelectorAll('ol.stack li')).map(function(e){"
                 "return e.innerText})")
    c.ok(len(lis) >= 2 and not any('\n' in t for t in lis), 'every frame of a stack is one line',
         repr(lis[:4]))
    c.ok(b.eval('window.__pwn') == [], 'no script of the names ran', repr(b.eval('window.__pwn')))
    n = b.eval("document.scripts.length + ' ' + document.querySelectorAll("
               "'img,iframe,object,embed,svg script').length")
    c.ok(n == '2 0', 'no element made of the names (scripts, injected elements)', n)
    c.ok(not b.errors(), 'no console errors', repr(b.errors()))
    return c.failed


def main(argv):
    if len(argv) == 2 and argv[0] == 'check-hostile':
        argv = argv + ['']
    if len(argv) < 3 or argv[0] not in ('check-report', 'check-hostile', 'screenshot'):
        print(__doc__.strip())
        return 2
    if not find_chromium():
        print('skip: chromium is not installed (scripts/install-deps --test installs it)')
        return 77
    b = Browser()
    try:
        if argv[0] == 'check-hostile':
            return 1 if check_hostile(b, argv[1]) else 0
        if argv[0] == 'check-report':
            with open(argv[2]) as f:
                report = json.load(f)
            return 1 if check_report(b, argv[1], report, '--growth' in argv, '--big' in argv) else 0
        b.load(argv[1])
        if '--hover' in argv:
            fn = argv[argv.index('--hover') + 1]
            geo = b.eval("(function(){var c=document.getElementById('flame');"
                         "var r=c.getBoundingClientRect();return [r.left,r.top+window.scrollY,r.width,"
                         "+c.dataset.row]})()")
            for i in range(1, 60):
                for d in range(1, 6):
                    x, y = geo[0] + geo[2] * i / 60.0, geo[1] + d * geo[3] + geo[3] / 2
                    b.mouse('move', x, y)
                    t = b.eval("document.getElementById('tip').innerText")
                    if t.split('\n')[0] == fn:
                        break
                else:
                    continue
                break
        b.screenshot(argv[2])
        return 0
    finally:
        b.close()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
