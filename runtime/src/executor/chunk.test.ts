import { describe, expect, it } from "vitest";
import type { BatchItem } from "../load/batch.js";
import type { LoadColumn } from "../load/columns.js";
import { Logger } from "../logger.js";
import type { AssetPlan } from "../plan.js";
import { runRecord } from "../test-fixtures.js";
import {
  BatchFailedError,
  type BatchOutcome,
  ChunkLoads,
  Slots,
  slottedHandlers,
} from "./chunk.js";
import type { AssetOutcome, AssetRunContext, StageHandler } from "./types.js";

const logger = new Logger({}, { write: () => {}, isTTY: false }, "error");
const COLUMNS: LoadColumn[] = [
  { name: "id", type: "bigint" },
  { name: "day", type: "date" },
];

function item(date: string, columns: LoadColumn[] = COLUMNS): BatchItem {
  return {
    staged: {
      stage: "extract",
      location: `s3://b/p/${date}/`,
      runId: `run-${date}`,
      columns,
      rowCount: 10,
    },
    partition: { date, timeZone: "UTC" },
    runId: `run-${date}`,
  };
}

/** A loader that records each batch's days and answers with them. */
function recordingLoader() {
  const batches: string[][] = [];
  const loader = async (items: BatchItem[]): Promise<BatchOutcome> => {
    const partitions = items.map((i) => i.partition.date);
    batches.push(partitions);
    return {
      checks: null,
      load: {
        target: "iceberg.s.t",
        writeMode: "merge",
        partitions,
        rowsStagedByPartition: items.map(() => 10),
        rowsStaged: 10 * items.length,
        rowsInserted: 10 * items.length,
        rowsUpdated: 0,
        rowsDeleted: 0,
        snapshotId: "1",
        tableCreated: false,
        columnsAdded: [],
        queryId: `q${batches.length}`,
        elapsedMs: 1,
      },
    };
  };
  return { batches, loader };
}

function loadAsset(pipeline: string): AssetPlan {
  return {
    key: `t/load/${pipeline}`,
    stage: "load",
    pipeline,
    deps: [],
    partitioned: true,
    description: "",
    dbt: null,
  };
}

/** The observer event of a load asset ending without having submitted (skipped). */
function skipped(pipeline: string, partition: string) {
  return {
    run: runRecord({ partition }),
    asset: loadAsset(pipeline),
    materialization: {
      assetKey: `t/load/${pipeline}`,
      partition,
      status: "skipped" as const,
      startedAt: "",
      finishedAt: "",
      attempts: 0,
      metadata: {},
      error: "upstream failed",
      runId: "r",
      tenant: "t",
      job: "j",
    },
    durationMs: 0,
    rows: null,
    bytes: null,
  };
}

const never = new AbortController().signal;
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ChunkLoads", () => {
  it("sends one batch once every partition of the chunk submitted, in date order", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02", "2026-01-03"], new Slots(1), logger);
    const { batches, loader } = recordingLoader();
    let loading = false;
    void chunk.loading.then(() => {
      loading = true;
    });
    const a = chunk.load("p", item("2026-01-03"), loader, never);
    const b = chunk.load("p", item("2026-01-01"), loader, never);
    await settled();
    expect(batches).toEqual([]);
    expect(loading).toBe(false);
    const c = chunk.load("p", item("2026-01-02"), loader, never);
    const results = await Promise.all([a, b, c]);
    expect(batches).toEqual([["2026-01-01", "2026-01-02", "2026-01-03"]]);
    // Its first batch went: the backfill may start the next chunk.
    expect(loading).toBe(true);
    expect(new Set(results.map((r) => r.load.queryId))).toEqual(new Set(["q1"]));
    expect(chunk.batchCount).toBe(1);
  });

  it("does not wait for a partition whose load was skipped, or whose run ended", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02", "2026-01-03"], new Slots(1), logger);
    const { batches, loader } = recordingLoader();
    const a = chunk.load("p", item("2026-01-01"), loader, never);
    await chunk.assetFinished(skipped("p", "2026-01-02"));
    await settled();
    expect(batches).toEqual([]);
    chunk.runEnded("2026-01-03");
    await a;
    expect(batches).toEqual([["2026-01-01"]]);
  });

  it("keeps pipelines apart: one pipeline's batch does not wait for another's", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02"], new Slots(1), logger);
    const { batches, loader } = recordingLoader();
    const p1 = chunk.load("p", item("2026-01-01"), loader, never);
    const q1 = chunk.load("q", item("2026-01-01"), loader, never);
    const p2 = chunk.load("p", item("2026-01-02"), loader, never);
    await p1;
    await p2;
    expect(batches).toEqual([["2026-01-01", "2026-01-02"]]);
    chunk.runEnded("2026-01-02");
    await q1;
    expect(batches).toEqual([["2026-01-01", "2026-01-02"], ["2026-01-01"]]);
  });

  it("loads runs of days of one shape as separate batches, in date order", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02", "2026-01-03"], new Slots(1), logger);
    const { batches, loader } = recordingLoader();
    const wider = [...COLUMNS, { name: "note", type: "varchar" }];
    await Promise.all([
      chunk.load("p", item("2026-01-01"), loader, never),
      chunk.load("p", item("2026-01-02", wider), loader, never),
      chunk.load("p", item("2026-01-03", wider), loader, never),
    ]);
    expect(batches).toEqual([["2026-01-01"], ["2026-01-02", "2026-01-03"]]);
  });

  it("fails every day of a failed batch, as a BatchFailedError each day may retry alone", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02"], new Slots(1), logger);
    const boom = async (): Promise<BatchOutcome> => {
      throw new Error("a row outside its day");
    };
    const results = await Promise.allSettled([
      chunk.load("p", item("2026-01-01"), boom, never),
      chunk.load("p", item("2026-01-02"), boom, never),
    ]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const reason = r.status === "rejected" ? r.reason : null;
      expect(reason).toBeInstanceOf(BatchFailedError);
      expect(reason instanceof BatchFailedError ? reason.partitions : []).toEqual([
        "2026-01-01",
        "2026-01-02",
      ]);
      expect(String(reason)).toContain("a row outside its day");
    }
  });

  it("fails a batch of one day with the load's own error", async () => {
    const chunk = new ChunkLoads(["2026-01-01"], new Slots(1), logger);
    const boom = async (): Promise<BatchOutcome> => {
      throw new Error("a bad value");
    };
    await expect(chunk.load("p", item("2026-01-01"), boom, never)).rejects.toThrow(/^a bad value$/);
  });

  it("lets a stopped run stop waiting, and sends the rest without it", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02", "2026-01-03"], new Slots(1), logger);
    const { batches, loader } = recordingLoader();
    const stop = new AbortController();
    const a = chunk.load("p", item("2026-01-01"), loader, stop.signal);
    const b = chunk.load("p", item("2026-01-02"), loader, never);
    stop.abort(new Error("cancelled"));
    await expect(a).rejects.toThrow("cancelled");
    chunk.runEnded("2026-01-01");
    const c = chunk.load("p", item("2026-01-03"), loader, never);
    await Promise.all([b, c]);
    expect(batches).toEqual([["2026-01-02", "2026-01-03"]]);
  });

  it("refuses a partition outside the chunk and a second submission of a day", async () => {
    const chunk = new ChunkLoads(["2026-01-01", "2026-01-02"], new Slots(1), logger);
    const { loader } = recordingLoader();
    await expect(chunk.load("p", item("2026-02-01"), loader, never)).rejects.toThrow(
      /not in this chunk/,
    );
    void chunk.load("p", item("2026-01-01"), loader, never);
    await expect(chunk.load("p", item("2026-01-01"), loader, never)).rejects.toThrow(/twice/);
  });
});

