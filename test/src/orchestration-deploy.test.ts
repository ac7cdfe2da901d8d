/**
 * The emitted deployment files validate: every Kubernetes manifest against the Kubernetes OpenAPI
 * schema (kubernetes-models ships validators generated from it, so this works offline), and the
 * Dockerfile's structure (stages, what it copies from the repository, its entrypoint).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { emitDeploy } from "@etl/generator/deploy";
import { type EnvironmentPlan, sameEnvironments, type TenantPlan } from "@etl/runtime";
import { CronJob } from "kubernetes-models/batch/v1";
import { Secret } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const repoRoot = path.resolve(import.meta.dirname, "../..");

function plan(): TenantPlan {
  const env: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: {
        host: { env: "PROJECT_01_DB_HOST" },
        port: { env: "PROJECT_01_DB_PORT" },
        database: "project_01",
        user: { env: "PROJECT_01_DB_USER" },
        password: { env: "PROJECT_01_DB_PASSWORD" },
        schema: "public",
      },
      storage: { bucket: { env: "S3_BUCKET_NAME" }, basePath: "project_01" },
      trino: {
        host: { env: "TRINO_HOST" },
        port: { env: "TRINO_PORT" },
        user: { env: "TRINO_USER" },
        password: { env: "TRINO_PASSWORD", default: "" },
        httpScheme: "http",
        catalog: "iceberg",
        schema: "project_01",
      },
    },
    partitions: { startDate: "2026-01-01", timezone: "Asia/Seoul" },
    pipelines: [],
    assets: [],
    jobs: [
      {
        name: "daily_etl",
        description: "",
        assets: [],
        partitioned: true,
        schedule: { cron: "0 1 * * *", timezone: "Asia/Seoul", autoStart: true },
        concurrency: 2,
      },
      {
        name: "master_sync",
        description: "",
        assets: [],
        partitioned: false,
        schedule: { cron: "30 2 * * 1-5", timezone: "Asia/Seoul", autoStart: false },
        concurrency: 1,
      },
      {
        name: "adhoc",
        description: "",
        assets: [],
        partitioned: false,
        schedule: null,
        concurrency: 1,
      },
    ],
    dbt: {
      projectDir: "tenants/project_01/dbt",
      target: "prod",
      targetSchema: "project_01_dbt",
      externalSources: [],
    },
  };
  return {
    generatorVersion: "test",
    tenant: { id: "project_01", name: "Project 01", enabled: true, tags: {} },
    envVars: [
      "PROJECT_01_DB_HOST",
      "PROJECT_01_DB_PASSWORD",
      "PROJECT_01_DB_PORT",
      "PROJECT_01_DB_USER",
      "S3_BUCKET_NAME",
      "TRINO_HOST",
      "TRINO_PASSWORD",
      "TRINO_PORT",
      "TRINO_USER",
    ],
    ...sameEnvironments(env),
  };
}

describe("deploy emitter", () => {
  const files = emitDeploy({
    id: "project_01",
    inputs: ["tenants/project_01/config.yaml"],
    plan: plan(),
  });

  it("emits a CronJob per scheduled job and a Secret template, all schema-valid", () => {
    // Beside them: the backfill Job and the Argo files (orchestration-cluster.test.ts).
    expect([...files.keys()].filter((f) => !f.includes("/argo/")).sort()).toEqual([
      "generated/project_01/deploy/Dockerfile",
      "generated/project_01/deploy/k8s/backfill-job.yaml",
      "generated/project_01/deploy/k8s/cronjob-daily-etl.yaml",
      "generated/project_01/deploy/k8s/cronjob-master-sync.yaml",
      "generated/project_01/deploy/k8s/secret.template.yaml",
    ]);
    for (const [name, text] of files) {
      if (
        !name.endsWith(".yaml") ||
        name.includes("/argo/") ||
        name.endsWith("backfill-job.yaml")
      ) {
        continue;
      }
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS() as { kind: string };
        // validate() throws with every schema violation listed.
        if (obj.kind === "CronJob") new CronJob(obj as never).validate();
        else if (obj.kind === "Secret") new Secret(obj as never).validate();
        else throw new Error(`${name}: unexpected kind ${obj.kind}`);
      }
    }
  });

  it("wires schedule, zone and every tenant variable from the Secret, with no values", () => {
    const text = files.get("generated/project_01/deploy/k8s/cronjob-daily-etl.yaml") ?? "";
    const job = parseAllDocuments(text)[0]?.toJS() as {
      spec: {
        schedule: string;
        timeZone: string;
        suspend: boolean;
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: {
                  args: string[];
                  env: {
                    name: string;
                    valueFrom?: { secretKeyRef: { name: string; key: string } };
                  }[];
                }[];
              };
            };
          };
        };
      };
    };
    expect(job.spec.schedule).toBe("0 1 * * *");
    expect(job.spec.timeZone).toBe("Asia/Seoul");
    expect(job.spec.suspend).toBe(false);
    const c = job.spec.jobTemplate.spec.template.spec.containers[0];
    expect(c?.args).toEqual(["run", "daily_etl"]);
    const fromSecret = (c?.env ?? [])
      .filter((e) => e.valueFrom !== undefined)
      .map((e) => e.valueFrom?.secretKeyRef.key);
    for (const v of plan().envVars) expect(fromSecret).toContain(v);
    const secret = parseAllDocuments(
      files.get("generated/project_01/deploy/k8s/secret.template.yaml") ?? "",
    )[0]?.toJS() as { stringData: Record<string, string> };
    expect(Object.values(secret.stringData).every((v) => v === "")).toBe(true);
  });

  it("Dockerfile builds this package alone and copies only paths that exist", () => {
    const df = files.get("generated/project_01/deploy/Dockerfile") ?? "";
    expect(df).toContain("turbo prune @etl/tenant-project_01 --docker");
    expect(df).toContain('ENTRYPOINT ["node", "generated/project_01/dist/main.js"]');
    const froms = df.split("\n").filter((l) => l.startsWith("FROM "));
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const line of df.split("\n")) {
      const m = /^COPY (?!--from)(\S+)/.exec(line);
      if (m?.[1] !== undefined && m[1] !== ".") {
        expect(existsSync(path.join(repoRoot, m[1])), `${line} copies a missing path`).toBe(true);
      }
    }
  });
});

describe("committed deploy files of every generated tenant", () => {
  const tenants = readdirSync(path.join(repoRoot, "generated"), { withFileTypes: true })
    .filter(
      (d) => d.isDirectory() && existsSync(path.join(repoRoot, "generated", d.name, "deploy")),
    )
    .map((d) => d.name);

  it("exist for every tenant package", () => {
    expect(tenants.sort()).toEqual(["default", "project_01", "project_02"]);
  });

  it.each(tenants)("%s: every Kubernetes manifest is schema-valid", (tenant) => {
    const dir = path.join(repoRoot, "generated", tenant, "deploy", "k8s");
    const names = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    expect(names).toContain("secret.template.yaml");
    for (const name of names.filter((n) => n !== "backfill-job.yaml")) {
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, name), "utf8"))) {
        const obj = doc.toJS() as { kind: string };
        if (obj.kind === "CronJob") new CronJob(obj as never).validate();
        else if (obj.kind === "Secret") new Secret(obj as never).validate();
        else throw new Error(`${tenant}/${name}: unexpected kind ${obj.kind}`);
      }
    }
    const dockerfile = readFileSync(path.join(dir, "..", "Dockerfile"), "utf8");
    expect(dockerfile).toContain(`turbo prune @etl/tenant-${tenant} --docker`);
  });
});
