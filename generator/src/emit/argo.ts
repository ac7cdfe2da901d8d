/**
 * Argo Workflows files of one tenant package, deploy/argo/*.yaml: a WorkflowTemplate per job whose
 * DAG mirrors the job's asset graph (one task per asset, each its own pod running
 * `run <job> --select <asset>`), and a CronWorkflow per scheduled job with the job's cron and time
 * zone. Pure: plan in, FileMap out, objects printed with `yaml` (docs/operations.md "Argo
 * Workflows").
 */
import { createHash } from "node:crypto";
import { DEFAULT_RETRY } from "@etl/runtime/contract";
import { type AssetPlan, environmentPlan, type JobPlan, type Stage } from "@etl/runtime/plan";
import { k8sName } from "../model/translate.js";
import { byText } from "../order.js";
import type { FileMap } from "./common.js";
import type { DeployInput } from "./deploy.js";
import { yamlFile } from "./k8s-doc.js";
import { jobObjectName, podResources, tenantEnv, tenantImage, tenantLabels } from "./k8s-pod.js";

/** The DAG task (and template) that resolves the partition once for every asset task. */
const PARTITION_TASK = "partition";

/** What a partitioned workflow runs when submitted without `-p partition=YYYY-MM-DD`. */
const LATEST = "latest";

/** The template of a job with no asset graph (the maintenance job): the whole job in one pod. */
const WHOLE_JOB = "job";

/** One DAG task: an asset of the job, with the tasks of its upstream assets in the job. */
export interface AssetTask {
  name: string;
  asset: string;
  stage: Stage;
  dependencies: string[];
}

/**
 * The job's asset graph as DAG tasks, in the job's asset order. A dependency outside the job is
 * left out, as `run --select` treats it: already materialised. Task names are Kubernetes-safe
 * (`<stage>-<name>`); two assets that fold to one name keep it apart with a hash of their key.
 */
export function assetTasks(job: JobPlan, assets: readonly AssetPlan[]): AssetTask[] {
  const byKey = new Map(assets.map((a) => [a.key, a]));
  const names = new Map<string, string>();
  const taken = new Set<string>([PARTITION_TASK, WHOLE_JOB]);
  for (const key of job.assets) {
    const asset = byKey.get(key);
    if (asset === undefined) {
      throw new Error(`internal: job ${job.name} lists asset ${key}, which the plan does not have`);
    }
    const local = key.split("/").slice(1);
    let name = k8sName(...local);
    if (taken.has(name)) name = k8sName(...local, hashOf(key));
    taken.add(name);
    names.set(key, name);
  }
  return job.assets.flatMap((key) => {
    const asset = byKey.get(key);
    const name = names.get(key);
    if (asset === undefined || name === undefined) return [];
    const dependencies = asset.deps.flatMap((dep) => {
      const task = names.get(dep);
      return task === undefined ? [] : [task];
    });
    return [{ name, asset: key, stage: asset.stage, dependencies }];
  });
}

function hashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** Argo durations from milliseconds ("1s", "500ms"). */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The executor already retries a stage's transient failures inside the pod with this policy, and
 * a non-zero exit means the failure was permanent or the retries ran out: repeating the pod would
 * only repeat it. What the process cannot retry is its pod vanishing (eviction, a lost node):
 * Argo's "OnError" retries exactly that, as often and with the same backoff as the stage's policy.
 */
function retryStrategy(stage: Stage): unknown {
  const policy = DEFAULT_RETRY[stage];
  return {
    limit: policy.attempts - 1,
    retryPolicy: "OnError",
    backoff: {
      duration: duration(policy.baseDelayMs),
      factor: 2,
      cap: duration(policy.maxDelayMs),
    },
  };
}

function container(input: DeployInput, args: string[]): unknown {
  return {
    name: "etl",
    image: tenantImage(input.id),
    args,
    // Every pod of the workflow must see the others' claims and materialisations.
    env: tenantEnv(input.id, input.plan, ["ETL_LEDGER_URL"]),
    resources: podResources(),
  };
}

