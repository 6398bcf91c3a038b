// apidocs.js: the API tab — the ruleset's OpenAPI document made readable (its execute routes, the
// input fields, the options, the outputs, the answers) and request snippets in curl, JavaScript and
// Python that work as shown: this server's origin, the real path, the key from $KUBUS_KEY and a
// real example input.

import {h, clear, copyButton, newId, normalizeSchema, inlineMarkdown} from '../ui.js';
import {inputSchema, testcases, errorBox, deref} from './common.js';

// fieldsOf flattens an object schema into rows {path, type, required, title, description, default}.
function fieldsOf(doc, schema, prefix = '', depth = 0, seen = new Set()) {
  const rows = [];
  const n = normalizeSchema(schema, doc);
  if (n.kind !== 'object' || depth > 6) return rows;
  const required = new Set(n.schema.required || []);
  for (const [k, ps] of Object.entries(n.schema.properties || {})) {
    const p = normalizeSchema(ps, doc);
    const path = prefix ? `${prefix}.${k}` : k;
    rows.push({path, depth, type: typeText(doc, ps, p), required: required.has(k), nullable: p.nullable,
      title: p.title, description: p.description, default: p.default});
    const ref = refOf(ps);
    if (ref && seen.has(ref)) continue;
    const next = new Set(seen);
    if (ref) next.add(ref);
    if (p.kind === 'object') rows.push(...fieldsOf(doc, p.schema, path, depth + 1, next));
    if (p.kind === 'array') {
      const it = normalizeSchema(p.schema.items || {}, doc);
      if (it.kind === 'object') rows.push(...fieldsOf(doc, it.schema, `${path}[]`, depth + 1, next));
    }
  }
  return rows;
}

function refOf(s) {
  if (!s) return null;
  if (s.$ref) return s.$ref;
  const alts = s.anyOf || s.oneOf;
  if (Array.isArray(alts)) for (const a of alts) if (a && a.$ref) return a.$ref;
  return null;
}

function typeText(doc, raw, n) {
  const ref = refOf(raw);
  const refName = ref ? (deref(doc, {$ref: ref}) || {}).title || ref.split('/').pop() : null;
  let t;
  switch (n.kind) {
    case 'enum': t = `one of ${n.values.map((v) => JSON.stringify(v)).join(', ')}`; break;
    case 'date': t = 'date (YYYY-MM-DD)'; break;
    case 'datetime': t = 'date-time (RFC 3339)'; break;
    case 'object': t = refName ? `object ${refName}` : 'object'; break;
    case 'array': {
      const it = normalizeSchema(n.schema.items || {}, doc);
      const itRef = refOf(n.schema.items);
      const itName = itRef ? (deref(doc, {$ref: itRef}) || {}).title || itRef.split('/').pop() : it.kind;
      t = `array of ${it.kind === 'object' ? itName : it.kind === 'json' ? 'any' : itName}`;
      break;
    }
    case 'json': t = 'any JSON'; break;
    default: t = n.kind;
  }
  if (n.schema && n.schema.pattern && n.kind === 'string') t += ' (pattern)';
  return t + (n.nullable ? ' or null' : '');
}

function fieldTable(rows, caption, {showRequired = true} = {}) {
  if (!rows.length) return h('p', {class: 'muted'}, 'None.');
  return h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl fields-table'},
    h('caption', {class: 'visually-hidden'}, caption),
    h('thead', null, h('tr', null,
      h('th', {scope: 'col'}, 'Field'), h('th', {scope: 'col'}, 'Type'),
      showRequired ? h('th', {scope: 'col'}, 'Required') : null,
      h('th', {scope: 'col'}, 'Description'))),
    h('tbody', null, rows.map((r) => h('tr', null,
      h('th', {scope: 'row', class: `depth-${Math.min(r.depth, 4)}`}, h('code', null, r.path)),
      h('td', null, r.type),
      showRequired ? h('td', null, r.required ? h('strong', null, 'required') : 'optional') : null,
      h('td', null, [r.title, r.description].filter(Boolean).join(' — '),
        r.default !== undefined ? h('div', {class: 'muted small'}, 'Default: ', h('code', null, JSON.stringify(r.default))) : null))))));
}

