// Synthetic shopper sessions over the demo catalog, for the demo's session
// model (www/model.epm): shoppers start at a popular product and move mostly to
// similar products, then to accessories and related ones, 3 to 10 clicks each.
// Deterministic for a given COUNT and SEED.
//
//   node www/gen-sessions.mjs [COUNT] [SEED] > /tmp/demo-sessions.txt
//   cargo run --release --bin ep-model -- build --train /tmp/demo-sessions.txt \
//       --format sessions --out www/model.epm --version demo-300-42-s3000
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rng } from "./gen-catalog.mjs";

/**
 * `count` click sessions (arrays of item ids) that walk the catalog's
 * relations: each starts at `start()` and moves to a similar item (60%), an
 * accessory (25%) or a related item (15%), 3 to 10 clicks, ending early at an
 * item without such relations. `rand` is the seeded generator; `start` draws
 * from it too. (bench/soak.mjs trains its model on the same walks.)
 */
export function relationWalks(items, count, rand, start) {
  const byId = new Map(items.map((it) => [it.id, it]));
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const sessions = [];
  for (let s = 0; s < count; s++) {
    let id = start();
    const clicks = [id];
    const len = 3 + Math.floor(rand() * 8);
    while (clicks.length < len) {
      const it = byId.get(id);
      const r = rand();
      const pool = r < 0.6 ? it.similar : r < 0.85 ? it.accessories : it.related;
      if (!pool?.length) break;
      id = pick(pool).id;
      clicks.push(id);
    }
    sessions.push(clicks);
  }
  return sessions;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 3000);
  const rand = rng(Number(process.argv[3] ?? 7));
  const catalog = JSON.parse(readFileSync(new URL("catalog.json", import.meta.url), "utf8"));
  // Popular products start more sessions.
  const weighted = catalog.items.flatMap((it) => Array(1 + Math.round(it.popularity * 10)).fill(it.id));
  const start = () => weighted[Math.floor(rand() * weighted.length)];
  const lines = relationWalks(catalog.items, count, rand, start).map((clicks) => clicks.join(" "));
  process.stdout.write(lines.join("\n") + "\n");
}
