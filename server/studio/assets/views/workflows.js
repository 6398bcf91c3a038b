// Workflows: #/workflows (the workflow rulesets), #/workflows/NAME (its instances, start one),
// #/workflows/NAME/ID (one instance: diagram with its path, history, tasks, uploads, cancel/retry).
//
// API used (server/workflows.go, workflow/instance.go):
//   GET  /api/studio/rulesets → {rulesets: [{name, description, latest, workflow, ...}]} (else GET /api/rulesets)
//   GET  /api/rulesets/{name} → summary; with admin also `definition` (the JSON form), whose
//        workflow.steps[STEP] gives a wait step's `answer` declaration and an upload step's accept/maxBytes
//   GET  /api/rulesets/{name}/openapi.json (execute:NAME, workflows:NAME or admin) →
//        components.schemas["{name}.Input"]: the start form; the operation of each task and upload
//        (x-kubus-step) has the answer's schema, x-kubus-step-description, x-kubus-accept, x-kubus-max-bytes
//   POST /api/workflows/{name}/instances {"input": {...}} → 201 the instance | 400 {errors: [{path, message}]}
//   GET  /api/workflows/{name}/instances?status=&limit=&cursor= → {items: [instance], next: id|null}, oldest first
//   GET  /api/workflows/{name}/diagram.svg[?instance=ID] → image/svg+xml
//   GET  /api/workflows/instances/{id} → {id, workflow, version, status, input, state,
//        waiting: [{step, kind: delay|task|upload|retry, until?}], step?, result?, alerts?: [{step,name,level,message}],
//        error?: {step, kind, message, at?, attempt?}, createdAt, updatedAt}
//   GET  /api/workflows/instances/{id}/history → {items: [{seq, at, step?, event, detail?}]}
//   POST /api/workflows/instances/{id}/tasks/{step} {"answer": {...}} → the instance | 400 (paths "answer.X") | 409
//   POST /api/workflows/instances/{id}/uploads/{step} multipart, part `file` → the instance | 413 | 415 | 409
//   POST /api/workflows/instances/{id}/cancel, /retry → the instance | 409
// Every server value is shown with textContent.

import {api, session} from '../api.js';
import {h, clear, toast, announce, confirmDialog, formFromSchema, readForm, showFieldErrors, valueView, scalarText} from '../ui.js';
import {problemText, ensureStyles, deref} from './common.js';

const enc = encodeURIComponent;
const STATUSES = ['running', 'waiting', 'completed', 'failed', 'canceled'];
const PAGE = 25;
const listMemory = new Map(); // per workflow: {status, cursors, page}

function routeParams(ctx) {
  const p = (ctx && ctx.params) || {};
  const seg = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  // #/workflows/NAME/ID
  return {name: p.name || seg[1] || '', id: p.id || seg[2] || ''};
}


function fmtTime(v) {
  if (typeof v !== 'string') return scalarText(v);
  const d = new Date(v);
  return isNaN(d) ? v : d.toLocaleString();
}

function timeEl(v) {
  return h('time', {datetime: typeof v === 'string' ? v : ''}, fmtTime(v));
}

function shortId(id) {
  return typeof id === 'string' && id.length > 13 ? id.slice(0, 8) + '…' + id.slice(-4) : String(id ?? '');
}

const STATUS_BADGE = {running: 'badge-info', waiting: 'badge-warning', completed: 'badge-ok', failed: 'badge-error', canceled: 'badge-neutral'};
const EVENT_BADGE = {started: 'badge-info', entered: 'badge-neutral', completed: 'badge-ok', answered: 'badge-ok', uploaded: 'badge-ok',
  timer: 'badge-info', retried: 'badge-warning', failed: 'badge-error', canceled: 'badge-neutral', ended: 'badge-ok'};

function statusBadge(s) {
  return h('span', {class: `badge ${STATUS_BADGE[s] || 'badge-neutral'}`}, scalarText(s));
}

function stillShown(container, hash) {
  return container.isConnected && location.hash === hash;
}


export async function render(container, ctx) {
  ensureStyles();
  clear(container);
  const {name, id} = routeParams(ctx);
  const navigate = (ctx && ctx.navigate) || ((hash) => { location.hash = hash; });
  if (!name) return renderList(container, navigate);
  if (!id) return renderWorkflow(container, name, navigate);
  return renderInstance(container, name, id, navigate);
}

// ---------- #/workflows ----------

