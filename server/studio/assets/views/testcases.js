// testcases.js: the Testcases tab — the ruleset's testcases; run all or one; pass or fail with the
// differences; accept a failing case's actual result as its new expectation.

import {h, clear, valueView, toast, confirmDialog} from '../ui.js';
import {rulesetPath} from '../api.js';
import {testcases, errorBox, forget, tryState, hashOf} from './common.js';

export async function render(panel, ctx) {
  const name = ctx.params.name;
  let list;
  let editable = false;
  try {
    const t = await testcases(name, {fresh: true});
    list = t.testcases || [];
    editable = !!t.editable;
  } catch (e) {
    panel.appendChild(errorBox(e));
    return null;
  }
  const results = new Map(); // name → result
  const summaryBox = h('div', {class: 'tc-summary', role: 'status', 'aria-live': 'polite'});
  const runAll = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'testcase-run-all'}, 'Run all');
  const listBox = h('div', {class: 'tc-list'});
  const heading = h('h2', null, `Testcases (${list.length})`);
  panel.appendChild(h('div', {class: 'toolbar'},
    heading,
    h('div', {class: 'btn-row'}, runAll)));
  panel.appendChild(summaryBox);
  panel.appendChild(listBox);
  if (!editable) {
    panel.appendChild(h('p', {class: 'muted small'}, 'Accepting a result as the baseline needs a ruleset served from a folder that may be edited.'));
  }

  const draw = () => {
    clear(listBox);
    if (list.length === 0) {
      listBox.appendChild(h('p', null, 'This ruleset has no testcases. Save one from the ',
        h('a', {href: hashOf(name, 'try')}, 'Try it'), ' tab.'));
      return;
    }
    const byFile = new Map();
    for (const c of list) {
      const f = c.file || '';
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f).push(c);
    }
    for (const [file, cases] of byFile) {
      if (file) listBox.appendChild(h('h3', {class: 'tc-file'}, file));
      listBox.appendChild(h('ul', {class: 'tc-items'}, cases.map((c) => item(c))));
    }
  };

  const item = (c) => {
    const r = results.get(c.name);
    const status = !r ? h('span', {class: 'badge badge-neutral'}, 'Not run')
      : r.passed ? h('span', {class: 'badge badge-ok'}, 'Passed') : h('span', {class: 'badge badge-error'}, 'Failed');
    const runOne = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': `testcase-run-${c.name}`, 'aria-label': `Run ${c.name}`}, 'Run');
    runOne.addEventListener('click', () => run(c.name, runOne));
    const tryIt = h('button', {type: 'button', class: 'btn btn-small btn-quiet', 'aria-label': `Open ${c.name} in Try it`}, 'Try it');
    tryIt.addEventListener('click', () => {
      const s = tryState(name);
      s.input = c.input === undefined ? {} : c.input;
      const o = c.options || {};
      s.options = {culture: o.culture || (ctx.summary && ctx.summary.culture) || '', logLevel: s.options.logLevel || 'info', now: o.now};
      s.last = null;
      ctx.navigate(hashOf(name, 'try'));
    });
    const li = h('li', {class: `tc ${r ? (r.passed ? 'tc-pass' : 'tc-fail') : ''}`, 'data-testid': `testcase-result-${c.name}`, 'data-status': r ? (r.passed ? 'passed' : 'failed') : 'not-run'},
      h('div', {class: 'tc-row'},
        status,
        h('span', {class: 'tc-name'}, c.name),
        c.kind === 'workflow' ? h('span', {class: 'tag'}, 'workflow') : null,
        r && typeof r.ms === 'number' ? h('span', {class: 'muted small'}, `${r.ms} ms`) : null,
        h('span', {class: 'tc-actions'}, runOne, tryIt)));
    if (r && !r.passed) {
      const detail = h('div', {class: 'tc-detail'});
      if (r.mismatches && r.mismatches.length) {
        detail.appendChild(h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl diff-table'},
          h('caption', null, 'Differences'),
          h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Path'), h('th', {scope: 'col'}, 'Expected'), h('th', {scope: 'col'}, 'Actual'), h('th', {scope: 'col'}, 'What'))),
          h('tbody', null, r.mismatches.map((m) => h('tr', null,
            h('th', {scope: 'row'}, h('code', null, m.path || '(result)')),
            'message' in m && !('expected' in m)
              ? h('td', {colspan: '2'}, m.message)
              : [h('td', {class: 'diff-exp'}, cell(m.expected)), h('td', {class: 'diff-act'}, cell(m.actual))],
            h('td', null, m.text || '')))))));
      }
      if (r.text) detail.appendChild(h('pre', {class: 'tc-text'}, r.text));
      if (editable) {
        const accept = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': `accept-${c.name}`}, 'Accept as baseline');
        accept.addEventListener('click', () => acceptCase(c.name, accept));
        detail.appendChild(h('div', {class: 'btn-row'}, accept,
          h('span', {class: 'muted small'}, 'Writes the actual result into the testcase’s expectation.')));
      }
      li.appendChild(detail);
    }
    return li;
  };

  const cell = (v) => (v === undefined ? h('span', {class: 'muted'}, '(missing)') : valueView(v));

  const showSummary = (res, one) => {
    clear(summaryBox);
    const passed = res.passed || 0;
    const failed = res.failed || 0;
    const text = one ? `${one}: ${failed ? 'failed' : 'passed'}.` : `${passed} passed, ${failed} failed.`;
    summaryBox.appendChild(h('div', {class: `notice ${failed ? 'notice-error' : 'notice-ok'}`, 'data-testid': 'testcase-summary'},
      h('strong', null, text)));
  };

  const run = async (one, btn) => {
    const buttons = [runAll, ...listBox.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    clear(summaryBox).appendChild(h('p', {class: 'muted'}, one ? `Running ${one}…` : `Running ${list.length} testcases…`));
    try {
      const res = await ctx.api('POST', rulesetPath(name, 'testcases', 'run'), one ? {name: one} : {});
      for (const r of res.results || []) results.set(r.name, r);
      // A run that knows testcases the list does not (a file changed meanwhile) lists them again.
      if ((res.results || []).some((r) => !list.some((c) => c.name === r.name))) {
        try {
          const t = await testcases(name, {fresh: true});
          list = t.testcases || [];
          heading.textContent = `Testcases (${list.length})`;
        } catch { /* keep the old list */ }
      }
      draw();
      showSummary(res, one);
    } catch (e) {
      clear(summaryBox).appendChild(errorBox(e));
    } finally {
      for (const b of [runAll, ...listBox.querySelectorAll('button')]) b.disabled = false;
      refocus(btn, one);
    }
  };

  const refocus = (btn, one) => {
    if (!one) { runAll.focus(); return; }
    const el = listBox.querySelector(`[data-testid="${CSS.escape(`testcase-run-${one}`)}"]`);
    if (el) el.focus();
  };

  const acceptCase = async (caseName, btn) => {
    if (!await confirmDialog(`Make the actual result of “${caseName}” its expected result? This rewrites the testcase file.`, {title: 'Accept as baseline', confirm: 'Accept'})) return;
    btn.disabled = true;
    try {
      const res = await ctx.api('POST', rulesetPath(name, 'testcases', 'accept'), {name: caseName});
      const r = res && res.results ? res.results.find((x) => x.name === caseName) : res && res.name ? res : null;
      if (r) results.set(caseName, r);
      else results.set(caseName, {name: caseName, passed: true});
      forget(name);
      try { const t = await testcases(name); list = t.testcases || list; } catch { /* keep */ }
      draw();
      toast(`Accepted the result of ${caseName} as its baseline`, 'success');
      const el = listBox.querySelector(`[data-testid="${CSS.escape(`testcase-run-${caseName}`)}"]`);
      if (el) el.focus();
    } catch (e) {
      btn.disabled = false;
      const p = e.problem || {};
      toast(`Not accepted: ${p.detail || p.title || e.message}`, 'error');
    }
  };

  runAll.addEventListener('click', () => run(null, runAll));
  draw();
  return null;
}
