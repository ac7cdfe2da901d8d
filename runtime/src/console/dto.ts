/**
 * The console's JSON API (`/api/v1`): every request body and response, as zod schemas. The pages
 * use exactly these; docs/console.md documents them for scripts. The browser bundle imports the
 * inferred types only.
 */
import { z } from "zod";
import { FreshnessViewSchema } from "../freshness/index.js";
import { RunLogLineSchema } from "../ledger/queries.js";
import { BackfillProgressSchema } from "../ledger/queue.js";
import { CheckRecordSchema, RunRecordSchema, RunStatusSchema } from "../ledger/types.js";
import { StageSchema } from "../plan.js";

/**
 * How an asset stands: `fresh` (up to date), `stale` (the latest complete day is not materialised,
 * or an upstream asset was materialised after it), `failed` (its latest attempt failed), `never`
 * (no successful materialisation at all).
 */
export const HealthSchema = z.enum(["fresh", "stale", "failed", "never"]);
export type Health = z.infer<typeof HealthSchema>;

export const RoleSchema = z.enum(["viewer", "operator"]);
export type Role = z.infer<typeof RoleSchema>;

/**
 * One character per day in partition strips, oldest first: `s` succeeded, `f` failed, `k` skipped
 * (an upstream asset failed), `r` a run is materialising it now, `-` never materialised.
 */
export const PARTITION_CODES = {
  succeeded: "s",
  failed: "f",
  skipped: "k",
  running: "r",
  missing: "-",
} as const;
export type PartitionStatus = keyof typeof PARTITION_CODES;
export const PartitionStatusSchema = z.enum([
  "succeeded",
  "failed",
  "skipped",
  "running",
  "missing",
]);

export const PartitionCountsSchema = z.strictObject({
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  running: z.number().int(),
  missing: z.number().int(),
});
export type PartitionCounts = z.infer<typeof PartitionCountsSchema>;

export const MeSchema = z.strictObject({
  /** Token name, or null when the console runs without tokens (loopback only). */
  name: z.string().nullable(),
  role: RoleSchema,
  tenants: z.array(z.string()),
  authRequired: z.boolean(),
});
export type Me = z.infer<typeof MeSchema>;

export const SessionRequestSchema = z.strictObject({ token: z.string().min(1).max(512) });

export const AssetRefSchema = z.strictObject({
  key: z.string(),
  stage: StageSchema,
  /** What the node is: extract, transfer, load, a dbt model/seed/snapshot, or a dbt source. */
  kind: z.enum(["extract", "transfer", "load", "model", "seed", "snapshot", "source"]),
  name: z.string(),
  health: HealthSchema,
  partitioned: z.boolean(),
  /** A run is materialising it now. */
  running: z.boolean(),
  lastMaterialization: z
    .strictObject({
      partition: z.string().nullable(),
      finishedAt: z.string(),
      runId: z.string(),
      status: z.enum(["succeeded", "failed", "skipped"]),
    })
    .nullable(),
  /** Over the partitions from the start date to the latest complete day. */
  counts: PartitionCountsSchema.nullable(),
  /** Its freshness against its policy (as `status` shows it); null without data and policy. */
  freshness: FreshnessViewSchema.nullable(),
});
export type AssetRef = z.infer<typeof AssetRefSchema>;

export const NextRunSchema = z.strictObject({
  job: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** Whether `serve` fires it (auto_start); others fire only under `serve --all`. */
  autoStart: z.boolean(),
  at: z.string().nullable(),
  partition: z.string().nullable(),
});

export const JobSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  partitioned: z.boolean(),
  assets: z.array(z.string()),
  schedule: z
    .strictObject({ cron: z.string(), timezone: z.string(), autoStart: z.boolean() })
    .nullable(),
});
export type Job = z.infer<typeof JobSchema>;

/** The jobs of a tenant, its partition range and whether runs can be launched (no ledger read). */
export const JobsResponseSchema = z.strictObject({
  jobs: z.array(JobSchema),
  partitions: z.strictObject({ start: z.string(), end: z.string(), timezone: z.string() }),
  actions: z.strictObject({ available: z.boolean(), reason: z.string().nullable() }),
});
export type JobsResponse = z.infer<typeof JobsResponseSchema>;

export const TenantSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  environment: z.string(),
  ledger: z.string(),
  partitions: z.strictObject({ start: z.string(), end: z.string(), timezone: z.string() }),
  health: z.record(HealthSchema, z.number().int()),
  failingChecks: z.number().int(),
  running: z.number().int(),
  latestRun: RunRecordSchema.nullable(),
  /** Whether runs can be launched here (the tenant's variables resolve), else why not. */
  actions: z.strictObject({ available: z.boolean(), reason: z.string().nullable() }),
});
export type TenantSummary = z.infer<typeof TenantSummarySchema>;

export const TenantsResponseSchema = z.strictObject({ tenants: z.array(TenantSummarySchema) });

export const OverviewSchema = z.strictObject({
  tenant: TenantSummarySchema,
  assets: z.array(AssetRefSchema),
  failingChecks: z.array(CheckRecordSchema),
  latestRuns: z.array(RunRecordSchema),
  nextRuns: z.array(NextRunSchema),
  jobs: z.array(JobSchema),
});
export type Overview = z.infer<typeof OverviewSchema>;

