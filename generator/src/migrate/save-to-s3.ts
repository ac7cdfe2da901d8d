/**
 * `save_to_s3: false`, translated. In the old system it only made the extract skip writing its
 * Parquet (nothing downstream looked at it: the transfer always wrote to S3, dbt read PostgreSQL).
 * Here it keeps a pipeline's stage files in the run's scratch space, and the generator refuses it
 * where Trino must read them from S3. That rule is the generator's own (model/stage-files.ts),
 * asked with what the migrated config will say; where it refuses, the migration writes
 * `save_to_s3: true` and lists each such change, and where it does not, `false` stays.
 */
import { assetKey } from "@etl/runtime/contract";
import { dbtAssets, readManifest } from "../dbt/index.js";
import {
  mergeStageFileProblems,
  type StageFilesPipeline,
  type StageFilesProblem,
  type StageFilesReader,
  stageFileProblems,
} from "../model/stage-files.js";
import { type ConvertContext, ENVIRONMENTS, type Env, type PipelineOut } from "./context.js";
import type { DbtConversion } from "./dbt-project.js";

/** The migrated dbt project as far as readers of the extracts go. */
export interface DbtReadersInput {
  conversion: DbtConversion;
  /** The manifest dbt produced from the converted project; null when dbt did not run. */
  manifest: string | null;
}

/** Where the readers of the extracts were found, for the report. */
type ReadersFrom = "manifest" | "sources";

/** Turns save_to_s3 on where the generator would refuse false, and says so; keeps it elsewhere. */
export function convertSaveToS3(
  ctx: ConvertContext,
  pipelines: readonly PipelineOut[],
  dbt: DbtReadersInput | null,
): void {
  const { readers, from } = dbtReaders(ctx, pipelines, dbt);
  const problems = mergeStageFileProblems(
    ENVIRONMENTS.flatMap((env) =>
      stageFileProblems(
        ctx.id,
        env,
        pipelines.map((p) => asMigrated(p, env)),
        readers,
      ),
    ),
  );
  let kept = false;
  for (const p of pipelines) {
    const refusals = problems.filter((x) => x.pipeline === p.name);
    const refused = ENVIRONMENTS.filter((e) => refusals.some((x) => x.environments.includes(e)));
    if (refused.length > 0) {
      turnOn(ctx, p, refused, refusals, from);
    }
    kept ||= ENVIRONMENTS.some((e) => !p.saveToS3[e] && !refused.includes(e));
  }
  if (kept) {
    ctx.decisions.add(
      "save_to_s3: false is kept where nothing reads the pipeline's files from S3 (no load, no dbt model over its extract): its stage files then live only in the run's scratch space (ETL_HOME/scratch/<tenant>/<run id>/), are read there by its transfer and by the transfers of the same run, and are removed when the run ends (a run that selects such a transfer without its input extracts fails and says so). In the old system the extract wrote no Parquet at all, and a transfer reading it failed.",
    );
  }
}

/** The pipeline in `env` as the migrated config has it: no checks, no incremental (the old had none). */
function asMigrated(p: PipelineOut, env: Env): StageFilesPipeline {
  return {
    name: p.name,
    saveToS3: p.saveToS3[env],
    saveToTrino: p.loads[env],
    checks: [],
    incremental: null,
  };
}

/**
 * What reads the pipelines' extracts through dbt: the models of the refreshed manifest (as the
 * generator will see them), else each source of the project named like a pipeline (dbt parsed
 * nothing yet, so the models over it are unknown; the generator names them once it has).
 */
function dbtReaders(
  ctx: ConvertContext,
  pipelines: readonly PipelineOut[],
  dbt: DbtReadersInput | null,
): { readers: StageFilesReader[]; from: ReadersFrom } {
  if (dbt === null) {
    return { readers: [], from: "sources" };
  }
  if (dbt.manifest !== null) {
    const manifestPath = `tenants/${ctx.id}/dbt/target/manifest.json`;
    const read = readManifest(manifestPath, dbt.manifest);
    if (read.ok) {
      // Only the assets and their lineage are wanted here; what else is wrong with the project
      // (a source no pipeline feeds, a name clash) npm run generate reports, as the CLI shows.
      const result = dbtAssets({
        tenantId: ctx.id,
        manifest: read.manifest,
        manifestPath,
        pipelines: pipelines.map((p) => ({
          name: p.name,
          partitioned: p.legacy.date_column !== null,
        })),
        externalSources: dbt.conversion.externalSources,
      });
      return { readers: result.assets, from: "manifest" };
    }
    ctx.todo.push({
      where: manifestPath,
      text: `the manifest dbt just wrote could not be read (${read.problems.map((p) => p.message).join("; ")}): the readers of the extracts were taken from the project's source definitions instead; run npm run generate -- --tenant ${ctx.id} to check them`,
    });
  }
  return {
    readers: dbt.conversion.pipelineSources.map((s) => ({
      key: assetKey(ctx.id, "dbt", `${s.source}.${s.table}`),
      stage: "dbt",
      deps: [assetKey(ctx.id, "extract", s.table)],
      // Named as the generator's message reads it: "dbt model(s) <name> read its extract".
      dbt: { name: `over source ${s.source}.${s.table}` },
    })),
    from: "sources",
  };
}

