/**
 * The executor's extension point for what happens around a run: run history, alerts, metrics and
 * lineage events register as observers of `runJob` (RunJobOptions.observers) instead of being
 * written into it. Every method is optional and async; the executor awaits each event before it
 * goes on (so what an observer does in `runFinished` is done when `runJob` returns), and an
 * observer can never fail or stop a run: its error is logged with the observer's name, the event
 * and the run, and the run goes on. An observer doing slow work (a webhook) should start it and
 * settle it by `runFinished` rather than hold every asset.
 */

import type { CheckRecord, MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import type { AssetPlan } from "../plan.js";

/** An asset of the run starting (its first attempt; retries are part of the same asset run). */
export interface AssetStartedEvent {
  run: RunRecord;
  asset: AssetPlan;
  /** The asset's partition: the run's for partitioned assets, null otherwise. */
  partition: string | null;
}

/** An asset of the run finished: succeeded, failed, or skipped (without an `assetStarted`). */
export interface AssetFinishedEvent {
  run: RunRecord;
  asset: AssetPlan;
  /** What the ledger recorded: status, partition, attempts, error, metadata, start and end. */
  materialization: MaterializationRecord;
  durationMs: number;
  /** Rows the stage moved (extract read, transfer wrote, load staged, dbt affected); null: unknown. */
  rows: number | null;
  /** Bytes of Parquet the stage wrote (extract, transfer); null: unknown or none. */
  bytes: number | null;
}

/** A check result of an asset, recorded before the asset's `assetFinished`. */
export interface CheckEvaluatedEvent {
  run: RunRecord;
  check: CheckRecord;
}

/** Receives the events of runs; see the module doc for the guarantees. */
export interface RunObserver {
  /** Names the observer in the log line of its failures. */
  readonly name: string;
  /** The run is recorded as running and holds its lock; no asset has started. */
  runStarted?(run: RunRecord): Promise<void>;
  assetStarted?(event: AssetStartedEvent): Promise<void>;
  assetFinished?(event: AssetFinishedEvent): Promise<void>;
  checkEvaluated?(event: CheckEvaluatedEvent): Promise<void>;
  /**
   * The run is recorded with its outcome (succeeded, failed, cancelled). Also called for a run of
   * the same job and partition that another process started and never finished (recorded as
   * failed when this run takes the lock): that one had no `runStarted` here.
   */
  runFinished?(run: RunRecord): Promise<void>;
}

type ObserverEvent = Exclude<keyof RunObserver, "name">;

/** Delivers events to a run's observers, logging (never throwing) what an observer throws. */
export class RunObservers {
  constructor(
    private readonly observers: readonly RunObserver[],
    private readonly logger: Logger,
  ) {}

  runStarted(run: RunRecord): Promise<void> {
    return this.deliver("runStarted", run, (o) => o.runStarted?.(run));
  }

  assetStarted(event: AssetStartedEvent): Promise<void> {
    return this.deliver("assetStarted", event.run, (o) => o.assetStarted?.(event), event.asset.key);
  }

  assetFinished(event: AssetFinishedEvent): Promise<void> {
    return this.deliver(
      "assetFinished",
      event.run,
      (o) => o.assetFinished?.(event),
      event.asset.key,
    );
  }

  checkEvaluated(event: CheckEvaluatedEvent): Promise<void> {
    return this.deliver(
      "checkEvaluated",
      event.run,
      (o) => o.checkEvaluated?.(event),
      event.check.assetKey,
    );
  }

  runFinished(run: RunRecord): Promise<void> {
    return this.deliver("runFinished", run, (o) => o.runFinished?.(run));
  }

  private async deliver(
    event: ObserverEvent,
    run: RunRecord,
    call: (observer: RunObserver) => Promise<void> | undefined,
    asset?: string,
  ): Promise<void> {
    await Promise.all(
      this.observers.map(async (observer) => {
        try {
          await call(observer);
        } catch (error) {
          this.logger.error("run observer failed; the run goes on", {
            observer: observer.name,
            event,
            observedRun: run.runId,
            ...(asset === undefined ? {} : { asset }),
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }
}
