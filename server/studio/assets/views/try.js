// try.js: the Try it and Explain tabs. A form made from the ruleset's OpenAPI input schema, the
// execution options, examples from the testcases, input sets saved in this browser; Execute shows
// the output, alerts, diagnostics and errors; Explain shows the evaluation tree. Both tabs share
// the form's state (common.tryState), so Explain explains what Try it holds.

import {h, clear, formFromSchema, readForm, showFieldErrors, valueView, announce, toast, confirmDialog, newId, scalarText} from '../ui.js';
import {rulesetPath, ApiError, hasScope} from '../api.js';
import {inputSchema, summary, testcases, source, tryState, savedSets, saveSet, deleteSet, errorBox, sourceLink, parseAt, hashOf, forget} from './common.js';
import {renderExplain} from './explain.js';

const LOG_LEVELS = ['none', 'info', 'warning', 'error'];

// nowToLocal turns an RFC 3339 time into the value of a datetime-local field, in UTC.
function nowToLocal(now) {
  if (!now) return '';
  const d = new Date(now);
  if (isNaN(d.getTime())) return '';
  const iso = d.toISOString(); // 2024-05-15T09:00:00.000Z
  return iso.endsWith(':00.000Z') ? iso.slice(0, 16) : iso.slice(0, 19);
}

// localToNow turns a datetime-local value (read as UTC) into RFC 3339.
function localToNow(v) {
  if (!v) return undefined;
  let s = v;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s)) s += ':00';
  return `${s}Z`;
}

