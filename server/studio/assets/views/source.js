// source.js: the Source tab — the ruleset's files (GET /api/rulesets/{name}/source) as read-only,
// highlighted code, with an index of where each rule is. #/r/NAME/source?file=PATH&line=N opens a
// file at a line.

import {h, clear, codeView, languageOf, problemList} from '../ui.js';
import {source, errorBox, hashOf} from './common.js';

export async function render(panel, ctx) {
  const name = ctx.params.name;
  let src;
  try {
    src = await source(name);
  } catch (e) {
    panel.appendChild(errorBox(e));
    return null;
  }
  const files = src.files || [];
  if (files.length === 0) {
    panel.appendChild(h('p', null, 'This ruleset has no source files to show.'));
    return null;
  }
  const fileNav = h('ul', {class: 'file-list'});
  const links = new Map();
  for (const f of files) {
    const a = h('a', {href: hashOf(name, 'source', {file: f.path}), class: 'file-link', 'data-testid': `source-file-${f.path}`},
      h('span', {class: 'file-icon', 'aria-hidden': 'true'}, iconOf(f.path)), f.path);
    links.set(f.path, a);
    fileNav.appendChild(h('li', null, a));
  }
  const places = Object.entries(src.rules || {});
  const order = src.ruleOrder || [];
  const KINDS = [['rule', 'Rules'], ['alert', 'Alerts'], ['function', 'Functions'], ['calculated', 'Calculated properties'],
    ['input', 'Inputs'], ['constant', 'Constants'], ['table', 'Tables'], ['entity', 'Entities']];
  const groups = KINDS.map(([kind, label]) => {
    let names = places.filter(([, p]) => (p.kind || 'rule') === kind).map(([n]) => n);
    if (kind === 'rule') names.sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9));
    if (names.length === 0) return null;
    return h('details', {class: 'rule-index', open: kind === 'rule' || kind === 'alert'},
      h('summary', null, `${label} (${names.length})`),
      h('ul', null, names.map((n) => {
        const r = src.rules[n];
        return h('li', null, h('a', {href: hashOf(name, 'source', {file: r.file, line: r.line}), class: 'rule-link'},
          h('code', null, n), h('span', {class: 'muted small'}, ` ${r.file}:${r.line}`)));
      })));
  }).filter(Boolean);
  const rulesNav = groups.length ? h('div', {class: 'places'}, h('h2', {class: 'side-title'}, 'Where names are written'), groups) : null;
  const side = h('nav', {class: 'source-side', 'aria-label': 'Files'}, h('h2', {class: 'side-title'}, 'Files'), fileNav, rulesNav);
  const view = h('div', {class: 'source-main'});
  panel.appendChild(h('div', {class: 'split'}, side, view));
  if (src.problems && src.problems.length) {
    view.appendChild(h('div', {class: 'notice notice-error'}, h('strong', null, 'Load problems'), problemList(src.problems)));
  }
  const codeBox = h('div');
  view.appendChild(codeBox);

  let shown = null; // {path, cv}
  const show = async (path, line) => {
    const f = files.find((x) => x.path === path) || files[0];
    if (!shown || shown.path !== f.path) {
      if (shown && shown.cv) shown.cv.destroy();
      clear(codeBox);
      for (const [p, a] of links) {
        if (p === f.path) a.setAttribute('aria-current', 'true');
        else a.removeAttribute('aria-current');
      }
      const lines = String(f.content || '').split('\n').length;
      codeBox.appendChild(h('div', {class: 'code-head'},
        h('h2', {id: 'source-file-title'}, f.path),
        h('span', {class: 'muted small'}, `${f.language || languageOf(f.path)} · ${lines} line${lines === 1 ? '' : 's'}`)));
      shown = {path: f.path, cv: null};
      const mine = shown;
      if (f.binary || f.tooLarge) {
        codeBox.appendChild(h('p', {class: 'notice notice-info'}, f.binary ? 'This file is not text; it is not shown.' : 'This file is too large to show here.'));
        return;
      }
      const cv = await codeView(codeBox, {doc: f.content || '', language: f.language || languageOf(f.path), label: `${f.path} (read only)`, line});
      if (shown !== mine) { cv.destroy(); return; }
      shown.cv = cv;
      cv.el.setAttribute('data-testid', 'source-code');
    } else if (line && shown.cv) {
      shown.cv.gotoLine(line);
    }
  };
  const fromQuery = (q) => {
    const file = q && q.get('file');
    const line = q && Number(q.get('line')) || undefined;
    return {file: file || (files.find((f) => f.path === 'ruleset.yaml') || files[0]).path, line};
  };
  const first = fromQuery(ctx.params.query);
  await show(first.file, first.line);
  return {
    update(c) {
      const q = fromQuery(c.params.query);
      show(q.file, q.line);
    },
    destroy() { if (shown && shown.cv) shown.cv.destroy(); },
  };
}

function iconOf(path) {
  if (path.endsWith('.js')) return 'JS';
  if (path.endsWith('.csv')) return 'CSV';
  if (path.endsWith('.json')) return '{}';
  return 'YML';
}