async function renderList(container, navigate) {
  const root = h('section', {class: 'wf-view'});
  container.append(root);
  root.append(h('h1', {}, 'Workflows'));
  const body = h('div', {}, h('p', {class: 'muted', role: 'status'}, 'Loading…'));
  root.append(body);
  let list = [];
  try {
    const r = await api('GET', '/api/studio/rulesets');
    list = (r.rulesets || []).filter((x) => x.workflow);
  } catch (e) {
    // Without the studio route: every ruleset whose instances route answers is a workflow.
    try {
      const r = await api('GET', '/api/rulesets');
      const probes = await Promise.all((r.rulesets || []).filter((x) => !x.library).map(async (x) => {
        try { await api('GET', `/api/workflows/${enc(x.name)}/instances?limit=1`); return x; } catch { return null; }
      }));
      list = probes.filter(Boolean);
    } catch (e2) {
      clear(body).append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot list the rulesets: ${problemText(e2)}`));
      return;
    }
  }
  clear(body);
  if (list.length === 0) {
    body.append(h('p', {class: 'muted'}, 'No workflows are listed: none is served (a workflow is a ruleset with a workflow: section), or this key may not see them. ',
      'A key with only workflows: scopes cannot list rulesets; open a workflow by its name instead.'));
    const input = h('input', {type: 'text', id: 'wf-open-name', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'wf-open-name'});
    const form = h('form', {class: 'dv-row', novalidate: true, 'aria-label': 'Open a workflow by name'},
      h('div', {class: 'field'}, h('label', {for: 'wf-open-name'}, 'Workflow name'), input),
      h('button', {type: 'submit', class: 'btn', 'data-testid': 'wf-open'}, 'Open'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const n = input.value.trim();
      if (n) navigate(`#/workflows/${enc(n)}`);
    });
    body.append(form);
    return;
  }
  const rows = list.map((x) => h('tr', {},
    h('th', {scope: 'row'}, h('a', {href: `#/workflows/${enc(x.name)}`, 'data-testid': `wf-link-${x.name}`}, x.name)),
    h('td', {}, scalarText(x.latest || (x.versions && x.versions[x.versions.length - 1]) || '')),
    h('td', {}, scalarText(x.description || '')),
    h('td', {}, x.status === 'failed' ? h('span', {class: 'badge badge-error'}, 'does not load') : '')));
  body.append(h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl', 'data-testid': 'wf-list'},
    h('caption', {}, 'Workflow rulesets'),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Workflow'), h('th', {scope: 'col'}, 'Version'),
      h('th', {scope: 'col'}, 'Description'), h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Problems')))),
    h('tbody', {}, rows))));
}

// ---------- #/workflows/NAME ----------

