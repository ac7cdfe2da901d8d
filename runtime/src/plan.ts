/**
 * The contract between @etl/generator and @etl/runtime: a tenant's resolved plan.
 *
 * The generator emits a `TenantPlan` literal into generated/<id>/src/plan.ts: what dev, staging
 * and prod share, once, and what each environment sets otherwise. The runtime picks the
 * environment named by ETL_ENVIRONMENT at run time and works on its complete plan
 * (`environmentPlan`). Every value that came from `${VAR}` in YAML stays a reference (`EnvRef` /
 * `Template`) and is only read from the process environment when the package runs, so no value
 * from the generating machine reaches generated/.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { parseCalendarDate } from "./contract/calendar.js";
import { parseCron } from "./contract/cron.js";
import { ENV_VAR_NAME } from "./contract/envref.js";
import { canonicalZoneProblem } from "./contract/zone.js";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export const EnvironmentNameSchema = z.enum(ENVIRONMENTS);
export type EnvironmentName = z.infer<typeof EnvironmentNameSchema>;

/** `${VAR}` or `${VAR:default}` kept as a reference. */
export const EnvRefSchema = z.strictObject({
  env: z.string().regex(ENV_VAR_NAME),
  default: z.string().optional(),
});
export type EnvRef = z.infer<typeof EnvRefSchema>;

/** A string mixing literal text and references, e.g. `s3://${BUCKET}/raw`. */
export const TemplateSchema = z.strictObject({
  template: z.array(z.union([z.string(), EnvRefSchema])),
});
export type Template = z.infer<typeof TemplateSchema>;

/** A configuration value: a literal, a reference, or a template of both. */
export const ConfigValueSchema = z.union([z.string(), EnvRefSchema, TemplateSchema]);
export type ConfigValue = z.infer<typeof ConfigValueSchema>;

export const STAGES = ["extract", "transfer", "load", "dbt"] as const;
export const StageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof StageSchema>;

/** One column of a source table or query, as introspected from PostgreSQL. */
export const SourceColumnSchema = z.strictObject({
  name: z.string(),
  /** `format_type(atttypid, atttypmod)`, e.g. `numeric(18,4)`, `timestamp with time zone`, `text[]`. */
  pgType: z.string(),
  /** For domains: the base type's format_type; for arrays: see `arrayElement`. */
  domainBase: z.string().nullable(),
  /** Element type of an array column (format_type of the element), else null. */
  arrayElement: z.string().nullable(),
  /** Labels of an enum type (or of an array of enums), else null. */
  enumLabels: z.array(z.string()).nullable(),
  nullable: z.boolean(),
});
export type SourceColumn = z.infer<typeof SourceColumnSchema>;

/** Logical column types that transforms declare for their output (Trino type names). */
export const OutputColumnSchema = z.strictObject({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
});
export type OutputColumn = z.infer<typeof OutputColumnSchema>;

/** How target column names are derived from source names (docs/config-reference.md "Target names"). */
export const TARGET_NAMINGS = ["snake_case", "preserve"] as const;
export const TargetNamingSchema = z.enum(TARGET_NAMINGS);
export type TargetNaming = z.infer<typeof TargetNamingSchema>;

/** What happens to a source type without an exact mapping: carried as its text form, or refused. */
export const UNMAPPED_TYPES = ["text", "refuse"] as const;
export const UnmappedTypesSchema = z.enum(UNMAPPED_TYPES);
export type UnmappedTypes = z.infer<typeof UnmappedTypesSchema>;

/**
 * How a pipeline's source columns become target columns (the Parquet fields, Trino columns and row
 * properties downstream of the extract).
 */
export const TargetColumnsSchema = z.strictObject({
  naming: TargetNamingSchema,
  unmappedTypes: UnmappedTypesSchema,
  /**
   * Target name of each column of `columns`, in the same order, derived by the generator with
   * `naming`; null without a snapshot (the extract then derives them from the live columns with
   * the same rule, and refuses a name it cannot carry before it reads a row).
   */
  names: z.array(z.string()).nullable(),
});
export type TargetColumns = z.infer<typeof TargetColumnsSchema>;

/**
 * What a plan without `targetColumns` (written by hand, or by a generator before target naming)
 * means: the source names as they are, folded to lower case as Trino folds them, which is what
 * such plans always did. The generator writes the field in every plan (tenant default snake_case).
 */
