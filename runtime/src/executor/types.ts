/** The contract between the executor and the stage implementations (extract, transfer, load, dbt). */
import type { Logger } from "../logger.js";
import type { AssetPlan, EnvironmentPlan, PipelinePlan, Stage, TenantPlan } from "../plan.js";
import type { Progress } from "../progress/index.js";
import type { ResolvedResources } from "../resources.js";
import type { TransformRegistry } from "../transfer/types.js";

export interface AssetRunContext {
  runId: string;
  job: string;
  plan: TenantPlan;
  envPlan: EnvironmentPlan;
  asset: AssetPlan;
  /** The pipeline of extract/transfer/load assets, else null. */
  pipeline: PipelinePlan | null;
  /** Daily partition and its half-open window in the tenant's zone; null when unpartitioned. */
  partition: { date: string; timeZone: string; start: Date; end: Date } | null;
  resources: ResolvedResources;
  transforms: TransformRegistry;
  /** Bound to tenant, run id, asset key and partition. */
  logger: Logger;
  progress: Progress;
  signal: AbortSignal;
  /** 1 for the first try, 2+ on retries. */
  attempt: number;
  /** Every asset of this run, in dependency order (lets a stage batch work, e.g. dbt). */
  selection: readonly AssetPlan[];
  /** Final status of an asset of this run; null while it is pending or running. */
  statusOf: (key: string) => "succeeded" | "failed" | "skipped" | null;
  /** Ids of this tenant's runs the ledger records as ended (not running): their work is over. */
  endedRuns: () => Promise<string[]>;
}

export interface CheckOutcome {
  name: string;
  severity: "warn" | "error";
  passed: boolean;
  metadata: Record<string, unknown>;
}

export interface AssetOutcome {
  /** What the stage wants recorded with the materialisation (rows, bytes, files, table...). */
  metadata: Record<string, unknown>;
  checks: CheckOutcome[];
  /** Rows the stage moved (read, written, staged or affected), for the run's observers. */
  rows?: number;
  /** Bytes of Parquet the stage wrote, for the run's observers. */
  bytes?: number;
}

export type StageHandler = (ctx: AssetRunContext) => Promise<AssetOutcome>;
export type StageHandlers = Partial<Record<Stage, StageHandler>>;
