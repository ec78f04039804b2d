// Built-in views for Winnow's own output types, drawn by the page from JSON (never from HTML):
//   application/vnd.winnow.ranking+json  {query?, stages: [name], rows: [{docid, title?, scores: {stage: x}, relevance?}]}
//   application/vnd.winnow.heatmap+json  {title?, rows: [label], columns: [label], values: [[x]] (rows x columns)}
//   application/vnd.winnow.metrics+json  {metrics: [name], runs: [{name, values: {metric: x}}]}
//   application/vnd.winnow.progress+json {id, label, done, total?}  (a later bundle with the same id replaces it)

const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = x => (typeof x === 'number' && isFinite(x)) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4)) : (x ?? '');

export function rankingTable(data) {
  const stages = data.stages || [];
  const table = el('table', { class: 'winnow-view ranking' });
  if (data.query) table.append(el('caption', {}, `Query: ${data.query}`));
  const head = el('tr');
  for (const h of ['#', 'document', 'title', ...stages, 'relevance']) head.append(el('th', {}, h));
  const thead = el('thead');
  thead.append(head);
  table.append(thead);
  const body = el('tbody');
  (data.rows || []).forEach((r, i) => {
    const tr = el('tr');
    tr.append(el('td', { class: 'num' }, String(r.rank ?? i + 1)), el('td', {}, String(r.docid ?? '')),
      el('td', {}, String(r.title ?? '').slice(0, 120)));
    for (const s of stages) tr.append(el('td', { class: 'num' }, fmt((r.scores || {})[s])));
    const rel = r.relevance;
    tr.append(el('td', { class: 'num rel-' + (rel == null ? 'x' : rel) }, rel == null ? '–' : String(rel)));
    body.append(tr);
  });
  table.append(body);
  return table;
}

export function heatmap(data) {
  const rows = data.rows || [], cols = data.columns || [], values = data.values || [];
  if (values.length !== rows.length || values.some(v => v.length !== cols.length)) {
    throw new Error(`heatmap: values must be ${rows.length} x ${cols.length}`);
  }
  let lo = Infinity, hi = -Infinity;
  for (const row of values) for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const cell = Math.max(6, Math.min(28, Math.floor(640 / Math.max(1, cols.length))));
  const ctx0 = document.createElement('canvas').getContext('2d');
  ctx0.font = '11px system-ui, sans-serif';
  const label = (s) => String(s).length > 24 ? String(s).slice(0, 23) + '…' : String(s);
  const left = Math.ceil(Math.max(20, ...rows.map(r => ctx0.measureText(label(r)).width))) + 8;
  const top = Math.ceil(Math.max(20, ...cols.map(c => ctx0.measureText(label(c)).width))) + 8;
  const wrap = el('div', { class: 'heatmap' });
  if (data.title) wrap.append(el('div', { class: 'title' }, data.title));
  const canvas = el('canvas');
  const w = left + cols.length * cell + 60, h = top + rows.length * cell + 4;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = w * dpr; canvas.height = h * dpr; canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif'; ctx.fillStyle = '#1f2328';
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  rows.forEach((r, i) => ctx.fillText(label(r), left - 4, top + i * cell + cell / 2));
  cols.forEach((c, j) => {
    ctx.save(); ctx.translate(left + j * cell + cell / 2, top - 4); ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left'; ctx.fillText(label(c), 0, 0); ctx.restore();
  });
  const span = hi > lo ? hi - lo : 1;
  const color = v => { const t = (v - lo) / span; return `rgb(${Math.round(255 - 208 * t)},${Math.round(255 - 144 * t)},${Math.round(255 - 32 * t)})`; };
  values.forEach((row, i) => row.forEach((v, j) => { ctx.fillStyle = color(v); ctx.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1); }));
  for (let k = 0; k < 50; k++) { ctx.fillStyle = color(hi - span * k / 49); ctx.fillRect(w - 40, top + k * 2, 10, 2); }
  ctx.fillStyle = '#1f2328'; ctx.textAlign = 'left';
  ctx.fillText(fmt(hi), w - 28, top + 2); ctx.fillText(fmt(lo), w - 28, top + 98);
  canvas.addEventListener('mousemove', ev => {
    const b = canvas.getBoundingClientRect();
    const j = Math.floor((ev.clientX - b.left - left) / cell), i = Math.floor((ev.clientY - b.top - top) / cell);
    canvas.title = (i >= 0 && j >= 0 && i < rows.length && j < cols.length) ? `${rows[i]} × ${cols[j]}: ${fmt(values[i][j])}` : '';
  });
  wrap.append(canvas);
  return wrap;
}

