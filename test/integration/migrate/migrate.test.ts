/**
 * `npm run migrate` on the dbt-enabled legacy fixtures (generator/test/migrate/legacy: written
 * from the facts of the old project_01/project_02 tenants) with the stack's real dbt: the dbt
 * project is converted and its manifest refreshed by dbt itself, then the migrated tenant
 * generates, builds, passes its generated plan tests, and `list --json` shows per environment the
 * old definitions (generator/test/migrate/expected/<id>.yaml), dbt assets included. The manifest
 * names the model that reads cfg_item_master's extract, so that pipeline's save_to_s3: false
 * becomes true where dbt reads it. A re-run is byte-identical, manifest included.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrate } from "@etl/generator/migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { repoRoot } from "../../src/paths.js";
import { readStackEnv, readStackVars } from "../../src/stack-env.js";

const MIGRATE = path.join(repoRoot, "generator", "test", "migrate");
const LEGACY = path.join(MIGRATE, "legacy", "etl", "tenants");
const BIN = path.join(repoRoot, "node_modules", ".bin");
const ENVS = ["dev", "staging", "prod"] as const;
const FIXTURES = ["legacy_aps", "legacy_std"];

const ExpectedEnv = z.object({
  enabled: z.boolean(),
  assets: z.record(z.string(), z.object({ partitioned: z.boolean(), deps: z.array(z.string()) })),
  jobs: z.record(
    z.string(),
    z.object({
      description: z.string(),
      partitioned: z.boolean(),
      assets: z.array(z.string()),
      fixed: z.array(z.string()).default([]),
      schedule: z
        .object({ cron: z.string(), timezone: z.string(), auto_start: z.boolean() })
        .nullable(),
    }),
  ),
});
const Listing = z.object({
  assets: z.array(
    z.object({ key: z.string(), partitioned: z.boolean(), deps: z.array(z.string()) }),
  ),
  jobs: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      partitioned: z.boolean(),
      assets: z.array(z.string()),
      schedule: z
        .object({ cron: z.string(), timezone: z.string(), autoStart: z.boolean() })
        .nullable(),
    }),
  ),
});

const sorted = (xs: readonly string[]) => [...xs].sort();
const byKey = <T>(entries: [string, T][]) =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));

/** The old definitions, with the per-pipeline jobs' deliberate additions, in the listing's terms. */
function oldGraph(env: z.infer<typeof ExpectedEnv>) {
  return {
    assets: byKey(
      Object.entries(env.assets).map(([k, a]) => [
        k,
        { partitioned: a.partitioned, deps: sorted(a.deps) },
      ]),
    ),
    jobs: byKey(
      Object.entries(env.jobs).map(([name, j]) => [
        name,
        {
          description: j.description,
          partitioned: j.partitioned,
          assets: sorted([...j.assets, ...j.fixed]),
          schedule:
            j.schedule === null
              ? null
              : {
                  cron: j.schedule.cron,
                  timezone: j.schedule.timezone,
                  autoStart: j.schedule.auto_start,
                },
        },
      ]),
    ),
  };
}

/**
 * Jobs every package has that the old code location did not (docs/migrating.md, "Deliberately
 * different"): compared apart from the old definitions.
 */
const ADDED_JOBS = ["maintenance"];

/** The listing in the old definitions' terms: without ADDED_JOBS, which it must have. */
function listedGraph(listing: z.infer<typeof Listing>) {
  expect(listing.jobs.map((j) => j.name).filter((n) => ADDED_JOBS.includes(n))).toEqual(ADDED_JOBS);
  const jobs = listing.jobs.filter((j) => !ADDED_JOBS.includes(j.name));
  return {
    assets: byKey(
      listing.assets.map((a) => [a.key, { partitioned: a.partitioned, deps: sorted(a.deps) }]),
    ),
    jobs: byKey(
      jobs.map((j) => [
        j.name,
        {
          description: j.description,
          partitioned: j.partitioned,
          assets: sorted(j.assets),
          schedule: j.schedule,
        },
      ]),
    ),
  };
}

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const n of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel === "" ? n : `${rel}/${n}`;
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out.set(r, readFileSync(path.join(dir, r), "utf8"));
    }
  };
  walk("");
  return out;
}

const stack = readStackEnv();
const env = { ...process.env, ...readStackVars() };
let root = "";

beforeAll(async () => {
  // A temporary copy of the repository: its tenants, the shared tsconfig, its node_modules.
  root = mkdtempSync(path.join(tmpdir(), "etl-migrate-"));
  cpSync(path.join(repoRoot, "tenants"), path.join(root, "tenants"), { recursive: true });
  cpSync(path.join(repoRoot, "tsconfig.base.json"), path.join(root, "tsconfig.base.json"));
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"), "dir");
}, 60_000);

afterAll(() => {
  if (root !== "") rmSync(root, { recursive: true, force: true });
});

