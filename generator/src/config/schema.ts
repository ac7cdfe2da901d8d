/**
 * Strict zod schemas of tenants/<id>/config.yaml: the schema of the Dagster system this tool
 * replaces (its tenant_config.py; docs/migrating.md) with every object strict, so an unknown or
 * misspelt key is an error instead of being dropped. Defaults are that system's. Extensions are
 * marked "extension" and documented in docs/config-reference.md.
 */
import { ALERT_EVENTS, TARGET_NAMINGS, UNMAPPED_TYPES } from "@etl/runtime/plan";
import { z } from "zod";

/** extension: how target column names derive from source names (docs/config-reference.md). */
const targetNaming = z.enum(TARGET_NAMINGS);
/** extension: a source type without an exact mapping is carried as its text form, or refused. */
const unmappedTypes = z.enum(UNMAPPED_TYPES);

/** Strings that may hold `${VAR}` references; numbers are accepted where the replaced system had ints. */
const valueString = z.union([z.string(), z.number().transform((n) => String(n))]);

const environmentName = z.enum(["dev", "staging", "prod"]);

export const SourceDatabaseSchema = z.strictObject({
  host: valueString.default("localhost"),
  port: valueString.default("5432"),
  database: valueString,
  username: valueString,
  password: valueString.default(""),
  schema: valueString.default("public"),
});

export const StorageSchema = z.strictObject({
  bucket: valueString.default("data-lake"),
  base_path: valueString,
});

export const TargetDatabaseSchema = z.strictObject({
  trino_host: valueString.default("localhost"),
  trino_port: valueString.default("8080"),
  trino_user: valueString.default("trino"),
  trino_password: valueString.default(""),
  trino_http_scheme: valueString.default("http"),
  target_catalog: valueString.default("iceberg"),
  target_schema: valueString.default("aps"),
});

export const ScheduleSchema = z.strictObject({
  cron: z.string().default("0 1 * * *"),
  timezone: z.string().default("Asia/Seoul"),
  auto_start: z.boolean().default(false),
});

/** A job entry: built-in jobs take enabled/schedule/concurrency; user jobs also a selection. */
export const JobSchema = z.strictObject({
  enabled: z.boolean().optional(),
  schedule: ScheduleSchema.nullable().optional(),
  /** extension: how many independent assets may run at once. */
  concurrency: z.number().int().positive().optional(),
  /** extension (user jobs): asset key globs, e.g. `project_01/*\/lot_history`. */
  selection: z.array(z.string().min(1)).min(1).optional(),
  /** extension (user jobs). */
  description: z.string().optional(),
});

export const TrinoOutputSchema = z.strictObject({
  target_table: z.string(),
  target_schema: z.string().default("aps"),
  key_columns: z.array(z.string()).default([]),
  /** extension */
  write_mode: z.enum(["merge", "replace_partition", "append", "full_refresh"]).optional(),
  /** extension */
  tenant_column: z.string().default("project_id"),
});

export const DbtTransformSchema = z.strictObject({
  dbt_select: z.string().default(""),
  dbt_exclude: z.string().default(""),
});

export const PipelineEnvOverrideSchema = z.strictObject({
  save_to_s3: z.boolean().optional(),
  save_to_trino: z.boolean().optional(),
});

const severity = z.enum(["warn", "error"]).default("error");

/** extension: data checks run on a pipeline's final output. */
export const CheckSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("not_null"),
    name: z.string().optional(),
    column: z.string(),
    severity,
  }),
  z.strictObject({
    type: z.literal("unique"),
    name: z.string().optional(),
    columns: z.array(z.string()).min(1),
    severity,
  }),
  z.strictObject({
    type: z.literal("accepted_values"),
    name: z.string().optional(),
    column: z.string(),
    values: z.array(z.union([z.string(), z.number().transform((n) => String(n))])).min(1),
    severity,
  }),
  z.strictObject({
    type: z.literal("range"),
    name: z.string().optional(),
    column: z.string(),
    min: z.number().nullable().default(null),
    max: z.number().nullable().default(null),
    severity,
  }),
  z.strictObject({
    type: z.literal("regex"),
    name: z.string().optional(),
    column: z.string(),
    pattern: z.string(),
    severity,
  }),
  z.strictObject({
    type: z.literal("row_count"),
    name: z.string().optional(),
    min: z.number().int().nullable().default(null),
    max: z.number().int().nullable().default(null),
    severity,
  }),
]);

