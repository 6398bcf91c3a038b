// app.js: the studio's entry point — the sign-in screen, the shell (header, navigation, main) and the
// hash router that puts a view in main.

import {api, session, loadSession, signIn, signOut, ApiError} from './api.js';
import {h, clear, announce, toast} from './ui.js';

const root = document.getElementById('app');
let shell = null;
let mounted = null; // {key, view: {update?, destroy?}}
let routeSeq = 0;

// parseHash splits "#/r/travel-insurance/source?file=x&line=3" into decoded parts and a query.
export function parseHash(hash = location.hash) {
  let s = hash.replace(/^#/, '');
  let query = new URLSearchParams();
  const q = s.indexOf('?');
  if (q >= 0) {
    query = new URLSearchParams(s.slice(q + 1));
    s = s.slice(0, q);
  }
  const parts = s.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return {parts, query};
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---------- sign in ----------

function showSignIn(message) {
  unmount();
  shell = null;
  clear(root);
  const keyInput = h('input', {
    id: 'signin-key', type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false',
    required: true, 'data-testid': 'signin-key', 'aria-describedby': 'signin-help',
  });
  const problem = h('div', {class: 'notice notice-error', role: 'alert', id: 'signin-problem', hidden: true});
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'signin-submit'}, 'Sign in');
  const form = h('form', {class: 'signin-form', novalidate: true},
    h('div', {class: 'field'},
      h('label', {for: 'signin-key'}, 'API key'),
      h('div', {class: 'help', id: 'signin-help'}, 'A key made with kubus keys create (it starts with kbs_). It is kept by the server as a session cookie, not in this page.'),
      keyInput),
    problem,
    h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.hidden = true;
    const key = keyInput.value.trim();
    if (!key) {
      problem.hidden = false;
      problem.textContent = 'Enter an API key.';
      keyInput.setAttribute('aria-invalid', 'true');
      keyInput.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await signIn(key);
      keyInput.value = '';
      announce('Signed in');
      startShell();
    } catch (err) {
      const p = err instanceof ApiError ? err.problem : {};
      problem.hidden = false;
      clear(problem);
      problem.appendChild(h('strong', null, p.title || 'Could not sign in'));
      if (p.detail) problem.appendChild(h('p', null, p.detail));
      keyInput.setAttribute('aria-invalid', 'true');
      keyInput.focus();
      keyInput.select();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  root.appendChild(h('header', {class: 'topbar topbar-plain'}, h('span', {class: 'brand'}, 'Kubus studio')));
  root.appendChild(h('main', {id: 'main', class: 'signin', tabindex: '-1'},
    h('div', {class: 'card signin-card'},
      h('h1', null, 'Sign in'),
      h('p', null, 'Sign in with an API key to browse, try, test and edit rulesets.'),
      message ? h('div', {class: 'notice notice-info', role: 'status'}, message) : null,
      form)));
  document.title = 'Sign in · Kubus studio';
  keyInput.focus();
}

// ---------- shell ----------

const NAV = [
  {id: 'rulesets', label: 'Rulesets', hash: '#/'},
  {id: 'workflows', label: 'Workflows', hash: '#/workflows'},
  {id: 'alerts', label: 'Alerts', hash: '#/alerts'},
];

function startShell() {
  unmount();
  clear(root);
  const s = session();
  const links = {};
  const nav = h('nav', {class: 'mainnav', 'aria-label': 'Main'},
    h('ul', null, NAV.map((n) => h('li', null,
      links[n.id] = h('a', {href: n.hash, 'data-testid': `nav-${n.id}`}, n.label)))));
  const skip = h('a', {href: '#main', class: 'skip-link'}, 'Skip to content');
  skip.addEventListener('click', (e) => {
    e.preventDefault();
    const main = document.getElementById('main');
    const h1 = main.querySelector('h1');
    (h1 || main).focus();
  });
  const signoutBtn = h('button', {type: 'button', class: 'btn btn-quiet btn-small', 'data-testid': 'signout'}, 'Sign out');
  signoutBtn.addEventListener('click', async () => {
    try {
      await signOut();
    } catch { /* signed out locally anyway */ }
    location.hash = '#/';
    showSignIn('You are signed out.');
  });
  const key = (s && s.key) || {};
  const header = h('header', {class: 'topbar'},
    skip,
    h('a', {href: '#/', class: 'brand'}, 'Kubus studio'),
    nav,
    h('div', {class: 'who'},
      h('span', {class: 'muted'}, 'Key '),
      h('span', {class: 'key-name', 'data-testid': 'key-name', title: (key.scopes || []).join(' ')}, key.name || key.id || '(unnamed)'),
      signoutBtn));
  const main = h('main', {id: 'main', tabindex: '-1'});
  root.appendChild(header);
  root.appendChild(main);
  shell = {header, main, links};
  route();
}

function setNav(active) {
  if (!shell) return;
  for (const [id, a] of Object.entries(shell.links)) {
    if (id === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function unmount() {
  if (mounted && mounted.view && typeof mounted.view.destroy === 'function') {
    try { mounted.view.destroy(); } catch (e) { console.error(e); }
  }
  mounted = null;
}

// focusHeading moves the focus to the screen's h1 after a screen change (not on a tab change).
function focusHeading(main) {
  const h1 = main.querySelector('h1');
  if (h1) {
    if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
    h1.focus({preventScroll: true});
    window.scrollTo(0, 0);
  }
}

function notAvailable(main, title, what) {
  clear(main);
  main.appendChild(h('h1', null, title));
  main.appendChild(h('div', {class: 'notice notice-info', role: 'status'}, `The ${what} view is not available in this build.`));
}

// mount renders a view module (views/NAME.js) into main; a module that does not load shows "not
// available".
async function mountModule(key, file, title, params, seq) {
  const main = shell.main;
  let mod;
  try {
    mod = await import(`./views/${file}`);
  } catch (e) {
    if (seq !== routeSeq) return;
    console.warn(`studio: views/${file} did not load`, e);
    unmount();
    notAvailable(main, title, title);
    mounted = {key, view: null};
    focusHeading(main);
    return;
  }
  if (seq !== routeSeq) return;
  unmount();
  clear(main);
  let view = null;
  try {
    view = await mod.render(main, {api, navigate, params, session: session()});
  } catch (e) {
    console.error(e);
    main.appendChild(h('div', {class: 'notice notice-error', role: 'alert'}, `This view failed: ${e && e.message ? e.message : e}`));
  }
  mounted = {key, view: view && typeof view === 'object' ? view : null};
  focusHeading(main);
}

async function route() {
  if (!session()) return;
  if (!shell) { startShell(); return; }
  const seq = ++routeSeq;
  const {parts, query} = parseHash();
  const main = shell.main;
  const [first] = parts;
  if (!first) {
    setNav('rulesets');
    document.title = 'Rulesets · Kubus studio';
    const key = 'rulesets';
    if (mounted && mounted.key === key && mounted.view && mounted.view.update) { mounted.view.update({query}); return; }
    await mountModule(key, 'rulesets.js', 'Rulesets', {query}, seq);
    return;
  }
  if (first === 'r' && parts[1]) {
    setNav('rulesets');
    const name = parts[1];
    const params = {name, tab: parts[2] || 'overview', rest: parts.slice(3), query};
    document.title = `${name} · Kubus studio`;
    const key = `r/${name}`;
    if (mounted && mounted.key === key && mounted.view && mounted.view.update) {
      mounted.view.update(params);
      return;
    }
    await mountModule(key, 'ruleset.js', name, params, seq);
    return;
  }
  if (first === 'workflows') {
    setNav('workflows');
    document.title = 'Workflows · Kubus studio';
    const params = {name: parts[1], id: parts[2], query};
    const key = `workflows/${parts[1] || ''}/${parts[2] || ''}`;
    if (mounted && mounted.key === key) return;
    await mountModule(key, 'workflows.js', 'Workflows', params, seq);
    return;
  }
  if (first === 'alerts') {
    setNav('alerts');
    document.title = 'Alerts · Kubus studio';
    await mountModule(`alerts?${query}`, 'alerts.js', 'Alerts', {query, rest: parts.slice(1)}, seq);
    return;
  }
  setNav(null);
  unmount();
  clear(main);
  main.appendChild(h('h1', null, 'Not found'));
  main.appendChild(h('p', null, 'There is no such page in the studio. ', h('a', {href: '#/'}, 'Go to the rulesets.')));
  mounted = {key: 'notfound', view: null};
  focusHeading(main);
}

async function start() {
  window.addEventListener('hashchange', () => { route(); });
  window.addEventListener('kubus:unauthorized', () => {
    if (!shell && document.getElementById('signin-key')) return; // already asking
    if (session()) {
      signOut().catch(() => {});
    }
    showSignIn('Your session has ended. Sign in again.');
  });
  try {
    await loadSession();
  } catch (e) {
    clear(root);
    root.appendChild(h('main', {id: 'main'}, h('h1', null, 'Kubus studio'),
      h('div', {class: 'notice notice-error', role: 'alert'}, `The server could not be reached: ${e.message || e}`)));
    return;
  }
  if (session()) startShell();
  else showSignIn();
}

window.addEventListener('unhandledrejection', (e) => {
  console.error(e.reason);
  if (e.reason instanceof ApiError && e.reason.status === 401) return;
  toast(`Unexpected error: ${e.reason && e.reason.message ? e.reason.message : e.reason}`, 'error');
});

start();