export async function render(panel, ctx) {
  const name = ctx.params.name;
  const mode = ctx.tab === 'explain' ? 'explain' : 'try';
  const state = tryState(name);
  const loading = h('p', {class: 'muted'}, 'Loading the form…');
  panel.appendChild(loading);

  let schemaInfo;
  let sum;
  try {
    [schemaInfo, sum] = await Promise.all([inputSchema(name), ctx.summary ? Promise.resolve(ctx.summary) : summary(name)]);
  } catch (e) {
    loading.remove();
    panel.appendChild(errorBox(e));
    return null;
  }
  let cases = [];
  let casesEditable = false;
  let casesError = null;
  try {
    const t = await testcases(name);
    cases = t.testcases || [];
    casesEditable = !!t.editable;
  } catch (e) {
    casesError = e;
  }
  let src = null;
  if (mode === 'explain') {
    try { src = await source(name); } catch { src = null; }
  }
  loading.remove();

  const culture = sum.culture || '';
  if (state.options.culture === undefined) state.options.culture = culture;
  if (state.options.logLevel === undefined) state.options.logLevel = 'info';

  // ----- the form -----
  const formHost = h('div', {class: 'form-host'});
  let formDiv = null;
  const buildForm = (values) => {
    clear(formHost);
    formDiv = formFromSchema(schemaInfo.schema, {values, idPrefix: 'in', root: schemaInfo.doc});
    formHost.appendChild(formDiv);
    if (!schemaInfo.schema.properties || Object.keys(schemaInfo.schema.properties).length === 0) {
      formHost.appendChild(h('p', {class: 'muted'}, 'This ruleset has no inputs.'));
    }
  };
  buildForm(state.input);

  const cultureId = newId('opt');
  const logId = newId('opt');
  const nowId = newId('opt');
  const cultureInput = h('input', {id: cultureId, type: 'text', value: state.options.culture || '', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${cultureId}-help`, class: 'short'});
  const logSelect = h('select', {id: logId, 'aria-describedby': `${logId}-help`}, LOG_LEVELS.map((l) => h('option', {value: l}, l)));
  logSelect.value = state.options.logLevel || 'info';
  const nowInput = h('input', {id: nowId, type: 'datetime-local', step: '1', value: state.options.now ? nowToLocal(state.options.now) : '', 'aria-describedby': `${nowId}-help`});
  const clockNote = hasScope('clock') ? '' : ' Setting it needs a key with the scope clock.';
  const optionsBox = h('fieldset', {class: 'options'},
    h('legend', null, 'Options'),
    h('div', {class: 'options-grid'},
      h('div', {class: 'field'}, h('label', {for: cultureId}, 'Culture'),
        h('div', {class: 'help', id: `${cultureId}-help`}, culture ? `The ruleset's is ${culture}.` : 'A BCP 47 tag, e.g. en-US.'),
        cultureInput),
      h('div', {class: 'field'}, h('label', {for: logId}, 'Log level'),
        h('div', {class: 'help', id: `${logId}-help`}, 'Which console output comes back as diagnostics.'),
        logSelect),
      h('div', {class: 'field'}, h('label', {for: nowId}, 'Clock (UTC, optional)'),
        h('div', {class: 'help', id: `${nowId}-help`}, `Empty: the real time.${clockNote}`),
        nowInput)));

  const readOptions = () => {
    const o = {};
    const c = cultureInput.value.trim();
    if (c) o.culture = c;
    if (logSelect.value && logSelect.value !== 'none') o.logLevel = logSelect.value;
    const now = localToNow(nowInput.value);
    if (now) o.now = now;
    return o;
  };
  const sync = (e) => {
    if (e && e.target === exSelect) return;
    state.input = readForm(formDiv);
    state.options = {culture: cultureInput.value.trim(), logLevel: logSelect.value, now: localToNow(nowInput.value)};
    state.touched = true;
  };

  const nowHelp = () => document.getElementById(`${nowId}-help`);
  const setValues = (input, options = {}) => {
    buildForm(input);
    cultureInput.value = options.culture || culture;
    if (options.logLevel) logSelect.value = options.logLevel;
    if (options.now && !hasScope('clock')) {
      // The execution would be refused (400): leave the clock to the server and say so.
      nowInput.value = '';
      const help = nowHelp();
      if (help) help.textContent = `Empty: the real time. The example sets the clock to ${options.now}, which needs a key with the scope clock.`;
    } else {
      nowInput.value = options.now ? nowToLocal(options.now) : '';
    }
    sync();
  };

  // ----- examples from the testcases -----
  const exId = newId('ex');
  const exSelect = h('select', {id: exId, 'data-testid': 'try-example'});
  const fillExamples = () => {
    clear(exSelect);
    exSelect.appendChild(h('option', {value: ''}, cases.length ? `— ${cases.length} testcase${cases.length === 1 ? '' : 's'} —` : '— none —'));
    const byFile = new Map();
    cases.forEach((c, i) => {
      const f = c.file || '';
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f).push([c, i]);
    });
    for (const [file, list] of byFile) {
      const group = byFile.size > 1 || file ? h('optgroup', {label: file || 'testcases'}) : exSelect;
      for (const [c, i] of list) group.appendChild(h('option', {value: String(i)}, c.name + (c.kind === 'workflow' ? ' (workflow)' : '')));
      if (group !== exSelect) exSelect.appendChild(group);
    }
    exSelect.disabled = cases.length === 0;
  };
  fillExamples();
  if (state.example) {
    const i = cases.findIndex((c) => c.name === state.example);
    if (i >= 0) exSelect.value = String(i);
  }
  exSelect.addEventListener('change', () => {
    if (exSelect.value === '') return;
    const c = cases[Number(exSelect.value)];
    if (!c) return;
    setValues(c.input === undefined ? {} : c.input, c.options || {});
    state.example = c.name;
    announce(`Loaded the example ${c.name}`);
  });

  // ----- saved input sets -----
  const savedId = newId('saved');
  const savedSelect = h('select', {id: savedId, 'data-testid': 'saved-select'});
  const loadSaved = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'saved-load'}, 'Load');
  const deleteSaved = h('button', {type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'saved-delete'}, 'Delete');
  const fillSaved = (selected) => {
    const sets = savedSets(name);
    const names = Object.keys(sets).sort();
    clear(savedSelect);
    savedSelect.appendChild(h('option', {value: ''}, names.length ? '— choose —' : '— none saved —'));
    for (const n of names) savedSelect.appendChild(h('option', {value: n}, n));
    savedSelect.value = selected && names.includes(selected) ? selected : '';
    const none = names.length === 0;
    savedSelect.disabled = none;
    loadSaved.disabled = none;
    deleteSaved.disabled = none;
  };
  fillSaved();
  loadSaved.addEventListener('click', () => {
    const n = savedSelect.value;
    const set = savedSets(name)[n];
    if (!set) { announce('Choose a saved input first'); savedSelect.focus(); return; }
    setValues(set.input, set.options || {});
    toast(`Loaded the saved input ${n}`, 'success');
  });
  deleteSaved.addEventListener('click', async () => {
    const n = savedSelect.value;
    if (!n) { announce('Choose a saved input first'); savedSelect.focus(); return; }
    if (!await confirmDialog(`Delete the saved input “${n}” from this browser?`, {title: 'Delete saved input', confirm: 'Delete', danger: true})) return;
    deleteSet(name, n);
    fillSaved();
    toast(`Deleted the saved input ${n}`, 'success');
  });
  const saveAsId = newId('saveas');
  const saveAsName = h('input', {id: saveAsId, type: 'text', autocomplete: 'off', 'data-testid': 'saved-name', class: 'short'});
  const saveAsBtn = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'saved-save'}, 'Save');
  saveAsBtn.addEventListener('click', async () => {
    const n = saveAsName.value.trim();
    if (!n) { announce('Give the input a name first'); saveAsName.focus(); return; }
    if (savedSets(name)[n] && !await confirmDialog(`Replace the saved input “${n}”?`, {title: 'Replace saved input', confirm: 'Replace'})) return;
    sync();
    const opts = readOptions();
    saveSet(name, n, {input: readForm(formDiv) || {}, options: {culture: opts.culture, logLevel: logSelect.value, now: opts.now}});
    fillSaved(n);
    saveAsName.value = '';
    toast(`Saved the input as ${n} (in this browser)`, 'success');
  });
  saveAsName.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); saveAsBtn.click(); } });

  // ----- save as testcase -----
  const tcId = newId('tc');
  const tcName = h('input', {id: tcId, type: 'text', autocomplete: 'off', 'data-testid': 'save-testcase-name', 'aria-describedby': `${tcId}-help`});
  const tcBtn = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'save-testcase'}, 'Save as testcase');
  const tcMsg = h('div', {class: 'inline-msg', 'aria-live': 'polite'});
  tcBtn.addEventListener('click', async () => {
    clear(tcMsg);
    const n = tcName.value.trim();
    if (!n) {
      tcMsg.appendChild(h('div', {class: 'notice notice-error', role: 'alert'}, 'Give the testcase a name.'));
      tcName.focus();
      return;
    }
    const opts = readOptions();
    const options = {};
    if (opts.now) options.now = opts.now;
    if (opts.culture && opts.culture !== culture) options.culture = opts.culture;
    tcBtn.disabled = true;
    try {
      const saved = await ctx.api('POST', rulesetPath(name, 'testcases'), {name: n, input: readForm(formDiv) || {}, options});
      forget(name);
      try { const t = await testcases(name); cases = t.testcases || []; fillExamples(); } catch { /* keep the old list */ }
      tcMsg.appendChild(h('div', {class: 'notice notice-ok', role: 'status'}, `Saved the testcase “${n}”`,
        saved && saved.file ? ` in ${saved.file}` : '', ', with this result as its expectation. ',
        h('a', {href: hashOf(name, 'testcases')}, 'See the testcases.')));
      tcName.value = '';
    } catch (e) {
      const p = (e && e.problem) || {};
      tcMsg.appendChild(h('div', {class: 'notice notice-error', role: 'alert', 'data-testid': 'save-testcase-error'},
        h('strong', null, e.status === 409 ? 'The testcase was not saved' : (p.title || 'The testcase was not saved')),
        h('p', null, p.detail || e.message)));
    } finally {
      tcBtn.disabled = false;
    }
  });

  // ----- buttons -----
  // The tab's own action is the form's submit button (Enter in a field runs it).
  const execBtn = h('button', {type: mode === 'try' ? 'submit' : 'button', class: mode === 'try' ? 'btn btn-primary' : 'btn', 'data-testid': 'try-execute'}, 'Execute');
  const explainBtn = h('button', {type: mode === 'explain' ? 'submit' : 'button', class: mode === 'explain' ? 'btn btn-primary' : 'btn', 'data-testid': mode === 'explain' ? 'explain-run' : 'try-explain'}, 'Explain');
  const resetBtn = h('button', {type: 'button', class: 'btn btn-quiet'}, 'Clear the form');
  resetBtn.addEventListener('click', () => {
    setValues(undefined, {});
    exSelect.value = '';
    clear(result);
    announce('Cleared the form');
  });

  const form = h('form', {class: 'try-form', 'data-testid': 'try-form', novalidate: true, 'aria-label': 'Input'},
    formHost, optionsBox,
    h('div', {class: 'actions sticky-actions'}, mode === 'explain' ? [explainBtn, execBtn] : [execBtn, explainBtn], resetBtn));
  form.addEventListener('input', sync);
  form.addEventListener('change', sync);

  const tools = h('div', {class: 'try-tools'},
    h('div', {class: 'field'}, h('label', {for: exId}, 'Load example'),
      h('div', {class: 'help'}, casesError ? 'The testcases could not be read.' : 'Start from a testcase’s input.'), exSelect),
    h('div', {class: 'field'}, h('label', {for: savedId}, 'Saved inputs'),
      h('div', {class: 'help'}, 'Kept in this browser.'),
      h('div', {class: 'inline'}, savedSelect, loadSaved, deleteSaved)));

  const saveBox = h('details', {class: 'save-box'},
    h('summary', null, 'Save this input'),
    h('div', {class: 'save-grid'},
      h('div', {class: 'field'}, h('label', {for: saveAsId}, 'Save as (in this browser)'),
        h('div', {class: 'inline'}, saveAsName, saveAsBtn)),
      h('div', {class: 'field'}, h('label', {for: tcId}, 'Testcase name'),
        h('div', {class: 'help', id: `${tcId}-help`}, casesEditable
          ? 'Saves the input and options as a testcase, with the result of this ruleset as its expectation.'
          : 'Saves the input as a testcase with the current result as its expectation (only for a ruleset served from a folder that may be edited).'),
        h('div', {class: 'inline'}, tcName, tcBtn), tcMsg)));

  const result = h('div', {class: 'result', 'data-testid': 'try-result'});
  const resultStatus = h('div', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  const left = h('section', {class: 'try-input', 'aria-labelledby': 'try-input-title'},
    h('h2', {id: 'try-input-title'}, 'Input'), tools, form, saveBox);
  const right = h('section', {class: 'try-output-col', 'aria-labelledby': 'try-result-title'},
    h('h2', {id: 'try-result-title'}, mode === 'explain' ? 'Explanation' : 'Result'), resultStatus, result);
  if (mode === 'explain') {
    result.appendChild(h('p', {class: 'muted'}, 'Fill in the input (or load an example) and press Explain: every rule the result needed, with its value, what it read and how long it took.'));
  } else {
    result.appendChild(h('p', {class: 'muted'}, 'Fill in the input (or load an example) and press Execute.'));
  }
  panel.appendChild(h('div', {class: 'try-layout'}, left, right));

  // ----- running -----
  let running = 0;
  const run = async (explain) => {
    sync();
    const my = ++running;
    const input = readForm(formDiv) || {};
    const options = readOptions();
    if (explain) options.explain = true;
    showFieldErrors(formDiv, []);
    result.setAttribute('aria-busy', 'true');
    resultStatus.textContent = explain ? 'Explaining…' : 'Executing…';
    clear(result).appendChild(h('p', {class: 'muted'}, explain ? 'Explaining…' : 'Executing…'));
    execBtn.disabled = true;
    explainBtn.disabled = true;
    let res;
    let err;
    try {
      res = await ctx.api('POST', rulesetPath(name, 'execute'), {input, options});
    } catch (e) {
      err = e;
    } finally {
      execBtn.disabled = false;
      explainBtn.disabled = false;
      result.removeAttribute('aria-busy');
    }
    if (my !== running) return;
    state.last = {explain, res, err};
    clear(result);
    if (err) {
      showError(err, input);
      return;
    }
    showResult(res, explain, input);
  };

  const showError = (e, input) => {
    const p = (e && e.problem) || {};
    const box = h('div', {'data-testid': 'try-errors', class: 'errors'});
    if (e instanceof ApiError && e.status === 400 && Array.isArray(p.errors) && p.errors.length) {
      const onField = showFieldErrors(formDiv, p.errors);
      box.appendChild(h('div', {class: 'notice notice-error', role: 'alert'},
        h('strong', null, p.title || 'The input does not fit'),
        h('p', null, p.detail || `${p.errors.length} problem(s) with the input`,
          onField ? '. Each is shown next to its field.' : ''),
        h('ul', {class: 'input-errors'}, p.errors.map((x) => h('li', null,
          x.path ? fieldLink(x.path) : h('span', {class: 'muted'}, '(the input)'), ': ', x.message)))));
      resultStatus.textContent = `The input has ${p.errors.length} problem${p.errors.length === 1 ? '' : 's'}.`;
    } else if (e instanceof ApiError && e.status === 422 && p.error) {
      const ev = p.error;
      const at = parseAt(ev.at);
      box.appendChild(h('div', {class: 'notice notice-error', role: 'alert'},
        h('strong', null, p.title || 'The ruleset could not be evaluated'),
        h('dl', {class: 'kv'},
          ev.rule ? [h('dt', null, 'Rule'), h('dd', null, h('code', null, ev.rule))] : null,
          h('dt', null, 'Message'), h('dd', null, ev.message || p.detail || ''),
          ev.kind && ev.kind !== 'error' ? [h('dt', null, 'Stopped by'), h('dd', null, ev.kind)] : null,
          ev.at ? [h('dt', null, 'At'), h('dd', null, at ? sourceLink(name, at.file, at.line, {column: at.column}) : h('code', null, ev.at))] : null),
        ev.stack && ev.stack.length ? h('details', {class: 'stack'}, h('summary', null, 'Stack'),
          h('ol', null, ev.stack.map((s) => h('li', null, stackLine(s))))) : null));
      resultStatus.textContent = `Evaluation failed${ev.rule ? ` in ${ev.rule}` : ''}: ${ev.message || ''}`;
    } else {
      box.appendChild(h('div', {class: 'notice notice-error', role: 'alert'},
        h('strong', null, p.title || 'The execution failed'),
        p.detail ? h('p', null, p.detail) : null));
      resultStatus.textContent = p.title || 'The execution failed.';
    }
    result.appendChild(box);
  };

  const stackLine = (s) => {
    const m = /^(.*)\((.*?:\d+(?::\d+)?)\)$/.exec(s);
    const at = m && parseAt(m[2]);
    if (!at) return h('code', null, s);
    return h('span', null, h('code', null, m[1].trim()), ' ', sourceLink(name, at.file, at.line, {column: at.column}));
  };

  const fieldLink = (path) => {
    const a = h('a', {href: '#', class: 'loc'}, path);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      const el = formDiv.querySelector('[aria-invalid="true"][data-path="' + CSS.escape(path) + '"]') ||
        [...formDiv.querySelectorAll('[aria-invalid="true"]')].find((x) => path.startsWith(x.getAttribute('data-path')));
      if (el) { el.focus(); el.scrollIntoView({block: 'center'}); }
    });
    return a;
  };

  const showResult = (res, explain, input) => {
    const alerts = res.alerts || [];
    const parts = [`${res.ruleset || name} ${res.version || ''}`.trim(),
      typeof res.durationMs === 'number' ? `${res.durationMs} ms` : null,
      `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`].filter(Boolean);
    resultStatus.textContent = `${explain ? 'Explained' : 'Executed'}: ${parts.join(', ')}.`;
    result.appendChild(h('p', {class: 'muted small result-meta'}, parts.join(' · '),
      res.executionId ? [' · execution ', h('code', null, res.executionId)] : null));
    if (res.halted) {
      result.appendChild(h('div', {class: 'notice notice-warning'}, h('strong', null, 'Halted: '), res.halted.reason || '',
        res.halted.commit === false ? ' (its writes were rolled back)' : ''));
    }
    result.appendChild(alertsView(alerts));
    if (explain) {
      const tree = h('div', {class: 'explain'});
      result.appendChild(tree);
      renderExplain(tree, {name, explain: res.explain || [], src, summary: sum, input});
      result.appendChild(h('details', {class: 'output-details'}, h('summary', null, 'Output'), outputView(res.output)));
    } else {
      result.appendChild(h('h3', null, 'Output'));
      result.appendChild(outputView(res.output));
    }
    if (res.diagnostics && res.diagnostics.length) {
      result.appendChild(h('h3', null, 'Diagnostics'));
      result.appendChild(diagnosticsView(res.diagnostics));
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(mode === 'explain');
  });
  // The other tab's action: switch to that tab, which runs it with this input.
  (mode === 'explain' ? execBtn : explainBtn).addEventListener('click', () => {
    sync();
    state.autorun = mode === 'explain' ? 'execute' : 'explain';
    ctx.navigate(hashOf(name, mode === 'explain' ? 'try' : 'explain'));
  });

  // Coming from the other tab: run what was asked for, or show the last result of this mode.
  if (state.autorun) {
    const what = state.autorun;
    state.autorun = null;
    run(what === 'explain');
  } else if (mode === 'explain' && state.last && !state.last.explain && state.last.res) {
    run(true);
  } else if (state.last && state.last.explain === (mode === 'explain')) {
    clear(result);
    if (state.last.err) showError(state.last.err, state.input);
    else showResult(state.last.res, state.last.explain, state.input);
  }

  return {
    destroy() { try { sync(); } catch { /* gone */ } },
  };
}

