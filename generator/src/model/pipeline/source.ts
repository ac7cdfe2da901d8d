/** Where a pipeline reads: a source table or one custom query, and the column of its daily partitions. */
import type { PipelinePlan } from "@etl/runtime/plan";
import { checkSourceName } from "../translate.js";
import { type PipelineScope, sourceColumn } from "./scope.js";

export type PipelineSource = Pick<PipelinePlan, "sourceTable" | "query" | "dateColumn">;

/** The pipeline's source; a missing or doubled source and a non-temporal date column are reported. */
export function pipelineSource(scope: PipelineScope): PipelineSource {
  const { ctx, name, config, at } = scope;
  if (config.source_table === undefined && config.query === undefined) {
    ctx.report(
      at(),
      `pipeline "${name}" has neither source_table nor query`,
      "add source_table: <table> (or query: SELECT ...)",
      true,
    );
  } else if (config.source_table !== undefined && config.query !== undefined) {
    ctx.report(
      at("query"),
      `pipeline "${name}" has both source_table and query`,
      "keep one: query replaces source_table",
    );
  }
  if (config.source_table !== undefined) {
    ctx.checkName(at("source_table"), checkSourceName("source_table", config.source_table));
  }
  if (config.query !== undefined && /;\s*$/.test(config.query)) {
    ctx.report(
      at("query"),
      "query ends with a semicolon; the runtime wraps it as a subquery",
      "remove the trailing ;",
    );
  }
  return {
    sourceTable: config.query === undefined ? (config.source_table ?? null) : null,
    query: config.query ?? null,
    dateColumn: dateColumn(scope),
  };
}

/** The source column of the daily partitions (a date or timestamp column), or null. */
function dateColumn(scope: PipelineScope): string | null {
  const { ctx, config, at } = scope;
  if (config.date_column === undefined || config.date_column === null) {
    return null;
  }
  const column = sourceColumn(scope, at("date_column"), "date_column", config.date_column);
  const kind = column === null ? undefined : scope.columns?.typeOf(column)?.kind;
  if (column !== null && scope.columns !== null && !isTemporal(kind)) {
    const source = scope.snapshot?.find((c) => c.name === column);
    ctx.report(
      at("date_column"),
      `date_column "${column}" has type ${source?.domainBase ?? source?.pgType}; expected a date or timestamp column`,
      "partition by a date/timestamp column",
    );
  }
  return column;
}

/** Whether a logical type kind is a day or an instant. */
export function isTemporal(kind: string | undefined | null): boolean {
  return kind === "date" || kind === "timestamp" || kind === "timestamptz";
}
