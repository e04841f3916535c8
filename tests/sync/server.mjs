// Two listeners on 127.0.0.1 for the sync tests:
//
//   node tests/sync/server.mjs PAGE_PORT PROXY_PORT WORKER_URL
//
// PAGE_PORT serves the test page (tests/sync/page.html) with the sync adapter
// (/pkg/src/sync/ -> pkg-template/src/sync/) and the wasm build (/pkg/wasm/ -> dist/web/),
// laid out as the npm package is, so the adapter's own import path is exercised.
//
// PROXY_PORT is the collector the page talks to: a fault-injecting proxy in front
// of the real Worker. It forwards everything to WORKER_URL, counts what passes
// (requests, body bytes, events per request) and, when told through
// POST /__ctl {failRate, outage, delayMs}, answers a share of POSTs with
//   500 (not forwarded), 429 + Retry-After: 1 (not forwarded), or
//   500 after forwarding (the Worker accepted the events; the answer is lost, so the
//   page sends them again and the stream sees duplicates),
// or, during an outage, drops the connection. GET /__stats returns the counters;
// POST /__reset clears them.
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const [pagePort, proxyPort, workerUrl] = process.argv.slice(2);
if (!pagePort || !proxyPort || !workerUrl) {
  console.error("usage: server.mjs PAGE_PORT PROXY_PORT WORKER_URL");
  process.exit(2);
}
const repo = resolve(new URL("../..", import.meta.url).pathname);
const mounts = [
  ["/pkg/src/sync/", join(repo, "pkg-template/src/sync")],
  ["/pkg/wasm/", join(repo, "dist/web")],
  ["/", join(repo, "tests/sync/static")],
];
const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

http
  .createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length) || "index.html"));
      if (!file.startsWith(dir)) break;
      try {
        const body = await readFile(file);
        res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
        return res.end(body);
      } catch {
        break;
      }
    }
    res.writeHead(404).end("not found");
  })
  .listen(Number(pagePort), "127.0.0.1");

const ctl = { failRate: 0, outage: false, delayMs: 0 };
// Event ids inside requests that have not been answered yet: an id arriving while it is
// already in flight is an overlap (the same event in flight twice at once).
const active = new Map();
let stats;
function reset() {
  active.clear();
  stats = { log: [], overlaps: 0, overlapExamples: [], requests: 0, posts: 0, forwarded: 0, injected500: 0, injected429: 0, lostAnswers: 0, dropped: 0, bodyBytes: [], eventsPer: [], preflights: 0 };
}
reset();

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function cors(req) {
  const o = req.headers.origin;
  return o ? { "access-control-allow-origin": o, "access-control-expose-headers": "ETag, Retry-After", vary: "Origin" } : {};
}

async function forward(req, body) {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers["content-length"];
  delete headers.connection;
  const r = await fetch(workerUrl + req.url, { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body });
  const out = Buffer.from(await r.arrayBuffer());
  const h = {};
  r.headers.forEach((v, k) => {
    if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k)) h[k] = v;
  });
  return { status: r.status, headers: h, body: out };
}

http
  .createServer(async (req, res) => {
    try {
      if (req.url === "/__stats") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...stats, ctl }));
      if (req.url === "/__reset" && req.method === "POST") {
        reset();
        return res.writeHead(204).end();
      }
      const body = await readBody(req);
      if (req.url === "/__ctl" && req.method === "POST") {
        Object.assign(ctl, JSON.parse(body.toString("utf8") || "{}"));
        return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(ctl));
      }
      stats.requests++;
      if (req.method === "OPTIONS") stats.preflights++;
      if (ctl.outage) {
        stats.dropped++;
        return req.socket.destroy();
      }
      if (req.method === "POST" && req.url.startsWith("/v1/collect")) {
        stats.posts++;
        stats.bodyBytes.push(body.length);
        let ids = [];
        try {
          ids = (JSON.parse(body.toString("utf8")).events ?? []).map((e) => e?.id);
        } catch {
          /* counted as 0 events */
        }
        stats.eventsPer.push(ids.length);
        const entry = { at: Date.now(), n: ids.length, first: ids[0], keepalive: req.headers["sec-fetch-mode"], ms: 0 };
        if (stats.log.length < 2000) stats.log.push(entry);
        res.on("close", () => (entry.ms = Date.now() - entry.at));
        for (const id of ids) {
          if (active.has(id)) {
            stats.overlaps++;
            if (stats.overlapExamples.length < 5) stats.overlapExamples.push(id);
          }
          active.set(id, (active.get(id) ?? 0) + 1);
        }
        res.on("close", () => {
          for (const id of ids) {
            const n = (active.get(id) ?? 1) - 1;
            if (n <= 0) active.delete(id);
            else active.set(id, n);
          }
        });
        if (ctl.delayMs) await new Promise((r) => setTimeout(r, ctl.delayMs));
        if (ctl.failRate > 0 && Math.random() < ctl.failRate) {
          const kind = Math.random();
          if (kind < 0.4) {
            stats.injected500++;
            return res.writeHead(500, { "content-type": "application/json", ...cors(req) }).end('{"error":{"code":"INTERNAL","message":"injected"}}');
          }
          if (kind < 0.75) {
            stats.injected429++;
            return res
              .writeHead(429, { "content-type": "application/json", "retry-after": "1", ...cors(req) })
              .end('{"error":{"code":"RATE_LIMITED","message":"injected"}}');
          }
          const r = await forward(req, body);
          stats.forwarded++;
          stats.lostAnswers++;
          return res.writeHead(500, { "content-type": "application/json", ...cors(req) }).end(`{"error":{"code":"INTERNAL","message":"injected after a ${r.status}"}}`);
        }
      }
      const r = await forward(req, body);
      stats.forwarded++;
      res.writeHead(r.status, r.headers).end(r.body);
    } catch (e) {
      res.writeHead(502, { "content-type": "application/json", ...cors(req) }).end(JSON.stringify({ error: { code: "BAD_GATEWAY", message: String(e) } }));
    }
  })
  .listen(Number(proxyPort), "127.0.0.1");

console.log(`sync test server: page http://127.0.0.1:${pagePort}/ proxy http://127.0.0.1:${proxyPort} -> ${workerUrl}`);
