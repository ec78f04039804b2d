// The notebook page: one notebook at a time, edited in place, run through the kernel's WebSocket, autosaved as
// nbformat 4.5. Untrusted rich outputs (HTML, SVG) go into sandboxed iframes; Winnow's own views are drawn here.
// Bundled with its npm dependencies by build.mjs (the Maven build runs it): CodeMirror for the cells, markdown-it,
// KaTeX and DOMPurify for markdown, vega-embed (loaded the first time a plot is shown) for Vega-Lite.
import { renderMarkdown, escapeHtml, setImageResolver } from './markdown.js';
import { rankingTable, heatmap, metricsChart, metricsFromRows, progress, jsonTree } from './views.js';
import { createEditor, setApiNames, setNotebookText } from './editor.js';

const CSRF = document.querySelector('meta[name="winnow-csrf"]').content;
const FRAME_HASH = document.querySelector('meta[name="winnow-frame-hash"]').content;
const RESIZER = await (await fetch('/static/frame-resizer.js')).text();
const $ = id => document.getElementById(id);
// a markdown image's relative path, resolved against the notebook's folder, as a URL of the server's image route
setImageResolver(rel => {
  const parts = (state.path || '').split('/').slice(0, -1);
  let name;
  try { name = decodeURIComponent(rel); } catch (e) { return null; }
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { if (!parts.length) return null; parts.pop(); } else parts.push(seg);
  }
  return parts.length ? `/api/file?path=${encodeURIComponent(parts.join('/'))}&_xsrf=${encodeURIComponent(CSRF)}` : null;
});
const LANGS = { js: 'JavaScript', python: 'Python' };

const state = {
  path: null, nb: null, selected: 0, mode: 'command', ws: null, dirty: false, saveTimer: null,
  running: new Set(), lastKey: null, lastKeyAt: 0,
  batch: [], batchCell: null, // Run all / Run above: the cells still to run, and the one the batch waits for
  batchIds: new Set(),         // the same ids as batch, for the prompts' membership test
  editors: new Map(),          // cell id -> its CodeMirror editor
};

// ---------- HTTP ----------
async function api(method, url, body) {
  const init = { method, headers: { [ 'X-XSRFToken' ]: CSRF }, credentials: 'same-origin' };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  const r = await fetch(url, init);
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(`${method} ${url}: ${r.status} ${msg}`);
  }
  return r.status === 204 ? null : r.json();
}
const q = p => encodeURIComponent(p);

// ---------- model helpers ----------
const source = c => Array.isArray(c.source) ? c.source.join('') : (c.source || '');
const defaultLang = () => {
  const md = state.nb.metadata || {};
  const l = (md.kernelspec && md.kernelspec.language) || (md.language_info && md.language_info.name) || 'javascript';
  return /^py/i.test(l) ? 'python' : 'js';
};
const cellLang = c => (c.metadata && c.metadata.winnow && c.metadata.winnow.language) || defaultLang();
const newId = () => crypto.getRandomValues(new Uint32Array(1))[0].toString(16).padStart(8, '0');
const newCell = type => type === 'code'
  ? { id: newId(), cell_type: 'code', metadata: {}, source: '', outputs: [], execution_count: null }
  : { id: newId(), cell_type: 'markdown', metadata: {}, source: '' };
const cellIndex = id => state.nb.cells.findIndex(c => c.id === id);
// a new code cell at index `at` takes the language of the nearest code cell above it (else below it, else the default)
function languageAt(at) {
  const cells = state.nb.cells;
  for (let i = at - 1; i >= 0; i--) if (cells[i].cell_type === 'code') return cellLang(cells[i]);
  for (let i = at; i < cells.length; i++) if (cells[i].cell_type === 'code') return cellLang(cells[i]);
  return defaultLang();
}
function setLang(cell, lang) {
  if (lang === defaultLang()) { if (cell.metadata.winnow) { delete cell.metadata.winnow.language; if (!Object.keys(cell.metadata.winnow).length) delete cell.metadata.winnow; } }
  else cell.metadata.winnow = Object.assign(cell.metadata.winnow || {}, { language: lang });
}

