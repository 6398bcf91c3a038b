// ui.js: small DOM helpers for the studio. Everything from the server is put in the page with
// textContent (through h's string children) — never as HTML — so names, values and rule code can
// hold anything and still show as text.

// h(tag, attrs, ...children) creates an element. attrs: class, for, id, type, value, checked,
// disabled, hidden, data-*, aria-*, on<event>: function, and any other attribute (as a string).
// Children: strings and numbers (as text), nodes, arrays of them; null, undefined and false are
// skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === 'class') {
        el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      } else if (k === 'for') {
        el.htmlFor = v;
      } else if (k === 'value') {
        el.value = v;
      } else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' ||
                 k === 'open' || k === 'required' || k === 'multiple' || k === 'readOnly') {
        el[k] = !!v;
      } else if (k === 'text') {
        el.textContent = v;
      } else if (k === 'style') {
        // Never as an attribute (CSP): object of properties set from JS.
        Object.assign(el.style, v);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// clear empties an element and returns it.
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
// newId makes a unique element id with a prefix.
export function newId(prefix = 'k') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// ---------- status, toast, dialogs ----------

// announce puts a message in the page's polite live region (for screen readers).
export function announce(message) {
  const live = document.getElementById('live-status');
  if (!live) return;
  live.textContent = '';
  // A new text node after a tick, so the same message twice is announced twice.
  setTimeout(() => { live.textContent = message; }, 30);
}

// toast shows a short message (kind: info, success, error) and announces it.
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', {id: 'toasts', class: 'toasts'});
    document.body.appendChild(box);
  }
  const t = h('div', {class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null}, message);
  box.appendChild(t);
  if (kind !== 'error') announce(message);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
  return t;
}

// confirmDialog asks a yes/no question in a modal <dialog>; resolves true on confirm.
export function confirmDialog(message, {title = 'Are you sure?', confirm = 'OK', cancel = 'Cancel', danger = false} = {}) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const titleId = newId('dlg');
    const cancelBtn = h('button', {type: 'button', class: 'btn'}, cancel);
    const okBtn = h('button', {type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary'}, confirm);
    const dlg = h('dialog', {class: 'dialog', 'aria-labelledby': titleId},
      h('h2', {id: titleId}, title),
      h('p', null, message),
      h('div', {class: 'dialog-actions'}, cancelBtn, okBtn));
    let answered = false;
    const done = (v) => {
      if (answered) return;
      answered = true;
      dlg.close();
      dlg.remove();
      if (previous && previous.focus) previous.focus();
      resolve(v);
    };
    cancelBtn.addEventListener('click', () => done(false));
    okBtn.addEventListener('click', () => done(true));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.appendChild(dlg);
    dlg.showModal();
    cancelBtn.focus();
  });
}

// ---------- values ----------

