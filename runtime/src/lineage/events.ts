/**
 * OpenLineage run events (spec 2-0-2) for asset runs: START when an asset starts, COMPLETE or FAIL
 * when it ends, each naming the asset's input and output datasets by OpenLineage's naming spec:
 *
 *   PostgreSQL source table  postgres://<host>:<port>   <database>.<schema>.<table>
 *   Parquet on S3            s3://<bucket>              <base path>/<stage>/<pipeline>
 *   Parquet on local disk    file                       /<absolute path>
 *   Iceberg table (Trino)    trino://<host>:<port>      <catalog>.<schema>.<table>
 *
 * so extract -> transfer -> load -> dbt chain up in a lineage backend: each asset's output is
 * the next one's input. Datasets carry a schema facet from the plan (the introspected snapshot,
 * the transform's declared output, the load's columns). The job is the asset
 * (`<tenant>.<stage>.<name>` in the configured namespace); its parent run facet names the ETL run.
 */
import path from "node:path";
import { parseAssetKey } from "../contract/asset-key.js";
import { columnsFromOutput, columnsFromSource } from "../load/columns.js";
import { movedOf } from "../metrics/moved.js";
import type { AssetPlan, EnvironmentPlan, PipelinePlan } from "../plan.js";
import type { ResolvedResources } from "../resources.js";

export const OPENLINEAGE_RUN_EVENT_SCHEMA =
  "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET =
  "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const PARENT_FACET =
  "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet";
const ERROR_FACET =
  "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
const JOB_TYPE_FACET =
  "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const OUTPUT_STATS_FACET =
  "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";
/** The producer of our events: a URI naming this runtime. */
export const OPENLINEAGE_PRODUCER = "urn:etl-build:runtime";

export interface DatasetRef {
  namespace: string;
  name: string;
  /** Column names and types; null: unknown. */
  fields: { name: string; type: string }[] | null;
}

/** Where each stage's data of a tenant lives, for naming datasets. */
export interface LineageContext {
  tenant: string;
  namespace: string;
  envPlan: EnvironmentPlan;
  resources: Pick<ResolvedResources, "source" | "storage" | "trino">;
  /** Resolves a load target's catalog (a reference in the plan); null when it cannot. */
  catalogOf: (pipeline: PipelinePlan) => string | null;
}

function storageDataset(
  ctx: LineageContext,
  stage: "extract" | "transfer",
  pipeline: string,
): DatasetRef {
  const storage = ctx.resources.storage;
  const key = [storage.basePath, stage, pipeline].filter((p) => p !== "").join("/");
  return storage.kind === "s3"
    ? { namespace: `s3://${storage.bucket}`, name: key, fields: null }
    : { namespace: "file", name: path.resolve(storage.root, key), fields: null };
}

function trinoNamespace(ctx: LineageContext): string {
  return `trino://${ctx.resources.trino.host}:${ctx.resources.trino.port}`;
}

/** The dataset a pipeline's stage writes, with its columns. */
function stageOutput(
  ctx: LineageContext,
  p: PipelinePlan,
  stage: "extract" | "transfer",
): DatasetRef {
  const ds = storageDataset(ctx, stage, p.name);
  if (stage === "transfer" && p.transfer !== null) {
    const cols = columnsFromOutput(p.transfer.output);
    return { ...ds, fields: cols.ok ? cols.columns : null };
  }
  if (p.columns === null) return ds;
  const cols = columnsFromSource(
    p.columns,
    p.targetColumns?.names ?? undefined,
    p.targetColumns?.unmappedTypes ?? "text",
  );
  return { ...ds, fields: cols.ok ? cols.columns : null };
}

function loadTarget(ctx: LineageContext, p: PipelinePlan): DatasetRef | null {
  const out = p.trinoOutput;
  const catalog = out === null ? null : ctx.catalogOf(p);
  if (out === null || catalog === null) return null;
  const last = stageOutput(ctx, p, p.hasTransfer && p.transfer !== null ? "transfer" : "extract");
  return {
    namespace: trinoNamespace(ctx),
    name: `${catalog}.${out.schema}.${out.table}`.toLowerCase(),
    fields:
      last.fields === null
        ? null
        : [
            ...last.fields.filter((f) => f.name !== out.tenantColumn.toLowerCase()),
            { name: out.tenantColumn.toLowerCase(), type: "varchar" },
          ],
  };
}

/** `"iceberg"."s"."t"` (dbt's relation) as a Trino dataset. */
function relationDataset(ctx: LineageContext, relation: string): DatasetRef | null {
  const parts = [...relation.matchAll(/"((?:[^"]|"")*)"|([^".]+)/g)].map((m) =>
    (m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? "")).toLowerCase(),
  );
  return parts.length === 3
    ? { namespace: trinoNamespace(ctx), name: parts.join("."), fields: null }
    : null;
}

