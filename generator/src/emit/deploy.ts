/**
 * Deployment files of one tenant package: deploy/Dockerfile (builds that package alone from the
 * monorepo, via `turbo prune`) and deploy/k8s/*.yaml (one CronJob per scheduled job, its variables
 * from a Secret whose keys are the tenant's variables). Pure: plan in, FileMap out. No values of the
 * variables are emitted: the Secret template lists keys with empty values to be filled by operators.
 * Beside them, from their own modules: the backfill Indexed Job (backfill-job.ts) and the Argo
 * Workflows templates (argo.ts).
 */
import { environmentPlan, type JobPlan, type TenantPlan } from "@etl/runtime/plan";
import { k8sName } from "../model/translate.js";
import { byText } from "../order.js";
import { emitArgo } from "./argo.js";
import { emitBackfillJob } from "./backfill-job.js";
import { type FileMap, headerLines } from "./common.js";
import { type Instruction, printDockerfile, word } from "./dockerfile.js";
import { commentLine } from "./escape.js";
import { yamlFile } from "./k8s-doc.js";
import {
  jobObjectName,
  podResources,
  secretKeys,
  secretName,
  tenantEnv,
  tenantImage,
  tenantLabels,
} from "./k8s-pod.js";

export interface DeployInput {
  id: string;
  /** Repository-relative input files, for headers. */
  inputs: readonly string[];
  plan: TenantPlan;
}

// Node.js 24 LTS (supported until 2028-04-30): docs/decisions/node-version.md.
const NODE_IMAGE = "node:24-bookworm-slim";

function dockerfile(input: DeployInput): string {
  const id = word(input.id, "tenant id");
  const pkg = `@etl/tenant-${id}`;
  // The image is deployed as prod; dbt is the same in every environment.
  const dbt = input.plan.shared.dbt;
  const from = (as?: string): Instruction =>
    as === undefined
      ? { kind: "FROM", image: NODE_IMAGE }
      : { kind: "FROM", image: NODE_IMAGE, as };
  const run = (command: string): Instruction => ({ kind: "RUN", command });
  const blank: Instruction = { kind: "blank" };
  const out: Instruction[] = [
    ...headerLines(input.inputs).map(
      (text): Instruction => ({ kind: "comment", text: commentLine(text) }),
    ),
    {
      kind: "comment",
      text: `Build from the repository root: docker build -f generated/${id}/deploy/Dockerfile .`,
    },
    blank,
    from("prune"),
    { kind: "WORKDIR", path: "/repo" },
    run("npm install -g turbo@2"),
    { kind: "COPY", sources: ["."], dest: "." },
    {
      kind: "comment",
      text: "Keeps only this package and what it depends on (runtime), with a pruned lockfile.",
    },
    run(`turbo prune ${pkg} --docker`),
    blank,
    from("build"),
    { kind: "WORKDIR", path: "/repo" },
    { kind: "COPY", from: "prune", sources: ["/repo/out/json/"], dest: "." },
    run("npm ci"),
    { kind: "COPY", from: "prune", sources: ["/repo/out/full/"], dest: "." },
    run(`npx turbo run build --filter=${pkg} && npm prune --omit=dev`),
    blank,
  ];
  if (dbt !== null) {
    out.push(
      from("dbt"),
      run(
        "apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*",
      ),
      // The same pins as the local stack (test/stack/lib/dbt.sh; reasons in docs/stack.md).
      run(
        'python3 -m venv /opt/dbt && /opt/dbt/bin/pip install --no-cache-dir --only-binary=dbt-core-experimental-parser "dbt-core==1.12.0" "dbt-core-experimental-parser==2.0.0a4" "dbt-trino~=1.10.0" "trino>=0.334"',
      ),
      blank,
    );
  }
  out.push(dbt === null ? from() : { kind: "FROM", image: "dbt" });
  out.push({
    kind: "ENV",
    vars: [
      ["NODE_ENV", "production"],
      ["ETL_ENVIRONMENT", "prod"],
      ["ETL_HOME", "/var/lib/etl"],
    ],
  });
  if (dbt !== null) {
    out.push({ kind: "ENV", vars: [["DBT_BIN", "/opt/dbt/bin/dbt"]] });
  }
  out.push(
    { kind: "WORKDIR", path: "/app" },
    { kind: "COPY", from: "build", sources: ["/repo"], dest: "/app" },
  );
  if (dbt !== null) {
    const projectDir = word(dbt.projectDir, "dbt project folder");
    out.push({ kind: "COPY", sources: [`${projectDir}/`], dest: `/app/${projectDir}/` });
  }
  out.push(
    run("mkdir -p /var/lib/etl && chown node:node /var/lib/etl"),
    { kind: "USER", user: "node" },
    { kind: "ENTRYPOINT", args: ["node", `generated/${id}/dist/main.js`] },
    { kind: "CMD", args: ["list"] },
  );
  return printDockerfile(out);
}

function cronJob(input: DeployInput, job: JobPlan): unknown {
  const schedule = job.schedule;
  if (schedule === null) {
    throw new Error(`job ${job.name} has no schedule`);
  }
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: jobObjectName(input.id, job),
      labels: tenantLabels(input.id, job.name),
    },
    spec: {
      schedule: schedule.cron,
      timeZone: schedule.timezone,
      // The run lock also refuses overlaps; Forbid avoids starting pods only to be refused.
      concurrencyPolicy: "Forbid",
      suspend: !schedule.autoStart,
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: {
        spec: {
          // The executor retries transient failures itself; a failed pod is a real failure.
          backoffLimit: 0,
          template: {
            metadata: { labels: { "etl/tenant": input.id, "etl/job": job.name } },
            spec: {
              restartPolicy: "Never",
              containers: [
                {
                  name: "etl",
                  image: tenantImage(input.id),
                  args: ["run", job.name],
                  env: tenantEnv(input.id, input.plan),
                  resources: podResources(),
                },
              ],
            },
          },
        },
      },
    },
  };
}

function secretTemplate(input: DeployInput): unknown {
  const keys = secretKeys(input.plan);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName(input.id), labels: { "etl/tenant": input.id } },
    type: "Opaque",
    stringData: Object.fromEntries(keys.map((k) => [k, ""])),
  };
}

/** deploy/Dockerfile and deploy/k8s/*.yaml of generated/<id>/. */
export function emitDeploy(input: DeployInput): FileMap {
  const dir = `generated/${input.id}/deploy`;
  const files: FileMap = new Map();
  files.set(`${dir}/Dockerfile`, dockerfile(input));
  files.set(`${dir}/k8s/secret.template.yaml`, yamlFile(input.inputs, secretTemplate(input)));
  const jobs = [...environmentPlan(input.plan, "prod").jobs]
    .filter((j) => j.schedule !== null)
    .sort(byText((job) => job.name));
  for (const job of jobs) {
    files.set(
      `${dir}/k8s/cronjob-${k8sName(job.name)}.yaml`,
      yamlFile(input.inputs, cronJob(input, job)),
    );
  }
  for (const emit of [emitBackfillJob, emitArgo]) {
    for (const [file, text] of emit(input)) files.set(file, text);
  }
  return files;
}
