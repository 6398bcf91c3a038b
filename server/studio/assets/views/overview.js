// overview.js: the Overview tab — inputs, outputs, entities, rules and alerts of a ruleset, from
// GET /api/rulesets/{name} (its summary, and with admin its JSON form, the definition).

import {h, table, scalarText, valueView} from '../ui.js';
import {summary, source, errorBox, sourceLink, hashOf} from './common.js';

function typeText(t) {
  if (!t) return 'any';
  if (typeof t === 'string') return t;
  return t.name || JSON.stringify(t);
}

function defType(d) {
  if (d === undefined || d === null) return '';
  if (typeof d === 'string') return d;
  let t = d.type || 'any';
  if (t === 'array' && d.of) t = `array of ${typeof d.of === 'string' ? d.of : d.of.type || 'any'}`;
  if (t === 'enum' && Array.isArray(d.values)) t = `enum: ${d.values.join(', ')}`;
  return t;
}

function section(title, ...children) {
  return h('section', {class: 'section'}, h('h2', null, title), ...children);
}

export async function render(panel, ctx) {
  const name = ctx.params.name;
  if (ctx.ruleset && ctx.ruleset.status === 'failed' && !ctx.ruleset.latest) {
    panel.appendChild(h('p', null, 'The overview needs the ruleset to load. Its files are in the ',
      h('a', {href: hashOf(name, 'source')}, 'Source tab'), '.'));
    return null;
  }
  let sum;
  try {
    sum = ctx.summary || await summary(name);
  } catch (e) {
    panel.appendChild(errorBox(e));
    return null;
  }
  let src = null;
  try { src = await source(name); } catch { src = null; }
  const def = sum.definition || {};
  const at = (n) => {
    const r = src && src.rules && src.rules[n];
    return r && r.file ? sourceLink(name, r.file, r.line) : null;
  };

  // Inputs.
  const defInputs = def.inputs || {};
  const inputs = (sum.inputs || []).map((i) => {
    const d = typeof defInputs[i.name] === 'object' && defInputs[i.name] ? defInputs[i.name] : {};
    return {...i, label: d.label, description: d.description, default: d.default, hasDefault: 'default' in d, typeFull: defType(d) || i.type, pii: d.pii};
  });
  panel.appendChild(section('Inputs', table([
    {label: 'Name', rowHeader: true, render: (r) => h('span', null, h('code', null, r.name),
      r.from ? h('div', {class: 'muted small'}, 'JSON property ', h('code', null, r.from)) : null)},
    {label: 'Type', render: (r) => h('code', null, r.typeFull || r.type || 'any')},
    {label: 'Required', render: (r) => (r.required ? 'required' : 'optional')},
    {label: 'Label and description', render: (r) => h('span', null, r.label || '', r.label && r.description ? ' — ' : '', r.description || '',
      r.pii ? h('span', {class: 'tag'}, 'personal data') : null)},
    {label: 'Default', render: (r) => (r.hasDefault ? h('code', null, scalarText(r.default)) : '')},
  ], inputs, {empty: 'This ruleset has no inputs.'})));

  // Outputs.
  panel.appendChild(section('Outputs', table([
    {label: 'Name', rowHeader: true, render: (r) => h('code', null, r.name)},
    {label: 'Type', render: (r) => h('code', null, typeText(r.type))},
    {label: 'Description', render: (r) => r.description || ''},
  ], sum.outputs || [], {empty: 'This ruleset has no outputs.'})));

  // Rules.
  const rules = def.rules ? Object.entries(def.rules) : [];
  if (rules.length) {
    panel.appendChild(section('Rules', table([
      {label: 'Rule', rowHeader: true, render: (r) => h('code', null, r[0])},
      {label: 'Type', render: (r) => h('code', null, (r[1] && typeof r[1] === 'object' && defType(r[1])) || 'any')},
      {label: 'Output', render: (r) => {
        const o = r[1] && typeof r[1] === 'object' ? r[1].output : undefined;
        if (o === false) return h('span', {class: 'muted'}, 'intermediate');
        if (typeof o === 'string') return h('span', null, 'as ', h('code', null, o));
        return 'yes';
      }},
      {label: 'Description', render: (r) => (r[1] && r[1].description) || ''},
      {label: 'Source', render: (r) => at(r[0]) || ''},
    ], rules)));
  }

  // Entities.
  const entities = sum.entities || [];
  if (entities.length) {
    panel.appendChild(section('Entities', ...entities.map((e) => h('div', {class: 'entity'},
      h('h3', null, e.name, e.persisted ? h('span', {class: 'tag'}, 'persisted') : null),
      e.description ? h('p', null, e.description) : null,
      table([
        {label: 'Property', rowHeader: true, render: (p) => h('code', null, p.name)},
        {label: 'Type', render: (p) => h('code', null, typeText(p.type))},
        {label: 'Required', render: (p) => (p.required ? 'required' : 'optional')},
        {label: 'Description', render: (p) => p.label || p.description || ''},
      ], e.properties || [], {empty: 'No declared properties.'}),
      e.calculated && e.calculated.length
        ? h('p', null, 'Calculated: ', e.calculated.map((c, i) => [i ? ', ' : '', h('code', null, typeof c === 'string' ? c : c.name)]))
        : null))));
  }

  // Alerts.
  const defAlerts = def.alerts || {};
  const alerts = (sum.alerts || []).map((a) => {
    const n = typeof a === 'string' ? a : a.name;
    const d = defAlerts[n] || (typeof a === 'object' ? a : {});
    return {name: n, level: d.level, when: d.when, message: d.message};
  });
  panel.appendChild(section('Alerts', table([
    {label: 'Alert', rowHeader: true, render: (r) => h('code', null, r.name)},
    {label: 'Level', render: (r) => (r.level ? h('span', {class: `badge badge-${r.level}`}, r.level) : '')},
    {label: 'When', render: (r) => (r.when ? h('code', null, r.when) : '')},
    {label: 'Message', render: (r) => (r.message ? h('code', null, r.message) : '')},
    {label: 'Source', render: (r) => at(r.name) || ''},
  ], alerts, {empty: 'This ruleset raises no declared alerts.'})));

  // Constants, tables, functions (with admin).
  if (def.constants && Object.keys(def.constants).length) {
    panel.appendChild(section('Constants', table([
      {label: 'Constant', rowHeader: true, render: (r) => h('code', null, r[0])},
      {label: 'Value', render: (r) => valueView(r[1])},
    ], Object.entries(def.constants))));
  }
  if (def.tables && Object.keys(def.tables).length) {
    panel.appendChild(section('Tables', table([
      {label: 'Table', rowHeader: true, render: (r) => h('code', null, r[0])},
      {label: 'Columns', render: (r) => (r[1].columns || []).join(', ')},
      {label: 'Rows', render: (r) => String(r[1].rows ? Object.keys(r[1].rows).length : 0)},
      {label: 'File', render: (r) => (r[1].file ? sourceLink(name, r[1].file) : 'ruleset.yaml')},
    ], Object.entries(def.tables))));
  }
  if (def.functions && Object.keys(def.functions).length) {
    panel.appendChild(section('Functions', table([
      {label: 'Function', rowHeader: true, render: (r) => h('code', null, r[0])},
      {label: 'Parameters', render: (r) => h('code', null, Object.entries(r[1].params || {}).map(([k, v]) => `${k}: ${defType(v)}`).join(', '))},
      {label: 'Returns', render: (r) => h('code', null, defType(r[1].returns) || 'any')},
      {label: 'Source', render: (r) => at(r[0]) || ''},
    ], Object.entries(def.functions))));
  }
  const tc = sum.testcases;
  if (typeof tc === 'number') {
    panel.appendChild(h('p', {class: 'muted'}, `${tc} testcase${tc === 1 ? '' : 's'}. `, h('a', {href: hashOf(name, 'testcases')}, 'Run them.')));
  }
  return null;
}
