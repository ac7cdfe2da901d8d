/**
 * save_to_s3: false of an old pipeline, migrated: true where the generator's rule says Trino reads
 * the files from S3 (written where the old config said false, or as an override), false elsewhere.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { convertTenant } from "./convert.js";
import { parseLegacyConfig } from "./legacy-config.js";

const ENVS = ["dev", "staging", "prod"] as const;

const HEAD = `tenant:
  id: acme
  name: Acme
  source_database: {database: src, username: reader}
  storage: {base_path: project_id=acme}
`;

const OUTPUT = "\ntrino_output: {target_table: items, target_schema: aps, key_columns: [item_id]}";

const SOURCES = `version: 2
sources:
  - name: source_db
    schema: public
    tables:
      - name: items
`;

function migrated(pipeline: string, dbt?: ReadonlyMap<string, string>) {
  const text = `${HEAD}${dbt === undefined ? "" : "  dbt: {enabled: true}\n"}  assets:
    pipelines:
      items:
        source_table: items
${pipeline
  .split("\n")
  .map((line) => `        ${line}`)
  .join("\n")}
`;
  const parsed = parseLegacyConfig("config.yaml", text);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const conversion = convertTenant(
    {
      source: "acme",
      configFile: "config.yaml",
      config: parsed.config,
      python: new Map(),
      dbt: dbt === undefined ? null : { where: "acme/dbt/", files: dbt },
      dbtMissing: null,
      singleFile: false,
      shadowed: false,
    },
    {},
  );
  const config = parse(conversion.files.get("config.yaml") ?? "") as {
    tenant: {
      assets: {
        pipelines: Record<
          string,
          { save_to_s3: boolean; environments?: Record<string, { save_to_s3?: boolean }> }
        >;
      };
    };
  };
  const items = config.tenant.assets.pipelines.items;
  return {
    effective: Object.fromEntries(
      ENVS.map((e) => [e, items?.environments?.[e]?.save_to_s3 ?? items?.save_to_s3]),
    ),
    base: items?.save_to_s3,
    overrides: items?.environments ?? {},
    converted: conversion.report.converted.filter((c) => c.text.startsWith("save_to_s3: false")),
    kept: conversion.report.decisions.some((d) => d.startsWith("save_to_s3: false is kept")),
    yaml: conversion.files.get("config.yaml") ?? "",
  };
}

describe("save_to_s3: false of an old pipeline", () => {
  it.each([
    // [case, pipeline keys, effective save_to_s3 per env, where the report says it came from]
    [
      "under a load in every environment: the pipeline's value",
      `save_to_s3: false\nsave_to_trino: true${OUTPUT}`,
      { dev: true, staging: true, prod: true },
      "config.yaml:10 tenant.assets.pipelines.items.save_to_s3",
    ],
    [
      "under a load in staging only: an override there",
      `save_to_s3: false${OUTPUT}\nenvironments:\n  staging: {save_to_trino: true}`,
      { dev: false, staging: true, prod: false },
      "config.yaml:10 tenant.assets.pipelines.items.save_to_s3",
    ],
    [
      "in an environment's override, under a load: that override",
      `save_to_trino: true${OUTPUT}\nenvironments:\n  dev: {save_to_s3: false}`,
      { dev: true, staging: true, prod: true },
      "config.yaml:13 tenant.assets.pipelines.items.environments.dev.save_to_s3",
    ],
    [
      "where the load is off (a transfer reads its scratch copy): kept",
      `save_to_s3: false\nhas_transfer: true${OUTPUT}`,
      { dev: false, staging: false, prod: false },
      null,
    ],
    [
      "with save_to_trino but no trino_output (no load in the old graph either): kept",
      "save_to_s3: false\nsave_to_trino: true",
      { dev: false, staging: false, prod: false },
      null,
    ],
  ])("%s", (_, pipeline, effective, where) => {
    const out = migrated(pipeline);
    expect(out.effective).toEqual(effective);
    expect(out.converted.map((c) => c.where)).toEqual(where === null ? [] : [where]);
    expect(out.kept).toBe(Object.values(effective).includes(false));
  });

  it("says why, what the old system did, and marks the line it changed", () => {
    const out = migrated(
      `save_to_s3: false${OUTPUT}\nenvironments:\n  staging: {save_to_trino: true}`,
    );
    expect(out.overrides).toEqual({ staging: { save_to_s3: true, save_to_trino: true } });
    expect(out.base).toBe(false);
    expect(out.converted.map((c) => c.text)).toEqual([
      "save_to_s3: false -> true in staging (written as environments.staging.save_to_s3): there false would keep the stage files only in the run's scratch space, which the generator refuses: pipeline \"items\" has save_to_s3: false and save_to_trino: true, but the load reads the staged Parquet through Trino, which reads it from S3 (save_to_s3: false keeps the files only on the machine of the run) (in staging). So there the extract's files are now written to the tenant's storage, which the old extract skipped. In the old system the extract wrote no Parquet there; the load read the extract's Parquet, and failed: there was none.",
    ]);
    expect(out.yaml).toContain(
      "          staging:\n            # migrate: false in the old config; true because Trino reads these files from S3 here\n            # (MIGRATION.md)\n            save_to_s3: true\n",
    );
  });

  it("is true where a source of the dbt project reads the extract, named from its definitions", () => {
    const dbt = new Map([
      ["dbt_project.yml", "name: acme_dbt\nprofile: acme\n"],
      ["models/_sources.yml", SOURCES],
      ["models/stg_items.sql", "select * from {{ source('source_db', 'items') }}\n"],
    ]);
    const out = migrated("save_to_s3: false\nenvironments:\n  prod: {save_to_s3: true}", dbt);
    expect(out.effective).toEqual({ dev: true, staging: true, prod: true });
    expect(out.kept).toBe(false);
    expect(out.converted.map((c) => c.text)).toEqual([
      expect.stringMatching(
        /^save_to_s3: false -> true in dev, staging \(written as save_to_s3\): .*but dbt model\(s\) over source source_db\.items read its extract through Trino from S3 \(in dev, staging\)\..* The dbt readers come from the project's source definitions \(dbt did not run here\).* dbt never read it: the models read the source table from the tenant's PostgreSQL through the project's own profiles\.yml \(dbt-postgres\)/,
      ),
    ]);
  });
});
