/**
 * Negative fixtures: each folder under fixtures/invalid/ is a repository root whose tenants are
 * wrong in one way; the exact report (file:line:col, YAML path, expectation, fix) is pinned.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../src/generate.js";
import { formatProblems } from "../src/problems.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "invalid");

function report(name: string): string {
  const result = generate({ root: path.join(FIXTURES, name) });
  if (result.ok) {
    throw new Error(`fixture ${name} generated without problems`);
  }
  return formatProblems(result.problems);
}

describe("invalid tenants are refused with a pinned message", () => {
  it("bad-env-reference", () => {
    expect(report("bad-env-reference")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:5:11 tenant.source_database.host: "\${ACME-DB-HOST}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*
          fix: write \${NAME} or \${NAME:default}

      1 problem found; nothing was written.
      "
    `);
  });

  it("bad-lookback", () => {
    expect(report("bad-lookback")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:18:21 tenant.assets.pipelines.lot_history.incremental.lookback: lookback "2 hours" is not a duration
          fix: write e.g. "90s", "15m", "2h", "1d" or a number of seconds

      1 problem found; nothing was written.
      "
    `);
  });

  it("bad-output-type", () => {
    expect(report("bad-output-type")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:28:24 tenant.assets.pipelines.items.transfer.output.columns.item_id: output column "item_id" has unsupported type "varchar2"
          fix: use a Trino type: boolean, integer, bigint, double, decimal(p,s), varchar, date, timestamp(6), timestamp(6) with time zone, varbinary, array(T)

      1 problem found; nothing was written.
      "
    `);
  });

  it("parallel-query-without-split", () => {
    expect(report("parallel-query-without-split")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:21:24 tenant.assets.pipelines.recent_lots.extract.parallelism: pipeline "recent_lots" extracts a custom query with extract.parallelism 4, but a query has neither a primary key nor ctid to split on
          fix: add extract.split_column: <an integer column of the query>

      1 problem found; nothing was written.
      "
    `);
  });

  it("bad-tenant-id", () => {
    expect(report("bad-tenant-id")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:2:7 tenant.id: tenant id "Acme-1" is not a valid id: expected lower-case letters, digits and "_", starting with a letter (^[a-z][a-z0-9_]*$)
          fix: rename it, e.g. "acme_1"

      1 problem found; nothing was written.
      "
    `);
  });

  it("builtin-job-with-selection", () => {
    expect(report("builtin-job-with-selection")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:25:18 tenant.jobs.daily_etl.selection: built-in job "daily_etl" has a fixed selection
          fix: remove selection:, or define a job under another name

      1 problem found; nothing was written.
      "
    `);
  });

  it("cron-bad-name", () => {
    expect(report("cron-bad-name")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:26:15 tenant.jobs.daily_etl.schedule.cron: cron "0 2 * * funday": day of week field "funday" has "funday"; expected a number 0-7 or a name (sun, mon, tue, wed, thu, fri, sat)
          fix: write five fields, e.g. "0 2 * * *" (02:00 every day)

      1 problem found; nothing was written.
      "
    `);
  });

  it("cron-bad-step", () => {
    expect(report("cron-bad-step")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:26:15 tenant.jobs.daily_etl.schedule.cron: cron "*/0 2 * * *": minute field "*/0" has step "0"; expected a positive integer
          fix: write five fields, e.g. "0 2 * * *" (02:00 every day)

      1 problem found; nothing was written.
      "
    `);
  });

  it("cron-out-of-range", () => {
    expect(report("cron-out-of-range")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:26:15 tenant.jobs.daily_etl.schedule.cron: cron "0 25 * * *": hour field "25" has "25"; expected a number 0-23
          fix: write five fields, e.g. "0 2 * * *" (02:00 every day)

      1 problem found; nothing was written.
      "
    `);
  });

  it("cron-wrong-field-count", () => {
    expect(report("cron-wrong-field-count")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:26:15 tenant.jobs.daily_etl.schedule.cron: cron "0 2 * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"
          fix: write five fields, e.g. "0 2 * * *" (02:00 every day)

      1 problem found; nothing was written.
      "
    `);
  });

  it("duplicate-key-column", () => {
    expect(report("duplicate-key-column")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:19:49 tenant.assets.pipelines.lot_history.trino_output.key_columns.2: key column "lot_id" is listed twice
          fix: list each key column once

      1 problem found; nothing was written.
      "
    `);
  });

  it("duplicate-pipeline", () => {
    expect(report("duplicate-pipeline")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:20:7 tenant.assets.pipelines.lot_history: duplicate pipeline name "lot_history": a pipeline is defined twice
          fix: rename one of the pipelines or merge the two definitions

      1 problem found; nothing was written.
      "
    `);
  });

  it("enum-typo-write-mode", () => {
    expect(report("enum-typo-write-mode")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:20:23 tenant.assets.pipelines.lot_history.trino_output.write_mode: expected one of "merge", "replace_partition", "append", "full_refresh", got the string "upsert"
          fix: use one of "merge", "replace_partition", "append", "full_refresh"

      1 problem found; nothing was written.
      "
    `);
  });

  it("has-dbt-without-dbt", () => {
    expect(report("has-dbt-without-dbt")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:22:28 tenant.assets.pipelines.items.has_dbt_transform: pipeline "items" has has_dbt_transform: true but dbt is not enabled for the tenant
          fix: set dbt: {enabled: true} or remove has_dbt_transform

      1 problem found; nothing was written.
      "
    `);
  });

  it("has-transfer-without-block", () => {
    expect(report("has-transfer-without-block")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:22:23 tenant.assets.pipelines.items.has_transfer: pipeline "items" has has_transfer: true but no transfer: block
          fix: add transfer: {module: <file in transforms/>, export: <function>, output: {columns: {name: trino_type}}}

      1 problem found; nothing was written.
      "
    `);
  });

  it("hostile-source-table", () => {
    expect(report("hostile-source-table")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:21:23 tenant.assets.pipelines.items.source_table: source_table "items\\u0000; DROP TABLE x" is not a PostgreSQL identifier: it contains a NUL character, which PostgreSQL identifiers cannot hold
          fix: write the name exactly as the database holds it (case, spaces and punctuation are kept), or use query: for an expression

      1 problem found; nothing was written.
      "
    `);
  });

  it("id-folder-mismatch", () => {
    expect(report("id-folder-mismatch")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:2:7 tenant.id: tenant id "acme_corp" does not match its folder tenants/acme/
          fix: set id: "acme" or rename the folder to tenants/acme_corp/

      1 problem found; nothing was written.
      "
    `);
  });

  it("invalid-timezone", () => {
    expect(report("invalid-timezone")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:27:19 tenant.jobs.daily_etl.schedule.timezone: unknown time zone "Asia/Seol"
          fix: did you mean "Asia/Seoul"? (an IANA zone name such as "Asia/Seoul" or "UTC")

      1 problem found; nothing was written.
      "
    `);
  });

  it("merge-without-keys", () => {
    expect(report("merge-without-keys")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:20:23 tenant.assets.pipelines.lot_history.trino_output.write_mode: write_mode merge needs key_columns (besides the tenant column)
          fix: add key_columns or choose replace_partition / full_refresh / append

      1 problem found; nothing was written.
      "
    `);
  });

  it("missing-required-key", () => {
    expect(report("missing-required-key")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:5:5 tenant.source_database.database: missing required key "database"
          fix: add database: under tenant.source_database

      1 problem found; nothing was written.
      "
    `);
  });

  it("missing-tenant-root", () => {
    expect(report("missing-tenant-root")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:1:1 acme: unknown key "acme"; expected one of: tenant
          fix: remove "acme"
      tenants/acme/config.yaml:1:1 tenant: missing required key "tenant" (a mapping (key: value lines))
          fix: add tenant: under the top level

      2 problems found; nothing was written.
      "
    `);
  });

  it("query-and-table", () => {
    expect(report("query-and-table")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:22:16 tenant.assets.pipelines.items.query: pipeline "items" has both source_table and query
          fix: keep one: query replaces source_table
      tenants/acme/config.yaml:22:16 tenant.assets.pipelines.items.query: query ends with a semicolon; the runtime wraps it as a subquery
          fix: remove the trailing ;

      2 problems found; nothing was written.
      "
    `);
  });

  it("removed-use-custom-code", () => {
    expect(report("removed-use-custom-code")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:4:3 tenant.use_custom_code: unknown key "use_custom_code"; expected one of: alerts, allowed_env, assets, dbt, enabled, environments, id, jobs, lineage, maintenance, name, partitions, preset, source_database, storage, tags, target_database, target_naming, unmapped_types
          fix: remove it: each pipeline with has_transfer names its transform explicitly with transfer: {module, export, output}

      1 problem found; nothing was written.
      "
    `);
  });

  it("replace-partition-unpartitioned", () => {
    expect(report("replace-partition-unpartitioned")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:25:23 tenant.assets.pipelines.items.trino_output.write_mode: write_mode replace_partition needs a partitioned pipeline, and "items" has no date_column
          fix: use full_refresh or merge, or add date_column

      1 problem found; nothing was written.
      "
    `);
  });

  it("reserved-target-table", () => {
    expect(report("reserved-target-table")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:18:25 tenant.assets.pipelines.lot_history.trino_output.target_table: target_table "select" is a reserved word in Trino SQL
          fix: use another name, e.g. "select_"

      1 problem found; nothing was written.
      "
    `);
  });

  it("reserved-tenant-id", () => {
    expect(report("reserved-tenant-id")).toMatchInlineSnapshot(`
      "tenants/all/config.yaml:2:7 tenant.id: tenant id "all" is reserved (generated/all/ serves every tenant)
          fix: choose another id

      1 problem found; nothing was written.
      "
    `);
  });

  it("save-to-trino-without-output", () => {
    expect(report("save-to-trino-without-output")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:22:24 tenant.assets.pipelines.items.save_to_trino: pipeline "items" saves to Trino (in dev, staging, prod) but has no trino_output
          fix: add trino_output: {target_table, target_schema, key_columns}

      1 problem found; nothing was written.
      "
    `);
  });

  it("kubernetes-name-collision", () => {
    expect(report("kubernetes-name-collision")).toMatchInlineSnapshot(`
      "tenants/acme_lot/config.yaml tenant.id: tenants acme and acme_lot both deploy Kubernetes objects named "etl-acme-lot-daily-etl" (names join the tenant id and the job name, "_" becoming "-"); one tenant's objects would replace the other's in a shared namespace
          fix: rename a job of acme_lot or of acme so that "etl-<tenant>-<job>" differs

      1 problem found; nothing was written.
      "
    `);
  });

  it("storage-collision", () => {
    expect(report("storage-collision")).toMatchInlineSnapshot(`
      "tenants/beta/config.yaml tenant.storage.base_path: tenants acme and beta share the same storage bucket and base_path; their files would overwrite each other
          fix: use base_path: "project_id=beta"

      1 problem found; nothing was written.
      "
    `);
  });

  it("transfer-input-unknown", () => {
    expect(report("transfer-input-unknown")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:23:27 tenant.assets.pipelines.items.transfer_inputs.0: transfer_inputs entry "lot_histroy" names no pipeline of tenant acme
          fix: did you mean "lot_history"?

      1 problem found; nothing was written.
      "
    `);
  });

  it("transform-module-missing", () => {
    expect(report("transform-module-missing")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:24:19 tenant.assets.pipelines.items.transfer.module: transform module "item" not found: expected tenants/acme/transforms/item.ts
          fix: create tenants/acme/transforms/item.ts

      1 problem found; nothing was written.
      "
    `);
  });

  it("unknown-check-type", () => {
    expect(report("unknown-check-type")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:24:21 tenant.assets.pipelines.items.checks.0.type: unknown or missing check type, got the string "not_empty"
          fix: use type: not_null | unique | accepted_values | range | regex | row_count

      1 problem found; nothing was written.
      "
    `);
  });

  it("unknown-environment-override", () => {
    expect(report("unknown-environment-override")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:23:11 tenant.assets.pipelines.items.environments.qa: unknown key "qa"; expected one of: dev, prod, staging
          fix: remove "qa"

      1 problem found; nothing was written.
      "
    `);
  });

  it("unknown-key-typo", () => {
    expect(report("unknown-key-typo")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:15:9 tenant.assets.pipelines.lot_history.date_colum: unknown key "date_colum"; expected one of: checks, date_column, dbt_transform, environments, extract, freshness, has_dbt_transform, has_transfer, incremental, query, save_to_s3, save_to_trino, source_table, target_naming, transfer, transfer_inputs, trino_output, unmapped_types
          fix: did you mean "date_column"? rename the key

      1 problem found; nothing was written.
      "
    `);
  });

  it("unknown-top-level-key", () => {
    expect(report("unknown-top-level-key")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:4:3 tenant.owner: unknown key "owner"; expected one of: alerts, allowed_env, assets, dbt, enabled, environments, id, jobs, lineage, maintenance, name, partitions, preset, source_database, storage, tags, target_database, target_naming, unmapped_types
          fix: remove "owner"

      1 problem found; nothing was written.
      "
    `);
  });

  it("user-job-matches-nothing", () => {
    expect(report("user-job-matches-nothing")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:25:19 tenant.jobs.nightly.selection.0: selection "acme/load/items" of job "nightly" matches no asset in any environment
          fix: asset keys look like acme/extract/<pipeline>; "*" matches within a segment, "**" across segments

      1 problem found; nothing was written.
      "
    `);
  });

  it("preset-job-without-preset", () => {
    expect(report("preset-job-without-preset")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:23:5 tenant.jobs.wip_pipeline: job "wip_pipeline" is a job of the aps preset, which tenant acme does not use, and has no selection
          fix: add preset: aps to the tenant (docs/config-reference.md#presets), or add selection: [asset key globs]

      1 problem found; nothing was written.
      "
    `);
  });

  it("preset-transform-missing", () => {
    expect(report("preset-transform-missing")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:6:11 tenant.preset: pipeline "equipment_event" of the aps preset: transform module "equipment_utilization" not found: expected tenants/acme/transforms/equipment_utilization.ts
          fix: create tenants/acme/transforms/equipment_utilization.ts
      tenants/acme/config.yaml:6:11 tenant.preset: pipeline "process_result" of the aps preset: transform module "cycle_time" not found: expected tenants/acme/transforms/cycle_time.ts
          fix: create tenants/acme/transforms/cycle_time.ts

      2 problems found; nothing was written.
      "
    `);
  });

  it("unknown-preset", () => {
    expect(report("unknown-preset")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:4:11 tenant.preset: expected "aps", got the string "apss"
          fix: did you mean "aps"?

      1 problem found; nothing was written.
      "
    `);
  });

  it("user-job-without-selection", () => {
    expect(report("user-job-without-selection")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:24:5 tenant.jobs.daily_etll: job "daily_etll" is not a built-in job (daily_etl, master_sync, dbt_transform, maintenance) and has no selection
          fix: did you mean the built-in job "daily_etl"? otherwise add selection: [asset key globs]

      1 problem found; nothing was written.
      "
    `);
  });

  it("wrong-type-boolean", () => {
    expect(report("wrong-type-boolean")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:22:24 tenant.assets.pipelines.items.save_to_trino: expected true or false, got the string "no"
          fix: write true or false without quotes

      1 problem found; nothing was written.
      "
    `);
  });

  it("wrong-type-list", () => {
    expect(report("wrong-type-list")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:19:24 tenant.assets.pipelines.lot_history.trino_output.key_columns: expected a list, got the string "project_id, lot_id"
          fix: write a YAML list, e.g. ["a", "b"]

      1 problem found; nothing was written.
      "
    `);
  });

  it("operations-config", () => {
    expect(report("operations-config")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:21:20 tenant.assets.pipelines.lot_history.freshness.max_lag: "26 hours" is not a duration: expected a whole number with a unit (s, m, h, d or w), e.g. "90s", "26h", "7d", or a number of seconds
          fix: write e.g. "26h" (a daily load plus its slack)
      tenants/acme/config.yaml:25:21 tenant.assets.pipelines.items.freshness.deadline: cron "0 9 * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"
          fix: write five fields, e.g. "0 2 * * *" (02:00 every day)
      tenants/acme/config.yaml:28:7 tenant.dbt.freshness.stg_items: freshness names "stg_items", which is no dbt model, seed or snapshot of tenant acme
          fix: dbt assets are: none
      tenants/acme/config.yaml:33:14 tenant.alerts.webhooks.0.url: the url of webhook ops is written out; it usually carries a token, and the plan (generated/) must hold no secret
          fix: read it from the environment: "\${ACME_ALERT_WEBHOOK_URL}"
      tenants/acme/config.yaml:34:15 tenant.alerts.webhooks.1.name: two webhooks are named "ops"
          fix: give each webhook its own name
      tenants/acme/config.yaml:35:14 tenant.alerts.webhooks.1.url: \${OTHER_TEAM_WEBHOOK} is neither one of tenant acme's own ACME_* variables nor a shared one
          fix: rename it ACME_..., or list it under allowed_env: [OTHER_TEAM_WEBHOOK] (the package README shows it)
      tenants/acme/config.yaml:37:25 tenant.maintenance.snapshot_retention: snapshot_retention "1d" is shorter than Trino's safety minimum (7d, the default of iceberg.expire-snapshots.min-retention and iceberg.remove-orphan-files.min-retention): a shorter one could remove files a running load or a reader still needs
          fix: write "7d" or longer

      7 problems found; nothing was written.
      "
    `);
  });

  it("yaml-syntax-error", () => {
    expect(report("yaml-syntax-error")).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:3:14 tenant.name: YAML syntax error: Missing closing "quote
          fix: fix the YAML syntax (indentation, quotes, colons)

      1 problem found; nothing was written.
      "
    `);
  });
});
