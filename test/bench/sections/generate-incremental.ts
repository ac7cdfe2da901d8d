/**
 * `--only generate-incremental`: incremental generation at scale (issue 19 item 5). A corpus of N
 * tenants (default 1,000; lib/corpus.ts) is generated with an empty cache once (it fills the
 * cache), then three variants run interleaved, `--runs` rounds (lib/interleave.ts):
 *
 * - one tenant changed: edits one tenant's name, then `npm run generate`; it must report every
 *   other tenant reused from the cache (target: under 2 s);
 * - no change: `npm run generate` again; it must reuse every tenant and write nothing;
 * - full: `npm run generate -- --no-cache`, every tenant compiled; it must find nothing to write,
 *   which proves the incremental runs left generated/ byte for byte as a full run leaves it.
 *
 * Each run's wall time and CPU time (the command and all it waited for) are recorded: wall minus
 * CPU is the time it spent waiting for a core on this shared machine (or for I/O).
 *
 * Kept apart from the `generate` section: a 1,000-tenant full run takes a minute or more on a
 * quiet machine, so five interleaved rounds take ten; `--only generate` stays quick.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { isFresh } from "../../../tools/source-stamp.mjs";
import { repoRoot } from "../../src/paths.js";
import { round } from "../lib/context.js";
import { buildCorpus } from "../lib/corpus.js";
import { interleave, median } from "../lib/interleave.js";
import { type Measured, runMeasured } from "../lib/proc.js";
import { defineSection } from "../lib/section.js";

/** Issue 19 item 5: one changed tenant of 1,000 regenerated in under this many seconds. */
export const INCREMENTAL_TARGET_SECONDS = 2;

const VariantSchema = z.object({
  name: z.string(),
  /** Wall seconds: median, min, max, (max - min) / median, every run in order. */
  median: z.number(),
  min: z.number(),
  max: z.number(),
  spread: z.number(),
  samples: z.array(z.number()),
  /** CPU seconds (user + system) of each run, same order; median. */
  cpuMedian: z.number().nullable(),
  cpuSamples: z.array(z.number().nullable()),
});

export const IncrementalResultsSchema = z.object({
  corpus: z.object({
    tenants: z.number().int(),
    pipelines: z.number().int(),
    models: z.number().int(),
    files: z.number().int(),
  }),
  /** Whether `npm run generate` ran the built bundle or the TypeScript sources (stale build). */
  generatorFrom: z.enum(["dist", "source"]),
  runs: z.number().int(),
  /** The first run, with an empty cache (compiles every tenant and fills the cache). */
  cold: z.object({ seconds: z.number(), cpuSeconds: z.number().nullable() }),
  variants: z.array(VariantSchema),
  loadBefore: z.number(),
  loadAfter: z.number(),
});
export type IncrementalResults = z.infer<typeof IncrementalResultsSchema>;

const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");
const pct = (spread: number) => `±${Math.round((spread * 100) / 2)}%`;

const ONE_CHANGED = "one tenant changed";
const NO_CHANGE = "no change";
const FULL = "full (--no-cache)";

