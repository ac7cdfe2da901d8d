/**
 * `serve` with an every-minute schedule fires twice in two minutes, each for the right partition
 * (the day before the fire time in the schedule's zone). Slow by nature: it waits for the clock.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type AssetPlan,
  addDays,
  type CliIo,
  dateIn,
  type EnvironmentPlan,
  FileLedger,
  runCli,
  type StageHandlers,
  sameEnvironments,
  type TenantPlan,
} from "@etl/runtime";
import { describe, expect, it } from "vitest";

const ZONE = "Asia/Seoul";

function plan(cron: string): TenantPlan {
  const assets: AssetPlan[] = [
    {
      key: "s/extract/a",
      stage: "extract",
      pipeline: "a",
      deps: [],
      partitioned: true,
      description: "",
      dbt: null,
    },
    {
      key: "s/load/a",
      stage: "load",
      pipeline: "a",
      deps: ["s/extract/a"],
      partitioned: true,
      description: "",
      dbt: null,
    },
  ];
  const env: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: {
        host: "127.0.0.1",
        port: "5432",
        database: "d",
        user: "u",
        password: "p",
        schema: "public",
      },
      storage: { bucket: "", basePath: "s" },
      trino: {
        host: "127.0.0.1",
        port: "8080",
        user: "etl",
        password: "",
        httpScheme: "http",
        catalog: "iceberg",
        schema: "s",
      },
    },
    partitions: { startDate: "2020-01-01", timezone: ZONE },
    pipelines: [],
    assets,
    jobs: [
      {
        name: "minutely",
        description: "",
        assets: assets.map((a) => a.key),
        partitioned: true,
        schedule: { cron, timezone: ZONE, autoStart: true },
        concurrency: 1,
      },
    ],
    dbt: null,
  };
  return {
    generatorVersion: "test",
    tenant: { id: "s", name: "S", enabled: true, tags: {} },
    envVars: [],
    ...sameEnvironments(env),
  };
}

describe("serve", () => {
  it("fires an every-minute schedule twice in two minutes for the right partition", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-serve-"));
    const seen: { key: string; partition: string | null; at: Date }[] = [];
    const handler: NonNullable<StageHandlers["extract"]> = async (ctx) => {
      seen.push({ key: ctx.asset.key, partition: ctx.partition?.date ?? null, at: new Date() });
      return { metadata: { rows: 0 }, checks: [] };
    };
    const io: CliIo = { out: () => {}, err: () => {}, isTTY: false };
    const controller = new AbortController();
    const cron = process.env.ETL_TEST_SERVE_CRON ?? "* * * * *";
    const started = Date.now();
    const done = runCli({
      plan: plan(cron),
      transforms: {},
      argv: ["serve"],
      env: { ETL_HOME: home },
      io,
      signal: controller.signal,
      stageHandlers: { extract: handler, load: handler },
    });
    // Two minutes plus slack for the second run to finish.
    await new Promise((r) => setTimeout(r, 125_000));
    controller.abort();
    expect(await done).toBe(0);
    const runs = (await new FileLedger(home, "s").runs("s")).filter(
      (r) => r.trigger === "schedule",
    );
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    for (const s of seen) {
      // The partition is the day before the fire time, in the schedule's zone.
      expect(s.partition).toBe(
        addDays(dateIn(new Date(Math.floor(s.at.getTime() / 60_000) * 60_000), ZONE), -1),
      );
    }
    expect(seen.filter((s) => s.key === "s/load/a").length).toBe(runs.length);
    expect(Date.now() - started).toBeGreaterThanOrEqual(120_000);
  }, 200_000);
});