/** The dataset an asset writes; dbt models need the relation dbt reported (`relations`). */
export function assetOutput(
  ctx: LineageContext,
  asset: AssetPlan,
  relations: ReadonlyMap<string, string>,
): DatasetRef | null {
  const p =
    asset.pipeline === null
      ? undefined
      : ctx.envPlan.pipelines.find((x) => x.name === asset.pipeline);
  switch (asset.stage) {
    case "extract":
    case "transfer":
      return p === undefined ? null : stageOutput(ctx, p, asset.stage);
    case "load":
      return p === undefined ? null : loadTarget(ctx, p);
    case "dbt": {
      const relation = relations.get(asset.key);
      return relation === undefined ? null : relationDataset(ctx, relation);
    }
  }
}

/** The datasets an asset reads. */
export function assetInputs(
  ctx: LineageContext,
  asset: AssetPlan,
  relations: ReadonlyMap<string, string>,
): DatasetRef[] {
  const p =
    asset.pipeline === null
      ? undefined
      : ctx.envPlan.pipelines.find((x) => x.name === asset.pipeline);
  if (asset.stage === "extract") {
    if (p === undefined || p.sourceTable === null) return [];
    const src = ctx.resources.source;
    return [
      {
        namespace: `postgres://${src.host}:${src.port}`,
        name: `${src.database}.${src.schema}.${p.sourceTable}`,
        fields:
          p.columns === null ? null : p.columns.map((c) => ({ name: c.name, type: c.pgType })),
      },
    ];
  }
  const out: DatasetRef[] = [];
  for (const dep of asset.deps) {
    const upstream = ctx.envPlan.assets.find((a) => a.key === dep);
    const ds = upstream === undefined ? null : assetOutput(ctx, upstream, relations);
    if (ds !== null) out.push(ds);
  }
  return out;
}

/** The OpenLineage job name of an asset: `<tenant>.<stage>.<name>`. */
export function lineageJobName(assetKey: string): string {
  const parts = parseAssetKey(assetKey);
  return parts === null
    ? assetKey.replaceAll("/", ".")
    : `${parts.tenant}.${parts.stage}.${parts.name}`;
}

export interface RunEventInput {
  eventType: "START" | "COMPLETE" | "FAIL";
  eventTime: string;
  /** The asset run's UUID: the same in its START and its COMPLETE/FAIL. */
  runId: string;
  asset: AssetPlan;
  /** The ETL run this asset run belongs to. */
  parent: { runId: string; job: string };
  inputs: DatasetRef[];
  outputs: DatasetRef[];
  /** What the stage recorded, for output statistics (COMPLETE). */
  metadata?: Record<string, unknown>;
  error?: string | null;
}

function datasetJson(ds: DatasetRef): Record<string, unknown> {
  return {
    namespace: ds.namespace,
    name: ds.name,
    facets:
      ds.fields === null
        ? {}
        : {
            schema: {
              _producer: OPENLINEAGE_PRODUCER,
              _schemaURL: SCHEMA_FACET,
              fields: ds.fields.map((f) => ({ name: f.name, type: f.type })),
            },
          },
  };
}

/** One RunEvent as its JSON document. */
export function openLineageEvent(
  ctx: Pick<LineageContext, "namespace" | "tenant">,
  e: RunEventInput,
): Record<string, unknown> {
  const runFacets: Record<string, unknown> = {
    parent: {
      _producer: OPENLINEAGE_PRODUCER,
      _schemaURL: PARENT_FACET,
      run: { runId: e.parent.runId },
      job: { namespace: ctx.namespace, name: `${ctx.tenant}.${e.parent.job}` },
    },
  };
  if (e.eventType === "FAIL" && e.error !== undefined && e.error !== null) {
    runFacets.errorMessage = {
      _producer: OPENLINEAGE_PRODUCER,
      _schemaURL: ERROR_FACET,
      message: e.error,
      programmingLanguage: "TypeScript",
    };
  }
  const moved = e.metadata === undefined ? null : movedOf(e.metadata);
  const outputs = e.outputs.map((ds) => {
    const json = datasetJson(ds);
    if (
      e.eventType === "COMPLETE" &&
      moved !== null &&
      (moved.rows !== null || moved.bytes !== null)
    ) {
      json.outputFacets = {
        outputStatistics: {
          _producer: OPENLINEAGE_PRODUCER,
          _schemaURL: OUTPUT_STATS_FACET,
          ...(moved.rows === null ? {} : { rowCount: moved.rows }),
          ...(moved.bytes === null ? {} : { size: moved.bytes }),
        },
      };
    }
    return json;
  });
  return {
    eventType: e.eventType,
    eventTime: e.eventTime,
    producer: OPENLINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_RUN_EVENT_SCHEMA,
    run: { runId: e.runId, facets: runFacets },
    job: {
      namespace: ctx.namespace,
      name: lineageJobName(e.asset.key),
      facets: {
        jobType: {
          _producer: OPENLINEAGE_PRODUCER,
          _schemaURL: JOB_TYPE_FACET,
          processingType: "BATCH",
          integration: "ETL_BUILD",
          jobType: e.asset.stage === "dbt" ? "MODEL" : "TASK",
        },
      },
    },
    inputs: e.inputs.map(datasetJson),
    outputs,
  };
}
