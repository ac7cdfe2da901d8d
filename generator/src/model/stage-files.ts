/**
 * What `save_to_s3: false` allows. Such a pipeline keeps its stage files (extract, transfer
 * output) only in the run's scratch space on the machine that runs it, removed when the run ends
 * (runtime/src/storage/scratch.ts). Whatever reads those files through Trino cannot work then,
 * because Trino reads staged Parquet from S3: a load, the pipeline's checks, and dbt models over
 * its extract. An incremental extract would advance its watermark over rows no stage keeps.
 * Each is refused in the environments where it happens.
 */
import type { AssetPlan, EnvironmentName, PipelinePlan } from "@etl/runtime/plan";

/**
 * What the rules read of a pipeline. A plan's pipeline is one; so is the migration's view of an
 * old pipeline (generator/src/migrate/stage-files.ts), which asks the same rules what it must turn on.
 */
export type StageFilesPipeline = Pick<
  PipelinePlan,
  "name" | "saveToS3" | "saveToTrino" | "checks" | "incremental"
>;

/** What may read a pipeline's extract: an asset whose deps name it (a dbt model, through its source). */
export type StageFilesReader = Pick<AssetPlan, "key" | "stage" | "deps"> & {
  dbt: { name: string } | null;
};

export interface StageFilesProblem {
  pipeline: string;
  /** Which refusal: one problem per pipeline and rule, over all its environments. */
  rule: "load" | "checks" | "incremental" | "dbt";
  environments: EnvironmentName[];
  message: string;
  hint: string;
}

/** Refusals for one environment's pipelines. */
export function stageFileProblems(
  tenant: string,
  environment: EnvironmentName,
  pipelines: readonly StageFilesPipeline[],
  assets: readonly StageFilesReader[],
): StageFilesProblem[] {
  const out: StageFilesProblem[] = [];
  for (const p of pipelines) {
    if (p.saveToS3) continue;
    const add = (rule: StageFilesProblem["rule"], message: string, hint: string) =>
      out.push({ pipeline: p.name, rule, environments: [environment], message, hint });
    if (p.saveToTrino) {
      add(
        "load",
        `pipeline "${p.name}" has save_to_s3: false and save_to_trino: true, but the load reads the staged Parquet through Trino, which reads it from S3 (save_to_s3: false keeps the files only on the machine of the run)`,
        "set save_to_s3: true (or save_to_trino: false) for this environment",
      );
    }
    if (p.checks.length > 0) {
      add(
        "checks",
        `pipeline "${p.name}" has save_to_s3: false and checks, but checks run on Trino over the pipeline's files on S3`,
        "set save_to_s3: true for this environment, or remove the checks",
      );
    }
    if (p.incremental !== null) {
      add(
        "incremental",
        `pipeline "${p.name}" has save_to_s3: false and is incremental: its watermark would advance over rows that no stage keeps`,
        "set save_to_s3: true for this environment, or remove incremental:",
      );
    }
    const extract = `${tenant}/extract/${p.name}`;
    const readers = assets.filter((a) => a.stage === "dbt" && a.deps.includes(extract));
    if (readers.length > 0) {
      add(
        "dbt",
        `pipeline "${p.name}" has save_to_s3: false, but dbt model(s) ${readers.map((a) => a.dbt?.name ?? a.key).join(", ")} read its extract through Trino from S3`,
        "set save_to_s3: true for this environment",
      );
    }
  }
  return out;
}

/** Merges the problems of several environments: one per pipeline and rule. */
export function mergeStageFileProblems(
  problems: readonly StageFilesProblem[],
): StageFilesProblem[] {
  const byKey = new Map<string, StageFilesProblem>();
  for (const p of problems) {
    const key = `${p.pipeline}\u0000${p.rule}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, { ...p, environments: [...p.environments] });
    } else {
      seen.environments.push(...p.environments);
    }
  }
  return [...byKey.values()];
}
