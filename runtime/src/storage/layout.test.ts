import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Logger } from "../logger.js";
import {
  commitPartition,
  type Manifest,
  manifestKey,
  partFileName,
  partitionPrefix,
  partitionSegment,
  readManifest,
  runPrefix,
} from "./layout.js";
import { LocalStorage } from "./local.js";

describe("storage keys", () => {
  it.each([
    ["a day", "2026-01-02", "dt=2026-01-02"],
    ["unpartitioned", null, "snapshot"],
  ])("partitionSegment: %s", (_name, partition, want) => {
    expect(partitionSegment(partition)).toBe(want);
  });
  it.each(["2026-1-2", "2026-01-02/x", "../2026-01-02"])(
    "partitionSegment refuses %s",
    (partition) => {
      expect(() => partitionSegment(partition)).toThrow(
        `partition "${partition}" is not a YYYY-MM-DD date`,
      );
    },
  );

  it.each([
    [
      ["extract", "orders", "2026-01-02", "20260102T000000Z-ab12cd34"],
      "extract/orders/dt=2026-01-02/run=20260102T000000Z-ab12cd34/",
    ],
    [["transfer", "wip.v2", null, "r-a2"], "transfer/wip.v2/snapshot/run=r-a2/"],
  ] as const)("runPrefix %j", ([stage, pipeline, partition, runId], want) => {
    expect(runPrefix(stage, pipeline, partition, runId)).toBe(want);
  });
  it.each([
    ["pipeline name", "lot history", "r"],
    ["pipeline name", "../orders", "r"],
    ["pipeline name", ".hidden", "r"],
    ["run id", "orders", "a/b"],
  ])("runPrefix refuses a %s %s", (what, pipeline, runId) => {
    const bad = what === "run id" ? runId : pipeline;
    expect(() => runPrefix("extract", pipeline, null, runId)).toThrow(
      `${what} "${bad}" is not usable in a storage key (letters, digits, _ . - only)`,
    );
  });

  it("names part files and the manifest", () => {
    expect([partFileName(0), partFileName(12), partFileName(123456)]).toEqual([
      "part-00000.parquet",
      "part-00012.parquet",
      "part-123456.parquet",
    ]);
    expect(manifestKey("load", "orders", "2026-01-02")).toBe(
      "load/orders/dt=2026-01-02/_manifest.json",
    );
    expect(partitionPrefix("extract", "orders", null)).toBe("extract/orders/snapshot");
  });
});

describe("commitPartition and readManifest", () => {
  const quiet = new Logger({}, { write: () => {}, isTTY: false }, "error", "json");

  async function storage() {
    return new LocalStorage(await mkdtemp(path.join(tmpdir(), "etl-layout-")), "project_id=t");
  }

  /** Writes a run's files and the manifest fields that describe them. */
  async function writeRun(
    store: LocalStorage,
    runId: string,
    files: string[],
  ): Promise<Omit<Manifest, "version" | "location" | "committedAt">> {
    const prefix = runPrefix("extract", "orders", "2026-01-02", runId);
    const written = [];
    for (const [i, content] of files.entries()) {
      const key = `${prefix}${partFileName(i)}`;
      written.push({ key, rows: 1, bytes: await store.put(key, Buffer.from(content)) });
    }
    return {
      tenant: "t",
      stage: "extract",
      pipeline: "orders",
      partition: "2026-01-02",
      runId,
      prefix,
      files: written,
      rowCount: written.length,
      bytes: written.reduce((s, f) => s + f.bytes, 0),
      schemaHash: "h",
      metadata: {},
    };
  }

  it("makes the run the partition's content and removes every other run's files", async () => {
    const store = await storage();
    expect(await readManifest(store, "extract", "orders", "2026-01-02")).toBeNull();
    await commitPartition(store, await writeRun(store, "first", ["a", "b"]), quiet);
    await writeRun(store, "abandoned", ["never committed"]);
    const second = await commitPartition(store, await writeRun(store, "second", ["c"]), quiet);
    expect(second).toMatchObject({
      version: 1,
      runId: "second",
      location: store.uri(second.prefix),
    });
    expect(await readManifest(store, "extract", "orders", "2026-01-02")).toEqual(second);
    expect((await store.list("extract/orders/")).map((o) => o.key)).toEqual([
      "extract/orders/dt=2026-01-02/_manifest.json",
      "extract/orders/dt=2026-01-02/run=second/part-00000.parquet",
    ]);
  });

  it("refuses to commit a run whose files are missing or have another size", async () => {
    const store = await storage();
    const run = await writeRun(store, "r1", ["abc"]);
    const [file] = run.files;
    if (file === undefined) throw new Error("no file");
    await expect(
      commitPartition(store, { ...run, files: [{ ...file, bytes: 99 }] }, quiet),
    ).rejects.toThrow(
      `cannot commit orders 2026-01-02: ${store.uri(file.key)} is 3 bytes, expected 99`,
    );
    await expect(
      commitPartition(
        store,
        { ...run, files: [{ ...file, key: `${run.prefix}gone.parquet` }] },
        quiet,
      ),
    ).rejects.toThrow(`${store.uri(`${run.prefix}gone.parquet`)} is missing`);
    expect(await readManifest(store, "extract", "orders", "2026-01-02")).toBeNull();
  });

  it("names a manifest it cannot read", async () => {
    const store = await storage();
    const key = manifestKey("extract", "orders", null);
    await store.put(key, Buffer.from('{"version":2}'));
    await expect(readManifest(store, "extract", "orders", null)).rejects.toThrow(
      `manifest ${store.uri(key)} is not valid: `,
    );
  });
});