export const generateIncrementalSection = defineSection<IncrementalResults>({
  name: "generate-incremental",
  options: {
    "incremental-tenants": {
      type: "string",
      description: "tenants in the incremental generation corpus (default 1000)",
    },
    "incremental-corpus": {
      type: "string",
      description: "reuse (or build once) the incremental corpus in this folder, kept afterwards",
    },
    runs: { type: "string", description: "interleaved runs per comparison (default 5)" },
  },
  schema: IncrementalResultsSchema,
  async run(ctx) {
    const tenants = ctx.int("incremental-tenants", 1000, 20);
    const runs = ctx.int("runs", 5, 5);
    const shape = { tenants, pipelines: 20, models: 300 };
    const given = ctx.text("incremental-corpus");
    const kept = given !== null;
    const root =
      given !== null ? path.resolve(given) : mkdtempSync(path.join(os.tmpdir(), "bench-incr-"));
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), "bench-incr-cache-"));
    const changed = `bench_t${String(Math.floor(tenants / 2)).padStart(3, "0")}`;
    const config = path.join(root, "tenants", changed, "config.yaml");
    let original: string | null = null;
    try {
      if (existsSync(path.join(root, "tenants"))) {
        ctx.log(`generate-incremental: reusing the corpus in ${root}`);
      } else {
        ctx.log(`generate-incremental: building a corpus of ${fmt(tenants)} tenants in ${root}`);
        buildCorpus(root, repoRoot, shape);
      }
      // `npm run generate` runs the built generator when its dist/ is fresh: build it, as users do.
      execFileSync(
        "npx",
        ["turbo", "run", "build", "--filter=@etl/generator", "--output-logs=errors-only"],
        { cwd: repoRoot, stdio: ["ignore", process.stderr, "inherit"] },
      );
      const from = isFresh(path.join(repoRoot, "generator"), [path.join(repoRoot, "runtime")])
        ? "dist"
        : "source";
      ctx.log(`generate-incremental: the generator runs from ${from}`);
      const env = { ...ctx.env, ETL_GENERATE_CACHE: cacheDir };
      const gen = (...extra: string[]): Promise<Measured> =>
        runMeasured("npm", ["run", "-s", "generate", "--", "--root", root, ...extra], {
          env,
          cwd: repoRoot,
        });
      const cold = await gen();
      ctx.log(`generate-incremental: cold (empty cache) ${round(cold.seconds)} s`);
      const files = /: (\d+) added, (\d+) changed, (\d+) deleted, (\d+) unchanged/.exec(
        cold.stdout,
      );
      if (files === null) throw new Error(`unexpected generate output: ${cold.stdout.slice(-300)}`);
      const fileCount = Number(files[1]) + Number(files[2]) + Number(files[4]);
      // Files written within a second are hashed, not stat-trusted: let the next run record them.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await gen();
      original = readFileSync(config, "utf8");
      const text = original;
      const reused = (n: number) => `; ${n} of ${tenants} tenants reused from the cache`;
      const expect = (run: Measured, what: string, ok: boolean): Measured => {
        if (!ok) throw new Error(`${what}: ${run.stdout.slice(-400)}`);
        return run;
      };
      const cpu = new Map<string, (number | null)[]>();
      const timed = (name: string, run: Measured): number => {
        cpu.set(name, [...(cpu.get(name) ?? []), run.cpuSeconds]);
        return run.seconds;
      };
      const result = await interleave(
        [
          {
            name: ONE_CHANGED,
            measure: async (n) => {
              writeFileSync(config, text.replace(/name: "([^"]*)"/, `name: "$1 round ${n}"`));
              const run = await gen();
              const ok = run.stdout.includes(reused(tenants - 1));
              return timed(ONE_CHANGED, expect(run, "not every other tenant was reused", ok));
            },
          },
          {
            name: NO_CHANGE,
            measure: async () => {
              const run = await gen();
              const ok =
                run.stdout.includes(reused(tenants)) &&
                /: 0 added, 0 changed, 0 deleted, /.test(run.stdout);
              return timed(NO_CHANGE, expect(run, "a run without change wrote or compiled", ok));
            },
          },
          {
            name: FULL,
            measure: async () => {
              const run = await gen("--no-cache");
              const ok = /: 0 added, 0 changed, 0 deleted, /.test(run.stdout);
              return timed(FULL, expect(run, "the full run differs from the incremental one", ok));
            },
          },
        ],
        runs,
        ctx.log,
      );
      return {
        corpus: { ...shape, files: fileCount },
        generatorFrom: from,
        runs,
        cold: {
          seconds: round(cold.seconds),
          cpuSeconds: cold.cpuSeconds === null ? null : round(cold.cpuSeconds),
        },
        variants: result.variants.map((v) => {
          const cpuSamples = cpu.get(v.name) ?? [];
          const known = cpuSamples.filter((c): c is number => c !== null);
          return {
            name: v.name,
            median: round(v.median, 3),
            min: round(v.min, 3),
            max: round(v.max, 3),
            spread: round(v.spread, 3),
            samples: v.samples.map((s) => round(s, 3)),
            cpuMedian: known.length === 0 ? null : round(median(known), 3),
            cpuSamples: cpuSamples.map((c) => (c === null ? null : round(c, 3))),
          };
        }),
        loadBefore: round(result.loadBefore),
        loadAfter: round(result.loadAfter),
      };
    } finally {
      if (original !== null) writeFileSync(config, original);
      rmSync(cacheDir, { recursive: true, force: true });
      if (!kept) rmSync(root, { recursive: true, force: true });
    }
  },
  targets(r) {
    const one = r.variants.find((v) => v.name === ONE_CHANGED);
    if (one === undefined) return [];
    const at = r.corpus.tenants >= 1000 ? "" : ` (corpus of ${r.corpus.tenants}, not 1,000)`;
    return [
      `generate, one changed tenant of 1,000 < ${INCREMENTAL_TARGET_SECONDS} s: ${one.median} s ${pct(one.spread)}, CPU ${one.cpuMedian ?? "?"} s, median of ${r.runs} interleaved runs, load average ${r.loadBefore} -> ${r.loadAfter}${at} (${mark(one.median < INCREMENTAL_TARGET_SECONDS && at === "")})`,
    ];
  },
  markdown(r) {
    const c = r.corpus;
    const full = r.variants.find((v) => v.name === FULL);
    return [
      `## Incremental generation: ${fmt(c.tenants)} tenants x ${c.pipelines} pipelines + ${c.models}-model dbt manifest each (${fmt(c.files)} files)`,
      "",
      `The generator ran from ${r.generatorFrom === "dist" ? "its built bundle" : "its TypeScript sources (the bundle was stale)"}, through \`npm run generate\`. ${r.runs} interleaved rounds (one tenant changed, no change, full), load average ${r.loadBefore} before, ${r.loadAfter} after; the first run with an empty cache took ${r.cold.seconds} s (CPU ${r.cold.cpuSeconds ?? "?"} s). Every full run found nothing to write: the incremental runs' output was the full run's, byte for byte. CPU is user + system of the whole command; wall minus CPU is waiting for a core (or I/O).`,
      "",
      "| variant | median wall s | min | max | spread | median CPU s | x full |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...r.variants.map(
        (v) =>
          `| ${v.name} | ${v.median} | ${v.min} | ${v.max} | ${pct(v.spread)} | ${v.cpuMedian ?? "?"} | ${full === undefined ? "" : round(v.median / full.median, 3)} |`,
      ),
      "",
    ];
  },
});