// ---------- in-page dialogs (no prompt()/confirm()/alert(): they block the page and cannot be styled) ----------
// ask({ title, message, fields: [{ name, label, value, options? }], ok, cancel }) resolves to the fields' values
// (an object; {} without fields) when OK is chosen, or null when cancelled (Cancel, Escape).
function ask({ title = '', message = '', fields = [], ok = 'OK', cancel = 'Cancel' }) {
  const dlg = $('dialog');
  $('dialog-title').textContent = title;
  $('dialog-message').textContent = message;
  const box = $('dialog-fields');
  box.replaceChildren();
  const inputs = {};
  for (const f of fields) {
    const label = document.createElement('label');
    label.textContent = f.label + ' ';
    let input;
    if (f.options) {
      input = document.createElement('select');
      for (const [v, text] of Object.entries(f.options)) input.append(new Option(text, v));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.spellcheck = false;
    }
    input.name = f.name;
    input.value = f.value ?? '';
    label.append(input);
    box.append(label);
    inputs[f.name] = input;
  }
  $('dialog-ok').textContent = ok;
  $('dialog-cancel').textContent = cancel;
  $('dialog-cancel').hidden = cancel === null;
  return new Promise(resolve => {
    dlg.returnValue = '';
    dlg.addEventListener('close', () => {
      if (dlg.returnValue !== 'ok') { resolve(null); return; }
      const values = {};
      for (const [k, el] of Object.entries(inputs)) values[k] = el.value.trim();
      resolve(values);
    }, { once: true });
    dlg.showModal();
    const first = box.querySelector('input, select');
    if (first) { first.focus(); if (first.select) first.select(); } else $('dialog-ok').focus();
  });
}
const notify = message => ask({ title: 'Winnow', message, cancel: null });
const confirmed = async (title, message, ok) => (await ask({ title, message, ok })) !== null;

// ---------- saving ----------
function markDirty() {
  state.dirty = true;
  document.body.dataset.saveState = 'dirty';
  $('save-status').textContent = 'unsaved changes';
  clearTimeout(state.saveTimer);
  state.saveTimer = setTimeout(save, 800);
}

let saving = Promise.resolve();
function save() {
  clearTimeout(state.saveTimer);
  if (!state.path || !state.dirty) return saving;
  state.dirty = false;
  const path = state.path, doc = JSON.parse(JSON.stringify(state.nb));
  document.body.dataset.saveState = 'saving';
  saving = saving.then(() => api('PUT', `/api/notebook?path=${q(path)}`, doc)).then(() => {
    if (!state.dirty) {
      document.body.dataset.saveState = 'saved';
      $('save-status').textContent = 'saved ' + new Date().toLocaleTimeString();
    }
  }, e => { state.dirty = true; document.body.dataset.saveState = 'error'; $('save-status').textContent = e.message; });
  return saving;
}

// ---------- outputs ----------
function richFrame(html) {
  const f = document.createElement('iframe');
  f.className = 'rich';
  f.setAttribute('sandbox', 'allow-scripts');
  f.name = 'f' + newId();
  f.srcdoc = '<!doctype html><html><head><meta charset="utf-8">'
    + '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'' + FRAME_HASH + '\'; img-src data:; style-src \'unsafe-inline\'; connect-src \'none\'">'
    + '<style>body{margin:0;font:14px system-ui,sans-serif}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}</style>'
    + '</head><body>' + html + '<script>' + RESIZER + '</script></body></html>';
  return f;
}
window.addEventListener('message', ev => {
  if (!ev.data || typeof ev.data.winnowFrame !== 'string') return;
  for (const f of document.querySelectorAll('iframe.rich')) {
    if (f.contentWindow === ev.source && f.name === ev.data.winnowFrame) {
      f.style.height = Math.min(4000, Math.max(20, ev.data.height | 0)) + 'px';
    }
  }
});