// scalarText is how a value from the server shows: as the server gave it.
export function scalarText(v) {
  if (v === null) return 'null';
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// valueView renders any JSON value readably: scalars as text, objects as a key/value table, arrays
// of objects as a table with a column per key, other arrays as a numbered list.
export function valueView(v, depth = 0) {
  if (v === null || v === undefined) return h('span', {class: 'v-null'}, v === null ? 'null' : '—');
  if (typeof v === 'string') return v === '' ? h('span', {class: 'v-null'}, '(empty string)') : h('span', {class: 'v-str'}, v);
  if (typeof v === 'number') return h('span', {class: 'v-num'}, String(v));
  if (typeof v === 'boolean') return h('span', {class: 'v-bool'}, String(v));
  if (depth > 12) return h('code', null, JSON.stringify(v));
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', {class: 'v-null'}, '[] (empty list)');
    if (v.length <= 20 && v.every((x) => x === null || typeof x !== 'object') && JSON.stringify(v).length <= 120) {
      return h('code', {class: 'v-array'}, JSON.stringify(v));
    }
    if (v.every(isPlainObject)) {
      const keys = [];
      for (const o of v) for (const k of Object.keys(o)) if (!keys.includes(k)) keys.push(k);
      if (keys.length > 0 && keys.length <= 12) {
        return h('table', {class: 'tbl tbl-nested'},
          h('thead', null, h('tr', null, h('th', {scope: 'col'}, '#'), keys.map((k) => h('th', {scope: 'col'}, k)))),
          h('tbody', null, v.map((o, i) => h('tr', null, h('td', {class: 'muted'}, String(i)),
            keys.map((k) => h('td', null, k in o ? valueView(o[k], depth + 1) : h('span', {class: 'v-null'}, '—')))))));
      }
    }
    return h('ol', {class: 'v-list', start: '0'}, v.map((x) => h('li', null, valueView(x, depth + 1))));
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return h('span', {class: 'v-null'}, '{} (empty object)');
  return h('table', {class: 'tbl tbl-kv tbl-nested'},
    h('tbody', null, keys.map((k) => h('tr', null, h('th', {scope: 'row'}, k), h('td', null, valueView(v[k], depth + 1))))));
}

// table builds a <table>: columns [{key, label, render?(row) → node|string, class?}], rows objects.
export function table(columns, rows, {caption, empty = 'Nothing to show.', testid, rowAttrs} = {}) {
  if (!rows || rows.length === 0) return h('p', {class: 'muted', 'data-testid': testid}, empty);
  return h('div', {class: 'tbl-wrap'},
    h('table', {class: 'tbl', 'data-testid': testid},
      caption ? h('caption', null, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', {scope: 'col', class: c.class}, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : null, columns.map((c, i) => {
        const content = c.render ? c.render(r) : scalarText(r[c.key]);
        return i === 0 && c.rowHeader ? h('th', {scope: 'row', class: c.class}, content) : h('td', {class: c.class}, content);
      }))))));
}

