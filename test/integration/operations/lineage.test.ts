/**
 * OpenLineage events on the real stack: the suite's plan (ops-plan.ts) sends them to a real HTTP
 * receiver; every event is checked with the official OpenLineage Python client (its model is
 * generated from the published schema: py/openlineage_check.py), and the datasets follow the
 * naming spec and chain up: the PostgreSQL table feeds the extract, whose S3 files feed the load,
 * whose Iceberg table (through Trino) is the output.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CliIo, runCli, type TenantPlan, TrinoClient } from "@etl/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyCheck } from "../../src/py-tools.js";
import { readStackVars } from "../../src/stack-env.js";
import {
  createSource,
  DAYS,
  dropSource,
  type OpsNames,
  opsNames,
  opsPlan,
  TENANT,
} from "./ops-plan.js";
import { type Receiver, startReceiver } from "./receiver.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const names: OpsNames = opsNames(`ln${Date.now().toString(36)}`);
const API_KEY = "ol-key-must-not-leak-51d2";
const DAY = DAYS[0] ?? "2026-02-01";

let etlHome = "";
let env: Record<string, string | undefined> = {};
let plan: TenantPlan;
let receiver: Receiver;
let output = "";

type Json = Record<string, unknown>;
interface Dataset {
  namespace: string;
  name: string;
  facets: { schema?: { fields: { name: string; type: string }[] } };
  outputFacets?: { outputStatistics?: { rowCount?: number; size?: number } };
}
interface OlEvent {
  eventType: string;
  run: {
    runId: string;
    facets: { parent?: { run: { runId: string }; job: Json }; errorMessage?: Json };
  };
  job: { namespace: string; name: string };
  inputs: Dataset[];
  outputs: Dataset[];
}

async function cli(argv: string[]) {
  const io: CliIo & { text: string } = {
    text: "",
    isTTY: false,
    out: (t) => {
      io.text += t;
    },
    err: (t) => {
      io.text += t;
    },
  };
  const code = await runCli({ plan, transforms: {}, argv, env, io });
  output += io.text;
  return code;
}

const events = () => receiver.requests.map((r) => r.body as OlEvent);
const of = (job: string, type: string) =>
  events().filter((e) => e.job.name === job && e.eventType === type);

beforeAll(async () => {
  receiver = await startReceiver(() => 201);
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-ops-lineage-"));
  env = {
    ...process.env,
    ...readStackVars(),
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    PROJECT_01_OPENLINEAGE_URL: receiver.url,
    PROJECT_01_OPENLINEAGE_API_KEY: API_KEY,
  };
  plan = opsPlan(names, await createSource(env, names), {
    lineage: {
      url: { env: "PROJECT_01_OPENLINEAGE_URL" },
      apiKey: { env: "PROJECT_01_OPENLINEAGE_API_KEY" },
      namespace: "etl-build-test",
    },
    envVars: ["PROJECT_01_OPENLINEAGE_URL", "PROJECT_01_OPENLINEAGE_API_KEY"],
  });
  expect(await cli(["run", "daily", "--partition", DAY])).toBe(0);
  expect(await cli(["run", "broken", "--partition", DAY])).toBe(1);
}, 300_000);

afterAll(async () => {
  await receiver.close();
  await dropSource(env, names);
  const trino = TrinoClient.create({
    host: env.TRINO_HOST ?? "127.0.0.1",
    port: Number(env.TRINO_PORT ?? 58080),
    user: env.TRINO_USER ?? "etl",
    password: null,
    scheme: "http",
  });
  for (const t of ["events_merge", "events_replace"]) {
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${names.trinoSchema}.${t}`);
  }
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${names.trinoSchema}`);
  await rm(etlHome, { recursive: true, force: true });
}, 120_000);

describe("OpenLineage events", () => {
  it("every event is valid for the official OpenLineage client (the published schema's model)", async () => {
    expect(receiver.requests.length).toBe(10);
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(["/api/v1/lineage"]));
    const verdicts = (
      await pyCheck(
        path.join(here, "py", "openlineage_check.py"),
        `${receiver.requests.map((r) => JSON.stringify(r.body)).join("\n")}\n`,
      )
    )
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { ok: boolean; error?: string });
    expect(verdicts).toHaveLength(10);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
  });

  it("each asset run has one START and one COMPLETE (or FAIL) with the same run id, under its ETL run", () => {
    const jobs = [
      `${TENANT}.extract.events_merge`,
      `${TENANT}.load.events_merge`,
      `${TENANT}.extract.events_replace`,
      `${TENANT}.load.events_replace`,
    ];
    const parents = new Set<string>();
    for (const job of jobs) {
      const [start] = of(job, "START");
      const [complete] = of(job, "COMPLETE");
      expect(start?.run.runId, job).toBeDefined();
      expect(complete?.run.runId).toBe(start?.run.runId);
      expect(start?.job.namespace).toBe("etl-build-test");
      parents.add(String(start?.run.facets.parent?.run.runId));
      expect(start?.run.facets.parent?.job).toEqual({
        namespace: "etl-build-test",
        name: `${TENANT}.daily`,
      });
    }
    expect(parents.size).toBe(1);
    const [failed] = of(`${TENANT}.extract.broken`, "FAIL");
    expect(String(failed?.run.facets.errorMessage?.message)).toContain("no_such_column");
    expect(failed?.run.facets.errorMessage?.programmingLanguage).toBe("TypeScript");
  });

  it("datasets are named by the naming spec and chain: PostgreSQL table -> S3 files -> Iceberg table", () => {
    const [extract] = of(`${TENANT}.extract.events_merge`, "COMPLETE");
    const [load] = of(`${TENANT}.load.events_merge`, "COMPLETE");
    const pgHost = `${env.PROJECT_01_DB_HOST}:${env.PROJECT_01_DB_PORT}`;
    expect(extract?.inputs.map((d) => [d.namespace, d.name])).toEqual([
      [`postgres://${pgHost}`, `${env.PROJECT_01_DB_NAME}.${names.sourceSchema}.events`],
    ]);
    expect(extract?.inputs[0]?.facets.schema?.fields).toContainEqual({
      name: "created_at",
      type: "timestamp without time zone",
    });
    const files = {
      namespace: `s3://${env.S3_BUCKET_NAME}`,
      name: `${names.basePath}/extract/events_merge`,
    };
    expect(extract?.outputs.map((d) => ({ namespace: d.namespace, name: d.name }))).toEqual([
      files,
    ]);
    expect(extract?.outputs[0]?.facets.schema?.fields).toContainEqual({
      name: "event_id",
      type: "integer",
    });
    expect(extract?.outputs[0]?.outputFacets?.outputStatistics?.rowCount).toBe(120);
    expect(load?.inputs.map((d) => ({ namespace: d.namespace, name: d.name }))).toEqual([files]);
    expect(load?.outputs.map((d) => [d.namespace, d.name])).toEqual([
      [`trino://${env.TRINO_HOST}:${env.TRINO_PORT}`, `iceberg.${names.trinoSchema}.events_merge`],
    ]);
    expect(load?.outputs[0]?.facets.schema?.fields).toContainEqual({
      name: "project_id",
      type: "varchar",
    });
  });

  it("sends the API key as a bearer token and never prints it", () => {
    for (const r of receiver.requests) expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(output).not.toContain(API_KEY);
  });
});