/** Writes save_to_s3: true for the refused environments of one pipeline, with a report item. */
function turnOn(
  ctx: ConvertContext,
  p: PipelineOut,
  refused: readonly Env[],
  refusals: readonly StageFilesProblem[],
  from: ReadersFrom,
): void {
  const declared = Object.keys(ctx.cfg.tenant.assets.pipelines).length > 0;
  const keyPath = (...rest: string[]) => ["assets", "pipelines", p.name, ...rest];
  const oldAt = (...rest: string[]) => ctx.at(declared ? keyPath(...rest) : ["assets"]);
  const written: string[][] = [];
  // An environment whose own override said false gets true there.
  const fromBase: Env[] = [];
  for (const env of refused) {
    const own = p.overrides[env];
    if (own?.save_to_s3 === false) {
      own.save_to_s3 = true;
      written.push(["environments", env, "save_to_s3"]);
    } else {
      fromBase.push(env);
    }
  }
  // The rest took the pipeline's value: true there when every environment that takes it is
  // refused, else an override for each refused one.
  const takeBase = ENVIRONMENTS.filter((e) => p.overrides[e]?.save_to_s3 === undefined);
  if (fromBase.length > 0 && fromBase.length === takeBase.length) {
    p.node.save_to_s3 = true;
    written.unshift(["save_to_s3"]);
  } else if (fromBase.length > 0) {
    for (const env of fromBase) {
      p.overrides[env] = { save_to_s3: true, ...p.overrides[env] };
      written.push(["environments", env, "save_to_s3"]);
    }
    // In the order dev, staging, prod (the only keys pipelines.ts keeps).
    p.overrides = Object.fromEntries(
      ENVIRONMENTS.flatMap((e) => (p.overrides[e] === undefined ? [] : [[e, p.overrides[e]]])),
    );
    p.node.environments = p.overrides;
  }
  const why = refusals.map((x) => `${x.message} (in ${x.environments.join(", ")})`).join("; ");
  const rules = new Set(refusals.map((x) => x.rule));
  const old = [
    ...(rules.has("load")
      ? [
          p.legacy.has_transfer
            ? "the transfer wrote its output to S3 regardless (it ignored save_to_s3), and the load read that"
            : "the load read the extract's Parquet, and failed: there was none",
        ]
      : []),
    ...(rules.has("dbt")
      ? [
          "dbt never read it: the models read the source table from the tenant's PostgreSQL through the project's own profiles.yml (dbt-postgres), where dbt-trino here reads the extract's files from S3",
        ]
      : []),
  ];
  for (const w of written) {
    ctx.comments.push({
      path: keyPath(...w),
      text: ` migrate: false in the old config; true because Trino reads these files from S3 ${w.length === 1 ? `in ${fromBase.join(", ")}` : "here"} (MIGRATION.md)`,
    });
  }
  const sourcesOnly =
    from === "sources" && rules.has("dbt")
      ? " The dbt readers come from the project's source definitions (dbt did not run here): npm run generate names the models once the manifest is refreshed."
      : "";
  ctx.converted.push({
    where: oldAt(
      ...(fromBase.length > 0 ? ["save_to_s3"] : ["environments", refused[0] ?? "", "save_to_s3"]),
    ),
    text: `save_to_s3: false -> true in ${refused.join(", ")} (written as ${written.map((w) => w.join(".")).join(", ")}): there false would keep the stage files only in the run's scratch space, which the generator refuses: ${why}. So there the extract's files are now written to the tenant's storage, which the old extract skipped.${sourcesOnly} In the old system the extract wrote no Parquet there${old.length > 0 ? `; ${old.join("; ")}` : ""}.`,
  });
}