export const DEFAULT_TARGET_COLUMNS: TargetColumns = {
  naming: "preserve",
  unmappedTypes: "text",
  names: null,
};

/**
 * Column a partitioned pipeline's transform writes the partition date into: the load partitions
 * and replaces by it (the generator checks the declared output has it).
 */
export const TRANSFER_DATE_COLUMN = "snapshot_date";

export const WRITE_MODES = ["merge", "replace_partition", "append", "full_refresh"] as const;
export const WriteModeSchema = z.enum(WRITE_MODES);
export type WriteMode = z.infer<typeof WriteModeSchema>;

export const CheckPlanSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("not_null"),
    name: z.string(),
    column: z.string(),
    severity: z.enum(["warn", "error"]),
  }),
  z.strictObject({
    type: z.literal("unique"),
    name: z.string(),
    columns: z.array(z.string()).min(1),
    severity: z.enum(["warn", "error"]),
  }),
  z.strictObject({
    type: z.literal("accepted_values"),
    name: z.string(),
    column: z.string(),
    values: z.array(z.string()).min(1),
    severity: z.enum(["warn", "error"]),
  }),
  z.strictObject({
    type: z.literal("range"),
    name: z.string(),
    column: z.string(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    severity: z.enum(["warn", "error"]),
  }),
  z.strictObject({
    type: z.literal("regex"),
    name: z.string(),
    column: z.string(),
    pattern: z.string(),
    severity: z.enum(["warn", "error"]),
  }),
  z.strictObject({
    type: z.literal("row_count"),
    name: z.string(),
    min: z.number().int().nullable(),
    max: z.number().int().nullable(),
    severity: z.enum(["warn", "error"]),
  }),
]);
export type CheckPlan = z.infer<typeof CheckPlanSchema>;

export const PipelinePlanSchema = z.strictObject({
  name: z.string(),
  /** Source relation, exactly as named in the tenant's source schema (always quoted); null when `query` is set. */
  sourceTable: z.string().nullable(),
  /** A custom SELECT; it is always wrapped as a subquery by the runtime. */
  query: z.string().nullable(),
  /** Source column selecting the daily partition; null for unpartitioned pipelines. */
  dateColumn: z.string().nullable(),
  /** Incremental extraction by a monotonically advancing cursor column. */
  incremental: z
    .strictObject({
      cursorColumn: z.string(),
      lookbackSeconds: z.number().int().nonnegative(),
    })
    .nullable(),
  saveToS3: z.boolean(),
  hasTransfer: z.boolean(),
  transfer: z
    .strictObject({
      /** Pipelines whose extracted data the transform receives, in declared order. */
      inputs: z.array(z.string()).min(1),
      /** Module under the package's src/transforms/ (without extension). */
      module: z.string(),
      exportName: z.string(),
      output: z.array(OutputColumnSchema).min(1),
    })
    .nullable(),
  hasDbtTransform: z.boolean(),
  dbtTransform: z.strictObject({ select: z.string(), exclude: z.string() }).nullable(),
  saveToTrino: z.boolean(),
  trinoOutput: z
    .strictObject({
      catalog: ConfigValueSchema,
      schema: z.string(),
      table: z.string(),
      /** Target column names (see `targetColumns`) of the merge key. */
      keyColumns: z.array(z.string()),
      writeMode: WriteModeSchema,
      /** Column carrying the tenant id in shared tables (part of every key and replacement). */
      tenantColumn: z.string(),
    })
    .nullable(),
  /** Snapshot of the source columns from `npm run introspect`; null when none was taken. */
  columns: z.array(SourceColumnSchema).nullable(),
  /** Hash of `columns` used to detect schema drift at run time; null without snapshot. */
  schemaHash: z.string().nullable(),
  /** Target names and type policy; absent means DEFAULT_TARGET_COLUMNS. */
  targetColumns: TargetColumnsSchema.optional(),
  /** Data checks; their columns are target column names. */
  checks: z.array(CheckPlanSchema),
  extract: z.strictObject({
    compression: z.enum(["zstd", "snappy", "none"]),
    rowGroupRows: z.number().int().positive(),
    maxFileRows: z.number().int().positive(),
    /** Connections copying disjoint ranges of one snapshot at once; absent: 1 (one COPY). */
    parallelism: z.number().int().positive().optional(),
    /** Integer column the ranges are cut on; absent: the integer primary key, else ctid. */
    splitColumn: z.string().optional(),
  }),
});
export type PipelinePlan = z.infer<typeof PipelinePlanSchema>;