export const LineageSchema = z.strictObject({
  nodes: z.array(AssetRefSchema),
  /** From upstream to downstream. */
  edges: z.array(z.strictObject({ from: z.string(), to: z.string() })),
});
export type Lineage = z.infer<typeof LineageSchema>;

export const ColumnSchema = z.strictObject({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
});

export const MaterializationPointSchema = z.strictObject({
  runId: z.string(),
  partition: z.string().nullable(),
  status: z.enum(["succeeded", "failed", "skipped"]),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  attempts: z.number().int(),
  rows: z.number().nullable(),
  bytes: z.number().nullable(),
  error: z.string().nullable(),
});
export type MaterializationPoint = z.infer<typeof MaterializationPointSchema>;

export const AssetDetailSchema = z.strictObject({
  asset: AssetRefSchema,
  description: z.string(),
  pipeline: z.string().nullable(),
  /** Source relation or "custom query", and the Trino table it loads into. */
  source: z.string().nullable(),
  target: z.string().nullable(),
  writeMode: z.string().nullable(),
  dbt: z
    .strictObject({ uniqueId: z.string(), resourceType: z.string(), tests: z.array(z.string()) })
    .nullable(),
  /** From the schema snapshot (source columns) or the transform's declared output. */
  columns: z.strictObject({ origin: z.string(), list: z.array(ColumnSchema) }).nullable(),
  checks: z.array(z.strictObject({ name: z.string(), type: z.string(), severity: z.string() })),
  upstream: z.array(AssetRefSchema),
  downstream: z.array(AssetRefSchema),
  jobs: z.array(z.string()),
  materializations: z.array(MaterializationPointSchema),
  checkHistory: z.array(CheckRecordSchema),
  /** The last days of its partition strip (see PARTITION_CODES); null when unpartitioned. */
  strip: z.strictObject({ from: z.string(), to: z.string(), statuses: z.string() }).nullable(),
});
export type AssetDetail = z.infer<typeof AssetDetailSchema>;

export const MatrixSchema = z.strictObject({
  from: z.string(),
  to: z.string(),
  days: z.number().int(),
  /** The partitions' whole range (start date .. latest complete day), for paging. */
  range: z.strictObject({ start: z.string(), end: z.string() }),
  /** Assets matching the filters, before paging. */
  totalAssets: z.number().int(),
  offset: z.number().int(),
  rows: z.array(
    z.strictObject({
      key: z.string(),
      stage: StageSchema,
      statuses: z.string(),
      counts: PartitionCountsSchema,
    }),
  ),
});
export type Matrix = z.infer<typeof MatrixSchema>;

export const RunsResponseSchema = z.strictObject({
  runs: z.array(RunRecordSchema),
  /** Pass as `before` for the next page; null at the end. */
  next: z.string().nullable(),
});
export type RunsResponse = z.infer<typeof RunsResponseSchema>;

export const RunDetailSchema = z.strictObject({
  run: RunRecordSchema,
  /** The job's assets in the run's selection, in execution order, with their outcome so far. */
  steps: z.array(
    z.strictObject({
      key: z.string(),
      status: z.enum(["pending", "succeeded", "failed", "skipped"]),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      metadata: z.record(z.string(), z.unknown()),
    }),
  ),
  checks: z.array(CheckRecordSchema),
  /** Assets to re-execute: failed and skipped ones. */
  failedAssets: z.array(z.string()),
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

export const RunLogsResponseSchema = z.strictObject({
  lines: z.array(RunLogLineSchema),
  /** Pass as `after` to get later lines. */
  last: z.number().int(),
});
export type RunLogsResponse = z.infer<typeof RunLogsResponseSchema>;

const DateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");

export const LaunchRequestSchema = z.strictObject({
  job: z.string().min(1),
  partition: DateText.nullable().optional(),
  select: z.string().min(1).nullable().optional(),
});
export type LaunchRequest = z.infer<typeof LaunchRequestSchema>;

export const BackfillRequestSchema = z.strictObject({
  job: z.string().min(1),
  from: DateText,
  to: DateText,
  concurrency: z.number().int().min(1).max(16).optional(),
  force: z.boolean().optional(),
});
export type BackfillRequest = z.infer<typeof BackfillRequestSchema>;

export const LaunchResponseSchema = z.strictObject({ runId: z.string() });
export const BackfillResponseSchema = z.strictObject({
  job: z.string(),
  from: z.string(),
  to: z.string(),
  partitions: z.number().int(),
  alreadyMaterialized: z.number().int(),
  toRun: z.number().int(),
});
export type BackfillResponse = z.infer<typeof BackfillResponseSchema>;

/** Queued backfills (`backfill --workers`): only a PostgreSQL ledger has a queue. */
export const BackfillsResponseSchema = z.strictObject({
  queue: z.boolean(),
  backfills: z.array(BackfillProgressSchema),
});
export type BackfillsResponse = z.infer<typeof BackfillsResponseSchema>;

export const ErrorResponseSchema = z.strictObject({ error: z.string() });

export { RunStatusSchema };
