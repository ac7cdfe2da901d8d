/**
 * Reading dbt's run_results.json and turning it into per-asset outcomes: each model, seed or
 * snapshot with its status, timing and rows, and each data test as a check of the asset it tests.
 */
import { z } from "zod";
import type { AssetPlan } from "../plan.js";

const TimingSchema = z.looseObject({
  name: z.string(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});

export const DbtRunResultSchema = z.looseObject({
  unique_id: z.string(),
  status: z.string(),
  message: z.string().nullish(),
  failures: z.number().nullish(),
  execution_time: z.number().default(0),
  timing: z.array(TimingSchema).default([]),
  adapter_response: z
    .looseObject({ rows_affected: z.number().nullish(), _message: z.string().nullish() })
    .nullish(),
  /** The relation dbt built, as the adapter quotes it (dbt 1.8+), e.g. `"iceberg"."s"."t"`. */
  relation_name: z.string().nullish(),
});
export type DbtRunResult = z.infer<typeof DbtRunResultSchema>;

export const DbtRunResultsSchema = z.looseObject({
  metadata: z.looseObject({
    dbt_schema_version: z.string(),
    invocation_id: z.string().nullish(),
  }),
  results: z.array(DbtRunResultSchema),
  elapsed_time: z.number().optional(),
});
export type DbtRunResults = z.infer<typeof DbtRunResultsSchema>;

export type DbtCheckStatus = "pass" | "warn" | "fail" | "error" | "skipped" | "not_run";

export interface DbtCheckResult {
  uniqueId: string;
  name: string;
  status: DbtCheckStatus;
  /** Rows the test found (dbt's `failures`); null when the test did not run. */
  failures: number | null;
  message: string | null;
  /** The test's configured severity (from the run's manifest; "error" when unknown). */
  severity: "warn" | "error";
  /** A failed (error severity) or errored test: the asset's dependents must not run. */
  blocking: boolean;
}

export type DbtAssetStatus = "success" | "failed" | "skipped";

export interface DbtAssetOutcome {
  key: string;
  uniqueId: string;
  status: DbtAssetStatus;
  /** dbt's own status (success, error, skipped, ...); null when dbt reported nothing for it. */
  dbtStatus: string | null;
  message: string | null;
  startedAt: string | null;
  completedAt: string | null;
  elapsedMs: number;
  /** adapter_response.rows_affected; null when the adapter reports none (views). */
  rowsAffected: number | null;
  /** The relation built (`"catalog"."schema"."table"`); null when dbt reported none. */
  relation: string | null;
  checks: DbtCheckResult[];
  /** True when the asset failed or one of its tests blocks: dependents must be skipped. */
  blocking: boolean;
}

function checkStatus(status: string): DbtCheckStatus {
  switch (status) {
    case "pass":
    case "warn":
    case "fail":
    case "error":
    case "skipped":
      return status;
    case "success":
      return "pass";
    default:
      return "error";
  }
}

function span(result: DbtRunResult): { startedAt: string | null; completedAt: string | null } {
  const starts = result.timing.map((t) => t.started_at).filter((t): t is string => !!t);
  const ends = result.timing.map((t) => t.completed_at).filter((t): t is string => !!t);
  starts.sort();
  ends.sort();
  return { startedAt: starts[0] ?? null, completedAt: ends.at(-1) ?? null };
}

/**
 * Outcome of each asset in `assets` (those with `dbt` set) from a run's results. Assets dbt did not
 * report are skipped with `notRunMessage` (e.g. dbt stopped before reaching them).
 */
export function outcomesFromRunResults(
  assets: readonly AssetPlan[],
  results: DbtRunResults | null,
  notRunMessage: string,
  severities: ReadonlyMap<string, "warn" | "error"> = new Map(),
): Record<string, DbtAssetOutcome> {
  const byId = new Map((results?.results ?? []).map((r) => [r.unique_id, r]));
  const out: Record<string, DbtAssetOutcome> = {};
  for (const asset of assets) {
    if (asset.dbt === null) {
      continue;
    }
    const r = byId.get(asset.dbt.uniqueId);
    const checks: DbtCheckResult[] = asset.dbt.tests.map((t) => {
      const tr = byId.get(t.uniqueId);
      if (tr === undefined) {
        return {
          uniqueId: t.uniqueId,
          name: t.name,
          status: "not_run",
          failures: null,
          message: notRunMessage,
          severity: severities.get(t.uniqueId) ?? "error",
          blocking: false,
        };
      }
      const status = checkStatus(tr.status);
      return {
        uniqueId: t.uniqueId,
        name: t.name,
        status,
        failures: tr.failures ?? null,
        message: tr.message ?? null,
        severity: severities.get(t.uniqueId) ?? (status === "warn" ? "warn" : "error"),
        blocking: status === "fail" || status === "error",
      };
    });
    const status: DbtAssetStatus =
      r === undefined
        ? "skipped"
        : r.status === "success" || r.status === "pass"
          ? "success"
          : r.status === "skipped"
            ? "skipped"
            : "failed";
    const { startedAt, completedAt } =
      r === undefined ? { startedAt: null, completedAt: null } : span(r);
    out[asset.key] = {
      key: asset.key,
      uniqueId: asset.dbt.uniqueId,
      status,
      dbtStatus: r?.status ?? null,
      message: r === undefined ? notRunMessage : (r.message ?? null),
      startedAt,
      completedAt,
      elapsedMs: Math.round((r?.execution_time ?? 0) * 1000),
      rowsAffected: r?.adapter_response?.rows_affected ?? null,
      relation: r?.relation_name ?? null,
      checks,
      blocking: status !== "success" || checks.some((c) => c.blocking),
    };
  }
  return out;
}

const ManifestSeveritySchema = z.looseObject({
  nodes: z.record(
    z.string(),
    z.looseObject({
      resource_type: z.string(),
      config: z.looseObject({ severity: z.string().optional() }).optional(),
    }),
  ),
});

/** Test severities by unique id, from the manifest dbt wrote for the run (unknown text = error). */
export function testSeverities(manifest: unknown): Map<string, "warn" | "error"> {
  const out = new Map<string, "warn" | "error">();
  const parsed = ManifestSeveritySchema.safeParse(manifest);
  if (!parsed.success) {
    return out;
  }
  for (const [id, node] of Object.entries(parsed.data.nodes)) {
    if (node.resource_type === "test") {
      out.set(id, node.config?.severity?.toLowerCase() === "warn" ? "warn" : "error");
    }
  }
  return out;
}