const stripAnsi = s => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
function pre(cls, text) { const p = document.createElement('pre'); p.className = cls; p.textContent = text; return p; }

const VEGA_LITE = ['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json'];
let vegaModule = null;
function vegaLiteView(spec) {
  const d = document.createElement('div');
  d.className = 'vega-lite';
  d.dataset.state = 'loading';
  vegaModule = vegaModule || import('./vega.js');
  vegaModule.then(m => m.renderVegaLite(d, spec)).then(() => { d.dataset.state = 'drawn'; }, e => {
    d.dataset.state = 'error';
    d.replaceChildren(pre('error', `cannot show this plot: ${e.message}`));
  });
  return d;
}

// nbformat's image metadata: {"image/png": {"width": W, "height": H, "unconfined": bool}} (also accepted unkeyed)
function sizeImage(img, meta, mime) {
  const m = (meta && (meta[mime] || meta)) || {};
  const px = v => (typeof v === 'number' && isFinite(v) && v > 0) ? v : (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? +v : null);
  const w = px(m.width), h = px(m.height);
  if (w) img.width = w;
  if (h) img.height = h;
  if (m.unconfined) img.classList.add('unconfined');
}

function renderBundle(data, meta) {
  const box = document.createElement('div');
  box.className = 'bundle';
  const parse = s => typeof s === 'string' ? JSON.parse(s) : s;
  try {
    if (data['application/vnd.winnow.ranking+json']) box.append(rankingTable(parse(data['application/vnd.winnow.ranking+json'])));
    else if (data['application/vnd.winnow.heatmap+json']) box.append(heatmap(parse(data['application/vnd.winnow.heatmap+json'])));
    else if (data['application/vnd.winnow.metrics+json']) box.append(metricsChart(parse(data['application/vnd.winnow.metrics+json'])));
    else if (data['application/vnd.winnow.progress+json']) box.append(progress(parse(data['application/vnd.winnow.progress+json'])));
    else if (VEGA_LITE.some(t => data[t])) box.append(vegaLiteView(parse(data[VEGA_LITE.find(t => data[t])])));
    else if (data['text/html']) {
      box.append(richFrame(data['text/html']));
      if (data['application/json']) {
        let chart = null;
        try { chart = metricsFromRows(parse(data['application/json'])); } catch (e) { /* not metrics */ }
        if (chart) box.append(metricsChart(chart));
      }
    } else if (data['image/svg+xml']) box.append(richFrame(data['image/svg+xml']));
    else if (data['image/png'] || data['image/jpeg']) {
      const img = document.createElement('img');
      img.className = 'rich';
      const mime = data['image/png'] ? 'image/png' : 'image/jpeg';
      img.src = `data:${mime};base64,` + String(Array.isArray(data[mime]) ? data[mime].join('') : data[mime]).replace(/\s+/g, '');
      sizeImage(img, meta, mime);
      box.append(img);
    } else if (data['text/markdown']) {
      const d = document.createElement('div'); d.className = 'rendered'; d.innerHTML = renderMarkdown(data['text/markdown']); box.append(d);
    } else if (data['application/json']) box.append(jsonTree(parse(data['application/json'])));
    else box.append(pre('text', data['text/plain'] ?? ''));
  } catch (e) {
    box.append(pre('error', `cannot show this output: ${e.message}`), pre('text', data['text/plain'] ?? ''));
  }
  return box;
}

function renderOutput(o) {
  switch (o.output_type) {
    case 'stream': return pre('stream ' + o.name, Array.isArray(o.text) ? o.text.join('') : o.text);
    case 'error': return pre('error', stripAnsi((o.traceback && o.traceback.length ? o.traceback.join('\n') : `${o.ename}: ${o.evalue}`)));
    default: return renderBundle(o.data || {}, o.metadata || {});
  }
}

