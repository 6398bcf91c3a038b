import * as editorModule from "/vendor/editor.js";

const {createEditor, highlight} = editorModule;
window.__editorModule = editorModule;

const js = `// Discount rule: 10% off large orders of loyal customers.
import {round} from "./lib.js";

export function when(input) {
  return input.total > 500 && Customers.isLoyal(input.customer);
}

export function then(input, out) {
  const rate = 0.1; /* fixed */
  out.discount = Math.round(input.total * rate * 100) / 100;
  out.note = \`loyal \${input.customer}\`;
  return /^[A-Z]+$/.test(out.note) ? null : true;
}
`;

const yaml = `# Ruleset for the shop
name: shop
version: 3
inputs:
  - name: total
    type: number
  - name: customer
    type: string
rules:
  - discount    # rules/discount.js
enabled: true
`;

const completions = [
  {label: "total", type: "input", detail: "number", info: "The order total, in euros."},
  {label: "customer", type: "input", detail: "string"},
  {label: "discount", type: "rule", detail: "rules/discount.js"},
  {label: "Customers", type: "module", detail: "module"},
  {label: "Customers.isLoyal", type: "method", detail: "(id) → boolean", info: "Whether the customer has ordered more than 5 times."},
  {label: "Customers.count", type: "property", detail: "number"},
  {label: "Documents.save", type: "method", detail: "(text, name, type) → id"},
];

const status = document.getElementById("status");
const log = [];
const editor = createEditor(document.getElementById("js"), {
  doc: js, language: "javascript", completions, label: "rules/discount.js",
  onChange: (text) => log.push(["change", text.length]),
  onSave: (text) => log.push(["save", text.length]),
});
const yamlEditor = createEditor(document.getElementById("yaml"), {
  doc: yaml, language: "yaml", completions, label: "ruleset.yaml",
});
const jsonView = highlight(document.getElementById("json"), {
  doc: JSON.stringify({total: 612.5, customer: "c-17", tags: ["vip", null], first: false}, null, 2),
  language: "json", label: "input.json",
});
const csvView = highlight(document.getElementById("csv"), {
  doc: 'total,customer,expected\n612.5,c-17,"61.25"\n20,"c, quoted ""x""",0\n', language: "csv", label: "cases.csv",
});
editor.setProblems([
  {line: 5, column: 3, message: "Customers.isLoyal: unknown function", severity: "error"},
  {line: 10, message: "out.discount is never read", severity: "warning"},
]);
yamlEditor.setProblems([{line: 4, message: "inputs: expected a map", severity: "error"}]);
window.__editors = {editor, yamlEditor, jsonView, csvView, log};
status.textContent = "ready";
