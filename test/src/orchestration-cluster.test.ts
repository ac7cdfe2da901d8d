/**
 * The cluster manifests of every generated tenant (deploy/k8s/backfill-job.yaml, deploy/argo/*.yaml)
 * against real schemas: kubernetes-models' validators for the Indexed Job, the Argo Workflows
 * models' validators (generated from Argo's own OpenAPI schema) for WorkflowTemplates and
 * CronWorkflows; each WorkflowTemplate's DAG against the tenant's plan, and names across tenants.
 * No cluster exists here: what a controller would do with them is in docs/operations.md.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_RETRY } from "@etl/runtime/contract";
import { environmentPlan, type JobPlan, type TenantPlan } from "@etl/runtime/plan";
import {
  CronWorkflow,
  type ICronWorkflow,
  type IWorkflowTemplate,
  WorkflowTemplate,
} from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1";
import { type IJob, Job } from "kubernetes-models/batch/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const repoRoot = path.resolve(import.meta.dirname, "../..");

const tenants = readdirSync(path.join(repoRoot, "generated"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(repoRoot, "generated", d.name, "deploy")))
  .map((d) => d.name)
  .sort();

function yamlDocs(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    expect(doc.errors, `${file} parses`).toEqual([]);
  }
  return docs.map((doc) => doc.toJS() as unknown);
}

function deployFiles(tenant: string, sub: "k8s" | "argo"): string[] {
  const dir = path.join(repoRoot, "generated", tenant, "deploy", sub);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
}

async function tenantPlan(tenant: string): Promise<TenantPlan> {
  const module = (await import(path.join(repoRoot, "generated", tenant, "src", "plan.ts"))) as {
    plan: TenantPlan;
  };
  return module.plan;
}

type Task = NonNullable<
  NonNullable<NonNullable<IWorkflowTemplate["spec"]["templates"]>[number]["dag"]>["tasks"]
>[number];

function parameter(task: Task, name: string): string | undefined {
  const found = task.arguments?.parameters?.find((p) => p.name === name);
  return found?.value === undefined || found.value === null ? undefined : String(found.value);
}

function templateOf(tenant: string, job: JobPlan): IWorkflowTemplate {
  const file = path.join(
    repoRoot,
    "generated",
    tenant,
    "deploy",
    "argo",
    `workflowtemplate-${job.name.replaceAll("_", "-")}.yaml`,
  );
  const [doc] = yamlDocs(file);
  return doc as IWorkflowTemplate;
}

describe("cluster manifests of every generated tenant", () => {
  it("exist for every tenant package", () => {
    expect(tenants).toEqual(["default", "project_01", "project_02"]);
  });

  it.each(tenants)(
    "%s: the backfill Indexed Job is schema-valid and runs workers",
    async (tenant) => {
      const plan = await tenantPlan(tenant);
      const file = path.join(repoRoot, "generated", tenant, "deploy", "k8s", "backfill-job.yaml");
      const partitioned = environmentPlan(plan, "prod").jobs.some(
        (j) => j.partitioned && j.kind !== "maintenance",
      );
      expect(existsSync(file)).toBe(partitioned);
      if (!partitioned) return;
      const [doc] = yamlDocs(file);
      const job = new Job(doc as IJob);
      job.validate();
      const spec = job.spec;
      expect(spec?.completionMode).toBe("Indexed");
      expect(spec?.completions).toBeGreaterThan(0);
      expect(spec?.parallelism).toBe(spec?.completions);
      expect(spec?.backoffLimit).toBeGreaterThanOrEqual(0);
      expect(spec?.activeDeadlineSeconds).toBeGreaterThan(0);
      const [container, ...others] = spec?.template.spec?.containers ?? [];
      expect(others).toEqual([]);
      expect(container?.args).toEqual(["worker", "$(ETL_BACKFILL_ID)"]);
      expect(container?.resources?.requests).toMatchObject({ cpu: expect.any(String) });
      const env = container?.env ?? [];
      // Kubernetes expands $(ETL_BACKFILL_ID) only from a variable the container defines.
      expect(env.map((e) => e.name)).toContain("ETL_BACKFILL_ID");
      const secrets = env.flatMap((e) =>
        e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [],
      );
      expect(new Set(secrets.map((s) => s.name))).toEqual(
        new Set([`etl-${tenant.replaceAll("_", "-")}-env`]),
      );
      for (const name of plan.envVars) {
        expect(secrets.find((s) => s.key === name)?.optional, name).toBe(false);
      }
      // Workers meet only in the shared ledger: without it each pod would run every partition.
      expect(secrets.find((s) => s.key === "ETL_LEDGER_URL")?.optional).toBe(false);
    },
  );

  it.each(tenants)("%s: every Argo object is schema-valid", (tenant) => {
    const files = deployFiles(tenant, "argo");
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const doc of yamlDocs(file)) {
        const kind = (doc as { kind?: unknown }).kind;
        if (kind === "WorkflowTemplate") new WorkflowTemplate(doc as IWorkflowTemplate).validate();
        else if (kind === "CronWorkflow") new CronWorkflow(doc as ICronWorkflow).validate();
        else throw new Error(`${file}: unexpected kind ${String(kind)}`);
      }
    }
  });

  it.each(tenants)("%s: each WorkflowTemplate's DAG is the job's asset graph", async (tenant) => {
    const env = environmentPlan(await tenantPlan(tenant), "prod");
    const assets = new Map(env.assets.map((a) => [a.key, a]));
    for (const job of env.jobs) {
      const template = templateOf(tenant, job);
      expect(template.spec.parallelism, job.name).toBe(job.concurrency);
      const dag = template.spec.templates?.find((t) => t.name === template.spec.entrypoint)?.dag;
      const tasks = dag?.tasks ?? [];
      const assetOf = new Map(tasks.map((t) => [t.name, parameter(t, "asset")]));
      const byAsset = tasks.filter((t) => parameter(t, "asset") !== undefined);
      if (job.kind === "maintenance" || job.assets.length === 0) {
        expect(byAsset, job.name).toEqual([]);
        continue;
      }
      // One task per asset of the job, and nothing else but the partition task.
      expect(byAsset.map((t) => parameter(t, "asset")).sort(), job.name).toEqual(
        [...job.assets].sort(),
      );
      expect(tasks.length).toBe(job.assets.length + (job.partitioned ? 1 : 0));
      for (const task of byAsset) {
        const key = parameter(task, "asset") ?? "";
        const want = (assets.get(key)?.deps ?? []).filter((d) => job.assets.includes(d)).sort();
        const got = (task.dependencies ?? [])
          .filter((d) => d !== "partition")
          .map((d) => assetOf.get(d))
          .sort();
        expect(got, `${job.name}: ${key}`).toEqual(want);
        if (job.partitioned) {
          expect(task.dependencies, key).toContain("partition");
          expect(parameter(task, "partition")).toBe("{{tasks.partition.outputs.result}}");
        }
        // Its template runs exactly this asset of this job in its own pod.
        const stage = template.spec.templates?.find((t) => t.name === task.template);
        expect(stage?.container?.args?.slice(0, 4)).toEqual([
          "run",
          job.name,
          "--select",
          "{{inputs.parameters.asset}}",
        ]);
        expect(stage?.container?.args?.includes("--partition")).toBe(job.partitioned);
        const policy = DEFAULT_RETRY[assets.get(key)?.stage ?? "load"];
        expect(stage?.retryStrategy).toEqual({
          limit: policy.attempts - 1,
          retryPolicy: "OnError",
          backoff: {
            duration: `${policy.baseDelayMs / 1000}s`,
            factor: 2,
            cap: `${policy.maxDelayMs / 1000}s`,
          },
        });
      }
    }
  });

  it.each(tenants)(
    "%s: a CronWorkflow per scheduled job, with its cron and zone",
    async (tenant) => {
      const env = environmentPlan(await tenantPlan(tenant), "prod");
      const names = deployFiles(tenant, "argo")
        .map((f) => path.basename(f))
        .filter((f) => f.startsWith("cronworkflow-"));
      const scheduled = env.jobs.filter((j) => j.schedule !== null);
      expect(names.length).toBe(scheduled.length);
      for (const job of scheduled) {
        const file = path.join(
          repoRoot,
          "generated",
          tenant,
          "deploy",
          "argo",
          `cronworkflow-${job.name.replaceAll("_", "-")}.yaml`,
        );
        const [doc] = yamlDocs(file);
        const cron = doc as ICronWorkflow;
        expect(cron.spec.schedules).toEqual([job.schedule?.cron]);
        expect(cron.spec.timezone).toBe(job.schedule?.timezone);
        expect(cron.spec.suspend).toBe(!job.schedule?.autoStart);
        expect(cron.spec.workflowSpec.workflowTemplateRef?.name).toBe(
          templateOf(tenant, job).metadata?.name,
        );
      }
    },
  );

  it("no two objects of one kind share a name, across every tenant", () => {
    const seen = new Map<string, string>();
    for (const tenant of tenants) {
      for (const file of [...deployFiles(tenant, "k8s"), ...deployFiles(tenant, "argo")]) {
        for (const doc of yamlDocs(file)) {
          const { kind, metadata } = doc as { kind: string; metadata: { name: string } };
          const id = `${kind}/${metadata.name}`;
          expect(seen.get(id), `${id} in ${file}`).toBeUndefined();
          seen.set(id, file);
          expect(metadata.name.length).toBeLessThanOrEqual(52);
          expect(metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        }
      }
    }
  });
});
