// Kubus studio code editor: CodeMirror 6, bundled by ../build.mjs into
// server/studio/assets/vendor/editor.js (one minified ES module, no imports).
//
// API — the studio codes against exactly this:
//
//   import {createEditor, highlight} from "./vendor/editor.js";
//
//   createEditor(parent, {
//     doc = "",            // initial text
//     language = "text",   // 'javascript' | 'yaml' | 'json' | 'csv' | 'text'
//     readOnly = false,
//     completions = [],    // [{label, type, detail, info}], see below
//     onChange,            // (text) => void, after every user edit
//     onSave,              // (text) => void, on Ctrl-S / Cmd-S
//     label,               // accessible name: aria-label of the editable content
//   }) -> Editor
//
//   highlight(parent, {doc, language, label}) -> Editor
//     A read-only view with line numbers, for showing source. It can be
//     focused, navigated and searched (Ctrl-F), and Tab moves focus on.
//
//   Editor = {
//     view,                // the CodeMirror EditorView
//     getText(),           // -> string
//     setText(s),          // replace the whole text; clears undo history and
//                          //   problems; does not call onChange
//     setProblems([{line, column?, message, severity: 'error'|'warning'}]),
//                          // lint diagnostics: gutter marker, wavy underline
//                          //   from column (1-based; default: the line's first
//                          //   non-blank) to the end of the line, message on
//                          //   hover and in the lint panel (Ctrl-Shift-M);
//                          //   line is 1-based, clamped to the document;
//                          //   [] clears; marks follow later edits
//     setCompletions(list),// replace the completion list
//     focus(),
//     destroy(),
//   }
//
// Completions. A list item's label is either an identifier ("amount",
// "discount_rule") or "Module.member" ("Math.round", "Documents.save").
// In JavaScript, typing an identifier offers the list's plain identifiers,
// the module names that dotted labels imply, the document's own words,
// locally declared names and JS keywords; after "Module." it offers that
// module's members (shown without the "Module." prefix); after "x." for an
// x that has no members in the list, the document's words once a letter is
// typed. Nothing is offered inside strings and comments (but inside ${...}
// of a template string, yes). In YAML and JSON the list's plain labels and
// the document's words are offered; in CSV and text, the list's labels only.
// type is a CodeMirror completion type ('variable', 'function', 'method',
// 'property', 'namespace', 'keyword', 'constant', 'class', 'type', 'text')
// or one of 'input', 'rule', 'module'; it picks the icon. detail is shown
// after the label, info (a string) beside the list. Ctrl-Space opens the
// list on demand.
//
// Keyboard. Line numbers, bracket matching and auto-closing, undo/redo
// (Ctrl-Z / Ctrl-Shift-Z / Ctrl-Y), search and replace (Ctrl-F), go to line
// (Ctrl-Alt-G), select next occurrence (Ctrl-D), toggle comment (Ctrl-/). Tab and Shift-Tab indent
// and dedent, so Tab does not move focus out of an editable editor; to leave
// it with the keyboard, press Escape and then Tab (or Shift-Tab) within two
// seconds. Ctrl-M (Shift-Alt-M on macOS) toggles "Tab moves focus" for the
// session. Read-only editors never capture Tab.
//
// Size. Give the parent a height and the editor fills it (height: 100%),
// scrolling inside; in a parent with no set height it is 20 lines tall and
// scrolls inside. highlight() views fill a parent with a height, else they
// are as tall as their text. The root element has the class "kubus-editor" (and
// "kubus-highlight" for highlight views) for page CSS; CodeMirror's own
// rules sit in an adopted style sheet, which comes after the page's style
// sheets, so page rules need a more specific selector to override them
// (e.g. ".kubus-editor.cm-editor").
//
// CSP. No eval, no inline <style> elements, no style attributes: all the
// CSS lives in a constructed style sheet in document.adoptedStyleSheets
// (build.mjs patches style-mod to do this for documents as well as shadow
// roots), which style-src 'self' allows. Browsers without adoptedStyleSheets
// (before Chromium 73, Firefox 101, Safari 16.4) fall back to a <style>
// element that such a policy blocks.

