/**
 * Where and how a pipeline loads into Trino: the target table, its key columns (target names),
 * the tenant column the loader fills, and the write mode (defaulted from keys and partitions).
 */
import { parseConfigValue } from "@etl/runtime/contract";
import { type PipelinePlan, TRANSFER_DATE_COLUMN, type WriteMode } from "@etl/runtime/plan";
import type { PipelineConfig } from "../../config/schema.js";
import { suggest } from "../../problems.js";
import { checkTrinoName } from "../translate.js";
import type { TransformModel } from "../types.js";
import { derivedFrom, outputColumns, type PipelineScope, targetColumn } from "./scope.js";

type TrinoOutputConfig = NonNullable<PipelineConfig["trino_output"]>;

/** The pipeline's Trino output, or null when it has none; every problem of its keys is reported. */
export function pipelineTrinoOutput(
  scope: PipelineScope,
  transform: TransformModel | null,
  dateColumn: string | null,
): PipelinePlan["trinoOutput"] {
  const { ctx, config, at } = scope;
  const output = config.trino_output ?? null;
  if (output === null) {
    return null;
  }
  const outputAt = (...path: (string | number)[]) => at("trino_output", ...path);
  ctx.checkName(outputAt("target_table"), checkTrinoName("target_table", output.target_table));
  ctx.checkName(outputAt("target_schema"), checkTrinoName("target_schema", output.target_schema));
  ctx.checkName(outputAt("tenant_column"), checkTrinoName("tenant_column", output.tenant_column));
  const keys = keyColumns(scope, output, transform);
  const available = outputColumns(scope, transform);
  if (available?.has(output.tenant_column)) {
    ctx.report(
      outputAt("tenant_column"),
      `tenant column "${output.tenant_column}" is also an output column of pipeline "${scope.name}"${derivedFrom(scope, output.tenant_column, transform)}; the loader fills it with the tenant id`,
      "drop that column from the output or set trino_output.tenant_column to another name",
    );
  }
  if (transform !== null && dateColumn !== null) {
    checkPartitionColumn(scope, transform);
  }
  const catalog = ctx.config.target_database.target_catalog;
  const parsedCatalog = parseConfigValue(catalog);
  return {
    // A malformed reference was reported with the resources; the text stands in for it.
    catalog: parsedCatalog.ok ? parsedCatalog.value : catalog,
    schema: output.target_schema,
    table: output.target_table,
    keyColumns: keys,
    writeMode: writeMode(scope, output, dateColumn),
    tenantColumn: output.tenant_column,
  };
}

/**
 * The merge key as target names. Transform outputs and the tenant column are names the config
 * chose; source columns may be named by their source or target name and are keyed by the target.
 */
function keyColumns(
  scope: PipelineScope,
  output: TrinoOutputConfig,
  transform: TransformModel | null,
): string[] {
  const { ctx, at, name } = scope;
  const available = outputColumns(scope, transform);
  const seen = new Set<string>();
  const keys: string[] = [];
  for (const [i, given] of output.key_columns.entries()) {
    const path = at("trino_output", "key_columns", i);
    const chosen = transform !== null || given === output.tenant_column;
    if (chosen && !ctx.checkName(path, checkTrinoName("key column", given))) {
      continue;
    }
    const key = chosen ? given : targetColumn(scope, path, "key column", given);
    if (key === null && scope.columns === null) {
      continue; // Reported by targetColumn, or unknowable without the snapshot's columns.
    }
    if (
      key === null ||
      (given !== output.tenant_column && available !== null && !available.has(key))
    ) {
      const near = suggest(given, [...(available ?? [])]);
      const from =
        transform !== null ? "transfer.output.columns" : "the source columns (introspection.json)";
      ctx.report(
        path,
        `key column "${given}" is not among ${from} of pipeline "${name}"`,
        near === undefined
          ? `use one of: ${[...(available ?? [])].sort().join(", ")}`
          : `did you mean "${near}"?`,
      );
      continue;
    }
    if (seen.has(key)) {
      ctx.report(path, `key column "${given}" is listed twice`, "list each key column once");
    }
    seen.add(key);
    keys.push(key);
  }
  return keys;
}

/** The load partitions a transform's output by its date column: known now, not after a run. */
function checkPartitionColumn(scope: PipelineScope, transform: TransformModel): void {
  const partition = transform.output.find((c) => c.name === TRANSFER_DATE_COLUMN);
  if (
    partition === undefined ||
    !/^(date|timestamp\(\d\)( with time zone)?)$/.test(partition.type)
  ) {
    scope.ctx.report(
      scope.at("transfer", "output", "columns"),
      `pipeline "${scope.name}" is partitioned and loads its transform's output, which must have a ${TRANSFER_DATE_COLUMN} column of type date or timestamp (the load partitions by it)${partition === undefined ? "" : `; it is ${partition.type}`}`,
      `declare ${TRANSFER_DATE_COLUMN}: date and yield ctx.partitionDate in it`,
    );
  }
}

/** The write mode: as configured, else merge with keys, replace_partition when partitioned, else full_refresh. */
function writeMode(
  scope: PipelineScope,
  output: TrinoOutputConfig,
  dateColumn: string | null,
): WriteMode {
  const defaultMode: WriteMode =
    output.key_columns.length > 0
      ? "merge"
      : dateColumn !== null
        ? "replace_partition"
        : "full_refresh";
  const mode = output.write_mode ?? defaultMode;
  const at = scope.at("trino_output", "write_mode");
  if (
    mode === "merge" &&
    output.key_columns.filter((k) => k !== output.tenant_column).length === 0
  ) {
    scope.ctx.report(
      at,
      "write_mode merge needs key_columns (besides the tenant column)",
      "add key_columns or choose replace_partition / full_refresh / append",
    );
  }
  if (mode === "replace_partition" && dateColumn === null) {
    scope.ctx.report(
      at,
      `write_mode replace_partition needs a partitioned pipeline, and "${scope.name}" has no date_column`,
      "use full_refresh or merge, or add date_column",
    );
  }
  return mode;
}
