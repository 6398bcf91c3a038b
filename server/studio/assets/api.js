// api.js: the studio's calls to the server. The session is a cookie (HttpOnly, set by POST
// /studio/session); every request that is not a GET carries the CSRF token from the session answer.

let current = null;

// ApiError is a failed request: status, the problem details answer (or a made-up one), message.
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem && typeof problem === 'object' ? problem : {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = {status, ...p};
  }
}

// session is the cached session answer ({key: {id, name, scopes}, csrf}) or null.
export function session() {
  return current;
}

// hasScope tells whether the signed-in key has a scope (exactly, or through NAME:* / *).
export function hasScope(scope) {
  const scopes = (current && current.key && current.key.scopes) || [];
  if (scopes.includes(scope)) return true;
  const i = scope.indexOf(':');
  return i > 0 && scopes.includes(`${scope.slice(0, i)}:*`);
}

async function readProblem(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return {title: res.statusText || `HTTP ${res.status}`, detail: text.slice(0, 500)};
  }
}

// loadSession asks the server who is signed in: the session, or null.
export async function loadSession() {
  const res = await fetch('/studio/session', {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (res.status === 401 || res.status === 404) {
    current = null;
    return null;
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  current = await res.json();
  return current;
}

// signIn trades an API key for a session cookie; throws ApiError (401 on a wrong key).
export async function signIn(key) {
  const res = await fetch('/studio/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: JSON.stringify({key}),
  });
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  current = await res.json();
  return current;
}

// signOut ends the session.
export async function signOut() {
  const headers = {};
  if (current && current.csrf) headers['X-Kubus-CSRF'] = current.csrf;
  try {
    await fetch('/studio/session', {method: 'DELETE', credentials: 'same-origin', headers});
  } finally {
    current = null;
  }
}

// api(method, path, body?, {raw, headers}) calls the server: the parsed JSON answer (null for 204,
// the Response itself with raw). A body is sent as JSON, unless it is a string and the headers set a
// Content-Type (then it is sent as it is). Failures throw ApiError; a 401 also fires
// "kubus:unauthorized" on window, so the app can show the sign-in screen.
export async function api(method, path, body, {raw = false, headers = {}} = {}) {
  const m = (method || 'GET').toUpperCase();
  const h = {Accept: 'application/json, application/problem+json', ...headers};
  const init = {method: m, credentials: 'same-origin', headers: h};
  if (m !== 'GET' && m !== 'HEAD' && current && current.csrf) h['X-Kubus-CSRF'] = current.csrf;
  if (body !== undefined) {
    const hasType = Object.keys(h).some((k) => k.toLowerCase() === 'content-type');
    if (typeof body === 'string' && hasType) {
      init.body = body;
    } else {
      h['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, {title: 'The server could not be reached', detail: String(e && e.message || e)});
  }
  if (raw && res.ok) return res;
  if (!res.ok) {
    const problem = await readProblem(res);
    if (res.status === 401) window.dispatchEvent(new CustomEvent('kubus:unauthorized', {detail: problem}));
    throw new ApiError(res.status, problem);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// rulesetPath is /api/rulesets/NAME with the name escaped.
export function rulesetPath(name, ...rest) {
  return `/api/rulesets/${encodeURIComponent(name)}${rest.map((r) => `/${r}`).join('')}`;
}

// filePath escapes a ruleset file path (rules/total-premium.js) segment by segment.
export function filePath(path) {
  return String(path).split('/').map(encodeURIComponent).join('/');
}