/** A canonically spelled time zone (runtime/src/contract/zone.ts). */
const ZoneSchema = z.string().superRefine((zone, ctx) => {
  const problem = canonicalZoneProblem(zone);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

/** A cron expression that parses and fires (runtime/src/contract/cron.ts). */
const CronSchema = z.string().superRefine((cron, ctx) => {
  const parsed = parseCron(cron);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
});

/**
 * How late an asset's data may be (docs/operations.md "Freshness"): a lag bound, a cron deadline,
 * or both (breached when either is). Absent from an asset: it has no freshness policy.
 */
export const FreshnessPlanSchema = z
  .strictObject({
    /** Seconds the asset's data may lag behind the clock; null: no lag bound. */
    maxLagSeconds: z.number().int().positive().nullable(),
    /** At each fire of `cron` in `timezone`, the data due by then must have landed; null: none. */
    deadline: z.strictObject({ cron: CronSchema, timezone: ZoneSchema }).nullable(),
  })
  .refine((f) => f.maxLagSeconds !== null || f.deadline !== null, {
    message: "a freshness policy needs maxLagSeconds, a deadline or both",
  });
export type FreshnessPlan = z.infer<typeof FreshnessPlanSchema>;

export const AssetPlanSchema = z.strictObject({
  /** `<tenant>/<stage>/<name>`. */
  key: z.string(),
  stage: StageSchema,
  /** The pipeline this asset belongs to (extract/transfer/load), else null. */
  pipeline: z.string().nullable(),
  deps: z.array(z.string()),
  partitioned: z.boolean(),
  description: z.string(),
  dbt: z
    .strictObject({
      uniqueId: z.string(),
      name: z.string(),
      resourceType: z.enum(["model", "seed", "snapshot"]),
      packageName: z.string(),
      /** Selector handed to `dbt build --select`. */
      selector: z.string(),
      /** Data tests attached to this node, by unique id. */
      tests: z.array(z.strictObject({ uniqueId: z.string(), name: z.string() })),
    })
    .nullable(),
  /** How late its data may be; absent or null: no freshness policy. */
  freshness: FreshnessPlanSchema.nullable().optional(),
});
export type AssetPlan = z.infer<typeof AssetPlanSchema>;

export const SchedulePlanSchema = z.strictObject({
  /** A cron expression that parses and fires (runtime/src/contract/cron.ts). */
  cron: CronSchema,
  timezone: ZoneSchema,
  autoStart: z.boolean(),
});
export type SchedulePlan = z.infer<typeof SchedulePlanSchema>;

export const JobPlanSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  /** Asset keys the job materialises, in a stable order. */
  assets: z.array(z.string()),
  partitioned: z.boolean(),
  schedule: SchedulePlanSchema.nullable(),
  /** How many independent assets may run at once. */
  concurrency: z.number().int().positive(),
  /**
   * What the job does: materialise its assets (absent: "assets"), or keep the tenant's Iceberg
   * tables healthy ("maintenance": EnvironmentPlan.maintenance, no assets).
   */
  kind: z.enum(["assets", "maintenance"]).optional(),
});
export type JobPlan = z.infer<typeof JobPlanSchema>;

export const DbtPlanSchema = z.strictObject({
  /** dbt project directory, relative to the repository root. */
  projectDir: z.string(),
  target: z.string(),
  /** Schema dbt builds into. */
  targetSchema: z.string(),
  /** Sources the tenant declared external (no extract asset feeds them). */
  externalSources: z.array(z.string()),
});
export type DbtPlan = z.infer<typeof DbtPlanSchema>;

/** A Trino schema the runtime keeps objects of its own in. */
export const TrinoSchemaRefSchema = z.strictObject({ catalog: z.string(), schema: z.string() });
export type TrinoSchemaRef = z.infer<typeof TrinoSchemaRefSchema>;