describe("ChunkLoads of two chunks in flight", () => {
  it("sends a chunk's batch of a pipeline only after the previous chunk's", async () => {
    const slots = new Slots(1);
    const first = new ChunkLoads(["2026-01-01", "2026-01-02"], slots, logger);
    const second = new ChunkLoads(["2026-01-03"], slots, logger, first);
    const { batches, loader } = recordingLoader();
    const later = second.load("p", item("2026-01-03"), loader, never);
    const otherPipeline = second.load("q", item("2026-01-03"), loader, never);
    await settled();
    expect(batches).toEqual([]);
    const early = first.load("p", item("2026-01-01"), loader, never);
    await settled();
    expect(batches).toEqual([]);
    // The first chunk's q never comes: its runs end, and the second chunk's q goes.
    const early2 = first.load("p", item("2026-01-02"), loader, never);
    await Promise.all([early, early2, later]);
    expect(batches).toEqual([["2026-01-01", "2026-01-02"], ["2026-01-03"]]);
    first.runEnded("2026-01-01");
    first.runEnded("2026-01-02");
    await otherPipeline;
    expect(batches).toEqual([["2026-01-01", "2026-01-02"], ["2026-01-03"], ["2026-01-03"]]);
  });
});

describe("Slots", () => {
  it("never runs more than its size at once, and starts the waiting in order", async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        slots.use(async () => {
          started.push(n);
          running += 1;
          most = Math.max(most, running);
          await settled();
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it("frees its slot when a task fails", async () => {
    const slots = new Slots(1);
    await expect(slots.use(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(slots.use(async () => 1)).resolves.toBe(1);
  });
});

describe("slottedHandlers", () => {
  /** A handler counting how many of its calls run at once. */
  function counting() {
    const seen = { running: 0, most: 0 };
    const handler: StageHandler = async (): Promise<AssetOutcome> => {
      seen.running += 1;
      seen.most = Math.max(seen.most, seen.running);
      await settled();
      seen.running -= 1;
      return { metadata: {}, checks: [] };
    };
    return { seen, handler };
  }
  // The handlers read nothing of the context here.
  const ctx = {} as AssetRunContext;

  it("runs extracts up to the slots, dbt builds one at a time, and loads outside the slots", async () => {
    const extract = counting();
    const dbt = counting();
    const load = counting();
    const h = slottedHandlers(
      { extract: extract.handler, dbt: dbt.handler, load: load.handler },
      new Slots(2),
    );
    const calls = (stage: "extract" | "dbt" | "load") =>
      [1, 2, 3, 4].map(() => h[stage]?.(ctx) ?? Promise.reject(new Error(`no ${stage}`)));
    await Promise.all([...calls("extract"), ...calls("dbt"), ...calls("load")]);
    expect(extract.seen.most).toBe(2);
    expect(dbt.seen.most).toBe(1);
    expect(load.seen.most).toBe(4);
    expect(h.transfer).toBeUndefined();
  });
});