// ----- snippets -----

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

// pyLiteral writes a JSON value as a Python literal.
function pyLiteral(v, indent = 0) {
  const pad = '    '.repeat(indent + 1);
  const end = '    '.repeat(indent);
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + pyLiteral(x, indent + 1)).join(',\n')},\n${end}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${pyLiteral(v[k], indent + 1)}`).join(',\n')},\n${end}}`;
}

function indentJSON(v, spaces) {
  return JSON.stringify(v, null, 2).split('\n').map((l, i) => (i ? ' '.repeat(spaces) + l : l)).join('\n');
}

export function snippets(url, body) {
  const json = JSON.stringify(body);
  const curl = [
    `curl -sS -X POST ${shellQuote(url)} \\`,
    `  -H "Authorization: Bearer $KUBUS_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(json)}`,
  ].join('\n');
  const js = [
    '// Node.js 18 or later (or any runtime with fetch); the key comes from the environment.',
    `fetch(${JSON.stringify(url)}, {`,
    `  method: "POST",`,
    `  headers: {`,
    '    "Authorization": `Bearer ${process.env.KUBUS_KEY}`,',
    `    "Content-Type": "application/json",`,
    `  },`,
    `  body: JSON.stringify(${indentJSON(body, 2)}),`,
    `})`,
    `  .then(async (response) => {`,
    `    const result = await response.json();`,
    `    if (!response.ok) throw new Error(\`\${response.status}: \${result.detail}\`);`,
    `    console.log(JSON.stringify(result, null, 2));`,
    `  })`,
    `  .catch((error) => { console.error(error.message); process.exitCode = 1; });`,
  ].join('\n');
  const py = [
    'import json',
    'import os',
    'import urllib.error',
    'import urllib.request',
    '',
    `body = ${pyLiteral(body)}`,
    '',
    'request = urllib.request.Request(',
    `    ${JSON.stringify(url)},`,
    '    data=json.dumps(body).encode("utf-8"),',
    '    headers={',
    '        "Authorization": "Bearer " + os.environ["KUBUS_KEY"],',
    '        "Content-Type": "application/json",',
    '    },',
    '    method="POST",',
    ')',
    'try:',
    '    with urllib.request.urlopen(request) as response:',
    '        print(json.dumps(json.load(response), indent=2, ensure_ascii=False))',
    'except urllib.error.HTTPError as error:',
    '    print(error.code, json.load(error).get("detail"))',
    '    raise SystemExit(1)',
  ].join('\n');
  return {curl, js, py};
}

