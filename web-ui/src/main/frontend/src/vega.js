// Vega-Lite outputs (application/vnd.vegalite.v5+json and v4): rendered by vega-embed in the page, inside its policy:
// expressions are interpreted (vega-interpreter: no eval, no 'unsafe-eval' in the policy) and the loader loads nothing,
// so a spec's data must be inline (`data.values`); a spec with `data.url` or an image or link URL fails with a
// message saying so instead of reaching the network. Export (PNG/SVG) stays; the "Open in Vega Editor" link does not.
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';

const refuse = (what) => () => Promise.reject(new Error(
  `Vega-Lite: ${what} is not loaded: the notebook loads nothing from the network or disk for plots; put the data in the spec (data.values)`));
const loader = { load: refuse('a URL'), sanitize: refuse('a URL'), http: refuse('a URL'), file: refuse('a file') };

// the first string-valued `url` in a spec (data.url, an image mark's url, ...), with where it is, or null
function findUrl(v, where) {
  if (v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'url' && typeof x === 'string') return `${where}.url (${x.length > 60 ? x.slice(0, 57) + '...' : x})`;
    const r = findUrl(x, `${where}.${k}`);
    if (r) return r;
  }
  return null;
}

/** Renders `spec` into `el`; resolves when drawn, rejects with the reason otherwise. */
export async function renderVegaLite(el, spec) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error('Vega-Lite: the spec is not a JSON object');
  const url = findUrl(spec, 'spec');
  if (url) await refuse(url)();
  const result = await embed(el, spec, {
    mode: 'vega-lite', renderer: 'svg', ast: true, expr: expressionInterpreter, loader,
    actions: { export: true, source: false, compiled: false, editor: false }, tooltip: true,
  });
  return result;
}
