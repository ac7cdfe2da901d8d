/**
 * `npm run migrate` on legacy tenant folders of our own making (written from the facts of the
 * old system, see docs/migrating.md): each migrates, generates, builds and passes its generated
 * plan tests in a temporary copy of the repository, and its `list --json` per environment is the
 * old system's definitions (with the one deliberate difference, the per-pipeline jobs).
 * The dbt fixtures run end to end with the stack's real dbt in test/integration/migrate; here
 * they show what happens without dbt.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { environmentPlan } from "@etl/runtime/plan";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generate } from "../../src/generate.js";
import { legacyKeyPaths, migrate } from "../../src/migrate/index.js";
import { formatProblems } from "../../src/problems.js";
import { copyRepoForBuild, copyRepoInputs, REPO } from "../repo-copy.js";
import {
  ADDED_JOBS,
  ENVS,
  expectedOf,
  FIXTURES,
  type Fixture,
  graphOfListing,
  graphOfOld,
  graphOfPlan,
  LEGACY_TENANTS,
  ListingSchema,
  NAMED_PIPELINE,
  splitAddedJobs,
} from "./legacy-graph.js";

const BIN = path.join(REPO, "node_modules", ".bin");
const noDbt = FIXTURES.filter((f) => !f.dbt);
const withDbt = FIXTURES.filter((f) => f.dbt);

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });
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

async function migrateFixture(root: string, f: Fixture, id?: string) {
  return migrate({
    from: path.join(LEGACY_TENANTS, f.from),
    display: `etl/tenants/${f.from}`,
    root,
    dbt: null,
    ...(id === undefined ? {} : { id }),
  });
}

describe("the legacy fixtures", () => {
  it("cover every key of the old schema", () => {
    const present = new Set<string>();
    const visit = (value: unknown, at: string) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) {
        // Free keys (pipeline names, tag names, environment overrides) count as `*`.
        const generic =
          /(^|\.)assets\.pipelines$|(^|\.)tags$|\.environments$/.test(at) && at !== "environments";
        const p = at === "" ? (generic ? "*" : k) : `${at}.${generic ? "*" : k}`;
        present.add(p);
        visit(v, p);
      }
    };
    for (const f of FIXTURES) {
      const file = f.from.endsWith(".yaml") ? f.from : `${f.from}/config.yaml`;
      const doc = parse(readFileSync(path.join(LEGACY_TENANTS, file), "utf8"), { version: "1.1" });
      visit(doc.tenant ?? doc, "");
    }
    const missing = legacyKeyPaths().filter((k) => !present.has(k));
    expect(missing).toEqual([]);
  });

  it("hold each layout of the old tenant packages", () => {
    const files = (f: string) =>
      existsSync(path.join(LEGACY_TENANTS, f))
        ? readdirSync(path.join(LEGACY_TENANTS, f), { recursive: true }).map(String).sort()
        : [];
    // assets/transfer.py registered under the old name; commented out; no assets/ at all;
    // the template's unregistered copy; several modules and a function in __init__.py.
    expect(files("legacy_aps/assets")).toEqual(["__init__.py", "transfer.py"]);
    expect(
      readFileSync(path.join(LEGACY_TENANTS, "legacy_std/assets/transfer.py"), "utf8"),
    ).toMatch(/^# def /m);
    expect(existsSync(path.join(LEGACY_TENANTS, "legacy_com/assets"))).toBe(false);
    expect(files("_template/assets")).toEqual(["__init__.py", "transfer.py"]);
    expect(files("legacy_mods/assets")).toEqual([
      "__init__.py",
      "cycle.py",
      "helpers.py",
      "orders.py",
    ]);
    expect(readFileSync(path.join(LEGACY_TENANTS, "legacy_mods/__init__.py"), "utf8")).toMatch(
      /^def /m,
    );
    expect(statSync(path.join(LEGACY_TENANTS, "tenant_legacy_v0.yaml")).isFile()).toBe(true);
  });
});

describe("migrating the fixtures without dbt", () => {
  let root = "";
  const results = new Map<string, Awaited<ReturnType<typeof migrate>>>();
  beforeAll(async () => {
    if (!existsSync(path.join(REPO, "runtime", "dist", "index.js"))) {
      throw new Error("build the runtime first: npx turbo run build --filter=@etl/runtime");
    }
    root = copyRepoForBuild();
    for (const f of noDbt) {
      results.set(f.id, await migrateFixture(root, f));
    }
    const gen = run(
      process.execPath,
      [path.join(REPO, "generator/bin/generate.mjs"), "--root", root],
      REPO,
    );
    if (gen.status !== 0) {
      throw new Error(`generate failed in the temp repository:\n${gen.stderr}${gen.stdout}`);
    }
  }, 120_000);

  it("writes preset: aps exactly for the old tenants that declared no pipelines (they ran the APS defaults)", () => {
    const presets = Object.fromEntries(
      noDbt.map((f) => {
        const text = readFileSync(path.join(root, "tenants", f.id, "config.yaml"), "utf8");
        const tenant = (parse(text) as { tenant: { preset?: string } }).tenant;
        return [f.id, tenant.preset ?? null];
      }),
    );
    expect(presets).toEqual({
      legacy_com: "aps",
      legacy_mods: null,
      legacy_v0: "aps",
      template: "aps",
    });
  });

  for (const f of noDbt) {
    describe(f.id, () => {
      it("migrates with a report and no problem", () => {
        const r = results.get(f.id);
        expect(r?.ok ? [] : formatProblems(r?.problems ?? [])).toEqual([]);
        if (r?.ok === true) {
          expect(r.dbt).toEqual({ kind: "none" });
          expect(r.written).toContain(`tenants/${f.id}/config.yaml`);
          expect(r.written).toContain(`tenants/${f.id}/MIGRATION.md`);
        }
      });

      it("builds, passes its generated plan tests, and lists the old definitions per environment", () => {
        const pkg = path.join(root, "generated", f.id);
        const tsc = run(path.join(BIN, "tsc"), ["-p", "tsconfig.json"], pkg);
        expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
        const vitest = run(path.join(BIN, "vitest"), ["run"], pkg, { CI: "1" });
        expect(vitest.status, vitest.stdout + vitest.stderr).toBe(0);
        expect(vitest.stdout).toMatch(/test\/plan\.test\.ts/);
        const expected = expectedOf(f.id);
        const model = generate({ root, tenants: [f.id] });
        expect(model.ok).toBe(true);
        const plan = model.ok ? model.models[0]?.plan : undefined;
        for (const env of ENVS) {
          const want = graphOfOld(expected[env]);
          const list = run(process.execPath, ["dist/main.js", "list", "--json"], pkg, {
            ETL_ENVIRONMENT: env,
          });
          if (expected[env].enabled) {
            expect(list.status, list.stderr).toBe(0);
            const listing = ListingSchema.parse(JSON.parse(list.stdout));
            const listed = splitAddedJobs(graphOfListing(listing));
            expect(listed.old, env).toEqual(want);
            expect(listed.added, env).toEqual(ADDED_JOBS);
          } else {
            // The old code location had no definitions there; this package refuses to run there.
            expect(list.status, env).toBe(2);
            expect(list.stderr).toMatch(/is disabled for tenant/);
          }
          const planEnv = plan === undefined ? undefined : environmentPlan(plan, env);
          const planned = planEnv === undefined ? null : splitAddedJobs(graphOfPlan(planEnv));
          expect(planned?.old ?? null, `plan ${env}`).toEqual(want);
          if (planned !== null) expect(planned.added, `plan ${env}`).toEqual(ADDED_JOBS);
        }
      }, 240_000);

      it("writes stubs that throw until they are ported, and that Biome accepts", async () => {
        const transforms = path.join(root, "tenants", f.id, "transforms");
        const lint = run(
          path.join(BIN, "biome"),
          [
            "check",
            `--config-path=${path.join(REPO, "biome.json")}`,
            "--vcs-enabled=false",
            transforms,
          ],
          root,
        );
        expect(lint.status, lint.stdout + lint.stderr).toBe(0);
        const dist = path.join(root, "generated", f.id, "dist", "transforms");
        const modules = readdirSync(transforms).filter((n) => n.endsWith(".ts"));
        expect(modules.length).toBeGreaterThan(0);
        for (const name of modules) {
          const mod: Record<string, unknown> = await import(
            path.join(dist, name.replace(/\.ts$/, ".js"))
          );
          const fns = Object.values(mod).filter((v) => typeof v === "function");
          expect(fns).toHaveLength(1);
          const fn = fns[0] as () => unknown;
          expect(() => fn(), name).toThrow(/is not ported yet/);
        }
      });
    });
  }

  it("is idempotent: a second run writes nothing and changes nothing", async () => {
    const before = snapshot(path.join(root, "tenants"));
    for (const f of noDbt) {
      const again = await migrateFixture(root, f);
      expect(again.ok).toBe(true);
      if (again.ok) {
        expect(again.written).toEqual([]);
        expect(again.unchanged).toContain(`tenants/${f.id}/config.yaml`);
      }
    }
    expect(snapshot(path.join(root, "tenants"))).toEqual(before);
  });

  it("never overwrites a file edited since (a ported transform): it refuses and writes nothing", async () => {
    const file = path.join(root, "tenants", "legacy_com", "transforms", "wip.ts");
    const ported = readFileSync(file, "utf8").replace("throw new Error(", "console.info(");
    writeFileSync(file, ported);
    const before = snapshot(path.join(root, "tenants"));
    const fixture = noDbt.find((f) => f.id === "legacy_com");
    expect(fixture).toBeDefined();
    const again = fixture === undefined ? null : await migrateFixture(root, fixture);
    expect(again?.ok).toBe(false);
    expect(again?.ok === false ? formatProblems(again.problems) : "").toBe(
      [
        "tenants/legacy_com/transforms/wip.ts exists with other content than this migration writes (edited since, or another tenant)",
        "    fix: keep your version: nothing was written. To migrate again from scratch, move tenants/legacy_com/ away first",
        "",
        "1 problem found; nothing was written.",
        "",
      ].join("\n"),
    );
    expect(snapshot(path.join(root, "tenants"))).toEqual(before);
  });
});

describe("migrating a dbt tenant where dbt is not available", () => {
  it("says so, leaves the manifest step to the person, and the generator names that step", async () => {
    const root = copyRepoInputs();
    for (const f of withDbt) {
      const r = await migrateFixture(root, f);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.dbt).toEqual({ kind: "unavailable" });
      expect(r.report.dbt).toBe(true);
      expect(readFileSync(path.join(root, "tenants", f.id, "MIGRATION.md"), "utf8")).toContain(
        `npm run dbt -- parse --tenant ${f.id}`,
      );
      expect(existsSync(path.join(root, "tenants", f.id, "dbt", "profiles.yml"))).toBe(false);
      const gen = generate({ root, tenants: [f.id] });
      expect(gen.ok ? [] : gen.problems.map((p) => `${p.file}: ${p.message} | ${p.hint}`)).toEqual([
        `tenants/${f.id}/dbt/target/manifest.json: dbt is enabled for tenant ${f.id} but its manifest does not exist | build it with npm run dbt -- parse --tenant ${f.id} and commit it, or set dbt.enabled: false`,
      ]);
    }
  });
});

describe("the report", () => {
  it("names each Python function to port with its pipeline, and what the old lookup ran", async () => {
    const root = copyRepoInputs();
    const byId = new Map<string, Awaited<ReturnType<typeof migrate>>>();
    for (const f of FIXTURES) byId.set(f.id, await migrateFixture(root, f));
    const ports = (id: string) => {
      const r = byId.get(id);
      return r?.ok === true
        ? r.report.ports.map((p) => `${p.pipeline} -> ${p.module}#${p.exportName}: ${p.replaces}`)
        : [];
    };
    const lookups = (id: string) => {
      const r = byId.get(id);
      return r?.ok === true
        ? r.report.lookups.map((l) => `${l.asset}: ${l.ran} => ${l.outcome.split(";")[0]}`)
        : [];
    };
    expect(ports("legacy_aps")).toEqual([
      "lot_history -> transforms/wip.ts#wip: transform_aps_wip_logic (legacy_aps/assets/transfer.py:6)",
      "equipment_event -> transforms/equipment_utilization.ts#equipmentUtilization: transform_equipment_utilization_logic (etl/common/assets/transfer.py:129)",
      "process_result -> transforms/cycle_time.ts#cycleTime: transform_cycle_time_logic (etl/common/assets/transfer.py:68)",
    ]);
    const commonWip = "transform_aps_wip_logic (etl/common/assets/transfer.py:14)";
    expect(lookups("legacy_aps")).toEqual([
      `legacy_aps/transfer/lot_history: ${commonWip} => WIP-shaped rows`,
      `legacy_aps/transfer/equipment_event: ${commonWip} => failed: KeyError: 'lot_history' (that input was not given)`,
      `legacy_aps/transfer/process_result: ${commonWip} => WIP-shaped rows`,
    ]);
    expect(lookups("legacy_com")).toEqual([
      `legacy_com/transfer/lot_history: ${commonWip} => WIP-shaped rows`,
      `legacy_com/transfer/equipment_event: ${commonWip} => failed: KeyError: 'lot_history' (that input was not given)`,
      `legacy_com/transfer/process_result: ${commonWip} => failed: KeyError: 'lot_history' (that input was not given)`,
    ]);
    expect(ports("legacy_mods")).toEqual([
      "orders -> transforms/orders.ts#orders: orders_daily (legacy_mods/assets/orders.py:6)",
      "customers -> transforms/customers.ts#customers: clean_customers (legacy_mods/__init__.py:16)",
      "lot_history -> transforms/wip.ts#wip: transform_aps_wip_logic (etl/common/assets/transfer.py:14)",
      "process_result -> transforms/cycle_time.ts#cycleTime: cycle_time_by_step (legacy_mods/assets/cycle.py:6)",
    ]);
    expect(lookups("legacy_mods")).toEqual([
      "legacy_mods/transfer/orders: orders_daily (legacy_mods/assets/orders.py:6) => its rows",
      "legacy_mods/transfer/customers: clean_customers (legacy_mods/__init__.py:16) => its rows",
      `legacy_mods/transfer/lot_history: ${commonWip} => WIP-shaped rows`,
      `legacy_mods/transfer/process_result: ${commonWip} => WIP-shaped rows`,
    ]);
    const mods = byId.get("legacy_mods");
    const todo = mods?.ok === true ? mods.report.todo.map((t) => `${t.where}: ${t.text}`) : [];
    expect(todo).toContainEqual(
      expect.stringMatching(
        /date_colum: unknown key date_colum: the old loader ignored it.*did you mean date_column\?$/,
      ),
    );
    expect(todo).toContainEqual(
      expect.stringMatching(
        /^legacy_mods\/assets\/helpers\.py:6: late_returns is shaped like a transform/,
      ),
    );
    expect(todo).toContainEqual(
      expect.stringMatching(
        /^legacy_mods\/__init__\.py:11: CUSTOM_EXTRACT_QUERIES\["returns"\] is not a plain string/,
      ),
    );
    const decisions = mods?.ok === true ? mods.report.decisions.join("\n") : "";
    expect(decisions).toMatch(/The per-pipeline jobs select the pipeline they are named after/);
    expect(decisions).toMatch(/Every transfer runs the transform its pipeline was meant to run/);
    // The template's unregistered WIP copy never ran: the report says so.
    const template = byId.get("template");
    expect(template?.ok === true ? template.report.todo.map((t) => t.text) : []).toContainEqual(
      expect.stringMatching(
        /^transform_aps_wip_logic is shaped like a transform .* \(it is not registered\), so the old system never ran it/,
      ),
    );
  });

  it("turns save_to_s3 on where Trino reads the files from S3, keeps it elsewhere, and says which", async () => {
    const root = copyRepoInputs();
    const out = new Map<string, { converted: string[]; kept: boolean; config: string }>();
    for (const f of FIXTURES) {
      const r = await migrateFixture(root, f);
      if (!r.ok) continue;
      out.set(f.id, {
        converted: r.report.converted
          .filter((c) => c.text.startsWith("save_to_s3: false"))
          .map((c) => `${c.where}: ${c.text}`),
        kept: r.report.decisions.some((d) => d.startsWith("save_to_s3: false is kept")),
        config: readFileSync(path.join(root, "tenants", f.id, "config.yaml"), "utf8"),
      });
    }
    const where = (id: string) => (out.get(id)?.converted ?? []).map((c) => c.split(": ")[0]);
    // dbt did not run here: the project's source definitions name the reader.
    expect(out.get("legacy_aps")?.converted).toEqual([
      expect.stringMatching(
        /^config\.yaml:48 tenant\.assets\.pipelines\.cfg_item_master\.save_to_s3: save_to_s3: false -> true in dev, staging \(written as save_to_s3\): .* dbt model\(s\) over source source_db\.cfg_item_master read its extract through Trino from S3 \(in dev, staging\)\..* In the old system the extract wrote no Parquet there; dbt never read it: the models read the source table from the tenant's PostgreSQL through the project's own profiles\.yml \(dbt-postgres\)/,
      ),
    ]);
    expect(where("legacy_std")).toEqual([
      "config.yaml:49 tenant.assets.pipelines.cfg_item_master.save_to_s3",
    ]);
    expect(where("legacy_mods")).toEqual([
      "config.yaml:55 assets.pipelines.orders.save_to_s3",
      "config.yaml:78 assets.pipelines.customers.environments.dev.save_to_s3",
    ]);
    expect(out.get("legacy_mods")?.converted[0]).toMatch(
      /-> true in staging, prod \(written as environments\.staging\.save_to_s3, environments\.prod\.save_to_s3\): .*the load reads the staged Parquet through Trino.* In the old system the extract wrote no Parquet there; the transfer wrote its output to S3 regardless \(it ignored save_to_s3\), and the load read that\.$/,
    );
    const pipelines = (id: string) =>
      (
        parse(out.get(id)?.config ?? "") as {
          tenant: {
            assets: {
              pipelines: Record<
                string,
                { save_to_s3: boolean; environments?: Record<string, { save_to_s3?: boolean }> }
              >;
            };
          };
        }
      ).tenant.assets.pipelines;
    const effective = (id: string, name: string) =>
      ENVS.map((e) => {
        const p = pipelines(id)[name];
        return p?.environments?.[e]?.save_to_s3 ?? p?.save_to_s3;
      });
    expect(effective("legacy_aps", "cfg_item_master")).toEqual([true, true, true]);
    // A transfer reads the extract from the run's scratch space: false stays.
    expect(effective("legacy_aps", "lot_history")).toEqual([false, false, true]);
    expect(effective("legacy_mods", "orders")).toEqual([false, true, true]);
    expect(effective("legacy_mods", "customers")).toEqual([true, true, true]);
    expect(effective("legacy_mods", "returns")).toEqual([false, false, false]);
    expect(out.get("legacy_aps")?.kept).toBe(true);
    expect(out.get("legacy_mods")?.kept).toBe(true);
    expect(out.get("legacy_com")?.kept).toBe(false);
    expect(out.get("legacy_aps")?.config).toContain(
      "        # migrate: false in the old config; true because Trino reads these files from S3 in dev,\n        # staging (MIGRATION.md)\n        save_to_s3: true\n",
    );
  });

  it("per-pipeline jobs gain exactly the transfer and load of the pipeline they are named after", () => {
    for (const f of FIXTURES) {
      const expected = expectedOf(f.id);
      for (const env of ENVS) {
        for (const [job, spec] of Object.entries(expected[env].jobs)) {
          const pipeline = Object.hasOwn(NAMED_PIPELINE, job) ? NAMED_PIPELINE[job] : undefined;
          const allowed =
            pipeline === undefined
              ? []
              : [`${f.id}/transfer/${pipeline}`, `${f.id}/load/${pipeline}`];
          expect(
            spec.fixed.filter((k) => !allowed.includes(k)),
            `${f.id} ${env} ${job}`,
          ).toEqual([]);
        }
      }
    }
  });
});

describe("what is not an old tenant, or cannot go where asked", () => {
  const cases: { name: string; from: string; id?: string; message: RegExp }[] = [
    {
      name: "a path that does not exist",
      from: path.join(LEGACY_TENANTS, "nope"),
      message: /nope does not exist/,
    },
    {
      name: "a folder without config.yaml",
      from: path.join(LEGACY_TENANTS, "legacy_aps", "assets"),
      message: /is not a tenant folder of the Dagster system: it has no config\.yaml/,
    },
    {
      name: "a tenant of this tool",
      from: path.join(REPO, "tenants", "project_01"),
      message: /is already a tenant of this tool \(it has transforms\/\*\.ts\)/,
    },
    {
      name: "a file that is not a legacy tenant file",
      from: path.join(LEGACY_TENANTS, "legacy_aps", "__init__.py"),
      message: /is a file, but not a legacy single-file tenant/,
    },
    {
      name: "an invalid new id",
      from: path.join(LEGACY_TENANTS, "legacy_com"),
      id: "Bad-Id",
      message: /tenant id "Bad-Id" is not a valid id/,
    },
    {
      name: "the reserved id all",
      from: path.join(LEGACY_TENANTS, "legacy_com"),
      id: "all",
      message: /tenant id "all" is reserved/,
    },
    {
      name: "an id of an existing, different tenant",
      from: path.join(LEGACY_TENANTS, "legacy_com"),
      id: "project_01",
      message:
        /tenants\/project_01\/config\.yaml exists with other content than this migration writes/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, writing nothing`, async () => {
      const root = copyRepoInputs();
      const before = snapshot(path.join(root, "tenants"));
      const r = await migrate({
        from: c.from,
        root,
        dbt: null,
        ...(c.id === undefined ? {} : { id: c.id }),
      });
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : formatProblems(r.problems)).toMatch(c.message);
      expect(snapshot(path.join(root, "tenants"))).toEqual(before);
    });
  }

  it("refuses a config the old loader refused too, naming each problem", async () => {
    const root = copyRepoInputs();
    const dir = path.join(root, "old", "etl", "tenants", "broken");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "config.yaml"),
      "tenant:\n  id: Broken\n  name: x\n  source_database: {database: d}\n  storage: {}\n  tags: {tier: 3}\n",
    );
    const r = await migrate({ from: dir, display: "old/etl/tenants/broken", root, dbt: null });
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : formatProblems(r.problems)).toBe(
      [
        "old/etl/tenants/broken/config.yaml:2:7 tenant.id: Tenant ID must be lowercase alphanumeric starting with a letter (tenant.id); the old loader refused this too and skipped the tenant with a warning",
        "    fix: fix the value in the old config, then migrate again",
        "old/etl/tenants/broken/config.yaml:4:20 tenant.source_database.username: Invalid input: expected string, received undefined (tenant.source_database.username); the old loader refused this too and skipped the tenant with a warning",
        "    fix: fix the value in the old config, then migrate again",
        "old/etl/tenants/broken/config.yaml:5:12 tenant.storage.base_path: Invalid input: expected string, received undefined (tenant.storage.base_path); the old loader refused this too and skipped the tenant with a warning",
        "    fix: fix the value in the old config, then migrate again",
        "old/etl/tenants/broken/config.yaml:6:16 tenant.tags.tier: Invalid input: expected string, received number (tenant.tags.tier); the old loader refused this too and skipped the tenant with a warning",
        "    fix: fix the value in the old config, then migrate again",
        "",
        "4 problems found; nothing was written.",
        "",
      ].join("\n"),
    );
  });

  it("says when a legacy single file was shadowed by a folder in the old loader", async () => {
    const root = copyRepoInputs();
    const old = path.join(root, "old", "etl", "tenants");
    const { cpSync } = await import("node:fs");
    cpSync(path.join(LEGACY_TENANTS, "legacy_com"), path.join(old, "legacy_com"), {
      recursive: true,
    });
    cpSync(
      path.join(LEGACY_TENANTS, "legacy_com", "config.yaml"),
      path.join(old, "tenant_legacy_com.yaml"),
    );
    const r = await migrate({ from: path.join(old, "tenant_legacy_com.yaml"), root, dbt: null });
    expect(r.ok ? r.report.todo.map((t) => `${t.where}: ${t.text}`) : []).toContain(
      "tenant_legacy_com.yaml: the old loader never used this file: the folder etl/tenants/legacy_com/ beside it has a config.yaml and shadowed it; migrate that folder instead, unless this file is what you mean",
    );
  });

  it("refuses to migrate tenants/<id>/ onto itself, and says how to proceed", async () => {
    const root = copyRepoInputs();
    const { cpSync } = await import("node:fs");
    cpSync(path.join(LEGACY_TENANTS, "legacy_com"), path.join(root, "tenants", "legacy_com"), {
      recursive: true,
    });
    const r = await migrate({ from: path.join(root, "tenants", "legacy_com"), root, dbt: null });
    expect(r.ok ? "" : formatProblems(r.problems)).toMatch(
      /the old folder is tenants\/legacy_com\/ itself, where the migrated tenant goes\n {4}fix: move it out of the repository first \(e\.g\. mv tenants\/legacy_com \.\.\/dagster-tenants\/legacy_com\)/,
    );
  });
});

describe("npm run migrate", () => {
  it("migrates from the command line, reports, and says when dbt is not there", () => {
    const root = copyRepoInputs();
    const env = { ...process.env, DBT_BIN: "" };
    const cli = (...args: string[]) =>
      spawnSync("npm", ["run", "-s", "migrate", "--", ...args], {
        cwd: REPO,
        encoding: "utf8",
        env,
      });
    const dry = cli("--from", path.join(LEGACY_TENANTS, "legacy_aps"), "--root", root, "--dry-run");
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      "dry run: would write 14 file(s) under tenants/legacy_aps/ (0 already identical); nothing was written",
    );
    expect(existsSync(path.join(root, "tenants", "legacy_aps"))).toBe(false);
    const ok = cli("--from", path.join(LEGACY_TENANTS, "legacy_aps"), "--root", root);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      "# Migration of the Dagster tenant legacy_aps (legacy_aps/) to tenants/legacy_aps/",
    );
    expect(ok.stdout).toContain(
      "wrote 14 file(s) under tenants/legacy_aps/; the report is tenants/legacy_aps/MIGRATION.md",
    );
    expect(ok.stdout).toContain(
      "dbt is NOT available here (DBT_BIN is not set), so the dbt manifest was not refreshed",
    );
    expect(ok.stdout).toContain("npm run generate -- --tenant legacy_aps does not pass yet");
    const again = cli("--from", path.join(LEGACY_TENANTS, "legacy_aps"), "--root", root);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(
      "tenants/legacy_aps/ is already this migration (14 files identical): nothing to write",
    );
    const refused = cli("--from", path.join(REPO, "tenants", "default"), "--root", root);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/is already a tenant of this tool[\s\S]*nothing was written\./);
    const usage = cli("--root", root);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("error: --from is required");
  }, 120_000);
});