// inlineMarkdown shows the `code` spans of a server message as code (the rest as text).
export function inlineMarkdown(text) {
  return String(text ?? '').split(/(`[^`]+`)/).map((part) => (part.length > 2 && part.startsWith('`') && part.endsWith('`')
    ? h('code', null, part.slice(1, -1)) : part));
}

// problemList shows load problems [{file,line,column,field,message,hint}] as "file:line:col message".
export function problemList(problems, {testid, onOpen} = {}) {
  if (!problems || problems.length === 0) return h('p', {class: 'muted', 'data-testid': testid}, 'No problems.');
  return h('ul', {class: 'problems', 'data-testid': testid}, problems.map((p) => {
    const where = problemWhere(p);
    const loc = where ? (onOpen && p.file
      ? h('a', {href: '#', class: 'loc', onclick: (e) => { e.preventDefault(); onOpen(p); }}, where)
      : h('code', {class: 'loc'}, where)) : null;
    return h('li', null, loc, where ? ' ' : null, h('span', null, inlineMarkdown(p.message || '')),
      p.field ? h('span', {class: 'muted'}, ` (${p.field})`) : null,
      p.hint ? h('div', {class: 'hint'}, inlineMarkdown(p.hint)) : null);
  }));
}

export function problemWhere(p) {
  if (!p || !p.file) return '';
  let s = p.file;
  if (p.line) s += `:${p.line}`;
  if (p.line && p.column) s += `:${p.column}`;
  return s;
}

// formatUs shows a time in microseconds as µs or ms.
export function formatUs(us) {
  if (typeof us !== 'number' || !isFinite(us)) return '';
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

// copyButton copies the text that getText() gives.
export function copyButton(getText, label = 'Copy', attrs = {}) {
  const btn = h('button', {type: 'button', class: 'btn btn-small', ...attrs}, label);
  btn.addEventListener('click', async () => {
    const text = getText();
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      const ta = h('textarea', {class: 'offscreen', 'aria-hidden': 'true', tabindex: '-1'});
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      ta.remove();
      btn.focus();
    }
    btn.textContent = ok ? 'Copied' : 'Copy failed';
    announce(ok ? 'Copied to the clipboard' : 'Could not copy; select the text and copy it');
    setTimeout(() => { btn.textContent = label; }, 1500);
  });
  return btn;
}

// tabs builds a role=tablist of tabs [{id, label, testid, href?}] with arrow-key movement.
// onSelect(id, {focus}) is called on click and on arrows/Home/End (automatic activation).
export function tabs(items, selected, onSelect, {label = 'Sections', idPrefix = 'tab'} = {}) {
  const list = h('div', {role: 'tablist', 'aria-label': label, class: 'tablist'});
  const buttons = items.map((it) => h('button', {
    type: 'button', role: 'tab', id: `${idPrefix}-${it.id}`, class: 'tab',
    'aria-selected': it.id === selected ? 'true' : 'false',
    'aria-controls': `${idPrefix}-panel`,
    tabindex: it.id === selected ? '0' : '-1',
    'data-testid': it.testid,
    onclick: () => onSelect(it.id, {focus: false}),
  }, it.label));
  list.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j === null) return;
    e.preventDefault();
    buttons[j].focus();
    onSelect(items[j].id, {focus: true});
  });
  append(list, buttons);
  list.select = (id) => {
    const any = items.some((it) => it.id === id);
    for (let k = 0; k < items.length; k++) {
      const on = items[k].id === id;
      buttons[k].setAttribute('aria-selected', on ? 'true' : 'false');
      // With no tab selected the first stays in the Tab order.
      buttons[k].tabIndex = on || (!any && k === 0) ? 0 : -1;
    }
  };
  return list;
}

// ---------- code ----------

let editorModule;
// loadEditor imports /studio/vendor/editor.js once; null when it is not there (yet).
export async function loadEditor() {
  if (editorModule === undefined) {
    try {
      editorModule = await import('./vendor/editor.js');
    } catch (e) {
      console.warn('studio: the code editor is not available', e);
      editorModule = null;
    }
  }
  return editorModule;
}

// languageOf maps a file path to an editor language.
export function languageOf(path) {
  const p = String(path).toLowerCase();
  if (p.endsWith('.js') || p.endsWith('.mjs')) return 'javascript';
  if (p.endsWith('.yaml') || p.endsWith('.yml')) return 'yaml';
  if (p.endsWith('.json')) return 'json';
  if (p.endsWith('.csv')) return 'csv';
  return 'text';
}

// codeView shows read-only, highlighted code in parent (with the editor bundle's highlight, or a
// <pre> with line numbers when it is not available). Returns {el, gotoLine(n), destroy()}.
export async function codeView(parent, {doc = '', language = 'text', label = 'Code', line} = {}) {
  const mod = await loadEditor();
  if (mod && typeof mod.highlight === 'function') {
    try {
      const wrap = h('div', {class: 'code-view'});
      parent.appendChild(wrap);
      const ed = mod.highlight(wrap, {doc, language, label});
      const res = {
        el: wrap, editor: ed,
        gotoLine(n) { gotoEditorLine(ed, n, wrap); },
        destroy() { try { ed.destroy(); } catch { /* gone */ } wrap.remove(); },
      };
      if (line) setTimeout(() => res.gotoLine(line), 0);
      return res;
    } catch (e) {
      console.warn('studio: highlight failed, showing plain text', e);
    }
  }
  return preCodeView(parent, {doc, label, line});
}

// gotoEditorLine moves a CodeMirror view (editor.view) to a line and marks it.
export function gotoEditorLine(ed, n, wrap) {
  const view = ed && ed.view;
  if (view && view.state && view.state.doc) {
    const ln = Math.max(1, Math.min(n, view.state.doc.lines));
    const pos = view.state.doc.line(ln).from;
    try {
      view.dispatch({selection: {anchor: pos}, scrollIntoView: true});
    } catch { /* a read-only view may refuse a selection */ }
    // Scroll the page so the line is visible too, and mark it.
    setTimeout(() => {
      try {
        const c = view.coordsAtPos(pos);
        if (c) window.scrollTo({top: window.scrollY + c.top - window.innerHeight / 3});
      } catch { /* not laid out */ }
      try {
        for (const old of view.dom.querySelectorAll('.kubus-goto-line')) old.classList.remove('kubus-goto-line');
        const at = view.domAtPos(pos);
        const node = at && at.node && (at.node.nodeType === 1 ? at.node : at.node.parentElement);
        const line = node && node.closest('.cm-line');
        if (line) line.classList.add('kubus-goto-line');
      } catch { /* no mark */ }
      try { view.focus(); } catch { /* not focusable */ }
    }, 30);
    if (wrap) wrap.setAttribute('data-line', String(ln));
  }
}

function preCodeView(parent, {doc, label, line}) {
  const lines = String(doc).split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const pre = h('pre', {class: 'code-pre', tabindex: '0', role: 'region', 'aria-label': label},
    lines.map((l, i) => h('span', {class: 'code-line', id: null, 'data-line': String(i + 1)},
      h('span', {class: 'ln', 'aria-hidden': 'true'}, String(i + 1)), h('span', {class: 'lc'}, l), '\n')));
  const wrap = h('div', {class: 'code-view'}, pre);
  parent.appendChild(wrap);
  const res = {
    el: wrap,
    gotoLine(n) {
      for (const x of pre.querySelectorAll('.code-line.hl')) x.classList.remove('hl');
      const el = pre.querySelector(`.code-line[data-line="${Number(n)}"]`);
      if (el) {
        el.classList.add('hl');
        el.scrollIntoView({block: 'center'});
      }
    },
    destroy() { wrap.remove(); },
  };
  if (line) setTimeout(() => res.gotoLine(line), 0);
  return res;
}

// ---------- forms from JSON Schema ----------

// A form is built from a JSON Schema and read back into a JSON value. Each field element carries
// data-path (the JSON path of its value, as the server writes it in input errors: Traveller.Name,
// Items[2].Price), so showFieldErrors can put a message next to its field.

function resolveRef(root, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return {};
  let cur = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return {};
    cur = cur[key];
  }
  return cur || {};
}

// normalize turns a property schema into {kind, schema, nullable, title, description, ...}: it
// follows $refs (keeping the annotations next to them), and unwraps nullable forms: type [T,
// "null"], anyOf [X, {type: null}].
export function normalizeSchema(schema, root, seen = new Set()) {
  let s = schema || {};
  const notes = {title: s.title, description: s.description, default: s.default, examples: s.examples};
  let nullable = false;
  for (let guard = 0; guard < 20; guard++) {
    if (s.$ref) {
      if (seen.has(s.$ref)) return {kind: 'json', schema: {}, nullable: true, ...pick(notes), recursive: true};
      seen = new Set(seen).add(s.$ref);
      const target = resolveRef(root, s.$ref);
      const rest = {...s};
      delete rest.$ref;
      s = {...target, ...rest, title: rest.title || target.title, description: rest.description || target.description};
      continue;
    }
    const alts = s.anyOf || s.oneOf;
    if (Array.isArray(alts)) {
      const nonNull = alts.filter((a) => !(a && a.type === 'null'));
      if (nonNull.length < alts.length) nullable = true;
      if (nonNull.length === 1) {
        const rest = {...s};
        delete rest.anyOf;
        delete rest.oneOf;
        s = {...rest, ...nonNull[0], title: s.title || nonNull[0].title, description: s.description || nonNull[0].description};
        continue;
      }
      return {kind: 'json', schema: s, nullable, seen, ...pick(notes, s)};
    }
    break;
  }
  let type = s.type;
  if (Array.isArray(type)) {
    if (type.includes('null')) nullable = true;
    const t = type.filter((x) => x !== 'null');
    type = t.length === 1 ? t[0] : undefined;
  }
  let enumValues = Array.isArray(s.enum) ? s.enum.filter((v) => v !== null) : null;
  if (Array.isArray(s.enum) && s.enum.includes(null)) nullable = true;
  const out = {schema: s, nullable, seen, ...pick(notes, s)};
  if (enumValues) return {...out, kind: 'enum', values: enumValues};
  if (type === 'string' && s.format === 'date') return {...out, kind: 'date'};
  if (type === 'string' && s.format === 'date-time') return {...out, kind: 'datetime'};
  if (type === 'string') return {...out, kind: 'string'};
  if (type === 'number' || type === 'integer') return {...out, kind: type};
  if (type === 'boolean') return {...out, kind: 'boolean'};
  if (type === 'array') return {...out, kind: 'array'};
  if (type === 'object' || s.properties) return {...out, kind: 'object'};
  return {...out, kind: 'json'};
}

function pick(notes, s = {}) {
  return {
    title: s.title || notes.title,
    description: s.description || notes.description,
    default: s.default !== undefined ? s.default : notes.default,
  };
}

function joinPath(base, key) {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

// formFromSchema builds labelled fields for an object schema. opts: {values, idPrefix, root (the
// document that $refs point into; default the schema itself)}. Returns a <div class="schema-form">.
export function formFromSchema(schema, {values, idPrefix = 'f', root} = {}) {
  const doc = root || schema;
  const div = h('div', {class: 'schema-form'});
  const top = h('div', {class: 'form-errors', role: 'alert', hidden: true});
  div.appendChild(top);
  const n = normalizeSchema(schema, doc);
  let field;
  if (n.kind === 'object') {
    field = objectFields(n, doc, values, '', idPrefix);
    div.appendChild(field.el);
  } else {
    field = buildField(n, doc, values, '', idPrefix, {label: n.title || 'Value', required: true});
    div.appendChild(field.el);
  }
  div._kubusRead = field.read;
  div._kubusTop = top;
  return div;
}

// readForm reads the value of a form from formFromSchema.
export function readForm(div) {
  if (!div || typeof div._kubusRead !== 'function') return undefined;
  return div._kubusRead();
}

function objectFields(n, doc, values, path, idPrefix) {
  const props = n.schema.properties || {};
  const required = new Set(n.schema.required || []);
  const box = h('div', {class: 'fields'});
  const readers = [];
  const vals = isPlainObject(values) ? values : {};
  for (const [key, ps] of Object.entries(props)) {
    const pn = normalizeSchema(ps, doc, n.seen);
    const f = buildField(pn, doc, vals[key], joinPath(path, key), idPrefix, {name: key, label: pn.title || key, required: required.has(key)});
    box.appendChild(f.el);
    readers.push([key, f.read]);
  }
  // Values the schema does not name (undeclared properties kept for rule code) are kept as they are.
  const extra = Object.keys(vals).filter((k) => !(k in props));
  return {
    el: box,
    read() {
      const o = {};
      for (const [k, r] of readers) {
        const v = r();
        if (v !== undefined) o[k] = v;
      }
      for (const k of extra) o[k] = vals[k];
      return o;
    },
  };
}

function fieldId(idPrefix, path) {
  return `${idPrefix}-${path.replace(/[^A-Za-z0-9_-]/g, (c) => '_' + c.charCodeAt(0).toString(16))}` || `${idPrefix}-root`;
}

// The server's generic sentence on every date input: the date picker says it already.
const DATE_SENTENCE = /\s*A date, YYYY-MM-DD \(an RFC 3339 date-time is accepted too\), in the ruleset's time zone\.\s*/;

// The server's sentence on every entity: true, but not help for filling in the form.
const UNDECLARED_SENTENCE = /\s*Undeclared properties are kept for rule code\.\s*/;

function helpAndErr(id, n, extraHelp) {
  const helpId = `${id}-help`;
  const errId = `${id}-err`;
  let desc = n.description;
  if (n.kind === 'date' && desc) desc = desc.replace(DATE_SENTENCE, ' ').trim();
  if (desc) desc = desc.replace(UNDECLARED_SENTENCE, ' ').trim();
  const text = [desc, extraHelp].filter(Boolean).join(' ');
  const help = text ? h('div', {class: 'help', id: helpId}, text) : null;
  const err = h('div', {class: 'field-error', id: errId, hidden: true});
  return {help, err, helpId: text ? helpId : null, errId};
}

function labelEl(id, label, required, name) {
  return h('label', {for: id},
    label,
    required ? h('span', {class: 'req', 'aria-hidden': 'true'}, ' *') : null,
    required ? h('span', {class: 'visually-hidden'}, ' (required)') : null,
    name && name !== label ? h('span', {class: 'prop-name'}, ` ${name}`) : null);
}

function buildField(n, doc, value, path, idPrefix, {name, label, required}) {
  const id = fieldId(idPrefix, path || 'root');
  switch (n.kind) {
    case 'object': return objectField(n, doc, value, path, idPrefix, {name, label, required, id});
    case 'array': return arrayField(n, doc, value, path, idPrefix, {name, label, required, id});
    default: return scalarField(n, value, path, {name, label, required, id});
  }
}

function scalarField(n, value, path, {name, label, required, id}) {
  const {help, err, helpId, errId} = helpAndErr(id, n,
    n.default !== undefined && n.default !== null ? `Default: ${scalarText(n.default)}.` : '');
  const describedBy = helpId || null;
  let control;
  let read;
  const common = {id, 'data-path': path, 'aria-describedby': describedBy, 'data-err': errId};
  if (n.kind === 'enum') {
    control = h('select', {...common, required: required || null},
      h('option', {value: ''}, required ? '— choose —' : '(none)'),
      n.values.map((v) => h('option', {value: JSON.stringify(v)}, scalarText(v))));
    if (value !== undefined && value !== null) {
      const j = JSON.stringify(value);
      if (!n.values.some((v) => JSON.stringify(v) === j)) control.appendChild(h('option', {value: j}, scalarText(value)));
      control.value = j;
    }
    read = () => (control.value === '' ? undefined : JSON.parse(control.value));
  } else if (n.kind === 'boolean') {
    // A select, not a checkbox, so that "not given" (the default) stays apart from false.
    control = h('select', {...common},
      h('option', {value: ''}, '(not given)'),
      h('option', {value: 'true'}, 'true'),
      h('option', {value: 'false'}, 'false'));
    if (value === true || value === false) control.value = String(value);
    read = () => (control.value === '' ? undefined : control.value === 'true');
  } else if (n.kind === 'number' || n.kind === 'integer') {
    control = h('input', {...common, type: 'number', step: n.kind === 'integer' ? '1' : 'any', autocomplete: 'off', class: 'num'});
    if (typeof value === 'number') control.value = String(value);
    else if (value !== undefined && value !== null) {
      // Not a number (a testcase of a wrong input): keep it as typed text.
      control.type = 'text';
      control.value = String(value);
    }
    read = () => {
      const t = control.value.trim();
      if (t === '') return undefined;
      const x = Number(t);
      // Sent as typed when it is not a number: the server then says what is wrong with it.
      return isFinite(x) ? x : t;
    };
  } else if (n.kind === 'date') {
    control = h('input', {...common, type: 'date'});
    if (typeof value === 'string') {
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) control.value = value;
      else {
        // An RFC 3339 value does not fit a date picker: show it as text.
        control.type = 'text';
        control.value = value;
      }
    }
    read = () => (control.value === '' ? undefined : control.value);
  } else if (n.kind === 'datetime') {
    control = h('input', {...common, type: 'text', placeholder: 'YYYY-MM-DDTHH:MM:SSZ', autocomplete: 'off', spellcheck: 'false'});
    if (typeof value === 'string') control.value = value;
    read = () => (control.value === '' ? undefined : control.value);
  } else if (n.kind === 'string') {
    control = h('input', {...common, type: 'text', autocomplete: 'off'});
    if (value !== undefined && value !== null) control.value = typeof value === 'string' ? value : JSON.stringify(value);
    read = () => (control.value === '' ? undefined : control.value);
  } else {
    // any: JSON text.
    control = h('textarea', {...common, rows: '3', class: 'json', spellcheck: 'false'});
    if (value !== undefined) control.value = JSON.stringify(value, null, 2);
    control.setAttribute('aria-describedby', [describedBy].filter(Boolean).join(' ') || '');
    const jsonHelp = h('div', {class: 'help'}, 'Any JSON value (text that is not JSON is sent as a string).');
    read = () => {
      const t = control.value.trim();
      if (t === '') return undefined;
      try { return JSON.parse(t); } catch { return control.value; }
    };
    return {el: h('div', {class: 'field', 'data-field': path}, labelEl(id, label, required, name), help, jsonHelp, control, err), read};
  }
  if (required && n.kind !== 'enum') control.required = true;
  return {el: h('div', {class: 'field', 'data-field': path}, labelEl(id, label, required, name), help, control, err), read};
}

function objectField(n, doc, value, path, idPrefix, {name, label, required, id}) {
  if (n.recursive) return scalarField({...n, kind: 'json'}, value, path, {name, label, required, id});
  const {help, err, helpId, errId} = helpAndErr(id, n);
  const legendText = label + (n.schema.title && n.schema.title !== label ? ` (${n.schema.title})` : '');
  const fs = h('fieldset', {class: 'subform', id, 'data-path': path, 'aria-describedby': helpId, 'data-err': errId, tabindex: '-1'});
  const legend = h('legend', null, legendText, required ? h('span', {class: 'req', 'aria-hidden': 'true'}, ' *') : null,
    required ? h('span', {class: 'visually-hidden'}, ' (required)') : null,
    name && name !== label ? h('span', {class: 'prop-name'}, ` ${name}`) : null);
  fs.appendChild(legend);
  if (help) fs.appendChild(help);
  fs.appendChild(err);
  const body = h('div', {class: 'subform-body'});
  let inner = null;
  const has = isPlainObject(value);
  // A nullable (optional) entity is left out until the user adds it.
  const optional = !required && n.nullable;
  const addBtn = h('button', {type: 'button', class: 'btn btn-small'}, `Add ${label}`);
  const removeBtn = h('button', {type: 'button', class: 'btn btn-small btn-quiet'}, `Remove ${label}`);
  const show = (v) => {
    clear(body);
    inner = objectFields(n, doc, v, path, idPrefix);
    body.appendChild(inner.el);
    addBtn.hidden = true;
    removeBtn.hidden = !optional;
  };
  const hide = () => {
    clear(body);
    inner = null;
    addBtn.hidden = false;
    removeBtn.hidden = true;
  };
  addBtn.addEventListener('click', () => {
    show({});
    const first = body.querySelector('input, select, textarea');
    if (first) first.focus();
    fs.dispatchEvent(new Event('input', {bubbles: true}));
  });
  removeBtn.addEventListener('click', () => {
    hide();
    addBtn.focus();
    fs.dispatchEvent(new Event('input', {bubbles: true}));
  });
  fs.appendChild(body);
  if (optional) fs.appendChild(h('div', {class: 'subform-actions'}, addBtn, removeBtn));
  if (!optional || has) show(has ? value : {});
  else hide();
  return {el: fs, read: () => (inner ? inner.read() : undefined)};
}

function arrayField(n, doc, value, path, idPrefix, {name, label, required, id}) {
  const {help, err, helpId, errId} = helpAndErr(id, n);
  const itemN = normalizeSchema(n.schema.items || {}, doc, n.seen);
  const fs = h('fieldset', {class: 'subform array', id, 'data-path': path, 'aria-describedby': helpId, 'data-err': errId, tabindex: '-1'});
  fs.appendChild(h('legend', null, label, required ? h('span', {class: 'req', 'aria-hidden': 'true'}, ' *') : null,
    required ? h('span', {class: 'visually-hidden'}, ' (required)') : null,
    name && name !== label ? h('span', {class: 'prop-name'}, ` ${name}`) : null));
  if (help) fs.appendChild(help);
  fs.appendChild(err);
  const list = h('ol', {class: 'array-items'});
  fs.appendChild(list);
  const status = h('div', {class: 'muted array-count', 'aria-live': 'polite'});
  let items = [];
  const render = (vals) => {
    clear(list);
    items = [];
    vals.forEach((v, i) => addItem(v, i));
    status.textContent = vals.length === 0 ? 'No items.' : `${vals.length} item${vals.length === 1 ? '' : 's'}.`;
  };
  const readAll = () => items.map((it) => it.read());
  const addItem = (v, i) => {
    const itemPath = joinPath(path, i);
    const f = buildField(itemN, doc, v, itemPath, idPrefix, {label: `${label} ${i + 1}`, required: false});
    const rm = h('button', {type: 'button', class: 'btn btn-small btn-quiet', 'aria-label': `Remove ${label} ${i + 1}`}, 'Remove');
    rm.addEventListener('click', () => {
      const vals = readAll();
      vals.splice(i, 1);
      render(vals);
      const next = list.querySelectorAll('li')[Math.min(i, vals.length - 1)];
      (next ? next.querySelector('input, select, textarea, button') : addBtn).focus();
      fs.dispatchEvent(new Event('input', {bubbles: true}));
    });
    list.appendChild(h('li', {class: 'array-item'}, f.el, h('div', {class: 'array-item-actions'}, rm)));
    items.push({read: () => { const x = f.read(); return x === undefined ? null : x; }});
  };
  const addBtn = h('button', {type: 'button', class: 'btn btn-small'}, `Add ${label}`);
  addBtn.addEventListener('click', () => {
    const vals = readAll();
    vals.push(itemN.kind === 'object' ? {} : undefined);
    render(vals);
    const last = list.lastElementChild;
    const first = last && last.querySelector('input, select, textarea');
    if (first) first.focus();
    fs.dispatchEvent(new Event('input', {bubbles: true}));
  });
  fs.appendChild(h('div', {class: 'subform-actions'}, addBtn, status));
  const given = Array.isArray(value);
  render(given ? value : []);
  let touched = given;
  fs.addEventListener('input', () => { touched = true; });
  return {
    el: fs,
    read: () => {
      const vals = readAll();
      // An empty list that was never given stays out of the input (the server's default).
      if (vals.length === 0 && !touched && !required) return undefined;
      return vals;
    },
  };
}

// showFieldErrors shows input errors [{path, message}] next to their fields (aria-invalid,
// aria-describedby) and lists the ones without a field at the top of the form. Returns how many
// found a field. With no errors it clears them.
export function showFieldErrors(div, errors) {
  if (!div) return 0;
  for (const el of div.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const errId = el.getAttribute('data-err');
    const db = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== errId);
    if (db.length) el.setAttribute('aria-describedby', db.join(' '));
    else el.removeAttribute('aria-describedby');
  }
  for (const e of div.querySelectorAll('.field-error')) { e.hidden = true; e.textContent = ''; }
  const top = div._kubusTop || div.querySelector('.form-errors');
  if (top) { clear(top); top.hidden = true; }
  if (!errors || errors.length === 0) return 0;
  const orphans = [];
  let found = 0;
  let first = null;
  for (const err of errors) {
    const target = findField(div, err.path || '');
    if (!target) { orphans.push(err); continue; }
    found++;
    if (!first) first = target;
    target.setAttribute('aria-invalid', 'true');
    const errId = target.getAttribute('data-err');
    const box = errId && document.getElementById(errId);
    if (box) {
      box.hidden = false;
      box.appendChild(h('div', null, err.message));
      const db = (target.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (!db.includes(errId)) db.push(errId);
      target.setAttribute('aria-describedby', db.join(' '));
    }
  }
  if (top && orphans.length) {
    top.hidden = false;
    top.appendChild(h('p', null, 'The input has problems:'));
    top.appendChild(h('ul', null, orphans.map((e) => h('li', null, e.path ? h('code', null, e.path) : null, e.path ? ': ' : '', e.message))));
  }
  return found;
}

// findField finds the field of a JSON path, or its closest ancestor that is in the form (a missing
// array item's error lands on the array).
function findField(div, path) {
  let p = path;
  while (true) {
    const el = [...div.querySelectorAll('[data-path]')].find((x) => x.getAttribute('data-path') === p);
    if (el) return el;
    if (!p) return null;
    const m = p.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
    if (!m) return null;
    p = m[1];
    if (p === '') return null;
  }
}
