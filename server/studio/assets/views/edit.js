// edit.js: the Edit tab (rulesets served from a folder that may be edited) — the ruleset's files in
// the code editor; Save (the button or Ctrl-S) writes the file (PUT files/{path}, raw text) and the
// server reloads the ruleset: its problems are listed (and marked in the editor) or "Loaded version
// X". The problems are polled, so one that goes away (fixed in another file, or outside the
// studio) disappears.

import {h, clear, inlineMarkdown, loadEditor, languageOf, gotoEditorLine, problemWhere, announce, toast, confirmDialog, newId} from '../ui.js';
import {rulesetPath, filePath, ApiError} from '../api.js';
import {source, completions, studioRuleset, errorBox, forget, hashOf} from './common.js';

// Unsaved text per ruleset and file, kept while the page lives (switching tabs keeps it).
const drafts = new Map();
let unloadHooked = false;

function draftsOf(name) {
  if (!drafts.has(name)) drafts.set(name, new Map());
  return drafts.get(name);
}

function anyDirty() {
  for (const m of drafts.values()) for (const d of m.values()) if (d.text !== d.saved) return true;
  return false;
}

const POLL_MS = 4000;

export async function render(panel, ctx) {
  const name = ctx.params.name;
  if (!unloadHooked) {
    unloadHooked = true;
    window.addEventListener('beforeunload', (e) => {
      if (anyDirty()) { e.preventDefault(); e.returnValue = ''; }
    });
  }
  forget(name);
  let src;
  try {
    src = await source(name);
  } catch (e) {
    panel.appendChild(errorBox(e));
    return null;
  }
  if (src.editable === false) {
    panel.appendChild(h('div', {class: 'notice notice-info'}, 'This ruleset cannot be edited here: it is not served from a folder, or the server was not started to allow editing.'));
    return null;
  }
  let comps = [];
  completions(name).then((c) => {
    comps = (c && c.completions) || [];
    if (editor && editor.setCompletions) editor.setCompletions(comps);
  }).catch(() => { comps = []; });

  const dr = draftsOf(name);
  const skipped = [];
  for (const f of src.files || []) {
    if (f.binary || f.tooLarge) { skipped.push(f.path); continue; }
    const d = dr.get(f.path);
    if (!d) dr.set(f.path, {saved: f.content || '', text: f.content || '', language: f.language || languageOf(f.path)});
    else if (d.text === d.saved) { d.saved = f.content || ''; d.text = d.saved; } else d.saved = f.content || '';
  }
  let problems = src.problems || (ctx.ruleset && ctx.ruleset.problems) || [];
  let status = ctx.ruleset && ctx.ruleset.status;

  const fileList = h('ul', {class: 'file-list'});
  const side = h('nav', {class: 'source-side', 'aria-label': 'Files to edit'}, h('h2', {class: 'side-title'}, 'Files'), fileList);
  const newId1 = newId('newfile');
  const newPath = h('input', {id: newId1, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'rules/new-rule.js', 'data-testid': 'edit-new-path'});
  const newBtn = h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'edit-new'}, 'New file');
  if (skipped.length) side.appendChild(h('p', {class: 'muted small'}, `Not editable here (not text, or over 1 MiB): ${skipped.join(', ')}.`));
  side.appendChild(h('div', {class: 'field new-file'}, h('label', {for: newId1}, 'New file path'), h('div', {class: 'inline'}, newPath, newBtn)));

  const title = h('h2', {id: 'edit-file-title'}, '');
  const dirtyMark = h('span', {class: 'dirty-mark', hidden: true}, 'unsaved changes');
  const saveBtn = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'edit-save', 'aria-keyshortcuts': 'Control+S'}, 'Save');
  const revertBtn = h('button', {type: 'button', class: 'btn btn-quiet'}, 'Revert');
  const saveStatus = h('div', {class: 'save-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'edit-status'});
  const editorBox = h('div', {class: 'editor-box'});
  const problemsBox = h('div', {class: 'edit-problems', 'data-testid': 'edit-problems'});
  const main = h('div', {class: 'source-main'},
    h('div', {class: 'code-head'}, title, dirtyMark, h('div', {class: 'btn-row'}, revertBtn, saveBtn)),
    h('p', {class: 'muted small'}, 'Ctrl-S (⌘S) saves. Saving reloads the ruleset; its problems show below.'),
    saveStatus, editorBox,
    h('section', {class: 'problems-section', 'aria-labelledby': 'edit-problems-title'},
      h('h3', {id: 'edit-problems-title'}, 'Problems'), problemsBox));
  panel.appendChild(h('div', {class: 'split'}, side, main));

  let currentPath = null;
  let editor = null; // {getText, setText, setProblems, focus, destroy, view?}
  let destroyed = false;

  const drawFiles = () => {
    clear(fileList);
    const paths = [...dr.keys()].sort(sortPaths);
    for (const p of paths) {
      const d = dr.get(p);
      const dirty = d.text !== d.saved;
      const count = problems.filter((x) => x.file === p).length;
      const btn = h('button', {type: 'button', class: 'file-link', 'data-testid': `edit-file-${p}`,
        'aria-current': p === currentPath ? 'true' : null},
        h('span', {class: 'file-name'}, p),
        dirty ? h('span', {class: 'dirty-dot', title: 'unsaved changes'}, ' •', h('span', {class: 'visually-hidden'}, ' (unsaved changes)')) : null,
        count ? h('span', {class: 'badge badge-error badge-small'}, String(count), h('span', {class: 'visually-hidden'}, count === 1 ? ' problem' : ' problems')) : null);
      btn.addEventListener('click', () => open(p));
      fileList.appendChild(h('li', null, btn));
    }
  };

  const markDirty = () => {
    const d = dr.get(currentPath);
    const dirty = d && d.text !== d.saved;
    dirtyMark.hidden = !dirty;
    drawFiles();
  };

  const fileProblems = (p) => problems.filter((x) => x.file === p && x.line).map((x) => ({
    line: x.line, column: x.column, message: x.message + (x.hint ? ` (${x.hint})` : ''), severity: 'error',
  }));

  const drawProblems = () => {
    clear(problemsBox);
    if (status === 'loaded' && problems.length === 0) {
      problemsBox.appendChild(h('p', {class: 'muted'}, 'No problems: the ruleset loads.'));
    } else if (problems.length === 0) {
      problemsBox.appendChild(h('p', {class: 'muted'}, 'No problems.'));
    } else {
      problemsBox.appendChild(h('ul', {class: 'problems'}, problems.map((p) => {
        const where = problemWhere(p);
        const loc = p.file ? h('a', {href: hashOf(name, 'edit', {file: p.file, line: p.line}), class: 'loc'}, where) : null;
        if (loc) {
          loc.addEventListener('click', (e) => { e.preventDefault(); open(p.file, p.line); });
        }
        return h('li', null, loc, loc ? ' ' : null, inlineMarkdown(p.message || ''), p.field ? h('span', {class: 'muted'}, ` (${p.field})`) : null,
          p.hint ? h('div', {class: 'hint'}, inlineMarkdown(p.hint)) : null);
      })));
    }
    if (editor && editor.setProblems) {
      try { editor.setProblems(fileProblems(currentPath)); } catch (e) { console.warn(e); }
    }
    drawFiles();
  };

  const open = async (path, line) => {
    if (!dr.has(path)) return;
    if (path === currentPath) {
      if (line) gotoLine(line);
      return;
    }
    if (editor) {
      const d = dr.get(currentPath);
      if (d) d.text = editor.getText();
      editor.destroy();
      editor = null;
    }
    currentPath = path;
    const d = dr.get(path);
    title.textContent = path;
    clear(editorBox);
    drawFiles();
    dirtyMark.hidden = d.text === d.saved;
    const mod = await loadEditor();
    if (destroyed || currentPath !== path) return;
    const opts = {
      doc: d.text, language: d.language || languageOf(path), completions: comps, label: `Edit ${path}`,
      onChange: (text) => { d.text = text; markDirty(); },
      onSave: () => { save(); return true; },
    };
    if (mod && typeof mod.createEditor === 'function') {
      try {
        editor = mod.createEditor(editorBox, opts);
      } catch (e) {
        console.warn('studio: the editor failed, using a text area', e);
        editor = textEditor(editorBox, opts);
      }
    } else {
      editor = textEditor(editorBox, opts);
    }
    try { editor.setProblems(fileProblems(path)); } catch { /* no marks */ }
    if (line) setTimeout(() => gotoLine(line), 0);
  };

  const gotoLine = (line) => {
    if (!editor) return;
    if (editor.view) gotoEditorLine(editor, line, editorBox);
    else if (editor.gotoLine) editor.gotoLine(line);
    if (editor.focus) editor.focus();
  };

  let saving = false;
  const save = async () => {
    if (!editor || saving) return;
    const path = currentPath;
    const d = dr.get(path);
    const text = editor.getText();
    d.text = text;
    saving = true;
    saveBtn.disabled = true;
    saveStatus.className = 'save-status';
    saveStatus.textContent = `Saving ${path}…`;
    try {
      const res = await ctx.api('PUT', rulesetPath(name, 'files', filePath(path)), text, {headers: {'Content-Type': 'text/plain; charset=utf-8'}});
      d.saved = text;
      markDirty();
      forget(name);
      problems = (res && res.problems) || [];
      status = res && res.status;
      if (status === 'loaded') {
        problems = [];
        saveStatus.className = 'save-status ok';
        saveStatus.textContent = `Saved ${path}. Loaded version ${res.version || ''}.`.replace(' .', '.');
      } else {
        saveStatus.className = 'save-status failed';
        saveStatus.textContent = `Saved ${path}, but the ruleset does not load: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`;
      }
      drawProblems();
      if (ctx.refresh) ctx.refresh().catch(() => {});
    } catch (e) {
      const p = (e instanceof ApiError && e.problem) || {};
      saveStatus.className = 'save-status failed';
      saveStatus.textContent = `Not saved: ${p.detail || p.title || e.message}`;
    } finally {
      saving = false;
      saveBtn.disabled = false;
    }
  };

  saveBtn.addEventListener('click', save);
  revertBtn.addEventListener('click', async () => {
    const d = dr.get(currentPath);
    if (!d || d.text === d.saved) { announce('No unsaved changes'); return; }
    if (!await confirmDialog(`Throw away the unsaved changes to ${currentPath}?`, {title: 'Revert', confirm: 'Revert', danger: true})) return;
    d.text = d.saved;
    if (editor) editor.setText(d.saved);
    markDirty();
    announce(`Reverted ${currentPath}`);
  });
  panel.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 's' || e.key === 'S')) {
      e.preventDefault();
      save();
    }
  });
  newBtn.addEventListener('click', () => {
    const p = newPath.value.trim().replace(/^\/+/, '');
    if (!/^(rules|tables|tests)\/[^/]+\.(js|ya?ml|csv|json)$/.test(p) || p.includes('..')) {
      toast('A new file goes in rules/, tables/ or tests/ and ends in .js, .yaml, .yml, .csv or .json, e.g. rules/new-rule.js', 'error');
      newPath.focus();
      return;
    }
    if (!dr.has(p)) dr.set(p, {saved: null, text: '', language: languageOf(p)});
    newPath.value = '';
    open(p).then(() => editor && editor.focus && editor.focus());
    announce(`New file ${p}; it is written when you save it`);
  });
  newPath.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); newBtn.click(); } });

  // reloadFiles reads the files again (they changed outside this tab): files without unsaved
  // changes take the new text; new files are listed.
  const reloadFiles = async () => {
    forget(name);
    let fresh;
    try { fresh = await source(name); } catch { return; }
    if (destroyed) return;
    for (const f of fresh.files || []) {
      if (f.binary || f.tooLarge) continue;
      const d = dr.get(f.path);
      const content = f.content || '';
      if (!d) {
        dr.set(f.path, {saved: content, text: content, language: f.language || languageOf(f.path)});
      } else if (d.text === d.saved && d.saved !== content) {
        if (f.path === currentPath && editor) {
          const now = editor.getText();
          if (now !== d.text) continue; // typed since the last change event
          editor.setText(content);
        }
        d.saved = content;
        d.text = content;
      } else {
        d.saved = content;
      }
    }
    markDirty();
  };

  // Poll the ruleset's status, so problems that go away disappear (and new ones show).
  let timer = null;
  const poll = async () => {
    if (destroyed) return;
    if (!document.hidden && !saving) {
      try {
        const entry = await studioRuleset(name, {fresh: true});
        if (destroyed) return;
        if (entry) {
          const next = entry.status === 'loaded' ? [] : (entry.problems || []);
          if (JSON.stringify(next) !== JSON.stringify(problems) || entry.status !== status) {
            problems = next;
            status = entry.status;
            await reloadFiles();
            drawProblems();
            if (ctx.refresh) ctx.refresh().catch(() => {});
          }
        }
      } catch { /* try again later */ }
    }
    timer = setTimeout(poll, POLL_MS);
  };
  timer = setTimeout(poll, POLL_MS);

  const q = ctx.params.query;
  const want = q && q.get('file');
  const first = want && dr.has(want) ? want : (dr.has('ruleset.yaml') ? 'ruleset.yaml' : [...dr.keys()].sort(sortPaths)[0]);
  drawProblems();
  if (first) await open(first, q && Number(q.get('line')) || undefined);
  else editorBox.appendChild(h('p', null, 'No files.'));

  return {
    update(c) {
      const qq = c.params.query;
      const f = qq && qq.get('file');
      if (f && dr.has(f)) open(f, Number(qq.get('line')) || undefined);
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      if (editor) {
        const d = dr.get(currentPath);
        if (d) d.text = editor.getText();
        editor.destroy();
      }
    },
  };
}

