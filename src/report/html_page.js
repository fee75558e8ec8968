/* memplumber's HTML report: the script that draws the page from the JSON data in #mp-data
 * (shape: src/report/html.c). Embedded in the page by html_page.S; no external resources.
 * Sections: summary, icicle graph of bytes by allocation stack (canvas; hover shows function and
 * file:line, click zooms), growth timeline and suspects (when the report has snapshots),
 * loss-record table (sort, filter, pages of 500 rows, full stacks on click), heap errors. */
(function () {
  'use strict';
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById('mp-data').textContent);
  var S = D.strings, F = D.frames, ST = D.stacks, L = D.leaks;
  var KINDS = D.kinds, WORDS = D.kind_words;
  var LOST = { definitely_lost: 1, indirectly_lost: 1, possibly_lost: 1 };
  var app = document.getElementById('app');

  /* ---- helpers ---- */
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(n) { return Number(n).toLocaleString('en-US'); }
  function human(n) {
    var u = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0, v = n;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return i ? v.toFixed(v < 10 ? 2 : 1) + ' ' + u[i] : num(n) + (n === 1 ? ' byte' : ' bytes');
  }
  /* 3725 -> "1h 02m" */
  function age(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + ('0' + s % 60).slice(-2) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + ('0' + Math.floor(s % 3600 / 60)).slice(-2) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
  }
  function str(i) { return i >= 0 ? S[i] : null; }
  function base(p) { var k = p.lastIndexOf('/'); return k >= 0 ? p.slice(k + 1) : p; }
  function el(tag, attrs, html) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (html !== undefined) e.innerHTML = html;
    return e;
  }
  /* Names and paths may hold control characters (a newline in a directory name): shown as '?',
   * as the text report shows them, so that a frame stays on one line (stack lines keep their
   * white space). */
  function vis(s) { return s === null ? null : s.replace(/[\u0000-\u001f\u007f]/g, '?'); }
  /* frame f -> {fn, file, line, mod, pc, inl} */
  function frame(i) {
    var f = F[i];
    return { pc: f[0], fn: vis(str(f[1])), file: vis(str(f[2])), line: f[3], mod: vis(str(f[4])),
             inl: f[5] };
  }
  function fnName(f) { return f.fn || (f.mod ? base(f.mod) + ' ' + f.pc : f.pc); }
  function where(f, full) {
    if (f.file) return (full ? f.file : base(f.file)) + (f.line ? ':' + f.line : '');
    if (f.mod) return 'in ' + (full ? f.mod : base(f.mod));
    return '';
  }
  function frameHtml(f) {
    var w = where(f, false);
    return '<li' + (f.inl ? ' class="inl"' : '') + '><span class="pc">' + esc(f.pc) + '</span> ' +
      '<span class="fn">' + esc(fnName(f)) + '</span>' +
      (w ? ' <span class="loc" title="' + esc(where(f, true)) + '">(' + esc(w) + ')</span>' : '') +
      (f.inl ? ' <span class="muted">[inlined]</span>' : '') + '</li>';
  }
  function stackHtml(s) {
    var st = ST[s] || [];
    if (!st.length) return '<span class="muted">(no stack recorded)</span>';
    var h = '<ol class="stack">';
    for (var i = 0; i < st.length; i++) h += frameHtml(frame(st[i]));
    return h + '</ol>';
  }
  /* A stack's one-line summary: its first frame. */
  function siteText(s) {
    var st = ST[s] || [];
    if (!st.length) return '(no stack recorded)';
    var f = frame(st[0]), w = where(f, false);
    return fnName(f) + (w ? ' (' + w + ')' : '');
  }

  /* ---- header and summary ---- */
  var sum = D.summary;
  var head = '<h1>memplumber report' + (D.report_seq ? ' #' + D.report_seq : '') +
    '</h1><p class="meta">Command: <code>' + esc(D.command.join(' ')) + '</code> &middot; pid ' +
    D.pid + ' &middot; report at ' + esc(D.reason) + '</p>' +
    (D.only_new ? '<p class="meta" id="only-new">Only what is new or has grown since report #' +
      (D.new_since_report || 0) + ': each record shows its increase.</p>' : '') +
    (D.min_age_s ? '<p class="meta">Only blocks at least ' + esc(age(D.min_age_s)) + ' old.</p>' : '');
  var cards = '<div class="cards">';
  KINDS.forEach(function (k, i) {
    cards += '<div class="card k' + i + '" id="card-' + k + '"><div class="label">' +
      esc(WORDS[i]) + '</div><div class="big"><span id="sum-' + k + '-bytes">' +
      num(sum[k].bytes) + '</span> bytes</div><div class="small"><span id="sum-' + k +
      '-blocks">' + num(sum[k].blocks) + '</span> blocks</div></div>';
  });
  cards += '<div class="card errs"><div class="label">heap errors</div><div class="big">' +
    '<span id="sum-errors">' + num(sum.errors) + '</span></div><div class="small">' +
    num(D.errors.length) + ' distinct</div></div></div>';
  var totals = '<p class="totals">Total heap usage: ' + num(sum.total_allocated.blocks) +
    ' allocs, ' + num(sum.total_freed.blocks) + ' frees, ' + num(sum.total_allocated.bytes) +
    ' bytes allocated' + (sum.suppressed.blocks ? ' &middot; suppressed: ' +
    num(sum.suppressed.bytes) + ' bytes in ' + num(sum.suppressed.blocks) + ' blocks' : '') +
    ' &middot; ' + num(L.length) + ' loss records</p>';
  app.innerHTML = head + '<h2>Summary</h2>' + cards + totals;

  /* Loss records whose stack is a growth suspect's (marked in the table). */
  var growth = D.growth || [], snaps = D.snapshots || [];
  var growingStack = {};
  growth.forEach(function (g, i) { if (typeof g.stack === 'number') growingStack[g.stack] = i + 1; });

  /* ---- icicle graph ---- */
  var ROW = 18;
  /* the graph starts with the lost kinds, or with every kind when nothing is lost */
  var anyLost = L.some(function (r) { return LOST[KINDS[r[0]]]; });
  var fg = el('section', { id: 'fg' });
  fg.innerHTML = '<h2>Bytes by allocation stack</h2><div class="controls" id="fg-controls">' +
    KINDS.map(function (k, i) {
      return '<label><input type="checkbox" class="fg-kind" value="' + k + '"' +
        (LOST[k] || !anyLost ? ' checked' : '') + '> <span class="k' + i + '">' + esc(WORDS[i]) + '</span></label>';
    }).join('') + '<label>width: <select id="fg-weight"><option value="b">bytes</option>' +
    '<option value="n">blocks</option></select></label><button id="fg-reset" type="button">' +
    'Reset zoom</button><span class="muted">Click a frame to zoom in, a frame above it to zoom ' +
    'out; hover for details. Callers on top, allocation sites at the bottom.</span></div>' +
    '<div id="fg-path"></div><div id="fg-wrap"><canvas id="flame" role="img"></canvas></div>';
  app.appendChild(fg);
  var canvas = fg.querySelector('#flame'), cx = canvas.getContext('2d');
  var tip = el('div', { id: 'tip' });
  document.body.appendChild(tip);
  var root, zoom, rows = [], weight = 'b';

  /* One box per function and file (its lines are listed on hover); unknown functions per
   * address. fkey[frame index] numbers these. */
  var fkey = [], fkeys = {};
  F.forEach(function (f, i) {
    var k = f[1] >= 0 ? f[1] + ':' + f[2] + ':' + f[5] : 'pc' + f[0];
    fkey[i] = fkeys[k] === undefined ? (fkeys[k] = i) : fkeys[k];
  });
  function buildTree() {
    var on = {};
    fg.querySelectorAll('.fg-kind').forEach(function (c) { on[c.value] = c.checked; });
    root = { f: -1, b: 0, n: 0, kids: new Map(), list: null, parent: null, depth: 0, h: 0 };
    for (var i = 0; i < L.length; i++) {
      var r = L[i];
      if (!on[KINDS[r[0]]]) continue;
      var st = ST[r[5]] || [], node = root;
      root.b += r[2]; root.n += r[3];
      if (root.h < st.length) root.h = st.length;
      for (var j = st.length - 1; j >= 0; j--) {
        var fi = st[j], key = fkey[fi], c = node.kids.get(key);
        if (!c) {
          c = { f: fi, b: 0, n: 0, kids: new Map(), list: null, parent: node,
                depth: node.depth + 1, lines: {}, h: 0 };
          node.kids.set(key, c);
        }
        c.b += r[2]; c.n += r[3];
        if (c.h < j) c.h = j;   /* frames below it */
        if (F[fi][3]) c.lines[F[fi][3]] = 1;
        node = c;
      }
    }
    zoom = root;
  }
  function kidsOf(node) {
    if (!node.list) {
      node.list = Array.from(node.kids.values());
      node.list.sort(function (a, b) { return b[weight] - a[weight] || a.f - b.f; });
    }
    return node.list;
  }
  function nodeName(n) { return n.f < 0 ? 'all' : fnName(frame(n.f)); }
  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return h;
  }
  function color(n) {
    if (n.f < 0) return '#c9ced6';
    var f = frame(n.f), h = hue(fnName(f));
    if (!f.file) return 'hsl(' + (40 + h % 20) + ',55%,' + (70 + h % 10) + '%)';   /* no source */
    return 'hsl(' + (h % 40) + ',' + (70 + h % 20) + '%,' + (58 + (h >> 8) % 12) + '%)';
  }
  function draw() {
    var W = canvas.parentNode.clientWidth || 800, dpr = window.devicePixelRatio || 1;
    var depth = zoom.depth + zoom.h + 1, H = Math.max(depth, 3) * ROW;
    canvas.style.height = H + 'px';
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    cx.setTransform(dpr, 0, 0, dpr, 0, 0);
    cx.clearRect(0, 0, W, H);
    cx.font = '12px system-ui, sans-serif'; cx.textBaseline = 'middle';
    rows = [];
    var total = zoom[weight];
    function box(n, x, w, d, faded) {
      (rows[d] = rows[d] || []).push({ x: x, w: w, n: n });
      cx.fillStyle = color(n);
      cx.globalAlpha = faded ? 0.55 : 1;
      cx.fillRect(x + 0.5, d * ROW + 0.5, Math.max(w - 1, 0.5), ROW - 1);
      cx.globalAlpha = 1;
      if (w > 28) {
        var label = nodeName(n), room = Math.floor((w - 8) / 6.6);
        if (label.length > room) label = label.slice(0, Math.max(room - 1, 1)) + '\u2026';
        cx.fillStyle = '#1d1f23';
        cx.fillText(label, x + 4, d * ROW + ROW / 2 + 0.5);
      }
    }
    /* the zoomed frame's callers: full width, faded */
    var anc = [], a = zoom.parent;
    while (a) { anc.unshift(a); a = a.parent; }
    anc.forEach(function (n) { box(n, 0, W, n.depth, true); });
    function walk(n, x, w) {
      box(n, x, w, n.depth, false);
      var k = kidsOf(n), cxp = x;
      for (var i = 0; i < k.length; i++) {
        var cw = total ? k[i][weight] / total * W : 0;
        if (cw >= 0.5) walk(k[i], cxp, cw);
        cxp += cw;
      }
    }
    if (total) walk(zoom, 0, W);
    else {
      cx.fillStyle = '#6a6f78';
      cx.fillText('Nothing of the selected kinds.', 8, ROW / 2);
    }
    canvas.dataset.zoom = pathOf(zoom).map(nodeName).join(' > ');
    canvas.dataset.row = ROW;
    var p = document.getElementById('fg-path'), parts = pathOf(zoom);
    p.innerHTML = parts.map(function (n, i) {
      return i === parts.length - 1 ? '<b>' + esc(nodeName(n)) + '</b>' :
        '<a data-depth="' + i + '">' + esc(nodeName(n)) + '</a>';
    }).join('<span class="sep">&rsaquo;</span>') + ' <span class="muted">(' +
      num(zoom.b) + ' bytes in ' + num(zoom.n) + ' blocks)</span>' +
      (zoom.f >= 0 && F[zoom.f][1] >= 0 ? ' <button type="button" id="fg-list">List its records</button>' : '');
    canvas.setAttribute('aria-label', 'icicle graph of ' + num(zoom.b) + ' bytes by allocation stack, zoomed to ' +
      canvas.dataset.zoom);
  }
  function pathOf(n) { var p = []; for (; n; n = n.parent) p.unshift(n); return p; }
  function hit(ev) {
    var r = canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    var row = rows[Math.floor(y / ROW)] || [];
    for (var i = 0; i < row.length; i++)
      if (x >= row[i].x && x < row[i].x + row[i].w) return row[i].n;
    return null;
  }
  canvas.addEventListener('mousemove', function (ev) {
    var n = hit(ev);
    if (!n) { tip.style.display = 'none'; return; }
    var h;
    if (n.f < 0) h = '<b>all allocation stacks</b>';
    else {
      var f = frame(n.f), w = where(f, true), ls = Object.keys(n.lines).map(Number);
      if (f.file && ls.length > 1) {
        ls.sort(function (a, b) { return a - b; });
        w = f.file + ':' + (ls.length > 8 ? ls.slice(0, 8).join(', ') + ', ...' : ls.join(', '));
      }
      h = '<b>' + esc(fnName(f)) + '</b>' + (f.inl ? ' <i>[inlined]</i>' : '') +
        (w ? '<br><span class="loc">' + esc(w) + '</span>' : '') +
        (f.file && f.mod ? '<br><span class="loc">' + esc(base(f.mod)) + '</span>' : '');
    }
    var pct = root[weight] ? (100 * n[weight] / root[weight]).toFixed(1) : '0';
    h += '<br><span class="num">' + num(n.b) + ' bytes' + (n.b >= 1024 ? ' (' + esc(human(n.b)) + ')' : '') + ' in ' + num(n.n) +
      ' blocks, ' + pct + '% of all</span>';
    tip.innerHTML = h;
    tip.style.display = 'block';
    var tx = ev.clientX + 14, ty = ev.clientY + 14;
    if (tx + tip.offsetWidth > window.innerWidth - 4) tx = Math.max(4, ev.clientX - tip.offsetWidth - 14);
    if (ty + tip.offsetHeight > window.innerHeight - 4) ty = Math.max(4, ev.clientY - tip.offsetHeight - 14);
    tip.style.left = tx + 'px'; tip.style.top = ty + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('click', function (ev) {
    var n = hit(ev);
    if (n && n !== zoom) { zoom = n; draw(); }
  });
  document.getElementById('fg-path').addEventListener('click', function (ev) {
    if (ev.target.id === 'fg-list') {   /* the table, filtered to the zoomed function */
      filterBox.value = S[F[zoom.f][1]];
      lt.querySelectorAll('.kind').forEach(function (c) {
        c.checked = !!fg.querySelector('.fg-kind[value=' + c.value + ']').checked;
      });
      limit = PAGE; refresh();
      lt.scrollIntoView();
      return;
    }
    var a = ev.target.closest('a[data-depth]');
    if (a) { zoom = pathOf(zoom)[+a.dataset.depth]; draw(); }
  });
  document.getElementById('fg-reset').addEventListener('click', function () { zoom = root; draw(); });
  document.getElementById('fg-weight').addEventListener('change', function (ev) {
    weight = ev.target.value;
    (function clear(n) { if (n.list) { n.list.forEach(clear); n.list = null; } })(root);
    draw();
  });
  fg.querySelectorAll('.fg-kind').forEach(function (c) {
    c.addEventListener('change', function () { buildTree(); draw(); });
  });
  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 100);
  });

  /* ---- growth timeline ---- */
  function renderGrowth() {
    var sec = el('section', { id: 'growth' });
    var h = '<h2>Growth over time</h2>';
    if (!snaps.length) {
      sec.innerHTML = h + '<p class="muted">No snapshots in this report (record them with ' +
        '<code>--snapshot-interval=SECONDS</code>).</p>';
      return sec;
    }
    /* drawn at the page's width: one SVG unit per pixel, so the text is not stretched */
    var W = Math.max(400, (app.clientWidth || 1000) - 2), H = 240, ml = 70, mr = 16, mt = 14, mb = 28;
    var tmax = Math.max.apply(null, snaps.map(function (s) { return s.t; })) || 1;
    var bmax = Math.max.apply(null, snaps.map(function (s) { return s.live_bytes; })) || 1;
    var nmax = Math.max.apply(null, snaps.map(function (s) { return s.live_blocks; })) || 1;
    function X(t) { return ml + (W - ml - mr) * t / tmax; }
    function Y(v, m) { return mt + (H - mt - mb) * (1 - v / m); }
    var svg = '<svg id="timeline" viewBox="0 0 ' + W + ' ' + H + '">';
    for (var g = 0; g <= 4; g++) {
      var gy = mt + (H - mt - mb) * g / 4;
      svg += '<line class="grid" x1="' + ml + '" x2="' + (W - mr) + '" y1="' + gy + '" y2="' + gy +
        '"/><text class="axis" x="' + (ml - 6) + '" y="' + (gy + 4) + '" text-anchor="end">' +
        esc(human(Math.round(bmax * (4 - g) / 4))) + '</text>';
    }
    for (g = 0; g <= 5; g++) {
      svg += '<text class="axis" x="' + X(tmax * g / 5) + '" y="' + (H - 8) +
        '" text-anchor="middle">' + (tmax * g / 5).toFixed(tmax < 10 ? 1 : 0) + ' s</text>';
    }
    var pb = snaps.map(function (s) { return X(s.t).toFixed(1) + ',' + Y(s.live_bytes, bmax).toFixed(1); });
    var pn = snaps.map(function (s) { return X(s.t).toFixed(1) + ',' + Y(s.live_blocks, nmax).toFixed(1); });
    svg += '<polygon class="area" points="' + X(snaps[0].t).toFixed(1) + ',' + Y(0, 1) + ' ' +
      pb.join(' ') + ' ' + X(snaps[snaps.length - 1].t).toFixed(1) + ',' + Y(0, 1) + '"/>';
    svg += '<polyline class="blocks" points="' + pn.join(' ') + '"/>';
    svg += '<polyline class="bytes" points="' + pb.join(' ') + '"/>';
    if (snaps.length <= 400) {
      snaps.forEach(function (s) {
        svg += '<circle class="dot" r="2.5" cx="' + X(s.t).toFixed(1) + '" cy="' +
          Y(s.live_bytes, bmax).toFixed(1) + '"><title>' + s.t + ' s: ' + num(s.live_bytes) +
          ' bytes in ' + num(s.live_blocks) + ' blocks</title></circle>';
      });
    }
    /* the top suspect's rate, drawn from the last snapshot back: how much of the growth it makes */
    if (growth.length) {
      var last = snaps[snaps.length - 1], rate = growth[0].bytes_per_second;
      var t1 = Math.max(0, last.t - Math.min(last.t, rate > 0 ? last.live_bytes / rate : last.t));
      var y1 = last.live_bytes - rate * (last.t - t1);
      svg += '<line class="suspect" x1="' + X(t1).toFixed(1) + '" y1="' + Y(y1, bmax).toFixed(1) +
        '" x2="' + X(last.t).toFixed(1) + '" y2="' + Y(last.live_bytes, bmax).toFixed(1) +
        '"><title>growth suspect #1: ' + num(Math.round(rate)) + ' bytes/s</title></line>' +
        '<text class="suspect-label" x="' + (ml + 8) + '" y="' + (mt + 12) + '">growth suspect #1: +' +
        esc(human(Math.round(rate))) + '/s</text>';
    }
    svg += '</svg>';
    h += '<div class="legend"><span><i class="sw" style="border-color:#0b62c4"></i>live bytes</span>' +
      '<span><i class="sw" style="border-color:#8a93a0;border-top-style:dashed"></i>live blocks ' +
      '(own scale, peak ' + num(nmax) + ')</span>' + (growth.length ?
      '<span><i class="sw" style="border-color:#c2570c;border-top-style:dashed"></i>top growth ' +
      'suspect\'s rate</span>' : '') + '</div>' + svg;
    h += '<h3>Growth suspects</h3>';
    if (!growth.length) h += '<p class="muted">None: no allocation stack kept growing.</p>';
    else {
      h += '<table id="suspects"><thead><tr><th class="n">#</th><th class="n">Growth</th>' +
        '<th class="n">Live bytes</th><th class="n">Live blocks</th><th>Allocation stack</th>' +
        '</tr></thead><tbody>';
      growth.forEach(function (g, i) {
        var stk = typeof g.stack === 'number' ? stackHtml(g.stack) :
          '<ol class="stack">' + (g.stack || []).map(function (f) {
            return frameHtml({ pc: f.pc || '', fn: f.function, file: f.file, line: f.line,
                               mod: f.module, inl: f.inlined });
          }).join('') + '</ol>';
        var top = typeof g.stack === 'number' ? siteText(g.stack) :
          (g.stack && g.stack[0] ? (g.stack[0].function || '???') : '(no stack recorded)');
        h += '<tr><td class="n">' + (i + 1) + '</td><td class="n">+' + esc(human(Math.round(g.bytes_per_second))) +
          '/s</td><td class="n">' + num(g.live_bytes) + '</td><td class="n">' + num(g.live_blocks) +
          '</td><td><details' + (i === 0 ? ' open' : '') + '><summary>' + esc(top) + '</summary>' +
          stk + '</details></td></tr>';
      });
      h += '</tbody></table>';
    }
    sec.innerHTML = h;
    return sec;
  }
  if (snaps.length || growth.length) app.appendChild(renderGrowth());

  /* ---- loss-record table ---- */
  var PAGE = 500;
  /* records carry [6] oldest and [7] newest age (s) when the report has them, [8] [9] the bytes
   * and blocks increase in a report of what is new */
  var AGES = L.some(function (r) { return r.length > 7; });
  var lt = el('section', { id: 'records' });
  var shownKinds = {};
  (D.show_kinds || []).forEach(function (k) { shownKinds[k] = 1; });
  lt.innerHTML = '<h2>Loss records (<span id="shown">0</span> of ' + num(L.length) + ' shown)</h2>' +
    '<div class="controls"><input id="filter" type="search" placeholder="Filter: function, file or module">' +
    KINDS.map(function (k, i) {
      return '<label><input type="checkbox" class="kind" value="' + k + '"' +
        (shownKinds[k] ? ' checked' : '') + '> <span class="k' + i + '">' + esc(WORDS[i]) +
        '</span></label>';
    }).join('') + '<label><input type="checkbox" id="allstacks"> full stacks</label></div>' +
    '<table id="leaks"><thead><tr>' +
    '<th class="n" data-sort="rank">#<span class="arrow"></span></th>' +
    '<th class="n" data-sort="bytes">Bytes<span class="arrow"></span></th>' +
    '<th class="n" data-sort="blocks">Blocks<span class="arrow"></span></th>' +
    '<th data-sort="kind">Kind<span class="arrow"></span></th>' +
    '<th data-sort="alloc">Allocator<span class="arrow"></span></th>' +
    (AGES ? '<th class="n" data-sort="age" title="age of the oldest and newest block">Age<span class="arrow"></span></th>' : '') +
    '<th data-sort="site">Allocation site (click a row for its stack)<span class="arrow"></span></th>' +
    '</tr></thead><tbody></tbody></table><div class="more"></div>';
  app.appendChild(lt);
  var tbody = lt.querySelector('tbody'), more = lt.querySelector('.more');
  var filterBox = lt.querySelector('#filter'), allStacks = lt.querySelector('#allstacks');
  var sortKey = 'rank', sortDir = 1, limit = PAGE, view = [], open = {}, searchText = null, sites = null;
  function siteOf(i) {
    if (!sites) sites = [];
    if (sites[i] === undefined) sites[i] = siteText(L[i][5]);
    return sites[i];
  }
  function keyOf(i) {
    var r = L[i];
    switch (sortKey) {
      case 'bytes': return r[2];
      case 'blocks': return r[3];
      case 'kind': return r[0];
      case 'alloc': return D.allocators[r[1]];
      case 'age': return r[6] || 0;
      case 'site': return siteOf(i).toLowerCase();
      default: return i;
    }
  }
  function text(i) {
    if (!searchText) searchText = [];
    if (searchText[i] === undefined) {
      var st = ST[L[i][5]] || [], parts = [];
      for (var j = 0; j < st.length; j++) {
        var f = F[st[j]];
        parts.push(str(f[1]) || '', str(f[2]) || '', str(f[4]) || '', f[0]);
      }
      parts.push(D.allocators[L[i][1]]);
      searchText[i] = parts.join('\n').toLowerCase();
    }
    return searchText[i];
  }
  function refresh() {
    var on = {}, q = filterBox.value.trim().toLowerCase();
    lt.querySelectorAll('.kind').forEach(function (c) { on[c.value] = c.checked; });
    view = [];
    for (var i = 0; i < L.length; i++)
      if (on[KINDS[L[i][0]]] && (!q || text(i).indexOf(q) >= 0)) view.push(i);
    if (sortKey !== 'rank' || sortDir !== 1) {
      var keys = {};
      view.forEach(function (i) { keys[i] = keyOf(i); });
      view.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        return x < y ? -sortDir : x > y ? sortDir : a - b;
      });
    }
    document.getElementById('shown').textContent = num(view.length);
    lt.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.querySelector('.arrow').textContent = th.dataset.sort === sortKey ? (sortDir > 0 ? '\u25b2' : '\u25bc') : '';
      th.setAttribute('aria-sort', th.dataset.sort === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
    renderRows();
  }
  function rowHtml(i) {
    var r = L[i], k = r[0], all = allStacks.checked || open[i];
    var g = growingStack[r[5]];
    return '<tr class="rec' + (open[i] ? ' open' : '') + '" data-i="' + i + '" data-kind="' + KINDS[k] +
      '" data-bytes="' + r[2] + '" data-blocks="' + r[3] + '"><td class="n">' + (i + 1) +
      '</td><td class="n">' + num(r[2]) + (r[4] ? '<br><span class="muted" title="indirectly lost ' +
      'through it">+' + num(r[4]) + ' indirect</span>' : '') +
      (D.only_new && r.length > 8 ? '<br><span class="inc" title="since report #' +
        (D.new_since_report || 0) + '">' + (r[8] >= 0 ? '+' : '') + num(r[8]) + '</span>' : '') +
      '</td><td class="n">' + num(r[3]) +
      (D.only_new && r.length > 9 ? '<br><span class="inc">' + (r[9] >= 0 ? '+' : '') + num(r[9]) +
        '</span>' : '') +
      '</td><td class="k' + k + '">' + esc(WORDS[k]) + '</td><td>' + esc(D.allocators[r[1]]) +
      '</td>' + (AGES ? '<td class="n" title="newest block: ' + esc(age(r[7] || 0)) + '">' +
        esc(age(r[6] || 0)) + '</td>' : '') + '<td class="site">' + esc(siteOf(i)) + (g ? '<span class="badge" title="growth suspect #' +
      g + '">growing</span>' : '') + '</td></tr>' +
      (all ? '<tr class="stackrow"><td colspan="' + (AGES ? 7 : 6) + '">' + stackHtml(r[5]) + '</td></tr>' : '');
  }
  function renderRows() {
    var n = Math.min(limit, view.length), h = '';
    for (var j = 0; j < n; j++) h += rowHtml(view[j]);
    if (!n) {
      h = '<tr><td colspan="' + (AGES ? 7 : 6) + '" class="muted">' + (L.length ?
        'No loss record of the checked kinds' + (filterBox.value ? ' matches the filter.' : '.') :
        'No loss record: every block was freed.') + '</td></tr>';
    }
    tbody.innerHTML = h;
    more.innerHTML = view.length > n ? '<button type="button" id="more">Show ' +
      num(Math.min(PAGE, view.length - n)) + ' more</button> <button type="button" id="all">' +
      'Show all ' + num(view.length) + '</button> <span class="muted">' + num(n) + ' rows drawn' +
      '</span>' : '';
  }
  lt.querySelector('thead').addEventListener('click', function (ev) {
    var th = ev.target.closest('th[data-sort]');
    if (!th) return;
    var k = th.dataset.sort;
    if (k === sortKey) sortDir = -sortDir;
    else { sortKey = k; sortDir = (k === 'bytes' || k === 'blocks' || k === 'age') ? -1 : 1; }
    refresh();
  });
  tbody.addEventListener('click', function (ev) {
    var tr = ev.target.closest('tr.rec');
    if (!tr || allStacks.checked || window.getSelection().toString()) return;
    var i = +tr.dataset.i;
    if (open[i]) delete open[i]; else open[i] = 1;
    var tmp = document.createElement('tbody');
    tmp.innerHTML = rowHtml(i);
    var next = tr.nextElementSibling;
    if (next && next.classList.contains('stackrow')) next.remove();
    while (tmp.firstChild) tbody.insertBefore(tmp.firstChild, tr);
    tr.remove();
  });
  more.addEventListener('click', function (ev) {
    if (ev.target.id === 'more') limit += PAGE;
    else if (ev.target.id === 'all') limit = view.length;
    else return;
    renderRows();
  });
  var filterTimer;
  filterBox.addEventListener('input', function () {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () { limit = PAGE; refresh(); }, 120);
  });
  lt.querySelectorAll('.kind').forEach(function (c) {
    c.addEventListener('change', function () { limit = PAGE; refresh(); });
  });
  allStacks.addEventListener('change', renderRows);

  /* ---- heap errors ---- */
  var es = el('section', { id: 'errors' });
  var eh = '<h2>Heap errors (' + num(D.errors.length) + ')</h2>';
  if (!D.errors.length) eh += '<p class="muted">None.</p>';
  D.errors.forEach(function (e) {
    var d = 'Address <code>' + esc(e.address) + '</code>';
    if (e.size) d += ', block of ' + num(e.size) + ' bytes';
    if (e.allocator) d += ', allocated by ' + esc(e.allocator) + ', released by ' + esc(e.free_kind);
    if (e.size_given) d += ', size given ' + num(e.size_given);
    d += ', ' + num(e.count) + (e.count === 1 ? ' time' : ' times');
    eh += '<div class="err" data-kind="' + esc(e.kind) + '"><h3>' + esc(e.title) +
      ' <span class="muted">(' + esc(e.kind) + ')</span></h3><p>' + d + '</p>' +
      '<details open><summary>Bad call</summary>' + stackHtml(e.stack) + '</details>' +
      (e.free_stack ? '<details><summary>Block freed at</summary>' + stackHtml(e.free_stack) +
        '</details>' : '') +
      (e.alloc_stack ? '<details><summary>Block allocated at</summary>' +
        stackHtml(e.alloc_stack) + '</details>' : '') + '</div>';
  });
  es.innerHTML = eh;
  app.appendChild(es);

  buildTree();
  draw();
  refresh();
  window.mpRenderMs = performance.now() - t0;
  document.body.dataset.ready = '1';
})();