async function renderWorkflow(container, name, navigate) {
  const hash = location.hash;
  const root = h('section', {class: 'wf-view'});
  container.append(root);
  root.append(h('p', {class: 'crumbs'}, h('a', {href: '#/workflows'}, 'Workflows'), ' / '));
  root.append(h('h1', {}, `Workflow ${name}`));
  const desc = h('p', {class: 'muted'});
  root.append(desc);

  // Summary (description), input schema for the start form.
  api('GET', `/api/rulesets/${enc(name)}`).then((s) => { desc.textContent = s.description || ''; }).catch(() => {});

  const startBox = h('section', {class: 'card wf-card wf-start', 'aria-labelledby': 'wf-start-h'},
    h('h2', {id: 'wf-start-h'}, 'Start an instance'));
  const listBox = h('section', {class: 'wf-instances', 'aria-labelledby': 'wf-inst-h'},
    h('h2', {id: 'wf-inst-h'}, 'Instances'));
  const diagramBox = h('section', {class: 'card wf-card wf-diagram', 'aria-labelledby': 'wf-diag-h'},
    h('h2', {id: 'wf-diag-h'}, 'Diagram'),
    h('div', {class: 'wf-diagram-img'},
      h('img', {src: `/api/workflows/${enc(name)}/diagram.svg`, alt: `Diagram of the steps of workflow ${name}`, 'data-testid': 'wf-diagram', loading: 'lazy'})));
  root.append(h('div', {class: 'wf-grid'}, h('div', {class: 'wf-main'}, listBox), h('div', {class: 'wf-side'}, startBox, diagramBox)));

  buildStartForm(startBox, name, navigate);

  // The instance list with a status filter and cursor paging.
  const st = listMemory.get(name) || {status: '', cursors: [null], page: 0};
  listMemory.set(name, st);
  const filter = h('div', {class: 'wf-filter'});
  const group = `wf-status-${Math.random().toString(36).slice(2, 8)}`;
  for (const s of ['', ...STATUSES]) {
    const rid = `${group}-${s || 'all'}`;
    const radio = h('input', {type: 'radio', name: group, id: rid, value: s, checked: st.status === s, 'data-testid': `wf-filter-${s || 'all'}`});
    radio.addEventListener('change', () => { if (radio.checked) { st.status = s; st.cursors = [null]; st.page = 0; load(); } });
    filter.append(h('span', {class: 'wf-radio'}, radio, h('label', {for: rid}, s || 'all')));
  }
  const refresh = h('button', {type: 'button', class: 'btn btn-small', onclick: () => load(), 'data-testid': 'wf-refresh'}, 'Refresh the list');
  const tableBox = h('div', {});
  const pager = h('nav', {class: 'btn-row wf-pager', 'aria-label': 'Instance pages'});
  const live = h('p', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  listBox.append(h('div', {class: 'wf-list-tools'}, h('fieldset', {class: 'wf-filterset'}, h('legend', {}, 'Show instances that are'), filter), refresh), live, tableBox, pager);

  async function load() {
    const q = new URLSearchParams({limit: String(PAGE)});
    if (st.status) q.set('status', st.status);
    if (st.cursors[st.page]) q.set('cursor', st.cursors[st.page]);
    let r;
    try {
      r = await api('GET', `/api/workflows/${enc(name)}/instances?${q}`);
    } catch (e) {
      clear(tableBox).append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot list the instances: ${problemText(e)}`));
      return;
    }
    if (!stillShown(container, hash)) return;
    const items = r.items || [];
    st.cursors[st.page + 1] = r.next || null;
    st.cursors.length = st.page + 2;
    clear(tableBox);
    if (items.length === 0) {
      tableBox.append(h('p', {class: 'muted', 'data-testid': 'wf-instances'},
        st.status ? `No ${st.status} instances.` : 'No instances yet: start one below.'));
    } else {
      tableBox.append(h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl', 'data-testid': 'wf-instances'},
        h('caption', {}, `Instances of ${name}${st.status ? ` (${st.status})` : ''}, oldest first`),
        h('thead', {}, h('tr', {}, ...['Instance', 'Status', 'Waits for', 'Version', 'Started', 'Updated'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, items.map((it) => h('tr', {},
          h('th', {scope: 'row'}, h('a', {href: `#/workflows/${enc(name)}/${enc(it.id)}`, class: 'dv-id', 'data-testid': `wf-instance-${it.id}`,
            title: it.id}, shortId(it.id))),
          h('td', {}, statusBadge(it.status), it.error ? h('span', {class: 'muted'}, ` at ${it.error.step || ''}`) : ''),
          h('td', {}, waitingText(it.waiting)),
          h('td', {}, scalarText(it.version)),
          h('td', {}, timeEl(it.createdAt)),
          h('td', {}, timeEl(it.updatedAt))))))));
    }
    clear(pager).append(
      h('button', {type: 'button', class: 'btn btn-small', disabled: st.page === 0, 'data-testid': 'wf-prev', onclick: () => { st.page -= 1; load(); }}, '← Previous'),
      h('span', {class: 'muted'}, `Page ${st.page + 1}`),
      h('button', {type: 'button', class: 'btn btn-small', disabled: !r.next, 'data-testid': 'wf-next', onclick: () => { st.page += 1; load(); }}, 'Next →'));
    live.textContent = `${items.length} instance${items.length === 1 ? '' : 's'} on page ${st.page + 1}`;
  }
  await load();
}

function errorList(errors) {
  return h('ul', {}, errors.map((x) => h('li', {}, x.path ? h('code', {}, x.path) : null, x.path ? ': ' : '', scalarText(x.message))));
}

function waitingText(waiting) {
  if (!Array.isArray(waiting) || waiting.length === 0) return '';
  return waiting.map((w) => `${w.step} (${w.kind}${w.until ? ` until ${fmtTime(w.until)}` : ''})`).join(', ');
}