function sortPaths(a, b) {
  const rank = (p) => (p === 'ruleset.yaml' ? 0 : p.startsWith('rules/') ? 1 : p.startsWith('tables/') ? 2 : p.startsWith('tests/') ? 3 : 4);
  return rank(a) - rank(b) || a.localeCompare(b);
}

// textEditor is the fallback when the code editor bundle is not there: a labelled <textarea>.
function textEditor(parent, {doc, label, onChange, onSave}) {
  const id = newId('ta');
  const ta = h('textarea', {id, class: 'code-textarea', spellcheck: 'false', autocomplete: 'off', 'aria-label': label, rows: '24', wrap: 'off'});
  ta.value = doc;
  ta.addEventListener('input', () => onChange && onChange(ta.value));
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey && ta.dataset.tabs === 'on') {
      e.preventDefault();
      ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end');
      onChange && onChange(ta.value);
    }
    if ((e.ctrlKey || e.metaKey) && (e.key === 's' || e.key === 'S')) {
      e.preventDefault();
      e.stopPropagation();
      onSave && onSave(ta.value);
    }
  });
  const marks = h('ul', {class: 'problems editor-marks', hidden: true});
  parent.appendChild(ta);
  parent.appendChild(marks);
  return {
    getText: () => ta.value,
    setText: (s) => { ta.value = s; },
    setProblems: () => {},
    setCompletions: () => {},
    focus: () => ta.focus(),
    gotoLine: (n) => {
      const lines = ta.value.split('\n');
      let pos = 0;
      for (let i = 0; i < Math.min(n - 1, lines.length); i++) pos += lines[i].length + 1;
      ta.focus();
      ta.setSelectionRange(pos, pos + (lines[n - 1] || '').length);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (n - 5) * lh);
    },
    destroy: () => { ta.remove(); marks.remove(); },
  };
}