/**
 * Where the runtime keeps its own Trino objects: the loads' staging tables, the views exposing
 * extracts to dbt and the run history table. Absent (or a member absent): the runtime's defaults,
 * `hive.etl_staging`, `hive.<tenant>_sources`, `hive.etl_ops.<tenant>_runs` (runtime-objects.ts).
 * A named `runHistory` is also kept registered by every run (created when missing, new days
 * added); the default one is left to the operator (docs/operations.md).
 */
export const RuntimeObjectsPlanSchema = z.strictObject({
  staging: TrinoSchemaRefSchema.optional(),
  dbtSources: TrinoSchemaRefSchema.optional(),
  runHistory: z
    .strictObject({ catalog: z.string(), schema: z.string(), table: z.string() })
    .optional(),
});
export type RuntimeObjectsPlan = z.infer<typeof RuntimeObjectsPlanSchema>;

/** The events a tenant can be alerted on (docs/operations.md "Alerts"). */
export const ALERT_EVENTS = [
  "run_failed",
  "check_failed",
  "freshness_breached",
  "run_recovered",
] as const;
export const AlertEventSchema = z.enum(ALERT_EVENTS);
export type AlertEvent = z.infer<typeof AlertEventSchema>;

/** One webhook alerts are posted to. */
export const AlertDestinationPlanSchema = z.strictObject({
  /** Names the destination in the ledger, logs and metrics (never the URL, a secret). */
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  /** The webhook URL: a reference, so the URL (often holding a token) stays out of the plan. */
  url: ConfigValueSchema,
  /** `json`: our own payload; `slack`: Slack's incoming-webhook payload (text and blocks). */
  format: z.enum(["json", "slack"]),
  events: z.array(AlertEventSchema).min(1),
  /** The lowest severity of a failed check that alerts (check_failed). */
  checkSeverity: z.enum(["warn", "error"]),
});
export type AlertDestinationPlan = z.infer<typeof AlertDestinationPlanSchema>;

export const AlertsPlanSchema = z.strictObject({
  destinations: z.array(AlertDestinationPlanSchema),
});
export type AlertsPlan = z.infer<typeof AlertsPlanSchema>;

/** Where OpenLineage run events go (docs/operations.md "Lineage events"). */
export const LineagePlanSchema = z.strictObject({
  /** Base URL of the OpenLineage HTTP endpoint; events are posted to `<url>/api/v1/lineage`. */
  url: ConfigValueSchema,
  /** Sent as `Authorization: Bearer <key>`; null: no header. */
  apiKey: ConfigValueSchema.nullable(),
  /** Namespace of the jobs (the asset runs) the events describe. */
  namespace: z.string().min(1),
});
export type LineagePlan = z.infer<typeof LineagePlanSchema>;

/**
 * Trino's own safety minimum for expire_snapshots and remove_orphan_files: the default of the
 * Iceberg catalog properties `iceberg.expire-snapshots.min-retention` and
 * `iceberg.remove-orphan-files.min-retention`. The generator refuses a shorter retention; the
 * runtime never lowers the catalog's minimum, so Trino refuses one too.
 */
export const MIN_RETENTION_SECONDS = 7 * 86_400;

/** The maintenance job's settings (docs/operations.md "Iceberg table upkeep"). */
export const MaintenancePlanSchema = z.strictObject({
  /** Name of the job (kind "maintenance") that runs it. */
  job: z.string(),
  /** Snapshots older than this are expired (with the files only they reference). */
  snapshotRetentionSeconds: z.number().int().nonnegative(),
  /** Files no snapshot references and older than this are removed. */
  orphanRetentionSeconds: z.number().int().nonnegative(),
  /** Files smaller than this are compacted by optimize (Trino's file_size_threshold). */
  fileSizeThresholdMb: z.number().int().positive(),
});
export type MaintenancePlan = z.infer<typeof MaintenancePlanSchema>;

