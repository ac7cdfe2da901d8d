import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dbtAssets, readManifest } from "../../src/dbt/index.js";
import { largeManifest, syntheticManifest } from "./synthetic.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const sharedDir = process.env.ETL_SHARED_DIR ?? path.resolve(repoRoot, "..", "shared");
const manifestsDir = path.join(sharedDir, "fixtures", "dbt-manifests");

/**
 * Per fixture, from shared/fixtures/README.md (counts of enabled nodes, made by whoever collected
 * the fixtures): assets = models minus ephemeral, plus seeds and snapshots.
 */
const EXPECTED: Record<
  string,
  { version: number; assets: number; tests: number; sources: number }
> = {
  "dbt-labs__dbt-core__v12.json": { version: 12, assets: 2 + 1 + 1, tests: 3, sources: 1 },
  "OpenLineage__OpenLineage__v12.json": { version: 12, assets: 15 - 1 + 3, tests: 101, sources: 3 },
  "yu-iskw__dbt-artifacts-parser__v11.json": { version: 11, assets: 35 + 3, tests: 20, sources: 0 },
  "astronomer__astronomer-cosmos__v10.json": { version: 10, assets: 7 + 3, tests: 24, sources: 0 },
};

function parse(file: string, value: unknown) {
  const r = readManifest(file, JSON.stringify(value));
  if (!r.ok) {
    throw new Error(`unexpected problems: ${JSON.stringify(r.problems)}`);
  }
  return r.manifest;
}

