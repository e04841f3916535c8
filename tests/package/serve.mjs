// A static file server for the package tests: serves one folder on
// 127.0.0.1:PORT, with application/wasm for .wasm (streaming compilation needs it).
//   node tests/package/serve.mjs DIR PORT
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

const [dirArg, portArg] = process.argv.slice(2);
const dir = resolve(dirArg);
const port = Number(portArg);
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm", ".css": "text/css", ".svg": "image/svg+xml" };

createServer(async (req, res) => {
  let file;
  try {
    file = resolve(dir, "." + decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname));
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (file !== dir && !file.startsWith(dir + sep)) return res.writeHead(404).end();
  try {
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
}).listen(port, "127.0.0.1", () => console.log(`serving ${dir} on http://127.0.0.1:${port}/`));