/** extension: a transform's declared output column, `name: trino_type` or `{type, nullable}`. */
export const OutputColumnConfigSchema = z.union([
  z.string(),
  z.strictObject({ type: z.string(), nullable: z.boolean().default(true) }),
]);

/** extension: the TypeScript transform of a pipeline with has_transfer. */
export const TransferSchema = z.strictObject({
  module: z.string(),
  export: z.string(),
  output: z.strictObject({
    columns: z.record(z.string(), OutputColumnConfigSchema),
  }),
});

export const IncrementalSchema = z.strictObject({
  cursor_column: z.string(),
  /** `90s`, `15m`, `2h`, `1d` or a number of seconds. */
  lookback: z.union([z.string(), z.number().int().nonnegative()]).default(0),
});

export const ExtractOptionsSchema = z.strictObject({
  compression: z.enum(["zstd", "snappy", "none"]).default("zstd"),
  row_group_rows: z.number().int().positive().default(100_000),
  max_file_rows: z.number().int().positive().default(1_000_000),
  /** Connections copying disjoint ranges of one snapshot at once (docs/config-reference.md). */
  parallelism: z.number().int().min(1).max(64).optional(),
  /** Integer column the ranges are cut on; default: the integer primary key, else ctid. */
  split_column: z.string().optional(),
});

/** A duration: `26h`, `7d`, ... or a number of seconds (parsed by @etl/runtime/contract). */
const duration = z.union([z.string(), z.number().int().nonnegative()]);

/**
 * extension: how late a pipeline's final asset (or a dbt model) may be: `max_lag` behind the
 * clock, and/or a cron `deadline` (in `timezone`, default the partitions' zone) by whose fire
 * times the data due then must have landed.
 */
export const FreshnessSchema = z.strictObject({
  max_lag: duration.optional(),
  deadline: z.string().optional(),
  timezone: z.string().optional(),
});
export type FreshnessConfig = z.infer<typeof FreshnessSchema>;

export const PipelineSchema = z.strictObject({
  source_table: z.string().optional(),
  query: z.string().optional(),
  date_column: z.string().nullable().optional(),
  save_to_s3: z.boolean().default(true),
  has_transfer: z.boolean().default(false),
  transfer_inputs: z.array(z.string()).nullable().optional(),
  has_dbt_transform: z.boolean().default(false),
  dbt_transform: DbtTransformSchema.nullable().optional(),
  save_to_trino: z.boolean().default(false),
  trino_output: TrinoOutputSchema.nullable().optional(),
  environments: z.partialRecord(environmentName, PipelineEnvOverrideSchema).optional(),
  incremental: IncrementalSchema.optional(),
  transfer: TransferSchema.optional(),
  checks: z.array(CheckSchema).default([]),
  /** extension: overrides the tenant's target_naming for this pipeline. */
  target_naming: targetNaming.optional(),
  /** extension: overrides the tenant's unmapped_types for this pipeline. */
  unmapped_types: unmappedTypes.optional(),
  extract: ExtractOptionsSchema.default({
    compression: "zstd",
    row_group_rows: 100_000,
    max_file_rows: 1_000_000,
  }),
  /** extension */
  freshness: FreshnessSchema.optional(),
});

export const EnvironmentToggleSchema = z.strictObject({ enabled: z.boolean().default(true) });

export const DbtSchema = z.strictObject({
  enabled: z.boolean().default(false),
  project_dir: z.string().nullable().optional(),
  target: z.string().default("dev"),
  target_schema: z.string().default("analytics"),
  /** extension */
  manifest_path: z.string().optional(),
  /** extension */
  external_sources: z.union([z.array(z.string()), z.literal("all")]).default([]),
  /** extension: freshness policies of dbt models, seeds and snapshots, by their asset name. */
  freshness: z.record(z.string(), FreshnessSchema).default({}),
});

/** extension: one webhook that alerts are posted to (docs/operations.md "Alerts"). */
export const AlertWebhookSchema = z.strictObject({
  name: z.string(),
  /** A `${VAR}` reference: webhook URLs carry tokens and must not land in generated files. */
  url: z.string(),
  format: z.enum(["json", "slack"]).default("json"),
  events: z
    .array(z.enum(ALERT_EVENTS))
    .min(1)
    .default([...ALERT_EVENTS]),
  check_severity: z.enum(["warn", "error"]).default("error"),
  /** The environments that alert; default every one. */
  environments: z.array(environmentName).min(1).optional(),
});

