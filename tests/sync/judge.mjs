// Judges what the stream holds (consume.mjs statistics) against what the browser tracked.
//
//   node judge.mjs stream consume.json expected.txt forbidden.txt   (make test-sync)
//   node judge.mjs chaos  consume.json tracked.txt                  (make chaos)
//
// Writes its verdict to judge.txt next to consume.json (last line: the summary) and exits 1
// when an expected id is missing or anything unexpected arrived.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const [mode, consumePath, idsPath, forbiddenPath] = process.argv.slice(2);
const c = JSON.parse(readFileSync(consumePath, "utf8"));
const lines = (p) => (p ? readFileSync(p, "utf8").split("\n").map((l) => l.trim()).filter(Boolean) : []);
const ids = new Set(lines(idsPath));
const problems = [];
let summary;
if (mode === "chaos") {
  const delivered = ids.size - c.missing;
  summary = `chaos: tracked=${ids.size} delivered_unique=${delivered} lost=${c.missing} duplicates_seen=${c.duplicates}`;
  if (c.missing !== 0) problems.push(`missing=${c.missing} e.g. ${c.missingExamples.join(",")}`);
  if (c.unexpected !== 0) problems.push(`unexpected=${c.unexpected} (drop reports or ids nobody tracked)`);
} else {
  const forbidden = lines(forbiddenPath);
  summary = `sync stream: expected=${ids.size} consumed_unique=${c.uniqueIds} missing=${c.missing} unexpected=${c.unexpected} never_sent_ids=${forbidden.length}`;
  if (c.missing !== 0) problems.push(`missing=${c.missing} e.g. ${c.missingExamples.join(",")}`);
  // Everything in the topic was expected: so no id tracked under denied or pending consent,
  // dropped by the bound, or rejected, is there.
  if (c.unexpected !== 0) problems.push(`unexpected=${c.unexpected}`);
}
for (const k of ["keyMismatches", "unparsable", "noId"]) if (c[k] !== 0) problems.push(`${k}=${c[k]}`);
const out = [...problems.map((p) => `problem: ${p}`), summary].join("\n") + "\n";
writeFileSync(`${dirname(consumePath)}/judge.txt`, out);
process.stderr.write(out);
process.exit(problems.length ? 1 : 0);