export const EnvironmentPlanSchema = z.strictObject({
  enabled: z.boolean(),
  resources: z.strictObject({
    source: z.strictObject({
      host: ConfigValueSchema,
      port: ConfigValueSchema,
      database: ConfigValueSchema,
      user: ConfigValueSchema,
      password: ConfigValueSchema,
      schema: ConfigValueSchema,
    }),
    storage: z.strictObject({
      bucket: ConfigValueSchema,
      basePath: ConfigValueSchema,
    }),
    trino: z.strictObject({
      host: ConfigValueSchema,
      port: ConfigValueSchema,
      user: ConfigValueSchema,
      password: ConfigValueSchema,
      httpScheme: ConfigValueSchema,
      catalog: ConfigValueSchema,
      schema: ConfigValueSchema,
    }),
  }),
  partitions: z.strictObject({
    /** First daily partition, YYYY-MM-DD. */
    startDate: z.string().superRefine((date, ctx) => {
      const parsed = parseCalendarDate(date);
      if (!parsed.ok) {
        ctx.addIssue({
          code: "custom",
          message: `"${date}" is not a calendar date: ${parsed.problem}`,
        });
      }
    }),
    /** IANA time zone in which days start and end. */
    timezone: ZoneSchema,
  }),
  pipelines: z.array(PipelinePlanSchema),
  assets: z.array(AssetPlanSchema),
  jobs: z.array(JobPlanSchema),
  dbt: DbtPlanSchema.nullable(),
  runtimeObjects: RuntimeObjectsPlanSchema.optional(),
  /** Webhooks to alert; absent: none. */
  alerts: AlertsPlanSchema.optional(),
  /** OpenLineage events; absent or null: none sent. */
  lineage: LineagePlanSchema.nullable().optional(),
  /** Iceberg table upkeep; absent: the package has no maintenance job. */
  maintenance: MaintenancePlanSchema.optional(),
});
export type EnvironmentPlan = z.infer<typeof EnvironmentPlanSchema>;

/**
 * What the environments share: an environment's plan but its enablement, with the pipelines as
 * the config sets them outside `environments:`, every asset and job of any environment, and the
 * webhooks, lineage and freshness policies most environments have.
 */
export const SharedPlanSchema = EnvironmentPlanSchema.omit({ enabled: true });
export type SharedPlan = z.infer<typeof SharedPlanSchema>;

/** What one environment sets otherwise than the shared plan (laid over it by `environmentPlan`). */
export const EnvironmentOverrideSchema = z.strictObject({
  enabled: z.boolean(),
  /** By pipeline name: the stage switches this environment sets otherwise. */
  pipelines: z
    .record(
      z.string(),
      z.strictObject({ saveToS3: z.boolean().optional(), saveToTrino: z.boolean().optional() }),
    )
    .optional(),
  /**
   * Keys of shared assets this environment does not have (a load it switches off). Its jobs
   * leave them out too, and a job left without assets does not exist in it.
   */
  omitAssets: z.array(z.string()).optional(),
  /** By asset key: the freshness policy this environment has in place of the shared one; null: none. */
  freshness: z.record(z.string(), FreshnessPlanSchema.nullable()).optional(),
  /** This environment's webhooks in place of the shared ones; null: none. */
  alerts: AlertsPlanSchema.nullable().optional(),
  /** This environment's OpenLineage endpoint in place of the shared one; null: none. */
  lineage: LineagePlanSchema.nullable().optional(),
});
export type EnvironmentOverride = z.infer<typeof EnvironmentOverrideSchema>;

export const TenantPlanSchema = z
  .strictObject({
    generatorVersion: z.string(),
    tenant: z.strictObject({
      id: z.string().regex(/^[a-z][a-z0-9_]*$/),
      name: z.string(),
      enabled: z.boolean(),
      tags: z.record(z.string(), z.string()),
    }),
    /** Names of every environment variable the plan references, sorted. */
    envVars: z.array(z.string()),
    shared: SharedPlanSchema,
    environments: z.strictObject({
      dev: EnvironmentOverrideSchema,
      staging: EnvironmentOverrideSchema,
      prod: EnvironmentOverrideSchema,
    }),
  })
  .superRefine((plan, ctx) => {
    // An override names what the shared plan has, and leaves every environment's graph closed.
    const pipelines = new Set(plan.shared.pipelines.map((p) => p.name));
    const assets = new Set(plan.shared.assets.map((a) => a.key));
    for (const name of ENVIRONMENTS) {
      const override = plan.environments[name];
      const at = (...path: (string | number)[]) => ["environments", name, ...path];
      for (const pipeline of Object.keys(override.pipelines ?? {})) {
        if (!pipelines.has(pipeline)) {
          ctx.addIssue({
            code: "custom",
            path: at("pipelines", pipeline),
            message: `names no pipeline of the shared plan`,
          });
        }
      }
      const omitted = new Set(override.omitAssets ?? []);
      for (const [i, key] of (override.omitAssets ?? []).entries()) {
        if (!assets.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: at("omitAssets", i),
            message: `"${key}" is no asset of the shared plan`,
          });
        }
      }
      for (const key of Object.keys(override.freshness ?? {})) {
        if (!assets.has(key) || omitted.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: at("freshness", key),
            message: `"${key}" is no asset of this environment`,
          });
        }
      }
      for (const asset of plan.shared.assets) {
        const missing = omitted.has(asset.key) ? [] : asset.deps.filter((d) => omitted.has(d));
        if (missing.length > 0) {
          ctx.addIssue({
            code: "custom",
            path: at("omitAssets"),
            message: `leaves out ${missing.join(", ")}, which ${asset.key} depends on`,
          });
        }
      }
    }
  });
