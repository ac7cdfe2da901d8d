/**
 * The operations side of a CLI session: the run observers (alerts, OpenLineage), the alert store
 * in the ledger, and, for `serve`, the metrics endpoint and the freshness monitor. Everything here
 * is best effort by design: none of it can fail or hold up a run.
 */
import {
  type AlertDispatcher,
  alertDeliveryPolicy,
  AlertDispatcher as Dispatcher,
} from "../alerts/dispatch.js";
import { AlertObserver } from "../alerts/observer.js";
import { type AlertStore, openAlertStore } from "../alerts/store.js";
import type { RunObserver } from "../executor/observer.js";
import { type AssetFreshness, evaluateFreshness, humanSeconds } from "../freshness/index.js";
import { FreshnessMonitor, hasFreshnessPolicies } from "../freshness/monitor.js";
import type { Ledger, MaterializationRecord } from "../ledger/types.js";
import { LineageObserver } from "../lineage/observer.js";
import type { Logger } from "../logger.js";
import { createMetricsRegistry, type MetricsServer, startMetricsServer } from "../metrics/index.js";
import type { EnvironmentPlan } from "../plan.js";
import { type ResolvedResources, tenantEnv } from "../resources.js";
import { resolveValue } from "../values.js";
import type { SelectedContext } from "./io.js";

