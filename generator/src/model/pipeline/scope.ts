/**
 * What the phases of one pipeline share: its config, where it is in the YAML, and its columns
 * (the snapshot's, with their types and target names), with the lookups of a column the config
 * names by its source or its target name.
 */
import type { SourceColumn, TargetNaming, UnmappedTypes } from "@etl/runtime/plan";
import type { PipelineConfig } from "../../config/schema.js";
import type { YamlPath } from "../../config/yaml-locate.js";
import { suggest } from "../../problems.js";
import { PipelineColumns, targetOfUnknown } from "../columns.js";
import { type ModelContext, pipelinePath } from "../context.js";
import { checkSourceName } from "../translate.js";
import type { TransformModel } from "../types.js";

export interface PipelineScope {
  readonly ctx: ModelContext;
  readonly name: string;
  readonly config: PipelineConfig;
  /** Every pipeline name of the tenant, sorted (transfer inputs name them). */
  readonly pipelineNames: readonly string[];
  /** The snapshot's source columns; null without a snapshot. */
  readonly snapshot: SourceColumn[] | null;
  /** The snapshot's columns with types and target names; null without one, or when it has problems. */
  readonly columns: PipelineColumns | null;
  readonly naming: TargetNaming;
  readonly unmapped: UnmappedTypes;
  /** The YAML path of a key of this pipeline. */
  at(...path: (string | number)[]): YamlPath;
}

/**
 * The scope of one pipeline. The snapshot's columns are typed and named here (model/columns.ts):
 * the generator, not the extract or the load, refuses what the target cannot hold.
 */
export function pipelineScope(
  ctx: ModelContext,
  name: string,
  config: PipelineConfig,
  pipelineNames: readonly string[],
): PipelineScope {
  const at = (...path: (string | number)[]) => pipelinePath(ctx, name, ...path);
  const snapshot = ctx.tenant.introspection?.data.pipelines[name]?.columns ?? null;
  const naming = config.target_naming ?? ctx.config.target_naming;
  const unmapped = config.unmapped_types ?? ctx.config.unmapped_types;
  let columns: PipelineColumns | null = null;
  if (snapshot !== null) {
    const modelled = PipelineColumns.of(snapshot, naming, unmapped);
    if (modelled.ok) {
      columns = modelled.value;
    } else {
      for (const problem of modelled.problems) {
        ctx.report(
          config.query !== undefined ? at("query") : at("source_table"),
          `pipeline "${name}": ${problem.message}; the columns are from ${ctx.tenant.introspection?.file ?? "the snapshot"}`,
          problem.hint,
        );
      }
    }
  }
  return { ctx, name, config, pipelineNames, snapshot, columns, naming, unmapped, at };
}

/** Whether the snapshot's columns had problems (reported), so no column can be looked up. */
function columnsRefused(scope: PipelineScope): boolean {
  return scope.snapshot !== null && scope.columns === null;
}

/**
 * A source column the config names (by its source or target name): its source name, or null
 * when it is not one (reported, with the nearest name) or cannot be known.
 */
export function sourceColumn(
  scope: PipelineScope,
  path: YamlPath,
  kind: string,
  column: string,
): string | null {
  if (!scope.ctx.checkName(path, checkSourceName(kind, column)) || columnsRefused(scope)) {
    return null;
  }
  const source = scope.columns === null ? column : scope.columns.sourceOf(column);
  if (source === null) {
    const known = (scope.snapshot ?? []).map((c) => c.name);
    const near = suggest(column, known);
    scope.ctx.report(
      path,
      `${kind} "${column}" is not a column of the source of pipeline "${scope.name}" (introspection.json)`,
      near === undefined
        ? `columns are: ${[...known].sort().join(", ")}`
        : `did you mean "${near}"?`,
    );
  }
  return source;
}

/**
 * A column of the loaded output the config names: its target name, or null. Without a snapshot
 * the name is derived with the pipeline's naming rule (a name the rule refuses is reported).
 */
export function targetColumn(
  scope: PipelineScope,
  path: YamlPath,
  kind: string,
  column: string,
): string | null {
  if (scope.columns !== null) {
    return scope.columns.targetOf(column);
  }
  const derived = targetOfUnknown(column, scope.naming);
  if (!derived.ok) {
    scope.ctx.report(path, `${kind} ${JSON.stringify(column)} ${derived.reason}`, derived.hint);
    return null;
  }
  return derived.name;
}

/**
 * The names of the pipeline's final output (what the load writes and the checks read): the
 * transform's declared columns, else the source's target names; null when unknown.
 */
export function outputColumns(
  scope: PipelineScope,
  transform: TransformModel | null,
): Set<string> | null {
  if (transform !== null) {
    return new Set(transform.output.map((c) => c.name));
  }
  return scope.columns === null ? null : new Set(scope.columns.targets);
}

/** ` (the target name of source column "X")` when `target` was derived from another name. */
export function derivedFrom(
  scope: PipelineScope,
  target: string,
  transform: TransformModel | null,
): string {
  const source = transform === null ? scope.columns?.sourceOf(target) : undefined;
  return source === undefined || source === null || source === target
    ? ""
    : ` (the target name of source column ${JSON.stringify(source)})`;
}