function renderOutputs(cellEl, cell) {
  const box = cellEl.querySelector('.outputs');
  box.replaceChildren(...(cell.outputs || []).map(renderOutput));
  const hasResult = (cell.outputs || []).some(o => o.output_type === 'execute_result');
  cellEl.querySelector('.cell-out .prompt').textContent = hasResult && cell.execution_count ? `Out[${cell.execution_count}]:` : '';
}

// ---------- cells ----------
function promptText(cell) {
  if (state.running.has(cell.id) || state.batchIds.has(cell.id)) return 'In [*]:';
  return `In [${cell.execution_count ?? ' '}]:`;
}

const renderedMarkdown = cell =>
  renderMarkdown(source(cell), cell.attachments) || '<p class="status">(empty markdown cell: double-click to edit)</p>';

function cellElement(cell) {
  const el = document.createElement('div');
  el.className = `cell ${cell.cell_type}`;
  el.dataset.id = cell.id;
  el.tabIndex = -1;
  el.innerHTML = '<div class="cell-in"><div class="prompt"></div><div class="editor-wrap"></div></div>'
    + '<div class="rendered"></div><div class="cell-out"><div class="prompt"></div><div class="outputs"></div></div>';
  const wrap = el.querySelector('.editor-wrap');
  const lang = cell.cell_type === 'code' ? cellLang(cell) : cell.cell_type === 'markdown' ? 'markdown' : 'raw';
  const ed = createEditor(wrap, {
    doc: source(cell), language: lang,
    onChange: text => { cell.source = text; markDirty(); },
    onFocus: () => { select(cellIndex(cell.id), false); setMode('edit'); },
    keys: {
      'Shift-Enter': () => runAndAdvance(),
      'Mod-Enter': () => { runCell(state.selected); setMode('command'); },
      'Alt-Enter': () => { runCell(state.selected); insertCell(state.selected + 1); editMode(); },
      Escape: () => setMode('command'),
    },
  });
  state.editors.set(cell.id, ed);
  if (cell.cell_type === 'code') {
    const sel = document.createElement('select');
    sel.className = 'cell-lang';
    for (const [id, name] of Object.entries(LANGS)) sel.append(new Option(name, id));
    sel.value = cellLang(cell);
    sel.addEventListener('change', () => { setLang(cell, sel.value); ed.setLanguage(sel.value); markDirty(); });
    wrap.prepend(sel);
    el.querySelector('.cell-in .prompt').textContent = promptText(cell);
    el.querySelector('.rendered').remove();
    renderOutputs(el, cell);
  } else if (cell.cell_type === 'markdown') {
    el.querySelector('.cell-out').remove();
    el.querySelector('.rendered').innerHTML = renderedMarkdown(cell);
    el.querySelector('.rendered').addEventListener('dblclick', () => { select(cellIndex(cell.id)); editMode(); });
  } else {
    // raw cells (nbconvert's pass-through text): shown once, as their source, never rendered or run
    el.querySelector('.cell-out').remove();
    el.querySelector('.rendered').remove();
    const tag = document.createElement('span');
    tag.className = 'cell-lang raw-tag';
    tag.textContent = 'raw';
    wrap.prepend(tag);
  }
  el.addEventListener('mousedown', ev => { if (ev.target.closest && ev.target.closest('.cm-editor')) return; select(cellIndex(cell.id), false); if (state.mode === 'edit') setMode('command'); });
  return el;
}

function renderAll() {
  const main = $('notebook');
  for (const ed of state.editors.values()) ed.view.destroy();
  state.editors.clear();
  main.replaceChildren(...state.nb.cells.map(cellElement));
  select(Math.min(state.selected, state.nb.cells.length - 1));
}

const cellEl = i => $('notebook').children[i];

function select(i, focus = true) {
  if (!state.nb.cells.length) return;
  i = Math.max(0, Math.min(i, state.nb.cells.length - 1));
  state.selected = i;
  for (const c of $('notebook').children) c.classList.remove('selected', 'editing');
  const el = cellEl(i);
  el.classList.add('selected');
  if (state.mode === 'edit') el.classList.add('editing');
  if (focus && state.mode === 'command') el.focus({ preventScroll: false });
}