export interface SessionOperations {
  observers: RunObserver[];
  alertStore: AlertStore;
  /** Null when the environment has no webhook whose URL resolved. */
  dispatcher: AlertDispatcher | null;
  /** ETL_CONSOLE_URL, for links in alerts; null when unset. */
  consoleUrl: string | null;
  /** Waits for alert and lineage deliveries still in flight (bounded by their retry schedule). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the session's operations: observers for what the environment plan asks for. */
export function openOperations(
  ctx: SelectedContext,
  resources: ResolvedResources,
  ledger: Ledger,
  logger: Logger,
): SessionOperations {
  const env = tenantEnv(ctx.plan, ctx.env);
  const consoleUrl =
    env.ETL_CONSOLE_URL === undefined || env.ETL_CONSOLE_URL === "" ? null : env.ETL_CONSOLE_URL;
  const alertStore = openAlertStore(resources);
  const policy = alertDeliveryPolicy(env);
  const destinations = ctx.envPlan.alerts?.destinations ?? [];
  const dispatcher =
    destinations.length === 0
      ? null
      : new Dispatcher({
          tenant: ctx.plan.tenant.id,
          destinations,
          env,
          store: alertStore,
          logger,
          policy,
        });
  const observers: RunObserver[] = [];
  if (dispatcher !== null && dispatcher.active.length > 0) {
    observers.push(new AlertObserver({ dispatcher, ledger, consoleUrl }));
  }
  const lineagePlan = ctx.envPlan.lineage ?? null;
  const lineage =
    lineagePlan === null
      ? null
      : new LineageObserver({
          plan: lineagePlan,
          env,
          logger,
          retry: policy.retry,
          timeoutMs: policy.timeoutMs,
          context: {
            tenant: ctx.plan.tenant.id,
            namespace: lineagePlan.namespace,
            envPlan: ctx.envPlan,
            resources,
            catalogOf: (p) => {
              if (p.trinoOutput === null) return null;
              const catalog = resolveValue(p.trinoOutput.catalog, env);
              return catalog.ok ? catalog.value : null;
            },
          },
        });
  if (lineage?.enabled === true) observers.push(lineage);
  // Long enough for the whole retry schedule of a delivery started as the run ended.
  const drainMs =
    policy.retry.attempts * policy.timeoutMs +
    (policy.retry.attempts - 1) * policy.retry.maxDelayMs;
  return {
    observers,
    alertStore,
    dispatcher,
    consoleUrl,
    drain: async () => {
      await Promise.all([dispatcher?.drain(drainMs), lineage?.drain(drainMs)]);
    },
    close: () => alertStore.close(),
  };
}

/** An asset's freshness as `status --json` shows it. */
export interface FreshnessView {
  status: AssetFreshness["status"];
  /** What its newest data covers up to (ISO); null when never materialised. */
  dataTime: string | null;
  lagSeconds: number | null;
  maxLagSeconds: number | null;
  deadline: { cron: string; timezone: string } | null;
  breach: { rule: "max_lag" | "deadline"; since: string; message: string } | null;
}

/** Every asset's freshness now, by key (null for assets without data and policy). */
export function freshnessOf(
  envPlan: EnvironmentPlan,
  records: readonly MaterializationRecord[],
  now: Date = new Date(),
): Map<string, FreshnessView | null> {
  const out = new Map<string, FreshnessView | null>();
  for (const a of evaluateFreshness(envPlan, records, now)) {
    out.set(
      a.key,
      a.policy === null && a.dataTime === null
        ? null
        : {
            status: a.status,
            dataTime: a.dataTime?.toISOString() ?? null,
            lagSeconds: a.lagSeconds === null ? null : Math.round(a.lagSeconds),
            maxLagSeconds: a.policy?.maxLagSeconds ?? null,
            deadline: a.policy?.deadline ?? null,
            breach:
              a.breach === null
                ? null
                : {
                    rule: a.breach.rule,
                    since: a.breach.since.toISOString(),
                    message: a.breach.message,
                  },
          },
    );
  }
  return out;
}

/** The FRESHNESS column of `status`: `fresh (2h 5m)`, `LATE (30h > 26h)`, `2h 5m` without a policy. */
export function freshnessCell(view: FreshnessView | null): string {
  if (view === null) return "-";
  const lag = view.lagSeconds === null ? "no data" : humanSeconds(view.lagSeconds);
  switch (view.status) {
    case "no_policy":
      return lag;
    case "never":
      return "never materialised";
    case "fresh":
      return `fresh (${lag})`;
    case "late":
      return view.breach?.rule === "deadline"
        ? `LATE (missed ${view.breach.since.slice(0, 16)}Z)`
        : `LATE (${lag} > ${humanSeconds(view.maxLagSeconds ?? 0)})`;
  }
}

export interface ServeOperations {
  /** The metrics endpoint's URL; null without --metrics-port. */
  metricsUrl: string | null;
  stop(): Promise<void>;
}

/**
 * What `serve` runs beside its schedules: `/metrics` on --metrics-host:--metrics-port, and the
 * freshness monitor (alerts once per breach) when an asset has a freshness policy.
 */
export async function startServeOperations(
  ctx: SelectedContext,
  s: { ledger: Ledger; logger: Logger; operations: SessionOperations },
  port: number | null,
  host: string,
): Promise<ServeOperations> {
  const abort = new AbortController();
  const signal = AbortSignal.any([ctx.signal, abort.signal]);
  let server: MetricsServer | null = null;
  if (port !== null) {
    const registry = createMetricsRegistry(
      () => [
        { plan: ctx.plan, envPlan: ctx.envPlan, ledger: s.ledger, alerts: s.operations.alertStore },
      ],
      { processMetrics: true },
    );
    server = await startMetricsServer({ registry, host, port, logger: s.logger });
    s.logger.info("metrics served", { url: server.url });
  }
  const monitor = hasFreshnessPolicies(ctx.envPlan)
    ? new FreshnessMonitor({
        tenant: ctx.plan.tenant.id,
        environment: ctx.environment,
        envPlan: ctx.envPlan,
        ledger: s.ledger,
        dispatcher: s.operations.dispatcher,
        logger: s.logger,
        consoleUrl: s.operations.consoleUrl,
        intervalMs: freshnessIntervalMs(tenantEnv(ctx.plan, ctx.env)),
      }).run(signal)
    : Promise.resolve();
  return {
    metricsUrl: server?.url ?? null,
    stop: async () => {
      abort.abort();
      await monitor;
      await server?.close();
    },
  };
}

/** How often `serve` looks at freshness: ETL_FRESHNESS_INTERVAL_MS, default one minute. */
function freshnessIntervalMs(env: Readonly<Record<string, string | undefined>>): number {
  const v = env.ETL_FRESHNESS_INTERVAL_MS;
  return v !== undefined && /^\d+$/.test(v) && Number(v) >= 100 ? Number(v) : 60_000;
}
