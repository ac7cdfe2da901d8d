/**
 * The parts every generated pod of a tenant shares (CronJobs, the backfill Indexed Job, the Argo
 * templates): its image, its variables from the tenant's Secret and its resource requests, as
 * plain objects for the `yaml` printer. Pure.
 */
import { environmentPlan, type JobPlan, type TenantPlan } from "@etl/runtime/plan";
import { k8sName } from "../model/translate.js";

/** Variables every deployed package may need besides its own (shared storage, dbt, the ledger). */
export const SHARED_SECRET_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_REGION",
  "AWS_SECRET_ACCESS_KEY",
  "ETL_LEDGER_URL",
  "S3_ENDPOINT_URL",
];

/** The tenant's Secret, whose keys are its variables. */
export function secretName(id: string): string {
  return k8sName("etl", id, "env");
}

/** A job's CronJob, WorkflowTemplate and CronWorkflow (objects of different kinds share it). */
export function jobObjectName(id: string, job: Pick<JobPlan, "name">): string {
  return k8sName("etl", id, job.name);
}

/** The tenant's backfill Indexed Job. */
export function backfillJobName(id: string): string {
  return k8sName("etl", id, "backfill");
}

/**
 * Every object name the tenant's deploy files use. Two tenants must share none (one namespace
 * holds every tenant's objects): the generator compares them across tenants.
 */
export function kubernetesObjectNames(id: string, plan: TenantPlan): string[] {
  const jobs = environmentPlan(plan, "prod").jobs.map((job) => jobObjectName(id, job));
  return [...new Set([secretName(id), backfillJobName(id), ...jobs])].sort();
}

/** The image the tenant's Dockerfile builds (tag it and push it under this name). */
export function tenantImage(id: string): string {
  return `etl-${id}:latest`;
}

/** Every key of the tenant's Secret: its own variables and the shared ones, sorted. */
export function secretKeys(plan: TenantPlan): string[] {
  return [...new Set([...plan.envVars, ...SHARED_SECRET_KEYS])].sort();
}

/**
 * The container's environment: prod, and each Secret key. A shared key the tenant does not name is
 * optional, except those in `required` (the ledger for work spread over pods: pods that each kept
 * their own file ledger would not see one another's claims and materialisations).
 */
export function tenantEnv(
  id: string,
  plan: TenantPlan,
  required: readonly string[] = [],
): { name: string; value?: string; valueFrom?: unknown }[] {
  const secret = secretName(id);
  return [
    { name: "ETL_ENVIRONMENT", value: "prod" },
    ...secretKeys(plan).map((key) => ({
      name: key,
      valueFrom: {
        secretKeyRef: {
          name: secret,
          key,
          optional: !plan.envVars.includes(key) && !required.includes(key),
        },
      },
    })),
  ];
}

/**
 * Requests and limits of one run's process (it streams partitions; dbt runs beside it). A new
 * object per call: the YAML printer would write a shared one as an anchor and aliases.
 */
export function podResources(): Record<string, Record<string, string>> {
  return { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } };
}

/** The labels every object of a tenant carries (its name part is per object). */
export function tenantLabels(id: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": k8sName("etl", id),
    "app.kubernetes.io/component": k8sName(component),
    "etl/tenant": id,
  };
}
