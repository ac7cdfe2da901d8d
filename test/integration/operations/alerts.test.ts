/**
 * Alerts, freshness and metrics on the real stack, through the package's command line (`runCli`
 * with the suite's plan, ops-plan.ts) and real HTTP receivers on 127.0.0.1:
 *
 * - a failed run alerts every webhook: one that answers, a Slack-format one, one that fails once
 *   then answers (retried), one that always fails and one that hangs (both given up and recorded
 *   failed with why), and the run's outcome is the same as without alerts;
 * - a failed warn check alerts the webhook that asks for warn checks only; a run that succeeds
 *   where the last one failed alerts once as recovered;
 * - deliveries are claimed and recorded in the ledger, once per event; the webhook URL's token is
 *   never printed, recorded or sent;
 * - `status` shows the late asset; `serve` raises freshness_breached once per breach (also
 *   across two serve processes) and serves /metrics, parsed with Prometheus' own parser.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AlertDestinationPlan,
  type AlertRecord,
  type CliIo,
  FileAlertStore,
  FileLedger,
  runCli,
  type TenantPlan,
  TrinoClient,
} from "@etl/runtime";
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
const names: OpsNames = opsNames(`al${Date.now().toString(36)}`);
const TOKEN = "T0KEN-do-not-leak-8f3a9c1e";
const CONSOLE = "http://console.example:4700";
const DAY = DAYS[0] ?? "2026-02-01";

let etlHome = "";
let env: Record<string, string | undefined> = {};
let plan: TenantPlan;
let fixedPlan: TenantPlan;
const receivers: Record<string, Receiver> = {};

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

async function cli(argv: string[], options: { plan?: TenantPlan; signal?: AbortSignal } = {}) {
  const io = captureIo();
  const code = await runCli({
    plan: options.plan ?? plan,
    transforms: {},
    argv,
    env,
    io,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { code, ...io };
}

const alertStore = () => new FileAlertStore(etlHome, TENANT);

/** The ledger's delivery records of one destination and event. */
async function deliveries(destination: string, event: string): Promise<AlertRecord[]> {
  return (await alertStore().list(TENANT)).filter(
    (a) => a.destination === destination && a.event === event,
  );
}

type Json = Record<string, unknown>;
const bodies = (r: Receiver, event: string) =>
  r.requests.map((q) => q.body as Json).filter((b) => b.event === event);

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

beforeAll(async () => {
  const stack = readStackVars();
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-ops-alerts-"));
  receivers.ok = await startReceiver(() => 200);
  receivers.slack = await startReceiver(() => 200);
  receivers.flaky = await startReceiver((n) => (n % 2 === 0 ? 500 : 200));
  receivers.down = await startReceiver(() => 503);
  receivers.hung = await startReceiver(() => "hang");
  const destination = (
    name: string,
    variable: string,
    extra: Partial<AlertDestinationPlan> = {},
  ): AlertDestinationPlan => ({
    name,
    url: { env: variable },
    format: "json",
    events: ["run_failed", "check_failed", "freshness_breached", "run_recovered"],
    checkSeverity: "error",
    ...extra,
  });
  const alerts = [
    destination("ops", "PROJECT_01_ALERT_OK_URL", { checkSeverity: "warn" }),
    destination("chat", "PROJECT_01_ALERT_SLACK_URL", { format: "slack", events: ["run_failed"] }),
    destination("flaky", "PROJECT_01_ALERT_FLAKY_URL", { events: ["run_failed"] }),
    destination("down", "PROJECT_01_ALERT_DOWN_URL", { events: ["run_failed"] }),
    destination("hung", "PROJECT_01_ALERT_HUNG_URL", { events: ["run_failed"] }),
  ];
  const envVars = alerts.map((a) => (typeof a.url === "object" && "env" in a.url ? a.url.env : ""));
  env = {
    ...process.env,
    ...stack,
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_RETRY_BASE_MS: "200",
    ETL_CONSOLE_URL: CONSOLE,
    ETL_ALERT_ATTEMPTS: "3",
    ETL_ALERT_BACKOFF_MS: "50",
    ETL_ALERT_TIMEOUT_MS: "500",
    PROJECT_01_ALERT_OK_URL: `${receivers.ok.url}/hooks/${TOKEN}`,
    PROJECT_01_ALERT_SLACK_URL: `${receivers.slack.url}/services/T000/B000/${TOKEN}`,
    PROJECT_01_ALERT_FLAKY_URL: `${receivers.flaky.url}/hooks/${TOKEN}`,
    PROJECT_01_ALERT_DOWN_URL: `${receivers.down.url}/hooks/${TOKEN}`,
    PROJECT_01_ALERT_HUNG_URL: `${receivers.hung.url}/hooks/${TOKEN}`,
  };
  const columns = await createSource(env, names);
  plan = opsPlan(names, columns, { alerts, envVars });
  fixedPlan = structuredClone(plan);
  const broken = fixedPlan.shared.pipelines.find((p) => p.name === "broken");
  if (broken === undefined) throw new Error("no broken pipeline");
  broken.query = "SELECT event_id, created_at, qty FROM events";
}, 300_000);

