// Creates the scratch apps of the package tests under DIR, each with the packed
// tarball installed by npm (a local file: no registry involved):
//   DIR/vite-app   a Vite 7 app (built with tests/package's vite)
//   DIR/plain      a plain page: <script type="importmap"> + <script type="module">
//   DIR/ts-check   the public API used from TypeScript (tsc --noEmit, strict)
//   DIR/worker     a Cloudflare Worker importing the package (wrangler resolves the workerd entry)
//   node DIR TARBALL
import { mkdirSync, writeFileSync, copyFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const [dir, tarball] = process.argv.slice(2);
const www = new URL("../../www/", import.meta.url);

// The app both pages run: autotracking, two slots (one far below the fold), storage.
const app = (wasmForBytes) => `import { init, createClient, autotrack, version, errorCodes, wasmBuild } from "edge-personalize";
const ep = (window.__ep = { events: [], decisions: [], warnings: [] });
const params = new URLSearchParams(location.search);
const wasm = params.has("bytes") ? await (await fetch(${JSON.stringify(wasmForBytes)})).arrayBuffer() : undefined;
await init(wasm ? { wasm } : undefined);
const client = await createClient({
  catalog: "./catalog.json",
  rules: "./rules.json",
  storage: { key: "ep-test", debounceMs: 100 },
  onTrack: (e) => ep.events.push(e),
  onDecision: (d, { element }) => {
    ep.decisions.push(d);
    if (!element) return;
    element.replaceChildren(...d.items.map((it) => {
      const a = document.createElement("button");
      a.className = "rec";
      a.dataset.epItem = it.id;
      a.dataset.reasons = it.reasons.join(" ");
      a.textContent = it.id + " (" + it.reasons.join(", ") + ")";
      return a;
    }));
  },
});
document.querySelector("form").addEventListener("submit", (e) => e.preventDefault());
ep.stop = autotrack(client, { onError: (e) => ep.warnings.push(String(e.code ?? e)) });
client.render();
ep.client = client;
ep.version = version();
ep.build = wasmBuild();
ep.codes = errorCodes();
ep.restored = client.restored;
ep.backend = client.storage?.backend;
ep.ready = true;
document.body.dataset.ready = "true";
`;

const html = (script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edge-personalize package test</title><link rel="icon" href="data:,">
${script.head ?? ""}</head>
<body>
<h1>edge-personalize in ${script.name}</h1>
<section id="product" data-ep-item="sku-004" data-ep-view>Product sku-004 <button id="add" data-ep-action="add_to_cart">Add to cart</button></section>
<form data-ep-search><input name="q" value=""><button id="search">Search</button></form>
<p><button id="tile" class="tile" data-ep-item="sku-010">Tile sku-010</button></p>
<h2>Recommended</h2>
<div id="recs" data-ep-slot="home-recs" data-ep-k="4"></div>
<div style="height: 4000px"></div>
<div id="below" data-ep-slot="footer" data-ep-k="2"></div>
${script.body}
</body></html>
`;

function npmInstall(at) {
  writeFileSync(join(at, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }, null, 2));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: at, stdio: "inherit" });
}

for (const sub of ["vite-app", "vite-app/public", "plain", "ts-check", "worker"]) mkdirSync(join(dir, sub), { recursive: true });

// Vite app
npmInstall(join(dir, "vite-app"));
for (const f of ["catalog.json", "rules.json"]) copyFileSync(new URL(f, www), join(dir, "vite-app/public", f));
writeFileSync(join(dir, "vite-app/main.js"), app("/nothing.wasm"));
writeFileSync(join(dir, "vite-app/index.html"), html({ name: "a Vite app", body: `<script type="module" src="/main.js"></script>` }));
writeFileSync(join(dir, "vite-app/vite.config.js"), `export default { build: { target: "es2022" }, logLevel: "warn" };\n`);

// Plain page
npmInstall(join(dir, "plain"));
for (const f of ["catalog.json", "rules.json"]) copyFileSync(new URL(f, www), join(dir, "plain", f));
writeFileSync(join(dir, "plain/main.js"), app("./node_modules/edge-personalize/wasm/edge_personalize_bg.wasm"));
writeFileSync(join(dir, "plain/index.html"), html({
  name: "a plain page",
  head: `<script type="importmap">{"imports": {"edge-personalize": "./node_modules/edge-personalize/src/browser.js"}}</script>`,
  body: `<script type="module" src="./main.js"></script>`,
}));

// TypeScript: the declarations compile and describe what the engine returns.
npmInstall(join(dir, "ts-check"));
writeFileSync(join(dir, "ts-check/tsconfig.json"), JSON.stringify({
  compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom"], skipLibCheck: false, types: [] },
  files: ["index.ts"],
}, null, 2));
writeFileSync(join(dir, "ts-check/index.ts"), `import { init, createClient, autotrack, Personalizer, evalCondition, validateEvents, version, errorCodes, wasmBuild, CompiledCondition, ConditionData,
  type Decision, type StoredEvent, type EngineError, type ErrorCode, type SessionState } from "edge-personalize";
import { createSync } from "edge-personalize/sync";
await init();
const p = new Personalizer({ halfLifeSeconds: 1800, weights: { model: 1 } });
p.loadCatalog({ items: [{ id: "a", category: "c" }], bestsellers: ["a"] });
const ev: StoredEvent = p.track({ type: "product_view", item: { id: "a" } });
const d: Decision = p.decide({ slot: "home-recs", k: 3, excludeCart: true });
const first: string | undefined = d.items[0]?.reasons[0];
const s: SessionState = p.state();
const top: number = s.counters.events + s.affinity.category["c"];
const codes: ErrorCode[] = errorCodes();
const v: string = version();
const build: "size" | "speed" | "dev" = wasmBuild();
void build;
const ok: unknown = evalCondition({ "==": [1, 1] }, {});
const cc = new CompiledCondition({ ">": [{ var: "x" }, 1] });
const held: boolean = cc.matches(new ConditionData({ x: 2 }));
void held;
const verdicts = validateEvents([ev], Date.now());
if (!verdicts[0].ok) { const code: ErrorCode = verdicts[0].error.code; void code; }
try { p.restore(new Uint8Array(1)); } catch (e) { const err = e as EngineError; const c: ErrorCode = err.code; void c; }
const client = await createClient({ catalog: "/catalog.json", storage: { debounceMs: 100 }, onDecision: (dec, { element }) => void [dec.decisionId, element] });
const stop: () => void = autotrack(client, { threshold: 0.5, dwellMs: 1000 });
stop();
void [ev, d, first, top, codes, v, ok];
const sync = await createSync({ url: "https://edge.example/v1/collect", writeKey: "k", consent: "pending" });
const c2 = await createClient({ outbox: sync });
const queued: number = sync.status().queued;
void [c2, queued];
// @ts-expect-error: an unknown event type is a type error
p.track({ type: "product_viewed", item: { id: "a" } });
// @ts-expect-error: decide needs k
p.decide({ slot: "home" });
`);
// A Cloudflare Worker: the package's workerd entry, its wasm imported as a module.
npmInstall(join(dir, "worker"));
copyFileSync(new URL("catalog.json", www), join(dir, "worker/catalog.json"));
copyFileSync(new URL("rules.json", www), join(dir, "worker/rules.json"));
writeFileSync(join(dir, "worker/wrangler.toml"), `name = "ep-package-test"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\nsend_metrics = false\n`);
writeFileSync(join(dir, "worker/index.js"), `import { init, Personalizer, version, wasmBuild } from "edge-personalize";
import catalog from "./catalog.json";
import rules from "./rules.json";
export default {
  async fetch(request) {
    await init();
    const p = new Personalizer({ seed: 1 });
    p.loadCatalog(catalog);
    p.loadRules(rules);
    const item = new URL(request.url).searchParams.get("viewed");
    if (item) p.track({ type: "product_view", item: { id: item } });
    return Response.json({ version: version(), build: wasmBuild(), decision: p.decide({ slot: "home-recs", k: 4 }) });
  },
};
`);
console.log(`scaffold: ${dir} (vite-app, plain, ts-check, worker)`);