async function buildStartForm(box, name, navigate) {
  const note = h('p', {class: 'muted'}, 'Loading the inputs…');
  box.append(note);
  let schema = null;
  let root;
  let sum = null;
  try { sum = await api('GET', `/api/rulesets/${enc(name)}`); } catch { /* no summary */ }
  try {
    const doc = await api('GET', `/api/rulesets/${enc(name)}/openapi.json`);
    const s = doc && doc.components && doc.components.schemas && doc.components.schemas[`${name}.Input`];
    if (s) { schema = s; root = doc; }
  } catch { /* no execute:NAME or admin: from the summary, else JSON */ }
  if (schema && sum && Array.isArray(sum.inputs) && schema.properties) {
    // The OpenAPI document sorts the properties by name: show them in the declared order.
    const props = {};
    for (const f of sum.inputs) {
      const k = f.from || f.name;
      if (k in schema.properties) props[k] = schema.properties[k];
    }
    for (const [k, v] of Object.entries(schema.properties)) if (!(k in props)) props[k] = v;
    schema = {...schema, properties: props};
  }
  if (!schema && sum) schema = schemaFromFields(sum.inputs || []);
  note.remove();
  let fields;
  if (schema) {
    fields = formFromSchema(schema, {idPrefix: 'wf-start', root});
  } else {
    fields = jsonField('wf-start-json', 'Input (JSON object)', '{}');
  }
  const err = h('div', {class: 'dv-form-error', role: 'alert'});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'wf-start-submit'}, 'Start');
  const form = h('form', {class: 'wf-start-form', novalidate: true, 'data-testid': 'wf-start-form', 'aria-labelledby': 'wf-start-h'},
    fields, err, h('div', {class: 'btn-row'}, submit));
  box.append(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(err);
    let input;
    try { input = fields._jsonRead ? fields._jsonRead() : readForm(fields); } catch (e) { err.textContent = e.message; return; }
    submit.disabled = true;
    try {
      const inst = await api('POST', `/api/workflows/${enc(name)}/instances`, {input: input || {}});
      toast(`Started instance ${shortId(inst.id)}: ${inst.status}`, 'success');
      navigate(`#/workflows/${enc(name)}/${enc(inst.id)}`);
    } catch (e) {
      if (e.status === 400 && e.problem && Array.isArray(e.problem.errors)) {
        if (!fields._jsonRead) showFieldErrors(fields, e.problem.errors);
        err.append(h('p', {}, problemText(e)));
        if (fields._jsonRead) err.append(errorList(e.problem.errors));
      } else {
        err.textContent = problemText(e);
      }
    } finally {
      submit.disabled = false;
    }
  });
}

// schemaFromFields makes a JSON Schema from the summary's [{name, type, required}] (or a
// declaration {Name: {type, required, label, values, of, description}}, with the ruleset's
// entities for entity types).
// stepsFromOpenAPI reads what the task and upload forms need from a workflow ruleset's OpenAPI
// document: each step operation's answer schema (a $ref into the document), description, accepted
// types and size cap.
function stepsFromOpenAPI(doc) {
  const out = {};
  for (const item of Object.values((doc && doc.paths) || {})) {
    const op = item && item.post;
    const step = op && op['x-kubus-step'];
    if (typeof step !== 'string') continue;
    const s = {description: op['x-kubus-step-description'] || ''};
    const body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    const req = body && deref(doc, body.schema);
    if (req && req.properties && req.properties.answer) s.answerSchema = req.properties.answer;
    if (Array.isArray(op['x-kubus-accept']) && op['x-kubus-accept'].length) s.accept = op['x-kubus-accept'];
    if (typeof op['x-kubus-max-bytes'] === 'number') s.maxBytes = op['x-kubus-max-bytes'];
    out[step] = s;
  }
  return out;
}

function schemaFromFields(fields, entities = {}, depth = 0) {
  const props = {};
  const required = [];
  const list = Array.isArray(fields)
    ? fields.map((f) => [f.name, f])
    : Object.entries(fields || {}).map(([k, v]) => [k, typeof v === 'string' ? {type: v} : (v || {})]);
  for (const [k, f] of list) {
    const s = typeSchema(f.type, f, entities, depth);
    // An optional entity stays out of the answer until it is added.
    if (!f.required && s.type === 'object') s.type = ['object', 'null'];
    if (f.label) s.title = f.label;
    if (f.description) s.description = f.description;
    if (f.default !== undefined) s.default = f.default;
    props[k] = s;
    if (f.required) required.push(k);
  }
  return {type: 'object', properties: props, required};
}

function typeSchema(t, f = {}, entities = {}, depth = 0) {
  if (typeof t === 'string' && t.startsWith('array of ')) return {type: 'array', items: typeSchema(t.slice(9), {}, entities, depth + 1)};
  switch (t) {
    case 'number': return {type: 'number'};
    case 'boolean': return {type: 'boolean'};
    case 'string': return {type: 'string'};
    case 'date': return {type: 'string', format: 'date'};
    case 'enum': return {type: 'string', enum: Array.isArray(f.values) ? f.values.slice() : []};
    case 'array': return {type: 'array', items: f.of ? typeSchema(f.of, {}, entities, depth + 1) : {}};
    case 'any': case undefined: case null: case '': return {};
    default: {
      const e = entities && entities[t];
      if (e && depth < 6) {
        const s = schemaFromFields(e.properties || {}, entities, depth + 1);
        s.title = t;
        return s;
      }
      return {};
    }
  }
}

