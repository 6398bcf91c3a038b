// Loads test/index.html in headless Chromium under the studio's CSP and
// checks the built vendor/editor.js: it renders with highlighting, no CSP
// violation, no <style> element, completions pop up, setProblems marks
// lines, Ctrl-S saves, Tab indents and Escape-then-Tab leaves, and axe-core
// finds no violation. Writes a screenshot.
//
//   cd tools/studio-editor && npm ci && node build.mjs && node test/check.mjs [shot.png]
//
// CHROMIUM=/path/to/chromium overrides /usr/bin/chromium.
import {chromium} from "playwright-core";
import {readFile, mkdtemp} from "node:fs/promises";
import {createRequire} from "node:module";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {serve} from "./serve.mjs";

const shot = process.argv[2] ?? "/tmp/editor-shot.png";
const require = createRequire(import.meta.url);
const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

const server = await serve(0);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), "studio-editor-")), {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
  viewport: {width: 1000, height: 1400},
});
const page = browser.pages()[0] ?? await browser.newPage();
const consoleLines = [];
page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));

let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++; else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
}

try {
  const response = await page.goto(url);
  check("page served with the CSP header", (response.headers()["content-security-policy"] ?? "").includes("style-src 'self'"));
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready", null, {timeout: 10000});

  // Styles: all CodeMirror CSS in adopted sheets, none in <style>.
  const styles = await page.evaluate(() => ({
    styleTags: document.querySelectorAll("style").length,
    adopted: document.adoptedStyleSheets.length,
    rules: document.adoptedStyleSheets.reduce((n, s) => n + s.cssRules.length, 0),
    styleAttrs: document.querySelectorAll("[style]").length,
  }));
  check("no <style> elements; CSS in adopted style sheets", styles.styleTags === 0 && styles.adopted > 0 && styles.rules > 50,
    JSON.stringify(styles));
  const layout = await page.evaluate(() => {
    const ed = document.querySelector("#js .cm-editor");
    const gutters = document.querySelector("#js .cm-gutters");
    const content = document.querySelector("#js .cm-content");
    return {display: getComputedStyle(ed).display, gutterLeft: gutters.getBoundingClientRect().left,
      contentLeft: content.getBoundingClientRect().left, height: ed.getBoundingClientRect().height,
      lineHeight: document.querySelector("#js .cm-line").getBoundingClientRect().height};
  });
  check("CodeMirror's layout CSS applied (flex, gutter left of content)",
    layout.display === "flex" && layout.gutterLeft < layout.contentLeft, JSON.stringify(layout));
  check("editor at least 20 lines tall", layout.height >= 20 * layout.lineHeight, `${layout.height}px for ${layout.lineHeight}px lines`);
  const shortPane = await page.evaluate(() => document.querySelector("#yaml .cm-editor").getBoundingClientRect().height);
  check("yaml editor fills its 12rem (192px) pane", Math.abs(shortPane - 192) < 1, `${shortPane}px`);

  // Highlighting.
  const colours = await page.evaluate(() => {
    const out = {};
    for (const [id, words] of Object.entries({
      js: ["function", "return", "0.1", "// Discount rule: 10% off large orders of loyal customers.", "\"./lib.js\"", "discount"],
      yaml: ["name", "# Ruleset for the shop", "3", "true"],
      json: ["\"total\"", "612.5", "null", "false"],
      csv: ["total", "612.5", "\"61.25\"", ","],
    })) {
      for (const w of words) {
        const span = [...document.querySelectorAll(`#${id} .cm-content span`)].find((s) => s.textContent === w);
        out[`${id} ${w}`] = span ? getComputedStyle(span).color : "missing";
      }
    }
    return out;
  });
  const plain = "rgb(31, 35, 40)";
  const coloured = Object.entries(colours).filter(([k, v]) => v !== "missing" && v !== plain);
  check("syntax highlighting colours tokens", coloured.length >= 14, JSON.stringify(colours));

  // setProblems.
  const marks = await page.evaluate(() => ({
    gutterErrors: document.querySelectorAll("#js .cm-lint-marker-error").length,
    gutterWarnings: document.querySelectorAll("#js .cm-lint-marker-warning").length,
    errorRange: [...document.querySelectorAll("#js .cm-lintRange-error")].map((e) => e.textContent).join("|"),
    warningRange: [...document.querySelectorAll("#js .cm-lintRange-warning")].map((e) => e.textContent).join("|"),
    yamlErrors: document.querySelectorAll("#yaml .cm-lint-marker-error").length,
  }));
  check("setProblems: gutter markers and underlines", marks.gutterErrors === 1 && marks.gutterWarnings === 1 &&
    marks.errorRange.startsWith("return input.total") && marks.warningRange.startsWith("out.discount") && marks.yamlErrors === 1,
    JSON.stringify(marks));

  // Completions: identifiers from the list, Module. members, local words.
  const js = page.locator("#js .cm-content");
  await js.click();
  await page.keyboard.press("Control+End");
  async function typeAndList(text) {
    await page.keyboard.type(text, {delay: 30});
    try {
      await page.waitForSelector(".cm-tooltip-autocomplete li", {timeout: 3000});
    } catch { return []; }
    await page.waitForTimeout(150);
    return page.evaluate(() => [...document.querySelectorAll(".cm-tooltip-autocomplete li .cm-completionLabel")].map((e) => e.textContent));
  }
  let list = await typeAndList("Cust");
  check("typing 'Cust' offers Customers", list.includes("Customers"), JSON.stringify(list));
  await page.screenshot({path: shot.replace(/\.png$/, "-completion.png"), fullPage: false});
  await page.keyboard.press("Escape");
  list = await typeAndList("omers.");
  check("after 'Customers.' the module's members", list.includes("isLoyal") && list.includes("count") && !list.includes("save"),
    JSON.stringify(list));
  const info = await page.evaluate(() => document.querySelector(".cm-completionInfo")?.textContent ?? "");
  await page.keyboard.press("Enter");
  const line = await page.evaluate(() => window.__editors.editor.view.state.doc.lineAt(window.__editors.editor.view.state.selection.main.head).text);
  check("Enter applies the member", /Customers\.(isLoyal|count)$/.test(line), JSON.stringify({line, info}));
  await page.keyboard.press("Enter");
  list = await typeAndList("ra");
  check("local words (rate) offered", list.includes("rate"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  list = await typeAndList(" tot");
  check("inputs (total) offered", list.includes("total"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  list = await typeAndList(" input.tot");
  check("after an object the list does not know: document words (input.tot → total)", list.includes("total"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  list = await typeAndList(" `${Cust");
  check("completions inside a template ${...}", list.includes("Customers"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  await page.keyboard.type("}`;");
  list = await typeAndList(" // Cust");
  check("nothing offered in a comment", !list.includes("Customers"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  // YAML: list labels and words.
  await page.locator("#yaml .cm-content").click();
  await page.keyboard.press("Control+End");
  list = await typeAndList("disc");
  check("yaml: list labels offered", list.includes("discount"), JSON.stringify(list));
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+z");

  // Ctrl-S, onChange.
  await js.click();
  await page.keyboard.press("Control+s");
  const log = await page.evaluate(() => window.__editors.log);
  check("onChange on edits, onSave on Ctrl-S", log.some((e) => e[0] === "change") && log.at(-1)[0] === "save", JSON.stringify(log.slice(-3)));

  // Tab indents; Escape then Tab leaves.
  await page.keyboard.press("Control+Home");
  const before = await page.evaluate(() => window.__editors.editor.getText().split("\n")[0]);
  await page.keyboard.press("Tab");
  const after = await page.evaluate(() => window.__editors.editor.getText().split("\n")[0]);
  const stillIn = await page.evaluate(() => !!document.activeElement.closest("#js"));
  check("Tab indents and keeps focus", after === "  " + before && stillIn, JSON.stringify(after.slice(0, 12)));
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Tab");
  const where = await page.evaluate(() => document.activeElement.closest(".pane")?.id ?? document.activeElement.tagName);
  check("Escape then Tab moves focus out of the editor", where !== "js", `focus now in ${where}`);

  // setText / getText / setCompletions.
  const api = await page.evaluate(() => {
    const e = window.__editors.editor;
    const n = window.__editors.log.length;
    e.setText("let a = 1;\n");
    const r = {text: e.getText(), changes: window.__editors.log.length - n,
      problems: document.querySelectorAll("#js .cm-lint-marker").length};
    e.setCompletions([{label: "Fresh.thing", type: "method"}]);
    return r;
  });
  check("setText replaces text, clears problems, calls no onChange", api.text === "let a = 1;\n" && api.changes === 0 && api.problems === 0,
    JSON.stringify(api));
  await page.locator("#js .cm-content").click();
  await page.keyboard.press("Control+z");
  const afterUndo = await page.evaluate(() => window.__editors.editor.getText());
  check("setText starts a new undo history", afterUndo === "let a = 1;\n", JSON.stringify(afterUndo));

  // A read-only text editor ignores typing and does not capture Tab.
  const ro = await page.evaluate(() => {
    const div = document.createElement("div");
    div.id = "ro";
    document.querySelector("main").append(div);
    window.__ro = window.__editorModule.createEditor(div, {doc: "plain text", language: "text", readOnly: true, label: "read-only"});
    return document.querySelector("#ro .cm-content").getAttribute("aria-readonly");
  });
  await page.locator("#ro .cm-content").click();
  await page.keyboard.type("xyz");
  await page.keyboard.press("Tab");
  const roState = await page.evaluate(() => ({text: window.__ro.getText(), inside: !!document.activeElement.closest("#ro")}));
  check("readOnly: aria-readonly, typing ignored, Tab not captured", ro === "true" && roState.text === "plain text" && !roState.inside,
    JSON.stringify({ro, ...roState}));
  await page.evaluate(() => { window.__ro.destroy(); document.getElementById("ro").remove(); });
  await js.click();
  await page.keyboard.press("Control+End");
  list = await typeAndList("\nFresh.");
  check("setCompletions replaces the list", list.includes("thing"), JSON.stringify(list));
  await page.keyboard.press("Escape");

  // Search panel (Ctrl-F).
  await page.keyboard.press("Control+f");
  const searchOpen = await page.locator("#js .cm-search input[name=search]").isVisible();
  check("Ctrl-F opens the search panel", searchOpen);
  await page.keyboard.press("Escape");

  // Restore the page for the screenshot and axe.
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
  await page.locator("#js .cm-content").click({position: {x: 200, y: 90}});
  await page.screenshot({path: shot, fullPage: true});

  await page.evaluate(axeSource);
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, {resultTypes: ["violations", "incomplete"]});
    return {
      violations: r.violations.map((v) => `${v.id}: ${v.nodes.length} × ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")} — ${v.nodes[0]?.failureSummary?.replace(/\s+/g, " ")}`),
      incomplete: r.incomplete.map((v) => `${v.id}: ${v.nodes.length} × ` + v.nodes.map((n) =>
        `${n.target.join(" ")} "${document.querySelector(n.target[0])?.textContent.slice(0, 20) ?? ""}" (${n.any.map((c) => c.message).join("; ")})`).join(", ")),
    };
  });
  check("axe-core: no violations", axe.violations.length === 0, axe.violations.join("; "));
  for (const i of axe.incomplete) console.log(`     axe incomplete (needs review): ${i}`);

  // highlight() views do not capture Tab.
  await page.locator("#json .cm-content").focus();
  await page.keyboard.press("Tab");
  const afterJson = await page.evaluate(() => document.activeElement.closest("section")?.querySelector("h2")?.id ?? document.activeElement.tagName);
  check("Tab leaves a highlight() view", afterJson === "h-csv", `focus now in ${afterJson}`);

  // axe again with the search panel, a completion list and a lint tooltip open.
  await page.locator("#js .cm-content").click();
  await page.keyboard.press("Control+f");
  await page.keyboard.type("input");
  await page.keyboard.press("Enter");
  await page.locator("#yaml .cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\nCust", {delay: 30});
  await page.waitForSelector(".cm-tooltip-autocomplete li");
  await page.locator("#js .cm-lintRange-warning").first().hover();
  await page.waitForSelector("#js .cm-tooltip-lint", {timeout: 3000}).catch(() => {});
  await page.screenshot({path: shot.replace(/\.png$/, "-panels.png"), fullPage: true});
  const axe2 = await page.evaluate(async () => {
    const r = await window.axe.run(document, {resultTypes: ["violations"]});
    return r.violations.map((v) => `${v.id}: ${v.nodes.length} × ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")} — ${v.nodes[0]?.failureSummary?.replace(/\s+/g, " ")}`);
  });
  check("axe-core with search panel, completions and lint tooltip open: no violations", axe2.length === 0, axe2.join("; "));

  const violations = await page.evaluate(() => window.__cspViolations);
  const cspConsole = consoleLines.filter((l) => /Content.Security.Policy|Refused to/i.test(l));
  check("no CSP violations (event and console)", violations.length === 0 && cspConsole.length === 0,
    [...violations, ...cspConsole].join("; "));
  const errors = consoleLines.filter((l) => /^(error|pageerror)/.test(l));
  check("no console errors", errors.length === 0, errors.join("; "));
} finally {
  await browser.close();
  server.close();
}
console.log(`screenshot: ${shot}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
