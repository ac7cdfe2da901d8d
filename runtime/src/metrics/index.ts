/**
 * Prometheus metrics of tenants, in the text exposition format (prom-client), for `serve
 * --metrics-port` and the console's `/metrics`.
 *
 * Every value is read from the ledger when Prometheus scrapes (at most once per `cacheMs`), not
 * counted in the process: runs also happen in other processes (CronJobs, `run`, `backfill`,
 * workers) that nobody scrapes, and the ledger has them all, so any process serving `/metrics`
 * for a tenant reports the same numbers, and a restart loses none. Counters are therefore totals
 * over the ledger's history (monotonic while the ledger is kept).
 *
 * Names follow Prometheus' conventions (`etl_` prefix, base units in the name, `_total` for
 * counters) and labels are bounded sets: tenant, job, asset, stage, check, severity, status,
 * destination, event. No run id, partition or error text is ever a label.
 */
import { createServer, type Server } from "node:http";
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Registry as PromRegistry,
  Registry,
} from "prom-client";
import type { AlertRecord, AlertStore } from "../alerts/store.js";
import { evaluateFreshness } from "../freshness/index.js";
import type { CheckRecord, Ledger, MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import type { EnvironmentPlan, TenantPlan } from "../plan.js";
import { movedOf } from "./moved.js";

export type { PromRegistry };
export { movedOf };

/** One tenant whose metrics are served. */
export interface MetricsSource {
  plan: TenantPlan;
  envPlan: EnvironmentPlan;
  ledger: Ledger;
  /** Alert deliveries; null when the tenant has no alert store open. */
  alerts: AlertStore | null;
}

export interface MetricsOptions {
  /** How long one ledger read serves scrapes; default 10 s (Prometheus scrapes every 15-60 s). */
  cacheMs?: number;
  now?: () => Date;
  /** Also the process's own metrics (CPU, memory, event loop), `process_` and `nodejs_`. */
  processMetrics?: boolean;
}

/** Run durations: seconds to hours. */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600];
/** Asset durations: sub-second extracts to hour-long dbt builds. */
const ASSET_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

interface TenantSnapshot {
  source: MetricsSource;
  runs: RunRecord[];
  materializations: MaterializationRecord[];
  checks: CheckRecord[];
  alerts: AlertRecord[];
}

