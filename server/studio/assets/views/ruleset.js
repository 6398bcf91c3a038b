// ruleset.js: #/r/NAME[/TAB] — one ruleset: its heading, load status and tabs (Overview, Source,
// Try it, Explain, Testcases, API, Edit, Data). Each tab is a module with render(panel, ctx).

import {h, clear, tabs, problemList} from '../ui.js';
import {studioRuleset, summary, errorBox, hashOf, forget} from './common.js';

const TABS = {
  overview: {label: 'Overview', file: 'overview.js', testid: 'tab-overview'},
  source: {label: 'Source', file: 'source.js', testid: 'tab-source'},
  try: {label: 'Try it', file: 'try.js', testid: 'tab-try'},
  explain: {label: 'Explain', file: 'try.js', testid: 'tab-explain'},
  testcases: {label: 'Testcases', file: 'testcases.js', testid: 'tab-testcases'},
  api: {label: 'API', file: 'apidocs.js', testid: 'tab-api'},
  edit: {label: 'Edit', file: 'edit.js', testid: 'tab-edit'},
  data: {label: 'Data', file: 'data.js', testid: 'tab-data'},
};

export async function render(container, ctx) {
  const name = ctx.params.name;
  const head = h('div', {class: 'ruleset-head'});
  const statusBox = h('div', {class: 'ruleset-status'});
  const tabBox = h('div', {class: 'tabs-row'});
  const panel = h('div', {role: 'tabpanel', id: 'tab-panel', class: 'tabpanel', tabindex: '-1'});
  container.appendChild(head);
  container.appendChild(statusBox);
  container.appendChild(tabBox);
  container.appendChild(panel);

  let entry = null;
  let sum = null;
  let tablist = null;
  let tabIds = [];
  let current = null; // {tab, view, key}
  let seq = 0;
  let destroyed = false;

  const heading = () => {
    clear(head);
    head.appendChild(h('div', {class: 'crumbs'}, h('a', {href: '#/'}, 'Rulesets'), ' / '));
    head.appendChild(h('h1', null, name,
      entry && entry.latest ? h('span', {class: 'version h1-version'}, ` ${entry.latest}`) : null));
    const desc = (entry && entry.description) || (sum && sum.description);
    if (desc) head.appendChild(h('p', {class: 'lede'}, desc));
    const facts = [];
    if (sum && sum.culture) facts.push(`culture ${sum.culture}`);
    if (sum && sum.timezone) facts.push(`time zone ${sum.timezone}`);
    if (entry && entry.versions && entry.versions.length > 1) facts.push(`versions ${entry.versions.join(', ')}`);
    if (entry && entry.source && entry.source !== 'unknown') facts.push(entry.source === 'store' ? 'from the store' : 'from a folder');
    if (entry && entry.library) facts.push('library');
    if (entry && entry.workflow) facts.push('workflow');
    if (facts.length) head.appendChild(h('p', {class: 'muted small facts'}, facts.join(' · ')));
  };

  const showStatus = () => {
    clear(statusBox);
    if (entry && entry.status === 'failed') {
      statusBox.appendChild(h('div', {class: 'notice notice-error', role: 'status', 'data-testid': 'ruleset-problems'},
        h('strong', null, 'This ruleset failed to load.'),
        entry.latest ? h('span', null, ` Version ${entry.latest}, the last that loaded, is still served.`) : null,
        entry.editable ? h('span', null, ' Fix it in the ', h('a', {href: hashOf(name, 'edit')}, 'Edit tab'), '.') : null,
        problemList(entry.problems || [], {onOpen: (p) => ctx.navigate(hashOf(name, entry.editable ? 'edit' : 'source', {file: p.file, line: p.line}))})));
    }
  };

  const availableTabs = () => {
    // A folder that fails to load now still serves its last good version (when it had one).
    const failed = entry && entry.status === 'failed' && !entry.latest;
    const ids = failed ? ['overview', 'source'] : ['overview', 'source', 'try', 'explain', 'testcases', 'api'];
    if (entry && entry.editable) ids.push('edit');
    if (!failed && ((entry && entry.persists) || (sum && sum.persists))) ids.push('data');
    return ids;
  };

  const buildTabs = (selected) => {
    tabIds = availableTabs();
    clear(tabBox);
    tablist = tabs(tabIds.map((id) => ({id, label: TABS[id].label, testid: TABS[id].testid})), selected,
      (id) => ctx.navigate(hashOf(name, id === 'overview' ? '' : id)),
      {label: `${name} sections`, idPrefix: 'tab'});
    tabBox.appendChild(tablist);
  };

  const tabCtx = (params) => ({
    api: ctx.api, navigate: ctx.navigate, session: ctx.session,
    params: {...params, name, entity: params.rest && params.rest[0]},
    ruleset: entry, summary: sum,
    tab: params.tab,
    // refresh reloads the ruleset's entry and heading (after an edit).
    refresh: async () => {
      forget(name);
      entry = await studioRuleset(name, {fresh: true});
      try { sum = entry && entry.status === 'failed' && !entry.latest ? null : await summary(name); } catch { sum = null; }
      heading();
      showStatus();
      const ids = availableTabs();
      if (ids.join() !== tabIds.join()) buildTabs(current ? current.tab : 'overview');
      return entry;
    },
  });

  const showTab = async (params) => {
    const my = ++seq;
    let tab = params.tab || 'overview';
    if (!TABS[tab]) tab = 'overview';
    const key = `${tab}/${(params.rest || []).join('/')}`;
    if (current && current.key === key && current.view && current.view.update) {
      current.view.update(tabCtx(params));
      return;
    }
    if (current && current.view && current.view.destroy) {
      try { current.view.destroy(); } catch (e) { console.error(e); }
    }
    current = null;
    if (!tabIds.includes(tab)) {
      clear(panel);
      panel.removeAttribute('aria-labelledby');
      panel.setAttribute('aria-label', TABS[tab].label);
      panel.appendChild(h('p', {class: 'notice notice-info'},
        tab === 'edit' ? 'This ruleset cannot be edited here (it is not served from a folder, or the server does not allow editing).'
          : entry && entry.status === 'failed' ? `${TABS[tab].label} needs the ruleset to load first.` : `${TABS[tab].label} is not available for this ruleset.`));
      if (tablist) tablist.select(null);
      current = {tab, key, view: null};
      return;
    }
    if (tablist) tablist.select(tab);
    panel.removeAttribute('aria-label');
    panel.setAttribute('aria-labelledby', `tab-${tab}`);
    panel.setAttribute('aria-busy', 'true');
    let mod;
    try {
      mod = await import(`./${TABS[tab].file}`);
    } catch (e) {
      if (my !== seq || destroyed) return;
      console.warn(`studio: ${TABS[tab].file} did not load`, e);
      clear(panel);
      panel.removeAttribute('aria-busy');
      panel.appendChild(h('p', {class: 'notice notice-info', role: 'status'}, `The ${TABS[tab].label} view is not available in this build.`));
      current = {tab, key, view: null};
      return;
    }
    if (my !== seq || destroyed) return;
    clear(panel);
    let view = null;
    try {
      view = await mod.render(panel, tabCtx({...params, tab}));
    } catch (e) {
      console.error(e);
      if (my === seq) panel.appendChild(errorBox(e));
    }
    panel.removeAttribute('aria-busy');
    if (my !== seq || destroyed) {
      if (view && view.destroy) view.destroy();
      return;
    }
    current = {tab, key, view: view && typeof view === 'object' ? view : null};
  };

  head.appendChild(h('h1', null, name));
  try {
    entry = await studioRuleset(name, {fresh: true});
  } catch (e) {
    container.appendChild(errorBox(e));
    return null;
  }
  if (!entry) {
    try { sum = await summary(name); } catch (e) {
      heading();
      statusBox.appendChild(e.status === 404
        ? h('div', {class: 'notice notice-error', role: 'alert'}, `There is no ruleset ${name}, or this key may not use it.`)
        : errorBox(e));
      return null;
    }
  } else if (entry.status !== 'failed' || entry.latest) {
    try { sum = await summary(name); } catch (e) { statusBox.appendChild(errorBox(e)); }
  }
  heading();
  showStatus();
  buildTabs(ctx.params.tab || 'overview');
  await showTab(ctx.params);

  return {
    update(params) { showTab(params); },
    destroy() {
      destroyed = true;
      if (current && current.view && current.view.destroy) current.view.destroy();
    },
  };
}