// jsonField is a labelled textarea for a JSON object, when there is no declaration to build a form from.
function jsonField(id, label, initial) {
  const ta = h('textarea', {id, rows: '5', class: 'json', spellcheck: 'false', 'data-path': ''});
  ta.value = initial;
  const div = h('div', {class: 'schema-form'}, h('div', {class: 'field'}, h('label', {for: id}, label), ta));
  div._jsonRead = () => {
    const t = ta.value.trim();
    if (!t) return {};
    try { return JSON.parse(t); } catch (e) { throw new Error(`${label}: not JSON (${e.message})`); }
  };
  return div;
}

// ---------- #/workflows/NAME/ID ----------

async function renderInstance(container, name, id, navigate) {
  const hash = location.hash;
  const root = h('section', {class: 'wf-view wf-instance'});
  container.append(root);
  root.append(h('p', {class: 'crumbs'}, h('a', {href: '#/workflows'}, 'Workflows'), ' / ',
    h('a', {href: `#/workflows/${enc(name)}`}, name), ' / '));
  const h1 = h('h1', {}, `Instance ${shortId(id)}`);
  root.append(h1);
  const live = h('p', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  const body = h('div', {});
  root.append(live, body);

  // The workflow's JSON form (admin keys): the declarations of tasks and uploads, in declared
  // order. Without admin, the OpenAPI document's operations of the steps (a workflows:NAME key).
  let steps = null;
  let entities = {};
  let apiDoc = null;
  try {
    const sum = await api('GET', `/api/rulesets/${enc(name)}`);
    const def = sum && sum.definition;
    if (def && def.workflow) {
      steps = def.workflow.steps || null;
      entities = def.entities || {};
    }
  } catch { /* no summary */ }
  if (!steps) {
    try {
      apiDoc = await api('GET', `/api/rulesets/${enc(name)}/openapi.json`);
      steps = stepsFromOpenAPI(apiDoc);
    } catch { /* no declarations: a JSON answer field */ }
  }

  let timer = null;
  let lastRev = null;

  async function refresh(message) {
    if (timer) { clearTimeout(timer); timer = null; }
    let inst;
    let hist;
    let etag = null;
    try {
      const res = await api('GET', `/api/workflows/instances/${enc(id)}`, undefined, {raw: true});
      if (res && typeof res.ok === 'boolean') {
        if (!res.ok) {
          let p = null;
          try { p = await res.json(); } catch { /* not JSON */ }
          throw Object.assign(new Error((p && p.detail) || `HTTP ${res.status}`), {status: res.status, problem: p});
        }
        etag = res.headers.get('ETag');
        inst = await res.json();
      } else {
        inst = res;
      }
      hist = await api('GET', `/api/workflows/instances/${enc(id)}/history`);
    } catch (e) {
      clear(body).append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot read instance ${id}: ${problemText(e)}`));
      return;
    }
    if (!stillShown(container, hash)) return;
    lastRev = etag || inst.updatedAt;
    draw(inst, (hist && hist.items) || []);
    if (message) announce(message);
    schedule(inst);
  }

  // While the instance runs, or waits for a timer, look again when something may have changed.
  function schedule(inst) {
    let ms = null;
    if (inst.status === 'running') ms = 1500;
    else if (inst.status === 'waiting') {
      const dues = (inst.waiting || []).filter((w) => w.until && (w.kind === 'delay' || w.kind === 'retry'))
        .map((w) => new Date(w.until).getTime() - Date.now());
      if (dues.length) ms = Math.min(Math.max(Math.min(...dues) + 1200, 1000), 60_000);
    }
    if (ms === null) return;
    timer = setTimeout(async () => {
      timer = null;
      if (!stillShown(container, hash)) return;
      try {
        const res = await api('GET', `/api/workflows/instances/${enc(id)}`, undefined, {raw: true});
        const tag = res && res.headers ? res.headers.get('ETag') : null;
        if (tag && tag === lastRev) { schedule(inst); return; }
      } catch { /* refresh shows it */ }
      // Only redraw when nobody is typing in a form of this page.
      if (root.contains(document.activeElement) && document.activeElement.closest('form')) { schedule(inst); return; }
      refresh('The instance changed');
    }, ms);
  }

  function draw(inst, events) {
    clear(body);
    h1.textContent = `Instance ${shortId(inst.id)} of ${inst.workflow}`;
    h1.title = inst.id;
    const mainCol = h('div', {class: 'wf-main'});
    const sideCol = h('div', {class: 'wf-side'});
    body.append(h('div', {class: 'wf-grid'}, mainCol, sideCol));

    // Summary.
    const dl = h('dl', {class: 'wf-facts', 'data-testid': 'wf-summary'},
      h('div', {}, h('dt', {}, 'Status'), h('dd', {'data-testid': 'wf-status'}, statusBadge(inst.status), inst.step ? ` at step ${inst.step}` : '')),
      h('div', {}, h('dt', {}, 'Waits for'), h('dd', {}, (inst.waiting && inst.waiting.length) ? waitingText(inst.waiting) : 'nothing')),
      h('div', {}, h('dt', {}, 'Version'), h('dd', {}, scalarText(inst.version))),
      h('div', {}, h('dt', {}, 'Started'), h('dd', {}, timeEl(inst.createdAt))),
      h('div', {}, h('dt', {}, 'Updated'), h('dd', {}, timeEl(inst.updatedAt))),
      h('div', {class: 'wf-fact-wide'}, h('dt', {}, 'Id'), h('dd', {}, h('code', {}, inst.id))));
    const actions = h('div', {class: 'btn-row wf-actions'});
    // An incident (failed with an error) still has its failed step: it can be retried or canceled. A
    // step waiting for its next try can be retried now.
    const incident = inst.status === 'failed' && Boolean(inst.error);
    const retrying = (inst.waiting || []).some((w) => w.kind === 'retry');
    const ended = inst.status === 'completed' || inst.status === 'canceled' || (inst.status === 'failed' && !incident);
    if (incident || retrying) {
      const step = incident ? inst.error.step : (inst.waiting.find((w) => w.kind === 'retry') || {}).step;
      actions.append(h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'wf-retry', onclick: () => act('retry')}, `Retry step ${step || ''}`));
    }
    if (!ended) {
      actions.append(h('button', {type: 'button', class: 'btn btn-danger', 'data-testid': 'wf-cancel', onclick: () => act('cancel')}, 'Cancel instance'));
    }
    actions.append(h('button', {type: 'button', class: 'btn', 'data-testid': 'wf-reload', onclick: () => refresh('Reloaded')}, 'Reload'));
    mainCol.append(h('section', {class: 'card wf-card', 'aria-label': 'Summary'}, dl, actions));

    if (inst.error) {
      const e = inst.error;
      mainCol.append(h('section', {class: 'notice notice-error wf-incident', 'aria-labelledby': 'wf-inc-h', 'data-testid': 'wf-error'},
        h('h2', {id: 'wf-inc-h'}, `Incident at step ${e.step || '?'}`),
        h('p', {}, h('strong', {}, scalarText(e.kind || 'error')), ': ', scalarText(e.message || '')),
        e.at ? h('p', {}, 'At ', h('code', {}, e.at), e.attempt ? ` (attempt ${e.attempt})` : '') : null,
        incident ? h('p', {}, 'Fix the cause, then retry the step, or cancel the instance.') : null));
    }

    // What it waits for: tasks and uploads.
    for (const w of inst.waiting || []) {
      if (w.kind === 'task') mainCol.append(taskPanel(inst, w));
      else if (w.kind === 'upload') mainCol.append(uploadPanel(inst, w));
    }

    // History as a timeline.
    mainCol.append(h('section', {class: 'wf-history', 'aria-labelledby': 'wf-hist-h'},
      h('h2', {id: 'wf-hist-h'}, `History (${events.length} event${events.length === 1 ? '' : 's'})`),
      h('ol', {class: 'wf-timeline', 'data-testid': 'wf-history'}, events.map((ev) => h('li', {class: `wf-ev wf-ev-${/^[a-z]+$/.test(ev.event) ? ev.event : 'other'}`, 'data-seq': String(ev.seq)},
        h('div', {class: 'wf-ev-head'},
          h('span', {class: `badge ${EVENT_BADGE[ev.event] || 'badge-neutral'}`}, scalarText(ev.event)),
          ev.step ? h('strong', {class: 'wf-ev-step'}, ev.step) : null,
          h('span', {class: 'muted small wf-ev-time'}, timeEl(ev.at))),
        ev.detail !== undefined && ev.detail !== null ? detailView(ev.detail) : null)))));

    // The diagram with the path taken.
    const taken = [];
    for (const ev of events) if (ev.event === 'entered' && ev.step && !taken.includes(ev.step)) taken.push(ev.step);
    const current = (inst.waiting || []).map((w) => w.step);
    const alt = `Diagram of workflow ${inst.workflow}. The path of this instance goes through ${taken.length ? taken.join(', ') : 'no steps yet'}` +
      (current.length ? `; it waits at ${current.join(', ')}` : '') +
      (inst.error ? `; it failed at ${inst.error.step}` : '') + '.';
    const src = `/api/workflows/${enc(inst.workflow)}/diagram.svg?instance=${enc(inst.id)}&rev=${enc(String(lastRev || ''))}`;
    sideCol.append(h('section', {class: 'card wf-diagram', 'aria-labelledby': 'wf-diag-h'},
      h('h2', {id: 'wf-diag-h'}, 'Diagram'),
      h('p', {class: 'muted small'}, 'The path taken is green, the steps it waits at have a blue outline, a failed step is red.'),
      h('div', {class: 'wf-diagram-img'}, h('img', {src, alt, 'data-testid': 'wf-diagram'}))));

    // Values.
    const vals = h('section', {class: 'wf-values', 'aria-labelledby': 'wf-vals-h'}, h('h2', {id: 'wf-vals-h'}, 'Values'));
    if (inst.result !== undefined && inst.result !== null) {
      vals.append(h('h3', {}, 'Result'), h('div', {'data-testid': 'wf-result'}, valueView(inst.result)));
    }
    if (Array.isArray(inst.alerts) && inst.alerts.length) {
      vals.append(h('h3', {}, 'Alerts'), h('ul', {class: 'alert-list', 'data-testid': 'wf-alerts'}, inst.alerts.map((a) =>
        h('li', {class: `alert alert-${['error', 'warning', 'info'].includes(a.level) ? a.level : 'info'}`},
          h('span', {class: 'alert-text'}, h('span', {}, h('strong', {}, scalarText(a.name)), ` (${scalarText(a.level)}, step ${scalarText(a.step)})`),
            h('span', {}, scalarText(a.message)))))));
    }
    vals.append(h('h3', {}, 'State'), h('div', {'data-testid': 'wf-state'}, valueView(inst.state)));
    vals.append(h('h3', {}, 'Input'), h('div', {}, valueView(inst.input)));
    body.append(vals);
  }

  function detailView(d) {
    if (d && typeof d === 'object' && !Array.isArray(d) && Array.isArray(d.console) && Object.keys(d).length === 1) {
      return h('div', {class: 'tl-detail'}, h('ul', {class: 'console'}, d.console.map((l) => h('li', {}, h('code', {}, scalarText(l))))));
    }
    return h('div', {class: 'tl-detail'}, valueView(d));
  }

  function taskPanel(inst, w) {
    const step = steps && steps[w.step];
    const hid = `wf-task-h-${w.step.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const panel = h('section', {class: 'card wf-card wf-task', 'aria-labelledby': hid});
    panel.append(h('h2', {id: hid}, `Task: ${w.step}`));
    if (step && step.description) panel.append(h('p', {}, step.description));
    if (w.until) panel.append(h('p', {class: 'muted'}, 'Answer before ', timeEl(w.until), step && step.onTimeout ? `, else it goes on at ${step.onTimeout}` : '', '.'));
    let fields;
    const decl = step && step.answer;
    if (decl && typeof decl === 'object') {
      fields = formFromSchema(schemaFromFields(decl, entities), {idPrefix: `wf-ans-${w.step}`});
    } else if (step && step.answerSchema) {
      fields = formFromSchema(step.answerSchema, {idPrefix: `wf-ans-${w.step}`, root: apiDoc});
    } else {
      fields = jsonField(`wf-ans-${w.step}-json`, 'Answer (JSON object)', '{}');
      panel.append(h('p', {class: 'muted'}, 'This key cannot read the task\'s declaration: type the answer as JSON.'));
    }
    const err = h('div', {class: 'dv-form-error', role: 'alert'});
    const submit = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'wf-task-submit'}, 'Answer');
    const form = h('form', {class: 'wf-task-form', novalidate: true, 'data-testid': 'wf-task-form', 'data-step': w.step, 'aria-labelledby': hid},
      fields, err, h('div', {class: 'btn-row'}, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clear(err);
      let answer;
      try { answer = fields._jsonRead ? fields._jsonRead() : readForm(fields); } catch (e) { err.textContent = e.message; return; }
      submit.disabled = true;
      try {
        const out = await api('POST', `/api/workflows/instances/${enc(inst.id)}/tasks/${enc(w.step)}`, {answer: answer || {}});
        toast(`Answered ${w.step}: the instance is ${out.status}`, 'success');
        await refresh();
      } catch (e) {
        submit.disabled = false;
        if (e.status === 400 && e.problem && Array.isArray(e.problem.errors)) {
          const errs = e.problem.errors.map((x) => ({...x, path: String(x.path || '').replace(/^answer(\.|$)/, '')}));
          if (!fields._jsonRead) showFieldErrors(fields, errs);
          err.append(h('p', {}, problemText(e)));
          if (fields._jsonRead) err.append(errorList(errs));
        } else if (e.status === 409) {
          err.append(h('p', {}, h('strong', {}, 'It no longer waits for this answer. '), problemText(e)),
            h('button', {type: 'button', class: 'btn btn-small', onclick: () => refresh('Reloaded')}, 'Reload the instance'));
        } else {
          err.textContent = problemText(e);
        }
      }
    });
    panel.append(form);
    return panel;
  }

  function uploadPanel(inst, w) {
    const step = steps && steps[w.step];
    const hid = `wf-up-h-${w.step.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const fid = `wf-up-file-${w.step.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const panel = h('section', {class: 'card wf-card wf-upload', 'aria-labelledby': hid});
    panel.append(h('h2', {id: hid}, `Upload: ${w.step}`));
    if (step && step.description) panel.append(h('p', {}, step.description));
    const accept = step && Array.isArray(step.accept) ? step.accept : null;
    const limits = [];
    if (accept) limits.push(`Accepted types: ${accept.join(', ')}.`);
    if (step && step.maxBytes) limits.push(`At most ${formatBytes(step.maxBytes)}.`);
    if (w.until) limits.push(`Before ${fmtTime(w.until)}.`);
    const helpId = `${fid}-help`;
    const input = h('input', {type: 'file', id: fid, name: 'file', accept: accept ? accept.join(',') : null,
      'aria-describedby': limits.length ? helpId : null, 'data-testid': 'wf-upload-file', required: true});
    const err = h('div', {class: 'dv-form-error', role: 'alert'});
    const submit = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'wf-upload-submit'}, 'Upload');
    const form = h('form', {class: 'wf-upload-form', novalidate: true, 'data-testid': 'wf-upload-form', 'aria-labelledby': hid},
      h('div', {class: 'field'}, h('label', {for: fid}, 'File'), limits.length ? h('div', {class: 'help', id: helpId}, limits.join(' ')) : null, input),
      err, h('div', {class: 'btn-row'}, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clear(err);
      const file = input.files && input.files[0];
      if (!file) { err.textContent = 'Choose a file first.'; input.focus(); return; }
      if (step && step.maxBytes && file.size > step.maxBytes) {
        err.textContent = `${file.name} is ${formatBytes(file.size)}: step ${w.step} takes at most ${formatBytes(step.maxBytes)}.`;
        return;
      }
      submit.disabled = true;
      try {
        const out = await uploadFile(`/api/workflows/instances/${enc(inst.id)}/uploads/${enc(w.step)}`, file);
        toast(`Uploaded ${file.name}: the instance is ${out.status}`, 'success');
        await refresh();
      } catch (e) {
        submit.disabled = false;
        const lead = e.status === 409 ? 'It no longer waits for this upload. ' : '';
        err.append(h('p', {}, lead ? h('strong', {}, lead) : null, problemText(e)));
        if (e.status === 409) err.append(h('button', {type: 'button', class: 'btn btn-small', onclick: () => refresh('Reloaded')}, 'Reload the instance'));
      }
    });
    panel.append(form);
    return panel;
  }

  async function act(what) {
    const ok = await confirmDialog(what === 'cancel'
      ? `Cancel instance ${id}? It stops waiting and ends as canceled; this cannot be undone.`
      : `Run the failed step of instance ${id} again?`,
    {title: what === 'cancel' ? 'Cancel the instance?' : 'Retry the failed step?', confirm: what === 'cancel' ? 'Cancel instance' : 'Retry', cancel: 'Keep it', danger: what === 'cancel'});
    if (!ok) return;
    try {
      const out = await api('POST', `/api/workflows/instances/${enc(id)}/${what}`);
      toast(what === 'cancel' ? `Canceled: the instance is ${out.status}` : `Retried: the instance is ${out.status}`, 'success');
    } catch (e) {
      toast(`${what === 'cancel' ? 'Cancel' : 'Retry'} refused: ${problemText(e)}`, 'error');
    }
    await refresh();
  }

  await refresh();
  return {destroy() { if (timer) clearTimeout(timer); timer = null; }};
}

function formatBytes(n) {
  if (typeof n !== 'number') return String(n);
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;
  return `${(n / 1048576).toFixed(n < 10485760 ? 1 : 0)} MiB`;
}

// uploadFile posts a multipart body with the part `file` (the session's CSRF header, the cookie).
async function uploadFile(path, file) {
  const fd = new FormData();
  fd.append('file', file, file.name);
  const s = session && session();
  const headers = {};
  if (s && s.csrf) headers['X-Kubus-CSRF'] = s.csrf;
  const res = await fetch(path, {method: 'POST', body: fd, headers, credentials: 'same-origin'});
  let body = null;
  const text = await res.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok) {
    const e = new Error((body && (body.detail || body.title)) || `HTTP ${res.status}`);
    e.status = res.status;
    e.problem = body;
    throw e;
  }
  return body;
}