describe.each(FIXTURES)("migrating the dbt tenant %s with the stack's dbt", (id) => {
  it("converts the dbt project and refreshes its manifest with real dbt", async () => {
    const r = await migrate({
      from: path.join(LEGACY, id),
      root,
      dbt: { bin: stack.DBT_BIN, env },
    });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    expect(r.dbt).toEqual({
      kind: "refreshed",
      manifestPath: `tenants/${id}/dbt/target/manifest.json`,
    });
    const manifest = JSON.parse(
      readFileSync(path.join(root, "tenants", id, "dbt", "target", "manifest.json"), "utf8"),
    ) as {
      metadata: { adapter_type: string };
      nodes: Record<string, { resource_type: string; name: string }>;
      sources: Record<string, { database: string; schema: string; name: string }>;
    };
    expect(manifest.metadata.adapter_type).toBe("trino");
    expect(
      Object.values(manifest.sources).map((s) => `${s.database}.${s.schema}.${s.name}`),
    ).toEqual([`hive.${id}_sources.cfg_item_master`]);
    expect(
      Object.values(manifest.nodes)
        .filter((n) => n.resource_type === "model")
        .map((n) => n.name)
        .sort(),
    ).toEqual(["stg_cfg_item_master", "tfm_item_master_enriched"]);
    // The manifest names the model that reads cfg_item_master's extract through Trino, so the
    // pipeline keeps its files on S3 where the old config said false; the others stay false.
    expect(
      r.report.converted
        .filter((c) => c.text.startsWith("save_to_s3: false"))
        .map((c) => `${c.where}: ${c.text.split(". ")[0]}`),
    ).toEqual([
      `config.yaml:${id === "legacy_aps" ? 48 : 49} tenant.assets.pipelines.cfg_item_master.save_to_s3: save_to_s3: false -> true in dev, staging (written as save_to_s3): there false would keep the stage files only in the run's scratch space, which the generator refuses: pipeline "cfg_item_master" has save_to_s3: false, but dbt model(s) stg_cfg_item_master read its extract through Trino from S3 (in dev, staging)`,
    ]);
    const config = parse(readFileSync(path.join(root, "tenants", id, "config.yaml"), "utf8")) as {
      tenant: { assets: { pipelines: Record<string, { save_to_s3: boolean }> } };
    };
    expect(
      Object.entries(config.tenant.assets.pipelines).map(([name, p]) => [name, p.save_to_s3]),
    ).toEqual([
      ["cfg_item_master", true],
      ["lot_history", false],
      ["equipment_event", false],
      ["process_result", false],
    ]);
  }, 180_000);

  it("generates, builds, passes its plan tests and lists the old definitions per environment", async () => {
    const gen = spawnSync(
      process.execPath,
      [path.join(repoRoot, "generator/bin/generate.mjs"), "--root", root, "--tenant", id],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    );
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    const pkg = path.join(root, "generated", id);
    const tsc = spawnSync(path.join(BIN, "tsc"), ["-p", "tsconfig.json"], {
      cwd: pkg,
      encoding: "utf8",
    });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const vitest = spawnSync(path.join(BIN, "vitest"), ["run"], {
      cwd: pkg,
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
    });
    expect(vitest.status, vitest.stdout + vitest.stderr).toBe(0);
    const expected = z
      .object({ dev: ExpectedEnv, staging: ExpectedEnv, prod: ExpectedEnv })
      .parse(parse(readFileSync(path.join(MIGRATE, "expected", `${id}.yaml`), "utf8")));
    for (const name of ENVS) {
      const list = spawnSync(process.execPath, ["dist/main.js", "list", "--json"], {
        cwd: pkg,
        encoding: "utf8",
        env: { ...process.env, ETL_ENVIRONMENT: name },
      });
      if (expected[name].enabled) {
        expect(list.status, list.stderr).toBe(0);
        expect(listedGraph(Listing.parse(JSON.parse(list.stdout))), name).toEqual(
          oldGraph(expected[name]),
        );
      } else {
        // The old code location was empty there (tenant disabled in prod); the package refuses.
        expect(list.status, name).toBe(2);
        expect(list.stderr).toMatch(/is disabled for tenant/);
      }
    }
    // What the old factories would have built in prod had it been enabled: the built plan's prod.
    const built = (await import(path.join(pkg, "dist", "plan.js"))) as {
      plan: { environments: Record<string, z.infer<typeof Listing>> };
    };
    const prod = built.plan.environments.prod;
    expect(prod === undefined ? null : listedGraph(Listing.parse(prod)), "plan prod").toEqual(
      oldGraph(expected.prod),
    );
  }, 300_000);

  it("is byte-identical when migrated again, the refreshed manifest included", async () => {
    const before = snapshot(path.join(root, "tenants", id));
    const again = await migrate({
      from: path.join(LEGACY, id),
      root,
      dbt: { bin: stack.DBT_BIN, env },
    });
    expect(again.ok).toBe(true);
    if (again.ok) {
      expect(again.written).toEqual([]);
      expect(again.dbt.kind).toBe("refreshed");
    }
    expect(snapshot(path.join(root, "tenants", id))).toEqual(before);
  }, 180_000);
});