afterAll(async () => {
  for (const r of Object.values(receivers)) await r.close();
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

describe("alerts", () => {
  let failedRun = "";

  it("a failed run alerts every webhook; failing and hanging receivers are retried, given up and recorded, and the run's outcome stays its own", async () => {
    const r = await cli(["run", "broken", "--partition", DAY]);
    expect(r.code, r.stderr).toBe(1);
    failedRun = /^run (\S+)/.exec(r.stdout)?.[1] ?? "";
    expect(r.stdout).toContain("FAILED");

    const [ok] = bodies(receivers.ok as Receiver, "run_failed");
    expect(ok).toMatchObject({
      schema: "etl-build/alert/v1",
      event: "run_failed",
      tenant: TENANT,
      environment: "dev",
      job: "broken",
      partition: DAY,
      asset: `${TENANT}/extract/broken`,
      run_id: failedRun,
      link: `${CONSOLE}/t/${TENANT}/runs/${failedRun}`,
      dedup_key: `run_failed:${failedRun}`,
    });
    expect(String(ok?.error)).toContain("no_such_column");
    expect(receivers.ok?.requests[0]?.path).toBe(`/hooks/${TOKEN}`);

    const slack = receivers.slack?.requests[0]?.body as Json;
    expect(String(slack.text)).toMatch(
      /^Run failed: run \S+ of job broken partition 2026-02-01 failed/,
    );
    expect(JSON.stringify(slack.blocks)).toContain("Open in the console");

    // Retried, then delivered: two requests, one record.
    expect(receivers.flaky?.requests.length).toBe(2);
    const [flaky] = await deliveries("flaky", "run_failed");
    expect(flaky).toMatchObject({ status: "sent", attempts: 2, httpStatus: 200, error: null });
    // Given up after every attempt; why is recorded.
    const [down] = await deliveries("down", "run_failed");
    expect(down).toMatchObject({ status: "failed", attempts: 3, httpStatus: 503 });
    expect(down?.error).toContain("HTTP 503");
    expect(receivers.down?.requests.length).toBe(3);
    const [hung] = await deliveries("hung", "run_failed");
    expect(hung).toMatchObject({ status: "failed", attempts: 3, httpStatus: null });
    expect(hung?.error).toContain("no answer within 500 ms");
    const [sent] = await deliveries("ops", "run_failed");
    expect(sent).toMatchObject({ status: "sent", attempts: 1, httpStatus: 200 });

    // The run itself is recorded failed as without alerts; the summary is printed.
    const runs = await new FileLedger(etlHome, TENANT).runs(TENANT);
    expect(runs.find((x) => x.runId === failedRun)?.status).toBe("failed");
  });

  it("a failed warn check alerts the webhook that takes warn checks, and only it", async () => {
    const r = await cli(["run", "daily", "--partition", DAY]);
    expect(r.code, r.stderr).toBe(0);
    const checks = bodies(receivers.ok as Receiver, "check_failed");
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      asset: `${TENANT}/load/events_replace`,
      check: { name: "qty_never_above_zero", severity: "warn" },
      partition: DAY,
    });
    expect(String(checks[0]?.summary)).toMatch(/failing rows/);
    expect(bodies(receivers.slack as Receiver, "check_failed")).toHaveLength(0);
  });

  it("a run that succeeds after a failure alerts once as recovered", async () => {
    const r = await cli(["run", "broken", "--partition", DAY], { plan: fixedPlan });
    expect(r.code, r.stderr).toBe(0);
    const again = await cli(["run", "broken", "--partition", DAY], { plan: fixedPlan });
    expect(again.code, again.stderr).toBe(0);
    const recovered = bodies(receivers.ok as Receiver, "run_recovered");
    expect(recovered).toHaveLength(1);
    expect(String(recovered[0]?.summary)).toContain(`after run ${failedRun} failed`);
    expect(await deliveries("ops", "run_recovered")).toHaveLength(1);
  });

  it("never prints, records or sends the webhook's token or any other secret", async () => {
    const r = await cli(["run", "broken", "--partition", DAYS[1] ?? ""]);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
    for (const file of await allFiles(etlHome)) {
      expect(await readFile(file, "utf8"), file).not.toContain(TOKEN);
    }
    const secrets = [TOKEN, env.PROJECT_01_DB_PASSWORD ?? "", env.AWS_SECRET_ACCESS_KEY ?? ""];
    for (const receiver of Object.values(receivers)) {
      for (const q of receiver.requests) {
        for (const s of secrets.filter((x) => x.length >= 3)) {
          // A short secret (the stack's "etl") counts as a word of its own, as redaction does.
          const body = JSON.stringify(q.body);
          const escaped = s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          if (s.length >= 8) expect(body).not.toContain(s);
          else expect(body).not.toMatch(new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_-])`));
        }
      }
    }
  });
});

describe("freshness and metrics", () => {
  it("status shows the late asset with its lag and the policy it breaks", async () => {
    const r = await cli(["status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as {
      assets: { key: string; freshness: Json | null }[];
    };
    const late = status.assets.find((a) => a.key === `${TENANT}/load/events_replace`);
    expect(late?.freshness).toMatchObject({
      status: "late",
      maxLagSeconds: 26 * 3600,
      dataTime: "2026-02-01T15:00:00.000Z",
      breach: { rule: "max_lag", since: "2026-02-02T17:00:00.000Z" },
    });
    const text = await cli(["status"]);
    expect(text.stdout).toMatch(
      /project_01\/load\/events_replace .* LATE \(\d+d( \d+h)? > 1d 2h\)/,
    );
  });

  it("serve raises freshness_breached once per breach, also across two serve processes, and serves /metrics", async () => {
    const serveOnce = async (onMetrics: (url: string) => Promise<void>) => {
      const controller = new AbortController();
      const io = captureIo();
      const running = runCli({
        plan,
        transforms: {},
        argv: ["serve", "--metrics-port", "0"],
        env: { ...env, ETL_FRESHNESS_INTERVAL_MS: "200" },
        io,
        signal: controller.signal,
      });
      let url = "";
      for (let i = 0; i < 300 && url === ""; i++) {
        await new Promise((r) => setTimeout(r, 100));
        url = /"msg":"metrics served".*?"url":"([^"]+)"/.exec(io.stderr)?.[1] ?? "";
      }
      expect(url, io.stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      // Several freshness intervals pass while it serves.
      for (
        let i = 0;
        i < 100 && bodies(receivers.ok as Receiver, "freshness_breached").length === 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1000));
      await onMetrics(url);
      controller.abort();
      expect(await running, io.stderr).toBe(0);
      return io;
    };
    let exposition = "";
    await serveOnce(async (url) => {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/plain");
      exposition = await response.text();
    });
    await serveOnce(async () => {});
    const breaches = bodies(receivers.ok as Receiver, "freshness_breached");
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({
      asset: `${TENANT}/load/events_replace`,
      link: `${CONSOLE}/t/${TENANT}/assets/load/events_replace`,
      dedup_key: `freshness_breached:${TENANT}/load/events_replace:max_lag:2026-02-01T15:00:00.000Z`,
    });
    expect(await deliveries("ops", "freshness_breached")).toHaveLength(1);

    // Prometheus' own parser reads the whole exposition.
    const families = JSON.parse(
      await pyCheck(path.join(here, "py", "prometheus_parse.py"), exposition),
    ) as {
      name: string;
      type: string;
      samples: { name: string; labels: Record<string, string>; value: number }[];
    }[];
    const family = (name: string) => families.find((f) => f.name === name);
    const sample = (name: string, labels: Record<string, string>) =>
      families
        .flatMap((f) => f.samples)
        .find(
          (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        );
    expect(family("etl_runs")?.type).toBe("counter");
    expect(
      sample("etl_runs_total", { tenant: TENANT, job: "broken", status: "failed" })?.value,
    ).toBe(2);
    expect(
      sample("etl_runs_total", { tenant: TENANT, job: "broken", status: "succeeded" })?.value,
    ).toBe(2);
    expect(
      sample("etl_runs_total", { tenant: TENANT, job: "daily", status: "succeeded" })?.value,
    ).toBe(1);
    expect(family("etl_run_duration_seconds")?.type).toBe("histogram");
    expect(sample("etl_run_duration_seconds_count", { tenant: TENANT, job: "broken" })?.value).toBe(
      4,
    );
    expect(
      sample("etl_asset_materializations_total", {
        asset: `${TENANT}/load/events_replace`,
        status: "succeeded",
      })?.value,
    ).toBe(1);
    expect(
      sample("etl_asset_rows_total", { asset: `${TENANT}/extract/events_replace` })?.value,
    ).toBe(120);
    expect(
      Number(sample("etl_asset_bytes_total", { asset: `${TENANT}/extract/events_replace` })?.value),
    ).toBeGreaterThan(0);
    expect(
      sample("etl_check_failures_total", {
        asset: `${TENANT}/load/events_replace`,
        check: "qty_never_above_zero",
        severity: "warn",
      })?.value,
    ).toBe(1);
    expect(
      sample("etl_asset_freshness_breached", { asset: `${TENANT}/load/events_replace` })?.value,
    ).toBe(1);
    expect(
      Number(
        sample("etl_asset_freshness_lag_seconds", { asset: `${TENANT}/load/events_replace` })
          ?.value,
      ),
    ).toBeGreaterThan(26 * 3600);
    expect(
      sample("etl_asset_freshness_max_lag_seconds", { asset: `${TENANT}/load/events_replace` })
        ?.value,
    ).toBe(26 * 3600);
    expect(
      Number(
        sample("etl_asset_seconds_since_last_success", { asset: `${TENANT}/extract/events_merge` })
          ?.value,
      ),
    ).toBeGreaterThan(0);
    expect(
      sample("etl_alert_deliveries_total", {
        destination: "down",
        event: "run_failed",
        status: "failed",
      })?.value,
    ).toBe(2);
    expect(
      sample("etl_alert_deliveries_total", {
        destination: "flaky",
        event: "run_failed",
        status: "sent",
      })?.value,
    ).toBe(2);
    // Bounded label sets: no run id, partition or error text is ever a label.
    const labelNames = new Set(
      families.flatMap((f) => f.samples.flatMap((s) => Object.keys(s.labels))),
    );
    for (const forbidden of ["run_id", "runId", "partition", "error"])
      expect(labelNames.has(forbidden)).toBe(false);
    const values = families.flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
    expect(values.some((v) => /^\d{8}T\d{6}Z-/.test(v) || /^\d{4}-\d{2}-\d{2}$/.test(v))).toBe(
      false,
    );
    // Names follow the conventions: etl_ prefix, base units, _total on counters.
    for (const f of families.filter((x) => x.name.startsWith("etl_"))) {
      if (f.type === "counter")
        expect(f.samples.every((s) => s.name.endsWith("_total"))).toBe(true);
      expect(f.name).not.toMatch(/_(ms|milliseconds|minutes|hours|kb|mb)$/);
    }
    expect(exposition).not.toContain(TOKEN);
  });
});
