/**
 * Incremental generation at scale: a corpus of N tenants (default 1,000; test/bench/lib/corpus.ts),
 * regenerated after one tenant changed, with the cache (`npm run generate`) and without it
 * (`--no-cache`, the full run), interleaved (interleave.ts): each round edits one tenant, runs the
 * incremental generation, then the full one. The full run must then find nothing to write (its
 * output is the incremental one's, byte for byte) and the incremental run must have reused every
 * other tenant; either failing fails the bench.
 *
 *   npx tsx --conditions=source test/bench/generate-incremental-bench.ts [--tenants N] [--runs R]
 *     [--corpus DIR]   (reuse a corpus built by an earlier run in DIR; built there when empty)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { isFresh } from "../../tools/source-stamp.mjs";
import { repoRoot } from "../src/paths.js";
import { buildCorpus } from "./lib/corpus.js";
import { interleave, ratioText } from "./lib/interleave.js";
import { runMeasured } from "./lib/proc.js";

export const IncrementalResultsSchema = z.object({
  corpus: z.object({
    tenants: z.number().int(),
    pipelines: z.number().int(),
    models: z.number().int(),
  }),
  generatorFrom: z.enum(["dist", "source"]),
  /** The first run with an empty cache (compiles every tenant and fills the cache), seconds. */
  coldSeconds: z.number(),
  variants: z.array(
    z.object({
      name: z.string(),
      median: z.number(),
      min: z.number(),
      max: z.number(),
      spread: z.number(),
      samples: z.array(z.number()),
    }),
  ),
  ratio: z.string(),
  loadBefore: z.number(),
  loadAfter: z.number(),
  /** Whether the incremental median is under 2 s (issue 19 item 5). */
  targetMet: z.boolean(),
});
export type IncrementalResults = z.infer<typeof IncrementalResultsSchema>;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs the comparison on a corpus of `tenants` tenants under `corpusDir`. */
export async function benchIncremental(options: {
  tenants: number;
  runs: number;
  corpusDir: string;
}): Promise<IncrementalResults> {
  const shape = { tenants: options.tenants, pipelines: 20, models: 300 };
  const root = options.corpusDir;
  if (existsSync(path.join(root, "tenants"))) {
    log(`reusing the corpus in ${root}`);
  } else {
    log(`building a corpus of ${shape.tenants} tenants in ${root}`);
    buildCorpus(root, repoRoot, shape);
  }
  // `npm run generate` runs the built generator when its dist/ is fresh: build it, as users do.
  execFileSync(
    "npx",
    ["turbo", "run", "build", "--filter=@etl/generator", "--output-logs=errors-only"],
    {
      cwd: repoRoot,
      stdio: ["ignore", process.stderr, "inherit"],
    },
  );
  const from = isFresh(path.join(repoRoot, "generator"), [path.join(repoRoot, "runtime")])
    ? "dist"
    : "source";
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "bench-generate-cache-"));
  const env = { ...process.env, ETL_GENERATE_CACHE: cacheDir };
  const gen = (...extra: string[]) =>
    runMeasured("npm", ["run", "-s", "generate", "--", "--root", root, ...extra], {
      env,
      cwd: repoRoot,
    });
  try {
    const cold = await gen();
    log(`cold (empty cache): ${cold.seconds.toFixed(2)} s`);
    // Files written within a second are hashed, not stat-trusted: let the next run record them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await gen();
    const changed = `bench_t${String(Math.floor(shape.tenants / 2)).padStart(3, "0")}`;
    const config = path.join(root, "tenants", changed, "config.yaml");
    const original = readFileSync(config, "utf8");
    const reusedAll = `${shape.tenants - 1} of ${shape.tenants} tenants reused from the cache`;
    const result = await interleave(
      [
        {
          name: "incremental, one tenant changed",
          measure: async (round) => {
            writeFileSync(config, original.replace(/name: "([^"]*)"/, `name: "$1 round ${round}"`));
            const run = await gen();
            if (!run.stdout.includes(reusedAll)) {
              throw new Error(
                `the incremental run did not reuse every other tenant: ${run.stdout.slice(-300)}`,
              );
            }
            return run.seconds;
          },
        },
        {
          name: "full (--no-cache)",
          measure: async () => {
            const run = await gen("--no-cache");
            if (!/: 0 added, 0 changed, 0 deleted, /.test(run.stdout)) {
              throw new Error(
                `the full run differs from the incremental one: ${run.stdout.slice(-300)}`,
              );
            }
            return run.seconds;
          },
        },
      ],
      options.runs,
      log,
    );
    writeFileSync(config, original);
    const [incremental, full] = result.variants;
    if (incremental === undefined || full === undefined)
      throw new Error("internal: two variants expected");
    const ratio = ratioText(incremental, full);
    log(
      `incremental over full: ${ratio}; load ${result.loadBefore.toFixed(1)} -> ${result.loadAfter.toFixed(1)}`,
    );
    return {
      corpus: shape,
      generatorFrom: from,
      coldSeconds: cold.seconds,
      variants: result.variants,
      ratio,
      loadBefore: result.loadBefore,
      loadAfter: result.loadAfter,
      targetMet: incremental.median < 2,
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tenants: { type: "string", default: "1000" },
      runs: { type: "string", default: "5" },
      corpus: { type: "string" },
    },
  });
  const corpusDir = values.corpus ?? mkdtempSync(path.join(os.tmpdir(), "bench-corpus-"));
  mkdirSync(corpusDir, { recursive: true });
  const results = await benchIncremental({
    tenants: Number(values.tenants),
    runs: Number(values.runs),
    corpusDir,
  });
  const out = path.join(repoRoot, "test/bench/results/generate-incremental.json");
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`written ${path.relative(repoRoot, out)}`);
}
