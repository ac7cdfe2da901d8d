/**
 * The old system's tenant config (its Pydantic models, tenant_config.py at bong2jjang/dagster-ETL
 * 32aa2e9) as zod schemas with the same leniency: unknown keys are dropped (Pydantic's default
 * `extra="ignore"`), ints may be written as strings, booleans as Pydantic's lax spellings, and the
 * defaults are the old ones. `ignoredKeys` lists what the old loader silently dropped, so the
 * migration can say so instead of dropping it silently again.
 */
import { z } from "zod";

/** Pydantic's lax booleans: true/false, 0/1 and their usual string spellings. */
const PyBool = z.preprocess((v) => {
  if (v === 0 || v === 1) {
    return v === 1;
  }
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["true", "t", "yes", "y", "on", "1"].includes(s)) return true;
    if (["false", "f", "no", "n", "off", "0"].includes(s)) return false;
  }
  return v;
}, z.boolean());

/**
 * An int field as written in YAML: a number, or a string the old loader turned into one after
 * resolving `${VAR}` references (which this migration keeps as references).
 */
const PyInt = z.union([
  z.number().int(),
  z.string().refine((s) => s.includes("${") || /^\s*[-+]?\d+\s*$/.test(s), "expected an integer"),
]);

/** Pydantic v2 does not turn numbers into strings: a `str` field must be a string. */
const PyStr = z.string();

export const LegacySourceDatabaseSchema = z.object({
  host: PyStr.default("localhost"),
  port: PyInt.default(5432),
  database: PyStr,
  username: PyStr,
  password: PyStr.default(""),
  // Field `schema_name` with alias `schema`; populate_by_name accepts both spellings.
  schema: PyStr.optional(),
  schema_name: PyStr.optional(),
});

export const LegacyStorageSchema = z.object({
  bucket: PyStr.default("data-lake"),
  base_path: PyStr,
});

export const LegacyTargetDatabaseSchema = z.object({
  trino_host: PyStr.default("localhost"),
  trino_port: PyInt.default(8080),
  trino_user: PyStr.default("trino"),
  trino_password: PyStr.default(""),
  trino_http_scheme: PyStr.default("http"),
  target_catalog: PyStr.default("iceberg"),
  target_schema: PyStr.default("aps"),
});

export const LegacyScheduleSchema = z.object({
  cron: PyStr.default("0 1 * * *"),
  timezone: PyStr.default("Asia/Seoul"),
  auto_start: PyBool.default(false),
});

export const LegacyJobSchema = z.object({
  enabled: PyBool.default(true),
  schedule: LegacyScheduleSchema.nullable().default(null),
});

/** The six job names of JobsConfig, in its field order; any other name was ignored. */
export const LEGACY_JOBS = [
  "daily_etl",
  "master_sync",
  "wip_pipeline",
  "cycle_time_pipeline",
  "equipment_pipeline",
  "dbt_transform",
] as const;
export type LegacyJobName = (typeof LEGACY_JOBS)[number];

export const LegacyJobsSchema = z.object({
  daily_etl: LegacyJobSchema.default({ enabled: true, schedule: null }),
  master_sync: LegacyJobSchema.default({ enabled: true, schedule: null }),
  wip_pipeline: LegacyJobSchema.default({ enabled: true, schedule: null }),
  cycle_time_pipeline: LegacyJobSchema.default({ enabled: true, schedule: null }),
  equipment_pipeline: LegacyJobSchema.default({ enabled: true, schedule: null }),
  dbt_transform: LegacyJobSchema.default({ enabled: false, schedule: null }),
});

export const LegacyTrinoOutputSchema = z.object({
  target_table: PyStr,
  target_schema: PyStr.default("aps"),
  key_columns: z.array(PyStr).default([]),
});

export const LegacyDbtTransformSchema = z.object({
  dbt_select: PyStr.default(""),
  dbt_exclude: PyStr.default(""),
});

export const LegacyPipelineEnvSchema = z.object({
  save_to_s3: PyBool.nullable().default(null),
  save_to_trino: PyBool.nullable().default(null),
});

