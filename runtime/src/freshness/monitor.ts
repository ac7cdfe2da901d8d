/**
 * Watches freshness while `serve` runs: every interval it evaluates the environment's assets from
 * the ledger and raises `freshness_breached` once per breach (the alert's key names the breach, and
 * the ledger's claim makes it once across restarts and processes too).
 */
import type { AlertDispatcher } from "../alerts/dispatch.js";
import { consoleLink } from "../alerts/payload.js";
import type { Ledger } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import type { EnvironmentPlan } from "../plan.js";
import { sleep } from "../retry/index.js";
import { type AssetFreshness, freshnessFromSummaries } from "./index.js";

export interface FreshnessMonitorOptions {
  tenant: string;
  environment: string;
  envPlan: EnvironmentPlan;
  ledger: Ledger;
  dispatcher: AlertDispatcher | null;
  logger: Logger;
  consoleUrl: string | null;
  /** How often to look; default one minute. */
  intervalMs?: number;
  now?: () => Date;
}

/** Whether any asset of the plan has a freshness policy (else nothing is watched). */
export function hasFreshnessPolicies(envPlan: Pick<EnvironmentPlan, "assets">): boolean {
  return envPlan.assets.some((a) => a.freshness !== undefined && a.freshness !== null);
}

export class FreshnessMonitor {
  /** Breaches already reported by this process (the log line is said once too). */
  private readonly seen = new Set<string>();

  constructor(private readonly options: FreshnessMonitorOptions) {}

  /** Evaluates once and reports new breaches; returns every asset's freshness. */
  async check(): Promise<AssetFreshness[]> {
    const o = this.options;
    const now = (o.now ?? (() => new Date()))();
    // The per-asset summaries, not every materialisation: one row per asset each minute. The
    // range only bounds the summaries' counts, which freshness does not read.
    const today = now.toISOString().slice(0, 10);
    const summaries = await o.ledger.assetSummaries(o.tenant, { from: today, to: today });
    const assets = freshnessFromSummaries(o.envPlan, summaries, now);
    for (const a of assets) {
      const breach = a.breach;
      if (breach === null || this.seen.has(breach.dedupKey)) continue;
      this.seen.add(breach.dedupKey);
      o.logger.warn("asset is late", {
        asset: a.key,
        rule: breach.rule,
        since: breach.since.toISOString(),
        lagSeconds: a.lagSeconds === null ? null : Math.round(a.lagSeconds),
      });
      o.dispatcher?.notify({
        event: "freshness_breached",
        dedupKey: breach.dedupKey,
        tenant: o.tenant,
        environment: o.environment,
        job: null,
        partition: null,
        asset: a.key,
        check: null,
        runId: null,
        summary: breach.message,
        error: null,
        link: consoleLink(o.consoleUrl, { tenant: o.tenant, asset: a.key }),
        occurredAt: breach.since.toISOString(),
      });
    }
    return assets;
  }

  /** Checks every interval until `signal` aborts; a failed check is logged and retried next time. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.options.intervalMs ?? 60_000;
    while (!signal.aborted) {
      await this.check().catch((e: unknown) =>
        this.options.logger.error("freshness check failed; trying again next interval", {
          error: e instanceof Error ? e.message : String(e),
        }),
      );
      await sleep(interval, signal);
    }
  }
}