describe("real manifests", () => {
  it("finds the shared fixtures", () => {
    expect(existsSync(manifestsDir), `fixtures expected at ${manifestsDir}`).toBe(true);
    expect(
      readdirSync(manifestsDir)
        .filter((f) => f.endsWith(".json"))
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: one asset per enabled non-ephemeral model, seed and snapshot, manifest edges, tests as checks`, () => {
      const text = readFileSync(path.join(manifestsDir, file), "utf8");
      const r = readManifest(`fixtures/${file}`, text);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.manifest.schemaVersion).toBe(expected.version);
      const result = dbtAssets({
        tenantId: "acme",
        manifest: r.manifest,
        manifestPath: `fixtures/${file}`,
        pipelines: [],
        externalSources: "all",
      });
      expect(result.problems).toEqual([]);
      expect(result.assets).toHaveLength(expected.assets);
      expect(result.sources).toHaveLength(expected.sources);
      expect(new Set(result.assets.map((a) => a.key)).size).toBe(expected.assets);

      // Edges checked against the manifest's own parent_map, read without our schema.
      const raw = JSON.parse(text) as {
        nodes: Record<string, { resource_type: string; config: { materialized?: string } }>;
        parent_map: Record<string, string[]>;
      };
      const keyById = new Map(result.assets.map((a) => [a.dbt?.uniqueId ?? "", a.key]));
      for (const asset of result.assets) {
        const id = asset.dbt?.uniqueId ?? "";
        const parents = raw.parent_map[id] ?? [];
        const expectedDeps = parents
          .filter((p) => !p.startsWith("source."))
          .map((p) => {
            const key = keyById.get(p);
            expect(key, `${id} depends on ${p}, which must be an asset`).toBeDefined();
            return key;
          })
          .sort();
        expect(asset.deps, id).toEqual(expectedDeps);
        expect(asset.stage).toBe("dbt");
        expect(asset.key.startsWith("acme/dbt/")).toBe(true);
      }

      // Every test is a check of an asset it tests, or listed as unattached (source tests).
      const testIds = new Set<string>();
      for (const asset of result.assets) {
        for (const t of asset.dbt?.tests ?? []) {
          testIds.add(t.uniqueId);
          const parents = raw.parent_map[t.uniqueId] ?? [];
          expect(parents).toContain(asset.dbt?.uniqueId);
        }
      }
      for (const t of result.unattachedTests) {
        expect(testIds.has(t.uniqueId)).toBe(false);
        testIds.add(t.uniqueId);
      }
      expect(testIds.size).toBe(expected.tests);
    });
  }

  it("keeps versioned models apart and leaves disabled nodes out", () => {
    const cosmos = readManifest(
      "cosmos.json",
      readFileSync(path.join(manifestsDir, "astronomer__astronomer-cosmos__v10.json"), "utf8"),
    );
    const core = readManifest(
      "core.json",
      readFileSync(path.join(manifestsDir, "dbt-labs__dbt-core__v12.json"), "utf8"),
    );
    if (!cosmos.ok || !core.ok) throw new Error("fixtures must load");
    const a = dbtAssets({
      tenantId: "t",
      manifest: cosmos.manifest,
      manifestPath: "cosmos.json",
      pipelines: [],
      externalSources: [],
    });
    const byKey = new Map(a.assets.map((x) => [x.key, x]));
    expect(byKey.get("t/dbt/customers_v1")?.dbt?.uniqueId).toBe("model.jaffle_shop.customers.v1");
    expect(byKey.get("t/dbt/customers_v2")?.dbt?.uniqueId).toBe("model.jaffle_shop.customers.v2");
    expect(byKey.get("t/dbt/customers_v2")?.deps).toEqual([
      "t/dbt/stg_customers_v2",
      "t/dbt/stg_orders_v1",
      "t/dbt/stg_payments",
    ]);
    expect(byKey.get("t/dbt/customers_v1")?.dbt?.selector).toBe("fqn:jaffle_shop.customers.v1");
    const c = dbtAssets({
      tenantId: "t",
      manifest: core.manifest,
      manifestPath: "core.json",
      pipelines: [{ name: "my_table", partitioned: true }],
      externalSources: [],
    });
    expect(c.problems).toEqual([]);
    expect(c.assets.map((x) => x.key)).toEqual([
      "t/dbt/metricflow_time_spine",
      "t/dbt/my_model",
      "t/dbt/my_seed",
      "t/dbt/snapshot_seed",
    ]);
    expect(c.sources).toEqual([
      {
        uniqueId: "source.test.my_source.my_table",
        name: "my_source.my_table",
        assetKey: "t/extract/my_table",
      },
    ]);
  });
});

describe("schema versions", () => {
  for (const v of [7, 8, 9, 10, 11, 12]) {
    it(`accepts v${v}`, () => {
      const r = readManifest("m.json", JSON.stringify(syntheticManifest(v, [{ id: "model.p.a" }])));
      expect(r.ok).toBe(true);
    });
  }
  for (const v of [5, 13]) {
    it(`refuses v${v} with one exact message`, () => {
      const r = readManifest(
        "tenants/x/dbt/target/manifest.json",
        JSON.stringify(syntheticManifest(v, [{ id: "model.p.a" }])),
      );
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems.map((p) => p.message)).toEqual([
        `expected one of v7..v12 in tenants/x/dbt/target/manifest.json, found v${v}`,
      ]);
      expect(r.problems[0]?.path).toBe("metadata.dbt_schema_version");
    });
  }
  it("refuses a file that is not JSON and a manifest without a version", () => {
    const notJson = readManifest("m.json", "{ nope");
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.problems[0]?.message).toMatch(/^is not valid JSON: /);
    const noVersion = readManifest("m.json", JSON.stringify({ metadata: {}, nodes: {} }));
    expect(noVersion.ok).toBe(false);
    if (!noVersion.ok)
      expect(noVersion.problems[0]?.message).toBe(
        "expected one of v7..v12 in m.json, found no version",
      );
  });
  it("names the path of a malformed node", () => {
    const m = syntheticManifest(12, [{ id: "model.p.a" }]);
    (m.nodes as Record<string, Record<string, unknown>>)["model.p.a"] = { unique_id: "model.p.a" };
    const r = readManifest("m.json", JSON.stringify(m));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toContain('nodes["model.p.a"].name');
  });
});

describe("lineage and names", () => {
  it("carries an ephemeral model's parents through to its dependents and skips disabled nodes", () => {
    const manifest = parse(
      "m.json",
      syntheticManifest(
        12,
        [
          { id: "model.p.stg", deps: ["source.p.raw.orders"] },
          { id: "model.p.eph", materialized: "ephemeral", deps: ["model.p.stg", "seed.p.codes"] },
          { id: "model.p.eph2", materialized: "ephemeral", deps: ["model.p.eph"] },
          { id: "model.p.final", materialized: "table", deps: ["model.p.eph2"] },
          { id: "model.p.off", enabled: false, deps: ["model.p.stg"] },
          { id: "seed.p.codes" },
          { id: "test.p.not_null_final_id", deps: ["model.p.final"], attached: "model.p.final" },
          { id: "test.p.singular_two", deps: ["model.p.stg", "model.p.final"] },
          { id: "test.p.on_eph", deps: ["model.p.eph"] },
        ],
        [{ source: "raw", table: "orders" }],
      ),
    );
    const r = dbtAssets({
      tenantId: "t1",
      manifest,
      manifestPath: "m.json",
      pipelines: [{ name: "orders", partitioned: true }],
      externalSources: [],
    });
    expect(r.problems).toEqual([]);
    expect(r.assets.map((a) => [a.key, a.deps, a.partitioned])).toEqual([
      ["t1/dbt/codes", [], false],
      ["t1/dbt/final", ["t1/dbt/codes", "t1/dbt/stg"], true],
      ["t1/dbt/stg", ["t1/extract/orders"], true],
    ]);
    const final = r.assets.find((a) => a.key === "t1/dbt/final");
    expect(final?.dbt?.tests.map((t) => t.uniqueId)).toEqual([
      "test.p.not_null_final_id",
      "test.p.singular_two",
    ]);
    const stg = r.assets.find((a) => a.key === "t1/dbt/stg");
    expect(stg?.dbt?.tests.map((t) => t.uniqueId)).toEqual(["test.p.singular_two"]);
    expect(r.unattachedTests.map((t) => t.uniqueId)).toEqual(["test.p.on_eph"]);
  });

  it("lists every unmatched source in one error, and accepts external ones", () => {
    const manifest = parse(
      "tenants/t/dbt/target/manifest.json",
      syntheticManifest(
        12,
        [{ id: "model.p.a", deps: ["source.p.erp.items", "source.p.crm.people"] }],
        [
          { source: "erp", table: "items" },
          { source: "crm", table: "people" },
          { source: "erp", table: "orders" },
          { source: "old", table: "gone", enabled: false },
        ],
      ),
    );
    const base = { tenantId: "t", manifest, manifestPath: "tenants/t/dbt/target/manifest.json" };
    const bad = dbtAssets({
      ...base,
      pipelines: [{ name: "orders", partitioned: false }],
      externalSources: [],
    });
    expect(bad.problems.map((p) => p.message)).toEqual([
      "2 dbt sources have no pipeline of the same table name in tenant t: crm.people (models/sources.yml), erp.items (models/sources.yml)",
    ]);
    const ok = dbtAssets({
      ...base,
      pipelines: [{ name: "orders", partitioned: false }],
      externalSources: ["crm.people", "items"],
    });
    expect(ok.problems).toEqual([]);
    expect(ok.assets[0]?.deps).toEqual([]);
    const all = dbtAssets({ ...base, pipelines: [], externalSources: "all" });
    expect(all.problems).toEqual([]);
    const stale = dbtAssets({
      ...base,
      pipelines: [],
      externalSources: ["crm.people", "erp.items", "erp.orders", "nope"],
    });
    expect(stale.problems.map((p) => [p.file, p.path, p.message])).toEqual([
      [
        "tenants/t/config.yaml",
        "dbt.external_sources",
        'external source "nope" is not a source of the dbt project (tenants/t/dbt/target/manifest.json)',
      ],
    ]);
  });

  it("reports name clashes naming both origins", () => {
    const manifest = parse(
      "m.json",
      syntheticManifest(12, [
        { id: "model.p.items", file: "models/items.sql" },
        { id: "model.pkg2.items", pkg: "pkg2", file: "models/pkg2_items.sql" },
        {
          id: "model.p.customers.v1",
          name: "customers",
          version: 1,
          file: "models/customers_v1.sql",
        },
        { id: "model.p.customers_v1", file: "models/legacy/customers_v1.sql" },
        { id: "seed.p.lot_history" },
      ]),
    );
    const r = dbtAssets({
      tenantId: "t",
      manifest,
      manifestPath: "m.json",
      pipelines: [{ name: "lot_history", partitioned: true }],
      externalSources: [],
    });
    expect(r.problems.map((p) => p.message)).toEqual([
      'asset name "t/dbt/customers_v1" is claimed by two dbt nodes: model.p.customers.v1 (models/customers_v1.sql) and model.p.customers_v1 (models/legacy/customers_v1.sql)',
      'asset name "t/dbt/items" is claimed by two dbt nodes: model.p.items (models/items.sql) and model.pkg2.items (models/pkg2_items.sql)',
      'dbt seed seed.p.lot_history (seeds/lot_history.csv) has the same name as pipeline "lot_history" (tenants/t/config.yaml assets.pipelines.lot_history)',
    ]);
  });

  it("reports a dependency on a node the manifest does not have", () => {
    const manifest = parse(
      "m.json",
      syntheticManifest(12, [{ id: "model.p.a", deps: ["model.p.ghost"] }]),
    );
    const r = dbtAssets({
      tenantId: "t",
      manifest,
      manifestPath: "m.json",
      pipelines: [],
      externalSources: [],
    });
    expect(r.problems.map((p) => p.message)).toEqual([
      "model.p.a depends on model.p.ghost, which is not an enabled node or source of the manifest",
    ]);
  });

  it("handles a 300-model manifest (timed in bench-manifest.ts)", () => {
    const manifest = parse("big.json", largeManifest(300));
    const r = dbtAssets({
      tenantId: "t",
      manifest,
      manifestPath: "big.json",
      pipelines: [{ name: "events", partitioned: true }],
      externalSources: [],
    });
    expect(r.problems).toEqual([]);
    expect(r.assets.filter((a) => a.dbt?.resourceType === "model")).toHaveLength(300);
    expect(
      r.assets.every((a) => a.dbt?.tests.length === (a.dbt?.resourceType === "model" ? 1 : 0)),
    ).toBe(true);
    expect(r.assets.find((a) => a.key === "t/dbt/m_299")?.deps).toEqual([
      "t/dbt/m_266",
      "t/dbt/m_279",
    ]);
  });

  it("walks a 12,000-model chain and a 12,000-deep ephemeral chain without recursion", () => {
    const n = 12_000;
    const models = Array.from({ length: n }, (_, i) => ({
      id: `model.p.m${i}`,
      deps: [i === 0 ? "model.p.e11999" : `model.p.m${i - 1}`],
    }));
    const ephemeral = Array.from({ length: n }, (_, i) => ({
      id: `model.p.e${i}`,
      materialized: "ephemeral",
      deps: [i === 0 ? "source.p.raw.events" : `model.p.e${i - 1}`],
    }));
    const manifest = parse(
      "chain.json",
      syntheticManifest(12, [...models, ...ephemeral], [{ source: "raw", table: "events" }]),
    );
    const r = dbtAssets({
      tenantId: "t",
      manifest,
      manifestPath: "chain.json",
      pipelines: [{ name: "events", partitioned: true }],
      externalSources: [],
    });
    expect(r.problems).toEqual([]);
    expect(r.assets).toHaveLength(n);
    // The first model reads the source through all ephemeral models; the partition flows down.
    expect(r.assets.find((a) => a.key === "t/dbt/m0")?.deps).toEqual(["t/extract/events"]);
    expect(r.assets.find((a) => a.key === "t/dbt/m11999")?.deps).toEqual(["t/dbt/m11998"]);
    expect(r.assets.every((a) => a.partitioned)).toBe(true);
  });
});
