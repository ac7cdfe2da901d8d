/**
 * Data checks declared on a pipeline's output (not_null, unique, accepted_values, range, regex,
 * row_count), run as SQL on Trino over exactly the rows this load wrote: the partition's rows of
 * this tenant in the target table, or the staged Parquet when the pipeline does not load.
 */
import { z } from "zod";
import { type Logger, rootLogger } from "../logger.js";
import type { CheckPlan, PipelinePlan } from "../plan.js";
import type { TrinoClient } from "../trino/client.js";
import {
  numberLiteral,
  quoteTrinoColumn,
  stringLiteral,
  trinoQualifiedName,
} from "../trino/sql.js";

export const CheckResultSchema = z.strictObject({
  name: z.string(),
  type: z.string(),
  severity: z.enum(["warn", "error"]),
  passed: z.boolean(),
  /** Failing rows (row_count: the row count when out of bounds; unique: duplicated keys). */
  failing: z.number().int().nonnegative(),
  /** Up to SAMPLE_SIZE offending values, as text. */
  sample: z.array(z.string()),
  queryId: z.string(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

const SAMPLE_SIZE = 5;

/** Rows to check: a relation (SQL) and a filter, plus session properties needed to read it. */
export interface CheckScope {
  from: string;
  where: string;
  session?: Record<string, string>;
}

/** A failing error-severity check: fails the asset and blocks its dependents. */
export class CheckFailedError extends Error {
  override readonly name = "CheckFailedError";
  readonly transient = false;
  constructor(
    message: string,
    readonly results: CheckResult[],
  ) {
    super(message);
  }
}

function text(expr: string): string {
  return `coalesce(CAST(${expr} AS varchar), 'NULL')`;
}

/**
 * The one query of a check over `scope`: a row of the failing count (row_count: the row count) as
 * varchar and up to SAMPLE_SIZE offending values as array(varchar). With `group` (an expression
 * naming each row's day, for a batch of partitions), one such row per group, led by the group's
 * value as varchar; a group without rows has no row (its count is 0).
 */
export function checkStatement(
  check: CheckPlan,
  scope: CheckScope,
  group: string | null = null,
): string {
  const base = `FROM ${scope.from} WHERE ${scope.where}`;
  const g = group === null ? "" : `CAST(${group} AS varchar), `;
  const by = group === null ? "" : " GROUP BY 1";
  const sample = (bad: string, value: string) =>
    `CAST(count_if(${bad}) AS varchar), slice(array_distinct(array_agg(${text(value)}) FILTER (WHERE ${bad})), 1, ${SAMPLE_SIZE})`;
  switch (check.type) {
    case "not_null": {
      const c = quoteTrinoColumn(check.column, "check column");
      return `SELECT ${g}CAST(count_if(${c} IS NULL) AS varchar), CAST(ARRAY[] AS array(varchar)) ${base}${by}`;
    }
    case "accepted_values": {
      const c = quoteTrinoColumn(check.column, "check column");
      const bad = `${c} IS NOT NULL AND CAST(${c} AS varchar) NOT IN (${check.values.map(stringLiteral).join(", ")})`;
      return `SELECT ${g}${sample(bad, c)} ${base}${by}`;
    }
    case "range": {
      const c = quoteTrinoColumn(check.column, "check column");
      const parts: string[] = [];
      if (check.min !== null) parts.push(`${c} < ${numberLiteral(check.min)}`);
      if (check.max !== null) parts.push(`${c} > ${numberLiteral(check.max)}`);
      const bad = parts.length === 0 ? "false" : `(${parts.join(" OR ")})`;
      return `SELECT ${g}${sample(bad, c)} ${base}${by}`;
    }
    case "regex": {
      const c = quoteTrinoColumn(check.column, "check column");
      const bad = `${c} IS NOT NULL AND NOT regexp_like(CAST(${c} AS varchar), ${stringLiteral(check.pattern)})`;
      return `SELECT ${g}${sample(bad, c)} ${base}${by}`;
    }
    case "unique": {
      const cols = check.columns.map((c) => quoteTrinoColumn(c, "check column"));
      const key =
        cols.length === 1 ? text(cols[0] ?? "") : `concat_ws('|', ${cols.map(text).join(", ")})`;
      if (group === null) {
        return `SELECT CAST(count(*) AS varchar), slice(array_agg(k), 1, ${SAMPLE_SIZE}) FROM (SELECT ${key} AS k ${base} GROUP BY ${cols.join(", ")} HAVING count(*) > 1)`;
      }
      // A key is duplicated within its day: the same key on two days is two partitions' rows.
      return `SELECT g, CAST(count(*) AS varchar), slice(array_agg(k), 1, ${SAMPLE_SIZE}) FROM (SELECT CAST(${group} AS varchar) AS g, ${key} AS k ${base} GROUP BY 1, ${cols.join(", ")} HAVING count(*) > 1) GROUP BY g`;
    }
    case "row_count":
      return `SELECT ${g}CAST(count(*) AS varchar), CAST(ARRAY[] AS array(varchar)) ${base}${by}`;
  }
}

/**
 * The verdict on what a check's query counted: a per-row check fails its count of failing rows;
 * row_count fails when the count is outside its bounds (also an empty scope under `min: 1`),
 * reporting the count itself.
 */
export function checkVerdict(
  check: CheckPlan,
  count: number,
): { passed: boolean; failing: number } {
  if (check.type !== "row_count") {
    return { passed: count === 0, failing: count };
  }
  const outside =
    (check.min !== null && count < check.min) || (check.max !== null && count > check.max);
  return { passed: !outside, failing: outside ? count : 0 };
}

/** Runs every check over `scope`; never throws for a failing check (see enforceChecks). */
export async function runChecks(
  client: TrinoClient,
  checks: readonly CheckPlan[],
  scope: CheckScope,
  logger: Logger = rootLogger,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const out = await client.execute(
      checkStatement(check, scope),
      scope.session === undefined ? {} : { session: scope.session },
    );
    results.push(checkResult(check, out.rows[0] ?? [], out.queryId, logger));
  }
  return results;
}

/**
 * Every check over the rows of several days at once (a batch's), one query per check grouped by
 * `day` (an expression giving each row's day as YYYY-MM-DD): each day's results, as `runChecks`
 * over that day alone gives them (`row_count` and the others count a day without rows as 0).
 */
export async function runChecksByDay(
  client: TrinoClient,
  checks: readonly CheckPlan[],
  scope: CheckScope,
  day: string,
  days: readonly string[],
  logger: Logger = rootLogger,
): Promise<Map<string, CheckResult[]>> {
  const byDay = new Map<string, CheckResult[]>(days.map((d) => [d, []]));
  for (const check of checks) {
    const out = await client.execute(
      checkStatement(check, scope, day),
      scope.session === undefined ? {} : { session: scope.session },
    );
    const rows = new Map(out.rows.map((r) => [String(r[0] ?? ""), r.slice(1)]));
    for (const d of days) {
      const dayLogger = logger.child({ partition: d });
      byDay.get(d)?.push(checkResult(check, rows.get(d) ?? [], out.queryId, dayLogger));
    }
  }
  return byDay;
}

/** A check's result from its query's row (count, sample), logged when it failed. */
function checkResult(
  check: CheckPlan,
  row: readonly unknown[],
  queryId: string,
  logger: Logger,
): CheckResult {
  const sample = Array.isArray(row[1]) ? row[1].map((v) => String(v)) : [];
  const { passed, failing } = checkVerdict(check, Number(row[0] ?? 0));
  const result: CheckResult = {
    name: check.name,
    type: check.type,
    severity: check.severity,
    passed,
    failing,
    sample,
    queryId,
  };
  if (!result.passed) {
    logger[check.severity === "error" ? "error" : "warn"]("data check failed", {
      check: check.name,
      type: check.type,
      failing,
      sample,
    });
  }
  return result;
}

/** Throws CheckFailedError when any error-severity check failed. */
export function enforceChecks(pipeline: string, results: readonly CheckResult[]): void {
  const failed = results.filter((r) => !r.passed && r.severity === "error");
  if (failed.length > 0) {
    throw new CheckFailedError(
      `pipeline ${pipeline}: ${failed.length} error-severity check(s) failed: ${failed
        .map(
          (r) =>
            `${r.name} (${r.type}, ${r.failing} failing${r.sample.length > 0 ? `, e.g. ${r.sample.join(", ")}` : ""})`,
        )
        .join("; ")}`,
      [...results],
    );
  }
}

/**
 * Scope of a load's rows: this tenant's rows of the partition in the target table (the tenant
 * column lower-cased, as the load writes it).
 */
export function loadedScope(
  pipeline: PipelinePlan,
  catalog: string,
  tenantId: string,
  partitionWhere: string | null,
): CheckScope {
  const out = pipeline.trinoOutput;
  if (out === null) {
    throw new Error(`pipeline ${pipeline.name} does not load into Trino; check its staged data`);
  }
  const tenant = `${quoteTrinoColumn(out.tenantColumn.toLowerCase())} = ${stringLiteral(tenantId)}`;
  return {
    from: trinoQualifiedName(catalog, out.schema, out.table),
    where: partitionWhere === null ? tenant : `${tenant} AND ${partitionWhere}`,
  };
}