export async function render(panel, ctx) {
  const name = ctx.params.name;
  let doc;
  try {
    doc = (await inputSchema(name)).doc;
  } catch (e) {
    panel.appendChild(errorBox(e));
    return null;
  }
  let cases = [];
  try { cases = (await testcases(name)).testcases || []; } catch { cases = []; }

  const info = doc.info || {};
  panel.appendChild(h('div', {class: 'toolbar'},
    h('h2', null, info.title || `${name} API`),
    h('a', {href: `/api/rulesets/${encodeURIComponent(name)}/openapi.json`, class: 'btn btn-small', download: `${name}.openapi.json`}, 'Download openapi.json')));
  if (info.description) panel.appendChild(h('p', null, info.description));
  panel.appendChild(h('p', {class: 'muted small'}, `OpenAPI ${doc.openapi || ''} · version ${info.version || ''}. Authenticate with `,
    h('code', null, 'Authorization: Bearer kbs_…'), ' or ', h('code', null, 'X-API-Key: kbs_…'), '.'));

  // Examples: the testcases' inputs (without the clock: options.now needs the scope clock), else
  // the OpenAPI examples.
  const paths = doc.paths || {};
  const examples = [];
  for (const c of cases) {
    if (c.input !== undefined && !/error|invalid|fail/i.test(c.kind || '')) examples.push({name: c.name, input: c.input});
  }
  if (examples.length === 0) {
    for (const p of Object.values(paths)) {
      const ex = p.post && p.post.requestBody && p.post.requestBody.content && p.post.requestBody.content['application/json'] &&
        p.post.requestBody.content['application/json'].examples;
      if (ex) for (const [k, v] of Object.entries(ex)) if (v && v.value && v.value.input !== undefined) examples.push({name: v.summary || k, input: v.value.input});
      if (examples.length) break;
    }
  }
  if (examples.length === 0) examples.push({name: 'an empty input', input: {}});

  const shown = new Set();
  // A workflow's own routes first: start, then its tasks and uploads; then the execute routes.
  const rank = (path) => (path.includes('{name}/instances') ? 0 : path.startsWith('/api/workflows/') ? 1 : 2);
  const ordered = Object.entries(paths).sort(([a], [b]) => rank(a) - rank(b));
  for (const [path, methods] of ordered) {
    for (const [method, op] of Object.entries(methods)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      const ref = body && body.schema && body.schema.$ref;
      const again = ref && shown.has(ref);
      if (ref) shown.add(ref);
      panel.appendChild(operation(doc, path, method, op, examples, name, {compact: again}));
    }
  }
  return null;
}

function operation(doc, path, method, op, examples, name, {compact = false} = {}) {
  const versions = [];
  for (const p of op.parameters || []) {
    if (p.name === 'version' && p.schema && Array.isArray(p.schema.enum)) versions.push(...p.schema.enum);
  }
  const version = versions.length ? versions[versions.length - 1] : '';
  const realPath = path.replace('{name}', encodeURIComponent(name)).replace('{version}', encodeURIComponent(version));
  const url = `${location.origin}${realPath}`;
  const sec = h('section', {class: 'op card'});
  sec.appendChild(h('h3', {class: 'op-title'}, h('span', {class: `method method-${method}`}, method.toUpperCase()), ' ', h('code', null, path)));
  if (op.summary) sec.appendChild(h('p', null, inlineMarkdown(op.summary)));
  if (op.description) sec.appendChild(h('p', {class: 'muted'}, inlineMarkdown(op.description)));
  const params = (op.parameters || []).filter((p) => p.in === 'path');
  if (params.length) {
    sec.appendChild(h('p', {class: 'small'}, 'Path: ', params.map((p, i) => [i ? ', ' : '', h('code', null, `{${p.name}}`), ' = ',
      (p.schema && p.schema.enum || []).map((v) => JSON.stringify(v)).join(' or ') || 'a string'])));
  }
  if (compact) {
    sec.appendChild(h('p', null, 'The same input, options and output as the route above.'));
    if (method === 'post') sec.appendChild(h('details', null, h('summary', null, 'Request snippets'), snippetBox(url, examples, realPath, op['x-kubus-scope'] || `execute:${name}`)));
    return sec;
  }
  const scope = op['x-kubus-scope'] || `execute:${name}`;
  const body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  const req = body && deref(doc, body.schema);
  // A workflow's task and upload routes: what they take, without snippets (an instance id and a
  // step's answer come from a running instance).
  const step = op['x-kubus-step'];
  if (step) {
    if (req && req.properties && req.properties.answer) {
      sec.appendChild(h('h4', null, 'Answer (', h('code', null, 'answer'), ')'));
      sec.appendChild(fieldTable(fieldsOf(doc, req.properties.answer), 'Answer fields'));
      sec.appendChild(h('p', {class: 'small'}, 'Send ', h('code', null, '{"answer": {…}}'), ' while the instance waits at ',
        h('code', null, step), '; a key with ', h('code', null, scope), ' may.'));
    } else {
      const accept = op['x-kubus-accept'] || [];
      sec.appendChild(h('p', {class: 'small'}, 'Send the file as ', h('code', null, 'multipart/form-data'), ' in the part ', h('code', null, 'file'),
        accept.length ? [', of type ', h('code', null, accept.join(', '))] : '', ', while the instance waits at ', h('code', null, step), '.'));
    }
    sec.appendChild(h('p', {class: 'small'}, 'It answers the instance.'));
    return sec;
  }
  if (req && req.properties) {
    const input = req.properties.input;
    sec.appendChild(h('h4', null, 'Input (', h('code', null, 'input'), ')'));
    sec.appendChild(fieldTable(fieldsOf(doc, input), 'Input fields'));
    if (req.properties.options) {
      sec.appendChild(h('details', null, h('summary', null, 'Options (', h('code', null, 'options'), ')'),
        fieldTable(fieldsOf(doc, req.properties.options), 'Options')));
    }
  }
  const ok = op.responses && op.responses['200'];
  const okSchema = ok && ok.content && ok.content['application/json'] && deref(doc, ok.content['application/json'].schema);
  if (okSchema && okSchema.properties && okSchema.properties.output) {
    const out = okSchema.properties.output;
    sec.appendChild(h('h4', null, 'Output (', h('code', null, 'output'), ')'));
    sec.appendChild(fieldTable(fieldsOf(doc, out), 'Output fields', {showRequired: false}));
    sec.appendChild(h('details', null, h('summary', null, 'The whole result'),
      fieldTable(fieldsOf(doc, okSchema).filter((r) => !r.path.startsWith('output.')), 'Result fields')));
  }
  const codes = Object.entries(op.responses || {});
  if (codes.length) {
    sec.appendChild(h('h4', null, 'Answers'));
    sec.appendChild(h('ul', {class: 'plain-list codes'}, codes.map(([code, r]) => h('li', null, h('code', null, code), ' ', (r && r.description) || ''))));
  }
  if (method === 'post') sec.appendChild(snippetBox(url, examples, realPath, scope));
  return sec;
}