export const LegacyPipelineSchema = z.object({
  source_table: PyStr,
  query: PyStr.nullable().default(null),
  date_column: PyStr.nullable().default(null),
  save_to_s3: PyBool.default(true),
  has_transfer: PyBool.default(false),
  transfer_inputs: z.array(PyStr).nullable().default(null),
  has_dbt_transform: PyBool.default(false),
  dbt_transform: LegacyDbtTransformSchema.nullable().default(null),
  save_to_trino: PyBool.default(false),
  trino_output: LegacyTrinoOutputSchema.nullable().default(null),
  // Any environment name was accepted as a key.
  environments: z.record(z.string(), LegacyPipelineEnvSchema).nullable().default(null),
});

export const LegacyDbtSchema = z.object({
  enabled: PyBool.default(false),
  project_dir: PyStr.nullable().default(null),
  target: PyStr.default("dev"),
  target_schema: PyStr.default("analytics"),
});

const envToggle = z.object({ enabled: PyBool.default(true) });

export const LegacyTenantSchema = z.object({
  id: PyStr.regex(
    /^[a-z][a-z0-9_]*$/,
    "Tenant ID must be lowercase alphanumeric starting with a letter",
  ),
  name: PyStr,
  enabled: PyBool.default(true),
  environments: z
    .object({
      dev: envToggle.default({ enabled: true }),
      staging: envToggle.default({ enabled: true }),
      prod: envToggle.default({ enabled: true }),
    })
    .default({ dev: { enabled: true }, staging: { enabled: true }, prod: { enabled: true } }),
  source_database: LegacySourceDatabaseSchema,
  storage: LegacyStorageSchema,
  target_database: LegacyTargetDatabaseSchema.default({
    trino_host: "localhost",
    trino_port: 8080,
    trino_user: "trino",
    trino_password: "",
    trino_http_scheme: "http",
    target_catalog: "iceberg",
    target_schema: "aps",
  }),
  jobs: LegacyJobsSchema.default({
    daily_etl: { enabled: true, schedule: null },
    master_sync: { enabled: true, schedule: null },
    wip_pipeline: { enabled: true, schedule: null },
    cycle_time_pipeline: { enabled: true, schedule: null },
    equipment_pipeline: { enabled: true, schedule: null },
    dbt_transform: { enabled: false, schedule: null },
  }),
  assets: z
    .object({ pipelines: z.record(z.string(), LegacyPipelineSchema).default({}) })
    .default({ pipelines: {} }),
  dbt: LegacyDbtSchema.default({
    enabled: false,
    project_dir: null,
    target: "dev",
    target_schema: "analytics",
  }),
  tags: z.record(z.string(), PyStr).default({}),
});

export type LegacyTenant = z.infer<typeof LegacyTenantSchema>;
export type LegacyPipeline = z.infer<typeof LegacyPipelineSchema>;
export type LegacyJob = z.infer<typeof LegacyJobSchema>;

/** Unwraps optional/default/nullable and preprocess/pipe wrappers down to the shape schema. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.out as z.ZodType;
    } else {
      return s;
    }
  }
  return s;
}

/** A key the old loader dropped, with the keys it would have accepted in that place. */
export interface IgnoredKey {
  path: string[];
  known: string[];
}

/** Every key of `raw` that `schema` (an old, key-dropping model) does not know, depth first. */
export function ignoredKeys(schema: z.ZodType, raw: unknown, at: string[] = []): IgnoredKey[] {
  const s = unwrap(schema);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return [];
  }
  const out: IgnoredKey[] = [];
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodType>;
    for (const [key, value] of Object.entries(raw)) {
      const child = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (child === undefined) {
        out.push({ path: [...at, key], known: Object.keys(shape) });
      } else {
        out.push(...ignoredKeys(child, value, [...at, key]));
      }
    }
  } else if (s instanceof z.ZodRecord) {
    for (const [key, value] of Object.entries(raw)) {
      out.push(...ignoredKeys(s.valueType as z.ZodType, value, [...at, key]));
    }
  }
  return out;
}

/** Every key path the old schema knows (records shown as `*`), for coverage checks. */
export function legacyKeyPaths(schema: z.ZodType = LegacyTenantSchema, at = ""): string[] {
  const s = unwrap(schema);
  const out: string[] = [];
  if (s instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      const p = at === "" ? key : `${at}.${key}`;
      out.push(p, ...legacyKeyPaths(child, p));
    }
  } else if (s instanceof z.ZodRecord) {
    out.push(...legacyKeyPaths(s.valueType as z.ZodType, `${at}.*`));
  }
  return out;
}
