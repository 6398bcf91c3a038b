// explain.js: the evaluation tree of an execution with options.explain — each evaluated rule with
// its value, the names it read (rules as nested nodes or links to their node; inputs, constants and
// tables as leaves), its time and its source line; then the ruleset's rules that this result did not
// need. Nodes are <details>/<summary>, so Enter and Space expand and collapse them.

import {h, clear, valueView, scalarText, formatUs, announce} from '../ui.js';
import {sourceLink} from './common.js';

function shortValue(v) {
  if (v === null) return 'null';
  if (v === undefined) return '—';
  if (Array.isArray(v)) return `[${v.length} item${v.length === 1 ? '' : 's'}]`;
  if (typeof v === 'object') {
    const n = Object.keys(v).length;
    return `{${n} propert${n === 1 ? 'y' : 'ies'}}`;
  }
  const s = scalarText(v);
  return typeof v === 'string' ? JSON.stringify(s.length > 80 ? s.slice(0, 77) + '…' : s) : s;
}

function isComplex(v) {
  return v !== null && typeof v === 'object';
}

function domId(rule) {
  return 'explain-' + String(rule).replace(/[^A-Za-z0-9_-]/g, (c) => '_' + c.charCodeAt(0).toString(16));
}

// renderExplain fills container. opts: {name, explain: [...], src (the source answer, optional),
// summary, input (the input that was executed)}.
export function renderExplain(container, {name, explain, src, summary, input}) {
  clear(container);
  const entries = Array.isArray(explain) ? explain : [];
  const byRule = new Map(entries.map((e) => [e.rule, e]));
  const readBy = new Map();
  for (const e of entries) {
    for (const r of e.reads || []) {
      if (!byRule.has(r) || r === e.rule) continue;
      if (!readBy.has(r)) readBy.set(r, []);
      readBy.get(r).push(e.rule);
    }
  }
  const order = (src && src.ruleOrder) || [];
  const rank = (r) => { const i = order.indexOf(r); return i < 0 ? 1e9 + entries.findIndex((e) => e.rule === r) : i; };
  let roots = entries.filter((e) => !readBy.has(e.rule));
  if (roots.length === 0) roots = entries.slice();
  roots.sort((a, b) => rank(a.rule) - rank(b.rule));

  const def = (summary && summary.definition) || {};
  const inputs = new Map(((summary && summary.inputs) || []).map((i) => [i.name, i]));
  const entities = new Set(((summary && summary.entities) || []).map((e) => e.name));
  const inputValue = (n) => {
    const i = inputs.get(n);
    const key = (i && i.from) || n;
    return input && typeof input === 'object' && key in input ? {given: true, value: input[key]} : {given: false};
  };
  const ruleSource = (r) => {
    const s = src && src.rules && src.rules[r];
    return s && s.file ? sourceLink(name, s.file, s.line) : null;
  };

  const placed = new Set();
  const tree = h('ul', {class: 'ex-tree', 'aria-label': 'Evaluated rules'});
  const node = (e, depth) => {
    placed.add(e.rule);
    const id = domId(e.rule);
    const reads = e.reads || [];
    const by = readBy.get(e.rule) || [];
    const details = h('details', {class: 'ex-node', id, 'data-testid': `explain-node-${e.rule}`, open: depth < 3});
    const summaryEl = h('summary', null,
      h('code', {class: 'ex-rule'}, e.rule),
      h('span', {class: 'ex-eq'}, ' = '),
      h('span', {class: 'ex-value'}, shortValue(e.value)),
      h('span', {class: 'ex-time muted'}, formatUs(e.us)));
    details.appendChild(summaryEl);
    const body = h('div', {class: 'ex-body'});
    const meta = h('div', {class: 'ex-meta small'});
    const loc = ruleSource(e.rule);
    if (loc) meta.appendChild(h('span', null, 'Source ', loc));
    if (by.length) {
      meta.appendChild(h('span', null, 'Read by ', by.map((r, i) => [i ? ', ' : '', follow(r)])));
    }
    if (meta.childNodes.length) body.appendChild(meta);
    if (isComplex(e.value)) body.appendChild(h('div', {class: 'ex-full'}, valueView(e.value)));
    if (reads.length) {
      const list = h('ul', {class: 'ex-reads', 'aria-label': `Names ${e.rule} read`});
      for (const r of reads) {
        const re = byRule.get(r);
        if (re && !placed.has(r) && r !== e.rule) {
          list.appendChild(h('li', null, node(re, depth + 1)));
        } else if (re) {
          list.appendChild(h('li', {class: 'ex-leaf ex-ref'},
            h('span', {class: 'tag tag-rule'}, 'rule'), follow(r), h('span', {class: 'ex-eq'}, ' = '),
            h('span', {class: 'ex-value'}, shortValue(re.value))));
        } else {
          list.appendChild(leaf(r));
        }
      }
      body.appendChild(list);
    } else {
      body.appendChild(h('p', {class: 'muted small'}, 'Reads no names.'));
    }
    details.appendChild(body);
    return details;
  };
  const follow = (r) => {
    const a = h('a', {href: `#${domId(r)}`, class: 'ex-follow'}, h('code', null, r));
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      goTo(container, r);
    });
    return a;
  };
  const leaf = (r) => {
    const place = src && src.rules && src.rules[r];
    let kind = place && place.kind ? place.kind : 'name';
    if (kind === 'name') {
      if (inputs.has(r)) kind = 'input';
      else if (def.constants && r in def.constants) kind = 'constant';
      else if (def.tables && r in def.tables) kind = 'table';
      else if (def.functions && r in def.functions) kind = 'function';
      else if (entities.has(r)) kind = 'entity';
    }
    let val = null;
    if (kind === 'input') {
      const iv = inputValue(r);
      const d = def.inputs && def.inputs[r];
      const dflt = d && typeof d === 'object' && 'default' in d ? ` (default ${scalarText(d.default)})` : '';
      val = iv.given ? valueOrShort(iv.value) : h('span', {class: 'muted'}, `not given${dflt}`);
    } else if (kind === 'constant' && def.constants && r in def.constants) {
      val = valueOrShort(def.constants[r]);
    } else if (kind === 'table') {
      const t = def.tables && def.tables[r];
      const n = t && t.rows ? Object.keys(t.rows).length : null;
      val = h('span', {class: 'muted'}, n === null ? 'a table' : `a table of ${n} row${n === 1 ? '' : 's'}${t.columns ? ` (${t.columns.join(', ')})` : ''}`);
    }
    return h('li', {class: `ex-leaf ex-${kind}`},
      h('span', {class: `tag tag-${kind}`}, kind === 'calculated' ? 'calculated' : kind),
      h('code', null, r),
      val ? [h('span', {class: 'ex-eq'}, ' = '), val] : null,
      place && place.file && kind !== 'input' ? [' ', sourceLink(name, place.file, place.line)] : null);
  };

  for (const e of roots) tree.appendChild(h('li', null, node(e, 0)));
  // Anything not reached from a root (a cycle of reads) still gets its node.
  for (const e of entries) if (!placed.has(e.rule)) tree.appendChild(h('li', null, node(e, 0)));

  const expandAll = h('button', {type: 'button', class: 'btn btn-small'}, 'Expand all');
  const collapseAll = h('button', {type: 'button', class: 'btn btn-small'}, 'Collapse all');
  expandAll.addEventListener('click', () => { for (const d of tree.querySelectorAll('details')) d.open = true; announce('Expanded every rule'); });
  collapseAll.addEventListener('click', () => { for (const d of tree.querySelectorAll('details')) d.open = false; announce('Collapsed every rule'); });

  container.appendChild(h('div', {class: 'ex-head'},
    h('p', {class: 'muted'}, `${entries.length} rule${entries.length === 1 ? '' : 's'} evaluated. `,
      'A rule’s time includes the rules it evaluated first. Select a name to go to its rule.'),
    h('div', {class: 'btn-row'}, expandAll, collapseAll)));
  container.appendChild(h('div', {class: 'ex-tree-wrap', 'data-testid': 'explain-tree'}, tree));

  const unused = order.filter((r) => !byRule.has(r));
  if (unused.length) {
    container.appendChild(h('section', {class: 'ex-unused', 'data-testid': 'explain-unused'},
      h('h3', null, 'Not needed for this result'),
      h('p', {class: 'muted small'}, 'Rules are lazy: these were not evaluated, because nothing this execution needed read them.'),
      h('ul', {class: 'plain-list'}, unused.map((r) => h('li', null, h('code', null, r), ' ', ruleSource(r))))));
  }
  if (entries.length === 0) {
    container.appendChild(h('p', null, 'No rule was evaluated.'));
  }
}

function valueOrShort(v) {
  return isComplex(v) ? h('span', null, shortValue(v), h('details', {class: 'ex-inline'}, h('summary', null, 'show'), valueView(v))) : h('span', {class: 'ex-value'}, shortValue(v));
}

// goTo opens the node of a rule (and every node around it), scrolls to it and focuses it.
export function goTo(container, rule) {
  const el = container.querySelector(`#${CSS.escape(domId(rule))}`);
  if (!el) return;
  for (let p = el; p && p !== container; p = p.parentElement) {
    if (p.tagName === 'DETAILS') p.open = true;
  }
  const s = el.querySelector('summary');
  el.scrollIntoView({block: 'center', behavior: 'smooth'});
  el.classList.remove('ex-flash');
  void el.offsetWidth;
  el.classList.add('ex-flash');
  if (s) s.focus({preventScroll: true});
  announce(`Rule ${rule}`);
}
