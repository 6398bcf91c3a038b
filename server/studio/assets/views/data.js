// Data: the persisted entities of a ruleset as data tables (#/r/NAME/data, #/r/NAME/data/ENTITY).
//
// API used (server/entities.go, server/rulesets.go):
//   GET    /api/rulesets/{name}                      → {entities: [{name, persisted, properties: [{name, type, required}], calculated: [names]}]}
//   GET    /api/rulesets/{name}/openapi.json         → components.schemas["{name}.entity.{Entity}"] (JSON Schema of the properties)
//   GET    /api/rulesets/{name}/entities/{Entity}?filter=JSON&sort=-A,B&limit=N&cursor=C → {items: [...], next: cursor|null}
//   POST   /api/rulesets/{name}/entities/{Entity}    {props} → 201 the record (ETag)
//   GET    /api/rulesets/{name}/entities/{Entity}/{id}        → the record, ETag "rev"
//   PUT    /api/rulesets/{name}/entities/{Entity}/{id} {props} If-Match: ETag → 200 | 400 {errors:[{path,message}]} | 412
//   DELETE /api/rulesets/{name}/entities/{Entity}/{id}        → 204
// Every server value is shown with textContent (h() children are text nodes).

import {api, session, hasScope} from '../api.js';
import {h, clear, toast, confirmDialog, formFromSchema, readForm, showFieldErrors} from '../ui.js';
import {problemText, ensureStyles} from './common.js';

const enc = encodeURIComponent;
const PAGE_SIZES = [10, 25, 50, 100];
const META = ['_id', '_createdAt', '_updatedAt'];

// Remembered per ruleset/entity while the studio is open, so coming back keeps the table as it was.
const memory = new Map();

function routeParams(ctx) {
  const p = (ctx && ctx.params) || {};
  const seg = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  // #/r/NAME/data/ENTITY
  const rest = Array.isArray(p.rest) ? p.rest : [];
  return {
    name: p.name || (ctx && ctx.ruleset && ctx.ruleset.name) || seg[1] || '',
    entity: p.entity || rest[0] || (seg[2] === 'data' ? seg[3] : undefined) || '',
  };
}


// apiRaw calls api() with {raw: true} and turns a non-2xx Response into an error like ApiError.
async function apiRaw(method, path, body, headers) {
  const res = await api(method, path, body, {raw: true, headers});
  if (res && typeof res.ok === 'boolean' && !res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch { /* not JSON */ }
    const e = new Error((problem && (problem.detail || problem.title)) || `HTTP ${res.status}`);
    e.status = res.status;
    e.problem = problem;
    throw e;
  }
  return res;
}

async function readJSON(res) {
  if (!res || res.status === 204) return null;
  const t = await res.text();
  return t ? JSON.parse(t) : null;
}

// schemaFromSummary builds a JSON Schema from the summary's property list (a fallback when the
// key may not read the OpenAPI document).
function schemaFromSummary(ent) {
  const props = {};
  const required = [];
  for (const p of ent.properties || []) {
    props[p.name] = typeSchema(p.type);
    props[p.name].title = p.name;
    if (p.required) required.push(p.name);
  }
  return {type: 'object', title: ent.name, properties: props, required};
}

// inDeclaredOrder orders a schema's properties as the entity declares them (the OpenAPI document
// sorts them by name).
function inDeclaredOrder(schema, ent) {
  if (!schema || !schema.properties) return schema;
  const props = {};
  for (const p of ent.properties || []) if (p.name in schema.properties) props[p.name] = schema.properties[p.name];
  for (const [k, v] of Object.entries(schema.properties)) if (!(k in props)) props[k] = v;
  return {...schema, properties: props};
}

function typeSchema(t) {
  switch (t) {
    case 'number': return {type: 'number'};
    case 'boolean': return {type: 'boolean'};
    case 'string': return {type: 'string'};
    case 'date': return {type: 'string', format: 'date'};
    default:
      if (typeof t === 'string' && t.startsWith('array')) return {type: 'array', items: {}};
      return {};
  }
}

