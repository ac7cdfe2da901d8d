/**
 * deploy/k8s/backfill-job.yaml of one tenant package: a Kubernetes Indexed Job whose pods each run
 * `worker <backfill-id>`, claiming the backfill's partitions from the PostgreSQL ledger until none
 * is left. `backfill <job> --from D --to D --workers N` registers the backfill and prints its id;
 * the operator sets it as ETL_BACKFILL_ID (docs/operations.md "Backfills on a cluster"). Pure.
 */
import { environmentPlan } from "@etl/runtime/plan";
import type { FileMap } from "./common.js";
import type { DeployInput } from "./deploy.js";
import { yamlFile } from "./k8s-doc.js";
import { backfillJobName, podResources, tenantEnv, tenantImage, tenantLabels } from "./k8s-pod.js";

/** Pods working at once; `kubectl patch` or the docs' one-liner changes it per backfill. */
export const BACKFILL_WORKERS = 4;

/** The variable the worker's backfill id comes from (Kubernetes expands `$(VAR)` in args). */
export const BACKFILL_ID_VAR = "ETL_BACKFILL_ID";

/** A backfill of a year of days at minutes each stays far below this; a stuck one is stopped. */
const ACTIVE_DEADLINE_SECONDS = 24 * 3600;

function backfillJob(input: DeployInput): unknown {
  const labels = tenantLabels(input.id, "backfill");
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: backfillJobName(input.id), labels },
    spec: {
      completionMode: "Indexed",
      completions: BACKFILL_WORKERS,
      parallelism: BACKFILL_WORKERS,
      // A worker that dies leaves its claimed partition to the ledger's lease, which another worker
      // takes over; a replacement pod is worth it a few times, not forever.
      backoffLimit: 3,
      activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: { "etl/tenant": input.id, "etl/component": "backfill" } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "etl",
              image: tenantImage(input.id),
              args: ["worker", `$(${BACKFILL_ID_VAR})`],
              env: [
                { name: BACKFILL_ID_VAR, value: "" },
                // Workers on different pods meet only in the shared ledger.
                ...tenantEnv(input.id, input.plan, ["ETL_LEDGER_URL"]),
              ],
              resources: podResources(),
            },
          ],
        },
      },
    },
  };
}

/** deploy/k8s/backfill-job.yaml, when the tenant has a partitioned job to backfill. */
export function emitBackfillJob(input: DeployInput): FileMap {
  const files: FileMap = new Map();
  const backfillable = environmentPlan(input.plan, "prod").jobs.some(
    (job) => job.partitioned && job.kind !== "maintenance",
  );
  if (backfillable) {
    files.set(
      `generated/${input.id}/deploy/k8s/backfill-job.yaml`,
      yamlFile(input.inputs, backfillJob(input)),
    );
  }
  return files;
}
