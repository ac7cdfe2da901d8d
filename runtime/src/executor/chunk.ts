/**
 * A chunk of a backfill: the runs of several partitions at once, each still its own run (its lock,
 * ledger records, observers, retries), whose partitioned loads of one pipeline go as one batch
 * (load/batch.ts): one statement and one Iceberg commit per pipeline and chunk instead of one per
 * partition, and no commit conflicts between the backfill's own partitions.
 *
 * A load of the chunk waits until every partition of the chunk has either submitted its load of
 * that pipeline, or will not (its load asset ended without it: skipped after a failed upstream,
 * retried alone, stopped; or its run ended), then the batch goes. So that a waiting load never
 * holds up other work, the chunk's runs get as many asset slots as their job has assets, and the
 * work itself (extract, transfer, dbt, loads outside a batch, checks) goes through `Slots`, the
 * backfill's concurrency: a waiting load holds no slot, and every run can reach every load.
 */
import type { CheckResult } from "../checks/checks.js";
import type { BatchItem, BatchLoadResult } from "../load/batch.js";
import { batchGroups } from "../load/batch.js";
import type { Logger } from "../logger.js";
import { errorText } from "./asset.js";
import type { AssetFinishedEvent, RunObserver } from "./observer.js";
import type { StageHandler, StageHandlers } from "./types.js";

/** At most `size` tasks at once, started in the order they asked. */
export class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`internal: slots need a positive size, not ${size}`);
    }
    this.free = size;
  }

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next === undefined) this.free += 1;
      else next();
    }
  }
}

/**
 * A batch of several days failed: each of its days may load alone (one bad day then fails by
 * itself, the others commit). Carries the batch's error.
 */
export class BatchFailedError extends Error {
  override readonly name = "BatchFailedError";
  constructor(
    readonly partitions: readonly string[],
    options: { cause: unknown },
  ) {
    super(
      `the batch load of ${partitions.length} partitions (${partitions[0]}..${partitions[partitions.length - 1]}) failed: ${errorText(options.cause)}`,
      options,
    );
  }
}

/** What one batch did: its load, and its pipeline's checks per day (null: none were run). */
export interface BatchOutcome {
  load: BatchLoadResult;
  checks: ReadonlyMap<string, CheckResult[]> | null;
}

/** How one pipeline's batch is loaded: given by the first load of the chunk that submits. */
export type BatchLoader = (items: BatchItem[]) => Promise<BatchOutcome>;

interface Waiter {
  item: BatchItem;
  resolve: (result: BatchOutcome) => void;
  reject: (error: unknown) => void;
}

/** The chunk's waiting loads, per pipeline; see the module doc. Also an observer of its runs. */
export class ChunkLoads implements RunObserver {
  readonly name = "chunk loads";
  private readonly partitions: ReadonlySet<string>;
  private readonly waiting = new Map<string, Map<string, Waiter>>();
  /** Per pipeline, the partitions that will not (or no longer) submit a load of it. */
  private readonly settled = new Map<string, Set<string>>();
  private readonly ended = new Set<string>();
  private readonly loaders = new Map<string, BatchLoader>();
  /** Per pipeline, resolved once this chunk has no batch of it left to send. */
  private readonly finishes = new Map<string, { done: Promise<void>; resolve: () => void }>();
  private allEnded = false;
  private batches = 0;
  private markLoading = () => {};
  /**
   * Resolves when the chunk's first batch goes (its extracts and transfers are then behind it) or
   * every run of it ended: the backfill starts the next chunk then.
   */
  readonly loading = new Promise<void>((resolve) => {
    this.markLoading = resolve;
  });

  /**
   * `previous`: the chunk before this one, when both are in flight: a batch of this chunk goes
   * only after the previous chunk's batch of the same pipeline (days in order, as day-by-day
   * loads go; and two batches of one table never commit at once).
   */
  constructor(
    partitions: readonly string[],
    readonly slots: Slots,
    private readonly logger: Logger,
    private readonly previous: ChunkLoads | null = null,
  ) {
    this.partitions = new Set(partitions);
  }

  /** Resolves once this chunk has sent (or will never send) its batch of `pipeline`. */
  finished(pipeline: string): Promise<void> {
    if (this.allEnded) return Promise.resolve();
    return this.finishOf(pipeline).done;
  }

  private finishOf(pipeline: string): { done: Promise<void>; resolve: () => void } {
    const known = this.finishes.get(pipeline);
    if (known !== undefined) return known;
    let resolve = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const created = { done, resolve };
    this.finishes.set(pipeline, created);
    return created;
  }

  /** Whether `partition` is one of the chunk's (its loads may wait for the others). */
  has(partition: string): boolean {
    return this.partitions.has(partition);
  }

  /** Statements the chunk's batches sent so far (one per pipeline and shape of columns). */
  get batchCount(): number {
    return this.batches;
  }