export type TenantPlan = z.infer<typeof TenantPlanSchema>;

/**
 * The complete plan of one environment: the shared plan with the environment's enablement,
 * pipeline switches, freshness policies, webhooks and lineage, without the assets it leaves out.
 * A job keeps the assets the environment has (partitioned when one of them is) and is absent
 * where it keeps none. Webhooks and lineage are absent where there are none.
 */
export function environmentPlan(plan: TenantPlan, name: EnvironmentName): EnvironmentPlan {
  const { shared } = plan;
  const override = plan.environments[name];
  const omitted = new Set(override.omitAssets ?? []);
  const assets = shared.assets
    .filter((a) => !omitted.has(a.key))
    .map((asset) => withFreshness(asset, override.freshness?.[asset.key]));
  const partitioned = new Set(assets.filter((a) => a.partitioned).map((a) => a.key));
  const jobs = shared.jobs.flatMap((job): JobPlan[] => {
    const kept = job.assets.filter((key) => !omitted.has(key));
    if (kept.length === job.assets.length) return [job];
    if (kept.length === 0) return [];
    return [{ ...job, assets: kept, partitioned: kept.some((key) => partitioned.has(key)) }];
  });
  const pipelines = shared.pipelines.map((p) => {
    const switches = override.pipelines?.[p.name];
    return switches === undefined ? p : { ...p, ...switches };
  });
  const alerts = override.alerts === undefined ? shared.alerts : override.alerts;
  const lineage = override.lineage === undefined ? shared.lineage : override.lineage;
  return {
    enabled: override.enabled,
    resources: shared.resources,
    partitions: shared.partitions,
    pipelines,
    assets,
    jobs,
    dbt: shared.dbt,
    ...(shared.runtimeObjects === undefined ? {} : { runtimeObjects: shared.runtimeObjects }),
    ...(alerts === undefined || alerts === null ? {} : { alerts }),
    ...(lineage === undefined || lineage === null ? {} : { lineage }),
    ...(shared.maintenance === undefined ? {} : { maintenance: shared.maintenance }),
  };
}

/** `asset` with the policy an override gives it: unchanged when undefined, none when null. */
function withFreshness(asset: AssetPlan, policy: FreshnessPlan | null | undefined): AssetPlan {
  if (policy === undefined) return asset;
  if (policy !== null) return { ...asset, freshness: policy };
  const { freshness: _dropped, ...rest } = asset;
  return rest;
}

/**
 * The `shared` and `environments` of a plan in which dev, staging and prod are all `plan` (a plan
 * written by hand or for a test).
 */
export function sameEnvironments(
  plan: EnvironmentPlan,
): Pick<TenantPlan, "shared" | "environments"> {
  const { enabled, ...shared } = plan;
  return {
    shared,
    environments: { dev: { enabled }, staging: { enabled }, prod: { enabled } },
  };
}

/** PipelinePlan.schemaHash: stable hash of a column list (generator snapshot and run-time drift check). */
export function schemaHashOf(columns: readonly SourceColumn[]): string {
  const canonical = columns.map((c) => [
    c.name,
    c.pgType,
    c.domainBase,
    c.arrayElement,
    c.enumLabels,
    c.nullable,
  ]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