function setMode(m) {
  state.mode = m;
  document.body.dataset.mode = m;
  const el = cellEl(state.selected);
  if (!el) return;
  el.classList.toggle('editing', m === 'edit');
  if (m === 'command') { if (inEditor()) document.activeElement.blur(); el.focus(); }
}

const inEditor = () => !!(document.activeElement && document.activeElement.closest && document.activeElement.closest('.cm-editor'));

function editMode() {
  setMode('edit');
  const ed = state.editors.get(state.nb.cells[state.selected].id);
  if (ed) ed.focus();
}

function insertCell(at, type = 'code') {
  const c = newCell(type);
  if (type === 'code') setLang(c, languageAt(at));
  state.nb.cells.splice(at, 0, c);
  const el = cellElement(c);
  $('notebook').insertBefore(el, cellEl(at) || null);
  state.mode = 'command';
  select(at);
  markDirty();
  return c;
}

function deleteCell(i) {
  if (state.nb.cells.length <= 1) { state.nb.cells[0].source = ''; renderAll(); markDirty(); return; }
  const [gone] = state.nb.cells.splice(i, 1);
  const ed = state.editors.get(gone.id);
  if (ed) { ed.view.destroy(); state.editors.delete(gone.id); }
  cellEl(i).remove();
  select(Math.min(i, state.nb.cells.length - 1));
  markDirty();
}

function changeType(i, type) {
  const c = state.nb.cells[i];
  if (c.cell_type === type) return;
  const n = type === 'code' ? newCell('code') : newCell('markdown');
  n.id = c.id; n.source = source(c);
  if (type === 'code') setLang(n, languageAt(i));
  state.nb.cells[i] = n;
  const old = state.editors.get(c.id);
  if (old) old.view.destroy();
  cellEl(i).replaceWith(cellElement(n));
  select(i);
  markDirty();
}

// ---------- running ----------
function runCell(i) {
  const c = state.nb.cells[i];
  const el = cellEl(i);
  if (c.cell_type === 'markdown') {
    el.querySelector('.rendered').innerHTML = renderedMarkdown(c);
    el.classList.remove('editing');
    return;
  }
  if (c.cell_type !== 'code') return;
  // the outputs and execution count stay until the kernel starts the cell ('start'): a cell that never runs (aborted
  // in the queue by an interrupt or restart) keeps them, on the page and in the saved file
  state.running.add(c.id);
  delete el.dataset.status;
  el.querySelector('.cell-in .prompt').textContent = promptText(c);
  send({ type: 'execute', cellId: c.id, language: cellLang(c), code: source(c) });
  markDirty();
}

// Run all / Run above: one cell at a time, the next sent when the previous ended 'ok'; the first cell that fails
// (error, interrupted, aborted) ends the batch, and the cells after it are not run (they keep their outputs).
function runCells(indices) {
  stopBatch();
  state.batch = indices.map(i => state.nb.cells[i].id);
  state.batchIds = new Set(state.batch);
  for (const id of state.batch) refreshPrompt(id);
  runNextInBatch();
}

function runNextInBatch() {
  state.batchCell = null;
  while (state.batch.length) {
    const id = state.batch.shift();
    state.batchIds.delete(id);
    const i = cellIndex(id);
    if (i < 0) continue;
    runCell(i);
    if (state.nb.cells[i].cell_type === 'code') { state.batchCell = id; return; }
  }
}

function stopBatch() {
  const left = state.batch;
  state.batch = [];
  state.batchIds = new Set();
  state.batchCell = null;
  for (const id of left) refreshPrompt(id);
}

function refreshPrompt(id) {
  const i = cellIndex(id);
  if (i < 0 || state.nb.cells[i].cell_type !== 'code') return;
  cellEl(i).querySelector('.cell-in .prompt').textContent = promptText(state.nb.cells[i]);
}

