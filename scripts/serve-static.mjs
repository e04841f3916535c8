// A tiny static file server for the demo storefront. No dependencies.
//
//   node scripts/serve-static.mjs [PORT]        (default 8080)
//
// Binds 127.0.0.1 only. Serves www/ at / and the wasm build dist/web/ at /pkg/
// (so www/app.js imports /pkg/edge_personalize.js, whose glue fetches
// /pkg/edge_personalize_bg.wasm as application/wasm, which streaming
// compilation requires). Nothing is cached: a rebuild shows on reload.
import { createServer } from "node:http";
import { stat, readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
const port = Number(process.argv[2] ?? 8080);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`serve-static: bad port ${process.argv[2]}`);
  process.exit(2);
}

// Longest prefix first.
const mounts = [
  ["/pkg/", join(repo, "dist", "web")],
  ["/", join(repo, "www")],
];

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

function resolvePath(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(urlPath.slice(prefix.length));
    const full = resolve(dir, "." + sep + rel);
    // Refuse anything that escapes the mounted folder (../, encoded or not).
    if (full !== dir && !full.startsWith(dir + sep)) return null;
    return full;
  }
  return null;
}

function send(res, status, body, type = "text/plain; charset=utf-8") {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const server = createServer(async (req, res) => {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n");
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
  } catch {
    return send(res, 400, "bad request\n");
  }
  if (urlPath.includes("\0")) return send(res, 400, "bad request\n");
  let file = resolvePath(urlPath);
  if (!file) return send(res, 404, "not found\n");
  try {
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    res.writeHead(200, {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      "content-length": body.length,
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch {
    send(res, 404, "not found\n");
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`serve-static: http://127.0.0.1:${port}/ (www/ at /, dist/web/ at /pkg/)`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