function snippetBox(url, examples, realPath, scope) {
  const box = h('div', {class: 'snippets'});
  const selId = newId('exsel');
  const sel = h('select', {id: selId}, examples.map((e, i) => h('option', {value: String(i)}, e.name)));
  const codes = h('div', {class: 'snippet-list'});
  const draw = () => {
    const ex = examples[Number(sel.value) || 0];
    const sn = snippets(url, {input: ex.input});
    clear(codes);
    for (const [key, label, text] of [['curl', 'curl', sn.curl], ['js', 'JavaScript (fetch)', sn.js], ['python', 'Python (urllib)', sn.py]]) {
      const id = newId(`snip-${key}`);
      codes.appendChild(h('div', {class: 'snippet'},
        h('div', {class: 'snippet-head'}, h('h5', {id}, label),
          copyButton(() => text, 'Copy', {'aria-label': `Copy the ${label} snippet for ${realPath}`, 'data-testid': `api-copy-${key}`})),
        h('pre', {class: 'code-pre snippet-code', tabindex: '0', role: 'region', 'aria-labelledby': id, 'data-testid': `api-snippet-${key}`}, text)));
    }
  };
  sel.addEventListener('change', draw);
  box.appendChild(h('h4', null, 'Try it from a terminal or a program'));
  box.appendChild(h('p', {class: 'small'}, 'Set ', h('code', null, 'KUBUS_KEY'), ' to an API key with the scope ',
    h('code', null, scope), ' (or ', h('code', null, scope.replace(/:.*/, ':*')), ') first, e.g. ', h('code', null, 'export KUBUS_KEY=kbs_…'), '.'));
  box.appendChild(h('div', {class: 'field inline-field'}, h('label', {for: selId}, 'Example input'), sel));
  box.appendChild(codes);
  draw();
  return box;
}
