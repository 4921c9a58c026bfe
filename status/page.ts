// The status page: one HTML document with its CSS and JS inline, so it loads nothing from anywhere
// else (the CSP below enforces it). It reads GET /api/v1/status, then follows
// /api/v1/status/stream; every text it shows is set with textContent, never parsed as HTML.

/** Nothing but this document's own inline style and script, and requests back to this origin. */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:clamp(14px,0.6vw + 10px,30px);color:#1a1a1a;background:#f6f7f9}
body{margin:0}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.4rem 1.5rem;padding:.8rem 1rem;background:#14213d;color:#fff}
header h1{font-size:1.3rem;margin:0}
header .where{font-weight:normal;opacity:.9}
#summary{margin:0;font-weight:600}
#conn{margin:0 0 0 auto;font-size:.9rem}
#conn.live::before{content:"\\25CF ";color:#7ee39a}
#conn.down::before{content:"\\25CB ";color:#ffb4a8}
main{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1rem;padding:1rem;align-items:start}
main>section{background:#fff;border:1px solid #d6d9de;border-radius:.4rem;padding:.6rem .8rem;min-width:0}
#grid-section{grid-column:1/-1}
h2{font-size:1.05rem;margin:.2rem 0 .6rem}
h3{font-size:1rem;margin:.2rem 0 .4rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem .8rem;margin:0 0 .6rem;padding:0;list-style:none;font-size:.85rem}
.legend li{display:flex;align-items:center;gap:.3rem}
.grid-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
#grid{table-layout:fixed}
#grid thead th:first-child{width:9.5rem;white-space:normal}
#grid th{font-size:.85rem;text-align:left;padding:.25rem .3rem;white-space:nowrap}
#grid th small{display:block;font-weight:normal;color:#4a4f57}
#grid td{padding:.2rem}
.cell{display:flex;flex-direction:column;align-items:flex-start;width:100%;min-height:3.2rem;padding:.35rem .45rem;font:inherit;font-size:.9rem;text-align:left;border:2px solid;border-radius:.35rem;cursor:pointer}
.cell .state{font-weight:700}
.cell .ago{font-size:.78rem}
.cell:focus-visible{outline:3px solid #14213d;outline-offset:2px}
.cell[aria-pressed="true"]{box-shadow:0 0 0 3px #14213d}
.st-met{background:#dff3e4;border-color:#1e7b34;color:#0d3b1a}
.st-failing{background:#fff0c2;border-color:#b26b00;color:#4a2c00}
.st-hard_down{background:#fbd5d5;border-color:#b42318;color:#5c0b0b;border-style:double;border-width:4px}
.st-breaker_open{background:#eadcf8;border-color:#6b3fa0;color:#311650;border-style:dashed}
.st-maintenance{background:#dbe8fb;border-color:#2f5fb3;color:#0f2a5c;border-style:dotted}
.st-no_data{background:#eeeeee;border-color:#6b6b6b;color:#2b2b2b}
.swatch{display:inline-block;min-width:1.4rem;padding:0 .2rem;text-align:center;border:2px solid;border-radius:.25rem}
.none{color:#4a4f57;font-style:italic;margin:.2rem 0}
.list{margin:0;padding:0;list-style:none}
.list li{padding:.35rem 0;border-top:1px solid #e3e5e8;font-size:.88rem;overflow-wrap:anywhere}
.list li:first-child{border-top:0}
.sev{display:inline-block;padding:0 .35rem;border-radius:.2rem;font-size:.78rem;font-weight:700;border:1px solid}
.sev-page{background:#fbd5d5;color:#5c0b0b;border-color:#b42318}
.sev-warning{background:#fff0c2;color:#4a2c00;border-color:#b26b00}
.sev-other{background:#eeeeee;color:#2b2b2b;border-color:#6b6b6b}
#details dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:0;font-size:.9rem}
#details dt{font-weight:600}
#details dd{margin:0;overflow-wrap:anywhere}
.obj td,.obj th{text-align:left;padding:.2rem .4rem;border-top:1px solid #e3e5e8;font-size:.88rem;overflow-wrap:anywhere}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr)}}
@media (max-width:560px){html{font-size:14px}header{padding:.6rem .5rem}main{padding:.4rem;gap:.5rem}main>section{padding:.5rem .4rem}.cell{min-height:2.6rem;padding:.2rem;font-size:.72rem;border-width:2px}.cell .state,.cell .ago{white-space:normal}.cell .ago{font-size:.66rem}#grid th{font-size:.68rem;white-space:normal;overflow-wrap:anywhere;padding:.2rem .1rem}#grid thead th:first-child{width:4.6rem}#grid td{padding:.1rem}.st-hard_down{border-width:3px}}
`;

// Plain ES5-style script: no template literals, so the TypeScript string around it stays simple.
const SCRIPT = `
(function () {
  'use strict';
  var LABEL = { met: 'met', failing: 'failing', hard_down: 'hard down', breaker_open: 'breaker open', maintenance: 'in maintenance', no_data: 'no data' };
  var SYMBOL = { met: '\\u2713', failing: '\\u2717', hard_down: '\\u25A0', breaker_open: '\\u2298', maintenance: '\\u2692', no_data: '\\u2026' };
  var ORDER = ['hard_down', 'breaker_open', 'failing', 'maintenance', 'no_data', 'met'];
  var last = null, skew = 0, selected = null, shape = '';
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = String(text); return e; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function seconds(iso) { return Math.max(0, Math.round((Date.now() + skew - Date.parse(iso)) / 1000)); }
  function ago(iso) {
    if (!iso) return null;
    var s = seconds(iso);
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function clock(iso) { return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }); }
  function sinceSuccess(c) {
    if (c.state === 'no_data') return 'not run yet';
    if (!c.lastSuccessAt) return 'never succeeded';
    return (c.state === 'met' ? 'ok ' : 'last ok ') + ago(c.lastSuccessAt);
  }
  function cellLabel(c) { return c.channel + ' ' + c.transaction + ': ' + LABEL[c.state] + ', ' + sinceSuccess(c); }
  function failureText(f) {
    var parts = [f.reason || 'failed'];
    if (f.step) parts.push('at step ' + f.step);
    if (f.businessCode) parts.push('code ' + f.businessCode);
    return parts.join(', ');
  }

  function buildGrid(st) {
    var table = $('grid');
    clear(table);
    table.appendChild(el('caption', 'sr', 'State of every channel and transaction; select a cell for its details'));
    var head = el('thead'), hr = el('tr');
    hr.appendChild(el('th', '', 'transaction \\\\ channel')).setAttribute('scope', 'col');
    st.channels.forEach(function (ch) { var th = el('th', '', ch.id); th.setAttribute('scope', 'col'); th.title = ch.description; hr.appendChild(th); });
    head.appendChild(hr); table.appendChild(head);
    var body = el('tbody'), byPair = {};
    st.cells.forEach(function (c) { var k = c.channel + '|' + c.transaction; if (!byPair[k]) byPair[k] = c; });
    st.transactions.forEach(function (t, row) {
      var tr = el('tr'), th = el('th', '', t.id);
      th.setAttribute('scope', 'row'); th.appendChild(el('small', '', t.tier));
      tr.appendChild(th);
      st.channels.forEach(function (ch, col) {
        var td = el('td'), c = byPair[ch.id + '|' + t.id];
        if (!c) { td.appendChild(el('span', 'none', 'not checked')); tr.appendChild(td); return; }
        var b = el('button', 'cell');
        b.type = 'button';
        b.setAttribute('data-check', c.checkId);
        b.setAttribute('data-channel', c.channel);
        b.setAttribute('data-transaction', c.transaction);
        b.setAttribute('data-row', String(row));
        b.setAttribute('data-col', String(col));
        b.setAttribute('aria-controls', 'details');
        b.setAttribute('aria-pressed', 'false');
        b.appendChild(el('span', 'sr', c.channel + ', ' + c.transaction + ': '));
        b.appendChild(el('span', 'state'));
        b.appendChild(el('span', 'ago'));
        b.addEventListener('click', function () { select(c.checkId); });
        b.addEventListener('keydown', arrows);
        td.appendChild(b); tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
  }

  // Arrow keys move between cells like a spreadsheet; Tab still walks them in order.
  function arrows(e) {
    var d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    if (!d) return;
    var r = Number(e.currentTarget.getAttribute('data-row')) + d[0], c = Number(e.currentTarget.getAttribute('data-col')) + d[1];
    var next = document.querySelector('#grid button[data-row="' + r + '"][data-col="' + c + '"]');
    if (next) { next.focus(); e.preventDefault(); }
  }

  function select(checkId) { selected = selected === checkId ? null : checkId; renderCells(); renderDetails(); }

  function renderCells() {
    last.cells.forEach(function (c) {
      var b = document.querySelector('#grid button[data-check="' + CSS.escape(c.checkId) + '"]');
      if (!b) return;
      b.className = 'cell st-' + c.state;
      b.setAttribute('data-state', c.state);
      b.setAttribute('aria-pressed', selected === c.checkId ? 'true' : 'false');
      b.title = cellLabel(c);
      b.querySelector('.state').textContent = SYMBOL[c.state] + ' ' + LABEL[c.state];
      b.querySelector('.ago').textContent = sinceSuccess(c);
    });
  }

  function row(dl, term, value) { dl.appendChild(el('dt', '', term)); dl.appendChild(el('dd', '', value === null || value === undefined || value === '' ? '\\u2014' : value)); }
  function renderDetails() {
    var box = $('details-body');
    clear(box);
    var c = null;
    last.cells.forEach(function (x) { if (x.checkId === selected) c = x; });
    if (!c) { box.appendChild(el('p', 'none', 'Select a cell (Tab or arrow keys, then Enter) for its last result and last failure.')); return; }
    box.appendChild(el('h3', '', c.channel + ' \\u00D7 ' + c.transaction + ' \\u2014 ' + SYMBOL[c.state] + ' ' + LABEL[c.state]));
    var dl = el('dl');
    row(dl, 'check', c.checkId);
    row(dl, 'tier', c.tier);
    row(dl, 'failed in a row', c.consecutiveFailures + ' (hard down at ' + c.hardDownAfter + ')');
    row(dl, 'last success', c.lastSuccessAt ? clock(c.lastSuccessAt) + ' (' + ago(c.lastSuccessAt) + ')' : 'never');
    if (c.lastResult) row(dl, 'last result', (c.lastResult.ok ? 'ok' : failureText(c.lastResult)) + ' at ' + clock(c.lastResult.at) + ', ' + c.lastResult.durationMs + ' ms');
    else row(dl, 'last result', 'none yet');
    if (c.lastFailure) {
      row(dl, 'last failure', clock(c.lastFailure.at) + ' (' + ago(c.lastFailure.at) + ')');
      row(dl, 'reason', c.lastFailure.reason);
      row(dl, 'step', c.lastFailure.step);
      row(dl, 'business code', c.lastFailure.businessCode);
      row(dl, 'detail', c.lastFailure.detail);
    } else row(dl, 'last failure', 'none retained');
    box.appendChild(dl);
  }

  function renderSummary() {
    var counts = {};
    last.cells.forEach(function (c) { counts[c.state] = (counts[c.state] || 0) + 1; });
    var parts = [];
    ORDER.forEach(function (s) { if (counts[s]) parts.push(counts[s] + ' ' + LABEL[s]); });
    var windows = last.maintenance.filter(function (w) { return w.on; }).map(function (w) { return w.id; });
    $('summary').textContent = parts.join(' \\u00B7 ') + (windows.length ? ' \\u00B7 maintenance: ' + windows.join(', ') : '') + ' \\u2014 updated ' + clock(last.generatedAt);
  }

  // Alerts alike (one per channel × transaction of the same outage) are shown once, counted.
  function grouped(list) {
    var out = [], at = {};
    list.forEach(function (x) {
      var key = x.severity + '|' + x.name + '|' + x.summary;
      if (at[key] === undefined) { at[key] = out.length; out.push({ x: x, count: 0 }); }
      out[at[key]].count++;
    });
    return out;
  }
  function times(n) { return n > 1 ? ' (\u00D7' + n + ')' : ''; }

  function sev(s) { return el('span', 'sev ' + (s === 'page' || s === 'warning' ? 'sev-' + s : 'sev-other'), s); }

  function renderAlerts() {
    var box = $('alerts');
    clear(box);
    var a = last.alerts;
    if (!a.source) { box.appendChild(el('p', 'none', 'No Alertmanager configured (service.alertmanagerUrl).')); return; }
    if (a.error) box.appendChild(el('p', 'none', a.error));
    if (a.active.length === 0) { if (!a.error) box.appendChild(el('p', 'none', 'None firing.')); return; }
    var ul = el('ul', 'list');
    grouped(a.active).forEach(function (g) {
      var x = g.x, li = el('li');
      li.appendChild(sev(x.severity));
      li.appendChild(document.createTextNode(' ' + x.name + times(g.count) + ' \\u2014 since ' + ago(x.startsAt) + (x.summary ? ': ' + x.summary : '')));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function renderNotifications() {
    var section = $('notifications-section'), list = last.notifications;
    section.hidden = list === null;
    if (list === null) return;
    var box = $('notifications');
    clear(box);
    if (list.length === 0) { box.appendChild(el('p', 'none', 'None received yet.')); return; }
    var ul = el('ul', 'list');
    list.slice(0, 15).forEach(function (n) {
      var li = el('li');
      li.appendChild(el('strong', '', n.status === 'firing' ? 'FIRING' : 'resolved'));
      li.appendChild(document.createTextNode(' to ' + n.receiver + ' at ' + clock(n.at) + ': '));
      grouped(n.alerts).forEach(function (g, i) {
        var x = g.x;
        if (i > 0) li.appendChild(document.createTextNode('; '));
        li.appendChild(sev(x.severity));
        li.appendChild(document.createTextNode(' ' + x.name + times(g.count) + (x.summary ? ' \\u2014 ' + x.summary : '')));
      });
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function renderFailures() {
    var box = $('failures');
    clear(box);
    if (last.recentFailures.length === 0) { box.appendChild(el('p', 'none', 'No failure among the retained results.')); return; }
    var ul = el('ul', 'list');
    last.recentFailures.slice(0, 12).forEach(function (f) {
      var li = el('li');
      li.appendChild(el('strong', '', f.channel + ' \\u00D7 ' + f.transaction));
      li.appendChild(document.createTextNode(' ' + clock(f.at) + ': ' + failureText(f) + (f.detail ? ' \\u2014 ' + f.detail : '')));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function renderObjectives() {
    var box = $('objectives');
    clear(box);
    var table = el('table', 'obj'), hr = el('tr');
    ['tier', 'objective', 'hard down after', 'transactions'].forEach(function (h) { var th = el('th', '', h); th.setAttribute('scope', 'col'); hr.appendChild(th); });
    var thead = el('thead'); thead.appendChild(hr); table.appendChild(thead);
    var body = el('tbody');
    last.objectives.forEach(function (o) {
      var tr = el('tr');
      tr.appendChild(el('td', '', o.tier + ' (' + o.label + ')'));
      tr.appendChild(el('td', '', (o.objective * 100).toFixed(2) + ' %'));
      tr.appendChild(el('td', '', o.hardDownAfter + ' failed runs in a row'));
      tr.appendChild(el('td', '', o.transactions.join(', ')));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  function render(st) {
    last = st;
    skew = Date.parse(st.generatedAt) - Date.now();
    var s = st.channels.map(function (c) { return c.id; }).join() + '/' + st.transactions.map(function (t) { return t.id; }).join() + '/' + st.cells.map(function (c) { return c.checkId; }).join();
    if (s !== shape) { shape = s; buildGrid(st); }
    renderCells(); renderDetails(); renderSummary(); renderAlerts(); renderNotifications(); renderFailures(); renderObjectives();
  }

  function connection(live) { var c = $('conn'); c.className = live ? 'live' : 'down'; c.textContent = live ? 'live' : 'reconnecting\\u2026'; }

  fetch('api/v1/status', { headers: { accept: 'application/json' } }).then(function (r) { return r.json(); }).then(function (st) { if (!last) render(st); }).catch(function () { connection(false); });
  var stream = new EventSource('api/v1/status/stream');
  stream.addEventListener('status', function (e) { render(JSON.parse(e.data)); });
  stream.onopen = function () { connection(true); };
  stream.onerror = function () { connection(false); };
  setInterval(function () { if (last) { renderCells(); renderSummary(); } }, 5000);
})();
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function statusPageHtml(location: string): string {
  const legend = [
    ['met', '\u2713', 'met: the last run succeeded'],
    ['failing', '\u2717', 'failing: the last run failed'],
    ['hard_down', '\u25A0', 'hard down: the tier\u2019s count of failed runs in a row'],
    ['breaker_open', '\u2298', 'breaker open: probed at a backed-off cadence'],
    ['maintenance', '\u2692', 'in maintenance'],
    ['no_data', '\u2026', 'no data yet'],
  ]
    .map(([state, symbol, text]) => `<li><span class="swatch st-${state}" aria-hidden="true">${symbol}</span>${text}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>channel-health status</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>channel-health <span class="where">status \u00B7 location ${escapeHtml(location)}</span></h1>
<p id="summary" aria-live="polite">Loading\u2026</p>
<p id="conn" class="down">connecting\u2026</p>
</header>
<main>
<section id="grid-section" aria-labelledby="grid-h">
<h2 id="grid-h">Channels \u00D7 transactions</h2>
<ul class="legend" aria-label="States">${legend}</ul>
<div class="grid-wrap"><table id="grid"></table></div>
<section id="details" aria-live="polite" aria-labelledby="details-h"><h2 id="details-h" class="sr">Details</h2><div id="details-body"></div></section>
</section>
<section aria-labelledby="alerts-h"><h2 id="alerts-h">Active alerts</h2><div id="alerts"><p class="none">Loading\u2026</p></div></section>
<section id="notifications-section" aria-labelledby="notifications-h" hidden><h2 id="notifications-h">Notifications received</h2><div id="notifications"></div></section>
<section aria-labelledby="failures-h"><h2 id="failures-h">Recent failures</h2><div id="failures"><p class="none">Loading\u2026</p></div></section>
<section aria-labelledby="objectives-h"><h2 id="objectives-h">Objectives</h2><div id="objectives"></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