const PALETTE = ['#2f6fdf', '#e07a1f', '#3aa757', '#b83fd1', '#d4413b', '#0e9aa7'];

export function metricsChart(data) {
  const metrics = data.metrics || [], runs = data.runs || [];
  const groupW = Math.max(60, runs.length * 26 + 20), H = 220, left = 40, bottom = 40, top = 24;
  const W = left + metrics.length * groupW + 160;
  let max = 0;
  for (const r of runs) for (const m of metrics) max = Math.max(max, +r.values[m] || 0);
  max = max <= 1 ? 1 : Math.ceil(max);
  const root = svg('svg', { width: W, height: H, class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img' });
  root.append(svg('title', {}, 'metrics by run'));
  const y = v => top + (H - top - bottom) * (1 - v / max);
  for (let k = 0; k <= 4; k++) {
    const v = max * k / 4;
    root.append(svg('line', { x1: left, x2: left + metrics.length * groupW, y1: y(v), y2: y(v), stroke: '#e5e7eb' }));
    root.append(svg('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end' }, v.toFixed(2)));
  }
  metrics.forEach((m, i) => {
    const x0 = left + i * groupW + 10;
    runs.forEach((r, j) => {
      const v = +r.values[m] || 0;
      const bar = svg('rect', { x: x0 + j * 26, y: y(v), width: 22, height: y(0) - y(v), fill: PALETTE[j % PALETTE.length] });
      bar.append(svg('title', {}, `${r.name} ${m}: ${fmt(v)}`));
      root.append(bar);
      root.append(svg('text', { x: x0 + j * 26 + 11, y: y(v) - 3, 'text-anchor': 'middle' }, v.toFixed(3)));
    });
    root.append(svg('text', { x: x0 + runs.length * 13, y: H - bottom + 16, 'text-anchor': 'middle' }, m));
  });
  runs.forEach((r, j) => {
    const ly = top + j * 18;
    root.append(svg('rect', { x: W - 150, y: ly, width: 12, height: 12, fill: PALETTE[j % PALETTE.length] }));
    root.append(svg('text', { x: W - 132, y: ly + 10 }, r.name));
  });
  return root;
}

/** Metrics chart data from a metrics table's application/json rows ([{run, metric: "0.1234", ...}]), or null. */
export function metricsFromRows(rows) {
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every(r => r && typeof r === 'object' && 'run' in r)) return null;
  const metrics = Object.keys(rows[0]).filter(k => k !== 'run');
  if (metrics.length === 0 || !rows.every(r => metrics.every(m => isFinite(parseFloat(r[m]))))) return null;
  return { metrics, runs: rows.map(r => ({ name: String(r.run), values: Object.fromEntries(metrics.map(m => [m, parseFloat(r[m])])) })) };
}

export function progress(data) {
  const wrap = el('div', { class: 'progress' });
  const bar = el('progress');
  if (data.total > 0) { bar.max = data.total; bar.value = Math.min(data.done || 0, data.total); }
  const pct = data.total > 0 ? ` ${Math.round(100 * (data.done || 0) / data.total)}% (${data.done}/${data.total})` : (data.done != null ? ` ${data.done}` : '');
  wrap.append(el('span', {}, String(data.label ?? 'working')), bar, el('span', {}, pct));
  return wrap;
}

export function jsonTree(value, key) {
  if (value === null || typeof value !== 'object') {
    return el('div', {}, (key !== undefined ? key + ': ' : '') + JSON.stringify(value));
  }
  const d = el('details', { class: 'json' });
  d.open = key === undefined;
  const n = Array.isArray(value) ? value.length : Object.keys(value).length;
  d.append(el('summary', {}, `${key !== undefined ? key + ': ' : ''}${Array.isArray(value) ? `Array(${n})` : `Object{${n}}`}`));
  for (const [k, v] of Object.entries(value)) d.append(jsonTree(v, k));
  return d;
}