function interrupt() { stopBatch(); send({ type: 'interrupt' }); }

async function restart() {
  if (!await confirmed('Restart the kernel?', 'All variables are lost; outputs stay.', 'Restart')) return;
  stopBatch();
  send({ type: 'restart' });
}

function runAndAdvance() {
  const i = state.selected;
  runCell(i);
  if (i === state.nb.cells.length - 1) insertCell(i + 1);
  else { state.mode = 'command'; select(i + 1); }
  setMode('command');
}

function send(m) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) { kernelStatus('disconnected: reconnecting'); return; }
  state.ws.send(JSON.stringify(m));
}

function kernelStatus(text, cls = '') {
  const s = $('kernel-status');
  s.textContent = 'kernel: ' + text;
  s.className = 'status ' + cls;
  document.body.dataset.kernelState = text;
}

function appendOutput(c, el, out) {
  const outs = c.outputs;
  const last = outs[outs.length - 1];
  if (out.output_type === 'stream' && last && last.output_type === 'stream' && last.name === out.name) {
    last.text += out.text;
    el.querySelector('.outputs').lastChild.textContent = last.text;
    return;
  }
  const pid = out.data && out.data['application/vnd.winnow.progress+json'];
  if (pid) {
    let id = null;
    try { id = JSON.parse(pid).id; } catch (e) { /* no id */ }
    const k = id == null ? -1 : outs.findIndex(o => o.data && o.data['application/vnd.winnow.progress+json'] && (() => { try { return JSON.parse(o.data['application/vnd.winnow.progress+json']).id === id; } catch (e) { return false; } })());
    if (k >= 0) { outs[k] = out; el.querySelector('.outputs').children[k].replaceWith(renderOutput(out)); return; }
  }
  outs.push(out);
  el.querySelector('.outputs').append(renderOutput(out));
}

// a plot's spec arrives as JSON text; the notebook keeps it as a JSON object, as Jupyter does for these types
function jsonValues(data) {
  if (!data) return data;
  for (const t of VEGA_LITE) {
    if (typeof data[t] === 'string') { try { data[t] = JSON.parse(data[t]); } catch (e) { /* shown as an error */ } }
  }
  return data;
}