import {EditorState, Compartment, StateEffect, StateField, Annotation} from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLineGutter, highlightSpecialChars,
  drawSelection, dropCursor, highlightActiveLine, rectangularSelection, crosshairCursor,
} from "@codemirror/view";
import {
  syntaxHighlighting, HighlightStyle, indentOnInput, bracketMatching, syntaxTree, StreamLanguage,
} from "@codemirror/language";
import {defaultKeymap, history, historyKeymap, indentWithTab} from "@codemirror/commands";
import {
  autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap, completeAnyWord,
} from "@codemirror/autocomplete";
import {lintGutter, lintKeymap, setDiagnostics} from "@codemirror/lint";
import {searchKeymap, highlightSelectionMatches} from "@codemirror/search";
import {javascript} from "@codemirror/lang-javascript";
import {yaml} from "@codemirror/lang-yaml";
import {json} from "@codemirror/lang-json";
import {tags as t} from "@lezer/highlight";

// ---- colours: every text colour reaches at least 4.5:1 on the background
// (#ffffff), on the active line (#f1f5f9) and on the matching-bracket and
// search-match backgrounds; see README.md for the ratios.
const C = {
  text: "#1f2328",
  muted: "#59636e",     // comments, line numbers, separators
  keyword: "#a40e26",
  string: "#0a3069",
  property: "#0550ae",
  literal: "#953800",   // numbers, booleans, null, types
  definition: "#6639ba",
  regexp: "#116329",
  invalid: "#82071e",
  background: "#ffffff",
  gutter: "#f6f8fa",
  activeLine: "#f1f5f9",
  activeGutter: "#e6ecf2",
  selection: "#d0e3f8",
  border: "#8c959f",
  focus: "#0b5cad",
};

const highlightStyle = HighlightStyle.define([
  {tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword, t.modifier, t.self],
    color: C.keyword},
  {tag: [t.string, t.special(t.string), t.docString, t.character, t.attributeValue], color: C.string},
  {tag: [t.regexp, t.escape, t.special(t.regexp)], color: C.regexp},
  {tag: [t.number, t.integer, t.float, t.bool, t.null, t.atom, t.unit], color: C.literal},
  {tag: [t.typeName, t.className, t.namespace, t.tagName], color: C.literal},
  {tag: [t.propertyName, t.attributeName], color: C.property},
  {tag: [t.definition(t.propertyName)], color: C.property, fontWeight: "600"},
  {tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.variableName),
    t.labelName, t.macroName], color: C.definition},
  {tag: t.standard(t.variableName), color: C.property},
  {tag: [t.lineComment, t.blockComment, t.comment, t.docComment], color: C.muted, fontStyle: "italic"},
  {tag: [t.meta, t.processingInstruction, t.separator], color: C.muted},
  {tag: t.heading, fontWeight: "700", color: C.text},
  {tag: t.strong, fontWeight: "700"},
  {tag: t.emphasis, fontStyle: "italic"},
  {tag: t.link, color: C.property, textDecoration: "underline"},
  {tag: t.invalid, color: C.invalid, textDecoration: "underline wavy"},
]);