function seconds(from: string, to: string): number | null {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/**
 * A registry whose metrics are computed from the sources' ledgers at scrape time. `sources` is
 * called on every scrape, so a caller can add tenants as it opens them.
 */
export function createMetricsRegistry(
  sources: () => readonly MetricsSource[],
  options: MetricsOptions = {},
): PromRegistry {
  const registry = new Registry();
  const cacheMs = options.cacheMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  let cached: { at: number; value: Promise<TenantSnapshot[]> } | null = null;
  const snapshot = (): Promise<TenantSnapshot[]> => {
    const t = Date.now();
    if (cached === null || t - cached.at >= cacheMs) {
      const value = Promise.all(
        sources().map(async (source): Promise<TenantSnapshot> => {
          const tenant = source.plan.tenant.id;
          const [runs, materializations, checks, alerts] = await Promise.all([
            source.ledger.runs(tenant),
            source.ledger.materializations(tenant),
            source.ledger.checks(tenant),
            source.alerts === null ? Promise.resolve([]) : source.alerts.list(tenant),
          ]);
          return { source, runs, materializations, checks, alerts };
        }),
      );
      cached = { at: t, value };
      // A failed read is not kept: the next scrape tries again.
      value.catch(() => {
        if (cached?.value === value) cached = null;
      });
    }
    return cached.value;
  };
  const stageOf = (s: TenantSnapshot, key: string) =>
    s.source.envPlan.assets.find((a) => a.key === key)?.stage ?? "unknown";
  const known = (s: TenantSnapshot, key: string) =>
    s.source.envPlan.assets.some((a) => a.key === key);

  new Counter({
    name: "etl_runs_total",
    help: "Runs that ended, by job and outcome (succeeded, failed, cancelled).",
    labelNames: ["tenant", "job", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const r of s.runs) {
          if (r.status !== "running") this.inc({ tenant: r.tenant, job: r.job, status: r.status });
        }
      }
    },
  });
  new Gauge({
    name: "etl_runs_in_progress",
    help: "Runs the ledger records as running, by job.",
    labelNames: ["tenant", "job"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const job of s.source.envPlan.jobs) {
          this.set(
            { tenant: s.source.plan.tenant.id, job: job.name },
            s.runs.filter((r) => r.job === job.name && r.status === "running").length,
          );
        }
      }
    },
  });
  new Histogram({
    name: "etl_run_duration_seconds",
    help: "Wall-clock duration of ended runs, by job.",
    labelNames: ["tenant", "job"],
    buckets: RUN_BUCKETS,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const r of s.runs) {
          const d = r.finishedAt === null ? null : seconds(r.startedAt, r.finishedAt);
          if (d !== null && r.status !== "running")
            this.observe({ tenant: r.tenant, job: r.job }, d);
        }
      }
    },
  });
  new Counter({
    name: "etl_asset_materializations_total",
    help: "Asset materialisations, by asset and outcome (succeeded, failed, skipped).",
    labelNames: ["tenant", "asset", "stage", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const m of s.materializations) {
          if (!known(s, m.assetKey)) continue;
          this.inc({
            tenant: m.tenant,
            asset: m.assetKey,
            stage: stageOf(s, m.assetKey),
            status: m.status,
          });
        }
      }
    },
  });
  new Histogram({
    name: "etl_asset_duration_seconds",
    help: "Duration of asset materialisations that ran (not skipped), by stage.",
    labelNames: ["tenant", "stage"],
    buckets: ASSET_BUCKETS,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const m of s.materializations) {
          const d = seconds(m.startedAt, m.finishedAt);
          if (d === null || m.status === "skipped" || !known(s, m.assetKey)) continue;
          this.observe({ tenant: m.tenant, stage: stageOf(s, m.assetKey) }, d);
        }
      }
    },
  });
  const moved = (name: string, help: string, pick: "rows" | "bytes") =>
    new Counter({
      name,
      help,
      labelNames: ["tenant", "asset", "stage"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await snapshot()) {
          for (const m of s.materializations) {
            const value = movedOf(m.metadata)[pick];
            if (m.status !== "succeeded" || value === null || !known(s, m.assetKey)) continue;
            this.inc({ tenant: m.tenant, asset: m.assetKey, stage: stageOf(s, m.assetKey) }, value);
          }
        }
      },
    });
  moved(
    "etl_asset_rows_total",
    "Rows moved by successful materialisations (extracted, transferred, staged for load, affected by dbt).",
    "rows",
  );
  moved(
    "etl_asset_bytes_total",
    "Bytes of Parquet written by successful materialisations.",
    "bytes",
  );
  new Counter({
    name: "etl_asset_retries_total",
    help: "Attempts beyond the first, by asset (transient failures retried).",
    labelNames: ["tenant", "asset", "stage"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const m of s.materializations) {
          if (m.attempts > 1 && known(s, m.assetKey)) {
            this.inc(
              { tenant: m.tenant, asset: m.assetKey, stage: stageOf(s, m.assetKey) },
              m.attempts - 1,
            );
          }
        }
      }
    },
  });
  new Counter({
    name: "etl_check_failures_total",
    help: "Failed data checks (and dbt tests), by asset, check and severity.",
    labelNames: ["tenant", "asset", "check", "severity"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const c of s.checks) {
          if (!c.passed && known(s, c.assetKey)) {
            this.inc({
              tenant: c.tenant,
              asset: c.assetKey,
              check: c.checkName,
              severity: c.severity,
            });
          }
        }
      }
    },
  });
  // Freshness: computed once per scrape and shared by its gauges.
  const freshness = async () =>
    (await snapshot()).map((s) => ({
      tenant: s.source.plan.tenant.id,
      assets: evaluateFreshness(s.source.envPlan, s.materializations, now()),
    }));
  const perAsset = (
    name: string,
    help: string,
    value: (
      a: Awaited<ReturnType<typeof freshness>>[number]["assets"][number],
      at: Date,
    ) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["tenant", "asset"],
      registers: [registry],
      async collect() {
        this.reset();
        const at = now();
        for (const t of await freshness()) {
          for (const a of t.assets) {
            const v = value(a, at);
            if (v !== null) this.set({ tenant: t.tenant, asset: a.key }, v);
          }
        }
      },
    });
  perAsset(
    "etl_asset_last_success_timestamp_seconds",
    "Unix time of the asset's last successful materialisation.",
    (a) => (a.lastSuccessAt === null ? null : a.lastSuccessAt.getTime() / 1000),
  );
  perAsset(
    "etl_asset_seconds_since_last_success",
    "Seconds since the asset's last successful materialisation ended.",
    (a, at) =>
      a.lastSuccessAt === null ? null : (at.getTime() - a.lastSuccessAt.getTime()) / 1000,
  );
  perAsset(
    "etl_asset_freshness_lag_seconds",
    "How far the asset's newest data is behind now (for daily partitions: since its newest partition's end).",
    (a) => a.lagSeconds,
  );
  perAsset(
    "etl_asset_freshness_max_lag_seconds",
    "The lag the asset's freshness policy allows (max_lag), for assets that declare one.",
    (a) => a.policy?.maxLagSeconds ?? null,
  );
  perAsset(
    "etl_asset_freshness_breached",
    "1 while the asset breaks its freshness policy (max_lag or deadline), else 0; only assets with a policy.",
    (a) => (a.policy === null ? null : a.breach === null ? 0 : 1),
  );
  new Counter({
    name: "etl_alert_deliveries_total",
    help: "Alert deliveries by destination, event and outcome (sent, failed, pending).",
    labelNames: ["tenant", "destination", "event", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const a of s.alerts) {
          this.inc({
            tenant: a.tenant,
            destination: a.destination,
            event: a.event,
            status: a.status,
          });
        }
      }
    },
  });
  new Counter({
    name: "etl_alert_delivery_attempts_total",
    help: "HTTP attempts made to deliver alerts (retries included), by destination.",
    labelNames: ["tenant", "destination"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        for (const a of s.alerts)
          this.inc({ tenant: a.tenant, destination: a.destination }, a.attempts);
      }
    },
  });
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The registry's exposition, with its content type. */
export async function renderMetrics(
  registry: PromRegistry,
): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and nothing else) on host:port until closed. Bound to 127.0.0.1 unless
 * told otherwise: metrics name tenants and assets, which is for the operator's network only.
 */
export async function startMetricsServer(options: {
  registry: PromRegistry;
  host: string;
  port: number;
  logger: Logger;
}): Promise<MetricsServer> {
  const { registry, logger } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found: metrics are at GET /metrics\n");
      return;
    }
    renderMetrics(registry).then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType });
        res.end(body);
      },
      (e: unknown) => {
        logger.error("metrics scrape failed", {
          error: e instanceof Error ? e.message : String(e),
        });
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("metrics could not be read from the ledger; see the log\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(new Error(`cannot serve metrics on ${options.host}:${options.port}`, { cause: e })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e === undefined ? resolve() : reject(e)));
      }),
  };
}