function workflowTemplate(input: DeployInput, job: JobPlan): unknown {
  const env = environmentPlan(input.plan, "prod");
  const partitioned = job.partitioned;
  const partitionArg = partitioned ? ["--partition", "{{inputs.parameters.partition}}"] : [];
  const inputs = partitioned ? { parameters: [{ name: "partition" }] } : undefined;
  const fromPartitionTask = partitioned
    ? [{ name: "partition", value: `{{tasks.${PARTITION_TASK}.outputs.result}}` }]
    : [];
  const tasks = job.kind === "maintenance" ? [] : assetTasks(job, env.assets);
  const dagTasks: unknown[] = [];
  const templates: unknown[] = [];
  if (partitioned) {
    dagTasks.push({ name: PARTITION_TASK, template: PARTITION_TASK });
    templates.push({
      name: PARTITION_TASK,
      container: container(input, [
        "partition",
        job.name,
        "--partition",
        "{{workflow.parameters.partition}}",
      ]),
    });
  }
  const after = partitioned ? [PARTITION_TASK] : [];
  if (tasks.length === 0) {
    dagTasks.push({
      name: WHOLE_JOB,
      template: WHOLE_JOB,
      ...(after.length > 0 ? { dependencies: after } : {}),
      ...(partitioned ? { arguments: { parameters: fromPartitionTask } } : {}),
    });
    templates.push({
      name: WHOLE_JOB,
      ...(inputs === undefined ? {} : { inputs }),
      retryStrategy: retryStrategy("load"),
      container: container(input, ["run", job.name, ...partitionArg]),
    });
  }
  for (const task of tasks) {
    const dependencies = [...after, ...task.dependencies];
    dagTasks.push({
      name: task.name,
      template: task.stage,
      ...(dependencies.length > 0 ? { dependencies } : {}),
      arguments: { parameters: [{ name: "asset", value: task.asset }, ...fromPartitionTask] },
    });
  }
  const stages = [...new Set(tasks.map((t) => t.stage))].sort();
  for (const stage of stages) {
    templates.push({
      name: stage,
      inputs: { parameters: [{ name: "asset" }, ...(inputs?.parameters ?? [])] },
      retryStrategy: retryStrategy(stage),
      container: container(input, [
        "run",
        job.name,
        "--select",
        "{{inputs.parameters.asset}}",
        ...partitionArg,
        // One run lock per job and partition (docs/operations.md): a task whose sibling holds it
        // waits for it rather than failing.
        "--wait",
      ]),
    });
  }
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTemplate",
    metadata: {
      name: jobObjectName(input.id, job),
      labels: tenantLabels(input.id, job.name),
    },
    spec: {
      entrypoint: "dag",
      parallelism: job.concurrency,
      ...(partitioned ? { arguments: { parameters: [{ name: "partition", value: LATEST }] } } : {}),
      podMetadata: { labels: { "etl/tenant": input.id, "etl/job": job.name } },
      podGC: { strategy: "OnPodSuccess" },
      templates: [{ name: "dag", dag: { tasks: dagTasks } }, ...templates],
    },
  };
}

function cronWorkflow(input: DeployInput, job: JobPlan): unknown {
  const schedule = job.schedule;
  if (schedule === null) {
    throw new Error(`internal: job ${job.name} has no schedule`);
  }
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: {
      name: jobObjectName(input.id, job),
      labels: tenantLabels(input.id, job.name),
    },
    spec: {
      schedules: [schedule.cron],
      timezone: schedule.timezone,
      // The run lock also refuses overlaps; Forbid avoids starting workflows only to wait.
      concurrencyPolicy: "Forbid",
      suspend: !schedule.autoStart,
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      workflowSpec: { workflowTemplateRef: { name: jobObjectName(input.id, job) } },
    },
  };
}

/** deploy/argo/*.yaml of generated/<id>/. */
export function emitArgo(input: DeployInput): FileMap {
  const dir = `generated/${input.id}/deploy/argo`;
  const files: FileMap = new Map();
  const jobs = [...environmentPlan(input.plan, "prod").jobs].sort(byText((job) => job.name));
  for (const job of jobs) {
    const name = k8sName(job.name);
    files.set(
      `${dir}/workflowtemplate-${name}.yaml`,
      yamlFile(input.inputs, workflowTemplate(input, job)),
    );
    if (job.schedule !== null) {
      files.set(
        `${dir}/cronworkflow-${name}.yaml`,
        yamlFile(input.inputs, cronWorkflow(input, job)),
      );
    }
  }
  return files;
}