/** extension */
export const AlertsSchema = z.strictObject({
  webhooks: z.array(AlertWebhookSchema).default([]),
});

/** extension: OpenLineage run events (docs/operations.md "Lineage events"). */
export const LineageSchema = z.strictObject({
  url: valueString,
  api_key: z.string().optional(),
  namespace: z.string().optional(),
  /** The environments that send events; default every one. */
  environments: z.array(environmentName).min(1).optional(),
});

/** extension: the maintenance job's Iceberg upkeep (docs/operations.md "Iceberg table upkeep"). */
export const MaintenanceSchema = z.strictObject({
  snapshot_retention: duration.default("7d"),
  orphan_file_retention: duration.default("7d"),
  file_size_threshold_mb: z.number().int().positive().default(100),
});

export const PartitionsSchema = z.strictObject({
  // A calendar date (YYYY-MM-DD, a day that exists): checked with the runtime's rule in the model.
  start_date: z.string().default("2024-01-01"),
  timezone: z.string().default("Asia/Seoul"),
});

/** extension: the presets a tenant may opt into (`preset: aps`; src/presets/). */
export const PRESET_NAMES = ["aps"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const TenantSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean().default(true),
  /** extension: a domain's pipelines and jobs the tenant builds on (src/presets/). */
  preset: z.enum(PRESET_NAMES).optional(),
  environments: z
    .strictObject({
      dev: EnvironmentToggleSchema.default({ enabled: true }),
      staging: EnvironmentToggleSchema.default({ enabled: true }),
      prod: EnvironmentToggleSchema.default({ enabled: true }),
    })
    .default({ dev: { enabled: true }, staging: { enabled: true }, prod: { enabled: true } }),
  source_database: SourceDatabaseSchema,
  storage: StorageSchema,
  target_database: TargetDatabaseSchema.default({
    trino_host: "localhost",
    trino_port: "8080",
    trino_user: "trino",
    trino_password: "",
    trino_http_scheme: "http",
    target_catalog: "iceberg",
    target_schema: "aps",
  }),
  /** extension */
  target_naming: targetNaming.default("snake_case"),
  /** extension */
  unmapped_types: unmappedTypes.default("text"),
  /** extension */
  partitions: PartitionsSchema.default({ start_date: "2024-01-01", timezone: "Asia/Seoul" }),
  jobs: z.record(z.string(), JobSchema).default({}),
  assets: z
    .strictObject({ pipelines: z.record(z.string(), PipelineSchema).default({}) })
    .default({ pipelines: {} }),
  dbt: DbtSchema.default({
    enabled: false,
    target: "dev",
    target_schema: "analytics",
    external_sources: [],
    freshness: {},
  }),
  tags: z
    .record(z.string(), z.union([z.string(), z.number().transform((n) => String(n))]))
    .default({}),
  /**
   * extension: variables outside the tenant's own `<TENANT>_*` ones and the shared ones that its
   * connection values may name (listed in the generated README).
   */
  allowed_env: z.array(z.string()).default([]),
  /** extension */
  alerts: AlertsSchema.default({ webhooks: [] }),
  /** extension */
  lineage: LineageSchema.optional(),
  /** extension */
  maintenance: MaintenanceSchema.default({
    snapshot_retention: "7d",
    orphan_file_retention: "7d",
    file_size_threshold_mb: 100,
  }),
});

export const TenantFileSchema = z.strictObject({ tenant: TenantSchema });

export type TenantConfig = z.infer<typeof TenantSchema>;
export type PipelineConfig = z.infer<typeof PipelineSchema>;
export type JobConfig = z.infer<typeof JobSchema>;
export type CheckConfig = z.infer<typeof CheckSchema>;

/**
 * The built-in jobs of every tenant, in their order; a preset's jobs come after master_sync
 * (src/presets/). dbt_transform is off unless enabled.
 */
export const BUILTIN_JOBS = [
  "daily_etl",
  "master_sync",
  "dbt_transform",
  /** extension: Iceberg upkeep of the tenant's tables (maintenance:), weekly by default. */
  "maintenance",
] as const;
export type BuiltinJob = (typeof BUILTIN_JOBS)[number];

/** Keys that the replaced system accepted but this tool refuses, with what to do instead. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
  use_custom_code:
    "remove it: each pipeline with has_transfer names its transform explicitly with transfer: {module, export, output}",
};