function onKernelMessage(m) {
  if (m.type === 'status') {
    kernelStatus(m.state === 'busy' ? 'busy' : m.state === 'restarted' || m.state === 'dead' ? m.state + (m.reason ? ': ' + m.reason : '') : 'idle', m.state === 'busy' ? 'busy' : '');
    if (m.state === 'restarted' || m.state === 'dead') { state.running.clear(); state.batch = []; state.batchIds = new Set(); state.batchCell = null; renderAll(); }
    return;
  }
  if (m.type === 'refused') { kernelStatus('refused: ' + m.message); return; }
  const i = cellIndex(m.cellId);
  if (i < 0) return;
  const c = state.nb.cells[i], el = cellEl(i);
  switch (m.type) {
    case 'queued': break;
    case 'start':
      c.execution_count = m.count;
      c.outputs = [];
      renderOutputs(el, c);
      el.querySelector('.cell-in .prompt').textContent = 'In [*]:';
      break;
    case 'running': el.querySelector('.cell-in .prompt').textContent = `In [*] ${Math.round(m.elapsedMs / 1000)}s`; break;
    case 'stream': appendOutput(c, el, { output_type: 'stream', name: m.name, text: m.text }); break;
    case 'display': appendOutput(c, el, { output_type: 'display_data', data: jsonValues(m.data), metadata: {} }); break;
    case 'result': appendOutput(c, el, { output_type: 'execute_result', execution_count: m.count, data: jsonValues(m.data), metadata: {} }); renderOutputs(el, c); break;
    case 'error': appendOutput(c, el, { output_type: 'error', ename: m.ename, evalue: m.evalue, traceback: m.traceback }); break;
    case 'done':
      state.running.delete(c.id);
      // an interrupted or failed cell keeps the count it ran with; an aborted one (never started) its previous one
      if (m.status !== 'aborted' && m.count != null) c.execution_count = m.count;
      el.querySelector('.cell-in .prompt').textContent = promptText(c);
      el.dataset.status = m.status;
      if (c.id === state.batchCell) { if (m.status === 'ok') runNextInBatch(); else stopBatch(); }
      markDirty();
      save();
      break;
  }
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/kernel?path=${q(state.path)}&_xsrf=${q(CSRF)}`);
  state.ws = ws;
  ws.onopen = () => kernelStatus('idle');
  ws.onmessage = ev => onKernelMessage(JSON.parse(ev.data));
  ws.onclose = ev => {
    if (state.ws !== ws) return;
    if (ev.code === 4404) { kernelStatus('no kernel: the notebook no longer exists', 'error'); return; }
    kernelStatus('disconnected: reconnecting');
    setTimeout(() => { if (state.ws === ws) connect(); }, 1000);
  };
}

// ---------- notebooks ----------
async function refreshList() {
  const list = await api('GET', '/api/notebooks');
  const sel = $('notebook-list');
  sel.replaceChildren(...list.map(e => new Option(e.path, e.path)));
  if (state.path) sel.value = state.path;
  return list;
}

async function open(path) {
  await save();
  state.nb = await api('GET', `/api/notebook?path=${q(path)}`);
  state.path = path;
  state.selected = 0;
  state.running.clear();
  history.replaceState(null, '', `/?path=${q(path)}`);
  document.title = `${path} – Winnow`;
  $('notebook-list').value = path;
  state.mode = 'command';
  renderAll();
  document.body.dataset.saveState = 'clean';
  if (state.ws) { const old = state.ws; state.ws = null; old.close(); }
  connect();
}

async function start() {
  api('GET', '/api/completions').then(r => setApiNames(r.winnow, r.types), e => console.warn('no completions:', e.message));
  setNotebookText(() => state.nb ? state.nb.cells.filter(c => c.cell_type === 'code').map(source).join('\n') : '');
  const list = await refreshList();
  let path = new URLSearchParams(location.search).get('path');
  if (!path) path = list.length ? list[0].path : null;
  if (!path) { path = 'Untitled.ipynb'; await api('POST', '/api/notebooks', { path, language: 'js' }); await refreshList(); }
  await open(path);
  document.body.dataset.ready = 'true';
}

// ---------- toolbar ----------
$('notebook-list').addEventListener('change', ev => open(ev.target.value));
$('new-notebook').addEventListener('click', async () => {
  const v = await ask({
    title: 'New notebook', ok: 'Create',
    fields: [
      { name: 'path', label: 'Name (ending in .ipynb)', value: 'Untitled.ipynb' },
      { name: 'language', label: 'Language', value: state.nb ? defaultLang() : 'js', options: LANGS },
    ],
  });
  if (!v || !v.path) return;
  const name = /\.ipynb$/i.test(v.path) ? v.path : v.path + '.ipynb';
  try { await api('POST', '/api/notebooks', { path: name, language: v.language }); await refreshList(); await open(name); } catch (e) { notify(e.message); }
});
$('rename-notebook').addEventListener('click', async () => {
  const v = await ask({ title: 'Rename notebook', ok: 'Rename', fields: [{ name: 'to', label: 'New name', value: state.path }] });
  const to = v && v.to;
  if (!to || to === state.path) return;
  try { await save(); await api('POST', `/api/notebook/rename?path=${q(state.path)}`, { to }); state.path = to; await refreshList(); history.replaceState(null, '', `/?path=${q(to)}`); connect(); } catch (e) { notify(e.message); }
});
$('delete-notebook').addEventListener('click', async () => {
  if (!await confirmed('Delete notebook?', `Delete ${state.path}? This cannot be undone.`, 'Delete')) return;
  try { await api('DELETE', `/api/notebook?path=${q(state.path)}`); state.path = null; state.dirty = false; await start(); } catch (e) { notify(e.message); }
});
$('dialog-cancel').addEventListener('click', () => $('dialog').close('cancel'));
// no form submission (the page's policy has form-action 'none'): OK and Enter close the dialog with 'ok'
$('dialog-ok').addEventListener('click', () => $('dialog').close('ok'));
$('dialog').addEventListener('keydown', ev => { if (ev.key === 'Enter' && ev.target.tagName === 'INPUT') { ev.preventDefault(); $('dialog').close('ok'); } });
$('run-cell').addEventListener('click', runAndAdvance);
$('run-above').addEventListener('click', () => runCells([...Array(state.selected).keys()]));
$('run-all').addEventListener('click', () => runCells([...state.nb.cells.keys()]));
$('interrupt').addEventListener('click', interrupt);
$('restart').addEventListener('click', restart);
$('clear-outputs').addEventListener('click', () => { for (const c of state.nb.cells) if (c.cell_type === 'code') { c.outputs = []; c.execution_count = null; } renderAll(); markDirty(); });
$('add-code').addEventListener('click', () => insertCell(state.selected + 1, 'code'));
$('add-markdown').addEventListener('click', () => insertCell(state.selected + 1, 'markdown'));
$('checkpoint').addEventListener('click', async () => { await save(); const r = await api('POST', `/api/notebook/checkpoint?path=${q(state.path)}`); $('save-status').textContent = 'checkpoint ' + new Date(r.checkpoint).toLocaleTimeString(); });
$('revert').addEventListener('click', async () => {
  if (!await confirmed('Revert to the checkpoint?', 'Changes since the checkpoint are lost.', 'Revert')) return;
  try { clearTimeout(state.saveTimer); state.dirty = false; state.nb = await api('POST', `/api/notebook/revert?path=${q(state.path)}`); renderAll(); } catch (e) { notify(e.message); }
});

// ---------- keyboard (Jupyter's) ----------
document.addEventListener('keydown', ev => {
  if (!state.nb || $('dialog').open) return;
  // in a cell's editor, CodeMirror's keymap (with the notebook's Shift-Enter, Ctrl-Enter, Alt-Enter, Escape) decides
  if (inEditor() || ev.defaultPrevented) return;
  if (ev.key === 'Enter' && ev.shiftKey) { ev.preventDefault(); runAndAdvance(); return; }
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); runCell(state.selected); setMode('command'); return; }
  if (ev.key === 'Enter' && ev.altKey) { ev.preventDefault(); runCell(state.selected); insertCell(state.selected + 1); editMode(); return; }
  if (document.activeElement && ['INPUT', 'SELECT'].includes(document.activeElement.tagName)) return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const now = Date.now(), twice = k => state.lastKey === k && now - state.lastKeyAt < 800;
  let handled = true;
  switch (ev.key) {
    case 'Enter': editMode(); break;
    case 'a': case 'A': insertCell(state.selected, 'code'); break;
    case 'b': case 'B': insertCell(state.selected + 1, 'code'); break;
    case 'm': case 'M': changeType(state.selected, 'markdown'); break;
    case 'y': case 'Y': changeType(state.selected, 'code'); break;
    case 'd': case 'D': if (twice('d')) { deleteCell(state.selected); state.lastKey = null; return; } break;
    case 'i': case 'I': if (twice('i')) { interrupt(); state.lastKey = null; return; } break;
    case '0': if (twice('0')) { state.lastKey = null; restart(); return; } break;
    case 'ArrowUp': case 'k': case 'K': select(state.selected - 1); break;
    case 'ArrowDown': case 'j': case 'J': select(state.selected + 1); break;
    case 's': case 'S': save(); break;
    default: handled = false;
  }
  if (handled) ev.preventDefault();
  state.lastKey = ev.key.toLowerCase(); state.lastKeyAt = now;
});
window.addEventListener('beforeunload', () => { if (state.dirty) save(); });

start().catch(e => { document.body.dataset.ready = 'error'; kernelStatus('error: ' + e.message); });
export { escapeHtml };
