#!/usr/bin/env node
// Copies the wasm core (dist/server from `make build`: the speed build, with
// its own `--target web` glue) into worker/build/, where the Worker imports it. Inside worker/ because the test runner (Vite) only
// serves modules under its root. Run by wrangler ([build] in wrangler.toml),
// by vitest.config.mjs and by the benchmark; cheap when nothing changed.
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FILES = ["edge_personalize.js", "edge_personalize_bg.wasm"];

/** Copies the files that are newer in dist/server; throws when there is no core at all. */
export function prepareCore() {
  const workerDir = join(dirname(fileURLToPath(import.meta.url)), "..");
  const from = join(workerDir, "..", "dist", "server");
  const to = join(workerDir, "build");
  mkdirSync(to, { recursive: true });
  for (const f of FILES) {
    const src = join(from, f);
    const dst = join(to, f);
    if (!existsSync(src)) {
      if (existsSync(dst)) continue;
      throw new Error(`missing ${src}: run \`make build\` first (it builds the wasm core)`);
    }
    if (!existsSync(dst) || statSync(src).mtimeMs > statSync(dst).mtimeMs) copyFileSync(src, dst);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    prepareCore();
  } catch (err) {
    console.error(String(err.message ?? err));
    process.exit(1);
  }
}