  /**
   * Waits for the other partitions of the chunk, then loads `item` with them in one batch;
   * resolves with that batch's result (or rejects with its error). A stopped run stops waiting.
   */
  load(
    pipeline: string,
    item: BatchItem,
    loader: BatchLoader,
    signal: AbortSignal,
  ): Promise<BatchOutcome> {
    const date = item.partition.date;
    if (!this.partitions.has(date)) {
      return Promise.reject(new Error(`internal: partition ${date} is not in this chunk`));
    }
    const waiting = this.waitingOf(pipeline);
    if (waiting.has(date) || this.settledOf(pipeline).has(date)) {
      return Promise.reject(
        new Error(`internal: partition ${date} submitted its load of ${pipeline} twice`),
      );
    }
    if (!this.loaders.has(pipeline)) this.loaders.set(pipeline, loader);
    const done = new Promise<BatchOutcome>((resolve, reject) => {
      const onAbort = () => this.giveUp(pipeline, date, signal.reason);
      const off = () => signal.removeEventListener("abort", onAbort);
      waiting.set(date, {
        item,
        resolve: (r) => {
          off();
          resolve(r);
        },
        reject: (e) => {
          off();
          reject(e);
        },
      });
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
    });
    this.flushReady(pipeline);
    return done;
  }

  /** The run of `partition` ended: none of its loads will come. */
  runEnded(partition: string): void {
    this.ended.add(partition);
    for (const pipeline of [...this.waiting.keys()]) this.flushReady(pipeline);
    if ([...this.partitions].every((p) => this.ended.has(p))) {
      this.allEnded = true;
      for (const f of this.finishes.values()) f.resolve();
      this.markLoading();
    }
  }

  /** A load asset of the chunk ended (also one skipped, which never submits). */
  async assetFinished(event: AssetFinishedEvent): Promise<void> {
    const { asset, materialization } = event;
    if (asset.stage !== "load" || asset.pipeline === null || materialization.partition === null) {
      return;
    }
    if (!this.partitions.has(materialization.partition)) return;
    this.settledOf(asset.pipeline).add(materialization.partition);
    this.flushReady(asset.pipeline);
  }

  private waitingOf(pipeline: string): Map<string, Waiter> {
    const known = this.waiting.get(pipeline);
    if (known !== undefined) return known;
    const created = new Map<string, Waiter>();
    this.waiting.set(pipeline, created);
    return created;
  }

  private settledOf(pipeline: string): Set<string> {
    const known = this.settled.get(pipeline);
    if (known !== undefined) return known;
    const created = new Set<string>();
    this.settled.set(pipeline, created);
    return created;
  }

  private giveUp(pipeline: string, date: string, reason: unknown): void {
    const waiting = this.waitingOf(pipeline);
    const w = waiting.get(date);
    if (w === undefined) return;
    waiting.delete(date);
    this.settledOf(pipeline).add(date);
    w.reject(reason instanceof Error ? reason : new Error(`stopped: ${errorText(reason)}`));
    this.flushReady(pipeline);
  }

  /** Sends the pipeline's batch once no partition of the chunk can still join it. */
  private flushReady(pipeline: string): void {
    const waiting = this.waitingOf(pipeline);
    if (waiting.size === 0) return;
    const settled = this.settledOf(pipeline);
    for (const p of this.partitions) {
      if (!waiting.has(p) && !settled.has(p) && !this.ended.has(p)) return;
    }
    const waiters = [...waiting.values()];
    waiting.clear();
    for (const w of waiters) settled.add(w.item.partition.date);
    this.markLoading();
    const loader = this.loaders.get(pipeline);
    if (loader === undefined) {
      for (const w of waiters) w.reject(new Error(`internal: no loader for ${pipeline}`));
      return;
    }
    void this.send(pipeline, waiters, loader);
  }

  /** The waiters' batches in date order (one per run of days of one shape), each settled. */
  private async send(pipeline: string, waiters: readonly Waiter[], loader: BatchLoader) {
    if (this.previous !== null) await this.previous.finished(pipeline);
    const byDate = new Map(waiters.map((w) => [w.item.partition.date, w]));
    for (const group of batchGroups(waiters.map((w) => w.item))) {
      const members = group.flatMap((i) => byDate.get(i.partition.date) ?? []);
      this.batches += 1;
      this.logger.info("batch load of a chunk", {
        pipeline,
        partitions: group.map((i) => i.partition.date),
      });
      try {
        const result = await loader(group);
        for (const m of members) m.resolve(result);
      } catch (error) {
        const failed =
          members.length > 1
            ? new BatchFailedError(
                group.map((i) => i.partition.date),
                { cause: error },
              )
            : error;
        for (const m of members) m.reject(failed);
      }
    }
    this.finishOf(pipeline).resolve();
  }
}

/**
 * `handlers` for the runs of a chunk: every stage but load through `slots` (the load handler
 * takes a slot itself for what it does outside a batch), and dbt builds one at a time: runs of
 * one tenant building dbt models at once share its source views, each pointing them at its own
 * partition (docs/reliability.md, known gap 5), so a chunk's partitions build one after another.
 */
export function slottedHandlers(handlers: StageHandlers, slots: Slots): StageHandlers {
  const slotted =
    (h: StageHandler): StageHandler =>
    (ctx) =>
      slots.use(() => h(ctx));
  const oneBuild = new Slots(1);
  const { extract, transfer, load, dbt } = handlers;
  return {
    ...(extract === undefined ? {} : { extract: slotted(extract) }),
    ...(transfer === undefined ? {} : { transfer: slotted(transfer) }),
    ...(load === undefined ? {} : { load }),
    ...(dbt === undefined ? {} : { dbt: (ctx) => oneBuild.use(() => slotted(dbt)(ctx)) }),
  };
}