function alertsView(alerts) {
  const box = h('div', {class: 'alerts', 'data-testid': 'try-alerts'});
  if (!alerts.length) {
    box.appendChild(h('p', {class: 'muted'}, 'No alerts.'));
    return box;
  }
  box.appendChild(h('h3', null, `Alerts (${alerts.length})`));
  box.appendChild(h('ul', {class: 'alert-list'}, alerts.map((a) => {
    const level = ['error', 'warning', 'info'].includes(a.level) ? a.level : 'info';
    return h('li', {class: `alert alert-${level}`, 'data-level': level},
      h('span', {class: `badge badge-${level}`}, level === 'error' ? 'Error' : level === 'warning' ? 'Warning' : 'Info'),
      h('span', {class: 'alert-text'},
        h('code', {class: 'alert-name'}, a.name),
        a.rule && a.rule !== a.name ? h('span', {class: 'muted small'}, ` raised by ${a.rule}`) : null,
        h('span', {class: 'alert-message'}, a.message || ''),
        a.data !== undefined ? h('details', null, h('summary', null, 'Data'), valueView(a.data)) : null));
  })));
  return box;
}

function outputView(output) {
  const box = h('div', {class: 'output', 'data-testid': 'try-output'});
  if (output === null || output === undefined || (typeof output === 'object' && Object.keys(output).length === 0)) {
    box.appendChild(h('p', {class: 'muted'}, 'The output is empty.'));
    return box;
  }
  if (typeof output !== 'object' || Array.isArray(output)) {
    box.appendChild(valueView(output));
    return box;
  }
  box.appendChild(h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl tbl-kv output-table'},
    h('caption', {class: 'visually-hidden'}, 'Output'),
    h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Output'), h('th', {scope: 'col'}, 'Value'))),
    h('tbody', null, Object.entries(output).map(([k, v]) => h('tr', {'data-output': k},
      h('th', {scope: 'row'}, h('code', null, k)), h('td', null, valueView(v))))))));
  return box;
}

function diagnosticsView(list) {
  return h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl diagnostics', 'data-testid': 'try-diagnostics'},
    h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Time'), h('th', {scope: 'col'}, 'Type'), h('th', {scope: 'col'}, 'Message'))),
    h('tbody', null, list.map((d) => h('tr', {class: `diag-${d.type}`},
      h('td', {class: 'nowrap'}, typeof d.t === 'number' && isFinite(d.t) ? new Date(d.t).toISOString() : scalarText(d.t)),
      h('td', null, d.type),
      h('td', null, (d.arguments || []).map((a, i) => [i ? ' ' : '', typeof a === 'string' ? a : h('code', null, JSON.stringify(a))])))))));
}