const theme = EditorView.theme({
  "&": {
    color: C.text,
    backgroundColor: C.background,
    fontSize: "0.875rem",
    height: "100%",
    border: `1px solid ${C.border}`,
    borderRadius: "4px",
  },
  "&.cm-focused": {outline: `2px solid ${C.focus}`, outlineOffset: "1px"},
  ".cm-scroller": {
    fontFamily: 'ui-monospace, "SFMono-Regular", "Cascadia Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    lineHeight: "1.4",
    minHeight: "0",
  },
  ".cm-content": {caretColor: C.text},
  ".cm-cursor, .cm-dropCursor": {borderLeftColor: C.text, borderLeftWidth: "2px"},
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    {backgroundColor: C.selection},
  ".cm-activeLine": {backgroundColor: C.activeLine},
  ".cm-gutters": {backgroundColor: C.gutter, color: C.muted, borderRight: "1px solid #d0d7de"},
  ".cm-activeLineGutter": {backgroundColor: C.activeGutter, color: C.text},
  ".cm-lineNumbers .cm-gutterElement": {padding: "0 6px 0 8px", minWidth: "2.5em"},
  "&.cm-focused .cm-matchingBracket": {backgroundColor: "#dcefdc", outline: "1px solid #2f7d32"},
  "&.cm-focused .cm-nonmatchingBracket": {backgroundColor: "#ffe3e3", outline: "1px solid #a40e26"},
  ".cm-selectionMatch": {backgroundColor: "#e2ecf7"},
  ".cm-searchMatch": {backgroundColor: "#fff1a8", outline: "1px solid #9a6700"},
  ".cm-searchMatch.cm-searchMatch-selected": {backgroundColor: "#ffdf91"},
  ".cm-panels": {backgroundColor: C.gutter, color: C.text},
  ".cm-panels.cm-panels-top": {borderBottom: `1px solid ${C.border}`},
  ".cm-panels.cm-panels-bottom": {borderTop: `1px solid ${C.border}`},
  ".cm-panel.cm-search label": {fontSize: "90%"},
  ".cm-textfield": {border: `1px solid ${C.border}`, backgroundColor: C.background, color: C.text},
  ".cm-button": {backgroundImage: "none", backgroundColor: "#eaeef2", border: `1px solid ${C.border}`, color: C.text},
  ".cm-tooltip": {backgroundColor: C.background, color: C.text, border: `1px solid ${C.border}`},
  ".cm-tooltip-autocomplete ul li[aria-selected]": {background: C.focus, color: "#ffffff"},
  ".cm-tooltip-autocomplete-disabled ul li[aria-selected]": {background: "#57606a", color: "#ffffff"},
  ".cm-completionDetail": {color: "inherit"},
  ".cm-completionInfo": {backgroundColor: C.background, color: C.text},
  ".cm-completionIcon-input:after": {content: "'𝑥'"},
  ".cm-completionIcon-rule:after": {content: "'▸'"},
  ".cm-completionIcon-module:after": {content: "'▢'"},
  ".cm-diagnosticText": {color: C.text},
  // Wavy underlines as text decoration rather than CodeMirror's SVG
  // background images, so that contrast checkers can see the background.
  ".cm-lintRange-error": {backgroundColor: "#ffebe9", backgroundImage: "none",
    textDecoration: "underline wavy #cf222e", textDecorationSkipInk: "none", textUnderlineOffset: "3px"},
  ".cm-lintRange-warning": {backgroundColor: "#fff8c5", backgroundImage: "none",
    textDecoration: "underline wavy #9a6700", textDecorationSkipInk: "none", textUnderlineOffset: "3px"},
  ".cm-lintRange-info": {backgroundImage: "none",
    textDecoration: "underline wavy #0b5cad", textDecorationSkipInk: "none", textUnderlineOffset: "3px"},
}, {dark: false});

// The editable editor: in a parent with a height, it fills it (the root's
// height: 100%, the scroller shrinking or growing to fit); in a parent without
// one, the scroller's flex basis makes it 20 lines tall (1.4em each, plus the
// content's 4px + 4px padding) and longer text scrolls inside.
const twentyLines = EditorView.theme({".cm-scroller": {flex: "1 1 calc(28em + 8px)"}});
// highlight() views: as tall as their text, or their parent.
const fitText = EditorView.theme({".cm-scroller": {flex: "1 1 auto"}});

// ---- languages

