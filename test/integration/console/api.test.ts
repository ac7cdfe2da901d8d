/**
 * The console's API against real ledgers (files under ETL_HOME, and PostgreSQL) with real runs
 * of project_01 on the stack: what a CLI run shows on every page's route, a run launched from
 * the console (it succeeds, and excludes a CLI run of the same partition exactly as a second
 * `run` would), re-executing a failed run's failed assets, and a backfill over a range.
 */

import { environmentPlan, runCli } from "@etl/runtime";
import type {
  AssetDetail,
  BackfillResponse,
  BackfillsResponse,
  Lineage,
  Matrix,
  Overview,
  RunDetail,
  RunLogsResponse,
  RunsResponse,
} from "@etl/runtime/console";
import { transforms } from "@etl/tenant-project_01";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  actionHeaders,
  captureIo,
  type Harness,
  type LedgerKind,
  startHarness,
} from "./harness.js";
import { TENANT } from "./plans.js";

const T = `/api/v1/tenants/${TENANT}`;

describe.each<LedgerKind>(["file", "postgres"])("console API, %s ledger", (ledger) => {
  let h: Harness;
  let cliRunId = "";

  beforeAll(async () => {
    // At debug level the runs log where their storage is (the S3 endpoint): the console must
    // show those lines without it.
    h = await startHarness({ ledger, env: { ETL_LOG_LEVEL: "debug" } });
    const run = await h.cli(["run", "wip_pipeline", "--partition", "2026-01-02"]);
    expect(run.code, run.stderr).toBe(0);
    cliRunId = /run (\S+)\s+job wip_pipeline/.exec(run.stdout)?.[1] ?? "";
    expect(cliRunId).not.toBe("");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("shows a CLI run on every page's route", async () => {
    const overview = await h.api<Overview>(`${T}/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.tenant).toMatchObject({ id: TENANT, environment: "dev" });
    expect(overview.body.tenant.ledger).toMatch(
      ledger === "file" ? /^file ledger / : /^PostgreSQL ledger /,
    );
    const lot = overview.body.assets.find((a) => a.key === `${TENANT}/load/lot_history`);
    expect(lot?.lastMaterialization).toMatchObject({
      partition: "2026-01-02",
      status: "succeeded",
      runId: cliRunId,
    });
    // The latest complete day has not been materialised: the asset is stale, not fresh. Its
    // freshness policy (max_lag 26h) says so too, as `status` would, from the ledger's summary.
    expect(lot?.health).toBe("stale");
    expect(lot?.freshness).toMatchObject({
      status: "late",
      dataTime: "2026-01-02T15:00:00.000Z",
      maxLagSeconds: 26 * 3600,
      breach: { rule: "max_lag" },
    });
    expect(
      overview.body.assets.find((a) => a.key === `${TENANT}/extract/equipment_event`)?.health,
    ).toBe("never");
    expect(overview.body.latestRuns.map((r) => r.runId)).toContain(cliRunId);
    expect(overview.body.nextRuns.map((n) => n.job)).toContain("daily_etl");

    const lineage = await h.api<Lineage>(`${T}/lineage`);
    expect(lineage.body.nodes).toHaveLength(environmentPlan(h.plan, "dev").assets.length);
    expect(lineage.body.edges).toContainEqual({
      from: `${TENANT}/transfer/lot_history`,
      to: `${TENANT}/load/lot_history`,
    });
    expect(
      lineage.body.nodes.find((n) => n.key === `${TENANT}/dbt/tfm_item_master_enriched`)?.kind,
    ).toBe("model");

    const asset = await h.api<AssetDetail>(`${T}/assets/extract/lot_history`);
    expect(asset.status).toBe(200);
    const point = asset.body.materializations.at(-1);
    expect(point).toMatchObject({ runId: cliRunId, partition: "2026-01-02", status: "succeeded" });
    expect(point?.rows).toBeGreaterThan(0);
    expect(point?.bytes).toBeGreaterThan(0);
    expect(asset.body.columns?.list.map((c) => c.name)).toContain("lot_id");
    expect(asset.body.downstream.map((d) => d.key)).toContain(`${TENANT}/transfer/lot_history`);
    expect(asset.body.strip?.statuses.length).toBe(365);

    const matrix = await h.api<Matrix>(
      `${T}/partitions?from=2026-01-01&to=2026-01-05&assets=${TENANT}/*/lot_history`,
    );
    expect(matrix.body.rows.map((r) => [r.key, r.statuses])).toEqual([
      [`${TENANT}/extract/lot_history`, "-s---"],
      [`${TENANT}/transfer/lot_history`, "-s---"],
      [`${TENANT}/load/lot_history`, "-s---"],
    ]);
    const failedOnly = await h.api<Matrix>(
      `${T}/partitions?from=2026-01-01&to=2026-01-05&status=failed`,
    );
    expect(failedOnly.body.rows).toEqual([]);
    expect((await h.api(`${T}/partitions?from=2026-01-05&to=2026-01-01`)).status).toBe(400);

    const runs = await h.api<RunsResponse>(
      `/api/v1/tenants/${TENANT}/runs?job=wip_pipeline&trigger=cli`,
    );
    expect(runs.body.runs.map((r) => r.runId)).toEqual([cliRunId]);
    const detail = await h.api<RunDetail>(`${T}/runs/${cliRunId}`);
    expect(detail.body.steps.map((s) => [s.key, s.status])).toEqual([
      [`${TENANT}/extract/lot_history`, "succeeded"],
      [`${TENANT}/transfer/lot_history`, "succeeded"],
      [`${TENANT}/load/lot_history`, "succeeded"],
    ]);
    expect(detail.body.checks.length).toBeGreaterThan(0);
    const logs = await h.api<RunLogsResponse>(`${T}/runs/${cliRunId}/logs`);
    const messages = logs.body.lines.map((l) => l.msg);
    expect(messages[0]).toBe("run started");
    expect(messages).toContain("asset succeeded");
    expect(messages.at(-1)).toBe("run finished");
    const later = await h.api<RunLogsResponse>(
      `${T}/runs/${cliRunId}/logs?after=${logs.body.lines[1]?.seq}`,
    );
    expect(later.body.lines[0]?.seq).toBe(2);
  });

  it("never shows a secret or a resolved connection value", async () => {
    const bodies = await Promise.all(
      [
        `${T}/overview`,
        `${T}/lineage`,
        `${T}/assets/extract/lot_history`,
        `${T}/runs`,
        `${T}/runs/${cliRunId}`,
        `${T}/runs/${cliRunId}/logs`,
      ].map(async (p) => JSON.stringify((await h.api(p)).body)),
    );
    const text = bodies.join("\n");
    const secrets = [
      h.env.AWS_SECRET_ACCESS_KEY,
      h.env.AWS_ACCESS_KEY_ID,
      h.env.S3_ENDPOINT_URL,
      h.env.PROJECT_01_DB_PASSWORD,
    ];
    for (const value of secrets) {
      expect(value, "the stack env names the value").toBeTruthy();
      // A short value (the stack's test password) is looked for as a word of its own.
      const word = new RegExp(
        `(?<![A-Za-z0-9_])${String(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`,
      );
      expect(
        String(value).length >= 8 ? text.includes(String(value)) : word.test(text),
        `${value} is shown`,
      ).toBe(false);
    }
    // The run's own (debug) log lines named the S3 endpoint; the console shows *** in its place.
    expect(text).toMatch(/at \*\*\*/);
  });

  it("launches a run that succeeds, and that a CLI run of the same partition cannot overlap", async () => {
    const launched = await h.api<{ runId: string }>(`${T}/runs`, {
      method: "POST",
      headers: actionHeaders(),
      body: JSON.stringify({ job: "wip_pipeline", partition: "2026-01-03" }),
    });
    expect(launched.status).toBe(202);
    const runId = launched.body.runId;
    // The console answered once the run held its lock: a CLI run of the same job and partition
    // is refused exactly as a second `run` would be.
    const overlapping = await h.cli(["run", "wip_pipeline", "--partition", "2026-01-03"]);
    expect(overlapping.code).toBe(1);
    expect(overlapping.stderr).toContain(`is already running (run ${runId}`);
    const done = await h.until("the launched run to end", async () => {
      const r = await h.api<RunDetail>(`${T}/runs/${runId}`);
      return r.body.run.status === "running" ? null : r.body;
    });
    expect(done.run).toMatchObject({
      status: "succeeded",
      trigger: "console",
      partition: "2026-01-03",
      succeeded: 3,
    });
    // And the other way round: while a CLI run holds the lock, the console's launch is refused.
    const holder = h.cli(["run", "wip_pipeline", "--partition", "2026-01-05"]);
    await h.until("the CLI run to start", async () => {
      const r = await h.api<RunsResponse>(`${T}/runs?status=running&partition=2026-01-05`);
      return r.body.runs[0] ?? null;
    });
    const refused = await h.api<{ error: string }>(`${T}/runs`, {
      method: "POST",
      headers: actionHeaders(),
      body: JSON.stringify({ job: "wip_pipeline", partition: "2026-01-05" }),
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/job wip_pipeline partition 2026-01-05 is already running/);
    expect((await holder).code).toBe(0);
  });

  it("re-executes only the failed assets of a failed run", async () => {
    const broken = await h.cli(["run", "broken", "--partition", "2026-01-02"]);
    expect(broken.code).toBe(1);
    const failed = (await h.api<RunsResponse>(`${T}/runs?job=broken&status=failed`)).body.runs[0];
    expect(failed).toBeDefined();
    const detail = await h.api<RunDetail>(`${T}/runs/${failed?.runId}`);
    expect(detail.body.failedAssets).toEqual([`${TENANT}/extract/broken`]);
    expect(detail.body.steps.find((s) => s.key === `${TENANT}/extract/broken`)?.error).toMatch(
      /no_such_column/,
    );
    const again = await h.api<{ runId: string }>(`${T}/runs/${failed?.runId}/reexecute`, {
      method: "POST",
      headers: actionHeaders(),
    });
    expect(again.status).toBe(202);
    const rerun = await h.until("the re-execution to end", async () => {
      const r = await h.api<RunDetail>(`${T}/runs/${again.body.runId}`);
      return r.body.run.status === "running" ? null : r.body;
    });
    expect(rerun.run).toMatchObject({
      job: "broken",
      partition: "2026-01-02",
      select: `${TENANT}/extract/broken`,
      status: "failed",
    });
    expect(rerun.steps.map((s) => s.key)).toEqual([`${TENANT}/extract/broken`]);
  });

  it("backfills a range, skipping the days already materialised", async () => {
    const started = await h.api<BackfillResponse>(`${T}/backfills`, {
      method: "POST",
      headers: actionHeaders(),
      body: JSON.stringify({ job: "wip_pipeline", from: "2026-01-01", to: "2026-01-03" }),
    });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({
      job: "wip_pipeline",
      from: "2026-01-01",
      to: "2026-01-03",
      partitions: 3,
      alreadyMaterialized: 2,
      toRun: 1,
    });
    const run = await h.until("the backfill's run to end", async () => {
      const r = await h.api<RunsResponse>(`${T}/runs?trigger=backfill`);
      const first = r.body.runs[0];
      return first === undefined || first.status === "running" ? null : first;
    });
    expect(run).toMatchObject({ partition: "2026-01-01", status: "succeeded" });
    const matrix = await h.api<Matrix>(
      `${T}/partitions?from=2026-01-01&to=2026-01-05&assets=${TENANT}/load/lot_history`,
    );
    expect(matrix.body.rows[0]?.statuses).toBe("sss-s");
    const bad = await h.api<{ error: string }>(`${T}/backfills`, {
      method: "POST",
      headers: actionHeaders(),
      body: JSON.stringify({ job: "master_sync", from: "2026-01-01", to: "2026-01-03" }),
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: "job master_sync is not partitioned: launch it as a run" },
    });
  });

  it("lists the backfills queued for workers, or says the ledger has no queue", async () => {
    const queued = await h.cli([
      "backfill",
      "wip_pipeline",
      "--from",
      "2026-01-04",
      "--to",
      "2026-01-05",
      "--workers",
      "0",
      "--force",
    ]);
    const listed = await h.api<BackfillsResponse>(`${T}/backfills`);
    expect(listed.status).toBe(200);
    if (ledger === "file") {
      expect(queued.code).toBe(2);
      expect(listed.body).toEqual({ queue: false, backfills: [] });
      return;
    }
    expect(queued.code, queued.stderr).toBe(0);
    const id = /^backfill (bf-\S+):/m.exec(queued.stdout)?.[1] ?? "";
    expect(listed.body.queue).toBe(true);
    expect(listed.body.backfills[0]).toMatchObject({
      backfillId: id,
      job: "wip_pipeline",
      from: "2026-01-04",
      to: "2026-01-05",
      total: 2,
      pending: 2,
      succeeded: 0,
      workers: [],
    });
  });
});

describe("serve --ui", () => {
  it("runs the schedules and the console in one process, until its signal", async () => {
    const h = await startHarness({ ledger: "file" });
    try {
      const io = captureIo();
      const controller = new AbortController();
      const serving = runCli({
        plan: h.plan,
        transforms,
        argv: ["serve", "--all", "--ui", "--port", "0"],
        env: h.env,
        io,
        signal: controller.signal,
      });
      const url = await h.until(
        "serve --ui to print its URL",
        async () => /console: (http:\/\/\S+)\n/.exec(io.stdout)?.[1] ?? null,
        60_000,
      );
      const overview = (await (
        await fetch(`${url}api/v1/tenants/${TENANT}/overview`)
      ).json()) as Overview;
      expect(overview.nextRuns.map((n) => n.job)).toContain("daily_etl");
      controller.abort();
      expect(await serving).toBe(0);
      expect(io.stderr).toContain("serve stopped");
      // The console stopped with it.
      await expect(fetch(`${url}api/v1/me`)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });
});
