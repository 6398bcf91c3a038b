// A tiny static server for the editor test page, with the studio's
// Content-Security-Policy. Loopback only.
//
//   node test/serve.mjs [port]      (default 8765; 0 picks a free port)
//
//   /            test/index.html
//   /test/...    files in test/
//   /vendor/...  files in server/studio/assets/vendor/ (the built editor.js)
import {createServer} from "node:http";
import {readFile} from "node:fs/promises";
import {dirname, extname, join, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const here = dirname(fileURLToPath(import.meta.url));
const roots = {
  "/test/": here,
  "/vendor/": resolve(here, "../../../server/studio/assets/vendor"),
};
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export function serve(port = 8765) {
  const server = createServer(async (req, res) => {
    const headers = {
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    };
    let path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    if (path === "/") path = "/test/index.html";
    if (path === "/favicon.ico") { res.writeHead(204, headers); res.end(); return; }
    let file = null;
    for (const [prefix, dir] of Object.entries(roots)) {
      if (path.startsWith(prefix)) {
        const f = resolve(dir, "." + path.slice(prefix.length - 1));
        if (f.startsWith(dir + sep)) file = f;
      }
    }
    try {
      if (!file || req.method !== "GET") throw new Error("not found");
      const body = await readFile(file);
      res.writeHead(200, {...headers, "Content-Type": types[extname(file)] ?? "application/octet-stream"});
      res.end(body);
    } catch {
      res.writeHead(404, {...headers, "Content-Type": "text/plain; charset=utf-8"});
      res.end("not found\n");
    }
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? 8765));
  console.log(`http://127.0.0.1:${server.address().port}/`);
}
