/**
 * Benchmark: reading and compiling a synthetic 300-model manifest (target: well under a second).
 * Run: npx tsx --conditions=source generator/test/dbt/bench-manifest.ts [models]
 */
import { dbtAssets, readManifest } from "../../src/dbt/index.js";
import { largeManifest } from "./synthetic.js";

const models = Number(process.argv[2] ?? "300");
const text = JSON.stringify(largeManifest(models));
const runs: number[] = [];
let assets = 0;
for (let i = 0; i < 10; i++) {
  const start = performance.now();
  const r = readManifest("big.json", text);
  if (!r.ok) {
    throw new Error(`synthetic manifest refused: ${JSON.stringify(r.problems)}`);
  }
  const out = dbtAssets({
    tenantId: "bench",
    manifest: r.manifest,
    manifestPath: "big.json",
    pipelines: [{ name: "events", partitioned: true }],
    externalSources: [],
  });
  if (out.problems.length > 0) {
    throw new Error(`synthetic manifest has problems: ${JSON.stringify(out.problems)}`);
  }
  assets = out.assets.length;
  runs.push(performance.now() - start);
}
runs.sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)] ?? 0;
process.stdout.write(
  `${JSON.stringify({ bench: "dbt-manifest", models, bytes: text.length, assets, maxMs: runs.at(-1), medianMs: median })}\n`,
);
