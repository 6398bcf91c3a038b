// Builds ../../server/studio/assets/vendor/editor.js (one minified ES module)
// and editor.LICENSES.txt beside it from src/editor.js.
//
//   cd tools/studio-editor && npm ci && node build.mjs
//
// style-mod (CodeMirror's CSS injector) puts its rules in a <style> element
// when mounting in a document and uses a constructed, adopted style sheet only
// in shadow roots. A <style> element added at run time is inline CSS, which the
// studio's Content-Security-Policy (style-src 'self') blocks, so the bundle is
// built with style-mod patched to adopt a constructed sheet in documents too.
// The build fails if the patched line is no longer there.
import * as esbuild from "esbuild";
import {readFile, writeFile, mkdir, stat} from "node:fs/promises";
import {dirname, join, relative, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, "../../server/studio/assets/vendor");
const outFile = join(outDir, "editor.js");
const licenseFile = join(outDir, "editor.LICENSES.txt");

const styleModPatch = {
  name: "style-mod-adopted-sheets",
  setup(build) {
    build.onLoad({filter: /[\\/]style-mod[\\/].*\.js$/}, async (args) => {
      const source = await readFile(args.path, "utf8");
      const from = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
      const to = "if (root.adoptedStyleSheets && win.CSSStyleSheet) {";
      if (!source.includes(from)) {
        throw new Error(`${args.path}: the line to patch for CSP (adopted style sheets in documents) is gone; check style-mod's StyleSet constructor`);
      }
      return {contents: source.replace(from, to), loader: "js"};
    });
  },
};

await mkdir(outDir, {recursive: true});
const result = await esbuild.build({
  entryPoints: [join(here, "src/editor.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020", "chrome90", "firefox101", "safari16.4"],
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  outfile: outFile,
  plugins: [styleModPatch],
  logLevel: "warning",
});

// The packages that went into the bundle, by the package.json nearest to each input.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const abs = resolve(here, input);
  if (!abs.includes(`${sep}node_modules${sep}`)) continue;
  let dir = dirname(abs);
  while (dir.includes(`${sep}node_modules${sep}`)) {
    const pj = join(dir, "package.json");
    try {
      const meta = JSON.parse(await readFile(pj, "utf8"));
      if (meta.name && meta.version) {
        packages.set(meta.name, {dir, meta});
        break;
      }
    } catch {}
    dir = dirname(dir);
  }
}

const licenseNames = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE", "COPYING"];
let text = "Licences of the packages bundled into editor.js (built by tools/studio-editor/build.mjs).\n" +
  "style-mod is bundled with one line changed: see tools/studio-editor/build.mjs.\n";
for (const name of [...packages.keys()].sort()) {
  const {dir, meta} = packages.get(name);
  let body = null;
  for (const f of licenseNames) {
    try { body = await readFile(join(dir, f), "utf8"); break; } catch {}
  }
  if (body === null) throw new Error(`${name}: no licence file in ${relative(here, dir)}`);
  const repo = typeof meta.repository === "string" ? meta.repository : meta.repository?.url ?? "";
  text += `\n${"=".repeat(78)}\n${name}@${meta.version} — ${meta.license ?? "see below"}${repo ? ` — ${repo}` : ""}\n${"=".repeat(78)}\n\n${body.trim()}\n`;
}
await writeFile(licenseFile, text);

const size = (await stat(outFile)).size;
console.log(`${relative(process.cwd(), outFile)}: ${size} bytes, ${packages.size} packages: ${[...packages.keys()].sort().join(", ")}`);
