/**
 * Alerts as a run observer: a failed run (run_failed), a failed check at or above a destination's
 * severity (check_failed), and a run that succeeds where the previous run of the same job and
 * partition had failed (run_recovered). The observer only starts deliveries (AlertDispatcher);
 * it never waits for a receiver, so it cannot slow a run down.
 */
import type { AssetFinishedEvent, CheckEvaluatedEvent, RunObserver } from "../executor/observer.js";
import type { Ledger, RunRecord } from "../ledger/types.js";
import type { AlertDispatcher } from "./dispatch.js";
import { type Alert, consoleLink, errorSummary } from "./payload.js";

export interface AlertObserverOptions {
  dispatcher: AlertDispatcher;
  ledger: Ledger;
  /** ETL_CONSOLE_URL: the console's base URL, for links; null: none. */
  consoleUrl: string | null;
}

/** The run before `run` of the same tenant, job and partition that ended, or null. */
export function previousEndedRun(runs: readonly RunRecord[], run: RunRecord): RunRecord | null {
  let best: RunRecord | null = null;
  for (const r of runs) {
    if (
      r.runId === run.runId ||
      r.job !== run.job ||
      r.partition !== run.partition ||
      r.status === "running" ||
      r.startedAt > run.startedAt
    ) {
      continue;
    }
    if (best === null || r.startedAt > best.startedAt) best = r;
  }
  return best;
}

export class AlertObserver implements RunObserver {
  readonly name = "alerts";
  /** Failed assets and their errors, per run: what a run_failed alert summarises. */
  private readonly failures = new Map<string, { asset: string; error: string | null }[]>();

  constructor(private readonly options: AlertObserverOptions) {}

  async assetFinished(event: AssetFinishedEvent): Promise<void> {
    const m = event.materialization;
    if (m.status !== "failed") return;
    const list = this.failures.get(event.run.runId) ?? [];
    list.push({ asset: m.assetKey, error: m.error });
    this.failures.set(event.run.runId, list);
  }

  async checkEvaluated(event: CheckEvaluatedEvent): Promise<void> {
    const { check, run } = event;
    if (check.passed) return;
    // Our checks record `failing` rows; dbt tests `failures` (dbt/stage.ts).
    const count = check.metadata.failing ?? check.metadata.failures;
    const failing = typeof count === "number" ? count : null;
    this.options.dispatcher.notify({
      ...this.base(run),
      event: "check_failed",
      dedupKey: `check_failed:${run.runId}:${check.assetKey}:${check.checkName}`,
      asset: check.assetKey,
      partition: check.partition,
      check: { name: check.checkName, severity: check.severity },
      summary: `check ${check.checkName} (${check.severity}) failed on ${check.assetKey}${check.partition === null ? "" : ` partition ${check.partition}`}${failing === null ? "" : `: ${failing} failing rows`}`,
      error: errorSummary(
        typeof check.metadata.message === "string" ? check.metadata.message : null,
      ),
      link: consoleLink(this.options.consoleUrl, { tenant: run.tenant, runId: run.runId }),
    });
  }

  async runFinished(run: RunRecord): Promise<void> {
    const failures = this.failures.get(run.runId) ?? [];
    this.failures.delete(run.runId);
    const where = `job ${run.job}${run.partition === null ? "" : ` partition ${run.partition}`}`;
    if (run.status === "failed") {
      const first = failures[0];
      const errors = failures.map((f) => `${f.asset}: ${f.error ?? "failed"}`);
      this.options.dispatcher.notify({
        ...this.base(run),
        event: "run_failed",
        dedupKey: `run_failed:${run.runId}`,
        asset: first?.asset ?? null,
        summary: `run ${run.runId} of ${where} failed: ${run.failed} failed, ${run.skipped} skipped, ${run.succeeded} succeeded`,
        error: errorSummary(run.error ?? (errors.length > 0 ? errors.join("\n") : null)),
      });
      return;
    }
    if (run.status !== "succeeded" || !this.options.dispatcher.subscribed("run_recovered")) return;
    const previous = previousEndedRun(await this.options.ledger.runs(run.tenant), run);
    if (previous?.status !== "failed") return;
    this.options.dispatcher.notify({
      ...this.base(run),
      event: "run_recovered",
      // Once per failure recovered from: a second success after it finds a success before it.
      dedupKey: `run_recovered:${previous.runId}`,
      summary: `${where} recovered: run ${run.runId} succeeded after run ${previous.runId} failed`,
    });
  }

  private base(run: RunRecord): Omit<Alert, "event" | "dedupKey" | "summary"> {
    return {
      tenant: run.tenant,
      environment: run.environment,
      job: run.job,
      partition: run.partition,
      asset: null,
      check: null,
      runId: run.runId,
      error: null,
      link: consoleLink(this.options.consoleUrl, { tenant: run.tenant, runId: run.runId }),
      occurredAt: run.finishedAt ?? new Date().toISOString(),
    };
  }
}
