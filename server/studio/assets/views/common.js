// common.js: what the ruleset views share — cached server answers, the Try form's state per
// ruleset (Explain uses the same input), saved input sets, links into the Source tab.

import {api, rulesetPath, ApiError} from '../api.js';
import {h} from '../ui.js';

const cache = new Map();

// cached keeps a promise per key until forget(); a failure is not kept.
function cached(key, load) {
  if (!cache.has(key)) {
    const p = load().catch((e) => { cache.delete(key); throw e; });
    cache.set(key, p);
  }
  return cache.get(key);
}

// forget drops cached answers: of one ruleset (its summary, source, OpenAPI, testcases), or all.
export function forget(name) {
  for (const k of [...cache.keys()]) {
    if (name === undefined || k === 'studio' || k.endsWith(`:${name}`)) cache.delete(k);
  }
}

// studioRulesets is the list of /api/studio/rulesets; before that route exists it is made from
// /api/rulesets (every ruleset there has loaded).
export function studioRulesets({fresh = false} = {}) {
  if (fresh) cache.delete('studio');
  return cached('studio', async () => {
    try {
      const r = await api('GET', '/api/studio/rulesets');
      return r.rulesets || [];
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e;
      const r = await api('GET', '/api/rulesets');
      return (r.rulesets || []).map((x) => ({...x, status: 'loaded', problems: [], editable: false, source: 'unknown'}));
    }
  });
}

export async function studioRuleset(name, opts) {
  const list = await studioRulesets(opts);
  return list.find((r) => r.name === name) || null;
}

export const summary = (name) => cached(`summary:${name}`, () => api('GET', rulesetPath(name)));
export const source = (name) => cached(`source:${name}`, () => api('GET', rulesetPath(name, 'source')));
export const openapi = (name) => cached(`openapi:${name}`, () => api('GET', rulesetPath(name, 'openapi.json')));
// testcases is the ruleset's testcases; fresh asks the server again (the Testcases tab does, as
// the files may have changed since the list was cached).
export function testcases(name, {fresh = false} = {}) {
  if (fresh) cache.delete(`testcases:${name}`);
  return cached(`testcases:${name}`, () => api('GET', rulesetPath(name, 'testcases')));
}
export const completions = (name) => cached(`completions:${name}`, () => api('GET', rulesetPath(name, 'completions')));

// The execute request's input schema in the ruleset's OpenAPI document (with the document, for
// its $refs). The document lists properties alphabetically; here they are put in the declared order
// of the ruleset's inputs and entity properties (from the summary).
export async function inputSchema(name) {
  const [orig, sum] = await Promise.all([openapi(name), summary(name).catch(() => null)]);
  const doc = JSON.parse(JSON.stringify(orig));
  const paths = doc.paths || {};
  const key = Object.keys(paths).find((p) => p.endsWith('/execute') && !p.includes('{version}')) || Object.keys(paths)[0];
  const op = key && paths[key].post;
  const body = op && op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  const req = deref(doc, body && body.schema);
  let input = deref(doc, req && req.properties && req.properties.input) || {type: 'object', properties: {}};
  if (sum) {
    reorder(input, (sum.inputs || []).map((i) => i.from || i.name));
    const schemas = (doc.components && doc.components.schemas) || {};
    for (const e of sum.entities || []) {
      for (const [k, sc] of Object.entries(schemas)) {
        if (k.endsWith(`entity.${e.name}`) || k.endsWith(`entity.${e.name}.Output`)) {
          reorder(sc, [...(e.properties || []).map((p) => p.name), ...(e.calculated || []).map((c) => (typeof c === 'string' ? c : c.name))]);
        }
      }
    }
  }
  return {doc, schema: input, op, path: key};
}

// reorder puts an object schema's properties in the given order (the others after them).
function reorder(schema, names) {
  if (!schema || !schema.properties) return;
  const props = schema.properties;
  const out = {};
  for (const n of names) if (n in props) out[n] = props[n];
  for (const [k, v] of Object.entries(props)) if (!(k in out)) out[k] = v;
  schema.properties = out;
}

export function deref(doc, s) {
  let guard = 0;
  while (s && s.$ref && guard++ < 20) {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    let cur = doc;
    for (const p of parts) cur = cur && cur[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    s = cur;
  }
  return s;
}

// ---------- the Try form's state per ruleset ----------
const tryStates = new Map();

// tryState is the shared state of Try it and Explain for one ruleset: {input, options:{culture,
// logLevel, now}, touched}.
export function tryState(name) {
  if (!tryStates.has(name)) tryStates.set(name, {input: undefined, options: {}, touched: false});
  return tryStates.get(name);
}

// ---------- saved input sets (localStorage, per ruleset) ----------
const savedKey = (name) => `kubus.studio.inputs.${name}`;

export function savedSets(name) {
  try {
    const raw = localStorage.getItem(savedKey(name));
    const v = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

export function saveSet(name, setName, value) {
  const all = savedSets(name);
  all[setName] = value;
  localStorage.setItem(savedKey(name), JSON.stringify(all));
}

export function deleteSet(name, setName) {
  const all = savedSets(name);
  delete all[setName];
  localStorage.setItem(savedKey(name), JSON.stringify(all));
}

// ---------- links ----------

// hashOf builds #/r/NAME/TAB with a query.
export function hashOf(name, tab, query) {
  let s = `#/r/${encodeURIComponent(name)}`;
  if (tab) s += `/${tab}`;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const qs = q.toString();
    if (qs) s += `?${qs}`;
  }
  return s;
}

// sourceLink is a link to file:line in the Source tab ("rules/total-premium.js:3").
export function sourceLink(name, file, line, {text, column} = {}) {
  const label = text || `${file}${line ? `:${line}` : ''}${line && column ? `:${column}` : ''}`;
  return h('a', {href: hashOf(name, 'source', {file, line}), class: 'loc'}, label);
}

// parseAt splits "rules/max-loan.js:3:12" into {file, line, column}.
export function parseAt(at) {
  const m = /^(.*?):(\d+)(?::(\d+))?$/.exec(String(at || ''));
  if (!m) return null;
  return {file: m[1], line: Number(m[2]), column: m[3] ? Number(m[3]) : undefined};
}

// errorBox shows a failed request: the problem's title and detail.
export function errorBox(e, {testid} = {}) {
  const p = (e && e.problem) || {};
  return h('div', {class: 'notice notice-error', role: 'alert', 'data-testid': testid},
    h('strong', null, p.title || 'Something went wrong'),
    p.detail || (e && e.message && e.message !== p.title) ? h('p', null, p.detail || e.message) : null);
}

// problemText is an API error as one line: the problem's title and detail.
export function problemText(err) {
  if (!err) return 'Unknown error';
  const p = err.problem;
  if (p) return [p.title, p.detail].filter(Boolean).join(': ') || `HTTP ${err.status}`;
  return err.message || String(err);
}

// ensureStyles loads the styles of the data, workflows and alerts views (views/data.css) once.
export function ensureStyles() {
  if (document.querySelector('link[data-kubus-css="views"]')) return;
  document.head.append(h('link', {rel: 'stylesheet', href: '/studio/views/data.css', 'data-kubus-css': 'views'}));
}
