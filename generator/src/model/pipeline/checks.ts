/**
 * A pipeline's data checks. They run on its final output (the transform's columns, else the
 * source's), so the columns they name must be among those; the plan holds target names.
 */
import type { CheckPlan } from "@etl/runtime/plan";
import type { CheckConfig } from "../../config/schema.js";
import { suggest } from "../../problems.js";
import type { TransformModel } from "../types.js";
import { outputColumns, type PipelineScope, targetColumn } from "./scope.js";

/** The pipeline's checks, each named (`<type>_<columns>` by default) and with target names. */
export function pipelineChecks(
  scope: PipelineScope,
  transform: TransformModel | null,
): CheckPlan[] {
  const checks: CheckPlan[] = [];
  const names = new Set<string>();
  for (const [i, check] of scope.config.checks.entries()) {
    const named = namedColumns(check);
    const resolved = checkColumns(scope, i, check, transform);
    checkBounds(scope, i, check);
    const name =
      check.name ??
      [check.type, ...(resolved.length === named.length ? resolved : named)].join("_");
    if (names.has(name)) {
      scope.ctx.report(
        scope.at("checks", i),
        `two checks of pipeline "${scope.name}" are named "${name}"`,
        "give one of them name: <unique name>",
      );
    }
    names.add(name);
    checks.push(withTargets(check, name, resolved));
  }
  return checks;
}

function namedColumns(check: CheckConfig): string[] {
  return check.type === "unique" ? check.columns : check.type === "row_count" ? [] : [check.column];
}

/** The target names of the columns a check names; a column the output lacks is reported. */
function checkColumns(
  scope: PipelineScope,
  index: number,
  check: CheckConfig,
  transform: TransformModel | null,
): string[] {
  const at = scope.at("checks", index);
  const available = outputColumns(scope, transform);
  const resolved: string[] = [];
  for (const column of namedColumns(check)) {
    // A transform's output is named by the config; source columns by their source or target name.
    const target =
      transform !== null ? column : targetColumn(scope, at, `check ${check.type} column`, column);
    if (target === null && transform === null && scope.columns === null) {
      continue; // Reported by targetColumn.
    }
    if (target === null || (available !== null && !available.has(target))) {
      const near = suggest(column, [...(available ?? [])]);
      scope.ctx.report(
        at,
        `check ${check.type} names column "${column}", which pipeline "${scope.name}" does not produce`,
        near === undefined
          ? `columns are: ${[...(available ?? [])].sort().join(", ")}`
          : `did you mean "${near}"?`,
      );
      continue;
    }
    resolved.push(target);
  }
  return resolved;
}

/** A pattern that compiles, and min not above max. */
function checkBounds(scope: PipelineScope, index: number, check: CheckConfig): void {
  if (check.type === "regex" && !isValidRegex(check.pattern)) {
    scope.ctx.report(
      scope.at("checks", index, "pattern"),
      `pattern "${check.pattern}" is not a valid regular expression`,
      "fix the pattern",
    );
  }
  if (
    (check.type === "range" || check.type === "row_count") &&
    check.min !== null &&
    check.max !== null &&
    check.min > check.max
  ) {
    scope.ctx.report(
      scope.at("checks", index),
      `check ${check.type} has min ${check.min} greater than max ${check.max}`,
      "swap min and max",
    );
  }
}

/** The check as the plan holds it: its name, and its columns as target names. */
function withTargets(check: CheckConfig, name: string, resolved: readonly string[]): CheckPlan {
  const { name: _configured, ...rest } = check;
  switch (rest.type) {
    case "unique":
      return { ...rest, columns: [...resolved], name };
    case "row_count":
      return { ...rest, name };
    default:
      return { ...rest, column: resolved[0] ?? rest.column, name };
  }
}

function isValidRegex(pattern: string): boolean {
  // The RegExp constructor is the only complete validator of JavaScript pattern syntax.
  try {
    new RegExp(pattern, "u");
    return true;
  } catch (e) {
    if (e instanceof SyntaxError) {
      return false;
    }
    throw e;
  }
}