// CSV: quoted fields (which may span lines), numbers and separators; the
// first line is the header.
function csvToken(stream, state) {
  if (stream.sol() && !state.inQuote) state.line++;
  if (state.inQuote) {
    while (!stream.eol()) {
      if (stream.next() === '"') {
        if (stream.peek() === '"') { stream.next(); continue; }
        state.inQuote = false;
        break;
      }
    }
    return "string";
  }
  const ch = stream.peek();
  if (ch === "," || ch === ";" || ch === "\t") { stream.next(); return "separator"; }
  if (ch === '"') { stream.next(); state.inQuote = true; return csvToken(stream, state); }
  stream.eatWhile(/[^,;\t"]/);
  if (state.line === 0) return "heading";
  return /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(stream.current()) ? "number" : null;
}

const csvLanguage = StreamLanguage.define({
  name: "csv",
  startState: () => ({line: -1, inQuote: false}),
  copyState: (s) => ({line: s.line, inQuote: s.inQuote}),
  blankLine: (s) => { if (!s.inQuote) s.line++; },
  token: csvToken,
  tokenTable: {separator: t.separator, heading: t.heading},
});

function languageExtension(language) {
  switch (language) {
    case "javascript": case "js": return javascript();
    case "yaml": case "yml": return yaml();
    case "json": return json();
    case "csv": return csvLanguage;
    default: return [];
  }
}

// ---- completions

const setCompletionsEffect = StateEffect.define();
const completionList = StateField.define({
  create: () => [],
  update(list, tr) {
    for (const e of tr.effects) if (e.is(setCompletionsEffect)) list = e.value;
    return list;
  },
});

function normalizeCompletions(list) {
  const out = [];
  for (const c of Array.isArray(list) ? list : []) {
    if (!c || typeof c.label !== "string" || !c.label) continue;
    const o = {label: c.label};
    if (c.type) o.type = String(c.type);
    if (c.detail) o.detail = String(c.detail);
    if (c.info) o.info = String(c.info);
    out.push(o);
  }
  return out;
}

const identifierRE = /^[\w$]*$/;
const noCompleteJS = /^(String|TemplateString|LineComment|BlockComment|RegExp|PropertyDefinition|VariableDefinition|Label)$/;
const noCompleteYAML = /^(Comment|QuotedLiteral|BlockLiteralContent)$/;

// Completions from the list. `language` is fixed per editor.
function listSource(language) {
  const js = language === "javascript" || language === "js";
  const yamlish = language === "yaml" || language === "yml";
  const words = js || yamlish || language === "json";
  const skip = js ? noCompleteJS : yamlish ? noCompleteYAML : null;

  // The document's own words from `from` on, less those in `seen`. They carry
  // no type, so that CodeMirror merges them with a same-named option of the
  // JavaScript local-scope source.
  const docWords = (context, seen, options) => {
    const any = completeAnyWord(context);
    if (any) for (const o of any.options) {
      if (!seen.has(o.label) && /^[A-Za-z_$]/.test(o.label)) { seen.add(o.label); options.push({label: o.label}); }
    }
  };

  return (context) => {
    const list = context.state.field(completionList, false) || [];
    if (skip) {
      for (let n = syntaxTree(context.state).resolveInner(context.pos, -1); n; n = n.parent) {
        if (n.name === "Interpolation") break; // ${...} inside a template string is code
        if (skip.test(n.name)) return null;
      }
    }
    if (js) {
      const member = context.matchBefore(/(?:[A-Za-z_$][\w$]*\.)+[\w$]*$/);
      if (member) {
        const dot = member.text.lastIndexOf(".");
        const object = member.text.slice(0, dot + 1);
        const from = member.from + dot + 1;
        const options = [];
        for (const c of list) {
          if (!c.label.startsWith(object)) continue;
          const rest = c.label.slice(object.length);
          if (!rest || rest.includes(".")) continue;
          options.push({...c, label: rest, type: c.type || "property"});
        }
        // An object the list does not know: the document's words, once a
        // letter has been typed after the dot (e.g. input.to → total).
        if (!options.length && from < context.pos) docWords(context, new Set(), options);
        if (!options.length) return null;
        return {from, options, validFor: identifierRE};
      }
    }
    const word = context.matchBefore(/[A-Za-z_$][\w$]*$/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (js && from > 0 && context.state.sliceDoc(from - 1, from) === ".") return null;
    const seen = new Set();
    const options = [];
    for (const c of list) {
      if (!c.label.includes(".") && !seen.has(c.label)) { seen.add(c.label); options.push(c); }
    }
    if (js) {
      // Module names that dotted labels imply, when the list has no entry of their own.
      for (const c of list) {
        const dot = c.label.indexOf(".");
        if (dot <= 0) continue;
        const mod = c.label.slice(0, dot);
        if (!seen.has(mod)) { seen.add(mod); options.push({label: mod, type: "namespace"}); }
      }
    }
    if (words) docWords(context, seen, options);
    if (!options.length) return null;
    return {from, options, validFor: identifierRE};
  };
}

// ---- problems

function toDiagnostics(doc, problems) {
  const out = [];
  for (const p of Array.isArray(problems) ? problems : []) {
    if (!p) continue;
    let n = Math.floor(Number(p.line));
    if (!Number.isFinite(n) || n < 1) n = 1;
    if (n > doc.lines) n = doc.lines;
    const line = doc.line(n);
    let from;
    const col = Math.floor(Number(p.column));
    if (Number.isFinite(col) && col >= 1) from = Math.min(line.from + col - 1, line.to);
    else from = line.from + (/^\s*/.exec(line.text)[0].length);
    if (from >= line.to) from = line.from; // nothing after the column: mark the line
    const severity = p.severity === "warning" ? "warning" : p.severity === "info" ? "info" : "error";
    out.push({from, to: line.to, severity, message: String(p.message ?? "")});
  }
  return out;
}

// ---- the editor

const programmatic = Annotation.define();

function build(parent, opts, mode) {
  const {
    doc = "", language = "text", readOnly = false, completions = [],
    onChange, onSave, label,
  } = opts || {};
  const isHighlight = mode === "highlight";
  const ro = isHighlight || !!readOnly;
  const historyCompartment = new Compartment();
  const completionData = [{autocomplete: listSource(language)}];

  const keys = [];
  if (!isHighlight) {
    keys.push({
      key: "Mod-s",
      preventDefault: true,
      run: (view) => { if (typeof onSave === "function") onSave(view.state.doc.toString()); return true; },
    });
  }
  keys.push(...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap,
    ...completionKeymap, ...lintKeymap);
  if (!ro) keys.push(indentWithTab);

  const extensions = [
    lineNumbers(),
    highlightSpecialChars(),
    drawSelection(),
    syntaxHighlighting(highlightStyle),
    bracketMatching(),
    highlightSelectionMatches(),
    lintGutter(),
    completionList.init(() => normalizeCompletions(completions)),
    languageExtension(language),
    theme,
    EditorView.editorAttributes.of({class: isHighlight ? "kubus-editor kubus-highlight" : "kubus-editor"}),
    keymap.of(keys),
  ];
  // tabindex="0" is what contenteditable implies anyway; stating it lets
  // accessibility checkers see that the scrollable region holds focusable content.
  extensions.push(EditorView.contentAttributes.of(label ? {"aria-label": String(label), tabindex: "0"} : {tabindex: "0"}));
  if (ro) extensions.push(EditorState.readOnly.of(true));
  if (isHighlight) extensions.push(fitText);
  else {
    extensions.push(
      twentyLines,
      highlightActiveLineGutter(),
      highlightActiveLine(),
      historyCompartment.of(history()),
      dropCursor(),
      EditorState.allowMultipleSelections.of(true),
      rectangularSelection(),
      crosshairCursor(),
      EditorState.languageData.of(() => completionData),
      autocompletion({activateOnTyping: true, icons: true}),
    );
    if (!ro) extensions.push(indentOnInput(), closeBrackets());
    if (typeof onChange === "function") {
      extensions.push(EditorView.updateListener.of((u) => {
        if (u.docChanged && !u.transactions.some((tr) => tr.annotation(programmatic))) {
          onChange(u.state.doc.toString());
        }
      }));
    }
  }

  const view = new EditorView({
    parent,
    state: EditorState.create({doc: String(doc ?? ""), extensions}),
  });

  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(s) {
      const text = String(s ?? "");
      view.dispatch(setDiagnostics(view.state, []));
      if (text !== view.state.doc.toString()) {
        view.dispatch({
          changes: {from: 0, to: view.state.doc.length, insert: text},
          selection: {anchor: 0},
          annotations: programmatic.of(true),
          scrollIntoView: true,
        });
      }
      if (!isHighlight) {
        // A new text starts a new undo history.
        view.dispatch({effects: historyCompartment.reconfigure([])});
        view.dispatch({effects: historyCompartment.reconfigure(history())});
      }
    },
    setProblems(problems) {
      view.dispatch(setDiagnostics(view.state, toDiagnostics(view.state.doc, problems)));
    },
    setCompletions(list) {
      view.dispatch({effects: setCompletionsEffect.of(normalizeCompletions(list))});
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

export function createEditor(parent, options = {}) {
  return build(parent, options, "editor");
}

export function highlight(parent, {doc = "", language = "text", label} = {}) {
  return build(parent, {doc, language, label, readOnly: true}, "highlight");
}
