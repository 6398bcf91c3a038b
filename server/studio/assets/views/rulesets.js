// rulesets.js: #/ — every ruleset with its versions, description and load status.

import {h, clear, problemList} from '../ui.js';
import {studioRulesets, errorBox, hashOf} from './common.js';

export async function render(container, ctx) {
  const body = h('div', {class: 'rulesets-body', 'aria-busy': 'true'}, h('p', {class: 'muted'}, 'Loading the rulesets…'));
  const refresh = h('button', {type: 'button', class: 'btn btn-small'}, 'Refresh');
  container.appendChild(h('div', {class: 'page-head'},
    h('div', null, h('h1', null, 'Rulesets'),
      h('p', {class: 'muted lede'}, 'Open a ruleset to read its source, try it, explain a result, run its testcases or edit it.')),
    h('div', {class: 'page-actions'}, refresh)));
  container.appendChild(body);

  const load = async (fresh) => {
    body.setAttribute('aria-busy', 'true');
    let list;
    try {
      list = await studioRulesets({fresh});
    } catch (e) {
      clear(body).appendChild(errorBox(e));
      body.removeAttribute('aria-busy');
      return;
    }
    clear(body);
    body.removeAttribute('aria-busy');
    if (list.length === 0) {
      body.appendChild(h('p', null, 'No rulesets are served, or this key may use none of them.'));
      return;
    }
    const failed = list.filter((r) => r.status === 'failed').length;
    body.appendChild(h('p', {class: 'muted'}, `${list.length} ruleset${list.length === 1 ? '' : 's'}`,
      failed ? `, ${failed} failed to load` : '', '.'));
    body.appendChild(h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl rulesets-table'},
      h('caption', {class: 'visually-hidden'}, 'Rulesets'),
      h('thead', null, h('tr', null,
        h('th', {scope: 'col'}, 'Ruleset'),
        h('th', {scope: 'col'}, 'Version'),
        h('th', {scope: 'col'}, 'Description'),
        h('th', {scope: 'col'}, 'Status'))),
      h('tbody', null, list.map((r) => row(r))))));
  };
  refresh.addEventListener('click', () => load(true));
  await load(true);
  return {update() { load(false); }};
}

function row(r) {
  const versions = r.versions || [];
  const others = versions.filter((v) => v !== r.latest);
  const kinds = [];
  if (r.library) kinds.push('library');
  if (r.workflow) kinds.push('workflow');
  if (r.persists) kinds.push('persists entities');
  if (r.source === 'store') kinds.push('from the store');
  if (r.editable) kinds.push('editable');
  const failed = r.status === 'failed';
  return h('tr', {class: failed ? 'row-failed' : null},
    h('th', {scope: 'row'},
      h('a', {href: hashOf(r.name), 'data-testid': `ruleset-link-${r.name}`, class: 'ruleset-link'}, r.name),
      kinds.length ? h('div', {class: 'tags'}, kinds.map((k) => h('span', {class: 'tag'}, k))) : null),
    h('td', null,
      r.latest ? h('span', {class: 'version'}, r.latest) : h('span', {class: 'muted'}, '—'),
      others.length ? h('div', {class: 'muted small'}, `also ${others.join(', ')}`) : null),
    h('td', null, r.description || h('span', {class: 'muted'}, 'No description')),
    h('td', null, failed
      ? h('div', null,
        h('span', {class: 'badge badge-error'}, 'Failed to load'),
        problemList(r.problems || [], {}))
      : h('span', {class: 'badge badge-ok'}, 'Loaded')));
}
