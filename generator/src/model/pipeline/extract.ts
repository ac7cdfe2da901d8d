/**
 * A pipeline's extract settings in the plan. Parallelism and the split column appear only when set,
 * so plans of pipelines that do not use them stay as they were.
 */
import type { PipelinePlan, SourceColumn } from "@etl/runtime/plan";
import { isSplitType, mapColumn } from "@etl/runtime/types";
import type { PipelineConfig } from "../../config/schema.js";
import type { YamlPath } from "../../config/yaml-locate.js";
import type { PipelineScope } from "./scope.js";

type Report = (p: YamlPath, message: string, hint: string) => void;

/**
 * The plan's `extract`, or null after reporting what is wrong: a split column the snapshot does
 * not have or that is not an integer, and a parallel custom query without a split column (a query
 * has neither a primary key nor ctid).
 */
export function extractSettings(
  pname: string,
  pc: PipelineConfig,
  columns: readonly SourceColumn[] | null,
  at: (...rest: (string | number)[]) => YamlPath,
  report: Report,
): PipelinePlan["extract"] | null {
  const config = pc.extract;
  let ok = true;
  const parallelism = config.parallelism ?? 1;
  const split = config.split_column;
  if (split !== undefined && columns !== null) {
    const column = columns.find((c) => c.name === split);
    const mapped = column === undefined ? null : mapColumn(column);
    if (column === undefined) {
      report(
        at("extract", "split_column"),
        `extract.split_column "${split}" is not a column of pipeline "${pname}"'s source`,
        `name one of: ${columns.map((c) => c.name).join(", ")}`,
      );
      ok = false;
    } else if (mapped === null || !mapped.ok || !isSplitType(mapped.type)) {
      report(
        at("extract", "split_column"),
        `extract.split_column "${split}" of pipeline "${pname}" is ${column.pgType}; a split column must be smallint, integer or bigint`,
        "name an integer column, or leave split_column out to split on the integer primary key or on ctid",
      );
      ok = false;
    }
  }
  if (parallelism > 1 && split === undefined && pc.query !== undefined) {
    report(
      at("extract", "parallelism"),
      `pipeline "${pname}" extracts a custom query with extract.parallelism ${parallelism}, but a query has neither a primary key nor ctid to split on`,
      "add extract.split_column: <an integer column of the query>",
    );
    ok = false;
  }
  if (!ok) {
    return null;
  }
  return {
    compression: config.compression,
    rowGroupRows: config.row_group_rows,
    maxFileRows: config.max_file_rows,
    ...(parallelism > 1 ? { parallelism } : {}),
    ...(split === undefined ? {} : { splitColumn: split }),
  };
}

/** The pipeline's extract phase: its settings, or the defaults once its problems are reported. */
export function pipelineExtract(scope: PipelineScope): PipelinePlan["extract"] {
  const { config } = scope;
  return (
    extractSettings(
      scope.name,
      config,
      scope.snapshot,
      (...path) => scope.at(...path),
      (path, message, hint) => scope.ctx.report(path, message, hint),
    ) ?? {
      compression: config.extract.compression,
      rowGroupRows: config.extract.row_group_rows,
      maxFileRows: config.extract.max_file_rows,
    }
  );
}