// filterExample is a filter in the entity's own terms, for the placeholder.
function filterExample(ent) {
  const props = ent.properties || [];
  const date = props.find((p) => p.type === 'date');
  const num = props.find((p) => p.type === 'number');
  const str = props.find((p) => p.type === 'string');
  const f = {};
  if (str) f[str.name] = '…';
  if (date) f[date.name] = {$lte: '2006-01-01'};
  else if (num) f[num.name] = {$gte: 1};
  return Object.keys(f).length ? `e.g. ${JSON.stringify(f)}` : 'e.g. {"_createdAt": {"$gte": "2026-01-01"}}';
}

function cellText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function shortId(id) {
  return typeof id === 'string' && id.length > 13 ? id.slice(0, 8) + '…' + id.slice(-4) : String(id ?? '');
}

function fmtTime(v) {
  if (typeof v !== 'string') return cellText(v);
  const d = new Date(v);
  return isNaN(d) ? v : d.toLocaleString();
}

function parseFilterValue(raw, type, op) {
  if (op === '$in') {
    return raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => parseFilterValue(s, type, '$eq'));
  }
  if (type === 'number' && raw.trim() !== '' && !isNaN(Number(raw))) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (raw === 'null') return null;
  return raw;
}


export async function render(container, ctx) {
  ensureStyles();
  clear(container);
  const {name, entity: wanted} = routeParams(ctx);
  // Inside the ruleset screen (which has the h1) the view's headings are one level down.
  const main = container.closest('main');
  const outerH1 = main && [...main.querySelectorAll('h1')].find((x) => !container.contains(x));
  const H1 = outerH1 ? 'h2' : 'h1';
  const H2 = outerH1 ? 'h3' : 'h2';
  const root = h('section', {class: 'dv-view', 'aria-labelledby': 'data-h1'});
  container.append(root);
  const heading = h(H1, {id: 'data-h1', tabindex: '-1'}, `Data of ${name}`);
  root.append(heading);
  const status = h('p', {class: 'muted small dv-status', role: 'status', 'aria-live': 'polite'});
  root.append(status);

  let summary = ctx && ctx.summary;
  try {
    if (!summary || !Array.isArray(summary.entities)) summary = await api('GET', `/api/rulesets/${enc(name)}`);
  } catch (e) {
    root.append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot read ruleset ${name}: ${problemText(e)}`));
    return;
  }
  const persisted = (summary.entities || []).filter((e) => e.persisted);
  if (persisted.length === 0) {
    root.append(h('p', {class: 'notice notice-info'}, `Ruleset ${name} persists no entities: an entity with persisted: true has records here.`));
    return;
  }
  const ent = persisted.find((e) => e.name === wanted) || persisted[0];
  heading.textContent = `Data of ${name}: ${ent.name}`;

  // The entities of the ruleset, as links.
  if (persisted.length > 1) {
    root.append(h('nav', {'aria-label': 'Entities', class: 'dv-entities'},
      h('ul', {}, ...persisted.map((e) => h('li', {},
        h('a', {href: `#/r/${enc(name)}/data/${enc(e.name)}`, 'aria-current': e === ent ? 'page' : null,
          'data-testid': `data-entity-${e.name}`}, e.name))))));
  }

  // The entity's JSON Schema: from the ruleset's OpenAPI document, else from the summary.
  // formFromSchema follows the schema's $refs into the document (root).
  let schema = null;
  let schemaRoot = null;
  try {
    const doc = await api('GET', `/api/rulesets/${enc(name)}/openapi.json`);
    const s = doc && doc.components && doc.components.schemas && doc.components.schemas[`${name}.entity.${ent.name}`];
    if (s) { schema = s; schemaRoot = doc; }
  } catch { /* a key without execute:NAME or admin: use the summary */ }
  if (!schema) schema = schemaFromSummary(ent);
  else schema = inDeclaredOrder(schema, ent);

  const key = `${name}/${ent.name}`;
  const st = memory.get(key) || {filter: '', sort: [], limit: 25, cursors: [null], page: 0};
  memory.set(key, st);

  const base = `/api/rulesets/${enc(name)}/entities/${enc(ent.name)}`;
  const propNames = (ent.properties || []).map((p) => p.name);
  const propType = Object.fromEntries((ent.properties || []).map((p) => [p.name, p.type]));
  const calculated = ent.calculated || [];
  const canWrite = mayWrite(name);

  // ---- toolbar: filter, page size, new ----
  const filterProp = h('select', {id: 'data-filter-prop'},
    ...['_id', ...propNames, '_createdAt', '_updatedAt'].map((p) => h('option', {value: p}, p)));
  const filterOp = h('select', {id: 'data-filter-op'},
    ...[['$eq', '='], ['$ne', '≠'], ['$gt', '>'], ['$gte', '≥'], ['$lt', '<'], ['$lte', '≤'], ['$in', 'one of (comma-separated)']]
      .map(([v, t]) => h('option', {value: v}, t)));
  const filterValue = h('input', {id: 'data-filter-value', type: 'text', autocomplete: 'off'});
  const filterJSON = h('input', {id: 'data-filter-json', type: 'text', class: 'dv-mono', autocomplete: 'off', spellcheck: 'false',
    placeholder: filterExample(ent), value: st.filter});
  const filterError = h('p', {class: 'field-error', id: 'data-filter-error', role: 'alert', hidden: true});

  const addCondition = () => {
    let f = {};
    try { f = filterJSON.value.trim() ? JSON.parse(filterJSON.value) : {}; } catch { f = {}; }
    if (typeof f !== 'object' || f === null || Array.isArray(f)) f = {};
    const prop = filterProp.value;
    const op = filterOp.value;
    const v = parseFilterValue(filterValue.value, propType[prop], op);
    if (op === '$eq') f[prop] = v;
    else {
      const cur = f[prop] && typeof f[prop] === 'object' && !Array.isArray(f[prop]) ? f[prop] : {};
      cur[op] = v;
      f[prop] = cur;
    }
    filterJSON.value = JSON.stringify(f);
    applyFilter();
  };
  const applyFilter = () => {
    const raw = filterJSON.value.trim();
    if (raw) {
      try {
        const f = JSON.parse(raw);
        if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new Error('a filter is a JSON object');
      } catch (e) {
        showFilterError(`The filter is not a JSON object: ${e.message}`);
        return;
      }
    }
    st.filter = raw;
    st.cursors = [null];
    st.page = 0;
    load();
  };
  const showFilterError = (msg) => {
    filterError.hidden = !msg;
    filterError.textContent = msg || '';
    filterJSON.setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg) filterJSON.setAttribute('aria-describedby', 'data-filter-error');
    else filterJSON.removeAttribute('aria-describedby');
  };
  filterJSON.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); applyFilter(); } });
  filterValue.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); addCondition(); } });

  const pageSize = h('select', {id: 'data-page-size'},
    ...PAGE_SIZES.map((n) => h('option', {value: String(n), selected: n === st.limit ? true : null}, String(n))));
  pageSize.value = String(st.limit);
  pageSize.addEventListener('change', () => { st.limit = Number(pageSize.value); st.cursors = [null]; st.page = 0; load(); });

  const filterBox = h('fieldset', {class: 'dv-filter'},
    h('legend', {}, 'Filter'),
    h('div', {class: 'dv-row'},
      h('div', {class: 'field'}, h('label', {for: 'data-filter-prop'}, 'Property'), filterProp),
      h('div', {class: 'field'}, h('label', {for: 'data-filter-op'}, 'Condition'), filterOp),
      h('div', {class: 'field'}, h('label', {for: 'data-filter-value'}, 'Value'), filterValue),
      h('button', {type: 'button', class: 'btn btn-small', onclick: addCondition, 'data-testid': 'data-filter-add'}, 'Add condition')),
    h('div', {class: 'dv-row'},
      h('div', {class: 'field dv-grow'}, h('label', {for: 'data-filter-json'}, `Filter as JSON (as ${ent.name}.find takes it)`), filterJSON),
      h('button', {type: 'button', class: 'btn btn-small', onclick: applyFilter, 'data-testid': 'data-filter-apply'}, 'Apply'),
      h('button', {type: 'button', class: 'btn btn-small', onclick: () => { filterJSON.value = ''; showFilterError(''); applyFilter(); }, 'data-testid': 'data-filter-clear'}, 'Clear')),
    filterError);

  const newBtn = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'data-new', onclick: () => openForm(null)}, `New ${ent.name}`);
  if (!canWrite) { newBtn.disabled = true; newBtn.title = `This key may only read ${name}'s entities`; }
  root.append(h('div', {class: 'dv-toolbar'}, newBtn,
    h('div', {class: 'inline'}, h('label', {for: 'data-page-size'}, 'Rows per page'), pageSize)));
  root.append(filterBox);

  // ---- the form panel (create / edit) ----
  const formPanel = h('section', {class: 'card dv-form', 'aria-labelledby': 'data-form-h', hidden: true});
  root.append(formPanel);
  formPanel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !formPanel.hidden) { ev.preventDefault(); close(); }
  });

  // ---- the table ----
  const tableWrap = h('div', {class: 'tbl-wrap dv-table-box'});
  const pager = h('nav', {class: 'btn-row dv-pager', 'aria-label': 'Pages'});
  root.append(tableWrap, pager);

  const columns = ['_id', ...propNames, ...calculated, '_createdAt', '_updatedAt'];
  const sortable = (c) => !calculated.includes(c);
  const sortDir = (c) => {
    for (const k of st.sort) {
      if (k === c) return 'ascending';
      if (k === '-' + c) return 'descending';
    }
    return 'none';
  };
  const toggleSort = (c) => {
    const d = sortDir(c);
    // A click sorts by this column: ascending, then descending, then not at all.
    st.sort = d === 'none' ? [c] : d === 'ascending' ? ['-' + c] : [];
    st.cursors = [null];
    st.page = 0;
    load(c);
  };

  let lastItems = [];

  async function load(focusColumn) {
    status.textContent = 'Loading…';
    const q = new URLSearchParams();
    if (st.filter) q.set('filter', st.filter);
    if (st.sort.length) q.set('sort', st.sort.join(','));
    q.set('limit', String(st.limit));
    const cur = st.cursors[st.page];
    if (cur) q.set('cursor', cur);
    let page;
    try {
      page = await api('GET', `${base}?${q}`);
    } catch (e) {
      status.textContent = '';
      if (e.status === 400) {
        showFilterError(problemText(e));
        filterJSON.focus();
      } else {
        clear(tableWrap);
        tableWrap.append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot list ${ent.name}: ${problemText(e)}`));
      }
      return;
    }
    showFilterError('');
    lastItems = page.items || [];
    st.cursors[st.page + 1] = page.next || null;
    st.cursors.length = st.page + 2;
    drawTable(lastItems, focusColumn);
    drawPager(Boolean(page.next));
    status.textContent = `${ent.name}: ${lastItems.length} record${lastItems.length === 1 ? '' : 's'} on page ${st.page + 1}` +
      (st.filter ? ' (filtered)' : '');
  }

  function drawTable(items, focusColumn) {
    clear(tableWrap);
    const headRow = h('tr', {},
      ...columns.map((c) => {
        const label = c === '_id' ? 'id' : c === '_createdAt' ? 'created' : c === '_updatedAt' ? 'updated' : c;
        if (!sortable(c)) {
          return h('th', {scope: 'col', title: 'Calculated: not stored, so not sortable'}, label, h('span', {class: 'muted'}, ' (calculated)'));
        }
        const dir = sortDir(c);
        const btn = h('button', {type: 'button', class: 'sort-btn', 'data-testid': `data-sort-${c}`, 'data-column': c, onclick: () => toggleSort(c)},
          label, h('span', {class: 'dv-sort-mark', 'aria-hidden': 'true'}, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ' ↕'));
        return h('th', {scope: 'col', 'aria-sort': dir}, btn);
      }),
      h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Actions')));
    const body = h('tbody', {});
    if (items.length === 0) {
      body.append(h('tr', {}, h('td', {colspan: String(columns.length + 1), class: 'muted'},
        st.filter ? 'No records match the filter.' : `No ${ent.name} records yet.`)));
    }
    for (const item of items) {
      const id = item._id;
      const tr = h('tr', {'data-testid': `data-row-${id}`},
        ...columns.map((c) => {
          if (c === '_id') return h('th', {scope: 'row', class: 'dv-id', title: String(id)}, shortId(id));
          if (c === '_createdAt' || c === '_updatedAt') return h('td', {}, h('time', {datetime: cellText(item[c])}, fmtTime(item[c])));
          const v = item[c];
          return h('td', {class: typeof v === 'number' ? 'dv-num' : null}, cellText(v));
        }),
        h('td', {class: 'dv-actions'},
          h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'data-edit', onclick: () => openForm(id), 'aria-label': `Edit ${ent.name} ${rowLabel(item)}`}, 'Edit'),
          ' ',
          h('button', {type: 'button', class: 'btn btn-small dv-danger-quiet', 'data-testid': 'data-delete', disabled: canWrite ? null : true,
            onclick: () => remove(item), 'aria-label': `Delete ${ent.name} ${rowLabel(item)}`}, 'Delete')));
      body.append(tr);
    }
    const tbl = h('table', {class: 'tbl dv-table', 'data-testid': 'data-table'},
      h('caption', {}, `${ent.name} records`, st.filter ? h('span', {class: 'muted'}, ` — filter ${st.filter}`) : ''),
      h('thead', {}, headRow), body);
    tableWrap.append(tbl);
    if (focusColumn) {
      const b = tbl.querySelector(`button[data-column="${CSS.escape(focusColumn)}"]`);
      if (b) b.focus();
    }
  }

  function rowLabel(item) {
    const first = propNames.find((p) => typeof item[p] === 'string' && item[p]);
    return first ? `${item[first]} (${shortId(item._id)})` : shortId(item._id);
  }

  function drawPager(hasNext) {
    clear(pager);
    const prev = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'data-prev', disabled: st.page === 0 ? true : null,
      onclick: () => { st.page -= 1; load(); }}, '← Previous');
    const next = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'data-next', disabled: hasNext ? null : true,
      onclick: () => { st.page += 1; load(); }}, 'Next →');
    pager.append(prev, h('span', {class: 'muted'}, `Page ${st.page + 1}`), next);
  }

  // ---- create / edit ----
  async function openForm(id) {
    clear(formPanel);
    formPanel.hidden = false;
    let values = {};
    let etag = null;
    if (id) {
      try {
        const res = await apiRaw('GET', `${base}/${enc(id)}`);
        etag = res.headers.get('ETag');
        values = editable(await readJSON(res));
      } catch (e) {
        formPanel.append(h('p', {class: 'notice notice-error', role: 'alert'}, `Cannot read ${ent.name} ${id}: ${problemText(e)}`));
        return;
      }
    }
    const title = id ? `Edit ${ent.name} ${shortId(id)}` : `New ${ent.name}`;
    const formH = h(H2, {id: 'data-form-h', tabindex: '-1'}, title);
    let fields = formFromSchema(schema, {values, idPrefix: 'data-f', root: schemaRoot || undefined});
    const conflict = h('div', {class: 'notice notice-warning dv-conflict', role: 'alert', hidden: true, 'data-testid': 'data-conflict'});
    const errors = h('div', {class: 'dv-form-error', role: 'alert'});
    const save = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'data-save', disabled: canWrite ? null : true}, id ? 'Save changes' : `Create ${ent.name}`);
    const cancel = h('button', {type: 'button', class: 'btn', 'data-testid': 'data-cancel', onclick: close}, 'Cancel');
    const form = h('form', {class: 'dv-entity-form', novalidate: true, 'data-testid': 'data-form', 'aria-labelledby': 'data-form-h'},
      fields, conflict, errors, h('div', {class: 'btn-row'}, save, cancel));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await submit();
    });
    formPanel.append(formH, id ? h('p', {class: 'muted'}, h('span', {}, 'id '), h('code', {}, id)) : '', form);
    formH.focus();

    async function submit() {
      const body = readForm(fields);
      errors.textContent = '';
      conflict.hidden = true;
      save.disabled = true;
      try {
        let res;
        if (id) {
          const headers = {};
          if (etag) headers['If-Match'] = etag;
          res = await apiRaw('PUT', `${base}/${enc(id)}`, body, headers);
        } else {
          res = await apiRaw('POST', base, body);
        }
        const rec = await readJSON(res);
        etag = res.headers.get('ETag');
        toast(id ? `Saved ${ent.name} ${shortId(id)}` : `Created ${ent.name} ${shortId(rec && rec._id)}`);
        close();
        if (!id) { st.cursors = [null]; st.page = 0; }
        await load();
      } catch (e) {
        if (e.status === 400 && e.problem && Array.isArray(e.problem.errors)) {
          showFieldErrors(fields, e.problem.errors);
          errors.textContent = problemText(e);
        } else if (e.status === 412) {
          showConflict();
        } else if (e.status === 404 && id) {
          errors.textContent = `${ent.name} ${id} no longer exists: someone deleted it. ${problemText(e)}`;
        } else {
          errors.textContent = problemText(e);
        }
      } finally {
        save.disabled = !canWrite;
      }
    }

    function showConflict() {
      clear(conflict);
      conflict.hidden = false;
      conflict.append(
        h('p', {}, h('strong', {}, 'Conflict: '),
          `someone else changed this ${ent.name} after you opened it (the server answered 412 Precondition Failed). Your changes are not saved.`),
        h('div', {class: 'btn-row'},
          h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'data-conflict-reload', onclick: () => openForm(id)}, 'Load their version (discard mine)'),
          ' ',
          h('button', {type: 'button', class: 'btn btn-danger btn-small', 'data-testid': 'data-conflict-overwrite', onclick: async () => {
            try {
              const res = await apiRaw('GET', `${base}/${enc(id)}`);
              etag = res.headers.get('ETag');
              await readJSON(res);
            } catch (e) {
              errors.textContent = problemText(e);
              return;
            }
            // What was typed is still in the form: save it with the new ETag.
            await submit();
          }}, 'Save mine over theirs')));
      const b = conflict.querySelector('button');
      if (b) b.focus();
    }
  }

  function editable(rec) {
    const out = {};
    if (!rec) return out;
    for (const [k, v] of Object.entries(rec)) {
      if (META.includes(k) || calculated.includes(k)) continue;
      out[k] = v;
    }
    return out;
  }

  function close() {
    clear(formPanel);
    formPanel.hidden = true;
    const nb = root.querySelector('[data-testid="data-new"]');
    if (nb) nb.focus();
  }

  // ---- delete ----
  async function remove(item) {
    const label = rowLabel(item);
    const ok = await confirmDialog(`Delete ${ent.name} ${label}? This cannot be undone.`, {confirm: 'Delete', danger: true, title: `Delete ${ent.name}?`});
    if (!ok) return;
    try {
      await apiRaw('DELETE', `${base}/${enc(item._id)}`);
    } catch (e) {
      toast(`Could not delete ${label}: ${problemText(e)}`, 'error');
      return;
    }
    toast(`Deleted ${ent.name} ${label}`);
    // An emptied page that is not the first: go back one.
    if (lastItems.length === 1 && st.page > 0) st.page -= 1;
    await load();
  }

  await load();
}

// mayWrite: whether the signed-in key may write the ruleset's entities (entities:NAME or entities:*).
function mayWrite(name) {
  const s = session && session();
  if (!s || !s.key || !Array.isArray(s.key.scopes)) return true; // unknown: let the server decide
  return hasScope(`entities:${name}`);
}
