/** `--only generate`: generation of a synthetic corpus of tenants, start-up, --check, one tenant. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { workerCount } from "@etl/generator/parallel";
import { z } from "zod";
import { isFresh } from "../../../tools/source-stamp.mjs";
import { repoRoot } from "../../src/paths.js";
import { mib, ratio, round } from "../lib/context.js";
import { buildCorpus } from "../lib/corpus.js";
import { type Measured, runMeasured } from "../lib/proc.js";
import { defineSection } from "../lib/section.js";

export const GenerateResultsSchema = z.object({
  corpus: z.object({
    tenants: z.number().int(),
    pipelines: z.number().int(),
    models: z.number().int(),
    filesWritten: z.number().int(),
  }),
  /** Whether `npm run generate` ran the built JS or the TypeScript sources (stale build). */
  generatorFrom: z.enum(["dist", "source"]),
  /** Worker threads besides the main thread for the full corpus. */
  workerThreads: z.number().int(),
  runs: z.array(
    z.object({
      what: z.string(),
      seconds: z.number(),
      overStartup: z.number(),
      peakRssMiB: z.number(),
    }),
  ),
});
export type GenerateResults = z.infer<typeof GenerateResultsSchema>;

const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

export const generateSection = defineSection<GenerateResults>({
  name: "generate",
  options: {
    tenants: { type: "string", description: "tenants in the generated corpus (default 100)" },
  },
  schema: GenerateResultsSchema,
  async run(ctx) {
    const tenants = ctx.int("tenants", 100, 10);
    const root = mkdtempSync(path.join(os.tmpdir(), "bench-corpus-"));
    const empty = mkdtempSync(path.join(os.tmpdir(), "bench-corpus-empty-"));
    try {
      const shape = { tenants, pipelines: 20, models: 300 };
      const ids = buildCorpus(root, repoRoot, shape);
      // `npm run generate` runs the built generator when its dist/ is fresh: build it, as users do.
      execFileSync(
        "npx",
        ["turbo", "run", "build", "--filter=@etl/generator", "--output-logs=errors-only"],
        { cwd: repoRoot, stdio: ["ignore", process.stderr, "inherit"] },
      );
      const from = isFresh(path.join(repoRoot, "generator"), [path.join(repoRoot, "runtime")])
        ? "dist"
        : "source";
      ctx.log(`generate: the generator runs from ${from}`);
      mkdirSync(path.join(empty, "tenants"), { recursive: true });
      mkdirSync(path.join(empty, "generator"), { recursive: true });
      const gen = (r: string, extra: string[]) =>
        runMeasured("npm", ["run", "-s", "generate", "--", "--root", r, ...extra], {
          env: ctx.env,
          cwd: repoRoot,
        });
      // Sub-second runs are noisy on a shared machine: the median of 5.
      const median5 = async (r: string, extra: string[]): Promise<Measured> => {
        const runs: Measured[] = [];
        for (let i = 0; i < 5; i++) runs.push(await gen(r, extra));
        const sorted = runs.sort((a, b) => a.seconds - b.seconds);
        const mid = sorted[2];
        if (mid === undefined) throw new Error("internal: no median run");
        ctx.log(
          `  runs: ${sorted.map((m) => round(m.seconds)).join(", ")} s (median ${round(mid.seconds)})`,
        );
        return mid;
      };
      const startup = await median5(empty, []);
      ctx.log(`generate: start-up (no tenants) ${round(startup.seconds)} s`);
      const all = await gen(root, []);
      ctx.log(`generate: ${ids.length} tenants ${round(all.seconds)} s`);
      const written = /generated .*: (\d+) added/.exec(all.stdout);
      if (written?.[1] === undefined) throw new Error(`unexpected generate output: ${all.stdout}`);
      const check = await gen(root, ["--check"]);
      if (!check.stdout.includes("up to date")) {
        throw new Error(`generate --check did not report up to date: ${check.stdout}`);
      }
      ctx.log(`generate --check: ${round(check.seconds)} s`);
      const first = ids[0] ?? "";
      const one = await median5(root, ["--tenant", first]);
      ctx.log(`generate one tenant: ${round(one.seconds)} s`);
      const row = (what: string, m: Measured) => ({
        what,
        seconds: round(m.seconds),
        overStartup: ratio(m.seconds, startup.seconds),
        peakRssMiB: mib(m.peakRssBytes),
      });
      return {
        corpus: { ...shape, filesWritten: Number(written[1]) },
        generatorFrom: from,
        workerThreads: workerCount(ids.length),
        runs: [
          row("npm run generate, no tenants (start-up; median of 5)", startup),
          row(`npm run generate, ${ids.length} tenants`, all),
          row(`npm run generate --check, ${ids.length} tenants`, check),
          row("npm run generate --tenant (one tenant; median of 5)", one),
        ],
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(empty, { recursive: true, force: true });
    }
  },
  targets(g) {
    const out: string[] = [];
    const all = g.runs[1];
    const one = g.runs[3];
    if (all !== undefined) {
      const full = g.corpus.tenants >= 100;
      out.push(
        `generate 100 tenants < 10 s: ${all.seconds} s for ${g.corpus.tenants} tenants (${full ? mark(all.seconds < 10) : "not measured at 100 tenants"})`,
      );
    }
    if (one !== undefined) {
      out.push(`generate one tenant < 1 s: ${one.seconds} s (${mark(one.seconds < 1)})`);
    }
    return out;
  },
  markdown(g) {
    const c = g.corpus;
    return [
      `## Generation: ${c.tenants} tenants x ${c.pipelines} pipelines + ${c.models}-model dbt manifest each (${fmt(c.filesWritten)} files written)`,
      "",
      `The generator ran from ${g.generatorFrom === "dist" ? "its built dist/" : "its TypeScript sources (dist/ was stale)"}, with ${g.workerThreads} worker thread(s) besides the main thread for the full corpus.`,
      "",
      "| run | seconds | x start-up | peak RSS MiB |",
      "|---|---:|---:|---:|",
      ...g.runs.map((r) => `| ${r.what} | ${r.seconds} | ${r.overStartup} | ${r.peakRssMiB} |`),
      "",
    ];
  },
});
